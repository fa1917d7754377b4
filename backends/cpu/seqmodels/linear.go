package seqmodels

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "LinearAttention", Since: 27, Run: kernels.Tensors(linearAttention)},
		kernels.KernelDef{Op: "CausalConvWithState", Since: 27, Run: kernels.Tensors(causalConvWithState)},
	)
}

// linearAttention runs one of four recurrences over a (d_k, d_v) state S
// per batch entry and key/value head, token by token:
//
//	linear:      S = S + k v^T
//	gated:       S = exp(g) S + k v^T
//	delta:       S = S + beta k (v - S^T k)^T
//	gated_delta: S = exp(g) S + beta k (v - exp(g) S^T k)^T
//
// and reads o = scale q^T S for each query head sharing the state. Inputs
// are packed (B, T, heads*dim); decay g is per key dim (B, T, Hkv*d_k) or
// per head (B, T, Hkv), beta per head (B, T, Hkv) or shared (B, T, 1).
func linearAttention(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	q, k, v, past, decay, beta := input(in, 0), input(in, 1), input(in, 2), input(in, 3), input(in, 4), input(in, 5)
	for i, name := range []string{"query", "key", "value"} {
		t := input(in, i)
		if err := requireFloat(t, name); err != nil {
			return nil, err
		}
		if err := requireRank(t, name, 3); err != nil {
			return nil, err
		}
	}
	rule := c.Str("update_rule")
	gated, delta := false, false
	switch rule {
	case "linear":
	case "gated":
		gated = true
	case "delta":
		delta = true
	case "gated_delta":
		gated, delta = true, true
	default:
		return nil, fmt.Errorf("update_rule must be linear, gated, delta or gated_delta, got %q", rule)
	}
	hq, hkv := int(c.Int("q_num_heads")), int(c.Int("kv_num_heads"))
	if hq <= 0 || hkv <= 0 || hq%hkv != 0 {
		return nil, fmt.Errorf("q_num_heads %d must be a positive multiple of kv_num_heads %d", hq, hkv)
	}
	bs, ts := q.Dim(0), q.Dim(1)
	if q.Dim(2)%hq != 0 {
		return nil, fmt.Errorf("query's last dim %d is not divisible by q_num_heads %d", q.Dim(2), hq)
	}
	dk := q.Dim(2) / hq
	if v.Dim(2)%hkv != 0 {
		return nil, fmt.Errorf("value's last dim %d is not divisible by kv_num_heads %d", v.Dim(2), hkv)
	}
	dv := v.Dim(2) / hkv
	if err := requireShape(k, "key", bs, ts, hkv*dk); err != nil {
		return nil, err
	}
	if err := requireShape(v, "value", bs, ts, hkv*dv); err != nil {
		return nil, err
	}
	if gated && decay == nil {
		return nil, fmt.Errorf("update_rule %q needs the decay input", rule)
	}
	if delta && beta == nil {
		return nil, fmt.Errorf("update_rule %q needs the beta input", rule)
	}
	// Decay and beta strides: elements per head (0 when one value is
	// shared by every head) and per key dim.
	var g, bt []float64
	gHead, gDim, bHead := 0, 0, 0
	if gated {
		if err := requireFloat(decay, "decay"); err != nil {
			return nil, err
		}
		switch {
		case sameShape(decay, bs, ts, hkv*dk):
			gHead, gDim = dk, 1
		case sameShape(decay, bs, ts, hkv):
			gHead = 1
		default:
			return nil, fmt.Errorf("decay must have shape %v or %v, got %v", []int{bs, ts, hkv * dk}, []int{bs, ts, hkv}, decay.Shape())
		}
		g = floats(decay)
	}
	if delta {
		if err := requireFloat(beta, "beta"); err != nil {
			return nil, err
		}
		switch {
		case sameShape(beta, bs, ts, hkv):
			bHead = 1
		case sameShape(beta, bs, ts, 1):
		default:
			return nil, fmt.Errorf("beta must have shape %v or %v, got %v", []int{bs, ts, hkv}, []int{bs, ts, 1}, beta.Shape())
		}
		bt = floats(beta)
	}
	gw, bw := hkv*gHead, hkv*bHead // elements per token
	if gw == 0 && gated {
		gw = 1
	}
	if bw == 0 {
		bw = 1
	}
	state, err := makeFloats(bs, hkv, dk, dv)
	if err != nil {
		return nil, err
	}
	stateType := q.DType()
	if past != nil {
		if err := requireFloat(past, "past_state"); err != nil {
			return nil, err
		}
		if err := requireShape(past, "past_state", bs, hkv, dk, dv); err != nil {
			return nil, err
		}
		copy(state, floats(past))
		stateType = past.DType()
	}
	scale := float64(c.Float("scale"))
	if scale == 0 {
		scale = 1 / math.Sqrt(float64(dk))
	}
	qs, ks, vs := floats(q), floats(k), floats(v)
	out, err := makeFloats(bs, ts, hq*dv)
	if err != nil {
		return nil, err
	}
	group := hq / hkv
	diff := make([]float64, dv)
	for b := 0; b < bs; b++ {
		for h := 0; h < hkv; h++ {
			s := state[(b*hkv+h)*dk*dv:][:dk*dv]
			for t := 0; t < ts; t++ {
				tok := b*ts + t
				kt := ks[(tok*hkv+h)*dk:][:dk]
				vt := vs[(tok*hkv+h)*dv:][:dv]
				if gated {
					for i := 0; i < dk; i++ {
						e := math.Exp(g[tok*gw+h*gHead+i*gDim])
						row := s[i*dv:][:dv]
						for j := range row {
							row[j] *= e
						}
					}
				}
				if delta {
					// diff = beta (v - S^T k)
					copy(diff, vt)
					for i, kv := range kt {
						row := s[i*dv:][:dv]
						for j, x := range row {
							diff[j] -= x * kv
						}
					}
					be := bt[tok*bw+h*bHead]
					for j := range diff {
						diff[j] *= be
					}
				} else {
					copy(diff, vt)
				}
				for i, kv := range kt {
					row := s[i*dv:][:dv]
					for j, d := range diff {
						row[j] += kv * d
					}
				}
				for gq := 0; gq < group; gq++ {
					hh := h*group + gq
					qt := qs[(tok*hq+hh)*dk:][:dk]
					o := out[(tok*hq+hh)*dv:][:dv]
					for i, qv := range qt {
						row := s[i*dv:][:dv]
						for j, x := range row {
							o[j] += qv * x
						}
					}
					for j := range o {
						o[j] *= scale
					}
				}
			}
		}
	}
	outs := make([]*tensor.Tensor, 2)
	if outs[0], err = fromFloats(q.DType(), []int{bs, ts, hq * dv}, out); err != nil {
		return nil, err
	}
	if outs[1], err = fromFloats(stateType, []int{bs, hkv, dk, dv}, state); err != nil {
		return nil, err
	}
	return outs, nil
}

// sameShape reports whether t has exactly the given shape.
func sameShape(t *tensor.Tensor, shape ...int) bool {
	return requireShape(t, "", shape...) == nil
}

// causalConvWithState convolves each channel of input (B, C, L) with its
// own kernel weight[c, 0, :] (length K) over the sequence past_state ++
// input (past_state (B, C, K-1), zeros when omitted), adds bias, applies
// the optional SiLU, and returns the last K-1 values of that sequence as
// the new state.
func causalConvWithState(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, bias, past := input(in, 0), input(in, 1), input(in, 2), input(in, 3)
	for i, name := range []string{"input", "weight"} {
		t := input(in, i)
		if err := requireFloat(t, name); err != nil {
			return nil, err
		}
		if err := requireRank(t, name, 3); err != nil {
			return nil, err
		}
	}
	silu := false
	switch a := c.Str("activation"); a {
	case "none":
	case "silu", "swish":
		silu = true
	default:
		return nil, fmt.Errorf("activation must be none, silu or swish, got %q", a)
	}
	bs, ch, l := x.Dim(0), x.Dim(1), x.Dim(2)
	k := w.Dim(2)
	if k < 1 {
		return nil, fmt.Errorf("kernel size must be at least 1, got weight shape %v", w.Shape())
	}
	if err := requireShape(w, "weight", ch, 1, k); err != nil {
		return nil, err
	}
	for i, t := range []*tensor.Tensor{w, bias, past} {
		if t != nil && t.DType() != x.DType() {
			return nil, fmt.Errorf("input %d has type %s, input has %s", i+1, t.DType(), x.DType())
		}
	}
	bv := make([]float64, ch)
	if bias != nil {
		if err := requireShape(bias, "bias", ch); err != nil {
			return nil, err
		}
		bv = floats(bias)
	}
	ps := k - 1
	pv := make([]float64, bs*ch*ps)
	if past != nil {
		if err := requireShape(past, "past_state", bs, ch, ps); err != nil {
			return nil, err
		}
		pv = floats(past)
	}
	xv, wv := floats(x), floats(w)
	y, err := makeFloats(bs, ch, l)
	if err != nil {
		return nil, err
	}
	state := make([]float64, bs*ch*ps)
	seq := make([]float64, ps+l)
	for b := 0; b < bs; b++ {
		for cc := 0; cc < ch; cc++ {
			line := b*ch + cc
			copy(seq, pv[line*ps:][:ps])
			copy(seq[ps:], xv[line*l:][:l])
			kern := wv[cc*k:][:k]
			for t := 0; t < l; t++ {
				s := bv[cc]
				for j, wj := range kern {
					s += wj * seq[t+j]
				}
				if silu {
					s *= sigmoid(s)
				}
				y[line*l+t] = s
			}
			copy(state[line*ps:][:ps], seq[l:])
		}
	}
	outs := make([]*tensor.Tensor, 2)
	if outs[0], err = fromFloats(x.DType(), x.Shape(), y); err != nil {
		return nil, err
	}
	if outs[1], err = fromFloats(x.DType(), []int{bs, ch, ps}, state); err != nil {
		return nil, err
	}
	return outs, nil
}
