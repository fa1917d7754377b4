package zoo

import "github.com/onyxgo/onyx/nn"

// NewNIN returns the textbook's Network in Network for 224×224 images (1
// channel by default, as Fashion-MNIST resized): four NIN blocks, each a
// k×k convolution and two 1×1 convolutions with ReLUs, separated by 3×3
// max pooling with stride 2, and a global average pool over the last
// block's NumClasses channels instead of fully connected layers:
//
//	0 block(in, 96, 11, stride 4)  1 MaxPool(3, 2)
//	2 block(96, 256, 5, padding 2) 3 MaxPool(3, 2)
//	4 block(256, 384, 3, padding 1) 5 MaxPool(3, 2) 6 Dropout(0.5)
//	7 block(384, classes, 3, padding 1) 8 AdaptiveAvgPool2d(1) 9 Flatten
//
// where block(in, out, k) is 0 Conv2d(in, out, k) 1 ReLU 2 Conv2d(out,
// out, 1) 3 ReLU 4 Conv2d(out, out, 1) 5 ReLU, so parameters are named
// "0.0.weight", "0.2.weight", ... It accepts any size from 67×67 up.
func NewNIN(o Options) *nn.Sequential {
	r := newIniter(o)
	block := func(in, out, k, stride, pad int) nn.Module {
		return nn.NewSequential(
			r.conv(in, out, k, stride, pad, true), nn.ReLU(),
			r.conv(out, out, 1, 1, 0, true), nn.ReLU(),
			r.conv(out, out, 1, 1, 0, true), nn.ReLU())
	}
	pool := func() nn.Module { return nn.NewMaxPool2d(3, 2, 0) }
	return nn.NewSequential(
		block(o.channels(1), 96, 11, 4, 0), pool(),
		block(96, 256, 5, 1, 2), pool(),
		block(256, 384, 3, 1, 1), pool(),
		nn.NewDropout(o.dropout(0.5)),
		block(384, o.classes(10), 3, 1, 1),
		&AdaptiveAvgPool2d{OutH: 1, OutW: 1}, nn.Flatten())
}
