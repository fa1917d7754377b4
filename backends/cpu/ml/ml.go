// Package ml holds the CPU kernels of the ai.onnx.ml domain
// (LabelEncoder, ArrayFeatureExtractor, Binarizer, TreeEnsemble) and of
// TfIdfVectorizer.
package ml

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

const domain = "ai.onnx.ml"

func init() {
	kernels.Register(
		kernels.KernelDef{Domain: domain, Op: "LabelEncoder", Since: 1, Run: kernels.Tensors(labelEncoder)},
		kernels.KernelDef{Domain: domain, Op: "ArrayFeatureExtractor", Since: 1, Run: kernels.Tensors(arrayFeatureExtractor)},
		kernels.KernelDef{Domain: domain, Op: "Binarizer", Since: 1, Run: kernels.Tensors(binarizer)},
		kernels.KernelDef{Domain: domain, Op: "TreeEnsemble", Since: 5, Run: kernels.Tensors(treeEnsemble)},
		kernels.Simple("TfIdfVectorizer", tfidf),
	)
}

// key is a map key for any element: strings as themselves, numbers by
// their float64 value (so 1 and 1.0 match, as the reference does).
func key(t *tensor.Tensor, i int) any {
	if t.DType() == tensor.String {
		return t.Strings()[i]
	}
	if t.DType().IsInt() {
		return t.Int64At(i)
	}
	return t.Float64At(i)
}

func labelEncoder(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	n := c.Node
	var keys, vals *tensor.Tensor
	var err error
	switch {
	case n.HasAttr("keys_strings"):
		keys, err = tensor.FromStrings([]int{len(n.Strings("keys_strings"))}, n.Strings("keys_strings"))
	case n.HasAttr("keys_int64s"):
		keys = tensor.FromSlice(append([]int64{}, n.Ints("keys_int64s")...))
	case n.HasAttr("keys_floats"):
		keys = tensor.FromSlice(append([]float32{}, n.Floats("keys_floats")...))
	default:
		keys = n.Tensor("keys_tensor")
	}
	if err != nil {
		return nil, err
	}
	var def *tensor.Tensor
	switch {
	case n.HasAttr("values_strings"):
		vals, err = tensor.FromStrings([]int{len(n.Strings("values_strings"))}, n.Strings("values_strings"))
		def, _ = tensor.FromStrings([]int{}, []string{c.Str("default_string")})
	case n.HasAttr("values_int64s"):
		vals = tensor.FromSlice(append([]int64{}, n.Ints("values_int64s")...))
		def = tensor.Scalar(c.Int("default_int64"))
	case n.HasAttr("values_floats"):
		vals = tensor.FromSlice(append([]float32{}, n.Floats("values_floats")...))
		def = tensor.Scalar(c.Float("default_float"))
	default:
		vals = n.Tensor("values_tensor")
	}
	if err != nil {
		return nil, err
	}
	if dt := n.Tensor("default_tensor"); dt != nil {
		def = dt
	}
	if keys == nil || vals == nil {
		return nil, fmt.Errorf("LabelEncoder needs keys and values")
	}
	if keys.Len() != vals.Len() {
		return nil, fmt.Errorf("%d keys but %d values", keys.Len(), vals.Len())
	}
	if def == nil {
		switch vals.DType() {
		case tensor.String:
			def, _ = tensor.FromStrings([]int{}, []string{"_Unused"})
		case tensor.Int64, tensor.Int32, tensor.Int16, tensor.Int8:
			def = tensor.New(vals.DType())
			def.SetInt64At(0, -1)
		default:
			def = tensor.New(vals.DType())
			def.SetFloat64At(0, math.Copysign(0, -1))
		}
	}
	index := map[any]int{}
	for i := 0; i < keys.Len(); i++ {
		index[key(keys, i)] = i
	}
	idx := make([]int, x.Len())
	// Gather from [values..., default].
	all := tensor.New(vals.DType(), vals.Len()+1)
	for i := 0; i < vals.Len(); i++ {
		copyElem(all, i, vals, i)
	}
	copyElem(all, vals.Len(), def, 0)
	for i := range idx {
		j, ok := index[key(x, i)]
		if !ok {
			j = vals.Len()
		}
		idx[i] = j
	}
	return []*tensor.Tensor{kernels.Gather(all, idx, x.Shape())}, nil
}

func copyElem(dst *tensor.Tensor, i int, src *tensor.Tensor, j int) {
	if dst.DType() == tensor.String {
		dst.Strings()[i] = src.Strings()[j]
		return
	}
	if src.DType() != dst.DType() {
		dst.SetFloat64At(i, src.Float64At(j))
		return
	}
	sz := dst.DType().Size()
	copy(dst.Bytes()[i*sz:(i+1)*sz], src.Bytes()[j*sz:(j+1)*sz])
}

func arrayFeatureExtractor(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, y := in[0], in[1]
	if x.Rank() < 1 {
		return nil, fmt.Errorf("input must have rank 1 or more")
	}
	last := x.Dim(-1)
	sel := y.Int64sOf()
	for _, s := range sel {
		if s < 0 || s >= int64(last) {
			return nil, fmt.Errorf("index %d out of range for a last axis of %d", s, last)
		}
	}
	outer := x.Len() / max(last, 1)
	shape := append(append([]int{}, x.Shape()[:x.Rank()-1]...), len(sel))
	if x.Rank() == 1 {
		shape = []int{1, len(sel)}
	}
	idx := make([]int, 0, outer*len(sel))
	for o := 0; o < outer; o++ {
		for _, s := range sel {
			idx = append(idx, o*last+int(s))
		}
	}
	return []*tensor.Tensor{kernels.Gather(x, idx, shape)}, nil
}

func binarizer(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	th := float64(c.Float("threshold"))
	out := tensor.New(x.DType(), x.Shape()...)
	for i := 0; i < x.Len(); i++ {
		if x.Float64At(i) > th {
			out.SetFloat64At(i, 1)
		}
	}
	return []*tensor.Tensor{out}, nil
}
