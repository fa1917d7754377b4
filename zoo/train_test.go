package zoo

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/passes/autodiff"
	"github.com/onyxgo/onyx/tensor"
)

// trainer runs one training step of a module as one compiled graph: the
// loss, the gradient of every parameter (autodiff.Grad) and the new
// running statistics; step applies SGD with momentum to the module's
// tensors in place.
type trainer struct {
	prog     *cpu.Program
	params   []nn.Tensor
	grads    []string
	velocity []*tensor.Tensor
	second   []*tensor.Tensor // Adam's second moments; nil for SGD
	adam     bool
	steps    int
	updates  []nn.Update
	buffers  map[string]*tensor.Tensor
	noise    []nn.Noise
	rng      *rand.Rand
	lr, mom  float32
}

// lossGraph builds m's graph for inputs of the given shape, parameters
// as inputs, ending in a scalar loss: a softmax cross-entropy over
// integer labels, or with regression the mean squared error against a
// float target shaped like the output. A model with auxiliary outputs
// (AuxModule) adds 0.3 times their losses.
func lossGraph(t *testing.T, m nn.Module, shape []int64, regression bool) (*nn.Graph, *ir.Value) {
	t.Helper()
	g := nn.NewGraph(m, nn.GraphOptions{ParamsAsInputs: true})
	x := g.Input("input", tensor.Float32, shape...)
	var y *ir.Value
	var aux []*ir.Value
	if am, ok := m.(AuxModule); ok {
		y, aux = am.ForwardAux(g, x)
	} else {
		y = m.Forward(g, x)
	}
	var loss *ir.Value
	if regression {
		var dims []int64
		for _, d := range g.Shape(y, "the target") {
			dims = append(dims, int64(d))
		}
		target := g.Input("target", tensor.Float32, dims...)
		d := g.Op("Sub", []*ir.Value{y, target})
		loss = g.Reduce("ReduceMean", g.Op("Mul", []*ir.Value{d, d}), false)
	} else {
		labels := g.Input("labels", tensor.Int64, shape[0])
		loss = g.Op("SoftmaxCrossEntropyLoss", []*ir.Value{y, labels})
		// GoogLeNet's auxiliary classifiers weigh 0.3 each, as in the paper.
		for _, a := range aux {
			l := g.Op("SoftmaxCrossEntropyLoss", []*ir.Value{a, labels})
			loss = g.Op("Add", []*ir.Value{loss, g.Op("Mul", []*ir.Value{l, g.Scalar(0.3)})})
		}
	}
	g.Output("loss", loss)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	return g, loss
}

// newTrainer builds the training step of m (in training mode) for
// inputs of the given shape and the loss of lossGraph, with SGD of
// learning rate lr and momentum mom.
func newTrainer(t *testing.T, m nn.Module, shape []int64, regression bool, lr, mom float32) *trainer {
	t.Helper()
	m.SetTraining(true)
	g, loss := lossGraph(t, m, shape, regression)
	tr := &trainer{params: m.Params(), updates: g.Updates(), noise: g.NoiseInputs(), buffers: map[string]*tensor.Tensor{},
		rng: rand.New(rand.NewPCG(5, 5)), lr: lr, mom: mom}
	f := g.Func()
	var xs []*ir.Value
	for _, p := range tr.params {
		xs = append(xs, g.Param(p.T))
		tr.velocity = append(tr.velocity, tensor.New(tensor.Float32, p.T.Shape()...))
		tr.second = append(tr.second, tensor.New(tensor.Float32, p.T.Shape()...))
	}
	for _, b := range m.Buffers() {
		tr.buffers[b.Name] = b.T
	}
	grads, err := autodiff.Grad(f, nil, g.Opset(), loss, xs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, gv := range grads {
		gv.Name = "grad." + tr.params[i].Name
		tr.grads = append(tr.grads, gv.Name)
		f.Results = append(f.Results, gv)
	}
	for i, u := range tr.updates {
		v := f.NewNode("Identity", "", g.Opset(), []*ir.Value{u.Value}, []string{"update." + u.Name}).Outputs[0]
		tr.updates[i].Value = v
		f.Results = append(f.Results, v)
	}
	if err := ir.InferShapes(f); err != nil {
		t.Fatal(err)
	}
	if err := ir.Check(f); err != nil {
		t.Fatal(err)
	}
	if tr.prog, err = cpu.Compile(f, backends.Options{}); err != nil {
		t.Fatal(err)
	}
	return tr
}

// run runs the step's graph on x with the given labels or target, the
// module's current tensors and fresh noise.
func (tr *trainer) run(t *testing.T, x, y *tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	in := map[string]*tensor.Tensor{"input": x}
	if y.DType() == tensor.Int64 {
		in["labels"] = y
	} else {
		in["target"] = y
	}
	for _, p := range tr.params {
		in[p.Name] = p.T
	}
	for name, b := range tr.buffers {
		in[name] = b
	}
	for _, n := range tr.noise {
		u := tensor.New(tensor.Float32, n.Shape...)
		for i, d := 0, u.Float32s(); i < len(d); i++ {
			d[i] = tr.rng.Float32()
		}
		in[n.Input.Name] = u
	}
	out, err := tr.prog.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// step runs one training step on x with the given labels or target and
// returns the loss before the update.
func (tr *trainer) step(t *testing.T, x, y *tensor.Tensor) float64 {
	t.Helper()
	out := tr.run(t, x, y)
	tr.steps++
	for i, p := range tr.params {
		w, gr, v := p.T.Float32s(), out[tr.grads[i]].Float32s(), tr.velocity[i].Float32s()
		if !tr.adam {
			for j := range w {
				v[j] = tr.mom*v[j] + gr[j]
				w[j] -= tr.lr * v[j]
			}
			continue
		}
		// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
		s := tr.second[i].Float32s()
		c1 := 1 - math.Pow(0.9, float64(tr.steps))
		c2 := 1 - math.Pow(0.999, float64(tr.steps))
		for j := range w {
			v[j] = 0.9*v[j] + 0.1*gr[j]
			s[j] = 0.999*s[j] + 0.001*gr[j]*gr[j]
			w[j] -= float32(float64(tr.lr) * float64(v[j]) / c1 / (math.Sqrt(float64(s[j])/c2) + 1e-8))
		}
	}
	for _, u := range tr.updates {
		copy(tr.buffers[u.Name].Bytes(), out[u.Value.Name].Bytes())
	}
	return out["loss"].Float64At(0)
}

// TestOverfit trains each small model on one small batch until the loss
// is near zero: a check that forward graph, gradients and parameter
// names fit together. The ImageNet models (at reduced sizes) follow with
// ONYX_ZOO_FULL=1.
func TestOverfit(t *testing.T) {
	cases := []struct {
		name    string
		o       Options
		batch   int
		size    int
		lr, mom float32 // SGD, or Adam when mom is negative
		steps   int
		goal    float64
		slow    bool
	}{
		{name: "linear-regression", batch: 16, lr: 0.1, steps: 300, goal: 1e-6},
		{name: "softmax-regression", batch: 8, lr: 0.05, mom: 0.9, steps: 100, goal: 0.01},
		{name: "mlp", batch: 8, lr: 0.05, mom: 0.9, steps: 100, goal: 0.01},
		// Sigmoid layers on noise images plateau for a long time under
		// SGD; Adam's per-parameter scaling gets through.
		{name: "lenet5", batch: 8, lr: 0.01, mom: -1, steps: 400, goal: 0.01},
		{name: "nin", o: Options{Dropout: -1}, batch: 4, size: 67, lr: 0.001, mom: -1, steps: 400, goal: 0.05, slow: true},
		{name: "alexnet", o: Options{Dropout: -1}, batch: 4, size: 63, lr: 1e-4, mom: -1, steps: 100, goal: 0.05, slow: true},
		{name: "vgg11", o: Options{Dropout: -1}, batch: 4, size: 32, lr: 1e-4, mom: -1, steps: 100, goal: 0.05, slow: true},
		{name: "googlenet", o: Options{AuxHeads: true, Dropout: -1}, batch: 4, size: 32, lr: 1e-3, mom: -1, steps: 100, goal: 0.05, slow: true},
		{name: "resnet18", batch: 4, size: 32, lr: 1e-3, mom: -1, steps: 100, goal: 0.05, slow: true},
		{name: "densenet121", batch: 4, size: 32, lr: 1e-3, mom: -1, steps: 100, goal: 0.05, slow: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && !full() {
				t.Skip("ONYX_ZOO_FULL=1 runs it")
			}
			c.o.Seed = 11
			if c.name != "linear-regression" {
				c.o.NumClasses = 10
			}
			m, spec, err := New(c.name, c.o)
			if err != nil {
				t.Fatal(err)
			}
			shape := spec.WithBatchAndSize(c.batch, c.size)
			r := rand.New(rand.NewPCG(3, 4))
			x := randImage(r, shape)
			var y *tensor.Tensor
			if c.name == "linear-regression" {
				// The textbook's data: y = 2·x₁ - 3.4·x₂ + 4.2.
				y = tensor.New(tensor.Float32, c.batch, 1)
				xs := x.Float32s()
				for i := range y.Float32s() {
					y.Float32s()[i] = 2*xs[2*i] - 3.4*xs[2*i+1] + 4.2
				}
			} else {
				y = tensor.New(tensor.Int64, c.batch)
				for i := range y.Int64s() {
					y.Int64s()[i] = int64(r.IntN(10))
				}
			}
			tr := newTrainer(t, m, shape, y.DType() == tensor.Float32, c.lr, c.mom)
			tr.adam = c.mom < 0
			first, loss := 0.0, 0.0
			for i := 0; i < c.steps; i++ {
				loss = tr.step(t, x, y)
				if i == 0 {
					first = loss
				}
				if i%10 == 0 {
					t.Logf("step %d loss %g", i, loss)
				}
				if loss < c.goal {
					t.Logf("loss %g → %g in %d steps", first, loss, i)
					return
				}
			}
			t.Fatalf("loss %g → %g after %d steps, want under %g", first, loss, c.steps, c.goal)
		})
	}
}

// TestGradientAlongDescent checks each model's gradient (autodiff over
// the whole training graph: BatchNorm in training mode, concatenations,
// pooling, the auxiliary heads) against the loss itself: moving all
// parameters a small step ±h along u = ∇L/|∇L|, the change of the loss
// L(w⁺) - L(w⁻) must be ∇L·(w⁺ - w⁻) within 1% (w± are the float32
// parameters actually reached, so that rounding does not bias the
// check). The ImageNet models run at reduced sizes; AlexNet, VGG-11 and
// ResNet-50 only with ONYX_ZOO_FULL=1. ZOO_SLOPES=1 logs the ratio for
// a range of steps.
func TestGradientAlongDescent(t *testing.T) {
	cases := []struct {
		name        string
		o           Options
		batch, size int
		slow        bool
	}{
		{name: "mlp", batch: 4},
		{name: "lenet5", batch: 4},
		{name: "nin", batch: 2, size: 67},
		// BatchNorm over few values (a 1×1 map, a small batch) makes the
		// loss steep and curved: 64×64 inputs keep the check sharp.
		{name: "resnet18", batch: 2, size: 64},
		{name: "googlenet", o: Options{AuxHeads: true}, batch: 2, size: 64},
		{name: "densenet121", batch: 2, size: 64},
		{name: "alexnet", batch: 2, size: 63, slow: true},
		{name: "vgg11", batch: 2, size: 32, slow: true},
		{name: "resnet50", batch: 2, size: 64, slow: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.slow && !full() {
				t.Skip("ONYX_ZOO_FULL=1 runs it")
			}
			c.o.Seed, c.o.NumClasses, c.o.Dropout = 5, 10, -1
			m, spec, err := New(c.name, c.o)
			if err != nil {
				t.Fatal(err)
			}
			shape := spec.WithBatchAndSize(c.batch, c.size)
			r := rand.New(rand.NewPCG(7, 8))
			x := randImage(r, shape)
			y := tensor.New(tensor.Int64, c.batch)
			for i := range y.Int64s() {
				y.Int64s()[i] = int64(r.IntN(10))
			}
			tr := newTrainer(t, m, shape, false, 0, 0)
			out := tr.run(t, x, y)
			// The loss alone, for the differences.
			lg, _ := lossGraph(t, m, shape, false)
			if err := ir.InferShapes(lg.Func()); err != nil {
				t.Fatal(err)
			}
			fwd, err := cpu.Compile(lg.Func(), backends.Options{})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*tensor.Tensor{"input": x, "labels": y}
			for _, p := range nn.State(m) {
				in[p.Name] = p.T
			}
			norm := 0.0
			for i := range tr.params {
				for _, v := range out[tr.grads[i]].Float32s() {
					norm += float64(v) * float64(v)
				}
			}
			norm = math.Sqrt(norm)
			if norm == 0 || math.IsNaN(norm) {
				t.Fatalf("gradient norm %g", norm)
			}
			// Move every parameter by s·h·g/|g|, run, and restore. h is
			// small enough that few ReLUs flip (the loss moves by about
			// 2e-3) and large enough for float32's rounding of the loss.
			h := math.Min(1e-2, 2e-3/norm)
			// lossAt moves the parameters to w + s·h·g/|g| (rounded to
			// float32), runs, restores them, and returns the loss with the
			// first-order change the move predicts, Σ g·(w' - w) over
			// the moves actually made.
			lossAt := func(s float64) (loss, predicted float64) {
				saved := make([][]float32, len(tr.params))
				for i, p := range tr.params {
					w := p.T.Float32s()
					saved[i] = append([]float32{}, w...)
					for j, g := range out[tr.grads[i]].Float32s() {
						w[j] += float32(s * h * float64(g) / norm)
						predicted += float64(g) * float64(w[j]-saved[i][j])
					}
				}
				res, err := fwd.Run(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range tr.params {
					copy(p.T.Float32s(), saved[i])
				}
				return res["loss"].Float64At(0), predicted
			}
			ratio := func() float64 {
				up, pu := lossAt(1)
				down, pd := lossAt(-1)
				return (up - down) / (pu - pd)
			}
			if os.Getenv("ZOO_SLOPES") != "" {
				base := h
				for _, k := range []float64{30, 10, 3, 1, 0.3, 0.1} {
					h = base * k
					t.Logf("h %g: measured/predicted change %g", h, ratio())
				}
				h = base
			}
			q := ratio()
			t.Logf("loss %g, |∇L| %g, measured/predicted change %g", out["loss"].Float64At(0), norm, q)
			if math.Abs(q-1) > 0.01 {
				t.Fatalf("along the gradient the loss changes %g times as much as the gradient predicts", q)
			}
		})
	}
}
