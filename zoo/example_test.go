package zoo_test

import (
	"context"
	"fmt"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
	"github.com/onyxgo/onyx/zoo"
)

// Build LeNet-5, make its inference graph for a batch of 4 digits, and
// run it on the CPU.
func Example() {
	m, spec, err := zoo.New("lenet5", zoo.Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	shape := spec.WithBatchAndSize(4, 0) // [4, 1, 28, 28]
	model, err := nn.Inference(m, shape)
	if err != nil {
		panic(err)
	}
	prog, err := cpu.Compile(model.Graph, backends.Options{})
	if err != nil {
		panic(err)
	}
	out, err := prog.Run(context.Background(), map[string]*tensor.Tensor{"input": tensor.New(tensor.Float32, 4, 1, 28, 28)})
	if err != nil {
		panic(err)
	}
	fmt.Println(shape, out["output"].Shape(), len(m.Params()))
	// Output: [4 1 28 28] [4 10] 10
}
