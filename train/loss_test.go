package train

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// fixed is a module whose output is its parameter P, so that a training
// step's gradient of P is the loss's gradient of the prediction.
type fixed struct{ P *tensor.Tensor }

func (f *fixed) Forward(g *nn.Graph, x *ir.Value) *ir.Value { return g.Param(f.P) }
func (f *fixed) Params() []nn.Tensor                        { return []nn.Tensor{{Name: "p", T: f.P}} }
func (f *fixed) Buffers() []nn.Tensor                       { return nil }
func (f *fixed) SetTraining(bool)                           {}

func TestLosses(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	normal := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		return v
	}
	prob := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = 0.05 + 0.9*r.Float64()
		}
		return v
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	elementwise := func(f func(p, t float64) float64) func(p, t []float64) float64 {
		return func(p, t []float64) float64 {
			l := make([]float64, len(p))
			for i := range p {
				l[i] = f(p[i], t[i])
			}
			return mean(l)
		}
	}
	// Class losses over [4, 3] predictions and labels 2, 0, 1, 2.
	labels := []int64{2, 0, 1, 2}
	logSoftmax := func(p []float64, row int) []float64 {
		m := math.Inf(-1)
		for c := 0; c < 3; c++ {
			m = math.Max(m, p[row*3+c])
		}
		s := 0.0
		for c := 0; c < 3; c++ {
			s += math.Exp(p[row*3+c] - m)
		}
		out := make([]float64, 3)
		for c := range out {
			out[c] = p[row*3+c] - m - math.Log(s)
		}
		return out
	}
	crossEntropy := func(eps float64) func(p, _ []float64) float64 {
		return func(p, _ []float64) float64 {
			l := 0.0
			for i, y := range labels {
				lp := logSoftmax(p, i)
				l += (1-eps)*-lp[y] + eps*-(lp[0]+lp[1]+lp[2])/3
			}
			return l / 4
		}
	}
	cases := []struct {
		name   string
		loss   Loss
		pred   []float64
		target []float64 // nil for class labels
		ref    func(p, t []float64) float64
	}{
		{"MSE", MSELoss(), normal(6), normal(6), elementwise(func(p, t float64) float64 { return (p - t) * (p - t) })},
		{"L1", L1Loss(), normal(6), normal(6), elementwise(func(p, t float64) float64 { return math.Abs(p - t) })},
		{"Huber", HuberLoss(0.7), normal(6), normal(6), elementwise(func(p, t float64) float64 {
			d := math.Abs(p - t)
			if d < 0.7 {
				return d * d / 2
			}
			return 0.7 * (d - 0.35)
		})},
		{"BCE", BCELoss(), prob(6), prob(6), elementwise(func(p, t float64) float64 {
			return -(t*math.Log(p) + (1-t)*math.Log(1-p))
		})},
		{"BCEWithLogits", BCEWithLogitsLoss(), normal(6), prob(6), elementwise(func(x, t float64) float64 {
			s := 1 / (1 + math.Exp(-x))
			return -(t*math.Log(s) + (1-t)*math.Log(1-s))
		})},
		{"CrossEntropy", CrossEntropyLoss(0), normal(12), nil, crossEntropy(0)},
		{"CrossEntropySmoothed", CrossEntropyLoss(0.2), normal(12), nil, crossEntropy(0.2)},
		{"NLL", NLLLoss(), normal(12), nil, func(p, _ []float64) float64 {
			l := 0.0
			for i, y := range labels {
				l -= p[i*3+int(y)]
			}
			return l / 4
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var shape []int
			var y *tensor.Tensor
			if c.target == nil {
				shape = []int{4, 3}
				y = tensor.FromSlice(append([]int64{}, labels...), 4)
			} else {
				shape = []int{2, 3}
				y = tensor.New(tensor.Float32, 2, 3)
				for i, v := range c.target {
					y.Float32s()[i] = float32(v)
				}
			}
			p := tensor.New(tensor.Float32, shape...)
			pv := make([]float64, len(c.pred))
			for i, v := range c.pred {
				p.Float32s()[i] = float32(v)
				pv[i] = float64(float32(v))
			}
			tv := make([]float64, len(c.target))
			for i, v := range c.target {
				tv[i] = float64(float32(v))
			}
			m := &fixed{P: p}
			x := tensor.New(tensor.Float32, shape[0], 1)
			st, err := CompileStep(m, c.loss, specOf(x), specOf(y), m.Params())
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Run(context.Background(), x, y, nil)
			if err != nil {
				t.Fatal(err)
			}
			closeTo(t, "loss", res.Loss, c.ref(pv, tv), 1e-5)
			g := res.Grads[0].Float32s()
			for i := range pv {
				const h = 1e-5
				up, down := append([]float64{}, pv...), append([]float64{}, pv...)
				up[i] += h
				down[i] -= h
				fd := (c.ref(up, tv) - c.ref(down, tv)) / (2 * h)
				if math.Abs(float64(g[i])-fd) > 1e-4+1e-3*math.Abs(fd) {
					t.Fatalf("gradient[%d] = %g, finite difference %g", i, g[i], fd)
				}
			}
		})
	}
}

func TestLossShapeErrors(t *testing.T) {
	m := &fixed{P: tensor.New(tensor.Float32, 2, 3)}
	x := Spec{tensor.Float32, []int{2, 1}}
	if _, err := CompileStep(m, MSELoss(), x, Spec{tensor.Float32, []int{2, 4}}, m.Params()); err == nil || !strings.Contains(err.Error(), "MSELoss") {
		t.Fatalf("MSE shape mismatch: %v", err)
	}
	if _, err := CompileStep(m, CrossEntropyLoss(0), x, Spec{tensor.Float32, []int{2}}, m.Params()); err == nil || !strings.Contains(err.Error(), "int64") {
		t.Fatalf("float class labels: %v", err)
	}
}
