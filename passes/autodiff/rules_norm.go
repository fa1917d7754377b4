package autodiff

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/ir"
)

// Gradient rules of the normalizations and of Dropout.

// standardized holds x standardized over some axes: the mean, the
// inverse standard deviation 1/√(var+eps) and x̂ = (x-mean)·istd, the
// statistics with the reduced dims kept.
type standardized struct {
	axes            []int64
	mean, istd, hat *ir.Value
	count           *ir.Value // number of elements reduced, as a scalar
}

func (b *Builder) standardize(x *ir.Value, axes []int64, eps float64) standardized {
	m := b.reduce("ReduceMean", x, axes, true)
	c := b.sub(x, m)
	v := b.reduce("ReduceMean", b.square(c), axes, true)
	istd := b.recip(b.sqrt(b.add(v, b.Scalar(eps, v))))
	return standardized{axes: axes, mean: m, istd: istd, hat: b.mul(c, istd), count: b.ratio(x, m, x)}
}

// back returns the gradient of x from the gradient g of x̂:
// istd·(g - mean(g) - x̂·mean(g·x̂)).
func (b *Builder) back(s standardized, g *ir.Value) *ir.Value {
	mg := b.reduce("ReduceMean", g, s.axes, true)
	mgx := b.reduce("ReduceMean", b.mul(g, s.hat), s.axes, true)
	return b.mul(s.istd, b.sub(b.sub(g, mg), b.mul(s.hat, mgx)))
}

// channelShape reshapes a per-channel vector to [1, C, 1, ...] for an
// input of rank r.
func (b *Builder) channelShape(p *ir.Value, r int) *ir.Value {
	return b.Op("Reshape", []*ir.Value{p, b.Ints(onesWith(r, 1)...)})
}

func batchNormRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, bias, mean, vr := n.Inputs[0], n.Inputs[1], n.Inputs[2], n.Inputs[3], n.Inputs[4]
	r := x.Type.Rank()
	if r < 2 {
		return nil, fmt.Errorf("BatchNormalization gradient needs an input of known rank 2 or more, have %s", x.Type)
	}
	if n.Opset < 9 && n.Int("spatial") == 0 {
		return nil, fmt.Errorf("BatchNormalization gradient with spatial 0 is not implemented")
	}
	present := 0
	for i, o := range n.Outputs {
		if o != nil {
			present = i + 1
		}
	}
	var training bool
	switch {
	case n.Opset >= 14:
		training = n.Int("training_mode") != 0
	case n.Opset >= 7:
		training = present > 1
	default:
		training = present > 1 && n.Int("is_test") == 0
	}
	for i := 3; i < len(dy); i++ {
		if dy[i] != nil {
			return nil, fmt.Errorf("BatchNormalization gradient through the saved statistics is not implemented")
		}
	}
	d := dy[0]
	if d == nil {
		d = b.zerosLike(n.Outputs[0])
	}
	eps := float64(n.Float("epsilon"))
	axes := append([]int64{0}, rangeAxes(2, r)...)
	cs := func(p *ir.Value) *ir.Value { return b.channelShape(p, r) }
	sum := func(v *ir.Value) *ir.Value { return b.reduce("ReduceSum", v, axes, false) }
	out := make([]*ir.Value, 5)
	var dRM, dRV *ir.Value
	if len(dy) > 1 {
		dRM = dy[1]
	}
	if len(dy) > 2 {
		dRV = dy[2]
	}
	if !training {
		// y = scale·(x-mean)·istd + B, istd = 1/√(var+eps); the running
		// statistics outputs, if any, are the inputs passed through.
		istd := b.recip(b.sqrt(b.add(vr, b.Scalar(eps, vr))))
		c := b.sub(x, cs(mean))
		if wants(x) {
			out[0] = b.mul(d, cs(b.mul(scale, istd)))
		}
		if wants(scale) {
			out[1] = b.mul(sum(b.mul(d, c)), istd)
		}
		if wants(bias) {
			out[2] = sum(d)
		}
		if wants(mean) {
			g := b.neg(b.mul(sum(d), b.mul(scale, istd)))
			if dRM != nil {
				g = b.add(g, dRM)
			}
			out[3] = g
		}
		if wants(vr) {
			istd3 := b.mul(istd, b.square(istd))
			g := b.mul(b.scale(sum(b.mul(d, c)), -0.5), b.mul(scale, istd3))
			if dRV != nil {
				g = b.add(g, dRV)
			}
			out[4] = g
		}
		return out, nil
	}
	s := b.standardize(x, axes, eps)
	mom := float64(n.Float("momentum"))
	if wants(x) {
		g := b.back(s, b.mul(d, cs(scale)))
		// running_mean = mean·momentum + batch mean·(1-momentum), and
		// likewise the variance.
		if dRM != nil {
			g = b.add(g, b.div(b.scale(cs(dRM), 1-mom), s.count))
		}
		if dRV != nil {
			c := b.sub(x, s.mean)
			g = b.add(g, b.div(b.mul(b.scale(cs(dRV), 2*(1-mom)), c), s.count))
		}
		out[0] = g
	}
	if wants(scale) {
		out[1] = sum(b.mul(d, s.hat))
	}
	if wants(bias) {
		out[2] = sum(d)
	}
	if wants(mean) && dRM != nil {
		out[3] = b.scale(dRM, mom)
	}
	if wants(vr) && dRV != nil {
		out[4] = b.scale(dRV, mom)
	}
	return out, nil
}

func layerNormRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias := n.Input(2)
	r := x.Type.Rank()
	if r < 0 {
		return nil, fmt.Errorf("LayerNormalization gradient needs the input rank")
	}
	ax, err := ir.NormAxis(n.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	s := b.standardize(x, rangeAxes(ax, r), float64(n.Float("epsilon")))
	d := dy[0]
	if d == nil {
		d = b.zerosLike(y)
	}
	out := make([]*ir.Value, len(n.Inputs))
	if wants(x) {
		g := b.back(s, b.mul(d, scale))
		if len(dy) > 1 && dy[1] != nil {
			// ∂mean/∂x = 1/count
			g = b.add(g, b.div(b.castTo(dy[1], x), s.count))
		}
		if len(dy) > 2 && dy[2] != nil {
			// ∂istd/∂x = -istd²·x̂/count
			t := b.mul(b.castTo(dy[2], x), b.square(s.istd))
			g = b.sub(g, b.div(b.mul(t, s.hat), s.count))
		}
		out[0] = g
	}
	if wants(scale) {
		g, err := b.Unbroadcast(b.mul(d, s.hat), scale, y)
		if err != nil {
			return nil, err
		}
		out[1] = g
	}
	if wants(bias) {
		g, err := b.Unbroadcast(d, bias, y)
		if err != nil {
			return nil, err
		}
		out[2] = g
	}
	return out, nil
}

func instanceNormRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, bias := n.Inputs[0], n.Inputs[1], n.Inputs[2]
	r := x.Type.Rank()
	if r < 3 {
		return nil, fmt.Errorf("InstanceNormalization gradient needs an input of known rank 3 or more, have %s", x.Type)
	}
	s := b.standardize(x, rangeAxes(2, r), float64(n.Float("epsilon")))
	axes := append([]int64{0}, rangeAxes(2, r)...)
	out := make([]*ir.Value, 3)
	if wants(x) {
		out[0] = b.back(s, b.mul(dy[0], b.channelShape(scale, r)))
	}
	if wants(scale) {
		out[1] = b.reduce("ReduceSum", b.mul(dy[0], s.hat), axes, false)
	}
	if wants(bias) {
		out[2] = b.reduce("ReduceSum", dy[0], axes, false)
	}
	return out, nil
}

// groupNormRule works on x reshaped to [N, G, rest], standardized over the
// last axis. Scale and bias are per channel from opset 21, per group
// before.
func groupNormRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, bias := n.Inputs[0], n.Inputs[1], n.Inputs[2]
	r := x.Type.Rank()
	if r < 2 {
		return nil, fmt.Errorf("GroupNormalization gradient needs an input of known rank 2 or more, have %s", x.Type)
	}
	groups := n.Int("num_groups")
	grouped := b.Ints(0, groups, -1)
	xg := b.Op("Reshape", []*ir.Value{x, grouped})
	s := b.standardize(xg, []int64{2}, float64(n.Float("epsilon")))
	dg := b.Op("Reshape", []*ir.Value{dy[0], grouped})
	perChannel := n.Opset >= 21
	out := make([]*ir.Value, 3)
	if wants(x) {
		var g *ir.Value
		if perChannel {
			g = b.Op("Reshape", []*ir.Value{b.mul(dy[0], b.channelShape(scale, r)), grouped})
		} else {
			g = b.mul(dg, b.Op("Reshape", []*ir.Value{scale, b.Ints(1, -1, 1)}))
		}
		out[0] = b.reshapeLike(b.back(s, g), x)
	}
	if perChannel {
		axes := append([]int64{0}, rangeAxes(2, r)...)
		if wants(scale) {
			hat := b.reshapeLike(s.hat, x)
			out[1] = b.reduce("ReduceSum", b.mul(dy[0], hat), axes, false)
		}
		if wants(bias) {
			out[2] = b.reduce("ReduceSum", dy[0], axes, false)
		}
	} else {
		if wants(scale) {
			out[1] = b.reduce("ReduceSum", b.mul(dg, s.hat), []int64{0, 2}, false)
		}
		if wants(bias) {
			out[2] = b.reduce("ReduceSum", dg, []int64{0, 2}, false)
		}
	}
	return out, nil
}

// rmsNormRule: y = x·inv·scale, inv = 1/√(mean(x²)+eps) over the axes from
// axis; dx = inv·(g - x·inv²·mean(g·x)) with g = dy·scale.
func rmsNormRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, scale, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	r := x.Type.Rank()
	if r < 0 {
		return nil, fmt.Errorf("RMSNormalization gradient needs the input rank")
	}
	ax, err := ir.NormAxis(n.Int("axis"), r)
	if err != nil {
		return nil, err
	}
	axes := rangeAxes(ax, r)
	ms := b.reduce("ReduceMean", b.square(x), axes, true)
	inv := b.recip(b.sqrt(b.add(ms, b.Scalar(float64(n.Float("epsilon")), ms))))
	d := b.castTo(dy[0], x)
	sc := b.castTo(scale, x)
	out := make([]*ir.Value, 2)
	if wants(x) {
		g := b.mul(d, sc)
		mgx := b.reduce("ReduceMean", b.mul(g, x), axes, true)
		out[0] = b.mul(inv, b.sub(g, b.mul(b.mul(x, b.square(inv)), mgx)))
	}
	if wants(scale) {
		g, err := b.Unbroadcast(b.mul(d, b.mul(x, inv)), scale, y)
		if err != nil {
			return nil, err
		}
		out[1] = b.castTo(g, scale)
	}
	return out, nil
}

// mvnRule: y = (x-mean)/(σ+1e-9) over the axes (the spec's epsilon on the
// standard deviation σ), or x-mean without variance normalization.
func mvnRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	r := x.Type.Rank()
	if r < 0 {
		return nil, fmt.Errorf("MeanVarianceNormalization gradient needs the input rank")
	}
	var axes []int64
	normVar := true
	if n.Opset < 9 {
		first := 2
		if n.Int("across_channels") != 0 {
			first = 1
		}
		axes = rangeAxes(first, r)
		normVar = n.Int("normalize_variance") != 0
	} else {
		raw := n.Ints("axes")
		if raw == nil {
			raw = []int64{0, 2, 3}
		}
		var err error
		if axes, err = normAxes(raw, r); err != nil {
			return nil, err
		}
	}
	g := dy[0]
	mg := b.reduce("ReduceMean", g, axes, true)
	if !normVar {
		return []*ir.Value{b.sub(g, mg)}, nil
	}
	c := b.sub(x, b.reduce("ReduceMean", x, axes, true))
	sd := b.sqrt(b.reduce("ReduceMean", b.square(c), axes, true))
	den := b.add(sd, b.Scalar(1e-9, sd))
	// dx = (g - mean(g))/den - c·mean(g·c)/(den²·σ)
	mgc := b.reduce("ReduceMean", b.mul(g, c), axes, true)
	t := b.div(b.mul(c, mgc), b.mul(b.square(den), sd))
	return []*ir.Value{b.sub(b.div(b.sub(g, mg), den), t)}, nil
}

// lrnRule: y_i = x_i·D_i^-β with D_i = bias + α/size·Σ_{j∈W(i)} x_j² over a
// window of channels W(i) = [i-⌊(size-1)/2⌋, i+⌈(size-1)/2⌉]. Then
// dx_k = dy_k·D_k^-β - 2αβ/size·x_k·Σ_{i: k∈W(i)} dy_i·x_i·D_i^(-β-1).
func lrnRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	r := x.Type.Rank()
	if r < 3 {
		return nil, fmt.Errorf("LRN gradient needs an input of known rank 3 or more, have %s", x.Type)
	}
	if b.opset < 11 {
		return nil, fmt.Errorf("LRN gradient needs opset 11 or later")
	}
	size := n.Int("size")
	alpha, beta, bias := float64(n.Float("alpha")), float64(n.Float("beta")), float64(n.Float("bias"))
	lo, hi := (size-1)/2, size/2
	// windowSum sums v over the channels [i-before, i+after].
	windowSum := func(v *ir.Value, before, after int64) *ir.Value {
		pads := make([]int64, 2*r)
		pads[1], pads[r+1] = before, after
		p := b.Op("Pad", []*ir.Value{v, b.Ints(pads...)})
		var sum *ir.Value
		for k := int64(0); k < size; k++ {
			end := int64(math.MaxInt64)
			if k < size-1 {
				end = k - (size - 1)
			}
			sl := b.Op("Slice", []*ir.Value{p, b.Ints(k), b.Ints(end), b.Ints(1)})
			if sum == nil {
				sum = sl
			} else {
				sum = b.add(sum, sl)
			}
		}
		return sum
	}
	den := b.add(b.Scalar(bias, x), b.scale(windowSum(b.square(x), lo, hi), alpha/float64(size)))
	first := b.mul(dy[0], b.Op("Pow", []*ir.Value{den, b.Scalar(-beta, x)}))
	u := b.mul(b.mul(dy[0], x), b.Op("Pow", []*ir.Value{den, b.Scalar(-beta-1, x)}))
	second := b.mul(b.scale(x, -2*alpha*beta/float64(size)), windowSum(u, hi, lo))
	return []*ir.Value{b.add(first, second)}, nil
}

// dropoutRule: in inference Dropout is the identity; in training the
// gradient is masked and scaled like the data.
func dropoutRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	out := make([]*ir.Value, len(n.Inputs))
	if !wants(x) || dy[0] == nil {
		return out, nil
	}
	training := false
	if n.Opset >= 12 {
		if tm := n.Input(2); tm != nil {
			t := constOf(tm)
			training = t == nil || t.Float64At(0) != 0
		}
	}
	if !training {
		out[0] = dy[0]
		return out, nil
	}
	if len(n.Outputs) < 2 || n.Outputs[1] == nil {
		return nil, fmt.Errorf("Dropout gradient in training mode needs the mask output")
	}
	g := b.mul(dy[0], b.mask(n.Outputs[1], x))
	ratio := n.Input(1)
	var keep *ir.Value
	if ratio == nil {
		keep = b.Scalar(0.5, x)
	} else {
		keep = b.sub(b.Scalar(1, x), b.castTo(ratio, x))
	}
	// A mode known only at run time: the mask is all ones in inference,
	// where the data is not scaled.
	if t := constOf(n.Input(2)); t == nil {
		keep = b.Op("Where", []*ir.Value{n.Input(2), keep, b.Scalar(1, x)})
	}
	out[0] = b.div(g, keep)
	return out, nil
}

func init() {
	register(map[string]Rule{
		":BatchNormalization":        batchNormRule,
		":LayerNormalization":        layerNormRule,
		":InstanceNormalization":     instanceNormRule,
		":GroupNormalization":        groupNormRule,
		":RMSNormalization":          rmsNormRule,
		":MeanVarianceNormalization": mvnRule,
		":LRN":                       lrnRule,
		":Dropout":                   dropoutRule,
	})
}
