package seqmodels

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(kernels.KernelDef{Op: "Attention", Since: 23, Run: kernels.Tensors(attention)})
}

// keyBlock is the number of keys whose scores Attention holds at once for
// one query row: the softmax streams over blocks of this many keys.
const keyBlock = 64

// qkv is one of Attention's Q, K, V inputs (or a past cache) seen as 4-D
// (batch, heads, seq, dim) float64 values.
type qkv struct {
	b, h, s, d int
	v          []float64
}

// at returns the vector of head h, position s of batch entry b.
func (x *qkv) at(b, h, s int) []float64 {
	return x.v[((b*x.h+h)*x.s+s)*x.d:][:x.d]
}

// heads4D reads a 4-D (batch, heads, seq, dim) input, or a 3-D
// (batch, seq, heads*dim) one given the number of heads.
func heads4D(t *tensor.Tensor, heads int64, name, attr string) (*qkv, error) {
	if err := requireFloat(t, name); err != nil {
		return nil, err
	}
	s := t.Shape()
	switch len(s) {
	case 4:
		if heads > 0 && int64(s[1]) != heads {
			return nil, fmt.Errorf("%s has %d heads, %s is %d", name, s[1], attr, heads)
		}
		return &qkv{b: s[0], h: s[1], s: s[2], d: s[3], v: floats(t)}, nil
	case 3:
		if heads <= 0 {
			return nil, fmt.Errorf("3-D %s needs a positive %s attribute", name, attr)
		}
		h := int(heads)
		if s[2]%h != 0 {
			return nil, fmt.Errorf("%s's hidden size %d is not divisible by %s %d", name, s[2], attr, h)
		}
		x := &qkv{b: s[0], h: h, s: s[1], d: s[2] / h}
		x.v = make([]float64, t.Len())
		src := floats(t)
		for b := 0; b < x.b; b++ {
			for i := 0; i < x.s; i++ {
				for hh := 0; hh < h; hh++ {
					copy(x.at(b, hh, i), src[((b*x.s+i)*h+hh)*x.d:][:x.d])
				}
			}
		}
		return x, nil
	}
	return nil, fmt.Errorf("%s must have rank 3 or 4, got shape %v", name, s)
}

// concatSeq returns past followed by cur along the sequence axis.
func concatSeq(past, cur *qkv) *qkv {
	if past == nil {
		return cur
	}
	out := &qkv{b: cur.b, h: cur.h, s: past.s + cur.s, d: cur.d}
	out.v = make([]float64, out.b*out.h*out.s*out.d)
	for b := 0; b < cur.b; b++ {
		for h := 0; h < cur.h; h++ {
			copy(out.v[((b*out.h+h)*out.s)*out.d:], past.v[((b*past.h+h)*past.s)*past.d:][:past.s*past.d])
			copy(out.v[((b*out.h+h)*out.s+past.s)*out.d:], cur.v[((b*cur.h+h)*cur.s)*cur.d:][:cur.s*cur.d])
		}
	}
	return out
}

// attnMask is an attention mask broadcast to (batch, q_heads, q_seq,
// total_seq): bool (true attends) or additive. Its last dim is not
// broadcast: one shorter than total_seq (even of size 1) is padded with
// -inf, masking the keys beyond its end.
type attnMask struct {
	vals    []float64 // additive form: 0 or -inf for a bool mask
	strides [4]int    // per dim of (batch, heads, q_seq, kv); 0 where broadcast
	kvLen   int       // the mask's last dim
}

func newAttnMask(t *tensor.Tensor, batch, heads, qLen, total int) (*attnMask, error) {
	if t.Rank() < 1 || t.Rank() > 4 {
		return nil, fmt.Errorf("attn_mask must have rank 1 to 4, got shape %v", t.Shape())
	}
	if !t.DType().IsFloat() && !t.DType().IsInt() && t.DType() != tensor.Bool {
		return nil, fmt.Errorf("attn_mask must be bool or numeric, got %s", t.DType())
	}
	m := &attnMask{}
	s := t.Shape()
	want := [4]int{batch, heads, qLen, total}
	st := tensor.Strides(s)
	off := 4 - len(s)
	for i, d := range s {
		k := off + i
		switch {
		case k == 3:
			if d > total {
				return nil, fmt.Errorf("attn_mask's last dim %d exceeds the total sequence length %d", d, total)
			}
			m.kvLen, m.strides[k] = d, st[i]
		case d == want[k]:
			m.strides[k] = st[i]
		case d != 1:
			return nil, fmt.Errorf("attn_mask shape %v does not broadcast to %v", s, want)
		}
	}
	if t.DType() == tensor.Bool {
		b := tensor.Data[uint8](t)
		m.vals = make([]float64, len(b))
		for i, x := range b {
			if x == 0 {
				m.vals[i] = math.Inf(-1)
			}
		}
	} else {
		m.vals = floats(t)
	}
	return m, nil
}

// row returns the offset of the mask row for (b, h, i).
func (m *attnMask) row(b, h, i int) int {
	return b*m.strides[0] + h*m.strides[1] + i*m.strides[2]
}

// attnRow holds what the streaming softmax of one query row carries from
// key block to key block.
type attnRow struct {
	max, sum float64
	acc      []float64 // sum of exp(score - max) * value
}

// attention computes scaled dot-product attention. Per query row it
// computes the scores of one block of keys at a time,
//
//	raw = scale * q.k; capped = softcap * tanh(raw / softcap) (softcap > 0);
//	score = capped + bias
//
// where bias collects attn_mask, the causal mask and the padding mask of
// nonpad_kv_seqlen, and folds them into a running (max, sum, weighted
// value sum) so that the full score matrix is never held. Rows whose bias
// masks every key give zeros. qk_matmul_output, when asked for, holds
// raw (mode 0), capped (1), score (2) or the softmax (3).
func attention(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	qNum, kvNum := c.Node.IntOr("q_num_heads", 0), c.Node.IntOr("kv_num_heads", 0)
	q, err := heads4D(input(in, 0), qNum, "Q", "q_num_heads")
	if err != nil {
		return nil, err
	}
	k, err := heads4D(input(in, 1), kvNum, "K", "kv_num_heads")
	if err != nil {
		return nil, err
	}
	v, err := heads4D(input(in, 2), kvNum, "V", "kv_num_heads")
	if err != nil {
		return nil, err
	}
	qt, vt := in[0], in[2]
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
		return nil, fmt.Errorf("q_num_heads %d must be a multiple of kv_num_heads %d", q.h, k.h)
	}
	pk, pv, nonpad := input(in, 4), input(in, 5), input(in, 6)
	if (pk == nil) != (pv == nil) {
		return nil, fmt.Errorf("past_key and past_value must be given together")
	}
	past := 0
	if pk != nil {
		for _, p := range []struct {
			t    *tensor.Tensor
			name string
			d    int
		}{{pk, "past_key", k.d}, {pv, "past_value", v.d}} {
			if err := requireFloat(p.t, p.name); err != nil {
				return nil, err
			}
			if err := requireRank(p.t, p.name, 4); err != nil {
				return nil, err
			}
			if err := requireShape(p.t, p.name, q.b, k.h, pk.Dim(2), p.d); err != nil {
				return nil, err
			}
		}
		past = pk.Dim(2)
		k = concatSeq(&qkv{b: q.b, h: k.h, s: past, d: k.d, v: floats(pk)}, k)
		v = concatSeq(&qkv{b: q.b, h: v.h, s: past, d: v.d, v: floats(pv)}, v)
	}
	total := k.s
	var valid []int // per batch entry: keys at and beyond are padding
	if nonpad != nil {
		if c.Opset < 24 {
			return nil, fmt.Errorf("nonpad_kv_seqlen is an input from opset 24")
		}
		if pk != nil {
			return nil, fmt.Errorf("nonpad_kv_seqlen must not be used with past_key and past_value")
		}
		if !nonpad.DType().IsInt() {
			return nil, fmt.Errorf("nonpad_kv_seqlen must be int64, got %s", nonpad.DType())
		}
		if err := requireShape(nonpad, "nonpad_kv_seqlen", q.b); err != nil {
			return nil, err
		}
		for i, n := range ints(nonpad) {
			if n < 0 || n > int64(total) {
				return nil, fmt.Errorf("nonpad_kv_seqlen[%d] = %d is outside [0, %d]", i, n, total)
			}
			valid = append(valid, int(n))
		}
	}
	var mask *attnMask
	if t := input(in, 3); t != nil {
		if mask, err = newAttnMask(t, q.b, q.h, q.s, total); err != nil {
			return nil, err
		}
	}
	scale := 1 / math.Sqrt(float64(q.d))
	if c.Has("scale") {
		scale = float64(c.Float("scale"))
	}
	softcap := float64(c.Float("softcap"))
	if softcap < 0 || math.IsNaN(softcap) {
		return nil, fmt.Errorf("softcap must be non-negative, got %g", softcap)
	}
	mode := c.Int("qk_matmul_output_mode")
	if mode < 0 || mode > 3 {
		return nil, fmt.Errorf("qk_matmul_output_mode must be 0, 1, 2 or 3, got %d", mode)
	}
	if c.Has("softmax_precision") {
		if _, err := softmaxType(c.Int("softmax_precision")); err != nil {
			return nil, err
		}
	}
	causal := c.Int("is_causal") != 0

	y, err := makeFloats(q.b, q.h, q.s, v.d)
	if err != nil {
		return nil, err
	}
	var qk []float64
	if wants(c, 3) {
		if qk, err = makeFloats(q.b, q.h, q.s, total); err != nil {
			return nil, err
		}
	}
	group := q.h / k.h
	scores := make([]float64, keyBlock)
	biases := make([]float64, keyBlock)
	st := attnRow{acc: make([]float64, v.d)}
	negInf := math.Inf(-1)
	for b := 0; b < q.b; b++ {
		// Keys j of a row i attend when j <= i + offset (causal) and
		// j < end (padding).
		offset, end := past, total
		if valid != nil {
			offset, end = valid[b]-q.s, valid[b]
		}
		for h := 0; h < q.h; h++ {
			kh := h / group
			for i := 0; i < q.s; i++ {
				qrow := q.at(b, h, i)
				var qkRow []float64
				if qk != nil {
					qkRow = qk[((b*q.h+h)*q.s+i)*total:][:total]
				}
				maskRow := 0
				if mask != nil {
					maskRow = mask.row(b, h, i)
				}
				st.max, st.sum = negInf, 0
				clear(st.acc)
				open := false // some key is not masked by the bias
				for j0 := 0; j0 < total; j0 += keyBlock {
					n := min(keyBlock, total-j0)
					for jj := 0; jj < n; jj++ {
						j := j0 + jj
						bias := 0.0
						if causal && j > i+offset || j >= end {
							bias = negInf
						}
						if mask != nil {
							if j >= mask.kvLen {
								bias = negInf
							} else {
								bias += mask.vals[maskRow+j*mask.strides[3]]
							}
						}
						biases[jj] = bias
						if bias == negInf && qkRow == nil {
							scores[jj] = negInf
							continue
						}
						if bias != negInf {
							open = true
						}
						raw := scale * dot(qrow, k.at(b, kh, j))
						capped := raw
						if softcap > 0 {
							capped = softcap * math.Tanh(raw/softcap)
						}
						scores[jj] = capped + bias
						if qkRow != nil {
							switch mode {
							case 0:
								qkRow[j] = raw
							case 1:
								qkRow[j] = capped
							default:
								qkRow[j] = scores[jj]
							}
						}
					}
					st.add(scores[:n], v, b, kh, j0)
				}
				yrow := y[((b*q.h+h)*q.s+i)*v.d:][:v.d]
				switch {
				case !open:
					// Every key is masked: the row is zero.
				case st.sum == 0:
					for j := range yrow {
						yrow[j] = math.NaN()
					}
				default:
					for j, a := range st.acc {
						yrow[j] = a / st.sum
					}
				}
				if qkRow != nil && mode == 3 {
					for j, s := range qkRow {
						switch {
						case !open:
							qkRow[j] = 0
						case st.sum == 0:
							qkRow[j] = math.NaN()
						default:
							qkRow[j] = math.Exp(s-st.max) / st.sum
						}
					}
				}
			}
		}
	}

	outs := make([]*tensor.Tensor, len(c.Node.Outputs))
	yShape := []int{q.b, q.h, q.s, v.d}
	if qt.Rank() == 3 {
		yShape = []int{q.b, q.s, q.h * v.d}
		y = toSeqMajor(y, q.b, q.h, q.s, v.d)
	}
	if outs[0], err = fromFloats(qt.DType(), yShape, y); err != nil {
		return nil, err
	}
	if wants(c, 1) {
		if outs[1], err = fromFloats(in[1].DType(), []int{q.b, k.h, total, k.d}, k.v); err != nil {
			return nil, err
		}
	}
	if wants(c, 2) {
		if outs[2], err = fromFloats(vt.DType(), []int{q.b, v.h, total, v.d}, v.v); err != nil {
			return nil, err
		}
	}
	if qk != nil {
		if outs[3], err = fromFloats(qt.DType(), []int{q.b, q.h, q.s, total}, qk); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// add folds the scores of keys j0, j0+1, ... into the running softmax
// state, with the values of head kh of batch entry b.
func (r *attnRow) add(scores []float64, v *qkv, b, kh, j0 int) {
	m := r.max
	for _, s := range scores {
		if s > m || math.IsNaN(s) {
			m = s
		}
	}
	if m == math.Inf(-1) {
		return // nothing attends in this block yet
	}
	if m != r.max {
		f := math.Exp(r.max - m) // 0 when r.max is -inf
		r.sum *= f
		for i := range r.acc {
			r.acc[i] *= f
		}
		r.max = m
	}
	for jj, s := range scores {
		if s == math.Inf(-1) {
			continue
		}
		e := math.Exp(s - m)
		r.sum += e
		for i, x := range v.at(b, kh, j0+jj) {
			r.acc[i] += e * x
		}
	}
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// toSeqMajor turns (batch, heads, seq, dim) values into
// (batch, seq, heads*dim).
func toSeqMajor(x []float64, batch, heads, seq, dim int) []float64 {
	out := make([]float64, len(x))
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			for s := 0; s < seq; s++ {
				copy(out[((b*seq+s)*heads+h)*dim:][:dim], x[((b*heads+h)*seq+s)*dim:][:dim])
			}
		}
	}
	return out
}
