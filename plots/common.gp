# Shared style, pasted into every figure: colour-blind-safe line colours (Okabe-Ito),
# a light grid, axes on the left and bottom only. No 'set encoding utf8': the cairo and
# svg terminals write UTF-8 names as they are without it, and with it gnuplot warns
# "iconv failed to convert degree sign" whenever the locale is not UTF-8 (LANG unset,
# LC_ALL=C), for gtrack and for anyone running 'gnuplot figure.gp' by hand.
set linetype 1 lc rgb '#0072B2' lw 2 pt 7 ps 0.7
set linetype 2 lc rgb '#D55E00' lw 2 pt 5 ps 0.7
set linetype 3 lc rgb '#009E73' lw 2 pt 9 ps 0.7
set linetype 4 lc rgb '#CC79A7' lw 2 pt 11 ps 0.7
set linetype 5 lc rgb '#E69F00' lw 2 pt 13 ps 0.7
set linetype 6 lc rgb '#56B4E9' lw 2 pt 3 ps 0.7
set linetype 7 lc rgb '#000000' lw 2 pt 1 ps 0.7
set linetype 8 lc rgb '#999999' lw 2 pt 2 ps 0.7
set linetype cycle 8
set grid back lc rgb '#e0e0e0' lw 1
set border 3 lw 1
set tics nomirror out
set datafile missing "NaN"
