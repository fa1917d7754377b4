package train

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// Loss emits a scalar loss of a model's output pred against target into g.
// Every loss here averages over the batch (PyTorch's reduction "mean"),
// which is what data-parallel training relies on to average gradients.
type Loss func(g *nn.Graph, pred, target *ir.Value) *ir.Value

func binop(g *nn.Graph, op string, a, b *ir.Value) *ir.Value { return g.Op(op, []*ir.Value{a, b}) }

func sameShape(g *nn.Graph, name string, pred, target *ir.Value) bool {
	ok := pred.Type.Elem == target.Type.Elem && pred.Type.Rank() == target.Type.Rank() && pred.Type.Rank() >= 0
	for i := 0; ok && i < pred.Type.Rank(); i++ {
		a, b := pred.Type.Shape[i], target.Type.Shape[i]
		ok = !a.IsKnown() || !b.IsKnown() || a.Size == b.Size
	}
	if !ok {
		g.Errorf("%s: target %s does not match the prediction %s", name, target.Type, pred.Type)
		return false
	}
	return true
}

// MSELoss is mean((pred - target)²).
func MSELoss() Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !sameShape(g, "MSELoss", p, t) {
			return p
		}
		d := binop(g, "Sub", p, t)
		return g.Reduce("ReduceMean", binop(g, "Mul", d, d), false)
	}
}

// L1Loss is mean(|pred - target|).
func L1Loss() Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !sameShape(g, "L1Loss", p, t) {
			return p
		}
		return g.Reduce("ReduceMean", g.Op("Abs", []*ir.Value{binop(g, "Sub", p, t)}), false)
	}
}

// HuberLoss is the mean of ½d² where |d| < delta and delta·(|d| - ½delta)
// elsewhere, d = pred - target. It is computed as ½q² + delta·(|d| - q)
// with q = min(|d|, delta).
func HuberLoss(delta float64) Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !sameShape(g, "HuberLoss", p, t) {
			return p
		}
		a := g.Op("Abs", []*ir.Value{binop(g, "Sub", p, t)})
		q := binop(g, "Min", a, g.Scalar(float32(delta)))
		quad := binop(g, "Mul", binop(g, "Mul", q, q), g.Scalar(0.5))
		lin := binop(g, "Mul", binop(g, "Sub", a, q), g.Scalar(float32(delta)))
		return g.Reduce("ReduceMean", binop(g, "Add", quad, lin), false)
	}
}

// BCELoss is the binary cross-entropy of probabilities pred against
// targets in [0, 1]: -mean(t·log p + (1-t)·log(1-p)), with the logarithms
// clamped at -100 as PyTorch does.
func BCELoss() Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !sameShape(g, "BCELoss", p, t) {
			return p
		}
		clampLog := func(v *ir.Value) *ir.Value { return binop(g, "Max", g.Op("Log", []*ir.Value{v}), g.Scalar(-100)) }
		one := g.Scalar(1)
		l := binop(g, "Add", binop(g, "Mul", t, clampLog(p)),
			binop(g, "Mul", binop(g, "Sub", one, t), clampLog(binop(g, "Sub", one, p))))
		return g.Op("Neg", []*ir.Value{g.Reduce("ReduceMean", l, false)})
	}
}

// BCEWithLogitsLoss is BCELoss of sigmoid(pred), computed stably as
// mean(max(x, 0) - x·t + log(1 + e^-|x|)).
func BCEWithLogitsLoss() Loss {
	return func(g *nn.Graph, x, t *ir.Value) *ir.Value {
		if !sameShape(g, "BCEWithLogitsLoss", x, t) {
			return x
		}
		sp := g.Op("Softplus", []*ir.Value{g.Op("Neg", []*ir.Value{g.Op("Abs", []*ir.Value{x})})})
		l := binop(g, "Add", binop(g, "Sub", g.Op("Relu", []*ir.Value{x}), binop(g, "Mul", x, t)), sp)
		return g.Reduce("ReduceMean", l, false)
	}
}

func classTarget(g *nn.Graph, name string, pred, target *ir.Value) bool {
	pr, tr := pred.Type.Rank(), target.Type.Rank()
	if target.Type.Elem != tensor.Int64 {
		g.Errorf("%s: target %s must hold int64 class indices", name, target.Type)
		return false
	}
	if pr < 2 || tr != pr-1 {
		g.Errorf("%s: prediction %s should be [N, C, ...] and target %s [N, ...]", name, pred.Type, target.Type)
		return false
	}
	return true
}

// NLLLoss is the mean negative log-likelihood of log-probabilities pred
// [N, C, ...] at int64 class indices target [N, ...].
func NLLLoss() Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !classTarget(g, "NLLLoss", p, t) {
			return p
		}
		return g.Op("NegativeLogLikelihoodLoss", []*ir.Value{p, t}, ir.AString("reduction", "mean"))
	}
}

// CrossEntropyLoss is the mean cross-entropy of logits pred [N, C, ...]
// at int64 class indices target [N, ...], with label smoothing ε as in
// PyTorch: (1-ε)·NLL(log_softmax(pred)) + ε·mean over classes and samples
// of -log_softmax(pred).
func CrossEntropyLoss(labelSmoothing float64) Loss {
	return func(g *nn.Graph, p, t *ir.Value) *ir.Value {
		if !classTarget(g, "CrossEntropyLoss", p, t) {
			return p
		}
		if labelSmoothing < 0 || labelSmoothing > 1 {
			return g.Errorf("CrossEntropyLoss: label smoothing %g is not in [0, 1]", labelSmoothing)
		}
		lp := g.Op("LogSoftmax", []*ir.Value{p}, ir.AInt("axis", 1))
		nll := g.Op("NegativeLogLikelihoodLoss", []*ir.Value{lp, t}, ir.AString("reduction", "mean"))
		if labelSmoothing == 0 {
			return nll
		}
		c := p.Type.Shape[1]
		if !c.IsKnown() {
			return g.Errorf("CrossEntropyLoss with label smoothing needs a known class count, have %s", p.Type)
		}
		// mean over samples of Σ_c -lp/C is the mean over all elements.
		smooth := g.Op("Neg", []*ir.Value{g.Reduce("ReduceMean", lp, false)})
		eps := float32(labelSmoothing)
		return binop(g, "Add", binop(g, "Mul", nll, g.Scalar(1-eps)), binop(g, "Mul", smooth, g.Scalar(eps)))
	}
}

func checkScalar(v *ir.Value) error {
	s, ok := v.Type.StaticShape()
	if !ok {
		return fmt.Errorf("train: the loss has type %s, want a scalar", v.Type)
	}
	n := 1
	for _, d := range s {
		n *= d
	}
	if n != 1 {
		return fmt.Errorf("train: the loss has shape %v, want a scalar", s)
	}
	return nil
}
