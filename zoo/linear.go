package zoo

import "github.com/onyxgo/onyx/nn"

// NewLinearRegression returns linear regression ŷ = x·Wᵀ + b over
// InChannels features (2 by default) with NumClasses outputs (1 by
// default), as nn.Sequential(nn.Linear(in, out)): its parameters are
// "0.weight" and "0.bias". It is trained with the squared error.
func NewLinearRegression(o Options) *nn.Sequential {
	r := newIniter(o)
	return nn.NewSequential(r.linear(o.channels(2), o.classes(1)))
}

// NewSoftmaxRegression returns softmax regression over 28×28 images
// (InChannels of them, 1 by default): nn.Sequential(nn.Flatten(),
// nn.Linear(784, 10)), parameters "1.weight" and "1.bias". It outputs
// logits; the softmax is in the loss (SoftmaxCrossEntropyLoss) or applied
// by the caller.
func NewSoftmaxRegression(o Options) *nn.Sequential {
	r := newIniter(o)
	return nn.NewSequential(nn.Flatten(), r.linear(o.channels(1)*28*28, o.classes(10)))
}
