package zoo

import (
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
)

// AlexNet is torchvision's AlexNet: features, an adaptive average pool to
// 6×6, and a classifier with dropout. It has 61,100,840 parameters at
// 1000 classes.
type AlexNet struct {
	nn.Container
	Features   *nn.Sequential
	AvgPool    *AdaptiveAvgPool2d
	Classifier *nn.Sequential
}

// NewAlexNet returns AlexNet with torchvision's layer indices:
//
//	features: 0 Conv2d(3, 64, 11, stride 4, padding 2) 1 ReLU 2 MaxPool(3, 2)
//	          3 Conv2d(64, 192, 5, padding 2) 4 ReLU 5 MaxPool(3, 2)
//	          6 Conv2d(192, 384, 3, padding 1) 7 ReLU
//	          8 Conv2d(384, 256, 3, padding 1) 9 ReLU
//	          10 Conv2d(256, 256, 3, padding 1) 11 ReLU 12 MaxPool(3, 2)
//	classifier: 0 Dropout(0.5) 1 Linear(9216, 4096) 2 ReLU 3 Dropout(0.5)
//	            4 Linear(4096, 4096) 5 ReLU 6 Linear(4096, classes)
//
// Its weights start as torchvision's do, with PyTorch's default
// initialisation.
func NewAlexNet(o Options) *AlexNet {
	ini := newIniter(o)
	conv := func(c, out, k, s, p int) nn.Module {
		return ini.conv(c, out, k, s, p, true)
	}
	pool := func() nn.Module { return nn.NewMaxPool2d(3, 2, 0) }
	a := &AlexNet{
		Features: nn.NewSequential(
			conv(o.channels(3), 64, 11, 4, 2), nn.ReLU(), pool(),
			conv(64, 192, 5, 1, 2), nn.ReLU(), pool(),
			conv(192, 384, 3, 1, 1), nn.ReLU(),
			conv(384, 256, 3, 1, 1), nn.ReLU(),
			conv(256, 256, 3, 1, 1), nn.ReLU(), pool()),
		AvgPool: &AdaptiveAvgPool2d{OutH: 6, OutW: 6},
	}
	p := o.dropout(0.5)
	a.Classifier = nn.NewSequential(
		nn.NewDropout(p), ini.linear(256*6*6, 4096), nn.ReLU(),
		nn.NewDropout(p), ini.linear(4096, 4096), nn.ReLU(),
		ini.linear(4096, o.classes(1000)))
	a.Add("features", a.Features)
	a.Add("avgpool", a.AvgPool)
	a.Add("classifier", a.Classifier)
	return a
}

// Forward emits classifier(flatten(avgpool(features(x)))).
func (a *AlexNet) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = a.AvgPool.Forward(g, a.Features.Forward(g, x))
	return a.Classifier.Forward(g, flatten.Forward(g, x))
}
