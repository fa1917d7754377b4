package reduce

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

type redKind int

const (
	rSum redKind = iota
	rMean
	rMax
	rMin
	rProd
	rL1
	rL2
	rLogSum
	rLogSumExp
	rSumSquare
)

// reduceOps lists the Reduce* ops and the opset from which each takes its
// axes as an input instead of an attribute.
var reduceOps = []struct {
	name       string
	kind       redKind
	inputSince int
}{
	{"ReduceSum", rSum, 13},
	{"ReduceMean", rMean, 18},
	{"ReduceMax", rMax, 18},
	{"ReduceMin", rMin, 18},
	{"ReduceProd", rProd, 18},
	{"ReduceL1", rL1, 18},
	{"ReduceL2", rL2, 18},
	{"ReduceLogSum", rLogSum, 18},
	{"ReduceLogSumExp", rLogSumExp, 18},
	{"ReduceSumSquare", rSumSquare, 18},
}

func init() {
	for _, r := range reduceOps {
		kernels.Register(kernels.KernelDef{Op: r.name, Since: 1, Run: kernels.Tensors(reduceKernel(r.kind, r.inputSince))})
	}
	kernels.Register(
		kernels.KernelDef{Op: "ArgMax", Since: 1, Run: kernels.Tensors(argKernel(true))},
		kernels.KernelDef{Op: "ArgMin", Since: 1, Run: kernels.Tensors(argKernel(false))},
		kernels.KernelDef{Op: "TopK", Since: 1, Run: kernels.Tensors(topK)},
		kernels.KernelDef{Op: "CumSum", Since: 11, Run: kernels.Tensors(cumSum)},
	)
}

// reduceAxes returns the axes a Reduce* node reduces (nil for all), or
// noop when it is an identity.
func reduceAxes(c *kernels.Ctx, in []*tensor.Tensor, inputSince int) (axes []int, noop bool, err error) {
	x := input(in, 0)
	var raw []int64
	axesIn := input(in, 1)
	if c.Opset < inputSince {
		if axesIn != nil {
			return nil, false, fmt.Errorf("axes is an attribute before opset %d, not an input", inputSince)
		}
		raw = c.Ints("axes")
	} else {
		if c.Has("axes") {
			return nil, false, fmt.Errorf("axes is an input from opset %d, not an attribute", inputSince)
		}
		if axesIn != nil {
			if !axesIn.DType().IsInt() || axesIn.Rank() > 1 {
				return nil, false, fmt.Errorf("axes must be a 1-D integer tensor, got %s%v", axesIn.DType(), axesIn.Shape())
			}
			raw = axesIn.Int64sOf()
		}
		if len(raw) == 0 && c.Int("noop_with_empty_axes") != 0 {
			return nil, true, nil
		}
	}
	if len(raw) == 0 {
		return kernels.AxesFrom(0, x.Rank()), false, nil
	}
	axes, err = kernels.NormAxes(raw, x.Rank())
	return axes, false, err
}

func reduceKernel(kind redKind, inputSince int) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := input(in, 0)
		if x == nil {
			return nil, fmt.Errorf("input data is missing")
		}
		dt := x.DType()
		if !dt.IsFloat() && !dt.IsInt() && !(dt == tensor.Bool && (kind == rMax || kind == rMin)) {
			return nil, fmt.Errorf("element type %s is not supported", dt)
		}
		axes, noop, err := reduceAxes(c, in, inputSince)
		if err != nil {
			return nil, err
		}
		if noop {
			return []*tensor.Tensor{x}, nil
		}
		plan, err := kernels.NewReducePlan(x.Shape(), axes)
		if err != nil {
			return nil, err
		}
		shape := plan.OutShape(c.Int("keepdims") != 0)
		if fastPaths && dt == tensor.Float32 {
			if out := reduce32(x, plan, kind, shape); out != nil {
				return []*tensor.Tensor{out}, nil
			}
		}
		if kind == rMax || kind == rMin {
			out, err := reduceExtreme(x, plan, shape, kind == rMax)
			return []*tensor.Tensor{out}, err
		}
		if dt.IsInt() && (kind == rSum || kind == rProd || kind == rL1 || kind == rSumSquare) {
			out := reduceGroups(kernels.Int64s(x), plan, kind, !dt.IsSigned())
			return []*tensor.Tensor{kernels.FromInt64s(dt, shape, out)}, nil
		}
		out := reduceGroups(kernels.Float64s(x), plan, kind, false)
		n := float64(plan.GroupSize)
		for i, v := range out {
			switch kind {
			case rMean:
				out[i] = v / n
			case rL2:
				out[i] = math.Sqrt(v)
			case rLogSum:
				out[i] = math.Log(v)
			}
		}
		return []*tensor.Tensor{kernels.FromFloat64s(dt, shape, out)}, nil
	}
}

// reduceGroups combines each group of v by sum, product, sum of absolute
// values or sum of squares (Mean, L2 and LogSum sum here and finish
// later; LogSumExp is done whole). unsigned marks integer data whose
// values are never negative.
func reduceGroups[T num](v []T, p *kernels.ReducePlan, kind redKind, unsigned bool) []T {
	out := make([]T, p.NumGroups)
	for g := range out {
		var acc T
		if kind == rProd {
			acc = 1
		}
		if p.GroupSize == 0 {
			if kind == rLogSumExp {
				acc = T(math.Inf(-1))
			}
			out[g] = acc
			continue
		}
		base := p.Base[g]
		switch kind {
		case rProd:
			for _, o := range p.Offsets {
				acc *= v[base+o]
			}
		case rL1:
			for _, o := range p.Offsets {
				e := v[base+o]
				if e < 0 && !unsigned {
					e = -e
				}
				acc += e
			}
		case rL2, rSumSquare:
			for _, o := range p.Offsets {
				e := v[base+o]
				acc += e * e
			}
		case rLogSumExp:
			m := v[base+p.Offsets[0]]
			for _, o := range p.Offsets {
				m = max(m, v[base+o])
			}
			mf := float64(m)
			if math.IsInf(mf, 0) || math.IsNaN(mf) {
				// All -inf gives -inf; any +inf gives +inf; NaN stays NaN.
				s := 0.0
				for _, o := range p.Offsets {
					s += math.Exp(float64(v[base+o]))
				}
				acc = T(math.Log(s))
				break
			}
			s := 0.0
			for _, o := range p.Offsets {
				s += math.Exp(float64(v[base+o]) - mf)
			}
			acc = T(mf + math.Log(s))
		default:
			for _, o := range p.Offsets {
				acc += v[base+o]
			}
		}
		out[g] = acc
	}
	return out
}

// reduceExtreme picks the largest (isMax) or smallest element of each
// group, exactly for every type; a NaN in a group wins. Empty groups get
// the identity: the lowest or highest value of the type.
func reduceExtreme(x *tensor.Tensor, p *kernels.ReducePlan, shape []int, isMax bool) (*tensor.Tensor, error) {
	if p.GroupSize == 0 {
		out, err := tensor.Alloc(x.DType(), shape)
		if err != nil {
			return nil, err
		}
		extremeIdentity(out, isMax)
		return out, nil
	}
	ord, err := kernels.NewOrder(x)
	if err != nil {
		return nil, err
	}
	idx := make([]int, p.NumGroups)
	for g := range idx {
		base := p.Base[g]
		best := base + p.Offsets[0]
		for _, o := range p.Offsets[1:] {
			if ord.IsNaN(best) {
				break
			}
			j := base + o
			if ord.IsNaN(j) {
				best = j
				break
			}
			if c := ord.Cmp(j, best); (isMax && c > 0) || (!isMax && c < 0) {
				best = j
			}
		}
		idx[g] = best
	}
	return kernels.Gather(x, idx, shape), nil
}

func argKernel(isMax bool) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := input(in, 0)
		if err := requireReal("data", x); err != nil {
			return nil, err
		}
		axis, err := kernels.NormAxis(c.Int("axis"), x.Rank())
		if err != nil {
			return nil, err
		}
		p, err := kernels.NewReducePlan(x.Shape(), []int{axis})
		if err != nil {
			return nil, err
		}
		if p.GroupSize == 0 && p.NumGroups > 0 {
			return nil, fmt.Errorf("cannot take the arg-extreme over axis %d of size 0", axis)
		}
		ord, err := kernels.NewOrder(x)
		if err != nil {
			return nil, err
		}
		last := c.Int("select_last_index") != 0
		out := make([]int64, p.NumGroups)
		for g := range out {
			base := p.Base[g]
			best := 0
			for k := 1; k < len(p.Offsets); k++ {
				b, j := base+p.Offsets[best], base+p.Offsets[k]
				bn, jn := ord.IsNaN(b), ord.IsNaN(j)
				switch {
				case bn || jn:
					// The first NaN wins (the last with select_last_index).
					if jn && (!bn || last) {
						best = k
					}
				default:
					cmp := ord.Cmp(j, b)
					if (isMax && cmp > 0) || (!isMax && cmp < 0) || (cmp == 0 && last) {
						best = k
					}
				}
			}
			out[g] = int64(best)
		}
		return []*tensor.Tensor{kernels.FromInt64s(tensor.Int64, p.OutShape(c.Int("keepdims") != 0), out)}, nil
	}
}

func topK(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireReal("X", x); err != nil {
		return nil, err
	}
	axis, err := kernels.NormAxis(c.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	var k int64
	if c.Opset < 10 {
		if !c.Has("k") {
			return nil, fmt.Errorf("TopK before opset 10 needs the attribute k")
		}
		k = c.Int("k")
	} else {
		kt := input(in, 1)
		if kt == nil || !kt.DType().IsInt() || kt.Len() != 1 {
			return nil, fmt.Errorf("input K must be an integer tensor holding one value")
		}
		k = kt.Int64At(0)
	}
	dim := x.Shape()[axis]
	if k < 0 || k > int64(dim) {
		return nil, fmt.Errorf("k = %d is outside [0, %d], the size of axis %d", k, dim, axis)
	}
	outShape := append([]int{}, x.Shape()...)
	outShape[axis] = int(k)
	ip, err := kernels.NewReducePlan(x.Shape(), []int{axis})
	if err != nil {
		return nil, err
	}
	op, err := kernels.NewReducePlan(outShape, []int{axis})
	if err != nil {
		return nil, err
	}
	ord, err := kernels.NewOrder(x)
	if err != nil {
		return nil, err
	}
	largest := c.Int("largest") != 0
	n := product(outShape)
	src := make([]int, n)
	indices := make([]int64, n)
	if k > 0 {
		order := make([]int, dim)
		for g := 0; g < ip.NumGroups; g++ {
			base := ip.Base[g]
			for i := range order {
				order[i] = i
			}
			sort.SliceStable(order, func(a, b int) bool {
				cmp := ord.Cmp(base+ip.Offsets[order[a]], base+ip.Offsets[order[b]])
				if largest {
					return cmp > 0
				}
				return cmp < 0
			})
			for r := 0; r < int(k); r++ {
				pos := op.Base[g] + op.Offsets[r]
				src[pos] = base + ip.Offsets[order[r]]
				indices[pos] = int64(order[r])
			}
		}
	}
	return []*tensor.Tensor{kernels.Gather(x, src, outShape), kernels.FromInt64s(tensor.Int64, outShape, indices)}, nil
}

func cumSum(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, at := input(in, 0), input(in, 1)
	if err := requireReal("x", x); err != nil {
		return nil, err
	}
	if at == nil || !at.DType().IsInt() || at.Len() != 1 || at.Rank() > 1 {
		return nil, fmt.Errorf("input axis must be an integer scalar")
	}
	axis, err := kernels.NormAxis(at.Int64At(0), x.Rank())
	if err != nil {
		return nil, err
	}
	p, err := kernels.NewReducePlan(x.Shape(), []int{axis})
	if err != nil {
		return nil, err
	}
	excl, rev := c.Int("exclusive") != 0, c.Int("reverse") != 0
	dt := x.DType()
	if dt.IsInt() {
		return []*tensor.Tensor{kernels.FromInt64s(dt, x.Shape(), cumulate(kernels.Int64s(x), p, excl, rev))}, nil
	}
	return []*tensor.Tensor{kernels.FromFloat64s(dt, x.Shape(), cumulate(kernels.Float64s(x), p, excl, rev))}, nil
}

// cumulate computes running sums over each group of p, which reduces one
// axis.
func cumulate[T num](v []T, p *kernels.ReducePlan, excl, rev bool) []T {
	out := make([]T, len(v))
	n := p.GroupSize
	if n == 0 {
		return out
	}
	for g := 0; g < p.NumGroups; g++ {
		base := p.Base[g]
		var acc T
		for s := 0; s < n; s++ {
			k := s
			if rev {
				k = n - 1 - s
			}
			i := base + p.Offsets[k]
			if excl {
				out[i] = acc
				acc += v[i]
			} else {
				acc += v[i]
				out[i] = acc
			}
		}
	}
	return out
}
