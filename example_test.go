package onyx_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/onyxgo/onyx"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// writeModel saves a tiny ONNX model, y = x + [10, 20, 30], into dir and
// returns its path.
func writeModel(dir string) (string, error) {
	f := ir.NewFunc("add_bias")
	x := f.AddParam("x", ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("batch"), ir.Known(3)}))
	bias := f.AddConst("bias", tensor.FromSlice([]float32{10, 20, 30}))
	y := f.NewNode("Add", "", 17, []*ir.Value{x, bias}, []string{"y"}).Outputs[0]
	y.Type = ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("batch"), ir.Known(3)})
	f.Results = []*ir.Value{y}
	m := &ir.Model{Graph: f, Opsets: map[string]int{"": 17}, IRVersion: 8, ProducerName: "example"}
	path := filepath.Join(dir, "add_bias.onnx")
	return path, exporter.Save(m, path)
}

func Example() {
	dir, err := os.MkdirTemp("", "onyx-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path, err := writeModel(dir)
	if err != nil {
		log.Fatal(err)
	}

	model, err := onyx.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	session, err := model.Compile(onyx.WithBackend("cpu"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("inputs:", session.Inputs())
	fmt.Println("outputs:", session.Outputs())

	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	out, err := session.Run(context.Background(), map[string]*tensor.Tensor{"x": x})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("y =", out["y"].Float32s())
	// Output:
	// inputs: [x f32[batch,3]]
	// outputs: [y f32[batch,3]]
	// y = [11 22 33 14 25 36]
}
