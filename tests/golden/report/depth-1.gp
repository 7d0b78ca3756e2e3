reset
set terminal pngcairo size 910,394 enhanced font 'sans,10'
set output 'depth-1.png'

# Depth comparison: the fraction of the output layer's weight gradient that reaches
# layer 0 at initialisation, against depth. One curve per configuration (runs that
# differ only in their seed: the geometric mean, with a band from the smallest to the
# largest), one panel per value of the field the figure is split by, on shared axes.
# A ratio of 0 (or one that is not finite) has no place on the log axis: a triangle at
# the floor; x marks a depth whose runs diverged.
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

# depth, geometric mean of layer 0 / output weight_grad_norm at step 0, runs, min, max, runs without a positive finite ratio
$depth0 << EOD
2 0.01 1 0.01 0.01 0
3 0.001 1 0.001 0.001 0
EOD

# depth, geometric mean of layer 0 / output weight_grad_norm at step 0, runs, min, max, runs without a positive finite ratio
$depth1 << EOD
2 0.90909090909090906 1 0.90909090909090906 0.90909090909090906 0
EOD

# depth, geometric mean of layer 0 / output weight_grad_norm at step 0, runs, min, max, runs without a positive finite ratio
$depth2 << EOD
2 0.90909090909090906 1 0.90909090909090906 0.90909090909090906 0
EOD

# where diverged or killed runs stopped: depth, ratio at step 0 (held within the axis), colour
$stopped1 << EOD
2 0.90909090909090906 40563
EOD


set multiplot title 'gradient reaching layer 0 against depth: xavier_normal, gain 1.0, w=4' font ",13" noenhanced
set xlabel "depth (hidden layers)"
set ylabel "||dL/dW||, layer 0 / output"
set logscale y
set format y "10^{%L}"
set xrange [1:4]
set yrange [1e-3:1e0]
set clip two
set lmargin at screen 0.0791
set rmargin at screen 0.4571
set tmargin at screen 0.7919
set bmargin at screen 0.1675
set title '' noenhanced
set key at screen 0.4791,0.7919 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $depth0 using 1:2 with linespoints lc rgb '#0072B2' dt 1 pt 7 title 'sigmoid plain ×0.1/layer' noenhanced, \
     $depth1 using 1:2 with linespoints lc rgb '#D55E00' dt 2 pt 7 title 'sigmoid residual' noenhanced, \
     $depth2 using 1:2 with linespoints lc rgb '#009E73' dt 1 pt 7 title 'relu plain' noenhanced, \
     $stopped1 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced

unset multiplot
