package nnops

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func scales(v ...float32) *tensor.Tensor { return tensor.FromSlice(v) }
func sizes(v ...int64) *tensor.Tensor    { return tensor.FromSlice(v) }

func TestResize(t *testing.T) {
	x22 := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	x24 := f32([]int{1, 1, 2, 4}, 1, 2, 3, 4, 5, 6, 7, 8)
	x44 := iota32([]int{1, 1, 4, 4}, 1)
	nearest23 := ints(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4)
	third := 1.0 / 3
	tests := []struct {
		name  string
		opset int
		attrs []ir.Attr
		in    []*tensor.Tensor // X, roi, scales, sizes (opset 10: X, scales)
		shape []int
		want  []float64
	}{
		// The documentation's examples.
		{"nearest upsample", 19, nil, []*tensor.Tensor{x22, nil, scales(1, 1, 2, 3)}, []int{1, 1, 4, 6}, nearest23},
		{"nearest upsample opset 11 empty roi", 11, nil, []*tensor.Tensor{x22, tensor.New(tensor.Float32, 0), scales(1, 1, 2, 3)}, []int{1, 1, 4, 6}, nearest23},
		{"nearest axes 3,2", 18, []ir.Attr{ir.AInts("axes", 3, 2)}, []*tensor.Tensor{x22, nil, nil, sizes(6, 4)}, []int{1, 1, 4, 6}, nearest23},
		{"nearest downsample", 13, nil, []*tensor.Tensor{x24, nil, scales(1, 1, 0.6, 0.6)}, []int{1, 1, 1, 2}, ints(1, 3)},
		{"linear upsample", 19, []ir.Attr{ir.AString("mode", "linear")}, []*tensor.Tensor{x22, nil, scales(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			f64s(1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4)},
		{"linear align_corners", 13, []ir.Attr{ir.AString("mode", "linear"), ir.AString("coordinate_transformation_mode", "align_corners")},
			[]*tensor.Tensor{x22, nil, nil, sizes(1, 1, 4, 4)}, []int{1, 1, 4, 4},
			f64s(1, 1+third, 2-third, 2, 2-third, 2, 2+third, 3-third, 2+third, 3-third, 3, 3+third, 3, 3+third, 4-third, 4)},
		{"linear downsample", 19, []ir.Attr{ir.AString("mode", "linear")}, []*tensor.Tensor{x24, nil, scales(1, 1, 0.6, 0.6)}, []int{1, 1, 1, 2},
			f64s(2.6666665, 4.3333331)},
		{"tf_crop_and_resize extrapolation", 11, []ir.Attr{ir.AString("mode", "linear"), ir.AString("coordinate_transformation_mode", "tf_crop_and_resize"), ir.AFloat("extrapolation_value", 10)},
			[]*tensor.Tensor{x44, scales(0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7), tensor.New(tensor.Float32, 0), sizes(1, 1, 3, 3)}, []int{1, 1, 3, 3},
			f64s(7.6, 10, 10, 12.4, 10, 10, 10, 10, 10)},
		// Hand-computed: an impulse through the cubic kernel (a = -0.75)
		// at half-pixel steps: K(0.5) = 0.59375, K(1.5) = -0.09375.
		{"cubic impulse", 19, []ir.Attr{ir.AString("mode", "cubic"), ir.AString("coordinate_transformation_mode", "asymmetric")},
			[]*tensor.Tensor{f32([]int{1, 1, 1, 5}, 0, 0, 1, 0, 0), nil, scales(1, 1, 1, 2)}, []int{1, 1, 1, 10},
			f64s(0, -0.09375, 0, 0.59375, 1, 0.59375, 0, -0.09375, 0, 0)},
		// Antialiased halving: the triangle filter widens to four taps
		// weighted 1/8, 3/8, 3/8, 1/8.
		{"linear antialias", 18, []ir.Attr{ir.AString("mode", "linear"), ir.AInt("antialias", 1)},
			[]*tensor.Tensor{iota32([]int{1, 8}, 0), nil, scales(1, 0.5)}, []int{1, 4}, f64s(0.625, 2.5, 4.5, 6.375)},
		{"not_larger", 18, []ir.Attr{ir.AString("keep_aspect_ratio_policy", "not_larger"), ir.AInts("axes", 2, 3)},
			[]*tensor.Tensor{x22, nil, nil, sizes(3, 8)}, []int{1, 1, 3, 3}, ints(1, 1, 2, 1, 1, 2, 3, 3, 4)},
		{"not_smaller", 18, []ir.Attr{ir.AString("keep_aspect_ratio_policy", "not_smaller"), ir.AInts("axes", 2, 3)},
			[]*tensor.Tensor{x22, nil, nil, sizes(1, 2)}, []int{1, 1, 2, 2}, ints(1, 2, 3, 4)},
		// 10 x 0.7f is 7 in single precision (6.99999988 in double).
		{"single-precision size", 19, []ir.Attr{ir.AString("mode", "linear")},
			[]*tensor.Tensor{f32([]int{1, 10}, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), nil, scales(1, 0.7)}, []int{1, 7}, ints(1, 1, 1, 1, 1, 1, 1)},
		// Opset 10 maps coordinates asymmetrically and floors.
		{"opset 10 nearest", 10, nil, []*tensor.Tensor{x22, scales(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			ints(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4)},
		{"opset 10 linear", 10, []ir.Attr{ir.AString("mode", "linear")}, []*tensor.Tensor{x22, scales(1, 1, 2, 2)}, []int{1, 1, 4, 4},
			f64s(1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4)},
		{"round_prefer_ceil", 19, []ir.Attr{ir.AString("nearest_mode", "round_prefer_ceil"), ir.AString("coordinate_transformation_mode", "asymmetric")},
			[]*tensor.Tensor{f32([]int{1, 3}, 1, 2, 3), nil, scales(1, 2)}, []int{1, 6}, ints(1, 2, 2, 3, 3, 3)},
		{"floor", 19, []ir.Attr{ir.AString("nearest_mode", "floor"), ir.AString("coordinate_transformation_mode", "asymmetric")},
			[]*tensor.Tensor{f32([]int{1, 3}, 1, 2, 3), nil, scales(1, 2)}, []int{1, 6}, ints(1, 1, 2, 2, 3, 3)},
	}
	for _, tc := range tests {
		got := mustRun(t, "Resize", tc.opset, tc.attrs, 1, tc.in...)[0]
		checkClose(t, tc.name, got, tc.shape, tc.want, 1e-6, 1e-6)
	}
}

func TestResizeTypes(t *testing.T) {
	// Nearest copies elements of any type.
	x := tensor.FromSlice([]int64{1 << 60, 2, 3, 4}, 1, 1, 2, 2)
	got := mustRun(t, "Resize", 19, nil, 1, x, nil, scales(1, 1, 1, 2))[0]
	if got.DType() != tensor.Int64 || got.Int64s()[0] != 1<<60 || got.Int64s()[1] != 1<<60 || got.Int64s()[2] != 2 {
		t.Errorf("int64 nearest: %v", got)
	}
	s, _ := tensor.FromStrings([]int{1, 2}, []string{"a", "b"})
	got = mustRun(t, "Resize", 13, nil, 1, s, nil, scales(1, 2))[0]
	if strings.Join(got.Strings(), "") != "aabb" {
		t.Errorf("string nearest: %v", got.Strings())
	}
	// Linear on uint8 rounds: 63.75 -> 64, 191.25 -> 191.
	u := tensor.FromSlice([]uint8{0, 255}, 1, 2)
	got = mustRun(t, "Resize", 19, []ir.Attr{ir.AString("mode", "linear")}, 1, u, nil, scales(1, 2))[0]
	checkClose(t, "uint8 linear", got, []int{1, 4}, ints(0, 64, 191, 255), 0, 0)
	// float16 and double.
	for _, dt := range []tensor.DType{tensor.Float16, tensor.Float64, tensor.BFloat16} {
		xf := tensor.New(dt, 1, 1, 2, 2)
		for i, v := range []float64{1, 2, 3, 4} {
			xf.SetFloat64At(i, v)
		}
		got = mustRun(t, "Resize", 19, []ir.Attr{ir.AString("mode", "linear")}, 1, xf, nil, scales(1, 1, 2, 2))[0]
		if got.DType() != dt {
			t.Fatalf("%s: output %s", dt, got.DType())
		}
		checkClose(t, dt.String(), got, []int{1, 1, 4, 4}, f64s(1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4), 1e-2, 0)
	}
}

func TestUpsample(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	want := ints(1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4)
	got := mustRun(t, "Upsample", 9, nil, 1, x, scales(1, 1, 2, 3))[0]
	checkClose(t, "opset 9", got, []int{1, 1, 4, 6}, want, 0, 0)
	got = mustRun(t, "Upsample", 7, []ir.Attr{ir.AFloats("scales", 1, 1, 2, 3)}, 1, x)[0]
	checkClose(t, "opset 7", got, []int{1, 1, 4, 6}, want, 0, 0)
	got = mustRun(t, "Upsample", 9, []ir.Attr{ir.AString("mode", "linear")}, 1, x, scales(1, 1, 1, 2))[0]
	checkClose(t, "linear", got, []int{1, 1, 2, 4}, f64s(1, 1.5, 2, 2, 3, 3.5, 4, 4), 0, 0)
	if _, err := runOp(t, "Upsample", 9, nil, 1, x, scales(1, 1, 0.5, 1)); err == nil {
		t.Errorf("scale below 1: no error")
	}
}

func TestResizeErrors(t *testing.T) {
	x := f32([]int{1, 1, 2, 2}, 1, 2, 3, 4)
	tests := []struct {
		name   string
		opset  int
		attrs  []ir.Attr
		in     []*tensor.Tensor
		substr string
	}{
		{"size zero", 19, nil, []*tensor.Tensor{x, nil, nil, sizes(1, 1, 0, 2)}, "at least 1"},
		{"scale shrinks to nothing", 19, nil, []*tensor.Tensor{x, nil, scales(1, 1, 0.1, 1)}, "shrinks"},
		{"negative scale", 19, nil, []*tensor.Tensor{x, nil, scales(1, 1, -2, 1)}, "positive"},
		{"both scales and sizes", 19, nil, []*tensor.Tensor{x, nil, scales(1, 1, 2, 2), sizes(1, 1, 4, 4)}, "only one"},
		{"neither", 19, nil, []*tensor.Tensor{x}, "one of scales and sizes"},
		{"scales length", 19, nil, []*tensor.Tensor{x, nil, scales(2, 2)}, "scales has 2 values"},
		{"bad mode", 19, []ir.Attr{ir.AString("mode", "area")}, []*tensor.Tensor{x, nil, scales(1, 1, 2, 2)}, "mode"},
		{"bad coordinate mode", 19, []ir.Attr{ir.AString("coordinate_transformation_mode", "edge")}, []*tensor.Tensor{x, nil, scales(1, 1, 2, 2)}, "coordinate_transformation_mode"},
		{"crop without roi", 19, []ir.Attr{ir.AString("coordinate_transformation_mode", "tf_crop_and_resize")}, []*tensor.Tensor{x, nil, scales(1, 1, 2, 2)}, "roi"},
		{"roi length", 19, []ir.Attr{ir.AString("coordinate_transformation_mode", "tf_crop_and_resize")}, []*tensor.Tensor{x, scales(0, 1), scales(1, 1, 2, 2)}, "roi has 2 values"},
		{"axes out of range", 18, []ir.Attr{ir.AInts("axes", 4)}, []*tensor.Tensor{x, nil, scales(2)}, "axes"},
		{"repeated axes", 18, []ir.Attr{ir.AInts("axes", 2, -2)}, []*tensor.Tensor{x, nil, scales(2, 2)}, "repeat"},
		{"bad policy", 18, []ir.Attr{ir.AString("keep_aspect_ratio_policy", "fit")}, []*tensor.Tensor{x, nil, nil, sizes(1, 1, 4, 4)}, "keep_aspect_ratio_policy"},
		{"opset 10 without scales", 10, nil, []*tensor.Tensor{x}, "scales"},
	}
	for _, tc := range tests {
		_, err := runOp(t, "Resize", tc.opset, tc.attrs, 1, tc.in...)
		if err == nil || !strings.Contains(err.Error(), tc.substr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.substr)
		}
	}
}
