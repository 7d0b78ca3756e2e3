# Depth comparison: the fraction of the output layer's weight gradient that reaches
# layer 0 at initialisation, against depth. One curve per configuration (runs that
# differ only in their seed: the geometric mean, with a band from the smallest to the
# largest), one panel per value of the field the figure is split by, on shared axes.
# A ratio of 0 (or one that is not finite) has no place on the log axis: a triangle at
# the floor; x marks a depth whose runs diverged.
@COMMON@
@DATA@
set multiplot title @TITLE@ font ",13" noenhanced
set xlabel "depth (hidden layers)"
set ylabel "||dL/dW||, layer 0 / output"
set logscale y
set format y "10^{%L}"
set xrange [@XMIN@:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set clip two
@PANELS@
unset multiplot
