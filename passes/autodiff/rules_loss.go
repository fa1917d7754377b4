package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Gradient rules of the losses NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss. Labels have no gradient; class weights do.
//
// With input (log-probabilities) lp of shape [N, C, d...], labels t of
// shape [N, d...] and per-element weights ω_i = weight[t_i] (0 where t_i
// is ignore_index, 1 without weights), the loss elements are
// l_i = -ω_i·lp[i, t_i]. Reduction none gives l, sum Σl, mean Σl/Σω.
func lossRule(softmax bool) Rule {
	return func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
		x, t := n.Inputs[0], n.Inputs[1]
		w := n.Input(2)
		y := n.Outputs[0]
		r := x.Type.Rank()
		if r < 2 {
			return nil, fmt.Errorf("%s gradient needs an input of known rank 2 or more, have %s", n.Op, x.Type)
		}
		if b.opset < 11 {
			return nil, fmt.Errorf("%s gradient needs opset 11 or later", n.Op)
		}
		out := make([]*ir.Value, len(n.Inputs))
		if !wants(x) && !wants(w) {
			return out, nil
		}
		red := n.Str("reduction")
		if red != "none" && red != "sum" && red != "mean" {
			return nil, fmt.Errorf("%s with reduction %q", n.Op, red)
		}
		var dlp *ir.Value // gradient of the log-probabilities from the log_prob output
		if len(dy) > 1 {
			dlp = dy[1]
		}
		dl := dy[0]

		lp := x
		if softmax {
			if len(n.Outputs) > 1 && n.Outputs[1] != nil {
				lp = n.Outputs[1]
			} else {
				lp = b.sub(x, b.reduce("ReduceLogSumExp", x, []int64{1}, true))
			}
		}

		// One-hot of the labels along axis 1.
		t64 := b.Op("Cast", []*ir.Value{t}, ir.AInt("to", int64(tensor.Int64)))
		c := b.Op("Reshape", []*ir.Value{b.dimOf(x, 1), b.Ints()})
		classes := b.Op("Range", []*ir.Value{b.Const(tensor.Scalar(int64(0))), c, b.Const(tensor.Scalar(int64(1)))})
		classes = b.Op("Reshape", []*ir.Value{classes, b.Ints(onesWith(r, 1)...)})
		onehot := b.mask(b.Op("Equal", []*ir.Value{b.unsqueeze(t64, []int64{1}), classes}), x)

		// Per-element weights ω, nil when all are 1.
		var om *ir.Value
		if w != nil {
			om = b.reduce("ReduceSum", b.mul(onehot, b.channelShape(w, r)), []int64{1}, false)
		}
		var valid *ir.Value
		if n.HasAttr("ignore_index") {
			ign := b.Const(tensor.Scalar(n.Int("ignore_index")))
			valid = b.mask(b.Op("Not", []*ir.Value{b.Op("Equal", []*ir.Value{t64, ign})}), x)
			if om == nil {
				om = valid
			} else {
				om = b.mul(om, valid)
			}
		}
		var total *ir.Value // Σω for the mean
		if red == "mean" {
			if om != nil {
				total = b.reduce("ReduceSum", om, nil, false)
			} else {
				total = b.castTo(b.Op("Size", []*ir.Value{t}), x)
			}
		}

		if wants(x) {
			var g *ir.Value
			if dl != nil {
				// ∂loss/∂l_i scaled by ω_i: the coefficient of -onehot.
				coef := dl
				if om != nil {
					coef = b.mul(coef, om)
				}
				if total != nil {
					coef = b.div(coef, total)
				}
				if red == "none" || om != nil {
					coef = b.unsqueeze(coef, []int64{1})
				}
				g = b.neg(b.mul(coef, onehot))
			}
			if dlp != nil {
				if g == nil {
					g = dlp
				} else {
					g = b.add(g, dlp)
				}
			}
			if g == nil {
				return out, nil
			}
			if softmax {
				g = b.sub(g, b.mul(b.fn("Exp", lp), b.reduce("ReduceSum", g, []int64{1}, true)))
			}
			out[0] = g
		}
		if wants(w) && dl != nil {
			// ∂loss/∂ω_i: -lp[i, t_i] for none and sum, (-lp[i, t_i] -
			// loss)/Σω for the mean; then ω_i = weight[t_i]·valid_i.
			nll := b.neg(b.reduce("ReduceSum", b.mul(onehot, lp), []int64{1}, false))
			var dom *ir.Value
			switch red {
			case "mean":
				dom = b.div(b.mul(dl, b.sub(nll, y)), total)
			default:
				dom = b.mul(dl, nll)
			}
			if valid != nil {
				dom = b.mul(dom, valid)
			}
			axes := append([]int64{0}, rangeAxes(2, r)...)
			out[2] = b.reduce("ReduceSum", b.mul(b.unsqueeze(dom, []int64{1}), onehot), axes, false)
		}
		return out, nil
	}
}

func init() {
	register(map[string]Rule{
		":NegativeLogLikelihoodLoss": lossRule(false),
		":SoftmaxCrossEntropyLoss":   lossRule(true),
	})
}
