package nn

import (
	"math"
	"math/rand/v2"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// NewRand returns the seeded random source that layer constructors draw
// their initial weights from.
func NewRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6e6e2d696e6974)) }

// uniform returns a float32 tensor of the given shape filled from
// U(-bound, bound).
func uniform(r *rand.Rand, bound float64, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	d := tensor.Data[float32](t)
	for i := range d {
		d[i] = float32((2*r.Float64() - 1) * bound)
	}
	return t
}

func filled(v float32, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	d := tensor.Data[float32](t)
	for i := range d {
		d[i] = v
	}
	return t
}

// kaimingBound is the bound of PyTorch's default weight initialisation,
// Kaiming-uniform with a = √5: gain·√(3/fan_in) with gain = √(2/(1+a²)),
// which is 1/√fan_in; biases use the same bound.
func kaimingBound(fanIn int) float64 {
	if fanIn <= 0 {
		return 0
	}
	a := math.Sqrt(5)
	gain := math.Sqrt(2 / (1 + a*a))
	return gain * math.Sqrt(3/float64(fanIn))
}

// Linear is y = x·Wᵀ + b with W of shape [out, in].
type Linear struct {
	Weight, Bias *tensor.Tensor // Bias is nil without bias
}

// NewLinear returns a Linear layer initialised as PyTorch does.
func NewLinear(r *rand.Rand, in, out int) *Linear {
	b := kaimingBound(in)
	return &Linear{Weight: uniform(r, b, out, in), Bias: uniform(r, b, out)}
}

// Params returns weight and bias.
func (l *Linear) Params() []Tensor {
	ps := []Tensor{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Tensor{"bias", l.Bias})
	}
	return ps
}

// Buffers returns nothing.
func (l *Linear) Buffers() []Tensor { return nil }

// SetTraining does nothing.
func (l *Linear) SetTraining(bool) {}

// Forward emits Gemm for a matrix input and MatMul + Add otherwise.
func (l *Linear) Forward(g *Graph, x *ir.Value) *ir.Value {
	in := l.Weight.Dim(1)
	r := g.Rank(x, "Linear")
	if r < 1 || g.Err() != nil {
		return g.Errorf("Linear %s: input %s has no feature axis", g.NameOf(l.Weight), x.Type)
	}
	if d := x.Type.Shape[r-1]; d.IsKnown() && d.Size != int64(in) {
		return g.Errorf("Linear %s: input %s has %d features, the weight %v expects %d",
			g.NameOf(l.Weight), x.Type, d.Size, l.Weight.Shape(), in)
	}
	w := g.Param(l.Weight)
	if r == 2 {
		ins := []*ir.Value{x, w}
		if l.Bias != nil {
			ins = append(ins, g.Param(l.Bias))
		}
		return g.Op("Gemm", ins, ir.AInt("transB", 1))
	}
	y := g.Op("MatMul", []*ir.Value{x, g.Op("Transpose", []*ir.Value{w}, ir.AInts("perm", 1, 0))})
	if l.Bias != nil {
		y = g.Op("Add", []*ir.Value{y, g.Param(l.Bias)})
	}
	return y
}

// ConvOpts are a convolution's options; zero values mean PyTorch's
// defaults (stride 1, padding 0, dilation 1, one group, with bias).
type ConvOpts struct {
	Stride, Padding, Dilation, Groups int
	// OutputPadding is ConvTranspose's extra size on one side.
	OutputPadding int
	NoBias        bool
}

func (o ConvOpts) norm() ConvOpts {
	if o.Stride == 0 {
		o.Stride = 1
	}
	if o.Dilation == 0 {
		o.Dilation = 1
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// Conv is an N-d convolution (Conv1d, Conv2d, Conv3d) with weight
// [out, in/groups, k...], or a transposed one (ConvTranspose2d) with
// weight [in, out/groups, k...].
type Conv struct {
	Weight, Bias                      *tensor.Tensor
	Kernel, Stride, Padding, Dilation []int64
	OutputPadding                     []int64
	Groups                            int
	Transposed                        bool
}

func repeat(v, n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = int64(v)
	}
	return s
}

func newConv(r *rand.Rand, dims, in, out, k int, o ConvOpts, transposed bool) *Conv {
	o = o.norm()
	c := &Conv{Kernel: repeat(k, dims), Stride: repeat(o.Stride, dims), Padding: repeat(o.Padding, dims),
		Dilation: repeat(o.Dilation, dims), Groups: o.Groups, Transposed: transposed}
	taps := 1
	for i := 0; i < dims; i++ {
		taps *= k
	}
	var shape []int
	var fanIn int
	if transposed {
		c.OutputPadding = repeat(o.OutputPadding, dims)
		shape = append([]int{in, out / o.Groups}, make([]int, dims)...)
		fanIn = out / o.Groups * taps
	} else {
		shape = append([]int{out, in / o.Groups}, make([]int, dims)...)
		fanIn = in / o.Groups * taps
	}
	for i := 0; i < dims; i++ {
		shape[2+i] = k
	}
	b := kaimingBound(fanIn)
	c.Weight = uniform(r, b, shape...)
	if !o.NoBias {
		c.Bias = uniform(r, b, out)
	}
	return c
}

// NewConv1d returns a 1-D convolution over [N, C, L].
func NewConv1d(r *rand.Rand, in, out, kernel int, o ConvOpts) *Conv {
	return newConv(r, 1, in, out, kernel, o, false)
}

// NewConv2d returns a 2-D convolution over [N, C, H, W].
func NewConv2d(r *rand.Rand, in, out, kernel int, o ConvOpts) *Conv {
	return newConv(r, 2, in, out, kernel, o, false)
}

// NewConv3d returns a 3-D convolution over [N, C, D, H, W].
func NewConv3d(r *rand.Rand, in, out, kernel int, o ConvOpts) *Conv {
	return newConv(r, 3, in, out, kernel, o, false)
}

// NewConvTranspose2d returns a 2-D transposed convolution.
func NewConvTranspose2d(r *rand.Rand, in, out, kernel int, o ConvOpts) *Conv {
	return newConv(r, 2, in, out, kernel, o, true)
}

// Params returns weight and bias.
func (c *Conv) Params() []Tensor {
	ps := []Tensor{{"weight", c.Weight}}
	if c.Bias != nil {
		ps = append(ps, Tensor{"bias", c.Bias})
	}
	return ps
}

// Buffers returns nothing.
func (c *Conv) Buffers() []Tensor { return nil }

// SetTraining does nothing.
func (c *Conv) SetTraining(bool) {}

// Forward emits Conv or ConvTranspose.
func (c *Conv) Forward(g *Graph, x *ir.Value) *ir.Value {
	dims := len(c.Kernel)
	r := g.Rank(x, "Conv")
	if g.Err() != nil {
		return g.placeholder()
	}
	if r != dims+2 {
		return g.Errorf("Conv %s: input %s should have rank %d", g.NameOf(c.Weight), x.Type, dims+2)
	}
	inCh := c.Weight.Dim(1) * c.Groups
	if c.Transposed {
		inCh = c.Weight.Dim(0)
	}
	if d := x.Type.Shape[1]; d.IsKnown() && d.Size != int64(inCh) {
		return g.Errorf("Conv %s: input %s has %d channels, the weight %v expects %d",
			g.NameOf(c.Weight), x.Type, d.Size, c.Weight.Shape(), inCh)
	}
	ins := []*ir.Value{x, g.Param(c.Weight)}
	if c.Bias != nil {
		ins = append(ins, g.Param(c.Bias))
	}
	attrs := []ir.Attr{
		ir.AInts("kernel_shape", c.Kernel...), ir.AInts("strides", c.Stride...),
		ir.AInts("pads", append(append([]int64{}, c.Padding...), c.Padding...)...),
		ir.AInts("dilations", c.Dilation...), ir.AInt("group", int64(c.Groups)),
	}
	if c.Transposed {
		attrs = append(attrs, ir.AInts("output_padding", c.OutputPadding...))
		return g.Op("ConvTranspose", ins, attrs...)
	}
	return g.Op("Conv", ins, attrs...)
}

// Pool is max or average pooling over the trailing Dims axes; Stride
// defaults to the kernel size as in PyTorch.
type Pool struct {
	stateless
	Max                     bool
	Kernel, Stride, Padding []int64
	// CountIncludePad counts padding in averages (PyTorch's default).
	CountIncludePad bool
}

func newPool(max bool, dims, kernel, stride, padding int) *Pool {
	if stride == 0 {
		stride = kernel
	}
	return &Pool{Max: max, Kernel: repeat(kernel, dims), Stride: repeat(stride, dims), Padding: repeat(padding, dims), CountIncludePad: true}
}

// NewMaxPool1d returns 1-D max pooling; stride 0 means the kernel size.
func NewMaxPool1d(kernel, stride, padding int) *Pool {
	return newPool(true, 1, kernel, stride, padding)
}

// NewMaxPool2d returns 2-D max pooling; stride 0 means the kernel size.
func NewMaxPool2d(kernel, stride, padding int) *Pool {
	return newPool(true, 2, kernel, stride, padding)
}

// NewAvgPool2d returns 2-D average pooling; stride 0 means the kernel size.
func NewAvgPool2d(kernel, stride, padding int) *Pool {
	return newPool(false, 2, kernel, stride, padding)
}

// Forward emits MaxPool or AveragePool.
func (p *Pool) Forward(g *Graph, x *ir.Value) *ir.Value {
	if r := g.Rank(x, "pooling"); r >= 0 && r != len(p.Kernel)+2 {
		return g.Errorf("pooling: input %s should have rank %d", x.Type, len(p.Kernel)+2)
	}
	attrs := []ir.Attr{ir.AInts("kernel_shape", p.Kernel...), ir.AInts("strides", p.Stride...),
		ir.AInts("pads", append(append([]int64{}, p.Padding...), p.Padding...)...)}
	if p.Max {
		return g.Op("MaxPool", []*ir.Value{x}, attrs...)
	}
	cip := int64(0)
	if p.CountIncludePad {
		cip = 1
	}
	return g.Op("AveragePool", []*ir.Value{x}, append(attrs, ir.AInt("count_include_pad", cip))...)
}

// AdaptiveAvgPool2d averages [N, C, H, W] down to [N, C, OutH, OutW] with
// PyTorch's windows: cell i covers floor(i·H/OutH) to ceil((i+1)·H/OutH).
type AdaptiveAvgPool2d struct {
	stateless
	OutH, OutW int
}

// NewAdaptiveAvgPool2d returns adaptive average pooling to h×w.
func NewAdaptiveAvgPool2d(h, w int) *AdaptiveAvgPool2d { return &AdaptiveAvgPool2d{OutH: h, OutW: w} }

// Forward emits GlobalAveragePool for 1×1, an AveragePool when the sizes
// divide, and otherwise one mean per output cell.
func (a *AdaptiveAvgPool2d) Forward(g *Graph, x *ir.Value) *ir.Value {
	if a.OutH == 1 && a.OutW == 1 {
		return g.Op("GlobalAveragePool", []*ir.Value{x})
	}
	s := g.Shape(x, "AdaptiveAvgPool2d")
	if g.Err() != nil {
		return g.placeholder()
	}
	if len(s) != 4 {
		return g.Errorf("AdaptiveAvgPool2d: input %s should have rank 4", x.Type)
	}
	h, w := s[2], s[3]
	if h%a.OutH == 0 && w%a.OutW == 0 {
		kh, kw := int64(h/a.OutH), int64(w/a.OutW)
		return g.Op("AveragePool", []*ir.Value{x}, ir.AInts("kernel_shape", kh, kw), ir.AInts("strides", kh, kw))
	}
	rows := make([]*ir.Value, a.OutH)
	for i := range rows {
		h0, h1 := i*h/a.OutH, (i+1)*h/a.OutH+boolInt((i+1)*h%a.OutH != 0)
		cells := make([]*ir.Value, a.OutW)
		for j := range cells {
			w0, w1 := j*w/a.OutW, (j+1)*w/a.OutW+boolInt((j+1)*w%a.OutW != 0)
			win := g.Op("Slice", []*ir.Value{x, g.Ints(int64(h0), int64(w0)), g.Ints(int64(h1), int64(w1)), g.Ints(2, 3)})
			cells[j] = g.Reduce("ReduceMean", win, true, 2, 3)
		}
		rows[i] = Concat(g, 3, cells...)
	}
	return Concat(g, 2, rows...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BatchNorm normalizes over the batch (and spatial) axes per channel:
// BatchNorm1d for [N, C] or [N, C, L], BatchNorm2d for [N, C, H, W]. In
// training mode it uses the batch statistics and emits updated running
// statistics (momentum 0.1, unbiased variance, as PyTorch); in eval mode it
// uses the running statistics.
type BatchNorm struct {
	Weight, Bias                        *tensor.Tensor
	RunningMean, RunningVar, NumBatches *tensor.Tensor
	Eps, Momentum                       float64
	training                            bool
}

// NewBatchNorm returns a BatchNorm over c channels (BatchNorm1d and
// BatchNorm2d are the same layer here; the input's rank decides).
func NewBatchNorm(c int) *BatchNorm {
	return &BatchNorm{Weight: filled(1, c), Bias: filled(0, c), RunningMean: filled(0, c), RunningVar: filled(1, c),
		NumBatches: tensor.Scalar(int64(0)), Eps: 1e-5, Momentum: 0.1}
}

// NewBatchNorm1d returns a BatchNorm for [N, C] or [N, C, L] inputs.
func NewBatchNorm1d(c int) *BatchNorm { return NewBatchNorm(c) }

// NewBatchNorm2d returns a BatchNorm for [N, C, H, W] inputs.
func NewBatchNorm2d(c int) *BatchNorm { return NewBatchNorm(c) }

// Params returns weight and bias.
func (b *BatchNorm) Params() []Tensor { return []Tensor{{"weight", b.Weight}, {"bias", b.Bias}} }

// Buffers returns the running statistics and the batch counter.
func (b *BatchNorm) Buffers() []Tensor {
	return []Tensor{{"running_mean", b.RunningMean}, {"running_var", b.RunningVar}, {"num_batches_tracked", b.NumBatches}}
}

// SetTraining switches between batch and running statistics.
func (b *BatchNorm) SetTraining(on bool) { b.training = on }

// Forward emits BatchNormalization, and in training mode the updates of
// the running statistics.
func (b *BatchNorm) Forward(g *Graph, x *ir.Value) *ir.Value {
	c := b.Weight.Len()
	r := g.Rank(x, "BatchNorm")
	if g.Err() != nil {
		return g.placeholder()
	}
	if r < 2 || x.Type.Shape[1].IsKnown() && x.Type.Shape[1].Size != int64(c) {
		return g.Errorf("BatchNorm %s: input %s should be [N, %d, ...]", g.NameOf(b.Weight), x.Type, c)
	}
	ins := []*ir.Value{x, g.Param(b.Weight), g.Param(b.Bias), g.Param(b.RunningMean), g.Param(b.RunningVar)}
	eps := ir.AFloat("epsilon", float32(b.Eps))
	if !b.training {
		return g.Op("BatchNormalization", ins, eps)
	}
	// With ONNX momentum 0 the running-statistics outputs are the batch
	// mean and the biased batch variance; the PyTorch update follows.
	outs := g.OpN("BatchNormalization", ins, 3, eps, ir.AFloat("momentum", 0), ir.AInt("training_mode", 1))
	m := float32(b.Momentum)
	keep := g.Scalar(1 - m)
	mom := g.Scalar(m)
	count := g.Op("Div", []*ir.Value{
		g.Op("Cast", []*ir.Value{g.Op("Size", []*ir.Value{x})}, ir.AInt("to", int64(tensor.Float32))),
		g.Scalar(float32(c))})
	unbias := g.Op("Div", []*ir.Value{count, g.Op("Max", []*ir.Value{g.Op("Sub", []*ir.Value{count, g.Scalar(1)}), g.Scalar(1)})})
	rm := g.Op("Add", []*ir.Value{g.Op("Mul", []*ir.Value{ins[3], keep}), g.Op("Mul", []*ir.Value{outs[1], mom})})
	rv := g.Op("Add", []*ir.Value{g.Op("Mul", []*ir.Value{ins[4], keep}),
		g.Op("Mul", []*ir.Value{g.Op("Mul", []*ir.Value{outs[2], unbias}), mom})})
	g.AddUpdate(b.RunningMean, rm)
	g.AddUpdate(b.RunningVar, rv)
	g.AddUpdate(b.NumBatches, g.Op("Add", []*ir.Value{g.Param(b.NumBatches), g.Const(tensor.Scalar(int64(1)))}))
	return outs[0]
}

// LayerNorm normalizes over the trailing dims of Shape with elementwise
// weight and bias.
type LayerNorm struct {
	Weight, Bias *tensor.Tensor
	Eps          float64
}

// NewLayerNorm returns a LayerNorm over the trailing dims shape.
func NewLayerNorm(shape ...int) *LayerNorm {
	return &LayerNorm{Weight: filled(1, shape...), Bias: filled(0, shape...), Eps: 1e-5}
}

// Params returns weight and bias.
func (l *LayerNorm) Params() []Tensor { return []Tensor{{"weight", l.Weight}, {"bias", l.Bias}} }

// Buffers returns nothing.
func (l *LayerNorm) Buffers() []Tensor { return nil }

// SetTraining does nothing.
func (l *LayerNorm) SetTraining(bool) {}

// Forward emits LayerNormalization.
func (l *LayerNorm) Forward(g *Graph, x *ir.Value) *ir.Value {
	return g.Op("LayerNormalization", []*ir.Value{x, g.Param(l.Weight), g.Param(l.Bias)},
		ir.AInt("axis", int64(-l.Weight.Rank())), ir.AFloat("epsilon", float32(l.Eps)))
}

// GroupNorm normalizes [N, C, ...] over groups of C/Groups channels, with
// per-channel weight and bias.
type GroupNorm struct {
	Weight, Bias *tensor.Tensor
	Groups       int
	Eps          float64
}

// NewGroupNorm returns a GroupNorm of groups groups over channels.
func NewGroupNorm(groups, channels int) *GroupNorm {
	return &GroupNorm{Weight: filled(1, channels), Bias: filled(0, channels), Groups: groups, Eps: 1e-5}
}

// Params returns weight and bias.
func (l *GroupNorm) Params() []Tensor { return []Tensor{{"weight", l.Weight}, {"bias", l.Bias}} }

// Buffers returns nothing.
func (l *GroupNorm) Buffers() []Tensor { return nil }

// SetTraining does nothing.
func (l *GroupNorm) SetTraining(bool) {}

// Forward emits the normalization from elementary ops (portable to every
// opset): reshape to [N, G, -1], standardize, reshape back, scale, shift.
func (l *GroupNorm) Forward(g *Graph, x *ir.Value) *ir.Value {
	c := l.Weight.Len()
	r := g.Rank(x, "GroupNorm")
	if g.Err() != nil {
		return g.placeholder()
	}
	if r < 2 || c%l.Groups != 0 || x.Type.Shape[1].IsKnown() && x.Type.Shape[1].Size != int64(c) {
		return g.Errorf("GroupNorm %s: input %s should be [N, %d, ...] with %d dividing the channels",
			g.NameOf(l.Weight), x.Type, c, l.Groups)
	}
	xr := g.Op("Reshape", []*ir.Value{x, g.Ints(0, int64(l.Groups), -1)})
	mean := g.Reduce("ReduceMean", xr, true, 2)
	d := g.Op("Sub", []*ir.Value{xr, mean})
	v := g.Reduce("ReduceMean", g.Op("Mul", []*ir.Value{d, d}), true, 2)
	y := g.Op("Div", []*ir.Value{d, g.Op("Sqrt", []*ir.Value{g.Op("Add", []*ir.Value{v, g.Scalar(float32(l.Eps))})})})
	if s, ok := x.Type.StaticShape(); ok {
		dims := make([]int64, len(s))
		for i, d := range s {
			dims[i] = int64(d)
		}
		y = g.Op("Reshape", []*ir.Value{y, g.Ints(dims...)})
	} else {
		y = g.Op("Reshape", []*ir.Value{y, g.Op("Shape", []*ir.Value{x})})
	}
	shape := make([]int64, r)
	for i := range shape {
		shape[i] = 1
	}
	shape[1] = int64(c)
	w := g.Op("Reshape", []*ir.Value{g.Param(l.Weight), g.Ints(shape...)})
	b := g.Op("Reshape", []*ir.Value{g.Param(l.Bias), g.Ints(shape...)})
	return g.Op("Add", []*ir.Value{g.Op("Mul", []*ir.Value{y, w}), b})
}

// Dropout zeroes each element with probability P in training mode and
// scales the rest by 1/(1-P); in eval mode it is the identity. Its random
// numbers are a graph input (see Graph.NewNoise) drawn by the caller.
type Dropout struct {
	P        float64
	training bool
}

// NewDropout returns a Dropout with drop probability p.
func NewDropout(p float64) *Dropout { return &Dropout{P: p} }

// Params returns nothing.
func (d *Dropout) Params() []Tensor { return nil }

// Buffers returns nothing.
func (d *Dropout) Buffers() []Tensor { return nil }

// SetTraining switches dropping on or off.
func (d *Dropout) SetTraining(on bool) { d.training = on }

// Forward emits x·[u ≥ P]/(1-P) with u a noise input, in training mode.
func (d *Dropout) Forward(g *Graph, x *ir.Value) *ir.Value {
	if !d.training || d.P == 0 {
		return x
	}
	if d.P < 0 || d.P >= 1 {
		return g.Errorf("Dropout: probability %g is not in [0, 1)", d.P)
	}
	s := g.Shape(x, "Dropout in training mode")
	if g.Err() != nil {
		return g.placeholder()
	}
	u := g.NewNoise(s)
	keep := g.Op("Cast", []*ir.Value{g.Op("Not", []*ir.Value{g.Op("Less", []*ir.Value{u, g.Scalar(float32(d.P))})})},
		ir.AInt("to", int64(tensor.Float32)))
	return g.Op("Mul", []*ir.Value{x, g.Op("Mul", []*ir.Value{keep, g.Scalar(float32(1 / (1 - d.P)))})})
}

// Embedding maps int64 indices to rows of Weight [num, dim].
type Embedding struct {
	Weight *tensor.Tensor
}

// NewEmbedding returns an Embedding with N(0, 1) initial rows.
func NewEmbedding(r *rand.Rand, num, dim int) *Embedding {
	t := tensor.New(tensor.Float32, num, dim)
	d := tensor.Data[float32](t)
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	return &Embedding{Weight: t}
}

// Params returns the weight.
func (e *Embedding) Params() []Tensor { return []Tensor{{"weight", e.Weight}} }

// Buffers returns nothing.
func (e *Embedding) Buffers() []Tensor { return nil }

// SetTraining does nothing.
func (e *Embedding) SetTraining(bool) {}

// Forward emits Gather along axis 0.
func (e *Embedding) Forward(g *Graph, x *ir.Value) *ir.Value {
	if x.Type.Elem != tensor.Int64 && x.Type.Elem != tensor.Int32 {
		return g.Errorf("Embedding %s: indices %s must be int64 or int32", g.NameOf(e.Weight), x.Type)
	}
	return g.Op("Gather", []*ir.Value{g.Param(e.Weight), x}, ir.AInt("axis", 0))
}

// Activation is a stateless elementwise (or per-axis) function.
type Activation struct {
	stateless
	Op    string // ONNX op, or "Gelu"
	Attrs []ir.Attr
}

// Forward emits the activation.
func (a *Activation) Forward(g *Graph, x *ir.Value) *ir.Value {
	if a.Op == "Gelu" && g.Opset() < 20 {
		// 0.5·x·(1 + erf(x/√2)), the exact GELU.
		e := g.Op("Erf", []*ir.Value{g.Op("Div", []*ir.Value{x, g.Scalar(float32(math.Sqrt2))})})
		return g.Op("Mul", []*ir.Value{g.Op("Mul", []*ir.Value{x, g.Scalar(0.5)}), g.Op("Add", []*ir.Value{e, g.Scalar(1)})})
	}
	return g.Op(a.Op, []*ir.Value{x}, a.Attrs...)
}

// ReLU returns max(x, 0).
func ReLU() *Activation { return &Activation{Op: "Relu"} }

// LeakyReLU returns x for x ≥ 0 and slope·x otherwise.
func LeakyReLU(slope float64) *Activation {
	return &Activation{Op: "LeakyRelu", Attrs: []ir.Attr{ir.AFloat("alpha", float32(slope))}}
}

// Sigmoid returns 1/(1+e^-x).
func Sigmoid() *Activation { return &Activation{Op: "Sigmoid"} }

// Tanh returns tanh(x).
func Tanh() *Activation { return &Activation{Op: "Tanh"} }

// GELU returns the exact Gaussian error linear unit.
func GELU() *Activation { return &Activation{Op: "Gelu"} }

// Softmax returns the softmax along axis.
func Softmax(axis int) *Activation {
	return &Activation{Op: "Softmax", Attrs: []ir.Attr{ir.AInt("axis", int64(axis))}}
}

// LogSoftmax returns the log-softmax along axis.
func LogSoftmax(axis int) *Activation {
	return &Activation{Op: "LogSoftmax", Attrs: []ir.Attr{ir.AInt("axis", int64(axis))}}
}

// Flatten reshapes [N, ...] to [N, rest], as torch.flatten(x, 1).
func Flatten() *Activation { return &Activation{Op: "Flatten", Attrs: []ir.Attr{ir.AInt("axis", 1)}} }
