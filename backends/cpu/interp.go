package cpu

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes/autodiff"
	"github.com/onyxgo/onyx/tensor"
)

// Backend is the CPU backend.
type Backend struct{}

func init() { backends.Register(Backend{}) }

// Name returns "cpu".
func (Backend) Name() string { return "cpu" }

// Supports reports whether a kernel exists for the node's op and opset.
func (Backend) Supports(n *ir.Node) bool { return len(kernels.Lookup(n)) > 0 }

// Compile resolves a kernel for every node of f and its subgraphs.
func (Backend) Compile(f *ir.Func, o backends.Options) (backends.Program, error) {
	return Compile(f, o)
}

// UnsupportedError reports an op for which no kernel exists.
type UnsupportedError struct {
	Op     string
	Domain string
	Opset  int
	Node   string
}

func (e *UnsupportedError) Error() string {
	op := e.Op
	if e.Domain != "" {
		op = e.Domain + ":" + e.Op
	}
	return fmt.Sprintf("unsupported op %s (opset %d) at node %q", op, e.Opset, e.Node)
}

// Program is a graph compiled for the reference interpreter. It holds no
// per-run state, so concurrent Runs are safe.
type Program struct {
	f     *ir.Func
	opts  backends.Options
	steps []step
	// lastUse[i] lists the values whose last reader is step i, freed after it.
	lastUse   [][]*ir.Value
	subs      map[*ir.Func]*Program
	nodeIndex map[*ir.Node]int
	// precomputed holds the values of nodes computed from constants
	// alone, evaluated once at compile time; skip marks their steps.
	precomputed map[*ir.Value]tensor.Value
	skip        []bool
	// fused[i] is the activation applied in place after step i, if any.
	fused []*fusedAct
}

type step struct {
	node    *ir.Node
	kernels []kernels.KernelDef
}

// Compile builds a Program for f. Gradient nodes (ONNX training domain)
// are first expanded into backward nodes by the autodiff pass, on a copy:
// f itself is not changed.
func Compile(f *ir.Func, o backends.Options) (*Program, error) {
	if hasGradientOps(f) {
		g := f.Clone()
		if _, err := autodiff.ExpandGradientOps(g); err != nil {
			return nil, err
		}
		f = g
	}
	p := &Program{f: f, opts: o, subs: map[*ir.Func]*Program{}, nodeIndex: map[*ir.Node]int{}}
	if err := p.compile(f, p); err != nil {
		return nil, err
	}
	p.precompute()
	return p, nil
}

// Nondeterministic reports whether an op of the default domain draws
// random values, so that neither the optimizer nor the interpreter may
// evaluate it ahead of a run.
func Nondeterministic(op string) bool { return nondeterministic[op] }

// nondeterministic ops are never evaluated ahead of a run.
var nondeterministic = map[string]bool{
	"RandomNormal": true, "RandomUniform": true, "RandomNormalLike": true,
	"RandomUniformLike": true, "Bernoulli": true, "Multinomial": true, "Dropout": true,
}

// precompute evaluates, once, the top-level nodes whose inputs are all
// constants or values precomputed before them (weights a model builds with
// ConstantOfShape, arithmetic the optimizer left over constants too large
// to store in the file, shape computations). Runs then start from their
// results. A node that fails here is left to fail, or not, at run time.
func (p *Program) precompute() {
	p.precomputed = map[*ir.Value]tensor.Value{}
	p.skip = make([]bool, len(p.steps))
	fr := &frame{vals: map[*ir.Value]tensor.Value{}}
	for _, c := range p.f.Consts {
		fr.vals[c] = c.Const
	}
	for i := range p.steps {
		st := &p.steps[i]
		n := st.node
		if nondeterministic[n.Op] || len(n.Subgraphs()) > 0 || len(n.Inputs) == 0 && n.Op != "Constant" {
			continue
		}
		ins := make([]tensor.Value, len(n.Inputs))
		ok := true
		for j, v := range n.Inputs {
			if v == nil {
				continue
			}
			x, found := fr.vals[v]
			if !found {
				ok = false
				break
			}
			ins[j] = x
		}
		if !ok {
			continue
		}
		outs, err := p.runNode(context.Background(), fr, st, ins)
		if err != nil {
			continue
		}
		for j, o := range n.Outputs {
			if o != nil && j < len(outs) {
				fr.vals[o] = outs[j]
				p.precomputed[o] = outs[j]
			}
		}
		p.skip[i] = true
	}
}

func (p *Program) compile(f *ir.Func, root *Program) error {
	p.f = f
	keep := map[*ir.Value]bool{}
	for _, r := range f.Results {
		keep[r] = true
	}
	last := map[*ir.Value]int{}
	for i, n := range f.Nodes {
		ks := kernels.Lookup(n)
		if len(ks) == 0 {
			return &UnsupportedError{Op: n.Op, Domain: n.Domain, Opset: n.Opset, Node: nodeLabel(n)}
		}
		p.steps = append(p.steps, step{node: n, kernels: ks})
		root.nodeIndex[n] = len(root.nodeIndex)
		for _, in := range n.Inputs {
			if in != nil {
				last[in] = i
			}
		}
		// Values captured by subgraphs stay alive while the node runs.
		for _, g := range n.Subgraphs() {
			sub := &Program{opts: p.opts, subs: root.subs, nodeIndex: root.nodeIndex}
			if err := sub.compile(g, root); err != nil {
				return err
			}
			root.subs[g] = sub
			for v := range g.Captured() {
				last[v] = max(last[v], i)
			}
		}
	}
	p.planFusions()
	p.lastUse = make([][]*ir.Value, len(f.Nodes))
	for v, i := range last {
		if !keep[v] && !v.IsConst() {
			p.lastUse[i] = append(p.lastUse[i], v)
		}
	}
	return nil
}

func hasGradientOps(f *ir.Func) bool {
	found := false
	f.Walk(func(_ *ir.Func, n *ir.Node) {
		if n.Op == "Gradient" && ir.NormDomain(n.Domain) == autodiff.TrainingDomain {
			found = true
		}
	})
	return found
}

func nodeLabel(n *ir.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 && n.Outputs[0] != nil {
		return n.Op + "->" + n.Outputs[0].Name
	}
	return n.Op
}

// frame holds the values of one execution of a Func; parent links to the
// frame of the enclosing graph for outer-scope reads.
type frame struct {
	vals   map[*ir.Value]tensor.Value
	parent *frame
}

func (fr *frame) get(v *ir.Value) (tensor.Value, bool) {
	for f := fr; f != nil; f = f.parent {
		if x, ok := f.vals[v]; ok {
			return x, true
		}
	}
	return nil, false
}

// Run executes the program on tensor inputs.
func (p *Program) Run(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	vin := make(map[string]tensor.Value, len(in))
	for k, v := range in {
		vin[k] = v
	}
	outs, err := p.RunValues(ctx, vin)
	if err != nil {
		return nil, err
	}
	res := make(map[string]*tensor.Tensor, len(outs))
	for k, v := range outs {
		t, ok := v.(*tensor.Tensor)
		if !ok {
			return nil, fmt.Errorf("output %q is a %T; use RunValues for non-tensor outputs", k, v)
		}
		res[k] = t
	}
	return res, nil
}

// RunValues executes the program on values of any kind.
func (p *Program) RunValues(ctx context.Context, in map[string]tensor.Value) (map[string]tensor.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	args := make([]tensor.Value, len(p.f.Params))
	known := map[string]bool{}
	for i, prm := range p.f.Params {
		known[prm.Name] = true
		v, ok := in[prm.Name]
		if !ok || v == nil {
			if prm.Const != nil {
				args[i] = prm.Const
				continue
			}
			if prm.Type.Kind == ir.KindOptional {
				args[i] = &tensor.Optional{}
				continue
			}
			return nil, fmt.Errorf("%smissing input %q of type %s", p.modelPrefix(), prm.Name, prm.Type)
		}
		if err := CheckValue(prm, v); err != nil {
			return nil, fmt.Errorf("%s%w", p.modelPrefix(), err)
		}
		args[i] = v
	}
	for name := range in {
		if !known[name] {
			return nil, fmt.Errorf("%sunknown input %q (inputs are %v)", p.modelPrefix(), name, paramNames(p.f))
		}
	}
	res, err := p.exec(ctx, nil, args)
	if err != nil {
		return nil, err
	}
	out := make(map[string]tensor.Value, len(res))
	for i, r := range p.f.Results {
		out[r.Name] = res[i]
	}
	return out, nil
}

func (p *Program) modelPrefix() string {
	if p.opts.ModelName != "" {
		return "model " + p.opts.ModelName + ": "
	}
	return ""
}

func paramNames(f *ir.Func) []string {
	var ns []string
	for _, v := range f.Params {
		ns = append(ns, v.Name)
	}
	return ns
}

// CheckValue reports whether value v may be fed to parameter prm: its kind,
// element type and known dims must match.
func CheckValue(prm *ir.Value, v tensor.Value) error {
	want := prm.Type
	switch x := v.(type) {
	case *tensor.Tensor:
		if want.Kind != ir.KindTensor && want.Kind != ir.KindUnknown {
			return fmt.Errorf("input %q: got a tensor, want %s", prm.Name, want)
		}
		if want.Elem != tensor.Undefined && x.DType() != want.Elem {
			return fmt.Errorf("input %q: got element type %s, want %s (shape %v)", prm.Name, x.DType(), want.Elem, x.Shape())
		}
		if want.HasShape {
			if len(want.Shape) != x.Rank() {
				return fmt.Errorf("input %q: got shape %v, want %s", prm.Name, x.Shape(), want)
			}
			for i, d := range want.Shape {
				if d.IsKnown() && int64(x.Shape()[i]) != d.Size {
					return fmt.Errorf("input %q: got shape %v, want %s (dim %d)", prm.Name, x.Shape(), want, i)
				}
			}
		}
	case *tensor.Sequence:
		if want.Kind != ir.KindSequence && want.Kind != ir.KindUnknown {
			return fmt.Errorf("input %q: got a sequence, want %s", prm.Name, want)
		}
	case *tensor.Optional:
		if want.Kind != ir.KindOptional && want.Kind != ir.KindUnknown {
			return fmt.Errorf("input %q: got an optional, want %s", prm.Name, want)
		}
	case *tensor.Map:
		if want.Kind != ir.KindMap && want.Kind != ir.KindUnknown {
			return fmt.Errorf("input %q: got a map, want %s", prm.Name, want)
		}
	}
	return nil
}

// graphRunner runs subgraphs of the node being executed, in its frame.
type graphRunner struct {
	root *Program
	ctx  context.Context
	fr   *frame
}

func (g graphRunner) RunGraph(f *ir.Func, args []tensor.Value) ([]tensor.Value, error) {
	sub := g.root.subs[f]
	if sub == nil {
		return nil, fmt.Errorf("subgraph %q was not compiled", f.Name)
	}
	return sub.exec(g.ctx, g.fr, args)
}

// exec runs the Func with the given parameter values inside an optional
// parent frame and returns its results.
func (p *Program) exec(ctx context.Context, parent *frame, args []tensor.Value) ([]tensor.Value, error) {
	f := p.f
	if len(args) != len(f.Params) {
		return nil, fmt.Errorf("graph %q takes %d inputs, got %d", f.Name, len(f.Params), len(args))
	}
	fr := &frame{vals: make(map[*ir.Value]tensor.Value, len(f.Params)+len(f.Consts)+len(f.Nodes)), parent: parent}
	for i, prm := range f.Params {
		fr.vals[prm] = args[i]
	}
	for _, c := range f.Consts {
		fr.vals[c] = c.Const
	}
	for v, x := range p.precomputed {
		fr.vals[v] = x
	}
	root := p
	var done []bool // steps already run by fusion into an earlier one
	for i := range p.steps {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p.skip != nil && p.skip[i] {
			continue
		}
		if done != nil && done[i] {
			for _, v := range p.lastUse[i] {
				delete(fr.vals, v)
			}
			continue
		}
		st := &p.steps[i]
		n := st.node
		ins := make([]tensor.Value, len(n.Inputs))
		for j, v := range n.Inputs {
			if v == nil {
				continue
			}
			x, ok := fr.get(v)
			if !ok {
				return nil, fmt.Errorf("node %q (%s): input %d (%s) has no value", nodeLabel(n), n.OpName(), j, v)
			}
			ins[j] = x
		}
		outs, err := root.runNode(ctx, fr, st, ins)
		if err != nil {
			return nil, err
		}
		for j, o := range n.Outputs {
			if o != nil && j < len(outs) {
				fr.vals[o] = outs[j]
			}
		}
		if fa := p.fused[i]; fa != nil && (p.skip == nil || !p.skip[fa.next]) && len(outs) > 0 && applyFused(fa, outs[0]) {
			if done == nil {
				done = make([]bool, len(p.steps))
			}
			done[fa.next] = true
			if o := p.steps[fa.next].node.Outputs[0]; o != nil {
				fr.vals[o] = outs[0]
			}
		}
		for _, v := range p.lastUse[i] {
			delete(fr.vals, v)
		}
	}
	res := make([]tensor.Value, len(f.Results))
	for i, r := range f.Results {
		x, ok := fr.get(r)
		if !ok {
			return nil, fmt.Errorf("graph %q: result %s has no value", f.Name, r)
		}
		res[i] = x
	}
	return res, nil
}

// runNode picks the kernel for the node's input types and runs it,
// turning a panic into an error that names the node.
func (p *Program) runNode(ctx context.Context, fr *frame, st *step, ins []tensor.Value) (outs []tensor.Value, err error) {
	n := st.node
	k, err := chooseKernel(st, ins)
	if err != nil {
		return nil, err
	}
	stable := make([]bool, len(n.Inputs))
	for i, v := range n.Inputs {
		if v != nil {
			_, pre := p.precomputed[v]
			stable[i] = v.IsConst() || pre
		}
	}
	c := &kernels.Ctx{Node: n, Opset: n.Opset, Context: ctx, Stable: stable,
		Seed: uint64(p.opts.Seed)*0x9e3779b97f4a7c15 + uint64(p.nodeIndex[n]), Graphs: graphRunner{p, ctx, fr}}
	defer func() {
		if r := recover(); r != nil {
			var se *tensor.SizeError
			if e, ok := r.(error); ok && errors.As(e, &se) {
				err = fmt.Errorf("node %q (%s): %w", nodeLabel(n), n.OpName(), se)
				return
			}
			err = fmt.Errorf("node %q (%s): internal error: %v\n%s", nodeLabel(n), n.OpName(), r, debug.Stack())
		}
	}()
	outs, err = k.Run(c, ins)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s): %w", nodeLabel(n), n.OpName(), err)
	}
	if len(outs) < countOutputs(n) {
		return nil, fmt.Errorf("node %q (%s): kernel returned %d outputs, node has %d", nodeLabel(n), n.OpName(), len(outs), len(n.Outputs))
	}
	return outs, nil
}

func countOutputs(n *ir.Node) int {
	c := 0
	for i, o := range n.Outputs {
		if o != nil {
			c = i + 1
		}
	}
	return c
}

func chooseKernel(st *step, ins []tensor.Value) (*kernels.KernelDef, error) {
	var dt tensor.DType
	for i := range st.kernels {
		k := &st.kernels[i]
		if k.Types == nil {
			return k, nil
		}
		if k.TypeInput < len(ins) {
			if t, ok := ins[k.TypeInput].(*tensor.Tensor); ok {
				dt = t.DType()
				for _, d := range k.Types {
					if d == dt {
						return k, nil
					}
				}
			}
		}
	}
	n := st.node
	return nil, fmt.Errorf("node %q: unsupported op %s (opset %d) for element type %s", nodeLabel(n), n.OpName(), n.Opset, dt)
}
