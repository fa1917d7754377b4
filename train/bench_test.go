package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// mnistCNN is a small LeNet-style network for 1×28×28 images.
func mnistCNN(seed uint64) *nn.Sequential {
	r := nn.NewRand(seed)
	return nn.NewSequential(
		nn.NewConv2d(r, 1, 8, 3, nn.ConvOpts{Padding: 1}), nn.ReLU(), nn.NewMaxPool2d(2, 0, 0),
		nn.NewConv2d(r, 8, 16, 3, nn.ConvOpts{Padding: 1}), nn.ReLU(), nn.NewMaxPool2d(2, 0, 0),
		nn.Flatten(), nn.NewLinear(r, 16*7*7, 10))
}

// BenchmarkCNNStepMNIST times one training step (forward, backward, Adam)
// of mnistCNN on a batch of 64 MNIST-sized images.
func BenchmarkCNNStepMNIST(b *testing.B) {
	const batch = 64
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(tensor.Float32, batch, 1, 28, 28)
	for i := range x.Float32s() {
		x.Float32s()[i] = r.Float32()
	}
	y := tensor.New(tensor.Int64, batch)
	for i := range y.Int64s() {
		y.Int64s()[i] = int64(r.IntN(10))
	}
	tr, err := New(Config{Model: mnistCNN(1), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(1e-3),
		Train: &TensorDataset{x, y}, BatchSize: batch, Epochs: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tr.TrainStep(context.Background(), x, y); err != nil { // compile
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.TrainStep(context.Background(), x, y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
}

// TestMNISTSmallCNN trains mnistCNN on part of MNIST for one epoch and
// checks the accuracy on test images.
func TestMNISTSmallCNN(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	dir, err := MNISTDir()
	if err != nil {
		t.Skip(err)
	}
	trainSet, err := MNIST(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	testSet, err := MNIST(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	first := func(n int) []int {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	tr, err := New(Config{Model: mnistCNN(1), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(3e-3),
		Train: Subset(trainSet, first(3072)), Val: Subset(testSet, first(1000)), BatchSize: 64, Epochs: 1, Seed: 1, LoaderWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	h, err := tr.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e := h.Epochs[0]
	t.Logf("train loss %.3f, val loss %.3f, val accuracy %.3f, %.0f images/s", e.TrainLoss, e.ValLoss, e.ValAcc, e.SamplesPerSecond)
	if e.ValAcc < 0.8 {
		t.Fatalf("validation accuracy %.3f after one epoch on 3072 images", e.ValAcc)
	}
}
