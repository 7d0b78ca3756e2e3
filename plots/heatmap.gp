# Heatmap of one run: colour is log10 of @QUANTITY@ for every layer (vertical,
# 0 = input side) and logged step (horizontal). A dark band at the bottom is a gradient
# that does not reach the first layers; white cells are not-a-number or zero.
@COMMON@
@DATA@
set title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "layer (0 = input side)"
set cblabel "log_{10} @CBLABEL@"
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
set style fill solid 1.0 noborder
unset key
set xrange [@XMIN@:@XMAX@]
set yrange [-0.5:@YMAX@]
set cbrange [@CBMIN@:@CBMAX@]
set ytics 0,@YSTEP@
# columns: step, layer, log10 norm, and the cell's left and right edges
plot $heat using 1:2:4:5:($2 - 0.5):($2 + 0.5):3 with boxxyerror fillcolor palette
