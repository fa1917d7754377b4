// Package training holds the CPU kernels of the optimizer ops of the
// ai.onnx.preview.training domain: Adagrad, Momentum and Adam. Each takes
// a learning rate R, a step count T, then the parameters, their gradients
// and their optimizer states, and returns the updated parameters and
// states.
package training

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

const domain = "ai.onnx.preview.training"

func init() {
	kernels.Register(
		kernels.KernelDef{Domain: domain, Op: "Adagrad", Since: 1, Run: kernels.Tensors(optimizer(3, adagrad))},
		kernels.KernelDef{Domain: domain, Op: "Momentum", Since: 1, Run: kernels.Tensors(optimizer(3, momentum))},
		kernels.KernelDef{Domain: domain, Op: "Adam", Since: 1, Run: kernels.Tensors(optimizer(4, adam))},
		// Gradient is differentiated, not executed: cpu.Compile expands it
		// into backward nodes with passes/autodiff before any kernel runs.
		kernels.KernelDef{Domain: domain, Op: "Gradient", Since: 1, Run: func(c *kernels.Ctx, _ []tensor.Value) ([]tensor.Value, error) {
			return nil, fmt.Errorf("Gradient must be expanded by the autodiff pass before it runs")
		}},
	)
}

// step updates one element: x the parameter, g its gradient, s its states
// (updated in place); it returns the new parameter.
type step func(c *kernels.Ctx, r float64, t int64, x, g float64, s []float64) float64

// optimizer applies an elementwise update rule to every parameter group.
func optimizer(groups int, rule step) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		if in[0].Len() != 1 || in[1].Len() != 1 {
			return nil, fmt.Errorf("R and T must be scalars, have shapes %v and %v", in[0].Shape(), in[1].Shape())
		}
		r, t := in[0].Float64At(0), in[1].Int64At(0)
		rest := in[2:]
		if len(rest)%groups != 0 {
			return nil, fmt.Errorf("%d tensors after R and T do not form groups of %d", len(rest), groups)
		}
		n := len(rest) / groups
		outs := make([]*tensor.Tensor, n*(groups-1))
		states := make([]float64, groups-2)
		for p := 0; p < n; p++ {
			x, g := rest[p], rest[n+p]
			if g.Len() != x.Len() {
				return nil, fmt.Errorf("gradient %d has shape %v, parameter has %v", p, g.Shape(), x.Shape())
			}
			xs := tensor.New(x.DType(), x.Shape()...)
			outs[p] = xs
			st := make([]*tensor.Tensor, groups-2)
			for k := range st {
				src := rest[(2+k)*n+p]
				if src.Len() != x.Len() {
					return nil, fmt.Errorf("state %d of parameter %d has shape %v, parameter has %v", k, p, src.Shape(), x.Shape())
				}
				st[k] = tensor.New(src.DType(), src.Shape()...)
				outs[n*(1+k)+p] = st[k]
			}
			for i := 0; i < x.Len(); i++ {
				for k := range states {
					states[k] = rest[(2+k)*n+p].Float64At(i)
				}
				xs.SetFloat64At(i, rule(c, r, t, x.Float64At(i), g.Float64At(i), states))
				for k := range st {
					st[k].SetFloat64At(i, states[k])
				}
			}
		}
		return outs, nil
	}
}

func adagrad(c *kernels.Ctx, r float64, t int64, x, g float64, s []float64) float64 {
	rate := r / (1 + float64(t)*float64(c.Float("decay_factor")))
	g += float64(c.Float("norm_coefficient")) * x
	s[0] += g * g
	return x - rate*g/(math.Sqrt(s[0])+float64(c.Float("epsilon")))
}

func momentum(c *kernels.Ctx, r float64, t int64, x, g float64, s []float64) float64 {
	alpha, beta := float64(c.Float("alpha")), float64(c.Float("beta"))
	g += float64(c.Float("norm_coefficient")) * x
	if t == 0 {
		beta = 1
	}
	s[0] = alpha*s[0] + beta*g
	if c.Str("mode") == "nesterov" {
		return x - r*(g+alpha*s[0])
	}
	return x - r*s[0]
}

func adam(c *kernels.Ctx, r float64, t int64, x, g float64, s []float64) float64 {
	alpha, beta := float64(c.Float("alpha")), float64(c.Float("beta"))
	g += float64(c.Float("norm_coefficient")) * x
	s[0] = alpha*s[0] + (1-alpha)*g
	s[1] = beta*s[1] + (1-beta)*g*g
	rate := r
	if t > 0 {
		rate = r * math.Sqrt(1-math.Pow(beta, float64(t))) / (1 - math.Pow(alpha, float64(t)))
	}
	x -= rate * s[0] / (math.Sqrt(s[1]) + float64(c.Float("epsilon")))
	return (1 - float64(c.Float("norm_coefficient_post"))) * x
}
