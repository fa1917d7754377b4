package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// Optimizer updates float32 parameters in place from their gradients.
// Its state (moment estimates, step count) is a set of named tensors so
// that checkpoints save and restore it by parameter name.
type Optimizer interface {
	// Step applies one update; grads[i] is the gradient of params[i].
	Step(params []nn.Tensor, grads []*tensor.Tensor) error
	// LR returns the learning rate; SetLR changes it (schedules do).
	LR() float64
	SetLR(lr float64)
	// State returns the optimizer's state tensors, named "slot/param";
	// SetState restores them.
	State() []nn.Tensor
	SetState(ts []nn.Tensor) error
}

// Regularization holds the penalties every optimizer here applies:
// L2 weight decay added to the gradient (g + wd·p; decoupled instead in
// AdamW) and an L1 penalty (g + l1·sign(p)).
type Regularization struct {
	WeightDecay float64
	L1          float64
}

// slots holds per-parameter state vectors and the step count.
type slots struct {
	step  int64
	named map[string][]float64
}

func (s *slots) get(slot, param string, n int) []float64 {
	if s.named == nil {
		s.named = map[string][]float64{}
	}
	key := slot + "/" + param
	v, ok := s.named[key]
	if !ok || len(v) != n {
		v = make([]float64, n)
		s.named[key] = v
	}
	return v
}

func (s *slots) state() []nn.Tensor {
	keys := make([]string, 0, len(s.named))
	for k := range s.named {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []nn.Tensor{{Name: "step", T: tensor.Scalar(s.step)}}
	for _, k := range keys {
		out = append(out, nn.Tensor{Name: k, T: tensor.FromSlice(append([]float64{}, s.named[k]...))})
	}
	return out
}

func (s *slots) setState(ts []nn.Tensor) error {
	s.named = map[string][]float64{}
	s.step = 0
	for _, t := range ts {
		if t.Name == "step" {
			if t.T.DType() != tensor.Int64 || t.T.Len() != 1 {
				return fmt.Errorf("train: optimizer state %q must be an int64 scalar", t.Name)
			}
			s.step = t.T.Int64s()[0]
			continue
		}
		if t.T.DType() != tensor.Float64 {
			return fmt.Errorf("train: optimizer state %q must be float64, is %s", t.Name, t.T.DType())
		}
		s.named[t.Name] = append([]float64{}, t.T.Float64s()...)
	}
	return nil
}

// prepare checks the arguments and returns each gradient with the
// penalties added, as float64.
func prepare(params []nn.Tensor, grads []*tensor.Tensor, r Regularization) ([][]float64, error) {
	if len(params) != len(grads) {
		return nil, fmt.Errorf("train: %d parameters but %d gradients", len(params), len(grads))
	}
	out := make([][]float64, len(params))
	for i, p := range params {
		g := grads[i]
		if p.T.DType() != tensor.Float32 || g == nil || g.DType() != tensor.Float32 || g.Len() != p.T.Len() {
			return nil, fmt.Errorf("train: parameter %q (%s%v) and its gradient (%v) must be float32 of one shape", p.Name, p.T.DType(), p.T.Shape(), g)
		}
		pv, gv := p.T.Float32s(), g.Float32s()
		d := make([]float64, len(gv))
		for j, v := range gv {
			x := float64(v)
			if r.WeightDecay != 0 {
				x += r.WeightDecay * float64(pv[j])
			}
			if r.L1 != 0 {
				x += r.L1 * sign(float64(pv[j]))
			}
			d[j] = x
		}
		out[i] = d
	}
	return out, nil
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// SGD is stochastic gradient descent with optional momentum (PyTorch's
// form: v ← μ·v + (1-dampening)·g, then p ← p - lr·v, or with Nesterov
// p ← p - lr·(g + μ·v)).
type SGD struct {
	Rate, Momentum, Dampening float64
	Nesterov                  bool
	Regularization
	s slots
}

// NewSGD returns plain SGD.
func NewSGD(lr float64) *SGD { return &SGD{Rate: lr} }

// NewMomentum returns SGD with momentum μ, Nesterov's when nesterov.
func NewMomentum(lr, mu float64, nesterov bool) *SGD {
	return &SGD{Rate: lr, Momentum: mu, Nesterov: nesterov}
}

func (o *SGD) LR() float64                   { return o.Rate }
func (o *SGD) SetLR(lr float64)              { o.Rate = lr }
func (o *SGD) State() []nn.Tensor            { return o.s.state() }
func (o *SGD) SetState(ts []nn.Tensor) error { return o.s.setState(ts) }

// Step applies one SGD update.
func (o *SGD) Step(params []nn.Tensor, grads []*tensor.Tensor) error {
	gs, err := prepare(params, grads, o.Regularization)
	if err != nil {
		return err
	}
	first := o.s.step == 0
	o.s.step++
	for i, p := range params {
		pv, g := p.T.Float32s(), gs[i]
		if o.Momentum == 0 {
			for j := range pv {
				pv[j] = float32(float64(pv[j]) - o.Rate*g[j])
			}
			continue
		}
		v := o.s.get("momentum", p.Name, len(pv))
		for j := range pv {
			if first {
				v[j] = g[j]
			} else {
				v[j] = o.Momentum*v[j] + (1-o.Dampening)*g[j]
			}
			d := v[j]
			if o.Nesterov {
				d = g[j] + o.Momentum*v[j]
			}
			pv[j] = float32(float64(pv[j]) - o.Rate*d)
		}
	}
	return nil
}

// Adam is Adam (Kingma & Ba), or AdamW with Decoupled: m ← β1·m +
// (1-β1)·g, v ← β2·v + (1-β2)·g², p ← p - lr·m̂/(√v̂ + eps) with the
// bias-corrected m̂ = m/(1-β1ᵗ), v̂ = v/(1-β2ᵗ). AdamW applies its weight
// decay as p ← p·(1 - lr·wd) before the step instead of adding it to g.
type Adam struct {
	Rate, Beta1, Beta2, Eps float64
	Decoupled               bool
	Regularization
	s slots
}

// NewAdam returns Adam with PyTorch's defaults (β = 0.9, 0.999, eps 1e-8).
func NewAdam(lr float64) *Adam { return &Adam{Rate: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// NewAdamW returns AdamW with decoupled weight decay wd.
func NewAdamW(lr, wd float64) *Adam {
	a := NewAdam(lr)
	a.Decoupled, a.WeightDecay = true, wd
	return a
}

func (o *Adam) LR() float64                   { return o.Rate }
func (o *Adam) SetLR(lr float64)              { o.Rate = lr }
func (o *Adam) State() []nn.Tensor            { return o.s.state() }
func (o *Adam) SetState(ts []nn.Tensor) error { return o.s.setState(ts) }

// Step applies one Adam update.
func (o *Adam) Step(params []nn.Tensor, grads []*tensor.Tensor) error {
	reg := o.Regularization
	if o.Decoupled {
		reg.WeightDecay = 0
	}
	gs, err := prepare(params, grads, reg)
	if err != nil {
		return err
	}
	o.s.step++
	t := float64(o.s.step)
	bc1, bc2 := 1-math.Pow(o.Beta1, t), 1-math.Pow(o.Beta2, t)
	for i, p := range params {
		pv, g := p.T.Float32s(), gs[i]
		m := o.s.get("exp_avg", p.Name, len(pv))
		v := o.s.get("exp_avg_sq", p.Name, len(pv))
		for j := range pv {
			x := float64(pv[j])
			if o.Decoupled && o.WeightDecay != 0 {
				x *= 1 - o.Rate*o.WeightDecay
			}
			m[j] = o.Beta1*m[j] + (1-o.Beta1)*g[j]
			v[j] = o.Beta2*v[j] + (1-o.Beta2)*g[j]*g[j]
			x -= o.Rate * (m[j] / bc1) / (math.Sqrt(v[j]/bc2) + o.Eps)
			pv[j] = float32(x)
		}
	}
	return nil
}

// AdaGrad accumulates squared gradients: s ← s + g², p ← p - lr·g/(√s +
// eps), with the rate decayed as lr/(1 + (t-1)·LRDecay).
type AdaGrad struct {
	Rate, LRDecay, Eps float64
	Regularization
	s slots
}

// NewAdaGrad returns AdaGrad with eps 1e-10.
func NewAdaGrad(lr float64) *AdaGrad { return &AdaGrad{Rate: lr, Eps: 1e-10} }

func (o *AdaGrad) LR() float64                   { return o.Rate }
func (o *AdaGrad) SetLR(lr float64)              { o.Rate = lr }
func (o *AdaGrad) State() []nn.Tensor            { return o.s.state() }
func (o *AdaGrad) SetState(ts []nn.Tensor) error { return o.s.setState(ts) }

// Step applies one AdaGrad update.
func (o *AdaGrad) Step(params []nn.Tensor, grads []*tensor.Tensor) error {
	gs, err := prepare(params, grads, o.Regularization)
	if err != nil {
		return err
	}
	o.s.step++
	lr := o.Rate / (1 + float64(o.s.step-1)*o.LRDecay)
	for i, p := range params {
		pv, g := p.T.Float32s(), gs[i]
		s := o.s.get("sum", p.Name, len(pv))
		for j := range pv {
			s[j] += g[j] * g[j]
			pv[j] = float32(float64(pv[j]) - lr*g[j]/(math.Sqrt(s[j])+o.Eps))
		}
	}
	return nil
}

// AdaDelta (Zeiler): v ← ρ·v + (1-ρ)·g², Δ = √(u + eps)/√(v + eps)·g,
// u ← ρ·u + (1-ρ)·Δ², p ← p - lr·Δ.
type AdaDelta struct {
	Rate, Rho, Eps float64
	Regularization
	s slots
}

// NewAdaDelta returns AdaDelta with PyTorch's defaults (ρ 0.9, eps 1e-6).
func NewAdaDelta(lr float64) *AdaDelta { return &AdaDelta{Rate: lr, Rho: 0.9, Eps: 1e-6} }

func (o *AdaDelta) LR() float64                   { return o.Rate }
func (o *AdaDelta) SetLR(lr float64)              { o.Rate = lr }
func (o *AdaDelta) State() []nn.Tensor            { return o.s.state() }
func (o *AdaDelta) SetState(ts []nn.Tensor) error { return o.s.setState(ts) }

// Step applies one AdaDelta update.
func (o *AdaDelta) Step(params []nn.Tensor, grads []*tensor.Tensor) error {
	gs, err := prepare(params, grads, o.Regularization)
	if err != nil {
		return err
	}
	o.s.step++
	for i, p := range params {
		pv, g := p.T.Float32s(), gs[i]
		v := o.s.get("square_avg", p.Name, len(pv))
		u := o.s.get("acc_delta", p.Name, len(pv))
		for j := range pv {
			v[j] = o.Rho*v[j] + (1-o.Rho)*g[j]*g[j]
			d := math.Sqrt(u[j]+o.Eps) / math.Sqrt(v[j]+o.Eps) * g[j]
			u[j] = o.Rho*u[j] + (1-o.Rho)*d*d
			pv[j] = float32(float64(pv[j]) - o.Rate*d)
		}
	}
	return nil
}

// RMSProp: v ← α·v + (1-α)·g², p ← p - lr·g/(√v + eps); with Momentum μ
// the step goes through a buffer b ← μ·b + g/(√v + eps).
type RMSProp struct {
	Rate, Alpha, Eps, Momentum float64
	Regularization
	s slots
}

// NewRMSProp returns RMSProp with PyTorch's defaults (α 0.99, eps 1e-8).
func NewRMSProp(lr float64) *RMSProp { return &RMSProp{Rate: lr, Alpha: 0.99, Eps: 1e-8} }

func (o *RMSProp) LR() float64                   { return o.Rate }
func (o *RMSProp) SetLR(lr float64)              { o.Rate = lr }
func (o *RMSProp) State() []nn.Tensor            { return o.s.state() }
func (o *RMSProp) SetState(ts []nn.Tensor) error { return o.s.setState(ts) }

// Step applies one RMSProp update.
func (o *RMSProp) Step(params []nn.Tensor, grads []*tensor.Tensor) error {
	gs, err := prepare(params, grads, o.Regularization)
	if err != nil {
		return err
	}
	o.s.step++
	for i, p := range params {
		pv, g := p.T.Float32s(), gs[i]
		v := o.s.get("square_avg", p.Name, len(pv))
		var b []float64
		if o.Momentum != 0 {
			b = o.s.get("momentum_buffer", p.Name, len(pv))
		}
		for j := range pv {
			v[j] = o.Alpha*v[j] + (1-o.Alpha)*g[j]*g[j]
			d := g[j] / (math.Sqrt(v[j]) + o.Eps)
			if b != nil {
				b[j] = o.Momentum*b[j] + d
				d = b[j]
			}
			pv[j] = float32(float64(pv[j]) - o.Rate*d)
		}
	}
	return nil
}

// ClipGradNorm scales the gradients so that their global L2 norm is at
// most maxNorm, and returns the norm before clipping.
func ClipGradNorm(grads []*tensor.Tensor, maxNorm float64) float64 {
	var ss float64
	for _, g := range grads {
		for _, v := range g.Float32s() {
			ss += float64(v) * float64(v)
		}
	}
	norm := math.Sqrt(ss)
	if norm > maxNorm && norm > 0 {
		c := maxNorm / (norm + 1e-6)
		for _, g := range grads {
			d := g.Float32s()
			for i := range d {
				d[i] = float32(float64(d[i]) * c)
			}
		}
	}
	return norm
}

// ClipGradValue clamps every gradient element to [-limit, limit].
func ClipGradValue(grads []*tensor.Tensor, limit float64) {
	for _, g := range grads {
		d := g.Float32s()
		for i, v := range d {
			d[i] = float32(math.Max(-limit, math.Min(limit, float64(v))))
		}
	}
}
