# Heatmap of one run: colour is log10 of @QUANTITY@ for every layer (vertical,
# 0 = input side) and logged step (horizontal). A dark band at the bottom is a gradient
# that does not reach the first layers. Every heatmap of the report shares this colour
# range, so colours compare across runs; grey cells have no finite value.
@COMMON@
@DATA@
set title @TITLE@ font ",13" noenhanced
set xlabel "step"
set ylabel "layer (0 = input side)"
set cblabel "log_{10} @CBLABEL@"
set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', 4 '#fde725')
set style fill solid 1.0 noborder
set key at screen 0.99,0.01 right bottom horizontal samplen 1 font ",9"
set xrange [@XMIN@:@XMAX@]
set yrange [-0.5:@YMAX@]
set cbrange [@CBMIN@:@CBMAX@]
set ytics 0,@YSTEP@
# columns: step, layer, log10 norm, and the cell's left and right edges
plot $heat using 1:2:4:5:($2 - 0.5):($2 + 0.5):3 with boxxyerror fillcolor palette notitle@NONFINITE@
