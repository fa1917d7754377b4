package elementwise

import (
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Float32 fast paths. The kernels' general paths compute every float type
// in float64 and round once to the element type; they are the definition.
// The paths below give the same results for float32 tensors (bit for bit,
// NaN payloads aside) without float64 copies of the tensors:
//
//   - +, -, *, / and square root of float32 values rounded once from
//     float64 equal the float32 operations, because float64 has more than
//     twice float32's precision plus two bits (double rounding is then
//     innocuous), so these run in float32;
//   - comparisons, selections (Max, Min, Relu, Clip, Where, Abs, Neg) are
//     exact in either type;
//   - everything else (exp, tanh, erf, sigmoid, pow, ...) is computed per
//     element in float64, exactly as the general path, and rounded once.
//
// fastPaths switches them off, for the tests that compare both paths.
var fastPaths = true

// nan32 is the NaN the general paths store for a NaN they create
// (math.NaN rounded to float32).
var nan32 = float32(math.NaN())

// binOp names a float32 binary operation.
type binOp uint8

const (
	opNone binOp = iota
	opAdd
	opSub
	opMul
	opDiv
	opMax   // NaN if either is NaN, else math.Max
	opMin   // NaN if either is NaN, else math.Min
	opPRelu // a, or a*b where a < 0
	opPow   // math.Pow in float64
)

// mask32 is all ones when c holds and zero otherwise; the selections
// below use it instead of branches, which data-dependent comparisons
// would mispredict half of the time.
func mask32(c bool) uint32 { return -uint32(b2u(c)) }

// select32 is x where m is all ones and y where it is zero.
func select32(m uint32, x, y float32) float32 {
	return math.Float32frombits(math.Float32bits(x)&m | math.Float32bits(y)&^m)
}

// max32 is math.Max on float32 values, except that any NaN gives nan32
// (as Max's general path does).
func max32(a, b float32) float32 {
	ab, bb := math.Float32bits(a), math.Float32bits(b)
	gt := mask32(a > b)
	r := ab&gt | bb&^gt
	r &= ab | ^mask32(a == b) // +0 wins over -0
	un := mask32(a != a) | mask32(b != b)
	return math.Float32frombits(r&^un | math.Float32bits(nan32)&un)
}

// min32 is math.Min on float32 values; any NaN gives nan32.
func min32(a, b float32) float32 {
	ab, bb := math.Float32bits(a), math.Float32bits(b)
	lt := mask32(a < b)
	r := ab&lt | bb&^lt
	r |= ab & mask32(a == b) // -0 wins over +0
	un := mask32(a != a) | mask32(b != b)
	return math.Float32frombits(r&^un | math.Float32bits(nan32)&un)
}

// prelu32 is a, or a*b where a < 0.
func prelu32(a, b float32) float32 { return select32(mask32(a < 0), a*b, a) }

// scalar applies op to one pair.
func (op binOp) scalar(a, b float32) float32 {
	switch op {
	case opAdd:
		return a + b
	case opSub:
		return a - b
	case opMul:
		return a * b
	case opDiv:
		return a / b
	case opMax:
		return max32(a, b)
	case opMin:
		return min32(a, b)
	case opPRelu:
		return prelu32(a, b)
	case opPow:
		return float32(math.Pow(float64(a), float64(b)))
	}
	panic("elementwise: unknown float32 op")
}

// block computes d[i] = a[i*sa] op b[i*sb] for i < len(d), sa and sb being
// 0 or 1.
func (op binOp) block(d, a []float32, sa int, b []float32, sb int) {
	n := len(d)
	if op == opPow {
		powBlock(d, a, sa, b, sb)
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case opAdd:
			for i := range d {
				d[i] = a[i] + b[i]
			}
		case opSub:
			for i := range d {
				d[i] = a[i] - b[i]
			}
		case opMul:
			for i := range d {
				d[i] = a[i] * b[i]
			}
		case opDiv:
			for i := range d {
				d[i] = a[i] / b[i]
			}
		case opMax:
			for i := range d {
				d[i] = max32(a[i], b[i])
			}
		case opMin:
			for i := range d {
				d[i] = min32(a[i], b[i])
			}
		default:
			for i := range d {
				d[i] = op.scalar(a[i], b[i])
			}
		}
	case sa == 1: // b is one value
		a = a[:n]
		s := b[0]
		switch op {
		case opAdd:
			for i := range d {
				d[i] = a[i] + s
			}
		case opSub:
			for i := range d {
				d[i] = a[i] - s
			}
		case opMul:
			for i := range d {
				d[i] = a[i] * s
			}
		case opDiv:
			for i := range d {
				d[i] = a[i] / s
			}
		case opMax:
			for i := range d {
				d[i] = max32(a[i], s)
			}
		case opMin:
			for i := range d {
				d[i] = min32(a[i], s)
			}
		case opPRelu:
			for i := range d {
				d[i] = prelu32(a[i], s)
			}
		default:
			for i := range d {
				d[i] = op.scalar(a[i], s)
			}
		}
	case sb == 1: // a is one value
		b = b[:n]
		s := a[0]
		switch op {
		case opAdd:
			for i := range d {
				d[i] = s + b[i]
			}
		case opSub:
			for i := range d {
				d[i] = s - b[i]
			}
		case opMul:
			for i := range d {
				d[i] = s * b[i]
			}
		case opDiv:
			for i := range d {
				d[i] = s / b[i]
			}
		case opMax:
			for i := range d {
				d[i] = max32(s, b[i])
			}
		case opMin:
			for i := range d {
				d[i] = min32(s, b[i])
			}
		default:
			for i := range d {
				d[i] = op.scalar(s, b[i])
			}
		}
	default:
		v := op.scalar(a[0], b[0])
		for i := range d {
			d[i] = v
		}
	}
}

// cost returns the parallel threshold for op.
func (op binOp) cost() int {
	if op == opPow {
		return parCostly
	}
	return parCheap
}

// binary32 computes op over float32 tensors a and b viewed with shapes as
// and bs, broadcast to out.
func binary32(op binOp, a *tensor.Tensor, as []int, b *tensor.Tensor, bs []int, out []int) *tensor.Tensor {
	r := tensor.New(tensor.Float32, out...)
	d, av, bv := tensor.Data[float32](r), tensor.Data[float32](a), tensor.Data[float32](b)
	p := newBcastPlan(out, as, bs)
	parallelRange(p.n, op.cost(), func(lo, hi int) {
		p.each(lo, hi, func(o int, offs []int, m int) {
			op.block(d[o:o+m], av[offs[0]:], p.in[0], bv[offs[1]:], p.in[1])
		})
	})
	return r
}

// fold32 folds the float32 tensors xs (broadcast to out) with op, from the
// first to the last.
func fold32(op binOp, xs []*tensor.Tensor, out []int) *tensor.Tensor {
	acc := binary32(op, xs[0], xs[0].Shape(), xs[1], xs[1].Shape(), out)
	for _, x := range xs[2:] {
		p := newBcastPlan(out, out, x.Shape())
		d, xv := tensor.Data[float32](acc), tensor.Data[float32](x)
		parallelRange(p.n, op.cost(), func(lo, hi int) {
			p.each(lo, hi, func(o int, offs []int, m int) {
				op.block(d[o:o+m], d[o:], 1, xv[offs[1]:], p.in[1])
			})
		})
	}
	return acc
}

// sumMean32 is Sum (mean false) or Mean of float32 tensors broadcast to
// out: per element, the inputs are added in float64 from the first to the
// last (and divided by their count for Mean), then rounded once, as the
// general path does.
func sumMean32(xs []*tensor.Tensor, out []int, mean bool) *tensor.Tensor {
	r := tensor.New(tensor.Float32, out...)
	d := tensor.Data[float32](r)
	shapes := make([][]int, len(xs))
	vals := make([][]float32, len(xs))
	for k, x := range xs {
		shapes[k], vals[k] = x.Shape(), tensor.Data[float32](x)
	}
	p := newBcastPlan(out, shapes...)
	n := float64(len(xs))
	parallelRange(p.n, parCheap/len(xs), func(lo, hi int) {
		p.each(lo, hi, func(o int, offs []int, m int) {
			dd := d[o : o+m]
			for i := range dd {
				s := float64(vals[0][offs[0]+i*p.in[0]])
				for k := 1; k < len(vals); k++ {
					s += float64(vals[k][offs[k]+i*p.in[k]])
				}
				if mean {
					s /= n
				}
				dd[i] = float32(s)
			}
		})
	})
	return r
}

// cmpOp names a comparison.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLe
	cmpGt
	cmpGe
)

// mirror returns the comparison with its operands swapped: a op b is
// b op.mirror() a.
func (op cmpOp) mirror() cmpOp {
	switch op {
	case cmpLt:
		return cmpGt
	case cmpLe:
		return cmpGe
	case cmpGt:
		return cmpLt
	case cmpGe:
		return cmpLe
	}
	return op
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func (op cmpOp) scalar(a, b float32) bool {
	switch op {
	case cmpEq:
		return a == b
	case cmpLt:
		return a < b
	case cmpLe:
		return a <= b
	case cmpGt:
		return a > b
	}
	return a >= b
}

// block computes d[i] = a[i*sa] op b[i*sb] as BOOL bytes.
func (op cmpOp) block(d []uint8, a []float32, sa int, b []float32, sb int) {
	n := len(d)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case cmpEq:
			for i := range d {
				d[i] = b2u(a[i] == b[i])
			}
		case cmpLt:
			for i := range d {
				d[i] = b2u(a[i] < b[i])
			}
		case cmpLe:
			for i := range d {
				d[i] = b2u(a[i] <= b[i])
			}
		case cmpGt:
			for i := range d {
				d[i] = b2u(a[i] > b[i])
			}
		case cmpGe:
			for i := range d {
				d[i] = b2u(a[i] >= b[i])
			}
		}
	case sa == 1:
		a = a[:n]
		s := b[0]
		switch op {
		case cmpEq:
			for i := range d {
				d[i] = b2u(a[i] == s)
			}
		case cmpLt:
			for i := range d {
				d[i] = b2u(a[i] < s)
			}
		case cmpLe:
			for i := range d {
				d[i] = b2u(a[i] <= s)
			}
		case cmpGt:
			for i := range d {
				d[i] = b2u(a[i] > s)
			}
		case cmpGe:
			for i := range d {
				d[i] = b2u(a[i] >= s)
			}
		}
	case sb == 1:
		op.mirror().block(d, b, 1, a, 0)
	default:
		v := b2u(op.scalar(a[0], b[0]))
		for i := range d {
			d[i] = v
		}
	}
}

// compare32 computes the comparison of float32 tensors a and b viewed
// with shapes as and bs, broadcast to out, as a BOOL tensor.
func compare32(op cmpOp, a *tensor.Tensor, as []int, b *tensor.Tensor, bs []int, out []int) *tensor.Tensor {
	r := tensor.New(tensor.Bool, out...)
	d, av, bv := r.Bytes(), tensor.Data[float32](a), tensor.Data[float32](b)
	p := newBcastPlan(out, as, bs)
	parallelRange(p.n, parCheap, func(lo, hi int) {
		p.each(lo, hi, func(o int, offs []int, m int) {
			op.block(d[o:o+m], av[offs[0]:], p.in[0], bv[offs[1]:], p.in[1])
		})
	})
	return r
}

// whereWords picks, for element types of T's size, x where c is nonzero
// and y elsewhere, c, x and y broadcast to out.
func whereWords[T uint8 | uint16 | uint32 | uint64](r, cond, x, y *tensor.Tensor, out []int) {
	d, cv, xv, yv := tensor.Data[T](r), cond.Bytes(), tensor.Data[T](x), tensor.Data[T](y)
	p := newBcastPlan(out, cond.Shape(), x.Shape(), y.Shape())
	sc, sx, sy := p.in[0], p.in[1], p.in[2]
	parallelRange(p.n, parCheap, func(lo, hi int) {
		p.each(lo, hi, func(o int, offs []int, m int) {
			dd := d[o : o+m]
			c, xs, ys := cv[offs[0]:], xv[offs[1]:], yv[offs[2]:]
			if sc == 1 && sx == 1 && sy == 1 {
				c, xs, ys = c[:m], xs[:m], ys[:m]
				for i := range dd {
					k := -T(b2u(c[i] != 0))
					dd[i] = xs[i]&k | ys[i]&^k
				}
				return
			}
			if sc == 1 && sx == 1 && sy == 0 {
				c, xs = c[:m], xs[:m]
				s := ys[0]
				for i := range dd {
					k := -T(b2u(c[i] != 0))
					dd[i] = xs[i]&k | s&^k
				}
				return
			}
			for i := range dd {
				k := -T(b2u(c[i*sc] != 0))
				dd[i] = xs[i*sx]&k | ys[i*sy]&^k
			}
		})
	})
}

// whereFast is Where for non-STRING element types of 1, 2, 4 or 8 bytes; it
// reports false for other types.
func whereFast(cond, x, y *tensor.Tensor, out []int) (*tensor.Tensor, bool) {
	dt := x.DType()
	if dt == tensor.String {
		return nil, false
	}
	r := tensor.New(dt, out...)
	switch dt.Size() {
	case 1:
		whereWords[uint8](r, cond, x, y, out)
	case 2:
		whereWords[uint16](r, cond, x, y, out)
	case 4:
		whereWords[uint32](r, cond, x, y, out)
	case 8:
		whereWords[uint64](r, cond, x, y, out)
	default:
		return nil, false
	}
	return r, true
}

// map32 applies f, a function of float32 blocks, to the elements of x,
// giving a tensor of the given shape (x's or a reshape of it).
func map32(x *tensor.Tensor, shape []int, minPar int, f func(d, s []float32)) *tensor.Tensor {
	r := tensor.New(tensor.Float32, shape...)
	d, s := tensor.Data[float32](r), tensor.Data[float32](x)
	parallelRange(len(d), minPar, func(lo, hi int) { f(d[lo:hi], s[lo:hi]) })
	return r
}

// chunk64 applies f, a function of float64 blocks computing in place, to
// the float32 values s, storing the results rounded once in d. Values go
// through a small buffer: widening and computing element by element would
// make each conversion wait for the previous element's result (Go's
// conversions write only the low part of a register), serializing the
// long-latency exp, tanh and square root calls.
func chunk64(d, s []float32, f func(b []float64)) {
	var buf [256]float64
	for len(s) > 0 {
		n := min(len(s), len(buf))
		b := buf[:n]
		for i, x := range s[:n] {
			b[i] = float64(x)
		}
		f(b)
		for i, x := range b {
			d[i] = float32(x)
		}
		d, s = d[n:], s[n:]
	}
}

// via64 is the float32 block form of a float64 function: per element,
// widened, computed and rounded once, as the general path does.
func via64(f func(float64) float64) func(d, s []float32) {
	return func(d, s []float32) {
		chunk64(d, s, func(b []float64) {
			for i, x := range b {
				b[i] = f(x)
			}
		})
	}
}

func relu32(d, s []float32) {
	d = d[:len(s)]
	for i, x := range s {
		d[i] = math.Float32frombits(math.Float32bits(x) &^ mask32(x < 0))
	}
}

func neg32(d, s []float32) {
	d = d[:len(s)]
	for i, x := range s {
		d[i] = -x
	}
}

func abs32(d, s []float32) {
	d = d[:len(s)]
	for i, x := range s {
		d[i] = math.Float32frombits(math.Float32bits(x) &^ (1 << 31))
	}
}

func reciprocal32(d, s []float32) {
	d = d[:len(s)]
	for i, x := range s {
		d[i] = 1 / x
	}
}

func sqrt32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Sqrt(x)
		}
	})
}

func exp32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Exp(x)
		}
	})
}

func log32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Log(x)
		}
	})
}

func tanh32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Tanh(x)
		}
	})
}

func erf32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Erf(x)
		}
	})
}

func sigmoid32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = sigmoid(x)
		}
	})
}

func gelu32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
		}
	})
}

// square32 is Pow(x, 2): x*x is exact in float64, so rounding it once is
// the float32 product; a NaN gives nan32 as math.Pow does.
func square32(d, s []float32) {
	d = d[:len(s)]
	for i, x := range s {
		x = select32(mask32(x != x), nan32, x)
		d[i] = x * x
	}
}

// powHalf32 is Pow(x, 0.5) as math.Pow computes it: NaN for NaN, +0 for
// ±0, +Inf for -Inf, the square root otherwise.
func powHalf32(d, s []float32) {
	chunk64(d, s, func(b []float64) {
		for i, x := range b {
			b[i] = math.Pow(x, 0.5)
		}
	})
}

// powScalar32 is Pow(x, e) for every x.
func powScalar32(e float64) func(d, s []float32) {
	return func(d, s []float32) {
		chunk64(d, s, func(b []float64) {
			for i, x := range b {
				b[i] = math.Pow(x, e)
			}
		})
	}
}

// powBlock computes d[i] = Pow(a[i*sa], b[i*sb]) in float64, rounded once.
func powBlock(d, a []float32, sa int, b []float32, sb int) {
	var ab, bb [128]float64
	for o := 0; o < len(d); o += len(ab) {
		n := min(len(d)-o, len(ab))
		for i := range n {
			ab[i], bb[i] = float64(a[(o+i)*sa]), float64(b[(o+i)*sb])
		}
		for i := range n {
			ab[i] = math.Pow(ab[i], bb[i])
		}
		for i := range n {
			d[o+i] = float32(ab[i])
		}
	}
}

func leakyRelu32(alpha float32) func(d, s []float32) {
	return func(d, s []float32) {
		d = d[:len(s)]
		for i, x := range s {
			d[i] = select32(mask32(x < 0), alpha*x, x)
		}
	}
}

func clip32(lo, hi float32) func(d, s []float32) {
	return func(d, s []float32) {
		d = d[:len(s)]
		for i, x := range s {
			x = select32(mask32(x < lo), lo, x)
			d[i] = select32(mask32(x > hi), hi, x)
		}
	}
}

// exact32 reports whether v is a float32 value (NaN included).
func exact32(v float64) bool { return float64(float32(v)) == v || v != v }
