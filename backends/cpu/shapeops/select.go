package shapeops

import (
	"fmt"
	"sort"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kdef("Compress", compress),
		kdef("NonZero", nonZero),
		kdef("Unique", unique),
		kdef("ReverseSequence", reverseSequence),
	)
}

// takeAlong gathers the given positions of axis ax of x (all in range).
func takeAlong(x *tensor.Tensor, ax int, pos []int) (*tensor.Tensor, error) {
	s := x.Shape()
	out := append([]int{}, s...)
	out[ax] = len(pos)
	st := tensor.Strides(s)
	tables := make([][]int, len(out))
	for d := range out {
		tables[d] = kernels.StridedTable(out[d], 0, 1, st[d])
	}
	t := make([]int, len(pos))
	for i, p := range pos {
		t[i] = p * st[ax]
	}
	tables[ax] = t
	return kernels.GatherSeparable(x, out, tables, nil)
}

func compress(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, cond := in[0], in[1]
	if cond == nil || cond.Rank() != 1 {
		return nil, fmt.Errorf("condition must be a 1-D tensor")
	}
	if cond.DType() == tensor.String {
		return nil, fmt.Errorf("condition must be BOOL, got %s", cond.DType())
	}
	ax := 0
	if c.Has("axis") {
		var err error
		if ax, err = kernels.NormAxis(c.Int("axis"), x.Rank()); err != nil {
			return nil, err
		}
	} else {
		var err error
		if x, err = x.Reshape(x.Len()); err != nil {
			return nil, err
		}
	}
	dim := x.Shape()[ax]
	var pos []int
	for i := 0; i < cond.Len(); i++ {
		if !isNonZero(cond, i) {
			continue
		}
		if i >= dim {
			return nil, fmt.Errorf("condition is true at position %d, beyond the %d entries of the axis", i, dim)
		}
		pos = append(pos, i)
	}
	t, err := takeAlong(x, ax, pos)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{t}, nil
}

func nonZero(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	shape := x.Shape()
	if len(shape) == 0 {
		shape = []int{1}
	}
	r := len(shape)
	var hits []int
	for i := 0; i < x.Len(); i++ {
		if isNonZero(x, i) {
			hits = append(hits, i)
		}
	}
	st := tensor.Strides(shape)
	out := tensor.New(tensor.Int64, r, len(hits))
	v := out.Int64s()
	for k, i := range hits {
		for d := 0; d < r; d++ {
			v[d*len(hits)+k] = int64((i / st[d]) % shape[d])
		}
	}
	return []*tensor.Tensor{out}, nil
}

func unique(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	ax := 0
	withAxis := c.Has("axis")
	if withAxis {
		var err error
		if ax, err = kernels.NormAxis(c.Int("axis"), x.Rank()); err != nil {
			return nil, err
		}
	} else {
		var err error
		if x, err = x.Reshape(x.Len()); err != nil {
			return nil, err
		}
	}
	s := x.Shape()
	n := s[ax]
	outer, inner := kernels.Product(s[:ax]), kernels.Product(s[ax+1:])
	// cmp orders the slices i and j of the axis lexicographically, outer
	// coordinates first.
	cmp := func(i, j int) int {
		for o := 0; o < outer; o++ {
			for k := 0; k < inner; k++ {
				if r := compareElems(x, (o*n+i)*inner+k, (o*n+j)*inner+k); r != 0 {
					return r
				}
			}
		}
		return 0
	}
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cmp(order[a], order[b]) < 0 })
	// Group equal slices; the stable sort puts each group's first
	// occurrence first.
	type group struct{ first, count int }
	var groups []group
	groupOf := make([]int, n)
	for k, i := range order {
		if k == 0 || cmp(order[k-1], i) != 0 {
			groups = append(groups, group{first: i})
		}
		g := len(groups) - 1
		groups[g].count++
		groupOf[i] = g
	}
	rank := make([]int, len(groups)) // output position of each group
	for g := range rank {
		rank[g] = g
	}
	if c.Int("sorted") == 0 {
		byFirst := make([]int, len(groups))
		for g := range byFirst {
			byFirst[g] = g
		}
		sort.Slice(byFirst, func(a, b int) bool { return groups[byFirst[a]].first < groups[byFirst[b]].first })
		for p, g := range byFirst {
			rank[g] = p
		}
	}
	firsts := make([]int, len(groups))
	counts := make([]int64, len(groups))
	for g, gr := range groups {
		firsts[rank[g]] = gr.first
		counts[rank[g]] = int64(gr.count)
	}
	inverse := make([]int64, n)
	for i := range inverse {
		inverse[i] = int64(rank[groupOf[i]])
	}
	indices := make([]int64, len(firsts))
	for i, f := range firsts {
		indices[i] = int64(f)
	}
	y, err := takeAlong(x, ax, firsts)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{y, tensor.FromSlice(indices), tensor.FromSlice(inverse), tensor.FromSlice(counts)}, nil
}

func reverseSequence(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, lens := in[0], in[1]
	if x.Rank() < 2 {
		return nil, fmt.Errorf("input must have rank >= 2, got shape %v", x.Shape())
	}
	ba, ta := c.Int("batch_axis"), c.Int("time_axis")
	if ba < 0 || ba > 1 || ta < 0 || ta > 1 || ba == ta {
		return nil, fmt.Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", ba, ta)
	}
	s := x.Shape()
	batch, steps := s[ba], s[ta]
	if lens == nil || lens.Rank() != 1 || lens.Len() != batch {
		return nil, fmt.Errorf("sequence_lens must be a 1-D tensor of %d lengths", batch)
	}
	l, err := intList(lens, "sequence_lens")
	if err != nil {
		return nil, err
	}
	for _, v := range l {
		if v < 0 || v > int64(steps) {
			return nil, fmt.Errorf("sequence length %d is out of range [0, %d]", v, steps)
		}
	}
	st := tensor.Strides(s)
	idx := make([]int, x.Len())
	for i := range idx {
		b := (i / st[ba]) % batch
		t := (i / st[ta]) % steps
		idx[i] = i
		if n := int(l[b]); t < n {
			idx[i] = i + (n-1-2*t)*st[ta]
		}
	}
	out, err := kernels.GatherFill(x, idx, s, nil)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
