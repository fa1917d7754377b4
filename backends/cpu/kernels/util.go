package kernels

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// BroadcastShapes returns the numpy-broadcast shape of the given shapes.
func BroadcastShapes(shapes ...[]int) ([]int, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			switch {
			case d == out[off+i] || d == 1:
			case out[off+i] == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot broadcast (dim %d: %d vs %d)", shapes, off+i, out[off+i], d)
			}
		}
	}
	return out, nil
}

// BroadcastIndex returns, for each element of a tensor of shape out (in
// row-major order), the linear index of the element of a tensor of shape
// in that numpy broadcasting reads. in must broadcast to out.
func BroadcastIndex(in, out []int) []int {
	n := 1
	for _, d := range out {
		n *= d
	}
	idx := make([]int, n)
	if n == 0 {
		return idx
	}
	rank := len(out)
	// Stride of each output dim in the input; 0 where the input broadcasts.
	st := make([]int, rank)
	acc := 1
	for i := len(in) - 1; i >= 0; i-- {
		if in[i] != 1 {
			st[rank-len(in)+i] = acc
		}
		acc *= in[i]
	}
	ctr := make([]int, rank)
	pos := 0
	for k := 0; k < n; k++ {
		idx[k] = pos
		for d := rank - 1; d >= 0; d-- {
			ctr[d]++
			pos += st[d]
			if ctr[d] < out[d] {
				break
			}
			pos -= st[d] * ctr[d]
			ctr[d] = 0
		}
	}
	return idx
}

// Gather builds a tensor of the given shape and src's element type whose
// element i is src's element idx[i]. It works for every element type,
// strings included, and is the building block of the data-movement ops
// (Transpose, Slice, Expand, Tile, Gather, ...).
func Gather(src *tensor.Tensor, idx []int, shape []int) *tensor.Tensor {
	out := tensor.New(src.DType(), shape...)
	if src.DType() == tensor.String {
		s, d := src.Strings(), out.Strings()
		for i, j := range idx {
			d[i] = s[j]
		}
		return out
	}
	sz := src.DType().Size()
	s, d := src.Bytes(), out.Bytes()
	switch sz {
	case 1:
		for i, j := range idx {
			d[i] = s[j]
		}
	case 2:
		sv, dv := tensor.Data[uint16](src), tensor.Data[uint16](out)
		for i, j := range idx {
			dv[i] = sv[j]
		}
	case 4:
		sv, dv := tensor.Data[uint32](src), tensor.Data[uint32](out)
		for i, j := range idx {
			dv[i] = sv[j]
		}
	case 8:
		sv, dv := tensor.Data[uint64](src), tensor.Data[uint64](out)
		for i, j := range idx {
			dv[i] = sv[j]
		}
	default:
		for i, j := range idx {
			copy(d[i*sz:(i+1)*sz], s[j*sz:(j+1)*sz])
		}
	}
	return out
}

// Expand broadcasts t to shape (which t must broadcast to).
func Expand(t *tensor.Tensor, shape []int) *tensor.Tensor {
	if equalInts(t.Shape(), shape) {
		return t
	}
	return Gather(t, BroadcastIndex(t.Shape(), shape), shape)
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ToInts converts int64s to ints.
func ToInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}

// NormAxis maps a possibly negative axis into [0, rank).
func NormAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}
