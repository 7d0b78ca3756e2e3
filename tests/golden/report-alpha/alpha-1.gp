reset
set terminal pngcairo size 910,394 enhanced font 'sans,10'
set output 'alpha-1.png'

# The trained residual scale (model.residual.learn_alpha, e.g. ReZero) of each residual
# block against step, from block_stats. One curve per block and configuration (runs that
# differ only in their seed: the arithmetic mean, with a band from the smallest to the
# largest), each panel at most ten consecutive blocks of one configuration, coloured
# from the input side (dark) to the output side (light). The axis is set by the runs
# that did not diverge; a run that diverged or was killed ends with an x on each block
# where its alpha was last finite, held within the axis.
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

# runs 2 and 1 more seeds: step, arithmetic mean, min and max of alpha
$alpha2_0 << EOD
0 0 0 0
1 0.1875 0.125 0.25
2 0.25 0.25 0.25
EOD

# runs 2 and 1 more seeds: step, arithmetic mean, min and max of alpha
$alpha2_1 << EOD
0 0 0 0
1 0.375 0.25 0.5
2 0.5 0.5 0.5
EOD

# where diverged or killed runs stopped: step, alpha (held within the axis), colour
$stopped1 << EOD
1 0.25 4456788
1 0.5 9950782
EOD


set multiplot title 'trained alpha per block: sigmoid, d=2, ReZero, xavier_normal, gain 1.0, w=4,' . "\n" . 'lr=0.1' font ",13" noenhanced
set xlabel "step"
set ylabel "alpha (scale of the residual branch)"
set xrange [0:2]
set yrange [-0.025000000000000001:0.52500000000000002]
set clip two
set lmargin at screen 0.0791
set rmargin at screen 0.4571
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'sig-res [1 of 2 seeds diverged] (2 seeds), blocks 0-1 of 2' noenhanced
set key at screen 0.4791,0.7919 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $alpha2_0 using 1:3:4 with filledcurves lc rgb '#440154' fs transparent solid 0.2 noborder notitle, \
     $alpha2_0 using 1:2 with lines lc rgb '#440154' dt 1 notitle, \
     $alpha2_1 using 1:3:4 with filledcurves lc rgb '#97d63e' fs transparent solid 0.2 noborder notitle, \
     $alpha2_1 using 1:2 with lines lc rgb '#97d63e' dt 1 notitle, \
     NaN with lines lc rgb '#440154' dt 1 title 'block 0' noenhanced, \
     NaN with lines lc rgb '#97d63e' dt 1 title 'block 1' noenhanced, \
     NaN with points pt 2 ps 1.6 lw 2 lc rgb '#444444' title 'x: where a diverged or killed run stopped' noenhanced, \
     $stopped1 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable notitle

unset multiplot
