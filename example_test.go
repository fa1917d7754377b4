package onyx_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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

func TestSession(t *testing.T) {
	dir := t.TempDir()
	path, err := writeModel(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	model, err := onyx.LoadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if in := model.Inputs(); len(in) != 1 || in[0].Name != "x" || in[0].HasDefault {
		t.Fatalf("inputs %v", in)
	}
	s, err := model.Compile(onyx.WithThreads(2), onyx.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "cpu" {
		t.Errorf("backend %q", s.Backend())
	}
	// Concurrent runs each see their own inputs.
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			x := tensor.FromSlice([]float32{float32(g), 0, 0}, 1, 3)
			out, err := s.RunValues(context.Background(), map[string]tensor.Value{"x": x})
			if err != nil {
				t.Error(err)
				return
			}
			if got := out["y"].(*tensor.Tensor).Float32s(); got[0] != float32(g)+10 || got[2] != 30 {
				t.Errorf("run %d: got %v", g, got)
			}
		}(g)
	}
	wg.Wait()

	// Bad input is an error that names the input, not a panic.
	_, err = s.Run(context.Background(), map[string]*tensor.Tensor{"x": tensor.FromSlice([]float32{1, 2}, 1, 2)})
	if err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("wrong shape: %v", err)
	}
	if _, err := s.Run(context.Background(), nil); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("missing input: %v", err)
	}
	if _, err := model.Compile(onyx.WithBackend("no-such-backend")); err == nil {
		t.Error("unknown backend accepted")
	}
	if _, err := onyx.Load(filepath.Join(dir, "missing.onnx")); err == nil || !strings.Contains(err.Error(), "missing.onnx") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := onyx.LoadBytes([]byte("not a model")); err == nil {
		t.Error("garbage accepted")
	}
}
