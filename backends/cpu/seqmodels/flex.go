package seqmodels

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(kernels.KernelDef{Domain: "ai.onnx.preview", Op: "FlexAttention", Since: 1,
		Run: kernels.Tensors(flexAttention)})
}

// flexAttention computes Y = prob_mod(Softmax(score_mod(scale Q K^T))) V
// over rank-4 inputs. The modifier subgraphs see the whole
// (batch, q_heads, q_seq, kv_seq) score or probability tensor in the
// softmax precision (float32, or float64 for float64 inputs, unless
// softmax_precision says otherwise), so the scores are materialized.
func flexAttention(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	var xs [3]*qkv
	for i, name := range []string{"Q", "K", "V"} {
		t := input(in, i)
		if err := requireFloat(t, name); err != nil {
			return nil, err
		}
		if err := requireRank(t, name, 4); err != nil {
			return nil, err
		}
		if t.DType() != in[0].DType() {
			return nil, fmt.Errorf("%s has type %s, Q has %s", name, t.DType(), in[0].DType())
		}
		s := t.Shape()
		xs[i] = &qkv{b: s[0], h: s[1], s: s[2], d: s[3], v: floats(t)}
	}
	q, k, v := xs[0], xs[1], xs[2]
	if k.b != q.b || v.b != q.b {
		return nil, fmt.Errorf("Q, K and V batch sizes differ: %d, %d, %d", q.b, k.b, v.b)
	}
	if k.d != q.d {
		return nil, fmt.Errorf("K's head size %d differs from Q's %d", k.d, q.d)
	}
	if v.h != k.h || v.s != k.s {
		return nil, fmt.Errorf("V (%d heads, length %d) must match K (%d heads, length %d)", v.h, v.s, k.h, k.s)
	}
	if k.h == 0 || q.h%k.h != 0 {
		return nil, fmt.Errorf("Q's %d heads must be a multiple of K's %d", q.h, k.h)
	}
	prec := tensor.Float32
	if in[0].DType() == tensor.Float64 {
		prec = tensor.Float64
	}
	if c.Has("softmax_precision") {
		var err error
		if prec, err = softmaxType(c.Int("softmax_precision")); err != nil {
			return nil, err
		}
	}
	scale := 1 / math.Sqrt(float64(q.d))
	if c.Has("scale") {
		scale = float64(c.Float("scale"))
	}
	shape := []int{q.b, q.h, q.s, k.s}
	sc, err := makeFloats(shape...)
	if err != nil {
		return nil, err
	}
	group := q.h / k.h
	for b := 0; b < q.b; b++ {
		for h := 0; h < q.h; h++ {
			for i := 0; i < q.s; i++ {
				row := sc[((b*q.h+h)*q.s+i)*k.s:][:k.s]
				qrow := q.at(b, h, i)
				for j := range row {
					row[j] = scale * dot(qrow, k.at(b, h/group, j))
				}
			}
		}
	}
	if sc, err = applyMod(c, "score_mod", prec, shape, sc); err != nil {
		return nil, err
	}
	for r := 0; r < len(sc); r += k.s {
		softmaxRow(sc[r : r+k.s])
	}
	if sc, err = applyMod(c, "prob_mod", prec, shape, sc); err != nil {
		return nil, err
	}
	y, err := makeFloats(q.b, q.h, q.s, v.d)
	if err != nil {
		return nil, err
	}
	for b := 0; b < q.b; b++ {
		for h := 0; h < q.h; h++ {
			for i := 0; i < q.s; i++ {
				p := sc[((b*q.h+h)*q.s+i)*k.s:][:k.s]
				yrow := y[((b*q.h+h)*q.s+i)*v.d:][:v.d]
				for j, pj := range p {
					for d, x := range v.at(b, h/group, j) {
						yrow[d] += pj * x
					}
				}
			}
		}
	}
	out, err := fromFloats(in[0].DType(), []int{q.b, q.h, q.s, v.d}, y)
	return []*tensor.Tensor{out}, err
}

// softmaxRow replaces x by its softmax (NaN throughout when every entry is
// -inf, as exp(x - max) is then undefined).
func softmaxRow(x []float64) {
	m := math.Inf(-1)
	for _, s := range x {
		if s > m || math.IsNaN(s) {
			m = s
		}
	}
	sum := 0.0
	for i, s := range x {
		x[i] = math.Exp(s - m)
		sum += x[i]
	}
	for i := range x {
		x[i] /= sum
	}
}

// applyMod rounds vals to the softmax precision and, when the node has
// the modifier subgraph attr, runs it on them; the result must keep the
// shape.
func applyMod(c *kernels.Ctx, attr string, prec tensor.DType, shape []int, vals []float64) ([]float64, error) {
	t, err := fromFloats(prec, shape, vals)
	if err != nil {
		return nil, err
	}
	var g *ir.Func
	if c.Has(attr) {
		g = c.Node.Graph(attr)
	}
	if g == nil {
		return floats(t), nil
	}
	if len(g.Params) != 1 || len(g.Results) != 1 {
		return nil, fmt.Errorf("%s must take one tensor and return one, it takes %d and returns %d", attr, len(g.Params), len(g.Results))
	}
	outs, err := c.RunGraph(g, []tensor.Value{t})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", attr, err)
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("%s returned %d values, want 1", attr, len(outs))
	}
	r, ok := outs[0].(*tensor.Tensor)
	if !ok || r == nil {
		return nil, fmt.Errorf("%s must return a tensor, got %T", attr, outs[0])
	}
	if r.DType() != prec || !sameShape(r, shape...) {
		return nil, fmt.Errorf("%s must return %s%v, got %s%v", attr, prec, shape, r.DType(), r.Shape())
	}
	return floats(r), nil
}
