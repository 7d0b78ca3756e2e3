reset
set terminal pngcairo size 900,500 enhanced font 'sans,10'
set output 'heatmap-run1.png'

# Heatmap of one run: colour is log10 of weight_grad_norm for every layer (vertical,
# 0 = input side) and logged step (horizontal). A dark band at the bottom is a gradient
# that does not reach the first layers. Every heatmap of the report shares this colour
# range, so colours compare across runs; grey cells have no finite value.
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

# run 1: step layer log10(weight_grad_norm) step_low step_high
$heat << EOD
0 0 -2.3010299956639813 -0.5 0.5
0 1 -1.3010299956639813 -0.5 0.5
0 2 -0.3010299956639812 -0.5 0.5
1 0 -2.2596373105057559 0.5 1.5
1 1 -1.2596373105057561 0.5 1.5
1 2 -0.25963731050575611 0.5 1.5
2 0 -2.2218487496163561 1.5 2.5
2 1 -1.2218487496163564 1.5 2.5
2 2 -0.22184874961635637 1.5 2.5
EOD

set title 'run 1 sig-plain' font ",13" noenhanced
set xlabel "step"
set ylabel "layer (0 = input side)"
set cblabel "log_{10} ||dL/dW||_F"
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
set style fill solid 1.0 noborder
set key at screen 0.99,0.01 right bottom horizontal samplen 1 font ",9"
set xrange [-0.5:2.5]
set yrange [-0.5:2.5]
set cbrange [-30:0]
set ytics 0,1
# columns: step, layer, log10 norm, and the cell's left and right edges
plot $heat using 1:2:4:5:($2 - 0.5):($2 + 0.5):3 with boxxyerror fillcolor palette notitle
