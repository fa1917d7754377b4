package reduce

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

type smKind int

const (
	smSoftmax smKind = iota
	smLog
	smHard
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "Softmax", Since: 1, Run: kernels.Tensors(softmaxKernel(smSoftmax))},
		kernels.KernelDef{Op: "LogSoftmax", Since: 1, Run: kernels.Tensors(softmaxKernel(smLog))},
		kernels.KernelDef{Op: "Hardmax", Since: 1, Run: kernels.Tensors(softmaxKernel(smHard))},
		kernels.KernelDef{Op: "NegativeLogLikelihoodLoss", Since: 12, Run: kernels.Tensors(nllLoss)},
		kernels.KernelDef{Op: "SoftmaxCrossEntropyLoss", Since: 12, Run: kernels.Tensors(sceLoss)},
	)
}

// softmaxAxes returns the axes the softmax family normalizes over: before
// opset 13 the input is seen as a 2-D matrix split at axis (default 1),
// so every axis from axis on; from opset 13 the single axis (default -1).
func softmaxAxes(c *kernels.Ctx, rank int) ([]int, error) {
	if c.Opset < 13 {
		a, err := kernels.NormAxis(c.Node.IntOr("axis", 1), rank)
		if err != nil {
			return nil, err
		}
		return kernels.AxesFrom(a, rank), nil
	}
	a, err := kernels.NormAxis(c.Node.IntOr("axis", -1), rank)
	if err != nil {
		return nil, err
	}
	return []int{a}, nil
}

func softmaxKernel(kind smKind) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := input(in, 0)
		if err := requireFloat("input", x); err != nil {
			return nil, err
		}
		axes, err := softmaxAxes(c, x.Rank())
		if err != nil {
			return nil, err
		}
		p, err := kernels.NewReducePlan(x.Shape(), axes)
		if err != nil {
			return nil, err
		}
		if fastPaths && x.DType() == tensor.Float32 {
			if out := softmax32(x, p, kind); out != nil {
				return []*tensor.Tensor{out}, nil
			}
		}
		v := kernels.Float64s(x)
		out := softmaxGroups(v, p, kind)
		return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), out)}, nil
	}
}

// softmaxGroups applies softmax, log-softmax or hardmax to each group of v.
func softmaxGroups(v []float64, p *kernels.ReducePlan, kind smKind) []float64 {
	out := make([]float64, len(v))
	if p.GroupSize == 0 {
		return out
	}
	for g := 0; g < p.NumGroups; g++ {
		base := p.Base[g]
		m := math.Inf(-1)
		arg := base + p.Offsets[0]
		for _, o := range p.Offsets {
			if x := v[base+o]; x > m {
				m, arg = x, base+o
			}
		}
		if kind == smHard {
			out[arg] = 1
			continue
		}
		s := 0.0
		for _, o := range p.Offsets {
			e := math.Exp(v[base+o] - m)
			out[base+o] = e
			s += e
		}
		if kind == smLog {
			ls := math.Log(s)
			for _, o := range p.Offsets {
				out[base+o] = v[base+o] - m - ls
			}
			continue
		}
		r := 1 / s
		for _, o := range p.Offsets {
			out[base+o] *= r
		}
	}
	return out
}

// nll computes the negative log likelihood loss of log-probabilities logp
// (shape [N, C, d1, ..., dk]) against target classes (shape [N, d1, ...,
// dk]), with optional per-class weights. It returns the loss and its
// shape.
func nll(c *kernels.Ctx, logp []float64, shape []int, target, weight *tensor.Tensor) ([]float64, []int, error) {
	if len(shape) < 2 {
		return nil, nil, fmt.Errorf("input must have shape (N, C, ...), got %v", shape)
	}
	if target == nil || !target.DType().IsInt() {
		return nil, nil, fmt.Errorf("target must be an integer tensor")
	}
	n, classes := shape[0], shape[1]
	want := append([]int{n}, shape[2:]...)
	if !equalInts(target.Shape(), want) {
		return nil, nil, fmt.Errorf("target shape %v does not match input shape %v (want %v)", target.Shape(), shape, want)
	}
	var w []float64
	if weight != nil {
		var err error
		if w, err = channelParam("weight", weight, classes); err != nil {
			return nil, nil, err
		}
	}
	hasIgnore := c.Has("ignore_index")
	ignore := c.Int("ignore_index")
	red := c.Str("reduction")
	if red != "none" && red != "sum" && red != "mean" {
		return nil, nil, fmt.Errorf("reduction must be none, sum or mean, got %q", red)
	}
	d := product(shape[2:])
	tv := target.Int64sOf()
	loss := make([]float64, len(tv))
	var sum, wsum float64
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			t := tv[i*d+j]
			if hasIgnore && t == ignore {
				continue
			}
			if t < 0 || t >= int64(classes) {
				return nil, nil, fmt.Errorf("target value %d is outside [0, %d) and is not ignore_index", t, classes)
			}
			wt := 1.0
			if w != nil {
				wt = w[t]
			}
			l := -logp[(i*classes+int(t))*d+j] * wt
			loss[i*d+j] = l
			sum += l
			wsum += wt
		}
	}
	switch red {
	case "sum":
		return []float64{sum}, []int{}, nil
	case "mean":
		return []float64{sum / wsum}, []int{}, nil
	}
	return loss, target.Shape(), nil
}

func nllLoss(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("input", x); err != nil {
		return nil, err
	}
	loss, shape, err := nll(c, kernels.Float64s(x), x.Shape(), input(in, 1), input(in, 2))
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), shape, loss)}, nil
}

func sceLoss(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("scores", x); err != nil {
		return nil, err
	}
	if x.Rank() < 2 {
		return nil, fmt.Errorf("scores must have shape (N, C, ...), got %v", x.Shape())
	}
	p, err := kernels.NewReducePlan(x.Shape(), []int{1})
	if err != nil {
		return nil, err
	}
	logp := softmaxGroups(kernels.Float64s(x), p, smLog)
	loss, shape, err := nll(c, logp, x.Shape(), input(in, 1), input(in, 2))
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), shape, loss), kernels.FromFloat64s(x.DType(), x.Shape(), logp)}, nil
}
