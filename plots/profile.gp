# Gradient-flow profile: @QUANTITY@ against layer index, one curve per run, at
# initialisation (left) and @LATER@ (right). Layer 0 is nearest the input; a curve
# falling toward layer 0 is a vanishing gradient, one rising toward it an exploding one.
@COMMON@
@DATA@
set multiplot layout 1,2 title @TITLE@ font ",13" noenhanced margins 0.07,0.98,@BOTTOM@,@TOP@ spacing 0.08
set xlabel "layer (0 = input side)"
set ylabel "@YLABEL@"
set logscale y
set format y "10^{%L}"
set xrange [-0.5:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set xtics 0,@XSTEP@
unset key
set title "at initialisation (step 0)"
plot @LEFT@
set key at screen 0.5,0.01 center bottom vertical maxrows @KEYROWS@ samplen 2 spacing 1.1 width 1 font ",9"
set title "@RIGHT_TITLE@"
plot @RIGHT@
unset multiplot
