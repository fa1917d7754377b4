package reduce

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "BatchNormalization", Since: 1, Run: kernels.Tensors(batchNorm)},
		kernels.KernelDef{Op: "InstanceNormalization", Since: 1, Run: kernels.Tensors(instanceNorm)},
		kernels.KernelDef{Op: "LayerNormalization", Since: 17, Run: kernels.Tensors(layerNorm)},
		kernels.KernelDef{Op: "GroupNormalization", Since: 18, Run: kernels.Tensors(groupNorm)},
		kernels.KernelDef{Op: "RMSNormalization", Since: 23, Run: kernels.Tensors(rmsNorm)},
		kernels.KernelDef{Op: "LpNormalization", Since: 1, Run: kernels.Tensors(lpNorm)},
		kernels.KernelDef{Op: "LRN", Since: 1, Run: kernels.Tensors(lrn)},
		kernels.KernelDef{Op: "MeanVarianceNormalization", Since: 1, Run: kernels.Tensors(mvn)},
	)
}

// moments returns the mean and population variance of each group of v.
func moments(v []float64, p *kernels.ReducePlan) (mean, variance []float64) {
	mean = make([]float64, p.NumGroups)
	variance = make([]float64, p.NumGroups)
	if p.GroupSize == 0 {
		for g := range mean {
			mean[g], variance[g] = math.NaN(), math.NaN()
		}
		return
	}
	n := float64(p.GroupSize)
	for g := range mean {
		base := p.Base[g]
		s := 0.0
		for _, o := range p.Offsets {
			s += v[base+o]
		}
		m := s / n
		q := 0.0
		for _, o := range p.Offsets {
			d := v[base+o] - m
			q += d * d
		}
		mean[g], variance[g] = m, q/n
	}
	return
}

// nchw checks that x has shape (N, C, ...) and returns N, C and the
// number of elements per channel of one instance.
func nchw(x *tensor.Tensor) (n, c, inner int, err error) {
	if x.Rank() < 2 {
		return 0, 0, 0, fmt.Errorf("input must have shape (N, C, ...), got %v", x.Shape())
	}
	s := x.Shape()
	return s[0], s[1], product(s[2:]), nil
}

func batchNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 5 {
		return nil, fmt.Errorf("BatchNormalization needs 5 inputs, got %d", len(in))
	}
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	_, ch, inner, err := nchw(x)
	if err != nil {
		return nil, err
	}
	// Parameters are per channel, or (before opset 9 with spatial = 0) per
	// element of one instance.
	plen := ch
	if c.Opset < 9 && c.Int("spatial") == 0 {
		plen = ch * inner
	}
	params := make([][]float64, 4)
	for i, name := range []string{"scale", "B", "input_mean", "input_var"} {
		t := in[i+1]
		if err := requireFloat(name, t); err != nil {
			return nil, err
		}
		if t.Len() != plen {
			return nil, fmt.Errorf("input %s must hold %d values, got shape %v", name, plen, t.Shape())
		}
		params[i] = kernels.Float64s(t)
	}
	scale, bias, mean, variance := params[0], params[1], params[2], params[3]
	eps := float64(c.Float("epsilon"))
	var training bool
	switch {
	case c.Opset >= 14:
		training = c.Int("training_mode") != 0
	case c.Opset >= 7:
		training = countOutputs(c) > 1
	default:
		training = countOutputs(c) > 1 && c.Int("is_test") == 0
	}
	// pidx maps element i of X to its parameter index.
	perChannel := plen == ch
	pidx := func(i int) int {
		if perChannel {
			return (i / inner) % ch
		}
		return i % plen
	}
	// The float32 fast path computes the batch statistics and the output
	// in place (norm32.go); the general path through float64 copies is
	// the definition.
	fast := fastPaths && x.DType() == tensor.Float32 && perChannel && x.Len() > 0
	var xv []float64
	if !fast {
		xv = kernels.Float64s(x)
	}
	useMean, useVar := mean, variance
	var bm, bv []float64
	if training && fast {
		bm, bv = channelMoments32(x, x.Dim(0), ch, inner)
		useMean, useVar = bm, bv
	} else if training {
		bm, bv = make([]float64, plen), make([]float64, plen)
		cnt := float64(len(xv) / max(plen, 1))
		for i, v := range xv {
			bm[pidx(i)] += v
		}
		for j := range bm {
			bm[j] /= cnt
		}
		for i, v := range xv {
			d := v - bm[pidx(i)]
			bv[pidx(i)] += d * d
		}
		for j := range bv {
			bv[j] /= cnt
		}
		useMean, useVar = bm, bv
	}
	inv := make([]float64, plen)
	for j := range inv {
		inv[j] = 1 / math.Sqrt(useVar[j]+eps)
	}
	var outs []*tensor.Tensor
	if fast {
		outs = []*tensor.Tensor{bnApply32(x, ch, inner, useMean, inv, scale, bias)}
	} else {
		y := make([]float64, len(xv))
		for i, v := range xv {
			j := pidx(i)
			y[i] = (v-useMean[j])*inv[j]*scale[j] + bias[j]
		}
		outs = []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}
	}
	if numOutputs(c) > 1 {
		mt := in[3].DType()
		pshape := in[3].Shape()
		rm, rv := mean, variance
		if training {
			mom := float64(c.Float("momentum"))
			rm, rv = make([]float64, plen), make([]float64, plen)
			for j := range rm {
				rm[j] = mean[j]*mom + bm[j]*(1-mom)
				rv[j] = variance[j]*mom + bv[j]*(1-mom)
			}
		} else {
			bm, bv = mean, variance
		}
		outs = append(outs,
			kernels.FromFloat64s(mt, pshape, rm), kernels.FromFloat64s(mt, pshape, rv),
			kernels.FromFloat64s(mt, pshape, bm), kernels.FromFloat64s(mt, pshape, bv))
	}
	return outs, nil
}

// countOutputs returns the number of outputs the node uses (up to the last
// present one).
func countOutputs(c *kernels.Ctx) int {
	n := 0
	for i, o := range c.Node.Outputs {
		if o != nil {
			n = i + 1
		}
	}
	return n
}

func instanceNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("input", x); err != nil {
		return nil, err
	}
	_, ch, _, err := nchw(x)
	if err != nil {
		return nil, err
	}
	scale, err := channelParam("scale", input(in, 1), ch)
	if err != nil {
		return nil, err
	}
	bias, err := channelParam("B", input(in, 2), ch)
	if err != nil {
		return nil, err
	}
	p, err := kernels.NewReducePlan(x.Shape(), kernels.AxesFrom(2, x.Rank()))
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	mean, variance := moments(xv, p)
	eps := float64(c.Float("epsilon"))
	y := make([]float64, len(xv))
	for g := 0; g < p.NumGroups && p.GroupSize > 0; g++ {
		k := g % ch
		inv := 1 / math.Sqrt(variance[g]+eps)
		for _, o := range p.Offsets {
			i := p.Base[g] + o
			y[i] = (xv[i]-mean[g])*inv*scale[k] + bias[k]
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}, nil
}

func layerNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	axis, err := kernels.NormAxis(c.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	stash := tensor.DType(c.Int("stash_type"))
	if !stash.IsFloat() {
		return nil, fmt.Errorf("stash_type %d is not a floating-point type", c.Int("stash_type"))
	}
	if fastPaths && x.DType() == tensor.Float32 {
		if outs := layerNorm32(x, input(in, 1), input(in, 2), axis, float64(c.Float("epsilon")), stash); outs != nil {
			return outs, nil
		}
	}
	scale, err := broadcastTo("Scale", input(in, 1), x.Shape())
	if err != nil {
		return nil, err
	}
	var bias []float64
	if b := input(in, 2); b != nil {
		if bias, err = broadcastTo("B", b, x.Shape()); err != nil {
			return nil, err
		}
	}
	p, err := kernels.NewReducePlan(x.Shape(), kernels.AxesFrom(axis, x.Rank()))
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	mean, variance := moments(xv, p)
	eps := float64(c.Float("epsilon"))
	invStd := make([]float64, len(variance))
	for g, v := range variance {
		invStd[g] = 1 / math.Sqrt(v+eps)
	}
	y := make([]float64, len(xv))
	for g := 0; g < p.NumGroups && p.GroupSize > 0; g++ {
		for _, o := range p.Offsets {
			i := p.Base[g] + o
			y[i] = (xv[i] - mean[g]) * invStd[g] * scale[i]
			if bias != nil {
				y[i] += bias[i]
			}
		}
	}
	statShape := p.OutShape(true)
	return []*tensor.Tensor{
		kernels.FromFloat64s(x.DType(), x.Shape(), y),
		kernels.FromFloat64s(stash, statShape, mean),
		kernels.FromFloat64s(stash, statShape, invStd),
	}, nil
}

func groupNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	n, ch, inner, err := nchw(x)
	if err != nil {
		return nil, err
	}
	if !c.Has("num_groups") {
		return nil, fmt.Errorf("attribute num_groups is required")
	}
	groups := int(c.Int("num_groups"))
	if groups <= 0 || ch%groups != 0 {
		return nil, fmt.Errorf("num_groups %d must be positive and divide the %d channels", groups, ch)
	}
	// Opset 18 scales and shifts per group, opset 21 per channel.
	plen := ch
	if c.Opset < 21 {
		plen = groups
	}
	scale, err := channelParam("scale", input(in, 1), plen)
	if err != nil {
		return nil, err
	}
	bias, err := channelParam("bias", input(in, 2), plen)
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	y := make([]float64, len(xv))
	per := ch / groups
	gsize := per * inner
	eps := float64(c.Float("epsilon"))
	for b := 0; b < n; b++ {
		for g := 0; g < groups; g++ {
			start := (b*ch + g*per) * inner
			seg := xv[start : start+gsize]
			s := 0.0
			for _, v := range seg {
				s += v
			}
			m := s / float64(gsize)
			q := 0.0
			for _, v := range seg {
				q += (v - m) * (v - m)
			}
			inv := 1 / math.Sqrt(q/float64(gsize)+eps)
			for k, v := range seg {
				j := g
				if plen == ch {
					j = g*per + k/inner
				}
				y[start+k] = (v-m)*inv*scale[j] + bias[j]
			}
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}, nil
}

func rmsNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, st := input(in, 0), input(in, 1)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	if err := requireFloat("scale", st); err != nil {
		return nil, err
	}
	axis, err := kernels.NormAxis(c.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	scale, err := broadcastTo("scale", st, x.Shape())
	if err != nil {
		return nil, err
	}
	p, err := kernels.NewReducePlan(x.Shape(), kernels.AxesFrom(axis, x.Rank()))
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	eps := float64(c.Float("epsilon"))
	y := make([]float64, len(xv))
	for g := 0; g < p.NumGroups && p.GroupSize > 0; g++ {
		base := p.Base[g]
		q := 0.0
		for _, o := range p.Offsets {
			q += xv[base+o] * xv[base+o]
		}
		inv := 1 / math.Sqrt(q/float64(p.GroupSize)+eps)
		for _, o := range p.Offsets {
			i := base + o
			y[i] = xv[i] * inv * scale[i]
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(st.DType(), x.Shape(), y)}, nil
}

func lpNorm(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("input", x); err != nil {
		return nil, err
	}
	axis, err := kernels.NormAxis(c.Int("axis"), x.Rank())
	if err != nil {
		return nil, err
	}
	pw := c.Int("p")
	if pw != 1 && pw != 2 {
		return nil, fmt.Errorf("p must be 1 or 2, got %d", pw)
	}
	p, err := kernels.NewReducePlan(x.Shape(), []int{axis})
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	y := make([]float64, len(xv))
	for g := 0; g < p.NumGroups && p.GroupSize > 0; g++ {
		base := p.Base[g]
		s := 0.0
		for _, o := range p.Offsets {
			if pw == 1 {
				s += math.Abs(xv[base+o])
			} else {
				s += xv[base+o] * xv[base+o]
			}
		}
		if pw == 2 {
			s = math.Sqrt(s)
		}
		if s == 0 {
			continue // a zero vector stays zero
		}
		for _, o := range p.Offsets {
			y[base+o] = xv[base+o] / s
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}, nil
}

func lrn(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	n, ch, inner, err := nchw(x)
	if err != nil {
		return nil, err
	}
	if !c.Has("size") {
		return nil, fmt.Errorf("attribute size is required")
	}
	size := int(c.Int("size"))
	if size <= 0 {
		return nil, fmt.Errorf("size must be positive, got %d", size)
	}
	alpha, beta, bias := float64(c.Float("alpha")), float64(c.Float("beta")), float64(c.Float("bias"))
	lo, hi := (size-1)/2, size/2 // floor and ceil of (size-1)/2
	xv := kernels.Float64s(x)
	y := make([]float64, len(xv))
	for b := 0; b < n; b++ {
		for k := 0; k < ch; k++ {
			c0, c1 := max(0, k-lo), min(ch-1, k+hi)
			for s := 0; s < inner; s++ {
				sq := 0.0
				for j := c0; j <= c1; j++ {
					v := xv[(b*ch+j)*inner+s]
					sq += v * v
				}
				i := (b*ch+k)*inner + s
				y[i] = xv[i] / math.Pow(bias+alpha/float64(size)*sq, beta)
			}
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}, nil
}

func mvn(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := input(in, 0)
	if err := requireFloat("X", x); err != nil {
		return nil, err
	}
	var axes []int
	normVar := true
	var err error
	if c.Opset < 9 {
		// MVN-1: per instance and channel, or per instance across channels.
		first := 2
		if c.Int("across_channels") != 0 {
			first = 1
		}
		if x.Rank() < first {
			return nil, fmt.Errorf("input must have shape (N, C, ...), got %v", x.Shape())
		}
		axes = kernels.AxesFrom(first, x.Rank())
		normVar = c.Int("normalize_variance") != 0
	} else if axes, err = kernels.NormAxes(c.Ints("axes"), x.Rank()); err != nil {
		return nil, err
	}
	p, err := kernels.NewReducePlan(x.Shape(), axes)
	if err != nil {
		return nil, err
	}
	xv := kernels.Float64s(x)
	mean, variance := moments(xv, p)
	y := make([]float64, len(xv))
	for g := 0; g < p.NumGroups && p.GroupSize > 0; g++ {
		d := 1.0
		if normVar {
			d = math.Sqrt(variance[g]) + 1e-9
		}
		for _, o := range p.Offsets {
			i := p.Base[g] + o
			y[i] = (xv[i] - mean[g]) / d
		}
	}
	return []*tensor.Tensor{kernels.FromFloat64s(x.DType(), x.Shape(), y)}, nil
}
