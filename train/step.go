package train

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/passes"
	"github.com/onyxgo/onyx/passes/autodiff"
	"github.com/onyxgo/onyx/tensor"
)

// Spec describes a batch tensor: its element type and shape, the batch
// first.
type Spec struct {
	DType tensor.DType
	Shape []int
}

func specOf(t *tensor.Tensor) Spec { return Spec{t.DType(), t.Shape()} }

func (s Spec) dims() []int64 {
	d := make([]int64, len(s.Shape))
	for i, v := range s.Shape {
		d[i] = int64(v)
	}
	return d
}

// Step is one compiled IR function for a fixed batch shape. A training
// step runs the model in training mode, the loss, the gradients of the
// trainable parameters (by autodiff) and the buffer updates; an
// evaluation step runs the model in eval mode and the loss.
type Step struct {
	prog      backends.Program
	f         *ir.Func
	trainable []nn.Tensor // gradients come back in this order
	feed      []nn.Tensor // every parameter and buffer the graph reads
	noise     []nn.Noise
	updates   []string
	hasTarget bool
}

// Result is what one run of a Step returns.
type Result struct {
	Loss    float64
	Output  *tensor.Tensor
	Grads   []*tensor.Tensor          // one per trainable parameter (training steps)
	Updates map[string]*tensor.Tensor // new buffer values by name (training steps)
}

// Func returns the step's IR function (for inspection or export).
func (s *Step) Func() *ir.Func { return s.f }

// CompileStep builds and compiles the training step of model m with the
// loss, for batches x and targets y of the given specs; trainable lists
// the parameters to differentiate (the others are fed but frozen). The
// graph's results are "loss", "output", "grad:<param>" and
// "update:<buffer>".
func CompileStep(m nn.Module, loss Loss, x, y Spec, trainable []nn.Tensor) (*Step, error) {
	return compile(m, loss, x, &y, true, trainable)
}

// CompileEval builds and compiles the evaluation step: the model in eval
// mode, with the loss when y is not nil. Results are "output" and "loss".
func CompileEval(m nn.Module, loss Loss, x Spec, y *Spec) (*Step, error) {
	return compile(m, loss, x, y, false, nil)
}

func compile(m nn.Module, loss Loss, x Spec, y *Spec, training bool, trainable []nn.Tensor) (*Step, error) {
	m.SetTraining(training)
	g := nn.NewGraph(m, nn.GraphOptions{Name: "train_step", ParamsAsInputs: true})
	in := g.Input("input", x.DType, x.dims()...)
	var target *ir.Value
	if y != nil {
		target = g.Input("target", y.DType, y.dims()...)
	}
	out := m.Forward(g, in)
	var l *ir.Value
	if target != nil && loss != nil {
		l = loss(g, out, target)
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	g.Output("output", out)
	s := &Step{trainable: trainable, noise: g.NoiseInputs(), hasTarget: l != nil}
	if l != nil {
		if err := checkScalar(l); err != nil {
			return nil, err
		}
		g.Output("loss", l)
	}
	f := g.Func()
	if training {
		if l == nil {
			return nil, fmt.Errorf("train: a training step needs a loss and a target")
		}
		xs := make([]*ir.Value, len(trainable))
		for i, p := range trainable {
			xs[i] = g.Param(p.T)
		}
		grads, err := autodiff.Grad(f, nil, g.Opset(), l, xs, nil)
		if err != nil {
			return nil, fmt.Errorf("train: gradients: %w", err)
		}
		for i, p := range trainable {
			g.Output("grad:"+p.Name, grads[i])
		}
		for _, u := range g.Updates() {
			g.Output("update:"+u.Name, u.Value)
			s.updates = append(s.updates, u.Name)
		}
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	feedNames := map[string]bool{}
	for _, p := range f.Params {
		feedNames[p.Name] = true
	}
	for _, t := range nn.State(m) {
		if feedNames[t.Name] {
			s.feed = append(s.feed, t)
		}
	}
	model := g.Model()
	if err := ir.InferShapes(f); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// The basic cleanups (folding, common subexpressions, dead code) shrink
	// the backward graph; a graph they cannot handle runs as built.
	opt := &ir.Model{Graph: f.Clone(), Opsets: model.Opsets, IRVersion: model.IRVersion}
	if _, err := passes.Run(opt, passes.Options{Level: 1}); err == nil && ir.Check(opt.Graph) == nil {
		f = opt.Graph
	}
	s.f = f
	prog, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		return nil, fmt.Errorf("train: compile: %w", err)
	}
	s.prog = prog
	return s, nil
}

// Run executes the step on a batch. noise holds the values of the noise
// inputs (see NoiseShapes), nil when there are none.
func (s *Step) Run(ctx context.Context, x, y *tensor.Tensor, noise []*tensor.Tensor) (*Result, error) {
	in := map[string]*tensor.Tensor{"input": x}
	if s.hasTarget {
		if y == nil {
			return nil, fmt.Errorf("train: the step needs a target")
		}
		in["target"] = y
	}
	for _, t := range s.feed {
		in[t.Name] = t.T
	}
	if len(noise) != len(s.noise) {
		return nil, fmt.Errorf("train: the step takes %d noise inputs, got %d", len(s.noise), len(noise))
	}
	for i, n := range s.noise {
		in[n.Input.Name] = noise[i]
	}
	out, err := s.prog.Run(ctx, in)
	if err != nil {
		return nil, err
	}
	r := &Result{Output: out["output"]}
	if l := out["loss"]; l != nil {
		r.Loss = l.Float64At(0)
	}
	for _, p := range s.trainable {
		r.Grads = append(r.Grads, out["grad:"+p.Name])
	}
	if len(s.updates) > 0 {
		r.Updates = map[string]*tensor.Tensor{}
		for _, name := range s.updates {
			r.Updates[name] = out["update:"+name]
		}
	}
	return r, nil
}

// NoiseShapes returns the shapes of the noise inputs, which hold uniform
// [0, 1) numbers.
func (s *Step) NoiseShapes() [][]int {
	out := make([][]int, len(s.noise))
	for i, n := range s.noise {
		out[i] = n.Shape
	}
	return out
}

// engine runs training steps over Workers data-parallel replicas: each
// batch is split along its first axis into one shard per replica, the
// replicas run concurrently (each its own compiled program), and their
// gradients, losses and buffer updates are averaged, weighted by shard
// size. Noise is drawn for the whole batch and split the same way, so
// that any number of workers computes what one worker computes.
type engine struct {
	model     nn.Module
	loss      Loss
	trainable []nn.Tensor
	workers   int
	mu        sync.Mutex
	steps     map[string][]*Step
	evals     map[string]*Step
}

func shapeKey(specs ...Spec) string { return fmt.Sprint(specs) }

func split(n, parts int) []int {
	sizes := make([]int, 0, parts)
	for i := 0; i < parts; i++ {
		lo, hi := i*n/parts, (i+1)*n/parts
		if hi > lo {
			sizes = append(sizes, hi-lo)
		}
	}
	return sizes
}

func shardSpec(s Spec, rows int) Spec {
	sh := append([]int{}, s.Shape...)
	sh[0] = rows
	return Spec{s.DType, sh}
}

func (e *engine) replicas(x, y Spec) ([]*Step, []int, error) {
	sizes := split(x.Shape[0], max(e.workers, 1))
	key := shapeKey(x, y)
	e.mu.Lock()
	defer e.mu.Unlock()
	if st, ok := e.steps[key]; ok {
		return st, sizes, nil
	}
	st := make([]*Step, len(sizes))
	for i, n := range sizes {
		// Replicas of the same shard shape still get programs of their own.
		s, err := CompileStep(e.model, e.loss, shardSpec(x, n), shardSpec(y, n), e.trainable)
		if err != nil {
			return nil, nil, err
		}
		st[i] = s
	}
	if e.steps == nil {
		e.steps = map[string][]*Step{}
	}
	e.steps[key] = st
	return st, sizes, nil
}

// trainStep runs one data-parallel training step on batch x, y, drawing
// noise from rng.
func (e *engine) trainStep(ctx context.Context, x, y *tensor.Tensor, rng *rand.Rand) (*Result, error) {
	if x.Rank() == 0 || y.Rank() == 0 || x.Dim(0) != y.Dim(0) {
		return nil, fmt.Errorf("train: batch %v and targets %v must share their first dim", x.Shape(), y.Shape())
	}
	steps, sizes, err := e.replicas(specOf(x), specOf(y))
	if err != nil {
		return nil, err
	}
	total := x.Dim(0)
	// Noise for the whole batch, drawn in one order whatever the split.
	noiseShapes := steps[0].NoiseShapes()
	global := make([]*tensor.Tensor, len(noiseShapes))
	for i, s := range noiseShapes {
		if len(s) == 0 || s[0] != sizes[0] {
			return nil, fmt.Errorf("train: noise input of shape %v is not batch-major", s)
		}
		gs := append([]int{total}, s[1:]...)
		global[i] = tensor.New(tensor.Float32, gs...)
		d := tensor.Data[float32](global[i])
		for j := range d {
			d[j] = rng.Float32()
		}
	}
	results := make([]*Result, len(steps))
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	lo := 0
	for k := range steps {
		n := sizes[k]
		xs, ys := rows(x, lo, lo+n), rows(y, lo, lo+n)
		noise := make([]*tensor.Tensor, len(global))
		for i, gt := range global {
			noise[i] = rows(gt, lo, lo+n)
		}
		lo += n
		run := func() { results[k], errs[k] = steps[k].Run(ctx, xs, ys, noise) }
		if len(steps) == 1 {
			run()
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); run() }()
	}
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("train: worker %d: %w", k, err)
		}
	}
	if len(results) == 1 {
		return results[0], nil
	}
	return merge(results, sizes, total)
}

// merge averages replica results weighted by shard size.
func merge(rs []*Result, sizes []int, total int) (*Result, error) {
	out := &Result{Updates: map[string]*tensor.Tensor{}}
	outs := make([]*tensor.Tensor, len(rs))
	for k, r := range rs {
		w := float64(sizes[k]) / float64(total)
		out.Loss += w * r.Loss
		outs[k] = r.Output
	}
	out.Output = concatRows(outs)
	for i := range rs[0].Grads {
		parts := make([]*tensor.Tensor, len(rs))
		for k, r := range rs {
			parts[k] = r.Grads[i]
		}
		out.Grads = append(out.Grads, weightedSum(parts, sizes, total))
	}
	for name, u := range rs[0].Updates {
		if !u.DType().IsFloat() {
			out.Updates[name] = u // counters move the same on every replica
			continue
		}
		parts := make([]*tensor.Tensor, len(rs))
		for k, r := range rs {
			parts[k] = r.Updates[name]
		}
		out.Updates[name] = weightedSum(parts, sizes, total)
	}
	return out, nil
}

func weightedSum(parts []*tensor.Tensor, sizes []int, total int) *tensor.Tensor {
	acc := make([]float64, parts[0].Len())
	for k, p := range parts {
		w := float64(sizes[k]) / float64(total)
		for i, v := range tensor.Data[float32](p) {
			acc[i] += w * float64(v)
		}
	}
	t := tensor.New(tensor.Float32, parts[0].Shape()...)
	d := tensor.Data[float32](t)
	for i, v := range acc {
		d[i] = float32(v)
	}
	return t
}

// eval runs the evaluation step on one batch (single replica).
func (e *engine) eval(ctx context.Context, x, y *tensor.Tensor) (*Result, error) {
	var ys *Spec
	if y != nil {
		s := specOf(y)
		ys = &s
	}
	key := shapeKey(specOf(x)) + fmt.Sprint(ys)
	e.mu.Lock()
	st, ok := e.evals[key]
	e.mu.Unlock()
	if !ok {
		var err error
		st, err = CompileEval(e.model, e.loss, specOf(x), ys)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		if e.evals == nil {
			e.evals = map[string]*Step{}
		}
		e.evals[key] = st
		e.mu.Unlock()
	}
	return st.Run(ctx, x, y, nil)
}

// rows returns rows [lo, hi) of t along its first axis, as a copy.
func rows(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	if lo == 0 && hi == t.Dim(0) {
		return t
	}
	shape := append([]int{hi - lo}, t.Shape()[1:]...)
	per := len(t.Bytes()) / max(t.Dim(0), 1)
	out, _ := tensor.FromBytes(t.DType(), shape, t.Bytes()[lo*per:hi*per])
	return out
}

// concatRows joins tensors along their first axis.
func concatRows(ts []*tensor.Tensor) *tensor.Tensor {
	n := 0
	var raw []byte
	for _, t := range ts {
		n += t.Dim(0)
		raw = append(raw, t.Bytes()...)
	}
	shape := append([]int{n}, ts[0].Shape()[1:]...)
	out, _ := tensor.FromBytes(ts[0].DType(), shape, raw)
	return out
}
