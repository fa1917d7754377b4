package reduce

import (
	"fmt"
	"sort"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(kernels.KernelDef{Op: "Einsum", Since: 12, Run: kernels.Tensors(einsum)})
}

// maxEinsumSteps bounds the size of the index space one Einsum node walks.
const maxEinsumSteps = 1 << 34

// einsumPlan is an Einsum equation laid out as one loop nest: the output
// axes first, then the summed axes. strides[i][a] is how far input i moves
// when loop axis a advances (0 where it broadcasts or does not occur; the
// sum of its dims' strides where a label repeats, which walks a diagonal).
type einsumPlan struct {
	sizes    []int
	nOut     int
	outShape []int
	strides  [][]int
}

func planEinsum(eq string, in []*tensor.Tensor) (*einsumPlan, error) {
	sp, err := ir.ParseEinsum(eq)
	if err != nil {
		return nil, err
	}
	shapes := make([][]int64, len(in))
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		for _, d := range t.Shape() {
			shapes[i] = append(shapes[i], int64(d))
		}
	}
	labels, ell, _, err := sp.EinsumDims(shapes)
	if err != nil {
		return nil, err
	}
	// Loop axes are named by label; ellipsis dim j is named 256+j.
	pl := &einsumPlan{}
	axisOf := map[int]int{}
	add := func(name int, size int64) {
		axisOf[name] = len(pl.sizes)
		pl.sizes = append(pl.sizes, int(size))
	}
	outHasEll := false
	for _, l := range sp.Output {
		if l == '.' {
			outHasEll = true
			for j, d := range ell {
				add(256+j, d)
			}
		} else {
			add(int(l), labels[l])
		}
	}
	pl.nOut = len(pl.sizes)
	pl.outShape = append([]int{}, pl.sizes...)
	var summed []int
	for l := range labels {
		if _, ok := axisOf[int(l)]; !ok {
			summed = append(summed, int(l))
		}
	}
	sort.Ints(summed)
	for _, l := range summed {
		add(l, labels[byte(l)])
	}
	if !outHasEll {
		for j, d := range ell {
			add(256+j, d)
		}
	}
	steps := 1
	for _, s := range pl.sizes {
		if s == 0 {
			steps = 0
			break
		}
		if steps > maxEinsumSteps/s {
			return nil, fmt.Errorf("einsum %q over shapes %v walks more than %d index combinations", eq, shapes, maxEinsumSteps)
		}
		steps *= s
	}
	for i, t := range in {
		st := make([]int, len(pl.sizes))
		dims := t.Shape()
		strides := tensor.Strides(dims)
		term := sp.Inputs[i]
		nEll := len(dims) - (len(term) - 1)
		p := 0
		for _, l := range term {
			if l == '.' {
				for j := 0; j < nEll; j++ {
					if dims[p] != 1 {
						st[axisOf[256+len(ell)-nEll+j]] += strides[p]
					}
					p++
				}
				continue
			}
			if dims[p] != 1 || pl.sizes[axisOf[int(l)]] == 1 {
				st[axisOf[int(l)]] += strides[p]
			}
			p++
		}
		pl.strides = append(pl.strides, st)
	}
	return pl, nil
}

// run evaluates the plan on inputs converted to T.
func einsumRun[T num](pl *einsumPlan, vals [][]T) []T {
	outN := product(pl.outShape)
	out := make([]T, outN)
	total := product(pl.sizes)
	if total == 0 {
		return out
	}
	inner := total / max(outN, 1)
	rank := len(pl.sizes)
	ctr := make([]int, rank)
	pos := make([]int, len(vals))
	for step := 0; step < total; step++ {
		prod := T(1)
		for i, v := range vals {
			prod *= v[pos[i]]
		}
		out[step/inner] += prod
		for a := rank - 1; a >= 0; a-- {
			ctr[a]++
			for i := range pos {
				pos[i] += pl.strides[i][a]
			}
			if ctr[a] < pl.sizes[a] {
				break
			}
			for i := range pos {
				pos[i] -= pl.strides[i][a] * ctr[a]
			}
			ctr[a] = 0
		}
	}
	return out
}

func einsum(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, fmt.Errorf("Einsum needs at least one input")
	}
	dt := in[0].DType()
	for i, t := range in {
		if err := requireReal(fmt.Sprintf("%d", i), t); err != nil {
			return nil, err
		}
		if t.DType() != dt {
			return nil, fmt.Errorf("inputs must have one element type, got %s and %s", dt, t.DType())
		}
	}
	pl, err := planEinsum(c.Str("equation"), in)
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(dt, pl.outShape); err != nil {
		return nil, err
	}
	if dt.IsInt() {
		vals := make([][]int64, len(in))
		for i, t := range in {
			vals[i] = kernels.Int64s(t)
		}
		return []*tensor.Tensor{kernels.FromInt64s(dt, pl.outShape, einsumRun(pl, vals))}, nil
	}
	vals := make([][]float64, len(in))
	for i, t := range in {
		vals[i] = kernels.Float64s(t)
	}
	return []*tensor.Tensor{kernels.FromFloat64s(dt, pl.outShape, einsumRun(pl, vals))}, nil
}
