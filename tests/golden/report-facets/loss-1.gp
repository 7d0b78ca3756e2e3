reset
set terminal pngcairo size 910,734 enhanced font 'sans,10'
set output 'loss-1.png'

# Training loss against step, one curve per configuration (runs that differ only in
# their seed: the geometric mean, with a band from the smallest to the largest), one
# panel per value of the field the figure is split by. The axis is set by the runs that
# did not diverge; a run that diverged ends with an x where its loss was last finite,
# held within the axis.
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

# run 1: step loss
$loss1 << EOD
0 1.5625
1 1.3125
2 1.0625
EOD

# run 2: step loss
$loss2 << EOD
0 1.625
1 1.375
2 1.125
EOD

# run 3: step loss
$loss3 << EOD
0 1.6875
1 1.4375
2 1.1875
EOD

# run 4: step loss
$loss4 << EOD
0 1.75
1 1.5
2 1.25
EOD

# where diverged or killed runs stopped: step, loss (held within the axis), colour
$stopped2 << EOD
2 1.1875 4456788
EOD


set multiplot title 'training loss: xavier_normal, gain 1.0, w=4, lr=0.1' font ",13" noenhanced
set xlabel "step"
set ylabel "loss (cross-entropy, on the batch)"
set logscale y
set format y "10^{%L}"
set xrange [0:2]
set yrange [1e0:1e1]
set clip two
set lmargin at screen 0.0791
set rmargin at screen 0.4571
set tmargin at screen 0.8883
set bmargin at screen 0.5531
set title 'sigmoid' noenhanced
set key at screen 0.4791,0.8883 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $loss1 using 1:2 with linespoints pi 1 lc rgb '#440154' dt 1 pt 7 title 'd=2 plain' noenhanced, \
     $loss2 using 1:2 with linespoints pi 1 lc rgb '#440154' dt 2 pt 5 title 'd=2 residual' noenhanced, \
     $loss4 using 1:2 with linespoints pi 1 lc rgb '#97d63e' dt 1 pt 7 title 'd=3 plain' noenhanced
set lmargin at screen 0.0791
set rmargin at screen 0.4571
set tmargin at screen 0.4251
set bmargin at screen 0.0899
set title 'relu' noenhanced
set key at screen 0.4791,0.4251 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $loss3 using 1:2 with linespoints pi 1 lc rgb '#440154' dt 1 pt 7 title 'd=2 plain [diverged]' noenhanced, \
     $stopped2 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced

unset multiplot
