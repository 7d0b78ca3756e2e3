# @DESCRIPTION@
# One curve per configuration (runs that differ only in their seed: the geometric mean,
# with a band from the smallest to the largest value), one row of panels per value of
# the field the figure is split by; each row's key stands at its right.
@COMMON@
@DATA@
set multiplot title @TITLE@ font ",13" noenhanced
set xlabel "step"
set xrange [@XMIN@:@XMAX@]
set clip two
@PANELS@
unset multiplot
