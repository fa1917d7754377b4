package zoo

import "github.com/onyxgo/onyx/nn"

// NewLeNet5 returns LeNet-5 for 28×28 images as the textbook builds it:
// two 5×5 convolutions (the first padded by 2, so that a 28×28 MNIST
// digit plays the paper's 32×32 input) with sigmoid activations and 2×2
// average pooling, then three fully connected layers 400→120→84→10:
//
//	0 Conv2d(1, 6, 5, padding=2)  1 Sigmoid  2 AvgPool2d(2)
//	3 Conv2d(6, 16, 5)            4 Sigmoid  5 AvgPool2d(2)
//	6 Flatten  7 Linear(400, 120)  8 Sigmoid  9 Linear(120, 84)
//	10 Sigmoid 11 Linear(84, 10)
//
// It has 61,706 parameters at 10 classes.
func NewLeNet5(o Options) *nn.Sequential {
	r := newIniter(o)
	return nn.NewSequential(
		r.conv(o.channels(1), 6, 5, 1, 2, true), nn.Sigmoid(), nn.NewAvgPool2d(2, 2, 0),
		r.conv(6, 16, 5, 1, 0, true), nn.Sigmoid(), nn.NewAvgPool2d(2, 2, 0),
		nn.Flatten(),
		r.linear(16*5*5, 120), nn.Sigmoid(),
		r.linear(120, 84), nn.Sigmoid(),
		r.linear(84, o.classes(10)),
	)
}
