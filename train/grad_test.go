package train

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// TestLayerGradients checks the gradients of every layer's parameters in a
// training step against central finite differences of the step's own
// loss.
func TestLayerGradients(t *testing.T) {
	r := nn.NewRand(21)
	seq := func(ms ...nn.Module) nn.Module { return nn.NewSequential(ms...) }
	cases := []struct {
		name string
		m    nn.Module
		x    []int
	}{
		{"Linear+GELU", seq(nn.NewLinear(r, 3, 4), nn.GELU()), []int{2, 3}},
		{"Conv2d strided grouped", seq(nn.NewConv2d(r, 4, 4, 3, nn.ConvOpts{Stride: 2, Padding: 1, Groups: 2}), nn.LeakyReLU(0.1)), []int{2, 4, 5, 5}},
		{"Conv2d dilated", nn.NewConv2d(r, 2, 3, 3, nn.ConvOpts{Dilation: 2, Padding: 2}), []int{1, 2, 5, 5}},
		{"Conv1d", nn.NewConv1d(r, 2, 3, 3, nn.ConvOpts{Padding: 1}), []int{2, 2, 6}},
		{"Conv3d", nn.NewConv3d(r, 1, 2, 2, nn.ConvOpts{}), []int{1, 1, 3, 3, 3}},
		{"ConvTranspose2d", nn.NewConvTranspose2d(r, 2, 3, 3, nn.ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1}), []int{1, 2, 3, 3}},
		{"BatchNorm training", seq(nn.NewConv2d(r, 2, 3, 1, nn.ConvOpts{}), nn.NewBatchNorm2d(3), nn.Sigmoid()), []int{3, 2, 2, 2}},
		{"LayerNorm", seq(nn.NewLinear(r, 4, 4), nn.NewLayerNorm(4)), []int{3, 4}},
		{"GroupNorm", seq(nn.NewConv2d(r, 2, 4, 1, nn.ConvOpts{}), nn.NewGroupNorm(2, 4)), []int{2, 2, 2, 2}},
		{"pools", seq(nn.NewConv2d(r, 1, 2, 1, nn.ConvOpts{}), nn.NewAvgPool2d(2, 2, 1), nn.NewAdaptiveAvgPool2d(2, 3), nn.Tanh()), []int{1, 1, 5, 5}},
		{"MaxPool1d+Softmax", seq(nn.NewConv1d(r, 1, 2, 1, nn.ConvOpts{}), nn.NewMaxPool1d(2, 0, 0), nn.Softmax(2)), []int{2, 1, 6}},
		{"Residual+Dropout", nn.NewResidual(seq(nn.NewLinear(r, 3, 3), nn.NewDropout(0.3)), nn.NewLinear(r, 3, 3)), []int{4, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gradCheck(t, c.m, c.x)
		})
	}
	// Embedding takes indices.
	e := nn.NewEmbedding(r, 5, 3)
	idx := tensor.FromSlice([]int64{1, 4, 1}, 3)
	gradCheckWith(t, e, idx)
}

func gradCheck(t *testing.T, m nn.Module, shape []int) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(tensor.Float32, shape...)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(rng.NormFloat64())
	}
	gradCheckWith(t, m, x)
}

func gradCheckWith(t *testing.T, m nn.Module, x *tensor.Tensor) {
	t.Helper()
	m.SetTraining(true)
	// The target is shaped like the output: build once in eval mode to
	// learn the output shape.
	probe, err := CompileEval(m, nil, specOf(x), nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := probe.Run(context.Background(), x, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	y := tensor.New(tensor.Float32, out.Output.Shape()...)
	for i := range y.Float32s() {
		y.Float32s()[i] = float32(rng.NormFloat64())
	}
	st, err := CompileStep(m, MSELoss(), specOf(x), specOf(y), m.Params())
	if err != nil {
		t.Fatal(err)
	}
	noise := make([]*tensor.Tensor, len(st.NoiseShapes()))
	for i, s := range st.NoiseShapes() {
		noise[i] = tensor.New(tensor.Float32, s...)
		for j := range noise[i].Float32s() {
			noise[i].Float32s()[j] = rng.Float32()
		}
	}
	res, err := st.Run(context.Background(), x, y, noise)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		r, err := st.Run(context.Background(), x, y, noise)
		if err != nil {
			t.Fatal(err)
		}
		return r.Loss
	}
	for pi, p := range m.Params() {
		d := p.T.Float32s()
		g := res.Grads[pi].Float32s()
		for _, i := range []int{0, len(d) / 2, len(d) - 1} {
			const h = 1e-2
			old := d[i]
			d[i] = old + h
			up := loss()
			d[i] = old - h
			down := loss()
			d[i] = old
			fd := (up - down) / (2 * h)
			if math.Abs(float64(g[i])-fd) > 2e-3+2e-2*math.Abs(fd) {
				t.Fatalf("%s[%d]: gradient %g, finite difference %g", p.Name, i, g[i], fd)
			}
		}
	}
}
