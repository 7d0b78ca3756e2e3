reset
set terminal pngcairo size 900,500 enhanced font 'sans,10'
set output 'alpha-run2.png'

# The trained residual scale (alpha, ReZero and learned alpha) of each residual block of
# one run against step, from block_stats: colour is the block, 0 nearest the input, on
# the sequential palette of the colour bar.
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

# run 2: step alpha block (block_stats)
$alpha << EOD
0 0 0
1 0.125 0
2 0.25 0

0 0 1
1 0.25 1
2 0.5 1
EOD


set title 'trained alpha per block: run 2 sig-res' font ",13" noenhanced
set xlabel "step"
set ylabel "alpha (scale of the residual branch)"
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#bddf26')
set cblabel "block (0 = input side)"
set cbrange [0:1]
set xrange [0:2]
unset key
# columns: step, alpha, block; a blank line between blocks
plot $alpha using 1:2:3 with lines lw 2 lc palette notitle
