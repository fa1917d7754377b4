package cpu

import (
	"math"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Activation fusion in the execution plan: when the only reader of a
// Conv, ConvTranspose, Gemm, MatMul or normalization output is an
// elementwise activation, the activation is applied in place to that
// freshly made output as part of the same step, and the activation's own
// step is skipped. No standard ONNX op expresses Conv+Relu, so this fusion
// lives only here, in the compiled program; the graph is unchanged. Results
// are identical to running the two kernels: each activation computes as
// its reference kernel does (in float64, rounded once).

// fusedAct is an activation folded into the step before it.
type fusedAct struct {
	next  int // index of the activation's step
	apply func(x float64) float64
}

// producers make a fresh output tensor that nothing else holds.
var producers = map[string]bool{
	"Conv": true, "ConvTranspose": true, "Gemm": true, "MatMul": true,
	"BatchNormalization": true, "InstanceNormalization": true, "LayerNormalization": true,
}

// activation returns the elementwise function of an activation node, or
// nil when it is not one that fusion handles.
func activation(n *ir.Node) func(float64) float64 {
	if ir.NormDomain(n.Domain) != "" || len(n.Inputs) == 0 {
		return nil
	}
	switch n.Op {
	case "Relu":
		return func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return x
		}
	case "LeakyRelu":
		alpha := float64(n.FloatOr("alpha", 0.01))
		return func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}
	case "Sigmoid":
		return func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	case "Tanh":
		return math.Tanh
	case "Clip":
		lo, hi := math.Inf(-1), math.Inf(1)
		if n.Opset < 11 {
			lo, hi = float64(n.FloatOr("min", float32(math.Inf(-1)))), float64(n.FloatOr("max", float32(math.Inf(1))))
		} else {
			for i, b := range []*float64{&lo, &hi} {
				v := n.Input(i + 1)
				if v == nil {
					continue
				}
				if !v.IsConst() || v.Const.Len() != 1 {
					return nil
				}
				*b = v.Const.Float64At(0)
			}
		}
		return func(x float64) float64 {
			if math.IsNaN(x) {
				return x
			}
			return math.Min(hi, math.Max(lo, x))
		}
	}
	return nil
}

// planFusions finds the producer/activation pairs of p's Func.
func (p *Program) planFusions() {
	f := p.f
	index := map[*ir.Node]int{}
	for i, st := range p.steps {
		index[st.node] = i
	}
	pinned := map[*ir.Value]bool{}
	for _, r := range f.Results {
		pinned[r] = true
	}
	for _, n := range f.Nodes {
		for _, g := range n.Subgraphs() {
			for v := range g.Captured() {
				pinned[v] = true
			}
		}
	}
	p.fused = make([]*fusedAct, len(p.steps))
	for i, st := range p.steps {
		n := st.node
		if !producers[n.Op] || ir.NormDomain(n.Domain) != "" || len(n.Outputs) == 0 || n.Outputs[0] == nil {
			continue
		}
		out := n.Outputs[0]
		if pinned[out] || len(out.Uses) != 1 {
			continue
		}
		act := out.Uses[0]
		j, ok := index[act]
		if !ok || j <= i || act.Inputs[0] != out {
			continue
		}
		// The activation must read out only as its data input.
		reads := 0
		for _, in := range act.Inputs {
			if in == out {
				reads++
			}
		}
		if reads != 1 {
			continue
		}
		if fn := activation(act); fn != nil {
			p.fused[i] = &fusedAct{next: j, apply: fn}
		}
	}
}

// applyFused applies the activation in place when the output is a float32
// or float64 tensor, and reports whether it did.
func applyFused(fa *fusedAct, v tensor.Value) bool {
	t, ok := v.(*tensor.Tensor)
	if !ok {
		return false
	}
	switch t.DType() {
	case tensor.Float32:
		d := t.Float32s()
		for k, x := range d {
			d[k] = float32(fa.apply(float64(x)))
		}
	case tensor.Float64:
		d := t.Float64s()
		for k, x := range d {
			d[k] = fa.apply(x)
		}
	default:
		return false
	}
	return true
}
