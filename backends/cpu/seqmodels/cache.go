package seqmodels

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "TensorScatter", Since: 24, Run: kernels.Tensors(tensorScatter)},
		kernels.KernelDef{Op: "CumProd", Since: 26, Run: kernels.Tensors(cumProd)},
	)
}

// tensorScatter writes update into a copy of past_cache along the sequence
// axis, starting for batch entry b at write_indices[b] (wrapping around in
// circular mode).
func tensorScatter(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	past, upd := input(in, 0), input(in, 1)
	if past == nil || upd == nil {
		return nil, fmt.Errorf("past_cache and update are required")
	}
	if upd.DType() != past.DType() {
		return nil, fmt.Errorf("update has type %s, past_cache has %s", upd.DType(), past.DType())
	}
	circular := false
	switch m := c.Str("mode"); m {
	case "linear":
	case "circular":
		circular = true
	default:
		return nil, fmt.Errorf("mode must be linear or circular, got %q", m)
	}
	rank := past.Rank()
	if upd.Rank() != rank {
		return nil, fmt.Errorf("update rank %d differs from past_cache rank %d", upd.Rank(), rank)
	}
	if rank < 2 {
		return nil, fmt.Errorf("past_cache must have rank at least 2 (batch and sequence), got shape %v", past.Shape())
	}
	axis, err := kernels.NormAxis(c.Int("axis"), rank)
	if err != nil {
		return nil, err
	}
	if axis == 0 {
		return nil, fmt.Errorf("axis must not be 0, the batch dimension")
	}
	ps, us := past.Shape(), upd.Shape()
	for i := range ps {
		if i != axis && ps[i] != us[i] {
			return nil, fmt.Errorf("update shape %v differs from past_cache shape %v outside axis %d", us, ps, axis)
		}
	}
	maxSeq, seq := ps[axis], us[axis]
	if seq > maxSeq {
		return nil, fmt.Errorf("update's sequence length %d exceeds the cache's %d", seq, maxSeq)
	}
	batch := ps[0]
	idx := make([]int64, batch)
	if wi := input(in, 2); wi != nil {
		if !wi.DType().IsInt() {
			return nil, fmt.Errorf("write_indices must be int64, got %s", wi.DType())
		}
		if err := requireShape(wi, "write_indices", batch); err != nil {
			return nil, err
		}
		idx = wi.Int64sOf()
	}
	for b, v := range idx {
		if circular {
			continue
		}
		if v < 0 || v+int64(seq) > int64(maxSeq) {
			return nil, fmt.Errorf("linear mode needs 0 <= write_indices[%d] and write_indices + sequence length <= %d, got %d + %d",
				b, maxSeq, v, seq)
		}
	}
	out := past.Clone()
	inner := numElements(ps[axis+1:])
	outer := numElements(ps[1:axis]) // per batch entry
	for b := 0; b < batch; b++ {
		for o := 0; o < outer; o++ {
			prefix := b*outer + o
			for s := 0; s < seq; s++ {
				pos := idx[b] + int64(s)
				if circular && maxSeq > 0 {
					pos = ((pos % int64(maxSeq)) + int64(maxSeq)) % int64(maxSeq)
				}
				kernels.CopyElems(out, (prefix*maxSeq+int(pos))*inner, upd, (prefix*seq+s)*inner, inner)
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

// cumProd is the cumulative product along an axis; exclusive shifts by
// one (the first product is 1), reverse runs from the end.
func cumProd(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, at := input(in, 0), input(in, 1)
	if x == nil || at == nil {
		return nil, fmt.Errorf("x and axis are required")
	}
	if !at.DType().IsInt() || at.Len() != 1 || at.Rank() > 1 {
		return nil, fmt.Errorf("axis must be an integer scalar, got %s%v", at.DType(), at.Shape())
	}
	if x.Rank() == 0 {
		return nil, fmt.Errorf("x must have rank at least 1")
	}
	axis, err := kernels.NormAxis(at.Int64At(0), x.Rank())
	if err != nil {
		return nil, err
	}
	exclusive, reverse := c.Int("exclusive") != 0, c.Int("reverse") != 0
	s := x.Shape()
	n, inner := s[axis], numElements(s[axis+1:])
	outer := numElements(s[:axis])
	dt := x.DType()
	var out *tensor.Tensor
	switch {
	case dt.IsFloat():
		out, err = fromFloats(dt, s, scanProduct(floats(x), outer, n, inner, exclusive, reverse))
	case dt.IsInt():
		out, err = fromInts(dt, s, scanProduct(ints(x), outer, n, inner, exclusive, reverse))
	default:
		return nil, fmt.Errorf("element type %s is not supported", dt)
	}
	return []*tensor.Tensor{out}, err
}

// scanProduct computes the cumulative products of v, viewed as
// [outer, n, inner], along its middle axis.
func scanProduct[T int64 | float64](v []T, outer, n, inner int, exclusive, reverse bool) []T {
	out := make([]T, len(v))
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			acc := T(1)
			for j := 0; j < n; j++ {
				k := j
				if reverse {
					k = n - 1 - j
				}
				at := (o*n+k)*inner + i
				if exclusive {
					out[at] = acc
					acc *= v[at]
				} else {
					acc *= v[at]
					out[at] = acc
				}
			}
		}
	}
	return out
}
