# The trained residual scale (alpha, ReZero and learned alpha) of each residual block of
# one run against step, from block_stats: colour is the block, 0 nearest the input, on
# the sequential palette of the colour bar.
@COMMON@
@DATA@
set title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "alpha (scale of the residual branch)"
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#bddf26')
set cblabel "block (0 = input side)"
set cbrange [0:@CBMAX@]
set xrange [@XMIN@:@XMAX@]
unset key
# columns: step, alpha, block; a blank line between blocks
plot $alpha using 1:2:3 with lines lw 2 lc palette notitle
