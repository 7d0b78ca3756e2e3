# Training loss against step, one curve per run. A run that diverged ends where it
# diverged; its legend says so.
@COMMON@
@DATA@
set title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "loss (@LOSS@, on the batch)"
@LOGSCALE@
set xrange [@XMIN@:@XMAX@]
set yrange [@YMIN@:@YMAX@]
set lmargin at screen 0.1
set rmargin at screen 0.96
set bmargin at screen @BOTTOM@
set tmargin at screen @TOP@
set key at screen 0.5,0.01 center bottom vertical maxrows @KEYROWS@ samplen 2 spacing 1.1 width 1 font ",9"
plot @PLOT@
