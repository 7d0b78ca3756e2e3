reset
set terminal pngcairo size 1770,394 enhanced font 'sans,10'
set output 'diagnostics-1.png'

# The diagnostics of layer_stats averaged over the hidden layers, against step: the fraction of dead units (relu-like activations), of saturated units (sigmoid, tanh), and the update ratio ||lr * update|| / ||W||.
# One curve per configuration (runs that differ only in their seed: the geometric mean,
# with a band from the smallest to the largest value), one row of panels per value of
# the field the figure is split by; each row's key stands at its right.
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

# runs 1 and 1 more seeds: step, geometric mean, min and max of update ratio
$diagnostics1_2_0 << EOD
0 0.0037416573867739421 0.0020000000000000005 0.0070000000000000019
1 0.0037416573867739421 0.0020000000000000005 0.0070000000000000019
2 0.0037416573867739421 0.0020000000000000005 0.0070000000000000019
EOD

# runs 1 and 1 more seeds: step, geometric mean, min and max of saturated fraction
$diagnostics1_1_0 << EOD
0 0.25 0.25 0.25
1 0.125 0.125 0.125
2 0.083333333333333329 0.083333333333333329 0.083333333333333329
EOD

# runs 1 and 1 more seeds: step, geometric mean, min and max of dead fraction
$diagnostics1_0_0 << EOD
0 0.0625 0.0625 0.0625
1 0.0625 0.0625 0.0625
2 0.0625 0.0625 0.0625
EOD

# run 3: step update ratio
$diagnostics3_2_0 << EOD
0 0.0040000000000000001
1 0.0040000000000000001
2 0.0040000000000000001
EOD

# run 3: step saturated fraction
$diagnostics3_1_0 << EOD
0 0.25
1 0.125
2 0.083333333333333329
EOD

# run 3: step dead fraction
$diagnostics3_0_0 << EOD
0 0.0625
1 0.0625
2 0.0625
EOD

# where diverged or killed runs stopped: step, dead fraction (held within the axis), colour
$stopped1 << EOD
2 0.0625 13983232
EOD

# where diverged or killed runs stopped: step, saturated fraction (held within the axis), colour
$stopped2 << EOD
2 0.083333333333333329 13983232
EOD

# where diverged or killed runs stopped: step, update ratio (held within the axis), colour
$stopped3 << EOD
2 0.004000000000000001 13983232
EOD


set multiplot title 'diagnostics: d=2, plain, xavier_normal, gain 1.0, w=4, lr=0.1' font ",13" noenhanced
set xlabel "step"
set xrange [0:2]
set clip two
set lmargin at screen 0.0407
set rmargin at screen 0.2350
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'dead fraction' noenhanced
unset key
set ylabel 'fraction of units' noenhanced
unset logscale y
set format y '%g'
set yrange [0:1]
plot $diagnostics1_0_0 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $diagnostics1_0_0 using 1:2 with linespoints pi 1 lc rgb '#0072B2' dt 1 pt 7 notitle, \
     $diagnostics3_0_0 using 1:2 with linespoints pi 1 lc rgb '#D55E00' dt 1 pt 7 notitle, \
     $stopped1 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced
set lmargin at screen 0.2836
set rmargin at screen 0.4780
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'saturated fraction' noenhanced
unset key
set ylabel 'fraction of units' noenhanced
unset logscale y
set format y '%g'
set yrange [0:1]
plot $diagnostics1_1_0 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $diagnostics1_1_0 using 1:2 with linespoints pi 1 lc rgb '#0072B2' dt 1 pt 7 notitle, \
     $diagnostics3_1_0 using 1:2 with linespoints pi 1 lc rgb '#D55E00' dt 1 pt 7 notitle, \
     $stopped2 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced
set lmargin at screen 0.5266
set rmargin at screen 0.7209
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'update ratio' noenhanced
set key at screen 0.7322,0.7919 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
set ylabel '||update|| / ||W||' noenhanced
set logscale y
set format y "10^{%L}"
set yrange [1e-3:1e-2]
plot $diagnostics1_2_0 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $diagnostics1_2_0 using 1:2 with linespoints pi 1 lc rgb '#0072B2' dt 1 pt 7 title 'sigmoid (2 seeds)' noenhanced, \
     $diagnostics3_2_0 using 1:2 with linespoints pi 1 lc rgb '#D55E00' dt 1 pt 7 title 'relu [diverged]' noenhanced, \
     $stopped3 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced

unset multiplot
