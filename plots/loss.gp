# Training loss against step, one curve per configuration (runs that differ only in
# their seed: the geometric mean, with a band from the smallest to the largest), one
# panel per value of the field the figure is split by. The axis is set by the runs that
# did not diverge; a run that diverged ends with an x where its loss was last finite,
# held within the axis.
@COMMON@
@DATA@
set multiplot title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "loss (@LOSS@, on the batch)"
@LOGSCALE@
set xrange [@XMIN@:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set clip two
@PANELS@
unset multiplot
