reset
set terminal pngcairo size 1340,394 enhanced font 'sans,10'
set output 'evals-1.png'

# Loss and accuracy on the whole train and validation splits (the evals table) against step; thin lines are the train split, lines with points the validation split.
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

# runs 1 and 1 more seeds: step, geometric mean, min and max of accuracy
$evals1_1_1 << EOD
0 0.25 0.25 0.25
2 0.5 0.5 0.5
EOD

# runs 1 and 1 more seeds: step, geometric mean, min and max of accuracy
$evals1_1_0 << EOD
0 0.25 0.25 0.25
2 0.5 0.5 0.5
EOD

# runs 1 and 1 more seeds: step, geometric mean, min and max of loss
$evals1_0_1 << EOD
0 6.25 3.1250000000000004 12.500000000000002
2 4.2500000000000009 2.125 8.5
EOD

# runs 1 and 1 more seeds: step, geometric mean, min and max of loss
$evals1_0_0 << EOD
0 3.125 1.5625 6.25
2 2.1249999999999996 1.0625 4.2499999999999991
EOD

# run 3: step accuracy
$evals3_1_1 << EOD
0 0.25
2 0.5
EOD

# run 3: step accuracy
$evals3_1_0 << EOD
0 0.25
2 0.5
EOD

# run 3: step loss
$evals3_0_1 << EOD
0 3.375
2 2.375
EOD

# run 3: step loss
$evals3_0_0 << EOD
0 1.6875
2 1.1875
EOD

# where diverged or killed runs stopped: step, loss (held within the axis), colour
$stopped1 << EOD
2 2.375 13983232
EOD

# where diverged or killed runs stopped: step, accuracy (held within the axis), colour
$stopped2 << EOD
2 0.5 13983232
EOD


set multiplot title 'evaluation: d=2, plain, xavier_normal, gain 1.0, w=4, lr=0.1' font ",13" noenhanced
set xlabel "step"
set xrange [0:2]
set clip two
set lmargin at screen 0.0537
set rmargin at screen 0.3104
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'loss' noenhanced
unset key
set ylabel 'loss (whole split)' noenhanced
set logscale y
set format y "10^{%L}"
set yrange [1e0:1e2]
plot $evals1_0_1 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $evals1_0_1 using 1:2 with linespoints pi 1 lc rgb '#0072B2' dt 1 pt 7 notitle, \
     $evals1_0_0 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $evals1_0_0 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, \
     $evals3_0_1 using 1:2 with linespoints pi 1 lc rgb '#D55E00' dt 1 pt 7 notitle, \
     $evals3_0_0 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, \
     $stopped1 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced
set lmargin at screen 0.3746
set rmargin at screen 0.6313
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title 'accuracy' noenhanced
set key at screen 0.6463,0.7919 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
set ylabel 'accuracy' noenhanced
unset logscale y
set format y '%g'
set yrange [0:1]
plot $evals1_1_1 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $evals1_1_1 using 1:2 with linespoints pi 1 lc rgb '#0072B2' dt 1 pt 7 title 'sigmoid (2 seeds)' noenhanced, \
     $evals1_1_0 using 1:3:4 with filledcurves lc rgb '#0072B2' fs transparent solid 0.2 noborder notitle, \
     $evals1_1_0 using 1:2 with lines lw 1 lc rgb '#0072B2' dt 1 notitle, \
     $evals3_1_1 using 1:2 with linespoints pi 1 lc rgb '#D55E00' dt 1 pt 7 title 'relu [diverged]' noenhanced, \
     $evals3_1_0 using 1:2 with lines lw 1 lc rgb '#D55E00' dt 1 notitle, \
     $stopped2 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced, \
     NaN with lines lw 1 lc rgb '#444444' title 'thin: train' noenhanced, \
     NaN with linespoints lc rgb '#444444' title 'with points: validation' noenhanced

unset multiplot
