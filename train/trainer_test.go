package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

func mlp(seed uint64, in, hidden, out int, dropout float64) *nn.Sequential {
	r := nn.NewRand(seed)
	return nn.NewSequential(nn.NewLinear(r, in, hidden), nn.Tanh(), nn.NewDropout(dropout), nn.NewLinear(r, hidden, out))
}

func cnn(seed uint64) *nn.Sequential {
	r := nn.NewRand(seed)
	return nn.NewSequential(
		nn.NewConv2d(r, 1, 4, 3, nn.ConvOpts{Padding: 1}), nn.NewBatchNorm2d(4), nn.ReLU(), nn.NewMaxPool2d(2, 0, 0),
		nn.NewConv2d(r, 4, 8, 3, nn.ConvOpts{Padding: 1}), nn.ReLU(), nn.NewAdaptiveAvgPool2d(1, 1), nn.Flatten(),
		nn.NewLinear(r, 8, 3))
}

// blobs makes a classification set: n points in d dims around c centres.
func blobs(seed uint64, n, d, c int) *TensorDataset {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, c*d)
	for i := range centres {
		centres[i] = r.NormFloat64() * 2
	}
	x := tensor.New(tensor.Float32, n, d)
	y := tensor.New(tensor.Int64, n)
	for i := 0; i < n; i++ {
		k := r.IntN(c)
		y.Int64s()[i] = int64(k)
		for j := 0; j < d; j++ {
			x.Float32s()[i*d+j] = float32(centres[k*d+j] + 0.5*r.NormFloat64())
		}
	}
	return &TensorDataset{x, y}
}

func TestOverfitMLP(t *testing.T) {
	ds := blobs(1, 16, 4, 3)
	tr, err := New(Config{Model: mlp(2, 4, 16, 3, 0), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(0.05),
		Train: ds, BatchSize: 16, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i := 0; i < 150; i++ {
		if loss, err = tr.TrainStep(context.Background(), ds.X, ds.Y); err != nil {
			t.Fatal(err)
		}
	}
	if loss > 1e-3 {
		t.Fatalf("MLP did not overfit one batch: loss %g", loss)
	}
}

func TestOverfitCNN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(tensor.Float32, 6, 1, 8, 8)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64())
	}
	y := tensor.FromSlice([]int64{0, 1, 2, 0, 1, 2}, 6)
	tr, err := New(Config{Model: cnn(5), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(0.05),
		Train: &TensorDataset{x, y}, BatchSize: 6, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.TrainStep(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	loss := first
	steps := 150
	if testing.Short() {
		steps = 100
	}
	i := 0
	for ; i < steps && loss > 0.01; i++ {
		if loss, err = tr.TrainStep(context.Background(), x, y); err != nil {
			t.Fatal(err)
		}
	}
	if loss > 0.01 {
		t.Fatalf("CNN did not overfit one batch: loss %g (first %g)", loss, first)
	}
	t.Logf("loss %g after %d steps (first %g)", loss, i+1, first)
}
