package nnops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// runOp runs op at opset on the inputs (nil for an omitted one) through
// the registered kernel, with nout outputs. Every input is a constant, so
// the shape function sees Resize's sizes and the like; when the kernel
// succeeds, the shapes the shape function infers must match its outputs.
func runOp(t *testing.T, op string, opset int, attrs []ir.Attr, nout int, in ...*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	t.Helper()
	f := ir.NewFunc("test")
	vals := make([]*ir.Value, len(in))
	for i, x := range in {
		if x != nil {
			vals[i] = f.AddConst(fmt.Sprintf("in%d", i), x)
		}
	}
	names := make([]string, nout)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	if n.Schema == nil {
		t.Fatalf("%s-%d: not in the op table", op, opset)
	}
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		t.Fatalf("%s-%d: no kernel", op, opset)
	}
	ins := make([]tensor.Value, len(in))
	for i, x := range in {
		if x != nil {
			ins[i] = x
		}
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s-%d panicked: %v", op, opset, r)
			}
		}()
		var vs []tensor.Value
		vs, err = ks[0].Run(&kernels.Ctx{Node: n, Opset: opset}, ins)
		for _, v := range vs {
			tt, _ := v.(*tensor.Tensor)
			outs = append(outs, tt)
		}
	}()
	if err != nil {
		return nil, err
	}
	if ierr := ir.InferNode(n, nil); ierr != nil {
		t.Fatalf("%s-%d: kernel succeeded but shape inference failed: %v", op, opset, ierr)
	}
	for i, o := range n.Outputs {
		if o == nil || i >= len(outs) || outs[i] == nil {
			continue
		}
		if o.Type.Elem != outs[i].DType() {
			t.Errorf("%s-%d output %d: inferred %s, kernel gave %s", op, opset, i, o.Type, outs[i].DType())
		}
		if s, ok := o.Type.StaticShape(); ok && !sameShape(s, outs[i].Shape()) {
			t.Errorf("%s-%d output %d: inferred %s, kernel gave shape %v", op, opset, i, o.Type, outs[i].Shape())
		}
	}
	return outs, nil
}

// mustRun is runOp for cases that must succeed.
func mustRun(t *testing.T, op string, opset int, attrs []ir.Attr, nout int, in ...*tensor.Tensor) []*tensor.Tensor {
	t.Helper()
	outs, err := runOp(t, op, opset, attrs, nout, in...)
	if err != nil {
		t.Fatalf("%s-%d: %v", op, opset, err)
	}
	return outs
}

// f32 makes a float32 tensor.
func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// iota32 makes a float32 tensor holding start, start+1, ...
func iota32(shape []int, start float32) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i := range t.Float32s() {
		t.Float32s()[i] = start + float32(i)
	}
	return t
}

// randT makes a tensor of dt with values uniform in [-1, 1).
func randT(rng *rand.Rand, dt tensor.DType, shape ...int) *tensor.Tensor {
	t := tensor.New(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		t.SetFloat64At(i, rng.Float64()*2-1)
	}
	return t
}

// checkClose compares got with the expected shape and values within
// |got-want| <= atol + rtol*|want|.
func checkClose(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float64, rtol, atol float64) {
	t.Helper()
	if !sameShape(got.Shape(), shape) {
		t.Fatalf("%s: shape %v, want %v", name, got.Shape(), shape)
	}
	if got.Len() != len(want) {
		t.Fatalf("%s: %d values, want %d", name, got.Len(), len(want))
	}
	bad := 0
	for i, w := range want {
		g := got.Float64At(i)
		if math.IsNaN(w) && math.IsNaN(g) {
			continue
		}
		if !(math.Abs(g-w) <= atol+rtol*math.Abs(w)) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g", name, i, g, w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ", name, bad, len(want))
	}
}

func f64s(v ...float64) []float64 { return v }

// ints converts values to float64 for checkClose.
func ints(v ...int) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func valuesOf(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.Float64At(i)
	}
	return out
}
