package zoo

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
)

// DenseNet is torchvision's DenseNet: "features" (a 7×7 stem conv0,
// norm0, relu0, pool0; dense blocks denseblock1 … with transitions
// transition1 … between them; a final norm5), then a ReLU, global average
// pooling and "classifier". DenseNet-121 has 7,978,856 parameters at 1000
// classes.
type DenseNet struct {
	nn.Container
	Features   *Chain
	Classifier *nn.Linear
}

// NewDenseNet121 returns DenseNet-121: growth rate 32, blocks of 6, 12,
// 24 and 16 layers, 64 initial features, bottleneck width 4×32, no
// dropout.
func NewDenseNet121(o Options) *DenseNet {
	return NewDenseNet(32, [4]int{6, 12, 24, 16}, 64, o)
}

// NewDenseNet returns a DenseNet with the given growth rate, layers per
// block and initial features (bn_size 4). Weights start as torchvision's:
// Kaiming-normal convolutions over the fan-in, BatchNorm at identity, a
// zero classifier bias.
func NewDenseNet(growth int, blocks [4]int, initial int, o Options) *DenseNet {
	ini := newIniter(o)
	conv := func(in, out, k, stride, pad int) *nn.Conv {
		c := conv2d(in, out, k, stride, pad, false)
		ini.kaimingNormal(c.Weight, false)
		return c
	}
	f := &Chain{}
	f.Add("conv0", conv(o.channels(3), initial, 7, 2, 3))
	f.Add("norm0", nn.NewBatchNorm2d(initial))
	f.Add("relu0", nn.ReLU())
	f.Add("pool0", nn.NewMaxPool2d(3, 2, 1))
	n := initial
	for i, layers := range blocks {
		b := &DenseBlock{}
		for j := 0; j < layers; j++ {
			b.Add(fmt.Sprintf("denselayer%d", j+1), newDenseLayer(conv, n+j*growth, growth, 4))
		}
		f.Add(fmt.Sprintf("denseblock%d", i+1), b)
		n += layers * growth
		if i < len(blocks)-1 {
			t := &Chain{}
			t.Add("norm", nn.NewBatchNorm2d(n))
			t.Add("relu", nn.ReLU())
			t.Add("conv", conv(n, n/2, 1, 1, 0))
			t.Add("pool", nn.NewAvgPool2d(2, 2, 0))
			f.Add(fmt.Sprintf("transition%d", i+1), t)
			n /= 2
		}
	}
	f.Add("norm5", nn.NewBatchNorm2d(n))
	d := &DenseNet{Features: f, Classifier: ini.linear(n, o.classes(1000))}
	clear(d.Classifier.Bias.Float32s())
	d.Add("features", d.Features)
	d.Add("classifier", d.Classifier)
	return d
}

// Forward emits classifier(flatten(avgpool(relu(features(x))))).
func (d *DenseNet) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = relu(g, d.Features.Forward(g, x))
	x = g.Op("GlobalAveragePool", []*ir.Value{x})
	return d.Classifier.Forward(g, flatten.Forward(g, x))
}

// DenseBlock feeds each of its layers the concatenation of the block's
// input and every earlier layer's output, and returns the concatenation
// of all of them.
type DenseBlock struct {
	nn.Container
}

// Forward emits the block.
func (b *DenseBlock) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	feats := []*ir.Value{x}
	for _, l := range b.Children() {
		in := feats[0]
		if len(feats) > 1 {
			in = nn.Concat(g, 1, feats...)
		}
		feats = append(feats, l.Forward(g, in))
	}
	return nn.Concat(g, 1, feats...)
}

// newDenseLayer returns torchvision's _DenseLayer: norm1, relu1, conv1
// (1×1 to bnSize·growth), norm2, relu2, conv2 (3×3 to growth).
func newDenseLayer(conv convFunc, in, growth, bnSize int) *Chain {
	l := &Chain{}
	l.Add("norm1", nn.NewBatchNorm2d(in))
	l.Add("relu1", nn.ReLU())
	l.Add("conv1", conv(in, bnSize*growth, 1, 1, 0))
	l.Add("norm2", nn.NewBatchNorm2d(bnSize*growth))
	l.Add("relu2", nn.ReLU())
	l.Add("conv2", conv(bnSize*growth, growth, 3, 1, 1))
	return l
}
