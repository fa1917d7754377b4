package seqmodels

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// f32 builds a float32 tensor of the given shape.
func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// f64 builds a float64 tensor of the given shape.
func f64(shape []int, v ...float64) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// i64 builds an int64 tensor of the given shape.
func i64(shape []int, v ...int64) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

func dims(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// runOp builds a one-node graph for op at opset over ins (nil for an
// omitted input) with the outputs named in outs ("" for an omitted one),
// runs the shape function and the kernel, and checks that the inferred
// types of the produced outputs agree with the computed ones. It returns
// the outputs (nil where omitted) or the kernel's error.
func runOp(t *testing.T, op string, opset int, ins []*tensor.Tensor, outs []string, attrs ...ir.Attr) ([]*tensor.Tensor, error) {
	t.Helper()
	f := ir.NewFunc("test")
	vals := make([]*ir.Value, len(ins))
	for i, x := range ins {
		if x != nil {
			vals[i] = f.AddParam(fmt.Sprintf("in%d", i), ir.TensorType(x.DType(), dims(x.Shape())...))
		}
	}
	n := f.NewNode(op, "", opset, vals, outs, attrs...)
	if n.Schema == nil {
		t.Fatalf("%s: no schema at opset %d", op, opset)
	}
	inferErr := ir.InferNode(n, nil)
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
	got := make([]*tensor.Tensor, len(outs))
	for i := range outs {
		if n.Outputs[i] == nil {
			continue
		}
		if i >= len(res) || res[i] == nil {
			t.Fatalf("%s: output %d missing", op, i)
		}
		got[i] = res[i].(*tensor.Tensor)
		if inferErr != nil {
			continue
		}
		ty := n.Outputs[i].Type
		if ty.Elem != got[i].DType() {
			t.Errorf("%s output %d: inferred element type %s, computed %s", op, i, ty.Elem, got[i].DType())
		}
		if !ty.HasShape {
			continue
		}
		if len(ty.Shape) != got[i].Rank() {
			t.Errorf("%s output %d: inferred %s, computed shape %v", op, i, ty, got[i].Shape())
			continue
		}
		for j, d := range ty.Shape {
			if d.IsKnown() && int(d.Size) != got[i].Dim(j) {
				t.Errorf("%s output %d: inferred %s, computed shape %v", op, i, ty, got[i].Shape())
			}
		}
	}
	if inferErr != nil {
		t.Errorf("%s: shape function failed where the kernel succeeded: %v", op, inferErr)
	}
	return got, nil
}

// mustRun is runOp failing the test on a kernel error.
func mustRun(t *testing.T, op string, opset int, ins []*tensor.Tensor, outs []string, attrs ...ir.Attr) []*tensor.Tensor {
	t.Helper()
	got, err := runOp(t, op, opset, ins, outs, attrs...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return got
}

// wantErr runs op and checks that the kernel fails with an error
// mentioning each of the given fragments.
func wantErr(t *testing.T, op string, opset int, ins []*tensor.Tensor, outs []string, frag string, attrs ...ir.Attr) {
	t.Helper()
	_, err := runOp(t, op, opset, ins, outs, attrs...)
	if err == nil {
		t.Errorf("%s: no error, want one mentioning %q", op, frag)
		return
	}
	if !strings.Contains(err.Error(), frag) {
		t.Errorf("%s: error %q does not mention %q", op, err, frag)
	}
}

// checkClose compares t with the expected shape and values.
func checkClose(t *testing.T, name string, got *tensor.Tensor, shape []int, want []float64, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no output", name)
		return
	}
	if !sameShape(got, shape...) {
		t.Errorf("%s: shape %v, want %v", name, got.Shape(), shape)
		return
	}
	for i, w := range want {
		g := got.Float64At(i)
		if math.IsNaN(w) != math.IsNaN(g) || !math.IsNaN(w) && math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Errorf("%s[%d] = %g, want %g", name, i, g, w)
		}
	}
}
