package autodiff

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/ir"
)

// Gradient rules of the reductions, the softmax family, Gemm, Einsum,
// CumSum and TopK.

// reduceRule makes the rule of a Reduce* op from the local derivative
// dy·∂y/∂x, given the input x, and the output and its gradient in the
// keepdims form (broadcastable against x).
func reduceRule(local func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x := n.Inputs[0]
		out := make([]*ir.Value, len(n.Inputs))
		if !wants(x) {
			return out, nil
		}
		if _, err := axesOfReduce(n); err != nil {
			return nil, err
		}
		dk, err := b.keptGrad(n, dy[0])
		if err != nil {
			return nil, err
		}
		yk, err := b.keptGrad(n, n.Outputs[0])
		if err != nil {
			return nil, err
		}
		out[0] = local(b, n, x, yk, dk)
		return out, nil
	}
}

// extremumReduce sends the gradient to the elements equal to the result,
// shared evenly among ties.
func extremumReduce(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
	m := b.mask(b.Op("Equal", []*ir.Value{x, y}), x)
	count := b.reduceLike(n, "ReduceSum", m)
	return b.mul(b.div(dy, count), m)
}

func init() {
	register(map[string]Rule{
		":ReduceSum": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			return b.expandLike(dy, x)
		}),
		":ReduceMean": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			return b.div(b.expandLike(dy, x), b.ratio(x, y, x))
		}),
		":ReduceSumSquare": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			return b.mul(b.scale(x, 2), dy)
		}),
		":ReduceL1": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			return b.mul(b.fn("Sign", x), dy)
		}),
		":ReduceL2": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			// x/y, taken as 0 where the norm is 0.
			zero := b.Op("Equal", []*ir.Value{y, b.Scalar(0, y)})
			safe := b.Op("Where", []*ir.Value{zero, b.Scalar(1, y), y})
			return b.mul(b.div(x, safe), b.Op("Where", []*ir.Value{zero, b.Scalar(0, dy), dy}))
		}),
		":ReduceLogSum": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			// 1/sum = exp(-y)
			return b.expandLike(b.mul(dy, b.fn("Exp", b.neg(y))), x)
		}),
		":ReduceLogSumExp": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			return b.mul(dy, b.fn("Exp", b.sub(x, y)))
		}),
		":ReduceProd": reduceRule(func(b *Builder, n *ir.Node, x, y, dy *ir.Value) *ir.Value {
			// The product of the other elements: y/x where x ≠ 0; where
			// x = 0, the product of the nonzero elements if x is the only
			// zero, else 0.
			isZero := b.Op("Equal", []*ir.Value{x, b.Scalar(0, x)})
			safe := b.Op("Where", []*ir.Value{isZero, b.Scalar(1, x), x})
			nonzero := b.reduceLike(n, "ReduceProd", safe)
			zeros := b.reduceLike(n, "ReduceSum", b.mask(isZero, x))
			lone := b.mul(nonzero, b.mask(b.Op("Equal", []*ir.Value{zeros, b.Scalar(1, zeros)}), x))
			others := b.Op("Where", []*ir.Value{isZero, b.expandLike(lone, x), b.div(y, safe)})
			return b.mul(dy, others)
		}),
		":ReduceMax": reduceRule(extremumReduce),
		":ReduceMin": reduceRule(extremumReduce),

		":Softmax":    softmaxRule(false),
		":LogSoftmax": softmaxRule(true),
		":Hardmax":    zeroRule,

		":Gemm":   gemmRule,
		":Einsum": einsumRule,

		":CumSum": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// The adjoint of a running sum is the running sum the other way.
			rev := int64(1)
			if n.Int("reverse") != 0 {
				rev = 0
			}
			g := b.Op("CumSum", []*ir.Value{dy[0], n.Inputs[1]}, ir.AInt("exclusive", n.Int("exclusive")), ir.AInt("reverse", rev))
			return []*ir.Value{g, nil}, nil
		},
		":TopK": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			x := n.Inputs[0]
			out := make([]*ir.Value, len(n.Inputs))
			if !wants(x) || dy[0] == nil {
				return out, nil
			}
			if b.opset < 11 {
				return nil, fmt.Errorf("TopK gradient needs opset 11 or later")
			}
			out[0] = b.Op("ScatterElements", []*ir.Value{b.zerosLike(x), n.Outputs[1], dy[0]}, ir.AInt("axis", n.Int("axis")))
			return out, nil
		},
		":LpNormalization": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = x/‖x‖: dx = (dy - s·Σ(dy·y))/‖x‖ with s = y (p = 2) or
			// sign(x) (p = 1).
			x, y := n.Inputs[0], n.Outputs[0]
			r := x.Type.Rank()
			if r < 0 {
				return nil, fmt.Errorf("LpNormalization gradient needs the input rank")
			}
			ax, err := ir.NormAxis(n.Int("axis"), r)
			if err != nil {
				return nil, err
			}
			axes := []int64{int64(ax)}
			var norm, s *ir.Value
			switch n.Int("p") {
			case 2:
				norm, s = b.reduce("ReduceL2", x, axes, true), y
			case 1:
				norm, s = b.reduce("ReduceL1", x, axes, true), b.fn("Sign", x)
			default:
				return nil, fmt.Errorf("LpNormalization with p = %d", n.Int("p"))
			}
			dot := b.reduce("ReduceSum", b.mul(dy[0], y), axes, true)
			return []*ir.Value{b.div(b.sub(dy[0], b.mul(s, dot)), norm)}, nil
		},
	})
}

// softmaxRule: for y = softmax(x), dx = y·(dy - Σ dy·y); for y =
// logsoftmax(x), dx = dy - exp(y)·Σ dy, the sums along the axis. Before
// opset 13 the op works on the input flattened to 2-D at axis.
func softmaxRule(log bool) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x, y, d := n.Inputs[0], n.Outputs[0], dy[0]
		r := x.Type.Rank()
		if r < 0 {
			return nil, fmt.Errorf("%s gradient needs the input rank", n.Op)
		}
		var axis int64
		legacy := n.Opset < 13
		if legacy {
			axis = 1
			if n.HasAttr("axis") {
				axis = n.Int("axis")
			}
		} else {
			axis = -1
			if n.HasAttr("axis") {
				axis = n.Int("axis")
			}
		}
		ax, err := ir.NormAxis(axis, max(r, 1))
		if err != nil {
			return nil, err
		}
		if legacy {
			y = b.Op("Flatten", []*ir.Value{y}, ir.AInt("axis", int64(ax)))
			d = b.Op("Flatten", []*ir.Value{d}, ir.AInt("axis", int64(ax)))
			ax = 1
		}
		axes := []int64{int64(ax)}
		var g *ir.Value
		if log {
			g = b.sub(d, b.mul(b.fn("Exp", y), b.reduce("ReduceSum", d, axes, true)))
		} else {
			g = b.mul(y, b.sub(d, b.reduce("ReduceSum", b.mul(d, y), axes, true)))
		}
		if legacy {
			g = b.reshapeLike(g, x)
		}
		return []*ir.Value{g}, nil
	}
}

// gemmRule: Y = alpha·A'·B' + beta·C with A' = A or Aᵀ, B' = B or Bᵀ.
func gemmRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	a, c := n.Inputs[0], n.Inputs[1]
	cc := n.Input(2)
	ta, tb := n.Int("transA") != 0, n.Int("transB") != 0
	g := b.scale(dy[0], float64(n.Float("alpha")))
	out := make([]*ir.Value, len(n.Inputs))
	if wants(a) {
		if !ta {
			out[0] = b.mm(g, false, c, !tb) // G·B'ᵀ
		} else {
			out[0] = b.mm(c, tb, g, true) // B'·Gᵀ
		}
	}
	if wants(c) {
		if !tb {
			out[1] = b.mm(a, !ta, g, false) // A'ᵀ·G
		} else {
			out[1] = b.mm(g, true, a, ta) // Gᵀ·A'
		}
	}
	if wants(cc) {
		d, err := b.Unbroadcast(b.scale(dy[0], float64(n.Float("beta"))), cc, n.Outputs[0])
		if err != nil {
			return nil, err
		}
		out[2] = d
	}
	return out, nil
}

// mm multiplies two matrices, either transposed.
func (b *Builder) mm(a *ir.Value, ta bool, c *ir.Value, tc bool) *ir.Value {
	t := func(v *ir.Value, yes bool) *ir.Value {
		if !yes {
			return v
		}
		return b.Op("Transpose", []*ir.Value{v}, ir.AInts("perm", 1, 0))
	}
	return b.Op("MatMul", []*ir.Value{t(a, ta), t(c, tc)})
}

// einsumRule: the gradient of an operand is the Einsum of the output
// gradient with the other operands, producing the operand's subscripts.
// Subscripts summed within the operand alone come back by broadcasting.
// Repeated subscripts within an operand (diagonals) and ellipses are not
// handled.
func einsumRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	eq := strings.ReplaceAll(n.Str("equation"), " ", "")
	if strings.Contains(eq, ".") {
		return nil, fmt.Errorf("Einsum gradient does not handle ellipses (%q)", eq)
	}
	lhs, rhs, explicit := strings.Cut(eq, "->")
	ops := strings.Split(lhs, ",")
	if len(ops) != len(n.Inputs) {
		return nil, fmt.Errorf("Einsum equation %q has %d operands, the node %d", eq, len(ops), len(n.Inputs))
	}
	count := map[rune]int{}
	for _, o := range ops {
		seen := map[rune]bool{}
		for _, l := range o {
			if seen[l] {
				return nil, fmt.Errorf("Einsum gradient does not handle repeated subscripts (%q)", eq)
			}
			seen[l] = true
			count[l]++
		}
	}
	if !explicit {
		var ls []rune
		for l, c := range count {
			if c == 1 {
				ls = append(ls, l)
			}
		}
		sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
		rhs = string(ls)
	}
	out := make([]*ir.Value, len(n.Inputs))
	for i, x := range n.Inputs {
		if !wants(x) {
			continue
		}
		// Subscripts present in the output or another operand.
		avail := map[rune]bool{}
		for _, l := range rhs {
			avail[l] = true
		}
		terms := []string{rhs}
		ins := []*ir.Value{dy[0]}
		for j, o := range ops {
			if j == i {
				continue
			}
			for _, l := range o {
				avail[l] = true
			}
			terms = append(terms, o)
			ins = append(ins, n.Inputs[j])
		}
		var keep string
		var missing []int64
		for k, l := range ops[i] {
			if avail[l] {
				keep += string(l)
			} else {
				missing = append(missing, int64(k))
			}
		}
		g := b.Op("Einsum", ins, ir.AString("equation", strings.Join(terms, ",")+"->"+keep))
		if len(missing) > 0 {
			g = b.expandLike(b.unsqueeze(g, missing), x)
		}
		out[i] = g
	}
	return out, nil
}
