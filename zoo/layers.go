package zoo

import (
	"math"
	"math/rand/v2"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// This file holds what the models share beyond package nn: torchvision's
// weight initialisations, adaptive average pooling that needs only the
// spatial sizes, max pooling with ceil mode, and a module made of a
// function.

// initer draws initial weights as torchvision does; with a nil source
// (Options.SkipInit) it leaves them zero.
type initer struct {
	r *rand.Rand
}

func newIniter(o Options) initer {
	if o.SkipInit {
		return initer{}
	}
	return initer{nn.NewRand(o.Seed)}
}

// fans returns a weight's fan-in and fan-out as PyTorch computes them:
// dim 1 and dim 0 times the receptive field.
func fans(t *tensor.Tensor) (in, out int) {
	field := 1
	for _, d := range t.Shape()[2:] {
		field *= d
	}
	return t.Dim(1) * field, t.Dim(0) * field
}

// pytorchDefault fills a weight and its bias (nil: none) from
// U(-1/√fan_in, 1/√fan_in), PyTorch's default for Linear and Conv
// (Kaiming-uniform with a = √5, and the same bound for the bias).
func (i initer) pytorchDefault(w, b *tensor.Tensor) {
	in, _ := fans(w)
	bound := 1 / math.Sqrt(float64(in))
	i.uniform(w, bound)
	if b != nil {
		i.uniform(b, bound)
	}
}

func (i initer) uniform(t *tensor.Tensor, bound float64) {
	if i.r == nil {
		return
	}
	d := t.Float32s()
	for k := range d {
		d[k] = float32((2*i.r.Float64() - 1) * bound)
	}
}

// kaimingNormal fills t from N(0, 2/fan), torch.nn.init.kaiming_normal_
// with the ReLU gain, over the fan-out or the fan-in.
func (i initer) kaimingNormal(t *tensor.Tensor, fanOut bool) {
	in, out := fans(t)
	fan := in
	if fanOut {
		fan = out
	}
	i.normal(t, math.Sqrt(2/float64(fan)))
}

// normal fills t from N(0, std²).
func (i initer) normal(t *tensor.Tensor, std float64) {
	if i.r == nil {
		return
	}
	d := t.Float32s()
	for k := range d {
		d[k] = float32(i.r.NormFloat64() * std)
	}
}

// truncNormal fills t from N(0, std²) truncated to [-2, 2] by rejection,
// as torch.nn.init.trunc_normal_ with torchvision's bounds.
func (i initer) truncNormal(t *tensor.Tensor, std float64) {
	if i.r == nil {
		return
	}
	d := t.Float32s()
	for k := range d {
		v := i.r.NormFloat64() * std
		for v < -2 || v > 2 {
			v = i.r.NormFloat64() * std
		}
		d[k] = float32(v)
	}
}

// linear returns a Linear layer with PyTorch's default initialisation.
func (i initer) linear(in, out int) *nn.Linear {
	l := &nn.Linear{Weight: tensor.New(tensor.Float32, out, in), Bias: tensor.New(tensor.Float32, out)}
	i.pytorchDefault(l.Weight, l.Bias)
	return l
}

// conv returns a k×k convolution with PyTorch's default initialisation.
func (i initer) conv(in, out, k, stride, pad int, bias bool) *nn.Conv {
	c := conv2d(in, out, k, stride, pad, bias)
	i.pytorchDefault(c.Weight, c.Bias)
	return c
}

// noTensors is embedded by modules without parameters or buffers.
type noTensors struct{}

func (noTensors) Params() []nn.Tensor  { return nil }
func (noTensors) Buffers() []nn.Tensor { return nil }
func (noTensors) SetTraining(bool)     {}

// AdaptiveAvgPool2d averages [N, C, H, W] to [N, C, OutH, OutW] with
// PyTorch's windows (cell i covers rows ⌊i·H/OutH⌋ to ⌈(i+1)·H/OutH⌉).
// Unlike nn.AdaptiveAvgPool2d it needs only H and W to be known, so the
// batch may stay symbolic. It emits nothing when the sizes already match
// (torchvision's models at 224×224), GlobalAveragePool for 1×1, an
// AveragePool when the sizes divide, and otherwise two MatMuls with
// constant averaging matrices.
type AdaptiveAvgPool2d struct {
	noTensors
	OutH, OutW int
}

// Forward emits the pooling.
func (a *AdaptiveAvgPool2d) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	if a.OutH == 1 && a.OutW == 1 {
		return g.Op("GlobalAveragePool", []*ir.Value{x})
	}
	if g.Rank(x, "AdaptiveAvgPool2d") != 4 || g.Err() != nil {
		return g.Errorf("AdaptiveAvgPool2d: input %s should have rank 4", x.Type)
	}
	hd, wd := x.Type.Shape[2], x.Type.Shape[3]
	if !hd.IsKnown() || !wd.IsKnown() {
		return g.Errorf("AdaptiveAvgPool2d: input %s needs known spatial sizes", x.Type)
	}
	h, w := int(hd.Size), int(wd.Size)
	switch {
	case h == a.OutH && w == a.OutW:
		return x
	case h%a.OutH == 0 && w%a.OutW == 0:
		kh, kw := int64(h/a.OutH), int64(w/a.OutW)
		return g.Op("AveragePool", []*ir.Value{x}, ir.AInts("kernel_shape", kh, kw), ir.AInts("strides", kh, kw))
	}
	// y = A_h · x · A_wᵀ with A[i, j] = 1/len(window i) for j in window i.
	y := x
	if w != a.OutW {
		y = g.Op("MatMul", []*ir.Value{y, g.Const(averaging(w, a.OutW, true))})
	}
	if h != a.OutH {
		y = g.Op("MatMul", []*ir.Value{g.Const(averaging(h, a.OutH, false)), y})
	}
	return y
}

// averaging returns the [out, in] matrix (its transpose [in, out] when
// transposed) whose row i averages adaptive window i of in cells.
func averaging(in, out int, transposed bool) *tensor.Tensor {
	var t *tensor.Tensor
	if transposed {
		t = tensor.New(tensor.Float32, in, out)
	} else {
		t = tensor.New(tensor.Float32, out, in)
	}
	d := t.Float32s()
	for i := 0; i < out; i++ {
		lo := i * in / out
		hi := ((i+1)*in + out - 1) / out
		for j := lo; j < hi; j++ {
			v := float32(1 / float64(hi-lo))
			if transposed {
				d[j*out+i] = v
			} else {
				d[i*in+j] = v
			}
		}
	}
	return t
}

// MaxPool2d is max pooling with PyTorch's ceil_mode, which nn.Pool lacks.
type MaxPool2d struct {
	noTensors
	Kernel, Stride, Padding int
	CeilMode                bool
}

// Forward emits MaxPool.
func (p *MaxPool2d) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	k, s, q := int64(p.Kernel), int64(p.Stride), int64(p.Padding)
	ceil := int64(0)
	if p.CeilMode {
		ceil = 1
	}
	return g.Op("MaxPool", []*ir.Value{x}, ir.AInts("kernel_shape", k, k), ir.AInts("strides", s, s),
		ir.AInts("pads", q, q, q, q), ir.AInt("ceil_mode", ceil))
}

// fn is a stateless module made of a function.
type fn struct {
	noTensors
	f func(g *nn.Graph, x *ir.Value) *ir.Value
}

func (m fn) Forward(g *nn.Graph, x *ir.Value) *ir.Value { return m.f(g, x) }

// flatten is torch.flatten(x, 1).
var flatten nn.Module = nn.Flatten()

// relu applies Relu to x.
func relu(g *nn.Graph, x *ir.Value) *ir.Value { return g.Op("Relu", []*ir.Value{x}) }

// conv2d returns a k×k convolution whose weight (and bias, when asked
// for) are zeros, for a model that initialises them its own way.
func conv2d(in, out, k, stride, pad int, bias bool) *nn.Conv {
	c := &nn.Conv{Weight: tensor.New(tensor.Float32, out, in, k, k),
		Kernel: []int64{int64(k), int64(k)}, Stride: []int64{int64(stride), int64(stride)},
		Padding: []int64{int64(pad), int64(pad)}, Dilation: []int64{1, 1}, Groups: 1}
	if bias {
		c.Bias = tensor.New(tensor.Float32, out)
	}
	return c
}

// Chain applies its children in order, like a torch.nn.Sequential built
// from an OrderedDict: children carry names ("conv0", "denseblock1")
// instead of indices.
type Chain struct {
	nn.Container
}

// Forward applies each child in turn.
func (c *Chain) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	for _, m := range c.Children() {
		x = m.Forward(g, x)
	}
	return x
}
