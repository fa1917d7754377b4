// Package misc holds the CPU kernels of Dropout, the random generators,
// BitCast, the string ops and NonMaxSuppression.
package misc

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "Dropout", Since: 1, Run: kernels.Tensors(dropout)},
		kernels.Simple("Bernoulli", bernoulli),
		kernels.Simple("RandomUniform", randomFill(false, false)),
		kernels.Simple("RandomNormal", randomFill(true, false)),
		kernels.Simple("RandomUniformLike", randomFill(false, true)),
		kernels.Simple("RandomNormalLike", randomFill(true, true)),
		kernels.Simple("Multinomial", multinomial),
	)
}

// dropout is the identity in inference; in training mode (opset 12's
// training_mode input) it zeroes each element with probability ratio and
// scales the rest by 1/(1-ratio).
func dropout(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	ratio := float64(c.Float("ratio"))
	training := false
	if c.Opset >= 12 {
		if len(in) > 1 && in[1] != nil {
			if in[1].Len() != 1 {
				return nil, fmt.Errorf("ratio must be a scalar, has shape %v", in[1].Shape())
			}
			ratio = in[1].Float64At(0)
		}
		if len(in) > 2 && in[2] != nil {
			if in[2].Len() != 1 {
				return nil, fmt.Errorf("training_mode must be a scalar, has shape %v", in[2].Shape())
			}
			training = in[2].Float64At(0) != 0
		}
	} else if c.Opset < 7 && c.Int("is_test") == 0 {
		training = false // onyx runs graphs for inference
	}
	maskType := tensor.Bool
	if c.Opset < 10 {
		maskType = x.DType()
	}
	mask := tensor.New(maskType, x.Shape()...)
	if !training || ratio == 0 {
		for i := 0; i < mask.Len(); i++ {
			mask.SetFloat64At(i, 1)
		}
		return []*tensor.Tensor{x, mask}, nil
	}
	if ratio < 0 || ratio >= 1 {
		return nil, fmt.Errorf("ratio %g must be in [0, 1) in training mode", ratio)
	}
	r := randomSource(c)
	out := tensor.New(x.DType(), x.Shape()...)
	scale := 1 / (1 - ratio)
	for i := 0; i < x.Len(); i++ {
		if r.Float64() >= ratio {
			mask.SetFloat64At(i, 1)
			out.SetFloat64At(i, x.Float64At(i)*scale)
		}
	}
	return []*tensor.Tensor{out, mask}, nil
}

func outType(c *kernels.Ctx, def tensor.DType) (tensor.DType, error) {
	dt := def
	if c.Has("dtype") {
		dt = tensor.DType(c.Int("dtype"))
	}
	if !dt.Valid() || dt == tensor.String {
		return 0, fmt.Errorf("dtype %d is not a numeric element type", dt)
	}
	return dt, nil
}

func bernoulli(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	dt, err := outType(c, in[0].DType())
	if err != nil {
		return nil, err
	}
	out := tensor.New(dt, in[0].Shape()...)
	r := randomSource(c)
	for i := 0; i < out.Len(); i++ {
		p := in[0].Float64At(i)
		if p < 0 || p > 1 || math.IsNaN(p) {
			return nil, fmt.Errorf("probability %g at index %d is outside [0, 1]", p, i)
		}
		// One draw per element, by inversion of the binomial(1, p) law on
		// the smaller of p and 1-p, as numpy's legacy binomial does.
		u := r.Float64()
		one := u > 1-p
		if p > 0.5 {
			one = !(u > p)
		}
		if one {
			out.SetFloat64At(i, 1)
		}
	}
	return []*tensor.Tensor{out}, nil
}

// randomFill makes the four random generators: normal or uniform, with a
// shape from the attribute or from the input.
func randomFill(normal, like bool) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		var shape []int
		def := tensor.Float32
		if like {
			shape, def = in[0].Shape(), in[0].DType()
		} else {
			shape = kernels.ToInts(c.Ints("shape"))
		}
		dt, err := outType(c, def)
		if err != nil {
			return nil, err
		}
		out, err := tensor.Alloc(dt, shape)
		if err != nil {
			return nil, err
		}
		r := randomSource(c)
		for i := 0; i < out.Len(); i++ {
			var v float64
			if normal {
				v = float64(c.Float("mean")) + float64(c.Float("scale"))*r.NormFloat64()
			} else {
				lo, hi := float64(c.Float("low")), float64(c.Float("high"))
				v = lo + (hi-lo)*r.Float64()
			}
			out.SetFloat64At(i, v)
		}
		return []*tensor.Tensor{out}, nil
	}
}

func multinomial(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() != 2 {
		return nil, fmt.Errorf("input must be [batch, classes], has shape %v", x.Shape())
	}
	dt := tensor.DType(c.Int("dtype"))
	if dt != tensor.Int32 && dt != tensor.Int64 {
		return nil, fmt.Errorf("dtype must be int32 or int64, is %s", dt)
	}
	n := int(c.Int("sample_size"))
	if n < 0 {
		return nil, fmt.Errorf("sample_size %d is negative", n)
	}
	b, k := x.Dim(0), x.Dim(1)
	out, err := tensor.Alloc(dt, []int{b, n})
	if err != nil {
		return nil, err
	}
	r := randomSource(c)
	cdf := make([]float64, k)
	for i := 0; i < b; i++ {
		mx := math.Inf(-1)
		for j := 0; j < k; j++ {
			mx = math.Max(mx, x.Float64At(i*k+j))
		}
		acc := 0.0
		for j := 0; j < k; j++ {
			acc += math.Exp(x.Float64At(i*k+j) - mx)
			cdf[j] = acc
		}
		for s := 0; s < n; s++ {
			u := r.Float64() * acc
			j := 0
			for j < k-1 && cdf[j] <= u {
				j++
			}
			out.SetInt64At(i*n+s, int64(j))
		}
	}
	return []*tensor.Tensor{out}, nil
}
