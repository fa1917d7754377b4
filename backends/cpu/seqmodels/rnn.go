package seqmodels

import (
	"fmt"
	"math"
	"strings"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "RNN", Since: 1, Run: kernels.Tensors(recurrent(cellRNN))},
		kernels.KernelDef{Op: "GRU", Since: 1, Run: kernels.Tensors(recurrent(cellGRU))},
		kernels.KernelDef{Op: "LSTM", Since: 1, Run: kernels.Tensors(recurrent(cellLSTM))},
	)
}

// cellKind selects the recurrence of a recurrent network.
type cellKind int

const (
	cellRNN cellKind = iota
	cellGRU
	cellLSTM
)

// gates returns the number of gate blocks in W and R; the default
// activations; and the number of activations each direction uses.
func (k cellKind) gates() int { return [...]int{1, 3, 4}[k] }

func (k cellKind) defaultActivations() []string {
	return [...][]string{{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}}[k]
}

// activation is one of the recurrent ops' activation functions with its
// alpha and beta.
type activation struct {
	name        string
	alpha, beta float64
}

// activationDefaults lists the activation functions recurrent ops accept,
// keyed by lower-case name, with how many of alpha and beta each takes and
// their defaults.
var activationDefaults = map[string]struct {
	params      int
	alpha, beta float64
}{
	"relu": {}, "tanh": {}, "sigmoid": {}, "softsign": {}, "softplus": {},
	"affine":          {2, 1, 0},
	"leakyrelu":       {1, 0.01, 0},
	"thresholdedrelu": {1, 1, 0},
	"scaledtanh":      {2, 1, 1},
	"hardsigmoid":     {2, 0.2, 0.5},
	"elu":             {1, 1, 0},
}

func (a activation) apply(x float64) float64 {
	switch a.name {
	case "relu":
		return max(x, 0)
	case "tanh":
		return math.Tanh(x)
	case "sigmoid":
		return sigmoid(x)
	case "affine":
		return a.alpha*x + a.beta
	case "leakyrelu":
		if x < 0 {
			return a.alpha * x
		}
		return x
	case "thresholdedrelu":
		if x > a.alpha {
			return x
		}
		return 0
	case "scaledtanh":
		return a.alpha * math.Tanh(a.beta*x)
	case "hardsigmoid":
		return max(0, min(1, a.alpha*x+a.beta))
	case "elu":
		if x < 0 {
			return a.alpha * (math.Exp(x) - 1)
		}
		return x
	case "softsign":
		return x / (1 + math.Abs(x))
	case "softplus":
		if x > 30 {
			return x
		}
		return math.Log1p(math.Exp(x))
	}
	return x
}

// parseActivations reads the activations, activation_alpha and
// activation_beta attributes: per functions for each of dirs directions.
// Alphas and betas are consumed in order by the functions that take them.
func parseActivations(c *kernels.Ctx, kind cellKind, dirs int) ([]activation, error) {
	per := len(kind.defaultActivations())
	names := c.Strings("activations")
	switch {
	case len(names) == 0:
		for d := 0; d < dirs; d++ {
			names = append(names, kind.defaultActivations()...)
		}
	case len(names) == per && dirs == 2:
		names = append(append([]string{}, names...), names...)
	case len(names) != per*dirs:
		return nil, fmt.Errorf("activations must list %d functions (%d per direction), got %d", per*dirs, per, len(names))
	}
	alphas, betas := c.Floats("activation_alpha"), c.Floats("activation_beta")
	acts := make([]activation, len(names))
	for i, name := range names {
		key := strings.ToLower(name)
		def, ok := activationDefaults[key]
		if !ok {
			return nil, fmt.Errorf("unsupported activation function %q", name)
		}
		a := activation{name: key, alpha: def.alpha, beta: def.beta}
		if def.params >= 1 && len(alphas) > 0 {
			a.alpha, alphas = float64(alphas[0]), alphas[1:]
		}
		if def.params >= 2 && len(betas) > 0 {
			a.beta, betas = float64(betas[0]), betas[1:]
		}
		acts[i] = a
	}
	return acts, nil
}

// rnnParams are the validated inputs of a recurrent op.
type rnnParams struct {
	kind                   cellKind
	seq, batch, input, hid int
	dirs                   int
	reverse                bool // single direction, reversed
	layout                 int
	x, w, r, b, h0, c0, p  []float64
	lens                   []int
	acts                   []activation
	clip                   float64 // 0: no clipping
	linearBeforeReset      bool
	inputForget            bool
}

func recurrent(kind cellKind) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		p, err := newRNNParams(c, kind, in)
		if err != nil {
			return nil, err
		}
		y, yh, yc, err := p.run()
		if err != nil {
			return nil, err
		}
		dt := in[0].DType()
		var ys, hs []int
		if p.layout == 0 {
			ys, hs = []int{p.seq, p.dirs, p.batch, p.hid}, []int{p.dirs, p.batch, p.hid}
		} else {
			ys, hs = []int{p.batch, p.seq, p.dirs, p.hid}, []int{p.batch, p.dirs, p.hid}
			y, yh, yc = p.toBatchFirst(y), p.stateBatchFirst(yh), p.stateBatchFirst(yc)
		}
		outs := make([]*tensor.Tensor, len(c.Node.Outputs))
		vals := [][]float64{y, yh, yc}
		shapes := [][]int{ys, hs, hs}
		for i := range outs {
			if i < 3 && wants(c, i) {
				if outs[i], err = fromFloats(dt, shapes[i], vals[i]); err != nil {
					return nil, err
				}
			}
		}
		return outs, nil
	}
}

func newRNNParams(c *kernels.Ctx, kind cellKind, in []*tensor.Tensor) (*rnnParams, error) {
	p := &rnnParams{kind: kind, dirs: 1}
	switch d := c.Str("direction"); d {
	case "forward":
	case "reverse":
		p.reverse = true
	case "bidirectional":
		p.dirs = 2
	default:
		return nil, fmt.Errorf("direction must be forward, reverse or bidirectional, got %q", d)
	}
	if c.Has("layout") && c.Opset < 14 {
		return nil, fmt.Errorf("layout is an attribute from opset 14, the node has opset %d", c.Opset)
	}
	p.layout = int(c.Int("layout"))
	if p.layout != 0 && p.layout != 1 {
		return nil, fmt.Errorf("layout must be 0 or 1, got %d", p.layout)
	}
	for i, name := range []string{"X", "W", "R"} {
		if err := requireFloat(input(in, i), name); err != nil {
			return nil, err
		}
		if err := requireRank(in[i], name, 3); err != nil {
			return nil, err
		}
	}
	x, w, r := in[0], in[1], in[2]
	for i := 1; i < len(in); i++ {
		if in[i] != nil && i != 4 && in[i].DType() != x.DType() {
			return nil, fmt.Errorf("input %d has type %s, X has %s", i, in[i].DType(), x.DType())
		}
	}
	p.seq, p.batch, p.input = x.Dim(0), x.Dim(1), x.Dim(2)
	if p.layout == 1 {
		p.seq, p.batch = p.batch, p.seq
	}
	p.hid = r.Dim(2)
	if c.Has("hidden_size") && int(c.Int("hidden_size")) != p.hid {
		return nil, fmt.Errorf("hidden_size %d differs from R's last dim %d", c.Int("hidden_size"), p.hid)
	}
	g := kind.gates()
	if err := requireShape(w, "W", p.dirs, g*p.hid, p.input); err != nil {
		return nil, err
	}
	if err := requireShape(r, "R", p.dirs, g*p.hid, p.hid); err != nil {
		return nil, err
	}
	p.x, p.w, p.r = floats(x), floats(w), floats(r)
	if b := input(in, 3); b != nil {
		if err := requireShape(b, "B", p.dirs, 2*g*p.hid); err != nil {
			return nil, err
		}
		p.b = floats(b)
	} else {
		p.b = make([]float64, p.dirs*2*g*p.hid)
	}
	p.lens = make([]int, p.batch)
	if l := input(in, 4); l != nil {
		if !l.DType().IsInt() {
			return nil, fmt.Errorf("sequence_lens must be int32, got %s", l.DType())
		}
		if err := requireShape(l, "sequence_lens", p.batch); err != nil {
			return nil, err
		}
		for i, v := range l.Int64sOf() {
			if v < 0 || v > int64(p.seq) {
				return nil, fmt.Errorf("sequence_lens[%d] = %d is outside [0, %d]", i, v, p.seq)
			}
			p.lens[i] = int(v)
		}
	} else {
		for i := range p.lens {
			p.lens[i] = p.seq
		}
	}
	stateShape := []int{p.dirs, p.batch, p.hid}
	if p.layout == 1 {
		stateShape = []int{p.batch, p.dirs, p.hid}
	}
	var err error
	if p.h0, err = p.state(input(in, 5), "initial_h", stateShape); err != nil {
		return nil, err
	}
	if kind == cellLSTM {
		if p.c0, err = p.state(input(in, 6), "initial_c", stateShape); err != nil {
			return nil, err
		}
		if pp := input(in, 7); pp != nil {
			if err := requireShape(pp, "P", p.dirs, 3*p.hid); err != nil {
				return nil, err
			}
			p.p = floats(pp)
		} else {
			p.p = make([]float64, p.dirs*3*p.hid)
		}
		p.inputForget = c.Int("input_forget") != 0
	}
	p.linearBeforeReset = kind == cellGRU && c.Int("linear_before_reset") != 0
	if c.Has("clip") {
		p.clip = float64(c.Float("clip"))
		if !(p.clip > 0) {
			return nil, fmt.Errorf("clip must be positive, got %g", p.clip)
		}
	}
	if p.acts, err = parseActivations(c, kind, p.dirs); err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(tensor.Float64, []int{p.seq, p.dirs, p.batch, p.hid}); err != nil {
		return nil, err
	}
	return p, nil
}

// state reads an initial state given in the op's layout and returns it as
// [dirs, batch, hidden] (zeros when omitted).
func (p *rnnParams) state(t *tensor.Tensor, name string, shape []int) ([]float64, error) {
	out := make([]float64, p.dirs*p.batch*p.hid)
	if t == nil {
		return out, nil
	}
	if err := requireShape(t, name, shape...); err != nil {
		return nil, err
	}
	v := floats(t)
	if p.layout == 0 {
		return v, nil
	}
	for b := 0; b < p.batch; b++ {
		for d := 0; d < p.dirs; d++ {
			copy(out[(d*p.batch+b)*p.hid:][:p.hid], v[(b*p.dirs+d)*p.hid:][:p.hid])
		}
	}
	return out, nil
}

// xAt returns the input vector of step t and batch entry b.
func (p *rnnParams) xAt(t, b int) []float64 {
	if p.layout == 0 {
		return p.x[(t*p.batch+b)*p.input:][:p.input]
	}
	return p.x[(b*p.seq+t)*p.input:][:p.input]
}

// toBatchFirst turns Y from [seq, dirs, batch, hidden] into
// [batch, seq, dirs, hidden].
func (p *rnnParams) toBatchFirst(y []float64) []float64 {
	out := make([]float64, len(y))
	for t := 0; t < p.seq; t++ {
		for d := 0; d < p.dirs; d++ {
			for b := 0; b < p.batch; b++ {
				copy(out[((b*p.seq+t)*p.dirs+d)*p.hid:][:p.hid], y[((t*p.dirs+d)*p.batch+b)*p.hid:][:p.hid])
			}
		}
	}
	return out
}

// stateBatchFirst turns a state from [dirs, batch, hidden] into
// [batch, dirs, hidden].
func (p *rnnParams) stateBatchFirst(s []float64) []float64 {
	if s == nil {
		return nil
	}
	out := make([]float64, len(s))
	for d := 0; d < p.dirs; d++ {
		for b := 0; b < p.batch; b++ {
			copy(out[(b*p.dirs+d)*p.hid:][:p.hid], s[(d*p.batch+b)*p.hid:][:p.hid])
		}
	}
	return out
}

func (p *rnnParams) clipped(v float64) float64 {
	if p.clip > 0 {
		return max(-p.clip, min(p.clip, v))
	}
	return v
}

// run computes Y as [seq, dirs, batch, hidden] and the final hidden (and,
// for LSTM, cell) states as [dirs, batch, hidden].
func (p *rnnParams) run() (y, yh, yc []float64, err error) {
	y = make([]float64, p.seq*p.dirs*p.batch*p.hid)
	yh = append([]float64{}, p.h0...)
	if p.kind == cellLSTM {
		yc = append([]float64{}, p.c0...)
	}
	g, hid := p.kind.gates(), p.hid
	pre := make([]float64, g*hid) // X W^T + Wb for each gate
	rec := make([]float64, g*hid) // H R^T + Rb for each gate
	tmp := make([]float64, hid)
	per := len(p.kind.defaultActivations())
	for d := 0; d < p.dirs; d++ {
		reverse := p.reverse || d == 1
		w := p.w[d*g*hid*p.input:][:g*hid*p.input]
		r := p.r[d*g*hid*hid:][:g*hid*hid]
		wb := p.b[d*2*g*hid:][:g*hid]
		rb := p.b[d*2*g*hid+g*hid:][:g*hid]
		acts := p.acts[d*per:][:per]
		for b := 0; b < p.batch; b++ {
			h := yh[(d*p.batch+b)*hid:][:hid]
			var cell []float64
			if yc != nil {
				cell = yc[(d*p.batch+b)*hid:][:hid]
			}
			n := p.lens[b]
			for step := 0; step < n; step++ {
				t := step
				if reverse {
					t = n - 1 - step
				}
				affine(pre, w, p.xAt(t, b), wb)
				switch p.kind {
				case cellRNN:
					affine(rec, r, h, rb)
					for j := range h {
						h[j] = acts[0].apply(p.clipped(pre[j] + rec[j]))
					}
				case cellGRU:
					p.gruStep(pre, rec, tmp, r, rb, h, acts)
				case cellLSTM:
					affine(rec, r, h, rb)
					p.lstmStep(pre, rec, p.p[d*3*hid:][:3*hid], h, cell, acts)
				}
				copy(y[((t*p.dirs+d)*p.batch+b)*hid:][:hid], h)
			}
		}
	}
	return y, yh, yc, nil
}

// affine sets out[j] = bias[j] + sum_i m[j, i] * v[i] for a row-major
// matrix m with len(v) columns.
func affine(out, m, v, bias []float64) {
	k := len(v)
	for j := range out {
		row := m[j*k:][:k]
		s := bias[j]
		for i, x := range v {
			s += row[i] * x
		}
		out[j] = s
	}
}

// gruStep advances h by one GRU step; pre holds X W^T + Wb for the z, r
// and h gates.
func (p *rnnParams) gruStep(pre, rec, tmp, r, rb, h []float64, acts []activation) {
	hid := len(h)
	f, gf := acts[0], acts[1]
	// z and r gates.
	affine(rec[:2*hid], r[:2*hid*hid], h, rb[:2*hid])
	z := make([]float64, hid)
	for j := 0; j < hid; j++ {
		z[j] = f.apply(p.clipped(pre[j] + rec[j]))
		rec[hid+j] = f.apply(p.clipped(pre[hid+j] + rec[hid+j])) // r
	}
	rt := rec[hid : 2*hid]
	rh := r[2*hid*hid:][:hid*hid]
	if p.linearBeforeReset {
		affine(tmp, rh, h, rb[2*hid:])
		for j := range tmp {
			tmp[j] = gf.apply(p.clipped(pre[2*hid+j] + rt[j]*tmp[j]))
		}
	} else {
		reset := make([]float64, hid)
		for j := range reset {
			reset[j] = rt[j] * h[j]
		}
		affine(tmp, rh, reset, rb[2*hid:])
		for j := range tmp {
			tmp[j] = gf.apply(p.clipped(pre[2*hid+j] + tmp[j]))
		}
	}
	for j := range h {
		h[j] = (1-z[j])*tmp[j] + z[j]*h[j]
	}
}

// lstmStep advances h and c by one LSTM step; pre and rec hold the input
// and recurrent parts of the i, o, f and c gates, peep the peepholes
// Pi, Po, Pf.
func (p *rnnParams) lstmStep(pre, rec, peep, h, c []float64, acts []activation) {
	hid := len(h)
	f, gf, hf := acts[0], acts[1], acts[2]
	for j := 0; j < hid; j++ {
		i := f.apply(p.clipped(pre[j] + rec[j] + peep[j]*c[j]))
		var fg float64
		if p.inputForget {
			fg = 1 - i
		} else {
			fg = f.apply(p.clipped(pre[2*hid+j] + rec[2*hid+j] + peep[2*hid+j]*c[j]))
		}
		cand := gf.apply(p.clipped(pre[3*hid+j] + rec[3*hid+j]))
		c[j] = fg*c[j] + i*cand
		o := f.apply(p.clipped(pre[hid+j] + rec[hid+j] + peep[hid+j]*c[j]))
		h[j] = o * hf.apply(c[j])
	}
}
