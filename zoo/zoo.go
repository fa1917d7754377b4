// Package zoo builds the textbook's models with package nn: linear and
// softmax regression, a multilayer perceptron, LeNet-5, AlexNet, VGG,
// NIN, GoogLeNet, ResNet and DenseNet. The ImageNet models follow
// torchvision's layouts: the same layers in the same order, the same
// parameter names (features.0.weight, layer1.0.conv1.weight, ...) and the
// same parameter counts, so that torchvision's weights load by name with
// nn.LoadWeights.
//
// New builds a model by name; Names lists them. Every model is an
// nn.Module: nn.Inference builds its inference graph, nn.Export writes it
// as .onnx, and its parameters are the tensors a trainer updates.
package zoo

import (
	"fmt"
	"sort"

	"github.com/onyxgo/onyx/nn"
)

// Options choose a model's variable parts; zero values mean each model's
// defaults.
type Options struct {
	// NumClasses is the number of outputs of a classifier: 1000 for the
	// ImageNet models, 10 for the MNIST-sized ones. Linear regression
	// has NumClasses outputs too, 1 by default.
	NumClasses int
	// InChannels is the number of input channels: 3 for the ImageNet
	// models, 1 for LeNet-5 and NIN. For linear regression it is the
	// number of input features (2 by default, as in the textbook's
	// synthetic data set y = 2·x₁ - 3.4·x₂ + 4.2).
	InChannels int
	// Seed seeds the initial weights (nn.NewRand).
	Seed uint64
	// SkipInit leaves the weights zero (BatchNorm at identity) for a
	// model whose weights are loaded next: drawing VGG-16's 138 million
	// takes seconds.
	SkipInit bool
	// AuxHeads adds GoogLeNet's two auxiliary classifiers, which only
	// run in training mode (see GoogLeNet.ForwardAux).
	AuxHeads bool
	// Hidden is the width of the MLP's hidden layer (256 by default).
	Hidden int
	// Dropout overrides the models' dropout probabilities when not 0
	// (a negative value turns dropout off).
	Dropout float64
}

func (o Options) classes(def int) int {
	if o.NumClasses > 0 {
		return o.NumClasses
	}
	return def
}

func (o Options) channels(def int) int {
	if o.InChannels > 0 {
		return o.InChannels
	}
	return def
}

func (o Options) dropout(def float64) float64 {
	switch {
	case o.Dropout < 0:
		return 0
	case o.Dropout > 0:
		return o.Dropout
	}
	return def
}

// InputSpec describes a model's standard input.
type InputSpec struct {
	// Shape is the standard input shape with a batch of one, such as
	// [1, 3, 224, 224] or [1, 2].
	Shape []int64
	// MinSize is the smallest square spatial size the model accepts (0
	// for models without spatial axes, or when only Shape's size works,
	// as for LeNet-5 and the MNIST regressions whose first linear layer
	// fixes it).
	MinSize int
}

// WithBatchAndSize returns the spec's shape with batch n (negative: the
// symbolic batch) and, when size is positive, a size×size image.
func (s InputSpec) WithBatchAndSize(n, size int) []int64 {
	out := append([]int64{}, s.Shape...)
	out[0] = int64(n)
	if size > 0 && len(out) == 4 {
		out[2], out[3] = int64(size), int64(size)
	}
	return out
}

type entry struct {
	build func(o Options) nn.Module
	spec  func(o Options) InputSpec
}

func image(c, size, min int) InputSpec {
	return InputSpec{Shape: []int64{1, int64(c), int64(size), int64(size)}, MinSize: min}
}

var registry = map[string]entry{
	"linear-regression": {
		func(o Options) nn.Module { return NewLinearRegression(o) },
		func(o Options) InputSpec { return InputSpec{Shape: []int64{1, int64(o.channels(2))}} }},
	"softmax-regression": {
		func(o Options) nn.Module { return NewSoftmaxRegression(o) },
		func(o Options) InputSpec { return image(o.channels(1), 28, 0) }},
	"mlp": {
		func(o Options) nn.Module { return NewMLP(o) },
		func(o Options) InputSpec { return image(o.channels(1), 28, 0) }},
	"lenet5": {
		func(o Options) nn.Module { return NewLeNet5(o) },
		func(o Options) InputSpec { return image(o.channels(1), 28, 0) }},
	"alexnet": {
		func(o Options) nn.Module { return NewAlexNet(o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 63) }},
	"vgg11": {
		func(o Options) nn.Module { return NewVGG(11, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 32) }},
	"vgg13": {
		func(o Options) nn.Module { return NewVGG(13, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 32) }},
	"vgg16": {
		func(o Options) nn.Module { return NewVGG(16, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 32) }},
	"vgg19": {
		func(o Options) nn.Module { return NewVGG(19, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 32) }},
	"nin": {
		func(o Options) nn.Module { return NewNIN(o) },
		func(o Options) InputSpec { return image(o.channels(1), 224, 67) }},
	"googlenet": {
		func(o Options) nn.Module { return NewGoogLeNet(o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 31) }},
	"resnet18": {
		func(o Options) nn.Module { return NewResNet(18, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 1) }},
	"resnet34": {
		func(o Options) nn.Module { return NewResNet(34, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 1) }},
	"resnet50": {
		func(o Options) nn.Module { return NewResNet(50, o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 1) }},
	"densenet121": {
		func(o Options) nn.Module { return NewDenseNet121(o) },
		func(o Options) InputSpec { return image(o.channels(3), 224, 29) }},
}

// Names lists the models New builds, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds the named model with fresh weights drawn from opts.Seed and
// returns it with its standard input.
func New(name string, opts Options) (nn.Module, InputSpec, error) {
	e, ok := registry[name]
	if !ok {
		return nil, InputSpec{}, fmt.Errorf("zoo: unknown model %q (have %v)", name, Names())
	}
	return e.build(opts), e.spec(opts), nil
}

// Spec returns the standard input of the named model without building it.
func Spec(name string, opts Options) (InputSpec, error) {
	e, ok := registry[name]
	if !ok {
		return InputSpec{}, fmt.Errorf("zoo: unknown model %q (have %v)", name, Names())
	}
	return e.spec(opts), nil
}
