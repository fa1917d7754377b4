// Package nn is onyx's model-building API. Layers are small structs that
// hold their parameters as tensors and, when called, emit IR nodes into a
// Graph: nothing here executes anything. A model built with nn is trained
// by package train, exported to .onnx with Export, and its weights are
// saved and loaded by name (SaveWeights, LoadWeights) in ONNX or
// safetensors files.
//
// Parameters and buffers carry hierarchical names as PyTorch gives them
// ("features.0.weight", "bn1.running_mean"), so that weights move between
// the two by name.
package nn

import (
	"fmt"
	"strings"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// DefaultOpset is the ai.onnx opset that graphs use unless told otherwise.
const DefaultOpset = 17

// GraphOptions choose how a Graph reads the module's tensors.
type GraphOptions struct {
	// Name names the Func; "model" when empty.
	Name string
	// Opset is the ai.onnx opset of the emitted nodes; DefaultOpset when 0.
	Opset int
	// ParamsAsInputs makes parameters and buffers graph inputs (fed on
	// every run, as a training step needs) instead of constants
	// (initializers, as an exported model holds them).
	ParamsAsInputs bool
}

// Update is a buffer's new value computed by a graph in training mode
// (BatchNorm's running statistics); the trainer writes it back after each
// step.
type Update struct {
	Name  string    // the buffer's name
	Value *ir.Value // its new value
}

// Noise is a graph input of uniform [0, 1) random numbers that the caller
// draws for every run (Dropout's masks in training mode), so that the
// randomness is the caller's and reproducible.
type Noise struct {
	Input *ir.Value
	Shape []int
}

// Graph is an ir.Func being built from a module. Layers emit nodes into it
// with Op; errors (shape mismatches, unknown tensors) are sticky: the first
// one is kept, later calls return placeholder values, and Err reports it.
type Graph struct {
	f       *ir.Func
	opset   int
	asInput bool
	names   map[*tensor.Tensor]string
	values  map[*tensor.Tensor]*ir.Value
	used    map[string]bool
	updates []Update
	noise   []Noise
	consts  map[*ir.Value]*tensor.Tensor // values of Constant nodes
	err     error
	next    int
}

// NewGraph starts a graph for module m: m's parameters and buffers are the
// tensors its layers may read (with Param).
func NewGraph(m Module, o GraphOptions) *Graph {
	if o.Name == "" {
		o.Name = "model"
	}
	if o.Opset == 0 {
		o.Opset = DefaultOpset
	}
	g := &Graph{f: ir.NewFunc(o.Name), opset: o.Opset, asInput: o.ParamsAsInputs,
		names: map[*tensor.Tensor]string{}, consts: map[*ir.Value]*tensor.Tensor{}, values: map[*tensor.Tensor]*ir.Value{}, used: map[string]bool{}}
	if m != nil {
		for _, lists := range [][]Tensor{m.Params(), m.Buffers()} {
			for _, p := range lists {
				if prev, ok := g.names[p.T]; ok {
					g.setErr(fmt.Errorf("nn: tensor %q is also registered as %q", p.Name, prev))
					continue
				}
				if g.used[p.Name] {
					g.setErr(fmt.Errorf("nn: two tensors are named %q", p.Name))
				}
				g.names[p.T] = p.Name
				g.used[p.Name] = true
			}
		}
	}
	return g
}

// Func returns the function built so far.
func (g *Graph) Func() *ir.Func { return g.f }

// Opset returns the ai.onnx opset of the emitted nodes.
func (g *Graph) Opset() int { return g.opset }

// Err returns the first error met while building, or nil.
func (g *Graph) Err() error { return g.err }

// Updates lists the buffer updates that layers in training mode emitted.
func (g *Graph) Updates() []Update { return g.updates }

// NoiseInputs lists the random inputs that layers in training mode asked
// for.
func (g *Graph) NoiseInputs() []Noise { return g.noise }

func (g *Graph) setErr(err error) {
	if g.err == nil {
		g.err = err
	}
}

// Errorf records an error (the first one wins) and returns a placeholder
// value, so that a layer can write `return g.Errorf(...)`.
func (g *Graph) Errorf(format string, args ...any) *ir.Value {
	g.setErr(fmt.Errorf("nn: "+format, args...))
	return g.placeholder()
}

func (g *Graph) placeholder() *ir.Value {
	return &ir.Value{Name: "invalid", Type: ir.UnrankedTensor(tensor.Float32)}
}

func (g *Graph) fresh(hint string) string {
	for {
		g.next++
		name := fmt.Sprintf("%s_%d", hint, g.next)
		if !g.used[name] {
			g.used[name] = true
			return name
		}
	}
}

// Input adds a graph input. A negative dim is symbolic ("N").
func (g *Graph) Input(name string, dt tensor.DType, dims ...int64) *ir.Value {
	if g.used[name] {
		return g.Errorf("input name %q is already used", name)
	}
	g.used[name] = true
	ds := make([]ir.Dim, len(dims))
	for i, d := range dims {
		if d < 0 {
			ds[i] = ir.Sym("N")
		} else {
			ds[i] = ir.Known(d)
		}
	}
	return g.f.AddParam(name, ir.TensorOf(dt, ds))
}

// Output appends v to the graph's results under name.
func (g *Graph) Output(name string, v *ir.Value) {
	if g.err != nil {
		return
	}
	if g.used[name] {
		g.setErr(fmt.Errorf("nn: output name %q is already used", name))
		return
	}
	isResult := false
	for _, r := range g.f.Results {
		isResult = isResult || r == v
	}
	if v.Def == nil || isResult {
		// Parameters, constants and values already returned get an
		// Identity so that the result carries the requested name.
		v = g.Op("Identity", []*ir.Value{v})
	}
	g.used[name] = true
	v.Name = name
	g.f.Results = append(g.f.Results, v)
}

// Op emits a node of the ai.onnx domain with one output and returns it.
func (g *Graph) Op(op string, ins []*ir.Value, attrs ...ir.Attr) *ir.Value {
	return g.OpN(op, ins, 1, attrs...)[0]
}

// OpN emits a node with n outputs; the output types are inferred at once,
// so that a shape error names the node that caused it.
func (g *Graph) OpN(op string, ins []*ir.Value, n int, attrs ...ir.Attr) []*ir.Value {
	outs := make([]*ir.Value, n)
	if g.err != nil {
		for i := range outs {
			outs[i] = g.placeholder()
		}
		return outs
	}
	name := g.fresh(op)
	names := make([]string, n)
	for i := range names {
		names[i] = name
		if i > 0 {
			names[i] = fmt.Sprintf("%s:%d", name, i)
		}
	}
	node := g.f.NewNode(op, "", g.opset, ins, names, attrs...)
	node.Name = name
	if node.Schema == nil {
		g.setErr(fmt.Errorf("nn: op %s does not exist in opset %d", op, g.opset))
	} else if err := ir.InferNode(node, g.consts); err != nil {
		g.setErr(fmt.Errorf("nn: %s: %w (inputs %s)", op, err, describe(ins)))
	}
	copy(outs, node.Outputs)
	return outs
}

func describe(vs []*ir.Value) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		if v == nil {
			parts[i] = "-"
			continue
		}
		parts[i] = v.Name + ":" + v.Type.String()
	}
	return strings.Join(parts, ", ")
}

// Const emits a Constant node, so that a model's initializers are its
// parameters and nothing else.
func (g *Graph) Const(t *tensor.Tensor) *ir.Value {
	v := g.Op("Constant", nil, ir.ATensor("value", t))
	g.consts[v] = t
	return v
}

// Scalar emits a float32 scalar constant.
func (g *Graph) Scalar(v float32) *ir.Value { return g.Const(tensor.Scalar(v)) }

// Ints emits a 1-D int64 constant.
func (g *Graph) Ints(v ...int64) *ir.Value {
	return g.Const(tensor.FromSlice(append([]int64{}, v...)))
}

// Param returns the graph value of a parameter or buffer of the module the
// graph was started for: an input named after it with ParamsAsInputs, a
// constant holding a copy of it otherwise. Each tensor gets one value.
func (g *Graph) Param(t *tensor.Tensor) *ir.Value {
	if v := g.values[t]; v != nil {
		return v
	}
	name, ok := g.names[t]
	if !ok {
		return g.Errorf("a layer reads a tensor (shape %v) that is not among the module's parameters or buffers", t.Shape())
	}
	var v *ir.Value
	if g.asInput {
		v = g.f.AddParam(name, ir.TensorOf(t.DType(), ir.DimsOf(t.Shape())))
	} else {
		v = g.f.AddConst(name, t.Clone())
	}
	g.values[t] = v
	return v
}

// NameOf returns the registered name of a parameter or buffer, "" when it
// is not registered. Layers use it to name themselves in errors.
func (g *Graph) NameOf(t *tensor.Tensor) string { return g.names[t] }

// AddUpdate records that buffer t takes value v after a training step.
func (g *Graph) AddUpdate(t *tensor.Tensor, v *ir.Value) {
	name, ok := g.names[t]
	if !ok {
		g.setErr(fmt.Errorf("nn: update of a tensor that is not a registered buffer"))
		return
	}
	g.updates = append(g.updates, Update{Name: name, Value: v})
}

// NewNoise adds an input of uniform [0, 1) numbers of the given static
// shape, to be drawn by the caller for each run.
func (g *Graph) NewNoise(shape []int) *ir.Value {
	name := g.fresh("noise")
	v := g.f.AddParam(name, ir.TensorOf(tensor.Float32, ir.DimsOf(shape)))
	g.noise = append(g.noise, Noise{Input: v, Shape: append([]int{}, shape...)})
	return v
}

// Shape returns the static shape of v, or records an error naming what
// needs it.
func (g *Graph) Shape(v *ir.Value, what string) []int {
	s, ok := v.Type.StaticShape()
	if !ok && g.err == nil {
		g.setErr(fmt.Errorf("nn: %s needs a static input shape, have %s", what, v.Type))
	}
	return s
}

// Rank returns the rank of v, or records an error.
func (g *Graph) Rank(v *ir.Value, what string) int {
	r := v.Type.Rank()
	if r < 0 && g.err == nil {
		g.setErr(fmt.Errorf("nn: %s needs an input of known rank", what))
	}
	return r
}

// Model wraps the built function in a model with the graph's opset.
func (g *Graph) Model() *ir.Model {
	return &ir.Model{Graph: g.f, Opsets: map[string]int{"": g.opset}, IRVersion: 8, ProducerName: "onyx-nn"}
}

// Reduce emits a reduction op (ReduceMean, ReduceSum, ...) over axes
// (all axes when empty), with the axes as an attribute or an input as the
// opset wants.
func (g *Graph) Reduce(op string, x *ir.Value, keepDims bool, axes ...int64) *ir.Value {
	keep := ir.AInt("keepdims", int64(boolInt(keepDims)))
	inputAxes := g.opset >= 18 || op == "ReduceSum" && g.opset >= 13
	switch {
	case len(axes) == 0:
		return g.Op(op, []*ir.Value{x}, keep)
	case inputAxes:
		return g.Op(op, []*ir.Value{x, g.Ints(axes...)}, keep)
	}
	return g.Op(op, []*ir.Value{x}, ir.AInts("axes", axes...), keep)
}
