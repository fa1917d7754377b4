package seqmodels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestMalformedInputsDoNotPanic feeds every op of the family tensors of
// random small shapes and a few attribute settings, and requires the
// shape function and the kernel to return (an error or a result) rather
// than panic.
func TestMalformedInputsDoNotPanic(t *testing.T) {
	ops := []struct {
		op, domain string
		opset      int
		nIn, nOut  int
		attrs      [][]ir.Attr
	}{
		{"RNN", "", 22, 6, 2, [][]ir.Attr{nil, {ir.AString("direction", "bidirectional")}, {ir.AInt("layout", 1)}}},
		{"GRU", "", 22, 6, 2, [][]ir.Attr{nil, {ir.AInt("linear_before_reset", 1), ir.AInt("layout", 1)}}},
		{"LSTM", "", 22, 8, 3, [][]ir.Attr{nil, {ir.AString("direction", "reverse"), ir.AInt("input_forget", 1)}}},
		{"Attention", "", 24, 7, 4, [][]ir.Attr{nil, {ir.AInt("is_causal", 1), ir.AInt("qk_matmul_output_mode", 3)},
			{ir.AInt("q_num_heads", 2), ir.AInt("kv_num_heads", 1)}, {ir.AFloat("softcap", 1)}}},
		{"FlexAttention", "ai.onnx.preview", 1, 3, 1, [][]ir.Attr{nil}},
		{"RotaryEmbedding", "", 23, 4, 1, [][]ir.Attr{nil, {ir.AInt("interleaved", 1), ir.AInt("num_heads", 2)},
			{ir.AInt("rotary_embedding_dim", 2)}}},
		{"TensorScatter", "", 24, 3, 1, [][]ir.Attr{nil, {ir.AString("mode", "circular"), ir.AInt("axis", 1)}}},
		{"LinearAttention", "", 27, 6, 2, [][]ir.Attr{{ir.AInt("q_num_heads", 2), ir.AInt("kv_num_heads", 1)},
			{ir.AInt("q_num_heads", 1), ir.AInt("kv_num_heads", 1), ir.AString("update_rule", "linear")}}},
		{"CausalConvWithState", "", 27, 4, 2, [][]ir.Attr{nil, {ir.AString("activation", "silu")}}},
		{"CumProd", "", 26, 2, 1, [][]ir.Attr{nil, {ir.AInt("exclusive", 1), ir.AInt("reverse", 1)}}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	types := []tensor.DType{tensor.Float32, tensor.Float32, tensor.Float32, tensor.Float32, tensor.Float16, tensor.Int64, tensor.Int32, tensor.Bool}
	randTensor := func() *tensor.Tensor {
		if rng.IntN(5) == 0 {
			return nil
		}
		shape := make([]int, rng.IntN(5))
		for i := range shape {
			shape[i] = rng.IntN(4)
		}
		x := tensor.New(types[rng.IntN(len(types))], shape...)
		for i := 0; i < x.Len(); i++ {
			x.SetFloat64At(i, float64(rng.IntN(5)-1))
		}
		return x
	}
	for _, o := range ops {
		for trial := 0; trial < 400; trial++ {
			f := ir.NewFunc("test")
			ins := make([]*tensor.Tensor, 1+rng.IntN(o.nIn))
			vals := make([]*ir.Value, len(ins))
			vs := make([]tensor.Value, len(ins))
			for i := range ins {
				ins[i] = randTensor()
				if ins[i] != nil {
					vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ir.TensorType(ins[i].DType(), dims(ins[i].Shape())...))
					vs[i] = ins[i]
				}
			}
			outs := make([]string, o.nOut)
			for i := range outs {
				if i == 0 || rng.IntN(2) == 0 {
					outs[i] = fmt.Sprintf("out%d", i)
				}
			}
			attrs := o.attrs[rng.IntN(len(o.attrs))]
			n := f.NewNode(o.op, o.domain, o.opset, vals, outs, attrs...)
			desc := func() string {
				s := o.op
				for _, x := range ins {
					if x == nil {
						s += " _"
					} else {
						s += fmt.Sprintf(" %s%v", x.DType(), x.Shape())
					}
				}
				return s
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("%s with %v panicked: %v", desc(), attrs, r)
					}
				}()
				_ = ir.InferNode(n, nil)
				ks := kernels.Lookup(n)
				if len(ks) == 0 {
					t.Fatalf("%s: no kernel", o.op)
				}
				_, _ = ks[0].Run(&kernels.Ctx{Node: n, Opset: o.opset}, vs)
			}()
		}
	}
}
