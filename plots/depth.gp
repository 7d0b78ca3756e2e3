# Depth comparison: the fraction of the output layer's weight gradient that reaches
# layer 0 at initialisation, against depth. One colour per activation; plain networks
# solid, residual ones dashed. Points are runs (the geometric mean over seeds).
@COMMON@
@DATA@
set title @TITLE@ font ",13" noenhanced
set xlabel "depth (hidden layers)"
set ylabel "||dL/dW|| layer 0 / output layer, step 0"
set logscale y
set format y "10^{%L}"
set xrange [@XMIN@:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set lmargin at screen 0.1
set rmargin at screen 0.96
set bmargin at screen @BOTTOM@
set tmargin at screen @TOP@
set key at screen 0.5,0.01 center bottom vertical maxrows @KEYROWS@ samplen 3 spacing 1.1 width 1 font ",9"
plot @PLOT@
