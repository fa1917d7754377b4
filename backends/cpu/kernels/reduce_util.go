package kernels

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/tensor"
)

// ReducePlan splits the elements of a tensor into the groups that a
// reduction over some of its axes combines. Group g (numbered in row-major
// order of the kept dims) holds the input elements Base[g] + Offsets[k] for
// every k, in row-major order of the reduced dims.
type ReducePlan struct {
	Shape   []int  // the input shape
	Reduced []bool // per axis: whether it is reduced
	// Base and Offsets are nil when there are no groups or the groups are
	// empty (a reduced dim of size 0); NumGroups and GroupSize still count
	// them.
	Base    []int
	Offsets []int
	// NumGroups is the number of groups (the product of the kept dims) and
	// GroupSize the number of elements in each (the product of the reduced
	// dims).
	NumGroups, GroupSize int
}

// NewReducePlan plans a reduction of a tensor of the given shape over axes,
// which must be normalized (in [0, rank)) and distinct.
func NewReducePlan(shape []int, axes []int) (*ReducePlan, error) {
	p := &ReducePlan{Shape: append([]int{}, shape...), Reduced: make([]bool, len(shape))}
	for _, a := range axes {
		if a < 0 || a >= len(shape) {
			return nil, fmt.Errorf("axis %d out of range for rank %d", a, len(shape))
		}
		if p.Reduced[a] {
			return nil, fmt.Errorf("axis %d given twice", a)
		}
		p.Reduced[a] = true
	}
	var kept, red []int // dims
	var keptSt, redSt []int
	strides := tensor.Strides(shape)
	p.NumGroups, p.GroupSize = 1, 1
	for i, d := range shape {
		if p.Reduced[i] {
			red, redSt = append(red, d), append(redSt, strides[i])
			p.GroupSize *= d
		} else {
			kept, keptSt = append(kept, d), append(keptSt, strides[i])
			p.NumGroups *= d
		}
	}
	if p.NumGroups == 0 || p.GroupSize == 0 {
		return p, nil
	}
	p.Base = offsets(kept, keptSt, p.NumGroups)
	p.Offsets = offsets(red, redSt, p.GroupSize)
	return p, nil
}

// offsets lists sum(idx[i]*st[i]) over all indices of dims, row-major.
func offsets(dims, st []int, n int) []int {
	out := make([]int, n)
	ctr := make([]int, len(dims))
	pos := 0
	for k := 0; k < n; k++ {
		out[k] = pos
		for d := len(dims) - 1; d >= 0; d-- {
			ctr[d]++
			pos += st[d]
			if ctr[d] < dims[d] {
				break
			}
			pos -= st[d] * ctr[d]
			ctr[d] = 0
		}
	}
	return out
}

// OutShape returns the shape of the reduction's result: reduced dims become
// 1 when keepdims is set and are dropped otherwise.
func (p *ReducePlan) OutShape(keepdims bool) []int {
	out := []int{}
	for i, d := range p.Shape {
		switch {
		case !p.Reduced[i]:
			out = append(out, d)
		case keepdims:
			out = append(out, 1)
		}
	}
	return out
}

// NormAxes normalizes possibly negative axes against rank and sorts them;
// an axis out of range or given twice is an error.
func NormAxes(axes []int64, rank int) ([]int, error) {
	out := make([]int, 0, len(axes))
	seen := make([]bool, rank)
	for _, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d given twice in %v", a, axes)
		}
		seen[ax] = true
		out = append(out, ax)
	}
	sort.Ints(out)
	return out, nil
}

// AxesFrom returns the axes from first to rank-1.
func AxesFrom(first, rank int) []int {
	out := make([]int, 0, rank-first)
	for a := first; a < rank; a++ {
		out = append(out, a)
	}
	return out
}

// Order compares the elements of one real-numeric or bool tensor exactly,
// whatever their type.
type Order struct {
	f []float64
	i []int64
	u []uint64
}

// NewOrder prepares comparisons of t's elements.
func NewOrder(t *tensor.Tensor) (*Order, error) {
	dt := t.DType()
	switch {
	case dt == tensor.Uint64:
		return &Order{u: tensor.Data[uint64](t)}, nil
	case dt.IsInt() || dt == tensor.Bool:
		return &Order{i: t.Int64sOf()}, nil
	case dt.IsFloat():
		return &Order{f: Float64s(t)}, nil
	}
	return nil, fmt.Errorf("element type %s has no order", dt)
}

// Cmp returns -1, 0 or +1 as element a is less than, equal to or greater
// than element b. NaN is greater than every number and equal to NaN.
func (o *Order) Cmp(a, b int) int {
	switch {
	case o.f != nil:
		x, y := o.f[a], o.f[b]
		xn, yn := math.IsNaN(x), math.IsNaN(y)
		switch {
		case xn || yn:
			if xn && yn {
				return 0
			}
			if xn {
				return 1
			}
			return -1
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case o.u != nil:
		x, y := o.u[a], o.u[b]
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	}
	x, y := o.i[a], o.i[b]
	if x < y {
		return -1
	} else if x > y {
		return 1
	}
	return 0
}

// IsNaN reports whether element a is a NaN.
func (o *Order) IsNaN(a int) bool { return o.f != nil && math.IsNaN(o.f[a]) }
