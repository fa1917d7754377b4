package seqmodels

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// sym builds a tensor type from dims given as numbers or names.
func sym(dt tensor.DType, ds ...any) ir.Type {
	out := make([]ir.Dim, len(ds))
	for i, d := range ds {
		switch d := d.(type) {
		case int:
			out[i] = ir.Known(int64(d))
		case string:
			out[i] = ir.Sym(d)
		}
	}
	return ir.TensorOf(dt, out)
}

// TestShapeFunctions runs the shape functions on types with symbolic
// dims and checks the inferred output types (as text) or the error.
func TestShapeFunctions(t *testing.T) {
	f := tensor.Float32
	for _, tc := range []struct {
		name   string
		op     string
		domain string
		opset  int
		in     []ir.Type // Kind unknown: omitted input
		nOut   int
		attrs  []ir.Attr
		want   string // outputs joined by " "
		err    string
	}{
		{name: "LSTM bidirectional", op: "LSTM", opset: 22, nOut: 3,
			in:    []ir.Type{sym(f, "T", "N", 5), sym(f, 2, 12, 5), sym(f, 2, 12, 3)},
			attrs: []ir.Attr{ir.AString("direction", "bidirectional")},
			want:  "f32[T,2,N,3] f32[2,N,3] f32[2,N,3]"},
		{name: "GRU batch-first", op: "GRU", opset: 22, nOut: 2,
			in:    []ir.Type{sym(f, "N", "T", 5), sym(f, 1, 9, 5), sym(f, 1, 9, 3)},
			attrs: []ir.Attr{ir.AInt("layout", 1)},
			want:  "f32[N,T,1,3] f32[N,1,3]"},
		{name: "RNN gate count", op: "RNN", opset: 22, nOut: 2,
			in:  []ir.Type{sym(f, 4, 1, 5), sym(f, 1, 6, 5), sym(f, 1, 3, 3)},
			err: "W's dim 1 must be 3"},
		{name: "Attention 4-D with past", op: "Attention", opset: 23, nOut: 4,
			in: []ir.Type{sym(f, "B", 8, "L", 16), sym(f, "B", 2, "S", 16), sym(f, "B", 2, "S", 32), {},
				sym(f, "B", 2, 7, 16), sym(f, "B", 2, 7, 32)},
			want: "f32[B,8,L,32] f32[B,2,?,16] f32[B,2,?,32] f32[B,8,L,?]"},
		{name: "Attention 3-D", op: "Attention", opset: 23, nOut: 1,
			in:    []ir.Type{sym(f, 2, 4, 24), sym(f, 2, 6, 12), sym(f, 2, 6, 21)},
			attrs: []ir.Attr{ir.AInt("q_num_heads", 6), ir.AInt("kv_num_heads", 3)},
			want:  "f32[2,4,42]"},
		{name: "Attention heads", op: "Attention", opset: 23, nOut: 1,
			in:  []ir.Type{sym(f, 1, 3, 2, 4), sym(f, 1, 2, 2, 4), sym(f, 1, 2, 2, 4)},
			err: "multiple of kv_num_heads"},
		{name: "FlexAttention", op: "FlexAttention", domain: "ai.onnx.preview", opset: 1, nOut: 1,
			in:   []ir.Type{sym(f, "B", 8, "L", 16), sym(f, "B", 2, "S", 16), sym(f, "B", 2, "S", 4)},
			want: "f32[B,8,L,4]"},
		{name: "LinearAttention", op: "LinearAttention", opset: 27, nOut: 2,
			in:    []ir.Type{sym(f, "B", "T", 64), sym(f, "B", "T", 32), sym(f, "B", "T", 24)},
			attrs: []ir.Attr{ir.AInt("q_num_heads", 8), ir.AInt("kv_num_heads", 4)},
			want:  "f32[B,T,48] f32[B,4,8,6]"},
		{name: "CausalConvWithState", op: "CausalConvWithState", opset: 27, nOut: 2,
			in:   []ir.Type{sym(f, "B", 4, "L"), sym(f, 4, 1, 3)},
			want: "f32[B,4,L] f32[B,4,2]"},
		{name: "TensorScatter axis 0", op: "TensorScatter", opset: 24, nOut: 1,
			in: []ir.Type{sym(f, 2, 4), sym(f, 2, 1)}, attrs: []ir.Attr{ir.AInt("axis", 0)},
			err: "must not be 0"},
		{name: "RotaryEmbedding 3-D", op: "RotaryEmbedding", opset: 23, nOut: 1,
			in:  []ir.Type{sym(f, 1, 2, 8), sym(f, 4, 4), sym(f, 4, 4)},
			err: "num_heads"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := ir.NewFunc("test")
			vals := make([]*ir.Value, len(tc.in))
			for i, ty := range tc.in {
				if ty.Kind != ir.KindUnknown {
					vals[i] = fn.AddParam(fmt.Sprintf("in%d", i), ty)
				}
			}
			names := make([]string, tc.nOut)
			for i := range names {
				names[i] = fmt.Sprintf("out%d", i)
			}
			n := fn.NewNode(tc.op, tc.domain, tc.opset, vals, names, tc.attrs...)
			err := ir.InferNode(n, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range n.Outputs {
				got = append(got, o.Type.String())
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("inferred %s, want %s", s, tc.want)
			}
		})
	}
}
