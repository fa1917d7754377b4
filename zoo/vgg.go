package zoo

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// vggConfigs are torchvision's configurations "A", "B", "D" and "E":
// output channels of 3×3 convolutions, 0 for a 2×2 max pooling.
var vggConfigs = map[int][]int{
	11: {64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	13: {64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0},
	16: {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0},
	19: {64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0},
}

// VGG is torchvision's VGG without batch normalization: features (3×3
// convolutions with ReLU, max pooling), an adaptive average pool to 7×7
// and a classifier. VGG-11, 13, 16 and 19 have 132,863,336,
// 133,047,848, 138,357,544 and 143,667,240 parameters at 1000 classes.
type VGG struct {
	nn.Container
	Features   *nn.Sequential
	AvgPool    *AdaptiveAvgPool2d
	Classifier *nn.Sequential
}

// NewVGG returns VGG-depth (11, 13, 16 or 19; it panics otherwise). Each
// convolution is followed by a ReLU, so "features.0", "features.2", ...
// are the convolutions up to the first pooling; the classifier is
//
//	0 Linear(25088, 4096) 1 ReLU 2 Dropout(0.5)
//	3 Linear(4096, 4096)  4 ReLU 5 Dropout(0.5) 6 Linear(4096, classes)
//
// Weights start as torchvision's: Kaiming-normal convolutions (fan-out),
// N(0, 0.01²) linear weights, zero biases.
func NewVGG(depth int, o Options) *VGG {
	cfg, ok := vggConfigs[depth]
	if !ok {
		panic(fmt.Sprintf("zoo: VGG-%d does not exist (11, 13, 16 or 19)", depth))
	}
	r := newIniter(o)
	v := &VGG{Features: nn.NewSequential(), AvgPool: &AdaptiveAvgPool2d{OutH: 7, OutW: 7}}
	in := o.channels(3)
	for _, c := range cfg {
		if c == 0 {
			v.Features.Append(nn.NewMaxPool2d(2, 2, 0))
			continue
		}
		conv := conv2d(in, c, 3, 1, 1, true)
		r.kaimingNormal(conv.Weight, true)
		v.Features.Append(conv)
		v.Features.Append(nn.ReLU())
		in = c
	}
	p := o.dropout(0.5)
	linear := func(in, out int) nn.Module {
		l := &nn.Linear{Weight: tensor.New(tensor.Float32, out, in), Bias: tensor.New(tensor.Float32, out)}
		r.normal(l.Weight, 0.01)
		return l
	}
	v.Classifier = nn.NewSequential(
		linear(512*7*7, 4096), nn.ReLU(), nn.NewDropout(p),
		linear(4096, 4096), nn.ReLU(), nn.NewDropout(p),
		linear(4096, o.classes(1000)))
	v.Add("features", v.Features)
	v.Add("avgpool", v.AvgPool)
	v.Add("classifier", v.Classifier)
	return v
}

// Forward emits classifier(flatten(avgpool(features(x)))).
func (v *VGG) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = v.AvgPool.Forward(g, v.Features.Forward(g, x))
	return v.Classifier.Forward(g, flatten.Forward(g, x))
}
