package shapeops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

var familyOps = []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice",
	"Gather", "GatherElements", "GatherND", "ScatterElements", "Scatter", "ScatterND", "Expand", "Tile",
	"Pad", "Shape", "Size", "ConstantOfShape", "Range", "EyeLike", "Compress", "NonZero", "Unique",
	"Trilu", "OneHot", "DepthToSpace", "SpaceToDepth", "CenterCropPad", "ReverseSequence"}

// TestMalformedNodes feeds every op of the family, at each of its
// versions, nodes with missing inputs, inputs of the wrong type or rank,
// and no outputs, to the kernel and to the shape function: each must
// return (an error is expected) without panicking.
func TestMalformedNodes(t *testing.T) {
	inputSets := [][]*tensor.Tensor{
		nil,
		{nil},
		{iota32(2, 3)},
		{iota32(2, 3), nil, nil},
		{nil, vec(1), vec(1)},
		{iota32(2, 3), strs(sh(1), "x"), strs(sh(1), "y"), strs(sh(1), "z")},
		{strs(sh(2), "a", "b"), f32(sh(1), 0.5), f32(sh(2), 1, 2), f32(sh(1), 3)},
		{tensor.Scalar(float32(1)), tensor.Scalar(int64(0)), tensor.Scalar(int64(0)), tensor.Scalar(int64(0)), tensor.Scalar(int64(0))},
		{iota32(2, 3), i64(sh(2, 2), 0, 1, 1, 0), iota32(2, 3)},
	}
	for _, op := range familyOps {
		s := ir.FindSchema("", op)
		for _, opset := range s.Versions {
			if s.Deprecated > 0 && opset >= s.Deprecated {
				continue
			}
			for k, in := range inputSets {
				for _, nOut := range []int{0, 1, 4} {
					_, err := call(op, opset, nil, nOut, in...)
					if err != nil && strings.HasPrefix(err.Error(), "panic:") {
						t.Errorf("%s-%d kernel, inputs %d, %d outputs: %v", op, opset, k, nOut, err)
					}
					if err := inferNoPanic(op, opset, in, nOut); err != nil {
						t.Errorf("%s-%d shape function, inputs %d, %d outputs: %v", op, opset, k, nOut, err)
					}
				}
			}
		}
	}
}

func inferNoPanic(op string, opset int, in []*tensor.Tensor, nOut int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	n := &ir.Node{Op: op, Opset: opset, Schema: ir.LookupSchema("", op, opset)}
	for i, x := range in {
		if x == nil {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		n.Inputs = append(n.Inputs, &ir.Value{Name: fmt.Sprint("in", i), Type: ir.TensorOf(x.DType(), ir.DimsOf(x.Shape())), Const: x})
	}
	for i := 0; i < nOut; i++ {
		n.Outputs = append(n.Outputs, &ir.Value{Name: fmt.Sprint("out", i)})
	}
	_ = ir.InferNode(n, nil)
	return nil
}

// TestMissingInputs checks that a missing required input is reported by
// name, by the kernel and by the shape function.
func TestMissingInputs(t *testing.T) {
	_, err := call("Gather", 13, nil, 1, iota32(2, 3))
	if err == nil || !strings.Contains(err.Error(), "needs input 1 (indices)") {
		t.Errorf("kernel: got %v", err)
	}
	n := &ir.Node{Op: "Expand", Opset: 13, Schema: ir.LookupSchema("", "Expand", 13),
		Inputs: []*ir.Value{{Name: "x", Type: ir.TensorType(tensor.Float32, 2)}}, Outputs: []*ir.Value{{Name: "y"}}}
	if err := ir.InferNode(n, nil); err == nil || !strings.Contains(err.Error(), "needs input 1 (shape)") {
		t.Errorf("shape function: got %v", err)
	}
}
