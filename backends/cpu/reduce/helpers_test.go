package reduce

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// runOp builds a one-node graph for op at opset over the given inputs (nil
// for an omitted optional input), runs its shape function and its kernel,
// and checks that the inferred types agree with the computed outputs.
func runOp(t *testing.T, op string, opset int, ins []*tensor.Tensor, nOut int, attrs ...ir.Attr) ([]*tensor.Tensor, error) {
	t.Helper()
	f := ir.NewFunc("test")
	vals := make([]*ir.Value, len(ins))
	consts := map[*ir.Value]*tensor.Tensor{}
	for i, x := range ins {
		if x == nil {
			continue
		}
		vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ir.TensorType(x.DType(), int64s(x.Shape())...))
		consts[vals[i]] = x
	}
	names := make([]string, nOut)
	for i := range names {
		names[i] = fmt.Sprintf("out%d", i)
	}
	n := f.NewNode(op, "", opset, vals, names, attrs...)
	if n.Schema == nil {
		t.Fatalf("%s: no schema at opset %d", op, opset)
	}
	inferErr := ir.InferNode(n, consts)
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		t.Fatalf("%s: no kernel at opset %d", op, opset)
	}
	vs := make([]tensor.Value, len(ins))
	for i, x := range ins {
		if x != nil {
			vs[i] = x
		}
	}
	var res []tensor.Value
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s panicked: %v", op, r)
			}
		}()
		res, err = ks[0].Run(&kernels.Ctx{Node: n, Opset: opset}, vs)
		return err
	}()
	if err != nil {
		return nil, err
	}
	if len(res) < nOut {
		t.Fatalf("%s: %d outputs, want %d", op, len(res), nOut)
	}
	outs := make([]*tensor.Tensor, nOut)
	for i := range outs {
		outs[i] = res[i].(*tensor.Tensor)
	}
	if inferErr != nil {
		t.Errorf("%s: shape function failed where the kernel succeeded: %v", op, inferErr)
		return outs, nil
	}
	for i, o := range outs {
		ty := n.Outputs[i].Type
		if ty.Elem != o.DType() {
			t.Errorf("%s output %d: inferred element type %s, computed %s", op, i, ty.Elem, o.DType())
		}
		if ty.HasShape {
			if len(ty.Shape) != o.Rank() {
				t.Errorf("%s output %d: inferred %s, computed shape %v", op, i, ty, o.Shape())
				continue
			}
			for j, d := range ty.Shape {
				if d.IsKnown() && int(d.Size) != o.Shape()[j] {
					t.Errorf("%s output %d: inferred %s, computed shape %v", op, i, ty, o.Shape())
				}
			}
		}
	}
	return outs, nil
}

func int64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// f32 makes a float32 tensor of the given shape.
func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// f64 makes a float64 tensor of the given shape.
func f64(shape []int, v ...float64) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// i64 makes an int64 tensor of the given shape.
func i64(shape []int, v ...int64) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// seq returns 1, 2, ..., n as float32.
func seq(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(i + 1)
	}
	return out
}

// expectClose checks got against a shape and values within a relative
// tolerance of 1e-5 (plus 1e-6 absolute); NaNs and infinities must match.
func expectClose(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float64) {
	t.Helper()
	if !equalInts(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	if got.Len() != len(want) {
		t.Errorf("%s: %d values, want %d", name, got.Len(), len(want))
		return
	}
	for i, w := range want {
		g := got.Float64At(i)
		switch {
		case math.IsNaN(w) || math.IsNaN(g):
			if math.IsNaN(w) != math.IsNaN(g) {
				t.Errorf("%s[%d] = %v, want %v", name, i, g, w)
			}
		case math.IsInf(w, 0) || math.IsInf(g, 0):
			if g != w {
				t.Errorf("%s[%d] = %v, want %v", name, i, g, w)
			}
		case math.Abs(g-w) > 1e-6+1e-5*math.Abs(w):
			t.Errorf("%s[%d] = %v, want %v (all: %v)", name, i, g, w, got)
			return
		}
	}
}

// expectInts checks an integer tensor exactly.
func expectInts(t *testing.T, name string, got *tensor.Tensor, dt tensor.DType, shape []int, want []int64) {
	t.Helper()
	if got.DType() != dt {
		t.Errorf("%s: element type %s, want %s", name, got.DType(), dt)
	}
	if !equalInts(got.Shape(), shape) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	for i, w := range want {
		if g := got.Int64At(i); g != w {
			t.Errorf("%s: got %v, want %v", name, got.Int64sOf(), want)
			return
		}
	}
}

// expectErr checks that err names the violated rule.
func expectErr(t *testing.T, name string, err error, substr string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error, want one containing %q", name, substr)
		return
	}
	if !strings.Contains(err.Error(), substr) {
		t.Errorf("%s: error %q does not contain %q", name, err, substr)
	}
}

// lcg is a small deterministic generator of test values in [-1, 1).
type lcg uint64

func (g *lcg) next() float64 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return float64(int64(*g>>11)%2000)/1000 - 1
}

func (g *lcg) values(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}
