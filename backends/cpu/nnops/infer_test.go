package nnops

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Shape inference without constant inputs: symbolic batch dims pass
// through, data-dependent dims become unknown, and rule violations are
// errors.
func TestShapeInference(t *testing.T) {
	sym := func(dims ...any) ir.Type {
		ds := make([]ir.Dim, len(dims))
		for i, d := range dims {
			switch v := d.(type) {
			case int:
				ds[i] = ir.Known(int64(v))
			case string:
				ds[i] = ir.Sym(v)
			default:
				ds[i] = ir.Unknown()
			}
		}
		return ir.TensorOf(tensor.Float32, ds)
	}
	i64 := func(n int64) ir.Type { return ir.TensorType(tensor.Int64, n) }
	tests := []struct {
		name   string
		op     string
		opset  int
		attrs  []ir.Attr
		in     []ir.Type
		nout   int
		want   []string // output types; "" skips
		errSub string
	}{
		{"conv", "Conv", 11, []ir.Attr{ir.AInts("strides", 2, 2), ir.AInts("pads", 3, 3, 3, 3)},
			[]ir.Type{sym("N", 3, 224, 224), sym(64, 3, 7, 7)}, 1, []string{"f32[N,64,112,112]"}, ""},
		{"conv same_lower unknown width", "Conv", 22, []ir.Attr{ir.AString("auto_pad", "SAME_LOWER"), ir.AInts("strides", 2, 2)},
			[]ir.Type{sym(1, 4, 9, nil), sym(8, 4, 3, 3)}, 1, []string{"f32[1,8,5,?]"}, ""},
		{"conv integer", "ConvInteger", 10, nil,
			[]ir.Type{ir.TensorType(tensor.Uint8, 1, 1, 3, 3), ir.TensorType(tensor.Uint8, 1, 1, 2, 2)}, 1, []string{"i32[1,1,2,2]"}, ""},
		{"conv transpose", "ConvTranspose", 22, []ir.Attr{ir.AInts("strides", 2, 2), ir.AInt("group", 2)},
			[]ir.Type{sym("N", 4, 5, 6), sym(4, 3, 3, 3)}, 1, []string{"f32[N,6,11,13]"}, ""},
		{"conv transpose same_upper", "ConvTranspose", 22, []ir.Attr{ir.AInts("strides", 2, 2), ir.AString("auto_pad", "SAME_UPPER")},
			[]ir.Type{sym(1, 1, 3, 3), sym(1, 2, 3, 3)}, 1, []string{"f32[1,2,6,6]"}, ""},
		{"maxpool with indices", "MaxPool", 12, []ir.Attr{ir.AInts("kernel_shape", 3, 3), ir.AInts("strides", 2, 2), ir.AInt("ceil_mode", 1)},
			[]ir.Type{sym("N", "C", 112, 112)}, 2, []string{"f32[N,C,56,56]", "i64[N,C,56,56]"}, ""},
		{"global pool", "GlobalAveragePool", 22, nil, []ir.Type{sym("N", 7, 3, 5, 6)}, 1, []string{"f32[N,7,1,1,1]"}, ""},
		{"resize unknown scales", "Resize", 19, nil, []ir.Type{sym("N", 3, 4, 4), {}, ir.TensorType(tensor.Float32, 4)}, 1, []string{"f32[?,?,?,?]"}, ""},
		{"roialign", "RoiAlign", 16, []ir.Attr{ir.AInt("output_height", 7), ir.AInt("output_width", 5)},
			[]ir.Type{sym("N", 256, 50, 50), sym("R", 4), ir.TensorOf(tensor.Int64, []ir.Dim{ir.Sym("R")})}, 1, []string{"f32[R,256,7,5]"}, ""},
		{"gridsample", "GridSample", 20, nil, []ir.Type{sym("N", 3, 10, 10), sym("N", 4, 6, 2)}, 1, []string{"f32[N,3,4,6]"}, ""},
		{"affinegrid unknown size", "AffineGrid", 20, nil, []ir.Type{sym("N", 2, 3), i64(4)}, 1, []string{"f32[?,?,?,2]"}, ""},
		{"maxunpool", "MaxUnpool", 22, []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2)},
			[]ir.Type{sym(1, 3, 4, 5), ir.TensorType(tensor.Int64, 1, 3, 4, 5)}, 1, []string{"f32[1,3,8,10]"}, ""},
		// Violations.
		{"channel mismatch", "Conv", 22, nil, []ir.Type{sym(1, 3, 8, 8), sym(4, 2, 3, 3)}, 1, nil, "channel mismatch"},
		{"kernel too large", "MaxPool", 22, []ir.Attr{ir.AInts("kernel_shape", 9, 9)}, []ir.Type{sym(1, 3, 8, 8)}, 1, nil, "larger than the padded input"},
		{"pool rank", "AveragePool", 22, []ir.Attr{ir.AInts("kernel_shape", 2)}, []ir.Type{sym(3, 8)}, 1, nil, "rank"},
		{"grid last dim", "GridSample", 20, nil, []ir.Type{sym(1, 3, 10, 10), sym(1, 4, 6, 3)}, 1, nil, "last dim"},
	}
	for _, tc := range tests {
		f := ir.NewFunc("t")
		vals := make([]*ir.Value, len(tc.in))
		for i, ty := range tc.in {
			if ty.Kind != ir.KindUnknown {
				vals[i] = f.AddParam("in"+string(rune('0'+i)), ty)
			}
		}
		names := []string{"y", "z"}[:tc.nout]
		n := f.NewNode(tc.op, "", tc.opset, vals, names, tc.attrs...)
		err := ir.InferNode(n, nil)
		if tc.want == nil {
			if err == nil || !strings.Contains(err.Error(), tc.errSub) {
				t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.errSub)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for i, w := range tc.want {
			if got := n.Outputs[i].Type.String(); w != "" && got != w {
				t.Errorf("%s: output %d is %s, want %s", tc.name, i, got, w)
			}
		}
	}
}
