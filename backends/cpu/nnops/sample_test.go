package nnops

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func TestGridSample(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	// Grid points (x, y): the centre, the top-left corner and (0.1, 0.1),
	// which is pixel (0.6, 0.6) without align_corners and (0.55, 0.55)
	// with it. Bilinear sampling reproduces x[y][x] = 1 + x + 2y.
	grid := f32([]int{1, 1, 3, 2}, 0, 0, -1, -1, 0.1, 0.1)
	tests := []struct {
		name  string
		opset int
		attrs []ir.Attr
		x     *tensor.Tensor
		grid  *tensor.Tensor
		shape []int
		want  []float64
	}{
		// Without align_corners the corner (-1, -1) is pixel (-0.5, -0.5):
		// a quarter of x[0][0] with zero padding, all of it at the border.
		{"bilinear zeros", 16, []ir.Attr{ir.AString("mode", "bilinear")}, x, grid, []int{1, 1, 1, 3}, f64s(2.5, 0.25, 2.8)},
		{"linear border", 20, []ir.Attr{ir.AString("padding_mode", "border")}, x, grid, []int{1, 1, 1, 3}, f64s(2.5, 1, 2.8)},
		{"linear reflection", 22, []ir.Attr{ir.AString("padding_mode", "reflection")}, x, grid, []int{1, 1, 1, 3}, f64s(2.5, 1, 2.8)},
		{"align_corners", 20, []ir.Attr{ir.AInt("align_corners", 1)}, x, grid, []int{1, 1, 1, 3}, f64s(2.5, 1, 2.65)},
		// Nearest rounds half to even: the centre (0.5, 0.5) and the corner
		// (-0.5, -0.5) both go to pixel 0; 0.6 rounds to 1.
		{"nearest", 16, []ir.Attr{ir.AString("mode", "nearest")}, x, grid, []int{1, 1, 1, 3}, f64s(1, 1, 4)},
		// Cubic at pixel centres reproduces the pixel.
		{"cubic at a pixel", 20, []ir.Attr{ir.AString("mode", "cubic"), ir.AInt("align_corners", 1)}, x,
			f32([]int{1, 1, 2, 2}, -1, -1, 1, 1), []int{1, 1, 1, 2}, f64s(1, 4)},
		{"bicubic constant", 16, []ir.Attr{ir.AString("mode", "bicubic"), ir.AString("padding_mode", "border")},
			f32([]int{1, 1, 2, 2}, 5, 5, 5, 5), grid, []int{1, 1, 1, 3}, f64s(5, 5, 5)},
		// N-D: the centre of a 2x2x2 ramp is its mean; 1-D reflection
		// folds 3.75 back to 2.25.
		{"3d centre", 20, nil, iota32([]int{1, 1, 2, 2, 2}, 0), f32([]int{1, 1, 1, 1, 3}, 0, 0, 0), []int{1, 1, 1, 1, 1}, f64s(3.5)},
		{"1d reflection", 20, []ir.Attr{ir.AInt("align_corners", 1), ir.AString("padding_mode", "reflection")},
			iota32([]int{1, 1, 4}, 0), f32([]int{1, 1, 1}, 1.5), []int{1, 1, 1}, f64s(2.25)},
	}
	for _, tc := range tests {
		got := mustRun(t, "GridSample", tc.opset, tc.attrs, 1, tc.x, tc.grid)[0]
		checkClose(t, tc.name, got, tc.shape, tc.want, 1e-6, 1e-6)
	}
	bad := []struct {
		name   string
		attrs  []ir.Attr
		grid   *tensor.Tensor
		substr string
	}{
		{"mode", []ir.Attr{ir.AString("mode", "area")}, grid, "mode"},
		{"padding", []ir.Attr{ir.AString("padding_mode", "wrap")}, grid, "padding_mode"},
		{"grid shape", nil, f32([]int{1, 1, 3}, 0, 0, 0), "grid shape"},
	}
	for _, tc := range bad {
		_, err := runOp(t, "GridSample", 20, tc.attrs, 1, x, tc.grid)
		if err == nil || !strings.Contains(err.Error(), tc.substr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.substr)
		}
	}
}

func TestAffineGrid(t *testing.T) {
	id2 := f32([]int{1, 2, 3}, 1, 0, 0, 0, 1, 0)
	got := mustRun(t, "AffineGrid", 20, nil, 1, id2, sizes(1, 1, 2, 3))[0]
	a, b := 2.0/3, 0.5
	checkClose(t, "2d", got, []int{1, 2, 3, 2}, f64s(-a, -b, 0, -b, a, -b, -a, b, 0, b, a, b), 1e-6, 1e-6)
	got = mustRun(t, "AffineGrid", 20, []ir.Attr{ir.AInt("align_corners", 1)}, 1, id2, sizes(1, 1, 2, 3))[0]
	checkClose(t, "2d align_corners", got, []int{1, 2, 3, 2}, f64s(-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1), 1e-6, 1e-6)
	// Scale x by 2 and shift y by 0.25.
	got = mustRun(t, "AffineGrid", 20, []ir.Attr{ir.AInt("align_corners", 1)}, 1, f32([]int{1, 2, 3}, 2, 0, 0, 0, 1, 0.25), sizes(1, 1, 1, 2))[0]
	checkClose(t, "2d affine", got, []int{1, 1, 2, 2}, f64s(-2, -0.75, 2, -0.75), 1e-6, 1e-6)
	id3 := f32([]int{1, 3, 4}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0)
	got = mustRun(t, "AffineGrid", 20, []ir.Attr{ir.AInt("align_corners", 1)}, 1, id3, sizes(1, 1, 1, 1, 2))[0]
	checkClose(t, "3d", got, []int{1, 1, 1, 2, 3}, f64s(-1, -1, -1, 1, -1, -1), 1e-6, 1e-6)
	if _, err := runOp(t, "AffineGrid", 20, nil, 1, id2, sizes(1, 1, 2, 3, 4)); err == nil || !strings.Contains(err.Error(), "theta") {
		t.Errorf("3-D size with 2-D theta: error %v", err)
	}
}

func TestRoiAlign(t *testing.T) {
	// x[y][x] = 2y + x is reproduced exactly by bilinear sampling, so each
	// bin is the value at the mean of its sample points.
	x := f32([]int{1, 1, 2, 2}, 0, 1, 2, 3)
	rois := f32([]int{1, 4}, 0, 0, 1, 1)
	bi := tensor.FromSlice([]int64{0})
	attrs := []ir.Attr{ir.AInt("sampling_ratio", 2)}
	// output_half_pixel: samples at 0.25 and 0.75 along each axis.
	got := mustRun(t, "RoiAlign", 10, attrs, 1, x, rois, bi)[0]
	checkClose(t, "opset 10", got, []int{1, 1, 1, 1}, f64s(1.5), 1e-6, 1e-6)
	// half_pixel: samples at -0.25 (clamped to 0) and 0.25.
	got = mustRun(t, "RoiAlign", 16, attrs, 1, x, rois, bi)[0]
	checkClose(t, "half_pixel", got, []int{1, 1, 1, 1}, f64s(0.375), 1e-6, 1e-6)
	got = mustRun(t, "RoiAlign", 22, append(attrs, ir.AString("coordinate_transformation_mode", "output_half_pixel"), ir.AInt("output_height", 2)), 1, x, rois, bi)[0]
	// Two bins of height 0.5: rows sampled at 0.125, 0.375 and 0.625, 0.875.
	checkClose(t, "two bins", got, []int{1, 1, 2, 1}, f64s(2*0.25+0.5, 2*0.75+0.5), 1e-6, 1e-6)
	if _, err := runOp(t, "RoiAlign", 22, nil, 1, x, rois, tensor.FromSlice([]int64{1})); err == nil || !strings.Contains(err.Error(), "batch index") {
		t.Errorf("batch index out of range: error %v", err)
	}
	if _, err := runOp(t, "RoiAlign", 22, []ir.Attr{ir.AString("mode", "sum")}, 1, x, rois, bi); err == nil {
		t.Errorf("mode sum: no error")
	}
}

func TestCol2Im(t *testing.T) {
	// The documentation's example: five 1x5 blocks, one per image row.
	x := tensor.New(tensor.Float32, 1, 5, 5)
	for tap := 0; tap < 5; tap++ {
		for pos := 0; pos < 5; pos++ {
			x.Float32s()[tap*5+pos] = float32(1 + tap + 5*pos)
		}
	}
	got := mustRun(t, "Col2Im", 18, nil, 1, x, sizes(5, 5), sizes(1, 5))[0]
	want := make([]float64, 25)
	for i := range want {
		want[i] = float64(i + 1)
	}
	checkClose(t, "col2im", got, []int{1, 1, 5, 5}, want, 0, 0)
	// Overlapping 2x2 blocks of ones over a 3x3 image count how many
	// blocks cover each pixel.
	ones := tensor.New(tensor.Float32, 1, 4, 4)
	for i := range ones.Float32s() {
		ones.Float32s()[i] = 1
	}
	got = mustRun(t, "Col2Im", 18, nil, 1, ones, sizes(3, 3), sizes(2, 2))[0]
	checkClose(t, "overlap", got, []int{1, 1, 3, 3}, ints(1, 2, 1, 2, 4, 2, 1, 2, 1), 0, 0)
	if _, err := runOp(t, "Col2Im", 18, nil, 1, ones, sizes(4, 4), sizes(2, 2)); err == nil || !strings.Contains(err.Error(), "blocks") {
		t.Errorf("block count mismatch: error %v", err)
	}
}
