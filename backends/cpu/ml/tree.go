package ml

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Node comparison modes of TreeEnsemble.
const (
	modeLEQ = iota
	modeLT
	modeGTE
	modeGT
	modeEQ
	modeNEQ
	modeMember
)

// treeEnsemble walks every tree for every sample, sums (or averages,
// minimizes, maximizes) the leaf weights per target, and applies the post
// transform.
func treeEnsemble(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() != 2 {
		return nil, fmt.Errorf("input must be [samples, features], has shape %v", x.Shape())
	}
	n := c.Node
	feat, trueIDs, falseIDs := n.Ints("nodes_featureids"), n.Ints("nodes_truenodeids"), n.Ints("nodes_falsenodeids")
	trueLeaf, falseLeaf := n.Ints("nodes_trueleafs"), n.Ints("nodes_falseleafs")
	missingTrue := n.Ints("nodes_missing_value_tracks_true")
	splits, modes, weights := n.Tensor("nodes_splits"), n.Tensor("nodes_modes"), n.Tensor("leaf_weights")
	targets, roots := n.Ints("leaf_targetids"), n.Ints("tree_roots")
	nt := int(c.Int("n_targets"))
	if splits == nil || modes == nil || weights == nil {
		return nil, fmt.Errorf("nodes_splits, nodes_modes and leaf_weights are required")
	}
	nn := len(feat)
	if len(trueIDs) != nn || len(falseIDs) != nn || len(trueLeaf) != nn || len(falseLeaf) != nn || splits.Len() != nn || modes.Len() != nn {
		return nil, fmt.Errorf("node attributes have different lengths")
	}
	if len(targets) != weights.Len() {
		return nil, fmt.Errorf("%d leaf targets but %d leaf weights", len(targets), weights.Len())
	}
	// Sets of the member nodes, in node order, from NaN-separated runs.
	sets := map[int]map[float64]bool{}
	if mv := n.Tensor("membership_values"); mv != nil {
		k := 0
		cur := map[float64]bool{}
		for node := 0; node < nn; node++ {
			if int(modes.Int64At(node)) != modeMember {
				continue
			}
			for ; k < mv.Len(); k++ {
				v := mv.Float64At(k)
				if math.IsNaN(v) {
					k++
					break
				}
				cur[v] = true
			}
			sets[node] = cur
			cur = map[float64]bool{}
		}
	}
	samples, nf := x.Dim(0), x.Dim(1)
	out := tensor.New(x.DType(), samples, nt)
	agg := c.Int("aggregate_function")
	acc := make([]float64, nt)
	hits := make([]int, nt)
	for s := 0; s < samples; s++ {
		for t := range acc {
			acc[t], hits[t] = 0, 0
			if agg == 2 {
				acc[t] = math.Inf(1)
			} else if agg == 3 {
				acc[t] = math.Inf(-1)
			}
		}
		for _, root := range roots {
			id, leaf := int(root), false
			for steps := 0; !leaf; steps++ {
				if id < 0 || id >= nn || steps > nn {
					return nil, fmt.Errorf("tree walk left the node table at node %d", id)
				}
				f := int(feat[id])
				if f < 0 || f >= nf {
					return nil, fmt.Errorf("node %d reads feature %d of %d", id, f, nf)
				}
				v, th := x.Float64At(s*nf+f), splits.Float64At(id)
				var cond bool
				if math.IsNaN(v) {
					cond = id < len(missingTrue) && missingTrue[id] != 0
				} else {
					switch int(modes.Int64At(id)) {
					case modeLEQ:
						cond = v <= th
					case modeLT:
						cond = v < th
					case modeGTE:
						cond = v >= th
					case modeGT:
						cond = v > th
					case modeEQ:
						cond = v == th
					case modeNEQ:
						cond = v != th
					case modeMember:
						cond = sets[id][v]
					default:
						return nil, fmt.Errorf("node %d has unknown mode %d", id, modes.Int64At(id))
					}
				}
				if cond {
					id, leaf = int(trueIDs[id]), trueLeaf[id] != 0
				} else {
					id, leaf = int(falseIDs[id]), falseLeaf[id] != 0
				}
			}
			if id < 0 || id >= len(targets) {
				return nil, fmt.Errorf("leaf %d out of range", id)
			}
			t := int(targets[id])
			if t < 0 || t >= nt {
				return nil, fmt.Errorf("leaf %d targets %d of %d", id, t, nt)
			}
			w := weights.Float64At(id)
			switch agg {
			case 2:
				acc[t] = math.Min(acc[t], w)
			case 3:
				acc[t] = math.Max(acc[t], w)
			default:
				acc[t] += w
			}
			hits[t]++
		}
		for t := range acc {
			v := acc[t]
			if agg == 0 && hits[t] > 0 {
				v /= float64(len(roots))
			}
			if (agg == 2 || agg == 3) && hits[t] == 0 {
				v = 0
			}
			acc[t] = v
		}
		if err := postTransform(c.Int("post_transform"), acc); err != nil {
			return nil, err
		}
		for t, v := range acc {
			out.SetFloat64At(s*nt+t, v)
		}
	}
	return []*tensor.Tensor{out}, nil
}

func postTransform(mode int64, v []float64) error {
	switch mode {
	case 0:
	case 1, 3: // SOFTMAX, SOFTMAX_ZERO
		mx := math.Inf(-1)
		for _, x := range v {
			mx = math.Max(mx, x)
		}
		sum := 0.0
		for i, x := range v {
			if mode == 3 && x == 0 {
				v[i] = 0
				continue
			}
			v[i] = math.Exp(x - mx)
			sum += v[i]
		}
		for i := range v {
			if sum > 0 {
				v[i] /= sum
			}
		}
	case 2: // LOGISTIC
		for i, x := range v {
			v[i] = 1 / (1 + math.Exp(-x))
		}
	case 4: // PROBIT
		for i, x := range v {
			v[i] = math.Sqrt2 * math.Erfinv(2*x-1)
		}
	default:
		return fmt.Errorf("unknown post_transform %d", mode)
	}
	return nil
}
