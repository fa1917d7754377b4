package zoo

import "github.com/onyxgo/onyx/nn"

// NewMLP returns the multilayer perceptron over 28×28 images:
// nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
// nn.Linear(256, 10)), with parameters "1.*" and "3.*". Options.Hidden
// changes the hidden width and Options.Dropout adds a dropout after the
// activation (the layers are then "1", "4").
func NewMLP(o Options) *nn.Sequential {
	r := newIniter(o)
	hidden := o.Hidden
	if hidden <= 0 {
		hidden = 256
	}
	s := nn.NewSequential(nn.Flatten(), r.linear(o.channels(1)*28*28, hidden), nn.ReLU())
	if p := o.dropout(0); p > 0 {
		s.Append(nn.NewDropout(p))
	}
	s.Append(r.linear(hidden, o.classes(10)))
	return s
}
