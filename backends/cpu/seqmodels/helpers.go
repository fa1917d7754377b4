package seqmodels

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// wants reports whether the node has output i.
func wants(c *kernels.Ctx, i int) bool {
	return i < len(c.Node.Outputs) && c.Node.Outputs[i] != nil
}

// input returns in[i], or nil when the input is omitted.
func input(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// requireFloat returns an error unless t is present and of a real float
// type.
func requireFloat(t *tensor.Tensor, name string) error {
	if t == nil {
		return fmt.Errorf("input %s is missing", name)
	}
	switch t.DType() {
	case tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16:
		return nil
	}
	return fmt.Errorf("%s must be float16, float32, float64 or bfloat16, got %s", name, t.DType())
}

// requireShape returns an error unless t has exactly the given shape.
func requireShape(t *tensor.Tensor, name string, shape ...int) error {
	s := t.Shape()
	ok := len(s) == len(shape)
	for i := 0; ok && i < len(s); i++ {
		ok = s[i] == shape[i]
	}
	if !ok {
		return fmt.Errorf("%s must have shape %v, got %v", name, shape, s)
	}
	return nil
}

// requireRank returns an error unless t has the given rank.
func requireRank(t *tensor.Tensor, name string, rank int) error {
	if t.Rank() != rank {
		return fmt.Errorf("%s must have rank %d, got shape %v", name, rank, t.Shape())
	}
	return nil
}

// floats returns the elements of t as float64 values.
func floats(t *tensor.Tensor) []float64 {
	out := make([]float64, t.Len())
	switch t.DType() {
	case tensor.Float64:
		copy(out, tensor.Data[float64](t))
	case tensor.Float32:
		for i, v := range tensor.Data[float32](t) {
			out[i] = float64(v)
		}
	default:
		for i := range out {
			out[i] = t.Float64At(i)
		}
	}
	return out
}

// ints returns the elements of an integer tensor as int64 values.
func ints(t *tensor.Tensor) []int64 {
	out := make([]int64, t.Len())
	for i := range out {
		out[i] = t.Int64At(i)
	}
	return out
}

// alloc allocates a tensor, turning an absurd shape into an error.
func alloc(dt tensor.DType, shape []int) (*tensor.Tensor, error) {
	return tensor.Alloc(dt, shape)
}

// fromFloats returns a tensor of type dt and the given shape holding v,
// each value rounded to dt once (float16 and bfloat16 through float32).
func fromFloats(dt tensor.DType, shape []int, v []float64) (*tensor.Tensor, error) {
	t, err := alloc(dt, shape)
	if err != nil {
		return nil, err
	}
	switch dt {
	case tensor.Float64:
		copy(tensor.Data[float64](t), v)
	case tensor.Float32:
		d := tensor.Data[float32](t)
		for i, x := range v {
			d[i] = float32(x)
		}
	default:
		for i, x := range v {
			t.SetFloat64At(i, x)
		}
	}
	return t, nil
}

// fromInts returns a tensor of integer type dt holding v, wrapped to dt's
// width.
func fromInts(dt tensor.DType, shape []int, v []int64) (*tensor.Tensor, error) {
	t, err := alloc(dt, shape)
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		t.SetInt64At(i, x)
	}
	return t, nil
}

// numElements returns the product of dims (1 for none).
func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// makeFloats allocates a float64 buffer for a tensor of the given shape
// after checking that the shape is allowed.
func makeFloats(shape ...int) ([]float64, error) {
	if err := tensor.CheckSize(tensor.Float64, shape); err != nil {
		return nil, err
	}
	return make([]float64, numElements(shape)), nil
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softmaxType returns the element type of a softmax_precision attribute
// value.
func softmaxType(v int64) (tensor.DType, error) {
	switch dt := tensor.DType(v); dt {
	case tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16:
		return dt, nil
	}
	return 0, fmt.Errorf("softmax_precision must be a float type (1, 10, 11 or 16), got %d", v)
}
