package cli

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/conformance"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

var demoCmd = &command{
	name:  "demo",
	args:  "[--backend cpu]",
	short: "build a small network in Go, save it as ONNX, load it back and run it",
	long: `
Demo builds a two-layer perceptron (4 inputs, 8 hidden units, 3 classes:
MatMul, Add, Relu, MatMul, Add, Softmax) with fixed pseudo-random weights
through the ir API, saves it as an .onnx file in a temporary folder, loads
that file back, runs both the in-memory and the reloaded model on a batch
of inputs, prints the outputs and checks that the two runs agree.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		backend := fs.String("backend", "cpu", "`name` of the backend to run on")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				fmt.Fprintf(e.stderr, "onyx demo: takes no arguments\n")
				return exitUsage
			}
			if err := demo(e, *backend); err != nil {
				return e.errorf("demo: %v", err)
			}
			return exitOK
		}
	},
}

const demoOpset = 17

// demoModel builds the perceptron with the ops b supports. It returns the
// model, the ops it used, and notes about layers left out because an op
// is not available yet.
func demoModel(b backends.Backend) (*ir.Model, []string, []string) {
	rng := rand.New(rand.NewPCG(2024, 7))
	weights := func(shape ...int) *tensor.Tensor {
		t := tensor.New(tensor.Float32, shape...)
		xs := t.Float32s()
		for i := range xs {
			xs[i] = float32(rng.Float64()*2-1) * 0.8
		}
		return t
	}
	has := func(op string) bool {
		probe := ir.NewFunc("probe")
		n := probe.NewNode(op, "", demoOpset, nil, []string{"y"})
		return n.Schema != nil && b.Supports(n)
	}
	f := ir.NewFunc("mlp")
	x := f.AddParam("x", ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("batch"), ir.Known(4)}))
	var used, notes []string
	node := func(op string, ins []*ir.Value, out string, attrs ...ir.Attr) *ir.Value {
		used = append(used, op)
		return f.NewNode(op, "", demoOpset, ins, []string{out}, attrs...).Outputs[0]
	}
	dense := func(in *ir.Value, layer, nin, nout int) *ir.Value {
		w := f.AddConst(fmt.Sprintf("W%d", layer), weights(nin, nout))
		bias := f.AddConst(fmt.Sprintf("b%d", layer), weights(nout))
		switch {
		case has("MatMul") && has("Add"):
			mm := node("MatMul", []*ir.Value{in, w}, fmt.Sprintf("mm%d", layer))
			return node("Add", []*ir.Value{mm, bias}, fmt.Sprintf("dense%d", layer))
		case has("Gemm"):
			notes = append(notes, fmt.Sprintf("layer %d uses Gemm: MatMul or Add is not available yet", layer))
			return node("Gemm", []*ir.Value{in, w, bias}, fmt.Sprintf("dense%d", layer))
		}
		f.Consts = f.Consts[:len(f.Consts)-2]
		notes = append(notes, fmt.Sprintf("layer %d left out: neither MatMul+Add nor Gemm is available yet", layer))
		return nil
	}
	h := x
	if d := dense(h, 1, 4, 8); d != nil {
		h = d
		if has("Relu") {
			h = node("Relu", []*ir.Value{h}, "hidden")
		} else {
			notes = append(notes, "Relu left out: not available yet")
		}
		if d := dense(h, 2, 8, 3); d != nil {
			h = d
		}
	}
	if has("Softmax") {
		h = node("Softmax", []*ir.Value{h}, "probs", ir.Attr{Name: "axis", Type: ir.AttrInt, I: -1})
	} else {
		notes = append(notes, "Softmax left out: not available yet")
	}
	if h == x {
		h = node("Identity", []*ir.Value{x}, "y")
	}
	f.Results = []*ir.Value{h}
	if err := ir.InferShapes(f); err != nil || h.Type.Kind == ir.KindUnknown {
		h.Type = ir.UnrankedTensor(tensor.Float32)
	}
	m := &ir.Model{Graph: f, Opsets: map[string]int{"": demoOpset}, IRVersion: 8,
		ProducerName: "onyx", ProducerVersion: Version}
	return m, used, notes
}

func demo(e *env, backend string) error {
	b, err := backends.Lookup(backend)
	if err != nil {
		return err
	}
	m, used, notes := demoModel(b)
	w := e.stdout
	fmt.Fprintf(w, "onyx demo: a two-layer perceptron built with the ir API\n")
	fmt.Fprintf(w, "  ops: %s (opset %d), %d parameters\n", strings.Join(used, ", "), demoOpset, m.Graph.ParamCount())
	for _, n := range notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}

	dir, err := os.MkdirTemp("", "onyx-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.onnx")
	if err := exporter.Save(m, path); err != nil {
		return fmt.Errorf("saving: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	loaded, err := importer.Load(path, importer.Options{})
	if err != nil {
		return fmt.Errorf("loading back: %w", err)
	}
	fmt.Fprintf(w, "  saved as ONNX (%d bytes) and loaded back: %d nodes, inputs %s, outputs %s\n",
		st.Size(), len(loaded.Graph.Nodes), describeValues(loaded.Graph.Params), describeValues(loaded.Graph.Results))

	batch := tensor.New(tensor.Float32, 4, 4)
	xs := batch.Float32s()
	for i := range xs {
		xs[i] = float32((i*7)%11)/5 - 1
	}
	in := map[string]*tensor.Tensor{m.Graph.Params[0].Name: batch}
	run := func(f *ir.Func, what string) (*tensor.Tensor, error) {
		p, err := b.Compile(f, backends.Options{ModelName: "demo " + what})
		if err != nil {
			return nil, fmt.Errorf("%s model: %w", what, err)
		}
		out, err := p.Run(context.Background(), in)
		if err != nil {
			return nil, fmt.Errorf("%s model: %w", what, err)
		}
		return out[f.Results[0].Name], nil
	}
	mem, err := run(m.Graph, "in-memory")
	if err != nil {
		return err
	}
	back, err := run(loaded.Graph, "reloaded")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\ninput x %s %v, output %s %s %v:\n", batch.DType(), batch.Shape(), m.Graph.Results[0].Name, back.DType(), back.Shape())
	cols := 1
	if back.Rank() > 0 {
		cols = back.Dim(-1)
	}
	vals := back.Float32s()
	for r := 0; r*cols < len(vals); r++ {
		var row []string
		for _, v := range vals[r*cols : min(len(vals), (r+1)*cols)] {
			row = append(row, fmt.Sprintf("%.4f", v))
		}
		fmt.Fprintf(w, "  [%d] %s\n", r, strings.Join(row, "  "))
	}
	if mm := conformance.Compare(m.Graph.Results[0].Name, back, mem, 0, 0); mm != nil {
		fmt.Fprintf(w, "\nreloaded model matches the in-memory run: NO (%v)\n", mm)
		return fmt.Errorf("the reloaded model's output differs from the in-memory run")
	}
	fmt.Fprintf(w, "\nreloaded model matches the in-memory run: yes (bit for bit)\n")
	return nil
}

func describeValues(vs []*ir.Value) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Name+" "+v.Type.String())
	}
	return strings.Join(parts, ", ")
}
