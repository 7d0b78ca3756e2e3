# Residual comparison: runs that differ only in their residual setup, their weight
# gradient against layer at initialisation (left) and later (right), drawn as the
# profile figure draws them: one curve per setup (runs that differ only in their seed:
# the geometric mean, with a band from the smallest to the largest). With many setups
# they are shared out over rows of at most ten curves, and each row draws the plain
# network (black, or the first setup without one) again as its reference.
# Values beyond the axis (runs that diverged) are drawn at its limit and marked with a
# triangle; x marks where a diverged run stopped.
@COMMON@
@DATA@
set multiplot title @TITLE@ font ",13" noenhanced
set xlabel "layer (0 = input side)"
set ylabel "@YLABEL@"
set logscale y
set format y "10^{%L}"
set xrange [-0.5:@XMAX@]
set yrange [@YMIN@:@YMAX@]
clip(v) = v > @YMAX@ ? @YMAX@ : v < @YMIN@ ? @YMIN@ : v
outside(v) = v > @YMAX@ || v < @YMIN@
set xtics 0,@XSTEP@
set clip two
@PANELS@
unset multiplot
