package shapeops

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// call runs the kernel of op at opset on the inputs (nil for an omitted
// one) for a node with nOut outputs. A panic is returned as an error
// starting with "panic:", which the tests treat as a failure.
func call(op string, opset int, attrs []ir.Attr, nOut int, in ...*tensor.Tensor) (outs []*tensor.Tensor, err error) {
	n := &ir.Node{Op: op, Opset: opset, Attrs: attrs, Schema: ir.LookupSchema("", op, opset)}
	vals := make([]tensor.Value, len(in))
	for i, t := range in {
		if t != nil {
			vals[i] = t
			n.Inputs = append(n.Inputs, &ir.Value{Name: fmt.Sprint("in", i)})
		} else {
			n.Inputs = append(n.Inputs, nil)
		}
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprint("out", i)})
	}
	ks := kernels.Lookup(n)
	if len(ks) == 0 {
		return nil, fmt.Errorf("no kernel for %s at opset %d", op, opset)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	res, err := ks[0].Run(&kernels.Ctx{Node: n, Opset: opset}, vals)
	if err != nil {
		return nil, err
	}
	for _, v := range res {
		t, _ := v.(*tensor.Tensor)
		outs = append(outs, t)
	}
	return outs, nil
}

// sameTensor reports how got differs from want, or "" when they are equal
// in type, shape and every element (bit for bit).
func sameTensor(got, want *tensor.Tensor) string {
	if got == nil {
		return "got no tensor"
	}
	if got.DType() != want.DType() || !slices.Equal(got.Shape(), want.Shape()) {
		return fmt.Sprintf("got %s%v, want %s%v", got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	if want.DType() == tensor.String {
		if !slices.Equal(got.Strings(), want.Strings()) {
			return fmt.Sprintf("got %q, want %q", got.Strings(), want.Strings())
		}
		return ""
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		return fmt.Sprintf("got %v, want %v", got, want)
	}
	return ""
}

func f32(shape []int, v ...float32) *tensor.Tensor { return tensor.FromSlice(v, shape...) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.FromSlice(v, shape...) }
func vec(v ...int64) *tensor.Tensor                { return tensor.FromSlice(v) }
func sh(d ...int) []int                            { return d }

func strs(shape []int, v ...string) *tensor.Tensor {
	t, err := tensor.FromStrings(shape, v)
	if err != nil {
		panic(err)
	}
	return t
}

// iota32 returns a float32 tensor holding 0, 1, 2, ... in the given shape.
func iota32(shape ...int) *tensor.Tensor {
	n := kernels.Product(shape)
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return tensor.FromSlice(v, shape...)
}

// kcase is one kernel test: op, opset, attributes and inputs, and either
// the expected outputs or a substring of the expected error.
type kcase struct {
	name  string
	op    string
	opset int
	attrs []ir.Attr
	in    []*tensor.Tensor
	nOut  int // defaults to len(want), or 1
	want  []*tensor.Tensor
	err   string
}

func runCases(t *testing.T, cases []kcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.nOut
			if n == 0 {
				n = max(1, len(tc.want))
			}
			got, err := call(tc.op, tc.opset, tc.attrs, n, tc.in...)
			if err != nil && strings.HasPrefix(err.Error(), "panic:") {
				t.Fatalf("%s panicked: %v", tc.op, err)
			}
			if tc.err != "" {
				if err == nil {
					t.Fatalf("no error, want one containing %q (got %v)", tc.err, got)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q does not contain %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < len(tc.want) {
				t.Fatalf("%d outputs, want %d", len(got), len(tc.want))
			}
			for i, w := range tc.want {
				if w == nil {
					continue
				}
				if d := sameTensor(got[i], w); d != "" {
					t.Errorf("output %d: %s", i, d)
				}
			}
			for _, consts := range []bool{true, false} {
				if msg := checkInfer(tc, n, got, consts); msg != "" {
					t.Errorf("shape inference (constant inputs %v): %s", consts, msg)
				}
			}
		})
	}
}

// checkInfer runs the op's shape function on the types of the case's
// inputs (and their values when consts is set) and reports where the
// inferred output types disagree with the outputs the kernel produced.
// Unknown dims and unknown ranks agree with anything.
func checkInfer(tc kcase, nOut int, got []*tensor.Tensor, consts bool) string {
	n := &ir.Node{Op: tc.op, Opset: tc.opset, Attrs: tc.attrs, Schema: ir.LookupSchema("", tc.op, tc.opset)}
	for i, x := range tc.in {
		if x == nil {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		v := &ir.Value{Name: fmt.Sprint("in", i), Type: ir.TensorOf(x.DType(), ir.DimsOf(x.Shape()))}
		if consts {
			v.Const = x
		}
		n.Inputs = append(n.Inputs, v)
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprint("out", i)})
	}
	if err := ir.InferNode(n, nil); err != nil {
		return fmt.Sprintf("error %v", err)
	}
	for i, o := range n.Outputs {
		if i >= len(got) || got[i] == nil {
			continue
		}
		ty := o.Type
		if ty.Kind != ir.KindTensor {
			return fmt.Sprintf("output %d: inferred %s, not a tensor", i, ty)
		}
		if ty.Elem != got[i].DType() {
			return fmt.Sprintf("output %d: inferred %s, got %s%v", i, ty, got[i].DType(), got[i].Shape())
		}
		if !ty.HasShape {
			continue
		}
		if len(ty.Shape) != got[i].Rank() {
			return fmt.Sprintf("output %d: inferred %s, got shape %v", i, ty, got[i].Shape())
		}
		for d, dim := range ty.Shape {
			if dim.IsKnown() && int(dim.Size) != got[i].Shape()[d] {
				return fmt.Sprintf("output %d: inferred %s, got shape %v", i, ty, got[i].Shape())
			}
		}
	}
	return ""
}

func lookupKernels(n *ir.Node) []kernels.KernelDef { return kernels.Lookup(n) }
