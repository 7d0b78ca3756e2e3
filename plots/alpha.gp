# The trained residual scale (model.residual.learn_alpha, e.g. ReZero) of each residual
# block against step, from block_stats. One curve per block and configuration (runs that
# differ only in their seed: the arithmetic mean, with a band from the smallest to the
# largest), each panel at most ten consecutive blocks of one configuration, coloured
# from the input side (dark) to the output side (light). The axis is set by the runs
# that did not diverge; a run that diverged or was killed ends with an x on each block
# where its alpha was last finite, held within the axis.
@COMMON@
@DATA@
set multiplot title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "alpha (scale of the residual branch)"
set xrange [@XMIN@:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set clip two
@PANELS@
unset multiplot
