package zoo

import (
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
)

// BasicConv2d is torchvision's Inception building block: a convolution
// without bias ("conv"), a BatchNorm with ε = 0.001 ("bn") and a ReLU.
type BasicConv2d struct {
	nn.Container
	Conv *nn.Conv
	BN   *nn.BatchNorm
}

func newBasicConv2d(r initer, in, out, k, stride, pad int) *BasicConv2d {
	b := &BasicConv2d{Conv: conv2d(in, out, k, stride, pad, false), BN: nn.NewBatchNorm2d(out)}
	b.BN.Eps = 0.001
	r.truncNormal(b.Conv.Weight, 0.01)
	b.Add("conv", b.Conv)
	b.Add("bn", b.BN)
	return b
}

// Forward emits relu(bn(conv(x))).
func (b *BasicConv2d) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	return relu(g, b.BN.Forward(g, b.Conv.Forward(g, x)))
}

// Inception is an Inception v1 block: four branches concatenated along
// the channels. branch1 is a 1×1 convolution; branch2 and branch3 a 1×1
// reduction then a 3×3 convolution (torchvision uses 3×3 where the paper
// has 5×5 in branch3, and so does this); branch4 a 3×3 max pooling with
// stride 1 then a 1×1 projection.
type Inception struct {
	nn.Container
	Branch1                   *BasicConv2d
	Branch2, Branch3, Branch4 *nn.Sequential
}

func newInception(r initer, in, c1, c3red, c3, c5red, c5, pool int) *Inception {
	b := &Inception{
		Branch1: newBasicConv2d(r, in, c1, 1, 1, 0),
		Branch2: nn.NewSequential(newBasicConv2d(r, in, c3red, 1, 1, 0), newBasicConv2d(r, c3red, c3, 3, 1, 1)),
		Branch3: nn.NewSequential(newBasicConv2d(r, in, c5red, 1, 1, 0), newBasicConv2d(r, c5red, c5, 3, 1, 1)),
		Branch4: nn.NewSequential(&MaxPool2d{Kernel: 3, Stride: 1, Padding: 1, CeilMode: true}, newBasicConv2d(r, in, pool, 1, 1, 0)),
	}
	b.Add("branch1", b.Branch1)
	b.Add("branch2", b.Branch2)
	b.Add("branch3", b.Branch3)
	b.Add("branch4", b.Branch4)
	return b
}

// Forward emits the concatenation of the four branches.
func (b *Inception) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	return nn.Concat(g, 1, b.Branch1.Forward(g, x), b.Branch2.Forward(g, x), b.Branch3.Forward(g, x), b.Branch4.Forward(g, x))
}

// InceptionAux is an auxiliary classifier: adaptive average pooling to
// 4×4, a 1×1 BasicConv2d to 128 channels ("conv"), fc1 (2048→1024) with
// a ReLU, dropout 0.7 and fc2 (1024→classes).
type InceptionAux struct {
	nn.Container
	Conv     *BasicConv2d
	FC1, FC2 *nn.Linear
	Dropout  *nn.Dropout
}

func newInceptionAux(r initer, in, classes int, p float64) *InceptionAux {
	a := &InceptionAux{Conv: newBasicConv2d(r, in, 128, 1, 1, 0),
		FC1: r.linear(2048, 1024), FC2: r.linear(1024, classes), Dropout: nn.NewDropout(p)}
	r.truncNormal(a.FC1.Weight, 0.01)
	r.truncNormal(a.FC2.Weight, 0.01)
	a.Add("conv", a.Conv)
	a.Add("fc1", a.FC1)
	a.Add("fc2", a.FC2)
	a.Add("dropout", a.Dropout)
	return a
}

// Forward emits the auxiliary logits.
func (a *InceptionAux) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = (&AdaptiveAvgPool2d{OutH: 4, OutW: 4}).Forward(g, x)
	x = flatten.Forward(g, a.Conv.Forward(g, x))
	x = relu(g, a.FC1.Forward(g, x))
	return a.FC2.Forward(g, a.Dropout.Forward(g, x))
}

// GoogLeNet is torchvision's GoogLeNet (Inception v1): 6,624,904
// parameters at 1000 classes, 13,004,888 with the auxiliary classifiers
// aux1 (after inception4a) and aux2 (after inception4d), which only run
// in training mode (ForwardAux). Its input is taken as it is (torchvision's
// transform_input, which re-normalizes ImageNet inputs for the ported
// weights, is off, as torchvision has it for fresh weights).
type GoogLeNet struct {
	nn.Container
	Conv1, Conv2, Conv3                    *BasicConv2d
	MaxPool1, MaxPool2, MaxPool3, MaxPool4 *MaxPool2d
	Inception3a, Inception3b               *Inception
	Inception4a, Inception4b, Inception4c  *Inception
	Inception4d, Inception4e               *Inception
	Inception5a, Inception5b               *Inception
	Aux1, Aux2                             *InceptionAux // nil without auxiliary heads
	AvgPool                                *AdaptiveAvgPool2d
	Dropout                                *nn.Dropout
	FC                                     *nn.Linear
	training                               bool
}

// NewGoogLeNet returns GoogLeNet, with auxiliary classifiers when
// o.AuxHeads is set. Weights start as torchvision's: convolution and
// linear weights from N(0, 0.01²) truncated to [-2, 2], BatchNorm at
// identity, linear biases PyTorch's default.
func NewGoogLeNet(o Options) *GoogLeNet {
	r := newIniter(o)
	classes := o.classes(1000)
	m := &GoogLeNet{
		Conv1:       newBasicConv2d(r, o.channels(3), 64, 7, 2, 3),
		MaxPool1:    &MaxPool2d{Kernel: 3, Stride: 2, CeilMode: true},
		Conv2:       newBasicConv2d(r, 64, 64, 1, 1, 0),
		Conv3:       newBasicConv2d(r, 64, 192, 3, 1, 1),
		MaxPool2:    &MaxPool2d{Kernel: 3, Stride: 2, CeilMode: true},
		Inception3a: newInception(r, 192, 64, 96, 128, 16, 32, 32),
		Inception3b: newInception(r, 256, 128, 128, 192, 32, 96, 64),
		MaxPool3:    &MaxPool2d{Kernel: 3, Stride: 2, CeilMode: true},
		Inception4a: newInception(r, 480, 192, 96, 208, 16, 48, 64),
		Inception4b: newInception(r, 512, 160, 112, 224, 24, 64, 64),
		Inception4c: newInception(r, 512, 128, 128, 256, 24, 64, 64),
		Inception4d: newInception(r, 512, 112, 144, 288, 32, 64, 64),
		Inception4e: newInception(r, 528, 256, 160, 320, 32, 128, 128),
		MaxPool4:    &MaxPool2d{Kernel: 2, Stride: 2, CeilMode: true},
		Inception5a: newInception(r, 832, 256, 160, 320, 32, 128, 128),
		Inception5b: newInception(r, 832, 384, 192, 384, 48, 128, 128),
		AvgPool:     &AdaptiveAvgPool2d{OutH: 1, OutW: 1},
		Dropout:     nn.NewDropout(o.dropout(0.2)),
		FC:          r.linear(1024, classes),
	}
	r.truncNormal(m.FC.Weight, 0.01)
	if o.AuxHeads {
		p := o.dropout(0.7)
		m.Aux1 = newInceptionAux(r, 512, classes, p)
		m.Aux2 = newInceptionAux(r, 528, classes, p)
	}
	for _, c := range []struct {
		name string
		m    nn.Module
	}{
		{"conv1", m.Conv1}, {"maxpool1", m.MaxPool1}, {"conv2", m.Conv2}, {"conv3", m.Conv3}, {"maxpool2", m.MaxPool2},
		{"inception3a", m.Inception3a}, {"inception3b", m.Inception3b}, {"maxpool3", m.MaxPool3},
		{"inception4a", m.Inception4a}, {"inception4b", m.Inception4b}, {"inception4c", m.Inception4c},
		{"inception4d", m.Inception4d}, {"inception4e", m.Inception4e}, {"maxpool4", m.MaxPool4},
		{"inception5a", m.Inception5a}, {"inception5b", m.Inception5b},
	} {
		m.Add(c.name, c.m)
	}
	if o.AuxHeads {
		m.Add("aux1", m.Aux1)
		m.Add("aux2", m.Aux2)
	}
	m.Add("avgpool", m.AvgPool)
	m.Add("dropout", m.Dropout)
	m.Add("fc", m.FC)
	return m
}

// SetTraining switches the model and its layers between training and
// inference.
func (m *GoogLeNet) SetTraining(on bool) {
	m.training = on
	m.Container.SetTraining(on)
}

// Forward emits the main classifier's logits.
func (m *GoogLeNet) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	y, _ := m.ForwardAux(g, x)
	return y
}

// ForwardAux emits the logits and, in training mode with auxiliary
// heads, the auxiliary logits [aux1, aux2] (nil otherwise). The paper
// trains on loss(main) + 0.3·(loss(aux1) + loss(aux2)).
func (m *GoogLeNet) ForwardAux(g *nn.Graph, x *ir.Value) (*ir.Value, []*ir.Value) {
	for _, s := range []nn.Module{m.Conv1, m.MaxPool1, m.Conv2, m.Conv3, m.MaxPool2,
		m.Inception3a, m.Inception3b, m.MaxPool3, m.Inception4a} {
		x = s.Forward(g, x)
	}
	withAux := m.training && m.Aux1 != nil
	var aux []*ir.Value
	if withAux {
		aux = append(aux, m.Aux1.Forward(g, x))
	}
	for _, s := range []nn.Module{m.Inception4b, m.Inception4c, m.Inception4d} {
		x = s.Forward(g, x)
	}
	if withAux {
		aux = append(aux, m.Aux2.Forward(g, x))
	}
	for _, s := range []nn.Module{m.Inception4e, m.MaxPool4, m.Inception5a, m.Inception5b, m.AvgPool, flatten, m.Dropout, m.FC} {
		x = s.Forward(g, x)
	}
	return x, aux
}

// AuxModule is a model with auxiliary outputs in training mode (GoogLeNet).
type AuxModule interface {
	nn.Module
	ForwardAux(g *nn.Graph, x *ir.Value) (*ir.Value, []*ir.Value)
}

var _ AuxModule = (*GoogLeNet)(nil)
