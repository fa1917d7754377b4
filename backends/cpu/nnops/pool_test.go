package nnops

import (
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func TestPooling(t *testing.T) {
	x55 := iota32([]int{1, 1, 5, 5}, 1)
	x44 := iota32([]int{1, 1, 4, 4}, 1)
	tests := []struct {
		name  string
		op    string
		opset int
		attrs []ir.Attr
		x     *tensor.Tensor
		shape []int
		want  []float64
	}{
		// The documentation's examples.
		{"max pads", "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 5, 5), ir.AInts("pads", 2, 2, 2, 2)}, x55, []int{1, 1, 5, 5},
			ints(13, 14, 15, 15, 15, 18, 19, 20, 20, 20, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25, 23, 24, 25, 25, 25)},
		{"max strides", "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2)}, x55, []int{1, 1, 2, 2},
			ints(7, 9, 17, 19)},
		{"max ceil", "MaxPool", 10, []ir.Attr{ir.AInts("kernel_shape", 3, 3), ir.AInts("strides", 2, 2), ir.AInt("ceil_mode", 1)}, x44, []int{1, 1, 2, 2},
			ints(11, 12, 15, 16)},
		{"max dilations", "MaxPool", 12, []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("dilations", 2, 2)}, x44, []int{1, 1, 2, 2},
			ints(11, 12, 15, 16)},
		{"max same_upper", "MaxPool", 8, []ir.Attr{ir.AInts("kernel_shape", 3, 3), ir.AInts("strides", 2, 2), ir.AString("auto_pad", "SAME_UPPER")}, x55, []int{1, 1, 3, 3},
			ints(7, 9, 10, 17, 19, 20, 22, 24, 25)},
		{"average pads", "AveragePool", 7, []ir.Attr{ir.AInts("kernel_shape", 5, 5), ir.AInts("pads", 2, 2, 2, 2)}, x55, []int{1, 1, 5, 5},
			f64s(7, 7.5, 8, 8.5, 9, 9.5, 10, 10.5, 11, 11.5, 12, 12.5, 13, 13.5, 14, 14.5, 15, 15.5, 16, 16.5, 17, 17.5, 18, 18.5, 19)},
		{"average count_include_pad", "AveragePool", 22, []ir.Attr{ir.AInts("kernel_shape", 5, 5), ir.AInts("pads", 2, 2, 2, 2), ir.AInt("count_include_pad", 1)}, x55, []int{1, 1, 5, 5},
			f64s(2.52, 3.6, 4.8, 4.08, 3.24, 4.56, 6.4, 8.4, 7.04, 5.52, 7.2, 10, 13, 10.8, 8.4, 6.96, 9.6, 12.4, 10.24, 7.92, 6.12, 8.4, 10.8, 8.88, 6.84)},
		// Hand-computed: a 2x2 ceil-mode window at (2,2) of a 3x3 input
		// holds only x[2][2]; with count_include_pad the pad column and
		// row count but the ceil extension does not.
		{"average ceil", "AveragePool", 19, []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2), ir.AInt("ceil_mode", 1)},
			iota32([]int{1, 1, 3, 3}, 1), []int{1, 1, 2, 2}, f64s(3, 4.5, 7.5, 9)},
		{"lp p=2", "LpPool", 22, []ir.Attr{ir.AInts("kernel_shape", 2), ir.AInt("p", 2)},
			f32([]int{1, 1, 4}, 3, 4, 0, -12), []int{1, 1, 3}, f64s(5, 4, 12)},
		{"lp p=1 pads", "LpPool", 18, []ir.Attr{ir.AInts("kernel_shape", 2), ir.AInt("p", 1), ir.AInts("pads", 1, 0)},
			f32([]int{1, 1, 3}, -1, 2, -3), []int{1, 1, 3}, f64s(1, 3, 5)},
		{"global average", "GlobalAveragePool", 22, nil, iota32([]int{1, 2, 2, 2}, 0), []int{1, 2, 1, 1}, f64s(1.5, 5.5)},
		{"global max", "GlobalMaxPool", 1, nil, f32([]int{1, 2, 3}, 1, 9, 2, -1, -5, -2), []int{1, 2, 1}, f64s(9, -1)},
		{"global lp", "GlobalLpPool", 2, []ir.Attr{ir.AInt("p", 2)}, f32([]int{1, 1, 2, 1}, 3, 4), []int{1, 1, 1, 1}, f64s(5)},
		{"average 1d", "AveragePool", 1, []ir.Attr{ir.AInts("kernel_shape", 2)}, f32([]int{1, 1, 4}, 1, 3, 5, 7), []int{1, 1, 3}, f64s(2, 4, 6)},
		{"max 3d", "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 2, 2, 2)}, iota32([]int{1, 1, 2, 2, 3}, 0), []int{1, 1, 1, 1, 2}, f64s(10, 11)},
	}
	for _, tc := range tests {
		got := mustRun(t, tc.op, tc.opset, tc.attrs, 1, tc.x)[0]
		checkClose(t, tc.name, got, tc.shape, tc.want, 1e-6, 1e-6)
	}
}

func TestMaxPoolIndicesAndTypes(t *testing.T) {
	x := iota32([]int{1, 1, 5, 5}, 1)
	// The documentation's examples, row-major and column-major.
	outs := mustRun(t, "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 5, 5), ir.AInts("pads", 2, 2, 2, 2)}, 2, x)
	checkClose(t, "indices", outs[1], []int{1, 1, 5, 5},
		ints(12, 13, 14, 14, 14, 17, 18, 19, 19, 19, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24, 22, 23, 24, 24, 24), 0, 0)
	outs = mustRun(t, "MaxPool", 8, []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2), ir.AInt("storage_order", 1)}, 2, x)
	checkClose(t, "values", outs[0], []int{1, 1, 2, 2}, ints(7, 9, 17, 19), 0, 0)
	checkClose(t, "column-major indices", outs[1], []int{1, 1, 2, 2}, ints(6, 16, 8, 18), 0, 0)
	// Indices count from the start of the whole tensor.
	outs = mustRun(t, "MaxPool", 12, []ir.Attr{ir.AInts("kernel_shape", 2)}, 2, f32([]int{2, 1, 3}, 1, 3, 2, 5, 4, 6))
	checkClose(t, "batched indices", outs[1], []int{2, 1, 2}, ints(1, 1, 3, 5), 0, 0)

	// 8-bit inputs keep their type and exact values.
	for _, dt := range []tensor.DType{tensor.Uint8, tensor.Int8, tensor.Float16, tensor.Float64, tensor.BFloat16} {
		xi := tensor.New(dt, 1, 1, 4)
		for i, v := range []float64{1, 100, -3, 7} {
			if dt == tensor.Uint8 {
				v = math.Abs(v)
			}
			xi.SetFloat64At(i, v)
		}
		got := mustRun(t, "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 2)}, 1, xi)[0]
		if got.DType() != dt {
			t.Fatalf("%s: output type %s", dt, got.DType())
		}
		want := f64s(100, 100, 7)
		checkClose(t, dt.String(), got, []int{1, 1, 3}, want, 0, 0)
	}
}

func TestMaxUnpool(t *testing.T) {
	// The documentation's example, with and without output_shape.
	x := f32([]int{1, 1, 2, 2}, 5, 6, 7, 8)
	idx := tensor.FromSlice([]int64{5, 7, 13, 15}, 1, 1, 2, 2)
	attrs := []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2)}
	got := mustRun(t, "MaxUnpool", 11, attrs, 1, x, idx)[0]
	checkClose(t, "default shape", got, []int{1, 1, 4, 4}, ints(0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8), 0, 0)
	got = mustRun(t, "MaxUnpool", 22, attrs, 1, x, idx, tensor.FromSlice([]int64{1, 1, 5, 5}))[0]
	checkClose(t, "output_shape", got, []int{1, 1, 5, 5},
		ints(0, 0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 0, 0, 7, 0, 8, 0, 0, 0, 0, 0, 0), 0, 0)
	_, err := runOp(t, "MaxUnpool", 22, attrs, 1, x, tensor.FromSlice([]int64{5, 7, 13, 16}, 1, 1, 2, 2))
	if err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("index out of range: error %v", err)
	}
}

func TestMaxRoiPool(t *testing.T) {
	// One roi covering the whole 4x4 ramp pooled to 2x2: each quadrant's
	// maximum. A second roi covering columns 0..1 and rows 2..3: one
	// pixel per bin.
	x := iota32([]int{1, 1, 4, 4}, 0)
	rois := f32([]int{2, 5}, 0, 0, 0, 3, 3, 0, 0, 2, 1, 3)
	got := mustRun(t, "MaxRoiPool", 22, []ir.Attr{ir.AInts("pooled_shape", 2, 2)}, 1, x, rois)[0]
	checkClose(t, "maxroipool", got, []int{2, 1, 2, 2}, ints(5, 7, 13, 15, 8, 9, 12, 13), 0, 0)
}

func TestPoolErrors(t *testing.T) {
	x := iota32([]int{1, 1, 4, 4}, 0)
	tests := []struct {
		name   string
		op     string
		attrs  []ir.Attr
		substr string
	}{
		{"kernel larger than padded input", "MaxPool", []ir.Attr{ir.AInts("kernel_shape", 5, 5)}, "larger than the padded input"},
		{"kernel_shape length", "AveragePool", []ir.Attr{ir.AInts("kernel_shape", 2)}, "kernel_shape"},
		{"zero kernel", "MaxPool", []ir.Attr{ir.AInts("kernel_shape", 0, 2)}, "kernel_shape"},
		{"dilation zero", "MaxPool", []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("dilations", 0, 1)}, "dilation"},
		{"storage order", "MaxPool", []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInt("storage_order", 2)}, "storage_order"},
		{"lp p", "LpPool", []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInt("p", 0)}, "p must be positive"},
	}
	for _, tc := range tests {
		_, err := runOp(t, tc.op, 22, tc.attrs, 1, x)
		if err == nil || !strings.Contains(err.Error(), tc.substr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.substr)
		}
	}
	if _, err := runOp(t, "MaxRoiPool", 22, []ir.Attr{ir.AInts("pooled_shape", 1, 1)}, 1, x, f32([]int{1, 5}, 3, 0, 0, 1, 1)); err == nil {
		t.Errorf("MaxRoiPool with batch index 3 of 1: no error")
	}
}

// Attributes and data from a hostile model must give errors, not
// exhaust memory or panic.
func TestHostileInputs(t *testing.T) {
	x := iota32([]int{1, 1, 4, 4}, 0)
	if _, err := runOp(t, "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 100000, 100000), ir.AInts("pads", 99999, 99999, 99999, 99999)}, 1, x); err == nil {
		t.Errorf("MaxPool with 10^10 taps: no error")
	}
	if _, err := runOp(t, "RoiAlign", 22, nil, 1, x, f32([]int{1, 4}, 0, 0, 1e30, 1e30), tensor.FromSlice([]int64{0})); err == nil {
		t.Errorf("RoiAlign with a 1e30 roi: no error")
	}
	if _, err := runOp(t, "RoiAlign", 22, nil, 1, x, f32([]int{1, 4}, float32(math.NaN()), 0, 1, 1), tensor.FromSlice([]int64{0})); err == nil {
		t.Errorf("RoiAlign with a NaN roi: no error")
	}
	got := mustRun(t, "RoiAlign", 22, []ir.Attr{ir.AInt("sampling_ratio", 2)}, 1, x, f32([]int{1, 4}, float32(math.NaN()), 0, 1, 1), tensor.FromSlice([]int64{0}))[0]
	checkClose(t, "NaN roi with sampling_ratio", got, []int{1, 1, 1, 1}, f64s(0), 0, 0)
	empty := tensor.New(tensor.Float32, 1, 0, 1)
	if _, err := runOp(t, "Col2Im", 18, nil, 1, empty, tensor.FromSlice([]int64{100000, 100000}), tensor.FromSlice([]int64{100000, 100000})); err == nil {
		t.Errorf("Col2Im with a 10^10-tap block: no error")
	}
	if _, err := runOp(t, "Resize", 19, nil, 1, x, nil, nil, tensor.FromSlice([]int64{1, 1, 1 << 40, 1 << 40})); err == nil {
		t.Errorf("Resize to 2^80 elements: no error")
	}
	// NaN grid positions and offsets read zero.
	got = mustRun(t, "GridSample", 20, nil, 1, x, f32([]int{1, 1, 1, 2}, float32(math.NaN()), 0))[0]
	checkClose(t, "NaN grid", got, []int{1, 1, 1, 1}, f64s(0), 0, 0)
}
