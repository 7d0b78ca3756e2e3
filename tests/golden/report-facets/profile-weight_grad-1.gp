reset
set terminal pngcairo size 1340,734 enhanced font 'sans,10'
set output 'profile-weight_grad-1.png'

# Gradient-flow profile: weight_grad_norm against layer index, at initialisation (left) and
# at step 2 (the last logged) (right); one curve per configuration (runs that differ only in their seed:
# the geometric mean, with a band from the smallest to the largest), one row of panels
# per value of the field the figure is split by. Layer 0 is nearest the input; a curve
# falling toward layer 0 is a vanishing gradient, one rising toward it an exploding one.
# Dotted lines are the mean-field prediction; x marks where a diverged run stopped.
# Values beyond the axis (runs that diverged) are drawn at its limit and marked with a
# triangle, so a diverged curve stays in sight instead of leaving the panel empty.
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

# run 1, step 0: layer weight_grad_norm delta_norm
$run1_first << EOD
0 0.0050000000000000001 0.00125
1 0.050000000000000003 0.012500000000000001
2 0.5 0.125
EOD

# run 1, step 2: layer weight_grad_norm delta_norm
$run1_later << EOD
0 0.0060000000000000001 0.0015
1 0.059999999999999998 0.014999999999999999
2 0.59999999999999998 0.14999999999999999
EOD

# run 2, step 0: layer weight_grad_norm delta_norm
$run2_first << EOD
0 0.5 0.125
1 0.52500000000000002 0.13125000000000001
2 0.55000000000000004 0.13750000000000001
EOD

# run 2, step 2: layer weight_grad_norm delta_norm
$run2_later << EOD
0 0.59999999999999998 0.14999999999999999
1 0.63 0.1575
2 0.66000000000000003 0.16500000000000001
EOD

# run 3, step 0: layer weight_grad_norm delta_norm
$run3_first << EOD
0 0.5 0.125
1 0.52500000000000002 0.13125000000000001
2 0.55000000000000004 0.13750000000000001
EOD

# run 3, step 2: layer weight_grad_norm delta_norm
$run3_later << EOD
0 NaN 0.14999999999999999
1 0.63 0.1575
2 0.66000000000000003 0.16500000000000001
EOD

# run 4, step 0: layer weight_grad_norm delta_norm
$run4_first << EOD
0 0.00050000000000000001 0.000125
1 0.0050000000000000001 0.00125
2 0.050000000000000003 0.012500000000000001
3 0.5 0.125
EOD

# run 4, step 2: layer weight_grad_norm delta_norm
$run4_later << EOD
0 0 0.00014999999999999999
1 0.0060000000000000001 0.0015
2 0.059999999999999998 0.014999999999999999
3 0.59999999999999998 0.14999999999999999
EOD

# where diverged or killed runs stopped: layer, norm (held within the axis), colour
$stopped2 << EOD
1 0.63 4456788
EOD


set multiplot title 'weight gradient: xavier_normal, gain 1.0, w=4, lr=0.1' font ",13" noenhanced
set xlabel "layer (0 = input side)"
set ylabel "||dL/dW||_F"
set logscale y
set format y "10^{%L}"
set xrange [-0.5:3.5]
set yrange [1e-4:1e0]
clip(v) = v > 1e0 ? 1e0 : v < 1e-4 ? 1e-4 : v
outside(v) = v > 1e0 || v < 1e-4
set xtics 0,1
set clip two
set lmargin at screen 0.0537
set rmargin at screen 0.3104
set tmargin at screen 0.8883
set bmargin at screen 0.5531
set title 'sigmoid, at initialisation (step 0)' noenhanced
unset key
plot $run1_first using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 1 pt 7 notitle, \
     $run2_first using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 2 pt 5 notitle, \
     $run4_first using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#97d63e' dt 1 pt 7 notitle
set lmargin at screen 0.3746
set rmargin at screen 0.6313
set tmargin at screen 0.8883
set bmargin at screen 0.5531
set title 'sigmoid, at step 2 (the last logged)' noenhanced
set key at screen 0.6463,0.8883 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $run1_later using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 1 pt 7 title 'd=2 plain ×0.1/layer' noenhanced, \
     $run2_later using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 2 pt 5 title 'd=2 residual ×0.95/layer' noenhanced, \
     $run4_later using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#97d63e' dt 1 pt 7 title 'd=3 plain ×0.1/layer' noenhanced
set lmargin at screen 0.0537
set rmargin at screen 0.3104
set tmargin at screen 0.4251
set bmargin at screen 0.0899
set title 'relu, at initialisation (step 0)' noenhanced
unset key
plot $run3_first using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 1 pt 7 notitle, \
     $run3_first using 1:(clip($2)):(outside($2) ? 1.4 : 0):(0x440154) with points pt 8 ps variable lc rgb variable notitle
set lmargin at screen 0.3746
set rmargin at screen 0.6313
set tmargin at screen 0.4251
set bmargin at screen 0.0899
set title 'relu, at step 2 (the last logged)' noenhanced
set key at screen 0.6463,0.4251 left top vertical Left reverse samplen 2 spacing 1.1 width 1 font ',9'
plot $run3_later using 1:($2 > 0 ? clip($2) : NaN) with linespoints lc rgb '#440154' dt 1 pt 7 title 'd=2 plain [diverged] ×0.95/layer' noenhanced, \
     $run3_later using 1:(clip($2)):(outside($2) ? 1.4 : 0):(0x440154) with points pt 8 ps variable lc rgb variable notitle, \
     $stopped2 using 1:2:3 with points pt 2 ps 1.6 lw 2 lc rgb variable title 'x: where a diverged or killed run stopped' noenhanced, \
     NaN with points pt 8 ps 1.4 lc rgb '#444444' title 'triangle: beyond the axis, drawn at its limit' noenhanced

unset multiplot
