# Residual comparison: runs that differ only in their residual setup, plain (or the
# first setup) on the left and the other setups on the right, their gradient profiles
# side by side on the same scale: weight gradient (solid) and delta
# (dashed) at initialisation, and the weight gradient @LATER@ (dotted).
@COMMON@
@DATA@
set multiplot layout 1,2 title @TITLE@ font ",13" noenhanced margins 0.07,0.98,@BOTTOM@,@TOP@ spacing 0.08
set xlabel "layer (0 = input side)"
set ylabel "gradient norm"
set logscale y
set format y "10^{%L}"
set xrange [-0.5:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set xtics 0,@XSTEP@
unset key
set title @LEFT_TITLE@ noenhanced
plot @LEFT@
set key at screen 0.5,0.01 center bottom vertical maxrows @KEYROWS@ samplen 2 spacing 1.1 width 1 font ",9"
set title @RIGHT_TITLE@ noenhanced
plot @RIGHT@
unset multiplot
