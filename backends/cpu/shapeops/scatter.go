package shapeops

import (
	"fmt"
	"math"
	"slices"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("ScatterElements", scatterElements),
		kdef("Scatter", scatterElements),
		kdef("ScatterND", scatterND),
	)
}

// reduction is how a scatter combines an update with the value in place.
type reduction uint8

const (
	redNone reduction = iota
	redAdd
	redMul
	redMax
	redMin
)

func parseReduction(c *kernels.Ctx, dt tensor.DType) (reduction, error) {
	if c.Node.Op == "Scatter" {
		return redNone, nil
	}
	var r reduction
	switch s := c.Str("reduction"); s {
	case "none", "":
		return redNone, nil
	case "add":
		r = redAdd
	case "mul":
		r = redMul
	case "max":
		r = redMax
	case "min":
		r = redMin
	default:
		return 0, fmt.Errorf("unknown reduction %q (want none, add, mul, max or min)", s)
	}
	switch {
	case dt == tensor.String:
		return 0, fmt.Errorf("reduction %q is not defined on STRING tensors", c.Str("reduction"))
	case dt.IsComplex() && (r == redMax || r == redMin):
		return 0, fmt.Errorf("reduction %q is not defined on %s tensors", c.Str("reduction"), dt)
	}
	return r, nil
}

// combine folds element j of src into element i of dst by r.
func combine(dst *tensor.Tensor, i int, src *tensor.Tensor, j int, r reduction) {
	if r == redNone {
		kernels.CopyElems(dst, i, src, j, 1)
		return
	}
	switch dt := dst.DType(); {
	case dt == tensor.Uint64:
		d, s := tensor.Data[uint64](dst), tensor.Data[uint64](src)
		d[i] = reduceOrdered(d[i], s[j], r)
	case dt.IsInt() || dt == tensor.Bool:
		dst.SetInt64At(i, reduceOrdered(dst.Int64At(i), src.Int64At(j), r))
	case dt == tensor.Complex64:
		d, s := tensor.Data[complex64](dst), tensor.Data[complex64](src)
		if r == redAdd {
			d[i] += s[j]
		} else {
			d[i] *= s[j]
		}
	case dt == tensor.Complex128:
		d, s := tensor.Data[complex128](dst), tensor.Data[complex128](src)
		if r == redAdd {
			d[i] += s[j]
		} else {
			d[i] *= s[j]
		}
	default:
		a, b := dst.Float64At(i), src.Float64At(j)
		var v float64
		switch r {
		case redAdd:
			v = a + b
		case redMul:
			v = a * b
		case redMax:
			v = math.Max(a, b)
		case redMin:
			v = math.Min(a, b)
		}
		dst.SetFloat64At(i, v)
	}
}

func reduceOrdered[T int64 | uint64](a, b T, r reduction) T {
	switch r {
	case redAdd:
		return a + b
	case redMul:
		return a * b
	case redMax:
		return max(a, b)
	case redMin:
		return min(a, b)
	}
	return b
}

func scatterElements(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	data, indices, updates := in[0], in[1], in[2]
	if updates == nil || indices == nil {
		return nil, fmt.Errorf("needs data, indices and updates")
	}
	if updates.DType() != data.DType() {
		return nil, fmt.Errorf("updates have type %s, data has %s", updates.DType(), data.DType())
	}
	if !slices.Equal(updates.Shape(), indices.Shape()) {
		return nil, fmt.Errorf("updates shape %v differs from indices shape %v", updates.Shape(), indices.Shape())
	}
	red, err := parseReduction(c, data.DType())
	if err != nil {
		return nil, err
	}
	off, err := elementOffsets(data, indices, c.Int("axis"))
	if err != nil {
		return nil, err
	}
	out := data.Clone()
	for i, o := range off {
		combine(out, o, updates, i, red)
	}
	return []*tensor.Tensor{out}, nil
}

func scatterND(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	data, indices, updates := in[0], in[1], in[2]
	if updates == nil || indices == nil {
		return nil, fmt.Errorf("needs data, indices and updates")
	}
	if updates.DType() != data.DType() {
		return nil, fmt.Errorf("updates have type %s, data has %s", updates.DType(), data.DType())
	}
	red, err := parseReduction(c, data.DType())
	if err != nil {
		return nil, err
	}
	offs, sl, want, err := ndSlices(data, indices, 0)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(updates.Shape(), want) {
		return nil, fmt.Errorf("updates shape %v must be indices.shape[:-1] + data.shape[k:] = %v", updates.Shape(), want)
	}
	out := data.Clone()
	for t, o := range offs {
		if red == redNone {
			kernels.CopyElems(out, o, updates, t*sl, sl)
			continue
		}
		for s := 0; s < sl; s++ {
			combine(out, o+s, updates, t*sl+s, red)
		}
	}
	return []*tensor.Tensor{out}, nil
}
