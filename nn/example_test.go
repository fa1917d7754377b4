package nn_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// A model is a tree of modules; its tensors carry PyTorch's names.
func Example() {
	r := nn.NewRand(1)
	model := nn.NewSequential(
		nn.NewConv2d(r, 1, 6, 5, nn.ConvOpts{Padding: 2}), nn.NewBatchNorm2d(6), nn.ReLU(), nn.NewMaxPool2d(2, 0, 0),
		nn.Flatten(), nn.NewLinear(r, 6*14*14, 10))
	for _, p := range nn.State(model) {
		fmt.Println(p.Name, p.T.Shape())
	}
	// Output:
	// 0.weight [6 1 5 5]
	// 0.bias [6]
	// 1.weight [6]
	// 1.bias [6]
	// 5.weight [10 1176]
	// 5.bias [10]
	// 1.running_mean [6]
	// 1.running_var [6]
	// 1.num_batches_tracked []
}

// Inference builds the eval-mode graph with the weights as initializers;
// any backend runs it, and Export writes it as an ONNX file.
func ExampleInference() {
	r := nn.NewRand(2)
	model := nn.NewSequential(nn.NewLinear(r, 3, 4), nn.ReLU(), nn.NewLinear(r, 4, 2), nn.Softmax(1))
	m, err := nn.Inference(model, []int64{-1, 3})
	if err != nil {
		log.Fatal(err)
	}
	prog, err := cpu.Compile(m.Graph, backends.Options{})
	if err != nil {
		log.Fatal(err)
	}
	out, err := prog.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.FromSlice([]float32{1, 2, 3}, 1, 3)})
	if err != nil {
		log.Fatal(err)
	}
	p := out["output"].Float32s()
	fmt.Printf("%d probabilities summing to %.3f\n", len(p), p[0]+p[1])

	dir, _ := os.MkdirTemp("", "nn-example")
	defer os.RemoveAll(dir)
	if err := nn.Export(model, []int64{-1, 3}, filepath.Join(dir, "model.onnx")); err != nil {
		log.Fatal(err)
	}
	// Output: 2 probabilities summing to 1.000
}

// Weights move by name between models, as safetensors or ONNX files.
func ExampleSaveWeights() {
	dir, _ := os.MkdirTemp("", "nn-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "weights.safetensors")
	a := nn.NewSequential(nn.NewLinear(nn.NewRand(1), 2, 2))
	b := nn.NewSequential(nn.NewLinear(nn.NewRand(2), 2, 2))
	if err := nn.SaveWeights(a, path); err != nil {
		log.Fatal(err)
	}
	if err := nn.LoadWeights(b, path); err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Params()[0].T.Float32s()[0] == b.Params()[0].T.Float32s()[0])
	// Output: true
}
