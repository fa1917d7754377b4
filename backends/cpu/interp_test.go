package cpu

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func identityFunc() *ir.Func {
	f := ir.NewFunc("id")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	n := f.NewNode("Identity", "", 13, []*ir.Value{x}, []string{"y"})
	f.Results = []*ir.Value{n.Outputs[0]}
	return f
}

func TestRunIdentityConcurrently(t *testing.T) {
	p, err := Compile(identityFunc(), backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			in := tensor.FromSlice([]float32{float32(g), 2})
			out, err := p.Run(context.Background(), map[string]*tensor.Tensor{"x": in})
			if err != nil {
				t.Error(err)
				return
			}
			if got := out["y"].Float32s(); got[0] != float32(g) || got[1] != 2 {
				t.Errorf("got %v", got)
			}
		}(g)
	}
	wg.Wait()
}

func TestRunRejectsBadInputs(t *testing.T) {
	p, err := Compile(identityFunc(), backends.Options{ModelName: "id"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]*tensor.Tensor{
		"missing input": {},
		"element type":  {"x": tensor.FromSlice([]int64{1, 2})},
		"shape":         {"x": tensor.FromSlice([]float32{1, 2, 3})},
		"unknown input": {"x": tensor.FromSlice([]float32{1, 2}), "z": tensor.FromSlice([]float32{1})},
	}
	for name, in := range cases {
		_, err := p.Run(context.Background(), in)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !strings.Contains(err.Error(), "model id") {
			t.Errorf("%s: error %q does not name the model", name, err)
		}
	}
}

func TestUnsupportedOp(t *testing.T) {
	f := ir.NewFunc("u")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	n := f.NewNode("NoSuchOp", "", 13, []*ir.Value{x}, []string{"y"})
	f.Results = []*ir.Value{n.Outputs[0]}
	_, err := Compile(f, backends.Options{})
	if err == nil || !strings.Contains(err.Error(), "unsupported op NoSuchOp (opset 13)") {
		t.Fatalf("got %v", err)
	}
}
