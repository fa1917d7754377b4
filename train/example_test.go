package train_test

import (
	"context"
	"fmt"
	"log"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
	"github.com/onyxgo/onyx/train"
)

// Fitting y = 2x - 1 with one Linear layer.
func Example() {
	x := tensor.FromSlice([]float32{-2, -1, 0, 1, 2, 3, 4, 5}, 8, 1)
	y := tensor.New(tensor.Float32, 8, 1)
	for i, v := range x.Float32s() {
		y.Float32s()[i] = 2*v - 1
	}
	data, err := train.NewTensorDataset(x, y)
	if err != nil {
		log.Fatal(err)
	}
	lin := nn.NewLinear(nn.NewRand(1), 1, 1)
	t, err := train.New(train.Config{
		Model: lin, Loss: train.MSELoss(), Optimizer: train.NewMomentum(0.02, 0.9, false),
		Train: data, BatchSize: 4, Epochs: 150, Seed: 1,
	})
	if err != nil {
		log.Fatal(err)
	}
	h, err := t.Fit(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("w = %.2f, b = %.2f, final loss below 1e-4: %v\n",
		lin.Weight.Float32s()[0], lin.Bias.Float32s()[0], h.Epochs[len(h.Epochs)-1].TrainLoss < 1e-4)
	// Output: w = 2.00, b = -1.00, final loss below 1e-4: true
}

// A schedule gives the learning rate per epoch (or per step).
func ExampleWarmup() {
	s := train.Warmup{Steps: 2, StartFactor: 0.5, Then: train.CosineLR{Base: 0.1, Min: 0, TMax: 2}}
	for e := 0; e < 5; e++ {
		fmt.Printf("%.3f ", s.LR(e))
	}
	fmt.Println()
	// Output: 0.050 0.075 0.100 0.050 0.000
}

// Classification metrics from predicted and true labels.
func ExamplePrecisionRecallF1() {
	pred := []int{0, 1, 1, 2, 2, 2}
	label := []int{0, 1, 2, 2, 2, 1}
	s, _ := train.PrecisionRecallF1(pred, label, 3, train.Macro)
	fmt.Printf("accuracy %.3f, macro F1 %.3f\n", train.Accuracy(pred, label), s.F1)
	// Output: accuracy 0.667, macro F1 0.722
}
