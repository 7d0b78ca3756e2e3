#!/usr/bin/perl
# Writes the small data files the file-based experiments use, so that nothing is
# downloaded: experiments/data/flowers.csv.gz (an iris-like table: 3 classes, 4
# measurements, a header) and experiments/data/glyphs-{images,labels}-idx*-ubyte.gz (an
# MNIST-like IDX pair: 1000 images of 10x10 pixels, 10 classes of noisy bar patterns).
# Deterministic: the same files every time.
use strict;
use warnings;
use File::Basename qw(dirname);
use IO::Compress::Gzip qw(gzip $GzipError);

my $dir = dirname(__FILE__) . "/../experiments/data";
mkdir $dir unless -d $dir;
srand(20261126);

sub gaussian { # Box-Muller
    my ($u, $v) = (1 - rand(), rand());
    return sqrt(-2 * log($u)) * cos(6.283185307179586 * $v);
}

# flowers.csv.gz: 3 species, 150 each, four measurements in centimetres
my @centres = ([5.0, 3.4, 1.5, 0.25], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.6, 2.0]);
my @spread = (0.35, 0.3, 0.45, 0.2);
my $csv = "sepal_length,sepal_width,petal_length,petal_width,species\n";
for my $i (0 .. 449) {
    my $class = $i % 3;
    my @x = map { sprintf "%.2f", $centres[$class][$_] + $spread[$_] * gaussian() } 0 .. 3;
    $csv .= join(",", @x, $class) . "\n";
}
gzip(\$csv => "$dir/flowers.csv.gz", Minimal => 1) or die "gzip: $GzipError";

# glyphs: class k lights row bars and column bars chosen by its bits, plus noise
my ($count, $side) = (1000, 10);
my $images = pack("N4", 0x00000803, $count, $side, $side);
my $labels = pack("N2", 0x00000801, $count);
for my $i (0 .. $count - 1) {
    my $class = $i % 10;
    my @pixels;
    for my $r (0 .. $side - 1) {
        for my $c (0 .. $side - 1) {
            my $lit = (($class + 1) >> ($r % 4) & 1) && $r % 3 == 1
                   || (($class * 7 + 3) >> ($c % 4) & 1) && $c % 3 == 2;
            my $value = ($lit ? 200 : 20) + 40 * gaussian();
            push @pixels, $value < 0 ? 0 : $value > 255 ? 255 : int($value);
        }
    }
    $images .= pack("C*", @pixels);
    $labels .= pack("C", $class);
}
gzip(\$images => "$dir/glyphs-images-idx3-ubyte.gz", Minimal => 1) or die "gzip: $GzipError";
gzip(\$labels => "$dir/glyphs-labels-idx1-ubyte.gz", Minimal => 1) or die "gzip: $GzipError";
print "wrote $dir/flowers.csv.gz and $dir/glyphs-{images-idx3,labels-idx1}-ubyte.gz\n";
