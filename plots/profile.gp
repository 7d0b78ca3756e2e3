# Gradient-flow profile: @QUANTITY@ against layer index, at initialisation (left) and
# @LATER@ (right); one curve per configuration (runs that differ only in their seed:
# the geometric mean, with a band from the smallest to the largest), one row of panels
# per value of the field the figure is split by. Layer 0 is nearest the input; a curve
# falling toward layer 0 is a vanishing gradient, one rising toward it an exploding one.
# Dotted lines are the mean-field prediction; x marks where a diverged run stopped.
# Values beyond the axis (runs that diverged) are drawn at its limit and marked with a
# triangle, so a diverged curve stays in sight instead of leaving the panel empty.
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
