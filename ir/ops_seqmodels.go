package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Sequence models and attention: the recurrent ops (RNN, GRU, LSTM),
// scaled dot-product attention (Attention and the preview FlexAttention),
// rotary position embeddings, KV-cache updates (TensorScatter), linear
// attention recurrences, the stateful causal convolution and CumProd.
func init() {
	rnnAttrs := func(extra ...AttrDef) []AttrDef {
		return append([]AttrDef{AttrOpt("activation_alpha", AttrFloats), AttrOpt("activation_beta", AttrFloats),
			AttrOpt("activations", AttrStrings), AttrOpt("clip", AttrFloat), AttrS("direction", "forward"),
			AttrOpt("hidden_size", AttrInt), AttrI("layout", 0), AttrI("output_sequence", 0)}, extra...)
	}
	Register(
		OpSchema{Name: "RNN", Versions: []int{1, 7, 14, 22},
			Inputs:  "X:T W:T R:T B?:T sequence_lens?:T1 initial_h?:T",
			Outputs: "Y?:T Y_h?:T", Types: "T=float T1=i32",
			Attrs: rnnAttrs(), Infer: inferRecurrent(1),
			Doc: "simple recurrent network: H = f(X W^T + H R^T + b)"},
		OpSchema{Name: "GRU", Versions: []int{1, 3, 7, 14, 22},
			Inputs:  "X:T W:T R:T B?:T sequence_lens?:T1 initial_h?:T",
			Outputs: "Y?:T Y_h?:T", Types: "T=float T1=i32",
			Attrs: rnnAttrs(AttrI("linear_before_reset", 0)), Infer: inferRecurrent(3),
			Doc: "gated recurrent unit network with update and reset gates"},
		OpSchema{Name: "LSTM", Versions: []int{1, 7, 14, 22},
			Inputs:  "X:T W:T R:T B?:T sequence_lens?:T1 initial_h?:T initial_c?:T P?:T",
			Outputs: "Y?:T Y_h?:T Y_c?:T", Types: "T=float T1=i32",
			Attrs: rnnAttrs(AttrI("input_forget", 0)), Infer: inferRecurrent(4),
			Doc: "long short-term memory network with optional peepholes"},

		OpSchema{Name: "Attention", Versions: []int{23, 24},
			Inputs:  "Q:T1 K:T1 V:T2 attn_mask?:U past_key?:T1 past_value?:T2 nonpad_kv_seqlen?:I",
			Outputs: "Y:T1 present_key?:T1 present_value?:T2 qk_matmul_output?:T1",
			Types:   "T1=float T2=float U=bool,numeric I=i64",
			Attrs: []AttrDef{AttrI("is_causal", 0), AttrOpt("kv_num_heads", AttrInt), AttrOpt("q_num_heads", AttrInt),
				AttrI("qk_matmul_output_mode", 0), AttrOpt("scale", AttrFloat), AttrF("softcap", 0),
				AttrOpt("softmax_precision", AttrInt)},
			Infer: inferAttention,
			Doc:   "scaled dot-product attention with masks, grouped-query heads and a KV cache"},
		OpSchema{Name: "FlexAttention", Domain: "ai.onnx.preview", Versions: []int{1},
			Inputs: "Q:T1 K:T1 V:T1", Outputs: "Y:T1", Types: "T1=float",
			Attrs: []AttrDef{AttrOpt("prob_mod", AttrGraph), AttrOpt("scale", AttrFloat),
				AttrOpt("score_mod", AttrGraph), AttrOpt("softmax_precision", AttrInt)},
			Infer: inferFlexAttention,
			Doc:   "scaled dot-product attention with subgraphs that modify the scores and the probabilities"},
		OpSchema{Name: "RotaryEmbedding", Versions: []int{23},
			Inputs: "X:T cos_cache:T sin_cache:T position_ids?:M", Outputs: "Y:T", Types: "T=f16,f32,bf16 M=i64",
			Attrs: []AttrDef{AttrI("interleaved", 0), AttrOpt("num_heads", AttrInt), AttrI("rotary_embedding_dim", 0)},
			Infer: inferRotaryEmbedding,
			Doc:   "rotary position embedding: rotates pairs of features by position-dependent angles"},
		OpSchema{Name: "TensorScatter", Versions: []int{24},
			Inputs: "past_cache:T update:T write_indices?:I", Outputs: "present_cache:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("axis", -2), AttrS("mode", "linear")},
			Infer: inferTensorScatter,
			Doc:   "writes an update into a cache along the sequence axis at per-batch indices"},
		OpSchema{Name: "LinearAttention", Versions: []int{27},
			Inputs:  "query:T key:T value:T past_state?:S decay?:T beta?:T",
			Outputs: "output:T present_state:S", Types: "T=f16,f32,bf16 S=f16,f32,bf16",
			Attrs: []AttrDef{AttrI("chunk_size", 64), AttrReq("kv_num_heads", AttrInt), AttrReq("q_num_heads", AttrInt),
				AttrF("scale", 0), AttrS("update_rule", "gated_delta")},
			Infer: inferLinearAttention,
			Doc:   "linear attention recurrences (linear, gated, delta, gated delta) over a matrix state"},
		OpSchema{Name: "CausalConvWithState", Versions: []int{27},
			Inputs: "input:T weight:T bias?:T past_state?:T", Outputs: "output:T present_state:T",
			Types: "T=f16,f32,bf16", Attrs: []AttrDef{AttrS("activation", "none")},
			Infer: inferCausalConvWithState,
			Doc:   "causal depthwise 1-D convolution carrying its last k-1 inputs as state"},
		OpSchema{Name: "CumProd", Versions: []int{26},
			Inputs: "x:T axis:T2", Outputs: "y:T", Types: "T=float,i32,i64,u32,u64 T2=i32,i64",
			Attrs: []AttrDef{AttrI("exclusive", 0), AttrI("reverse", 0)},
			Infer: inferCumProd, Doc: "cumulative product along an axis"},
	)
}

// smDim returns dim i of t, or an unknown dim when t's rank is unknown or
// too small.
func smDim(t Type, i int) Dim {
	if !t.HasShape || i < 0 || i >= len(t.Shape) {
		return Unknown()
	}
	return t.Shape[i]
}

// smAdd returns a+b when both are known, or the other when one is zero.
func smAdd(a, b Dim) Dim {
	switch {
	case a.IsKnown() && b.IsKnown():
		return Known(a.Size + b.Size)
	case a.IsKnown() && a.Size == 0:
		return b
	case b.IsKnown() && b.Size == 0:
		return a
	}
	return Unknown()
}

// smMul returns a*b when both are known, or the other when one is one.
func smMul(a, b Dim) Dim {
	switch {
	case a.IsKnown() && b.IsKnown():
		return Known(a.Size * b.Size)
	case a.IsKnown() && a.Size == 1:
		return b
	case b.IsKnown() && b.Size == 1:
		return a
	}
	return Unknown()
}

// smDiv returns a/n for a known a divisible by n > 0 (a itself for n 1);
// an error when a is known and not divisible.
func smDiv(a Dim, n int64, what string) (Dim, error) {
	if n == 1 {
		return a, nil
	}
	if n <= 0 || !a.IsKnown() {
		return Unknown(), nil
	}
	if a.Size%n != 0 {
		return Unknown(), fmt.Errorf("%s %d is not divisible by %d", what, a.Size, n)
	}
	return Known(a.Size / n), nil
}

// smFirstKnown returns the first known dim of ds, else the first named
// one, else an unknown dim.
func smFirstKnown(ds ...Dim) Dim {
	for _, d := range ds {
		if d.IsKnown() {
			return d
		}
	}
	for _, d := range ds {
		if d.Param != "" {
			return d
		}
	}
	return Unknown()
}

// smIn returns the type of input i, unknown when the node has no such
// input.
func smIn(c *InferCtx, i int) Type {
	if i < len(c.In) {
		return c.In[i]
	}
	return Type{}
}

// smRank checks that input i, when its rank is known, has one of the
// given ranks.
func smRank(c *InferCtx, i int, name string, ranks ...int) error {
	if !c.Has(i) || i >= len(c.In) || !c.In[i].HasShape {
		return nil
	}
	t := c.In[i]
	for _, r := range ranks {
		if len(t.Shape) == r {
			return nil
		}
	}
	return fmt.Errorf("%s must have rank %v, got %s", name, ranks, t)
}

func inferRecurrent(gates int64) InferFunc {
	return func(c *InferCtx) error {
		n := c.Node
		dirs := int64(1)
		switch d := n.Str("direction"); d {
		case "forward", "reverse":
		case "bidirectional":
			dirs = 2
		default:
			return fmt.Errorf("direction must be forward, reverse or bidirectional, got %q", d)
		}
		layout := n.Int("layout")
		if layout != 0 && layout != 1 {
			return fmt.Errorf("layout must be 0 or 1, got %d", layout)
		}
		for i, name := range []string{"X", "W", "R"} {
			if err := smRank(c, i, name, 3); err != nil {
				return err
			}
		}
		x, w, r := smIn(c, 0), smIn(c, 1), smIn(c, 2)
		hidden := Unknown()
		if n.HasAttr("hidden_size") {
			h := n.Int("hidden_size")
			if h <= 0 {
				return fmt.Errorf("hidden_size must be positive, got %d", h)
			}
			hidden = Known(h)
		}
		if d := smDim(r, 2); d.IsKnown() {
			if hidden.IsKnown() && hidden.Size != d.Size {
				return fmt.Errorf("hidden_size %d differs from R's last dim %d", hidden.Size, d.Size)
			}
			hidden = d
		} else if !hidden.IsKnown() && d.Param != "" {
			hidden = d
		}
		if hidden.IsKnown() {
			for _, t := range []struct {
				name string
				d    Dim
			}{{"W", smDim(w, 1)}, {"R", smDim(r, 1)}} {
				if t.d.IsKnown() && t.d.Size != gates*hidden.Size {
					return fmt.Errorf("%s's dim 1 must be %d (%d gates x hidden_size %d), got %d",
						t.name, gates*hidden.Size, gates, hidden.Size, t.d.Size)
				}
			}
		}
		for _, t := range []struct {
			name string
			d    Dim
		}{{"W", smDim(w, 0)}, {"R", smDim(r, 0)}} {
			if t.d.IsKnown() && t.d.Size != dirs {
				return fmt.Errorf("%s's dim 0 must be the number of directions %d, got %d", t.name, dirs, t.d.Size)
			}
		}
		seq, batch := smDim(x, 0), smDim(x, 1)
		if layout == 1 {
			seq, batch = batch, seq
		}
		nd := Known(dirs)
		var y, yh []Dim
		if layout == 0 {
			y = []Dim{seq, nd, batch, hidden}
			yh = []Dim{nd, batch, hidden}
		} else {
			y = []Dim{batch, seq, nd, hidden}
			yh = []Dim{batch, nd, hidden}
		}
		c.Set(0, TensorOf(x.Elem, y))
		c.Set(1, TensorOf(x.Elem, yh))
		c.Set(2, TensorOf(x.Elem, yh))
		return nil
	}
}

// attnHeads describes one of Attention's Q, K, V inputs as 4-D
// (batch, heads, sequence, head size) dims.
func attnHeads(t Type, heads int64, name, attr string) (b, h, s, d Dim, err error) {
	if !t.HasShape {
		return Unknown(), Unknown(), Unknown(), Unknown(), nil
	}
	switch len(t.Shape) {
	case 4:
		return t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3], nil
	case 3:
		if heads <= 0 {
			return b, h, s, d, fmt.Errorf("3-D %s needs a positive %s attribute", name, attr)
		}
		d, err = smDiv(t.Shape[2], heads, name+"'s hidden size")
		return t.Shape[0], Known(heads), t.Shape[1], d, err
	}
	return b, h, s, d, fmt.Errorf("%s must have rank 3 or 4, got %s", name, t)
}

func inferAttention(c *InferCtx) error {
	n := c.Node
	qh, kvh := n.IntOr("q_num_heads", 0), n.IntOr("kv_num_heads", 0)
	if m := n.Int("qk_matmul_output_mode"); m < 0 || m > 3 {
		return fmt.Errorf("qk_matmul_output_mode must be 0, 1, 2 or 3, got %d", m)
	}
	q, k, v := smIn(c, 0), smIn(c, 1), smIn(c, 2)
	qb, qH, ql, _, err := attnHeads(q, qh, "Q", "q_num_heads")
	if err != nil {
		return err
	}
	kb, kH, ks, kd, err := attnHeads(k, kvh, "K", "kv_num_heads")
	if err != nil {
		return err
	}
	vb, vH, _, vd, err := attnHeads(v, kvh, "V", "kv_num_heads")
	if err != nil {
		return err
	}
	if qH.IsKnown() && kH.IsKnown() && (kH.Size == 0 || qH.Size%kH.Size != 0) {
		return fmt.Errorf("q_num_heads %d must be a multiple of kv_num_heads %d", qH.Size, kH.Size)
	}
	b := smFirstKnown(qb, kb, vb)
	kvH := smFirstKnown(kH, vH)
	past := Known(0)
	if c.Has(4) {
		if err := smRank(c, 4, "past_key", 4); err != nil {
			return err
		}
		past = smDim(smIn(c, 4), 2)
	}
	total := smAdd(past, ks)
	if q.HasShape && len(q.Shape) == 3 {
		c.Set(0, TensorOf(q.Elem, []Dim{b, ql, smMul(qH, vd)}))
	} else if q.HasShape {
		c.Set(0, TensorOf(q.Elem, []Dim{b, qH, ql, vd}))
	} else {
		c.Set(0, UnrankedTensor(q.Elem))
	}
	c.Set(1, TensorOf(k.Elem, []Dim{b, kvH, total, kd}))
	c.Set(2, TensorOf(v.Elem, []Dim{b, kvH, total, vd}))
	c.Set(3, TensorOf(q.Elem, []Dim{b, qH, ql, total}))
	return nil
}

func inferFlexAttention(c *InferCtx) error {
	for i, name := range []string{"Q", "K", "V"} {
		if err := smRank(c, i, name, 4); err != nil {
			return err
		}
	}
	q, v := smIn(c, 0), smIn(c, 2)
	c.Set(0, TensorOf(q.Elem, []Dim{smFirstKnown(smDim(q, 0), smDim(v, 0)), smDim(q, 1), smDim(q, 2), smDim(v, 3)}))
	return nil
}

func inferRotaryEmbedding(c *InferCtx) error {
	if err := smRank(c, 0, "X", 3, 4); err != nil {
		return err
	}
	x := smIn(c, 0)
	if x.Rank() == 3 && c.Node.IntOr("num_heads", 0) <= 0 {
		return fmt.Errorf("3-D input needs a positive num_heads attribute")
	}
	if r := c.Node.Int("rotary_embedding_dim"); r < 0 || r%2 != 0 {
		return fmt.Errorf("rotary_embedding_dim must be even and non-negative, got %d", r)
	}
	c.Set(0, x.Clone())
	return nil
}

func inferTensorScatter(c *InferCtx) error {
	if m := c.Node.Str("mode"); m != "linear" && m != "circular" {
		return fmt.Errorf("mode must be linear or circular, got %q", m)
	}
	p, u := smIn(c, 0), smIn(c, 1)
	if p.HasShape && u.HasShape && len(p.Shape) != len(u.Shape) {
		return fmt.Errorf("update rank %d differs from past_cache rank %d", len(u.Shape), len(p.Shape))
	}
	if p.HasShape {
		axis, err := NormAxis(c.Node.Int("axis"), len(p.Shape))
		if err != nil {
			return err
		}
		if axis == 0 {
			return fmt.Errorf("axis must not be 0, the batch dimension")
		}
	}
	c.Set(0, p.Clone())
	return nil
}

func inferLinearAttention(c *InferCtx) error {
	n := c.Node
	switch r := n.Str("update_rule"); r {
	case "linear", "gated", "delta", "gated_delta":
	default:
		return fmt.Errorf("update_rule must be linear, gated, delta or gated_delta, got %q", r)
	}
	qh, kvh := n.Int("q_num_heads"), n.Int("kv_num_heads")
	if qh <= 0 || kvh <= 0 || qh%kvh != 0 {
		return fmt.Errorf("q_num_heads %d must be a positive multiple of kv_num_heads %d", qh, kvh)
	}
	for i, name := range []string{"query", "key", "value"} {
		if err := smRank(c, i, name, 3); err != nil {
			return err
		}
	}
	q, k, v := smIn(c, 0), smIn(c, 1), smIn(c, 2)
	dk, err := smDiv(smDim(q, 2), qh, "query's last dim")
	if err != nil {
		return err
	}
	if !dk.IsKnown() {
		if dk, err = smDiv(smDim(k, 2), kvh, "key's last dim"); err != nil {
			return err
		}
	}
	dv, err := smDiv(smDim(v, 2), kvh, "value's last dim")
	if err != nil {
		return err
	}
	b := smFirstKnown(smDim(q, 0), smDim(k, 0), smDim(v, 0))
	sElem := q.Elem
	if c.Has(3) && smIn(c, 3).Elem != tensor.Undefined {
		sElem = smIn(c, 3).Elem
	}
	c.Set(0, TensorOf(q.Elem, []Dim{b, smDim(q, 1), smMul(Known(qh), dv)}))
	c.Set(1, TensorOf(sElem, []Dim{b, Known(kvh), dk, dv}))
	return nil
}

func inferCausalConvWithState(c *InferCtx) error {
	switch a := c.Node.Str("activation"); a {
	case "none", "silu", "swish":
	default:
		return fmt.Errorf("activation must be none, silu or swish, got %q", a)
	}
	for i, name := range []string{"input", "weight", "", "past_state"} {
		if name == "" {
			continue
		}
		if err := smRank(c, i, name, 3); err != nil {
			return err
		}
	}
	x, w := smIn(c, 0), smIn(c, 1)
	state := Unknown()
	if k := smDim(w, 2); k.IsKnown() {
		if k.Size < 1 {
			return fmt.Errorf("kernel size must be at least 1, got %d", k.Size)
		}
		state = Known(k.Size - 1)
	}
	c.Set(0, x.Clone())
	c.Set(1, TensorOf(x.Elem, []Dim{smDim(x, 0), smFirstKnown(smDim(x, 1), smDim(w, 0)), state}))
	return nil
}

func inferCumProd(c *InferCtx) error {
	if t := smIn(c, 1); t.HasShape && len(t.Shape) > 1 {
		return fmt.Errorf("axis must be a scalar, got %s", t)
	}
	c.Set(0, smIn(c, 0).Clone())
	return nil
}
