package train

import (
	"encoding/json"
	"math"
)

// Schedule gives the learning rate for time t, counted from 0 in epochs
// or in steps (Config.SchedulePerStep).
type Schedule interface {
	LR(t int) float64
}

// Observer is a schedule that also watches a metric after each epoch (the
// validation loss, or the training loss without validation data).
type Observer interface {
	Observe(metric float64)
}

// Stateful is a schedule with state that checkpoints must keep.
type Stateful interface {
	MarshalState() ([]byte, error)
	UnmarshalState([]byte) error
}

// Constant is a fixed learning rate.
type Constant float64

// LR returns the rate.
func (c Constant) LR(int) float64 { return float64(c) }

// StepLR multiplies the rate by Gamma every Size units: Base·Gamma^⌊t/Size⌋.
type StepLR struct {
	Base  float64
	Size  int
	Gamma float64
}

// LR returns Base·Gamma^⌊t/Size⌋.
func (s StepLR) LR(t int) float64 { return s.Base * math.Pow(s.Gamma, float64(t/max(s.Size, 1))) }

// MultiStepLR multiplies the rate by Gamma at each milestone:
// Base·Gamma^(number of milestones ≤ t).
type MultiStepLR struct {
	Base       float64
	Milestones []int
	Gamma      float64
}

// LR returns the rate at t.
func (s MultiStepLR) LR(t int) float64 {
	k := 0
	for _, m := range s.Milestones {
		if m <= t {
			k++
		}
	}
	return s.Base * math.Pow(s.Gamma, float64(k))
}

// ExponentialLR is Base·Gamma^t.
type ExponentialLR struct {
	Base, Gamma float64
}

// LR returns Base·Gamma^t.
func (s ExponentialLR) LR(t int) float64 { return s.Base * math.Pow(s.Gamma, float64(t)) }

// CosineLR anneals from Base to Min over TMax units:
// Min + (Base-Min)·(1 + cos(π·t/TMax))/2, and stays at Min after TMax.
type CosineLR struct {
	Base, Min float64
	TMax      int
}

// LR returns the annealed rate.
func (s CosineLR) LR(t int) float64 {
	if t >= s.TMax {
		return s.Min
	}
	return s.Min + (s.Base-s.Min)*(1+math.Cos(math.Pi*float64(t)/float64(s.TMax)))/2
}

// Warmup ramps the rate linearly from StartFactor·Then.LR(0) to
// Then.LR(0) over Steps units, then follows Then shifted by Steps.
type Warmup struct {
	Steps       int
	StartFactor float64
	Then        Schedule
}

// LR returns the warmed-up rate.
func (w Warmup) LR(t int) float64 {
	if t < w.Steps {
		f := w.StartFactor + (1-w.StartFactor)*float64(t)/float64(w.Steps)
		return w.Then.LR(0) * f
	}
	return w.Then.LR(t - w.Steps)
}

// ReduceOnPlateau lowers the rate by Factor when the observed metric has
// not improved (by more than the relative Threshold) for Patience epochs,
// then waits Cooldown epochs; it never goes below MinLR. It follows
// PyTorch's ReduceLROnPlateau in "min" mode.
type ReduceOnPlateau struct {
	Factor    float64
	Patience  int
	Threshold float64
	Cooldown  int
	MinLR     float64
	st        plateauState
}

type plateauState struct {
	LR       float64 `json:"lr"`
	Best     float64 `json:"best"`
	Bad      int     `json:"bad"`
	Cooldown int     `json:"cooldown"`
	Seen     bool    `json:"seen"`
}

// NewReduceOnPlateau starts at rate base with PyTorch's threshold 1e-4.
func NewReduceOnPlateau(base, factor float64, patience int) *ReduceOnPlateau {
	return &ReduceOnPlateau{Factor: factor, Patience: patience, Threshold: 1e-4, st: plateauState{LR: base}}
}

// LR returns the current rate.
func (r *ReduceOnPlateau) LR(int) float64 { return r.st.LR }

// Observe records the metric of one epoch.
func (r *ReduceOnPlateau) Observe(metric float64) {
	s := &r.st
	if !s.Seen || metric < s.Best*(1-r.Threshold) {
		s.Best, s.Bad, s.Seen = metric, 0, true
	} else {
		s.Bad++
	}
	if s.Cooldown > 0 {
		s.Cooldown--
		s.Bad = 0
	}
	if s.Bad > r.Patience {
		if lr := math.Max(s.LR*r.Factor, r.MinLR); s.LR-lr > 1e-8 {
			s.LR = lr
		}
		s.Cooldown = r.Cooldown
		s.Bad = 0
	}
}

// MarshalState saves the rate, the best metric and the counters.
func (r *ReduceOnPlateau) MarshalState() ([]byte, error) { return json.Marshal(r.st) }

// UnmarshalState restores what MarshalState saved.
func (r *ReduceOnPlateau) UnmarshalState(b []byte) error { return json.Unmarshal(b, &r.st) }
