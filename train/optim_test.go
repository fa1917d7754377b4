package train

import (
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// quadratic runs opt for steps on f(x) = ½·a·x² per coordinate (gradient
// a·x), starting from x0, and returns the trajectory of the first
// coordinate.
func quadratic(t *testing.T, opt Optimizer, a, x0 []float64, steps int) [][]float64 {
	t.Helper()
	p := tensor.New(tensor.Float32, len(x0))
	for i, v := range x0 {
		p.Float32s()[i] = float32(v)
	}
	params := []nn.Tensor{{Name: "x", T: p}}
	var traj [][]float64
	for s := 0; s < steps; s++ {
		g := tensor.New(tensor.Float32, len(x0))
		for i := range x0 {
			g.Float32s()[i] = float32(a[i]) * p.Float32s()[i]
		}
		if err := opt.Step(params, []*tensor.Tensor{g}); err != nil {
			t.Fatal(err)
		}
		row := make([]float64, len(x0))
		for i := range row {
			row[i] = float64(p.Float32s()[i])
		}
		traj = append(traj, row)
	}
	return traj
}

func closeTo(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*(1+math.Abs(want)) || math.IsNaN(got) {
		t.Fatalf("%s = %.9g, want %.9g", what, got, want)
	}
}

func TestSGDClosedForm(t *testing.T) {
	// x_t = (1 - lr·a)^t·x0.
	traj := quadratic(t, NewSGD(0.1), []float64{2}, []float64{3}, 20)
	for s, row := range traj {
		closeTo(t, "SGD", row[0], 3*math.Pow(1-0.1*2, float64(s+1)), 1e-5)
	}
}

func TestMomentumClosedForm(t *testing.T) {
	// Heavy ball on a quadratic: v_t = μ·v_{t-1} + a·x_{t-1}, x_t = x_{t-1} -
	// lr·v_t, a linear recurrence: [x, v]_t = M·[x, v]_{t-1} with
	// M = [[1 - lr·a, -lr·μ], [a, μ]]; its closed form is M^t.
	lr, mu, a, x0 := 0.05, 0.9, 3.0, 2.0
	traj := quadratic(t, NewMomentum(lr, mu, false), []float64{a}, []float64{x0}, 30)
	m := [2][2]float64{{1 - lr*a, -lr * mu}, {a, mu}}
	pow := [2][2]float64{{1, 0}, {0, 1}}
	for s, row := range traj {
		pow = [2][2]float64{
			{m[0][0]*pow[0][0] + m[0][1]*pow[1][0], m[0][0]*pow[0][1] + m[0][1]*pow[1][1]},
			{m[1][0]*pow[0][0] + m[1][1]*pow[1][0], m[1][0]*pow[0][1] + m[1][1]*pow[1][1]},
		}
		closeTo(t, "momentum", row[0], pow[0][0]*x0, 1e-5) // v_0 = 0
		_ = s
	}
}

func TestNesterovFormula(t *testing.T) {
	lr, mu, a := 0.05, 0.9, 3.0
	traj := quadratic(t, NewMomentum(lr, mu, true), []float64{a}, []float64{2}, 25)
	x, v := 2.0, 0.0
	for s, row := range traj {
		g := a * x
		if s == 0 {
			v = g
		} else {
			v = mu*v + g
		}
		x -= lr * (g + mu*v)
		closeTo(t, "Nesterov", row[0], x, 1e-5)
	}
}

func TestAdamFormula(t *testing.T) {
	// The first step moves every coordinate by lr·sign(g) (m̂ = g, v̂ = g²).
	traj := quadratic(t, NewAdam(0.01), []float64{1, 100, 0.001}, []float64{1, -1, 5}, 1)
	closeTo(t, "Adam step 1", traj[0][0], 1-0.01, 1e-6)
	closeTo(t, "Adam step 1", traj[0][1], -1+0.01, 1e-6)
	closeTo(t, "Adam step 1", traj[0][2], 5-0.01, 1e-6)
	// Later steps against the update formula.
	a := 2.0
	traj = quadratic(t, NewAdam(0.1), []float64{a}, []float64{1.5}, 40)
	x, m, v := 1.5, 0.0, 0.0
	for s, row := range traj {
		g := a * x
		m = 0.9*m + 0.1*g
		v = 0.999*v + 0.001*g*g
		k := float64(s + 1)
		x -= 0.1 * (m / (1 - math.Pow(0.9, k))) / (math.Sqrt(v/(1-math.Pow(0.999, k))) + 1e-8)
		closeTo(t, "Adam", row[0], x, 1e-4)
	}
}

func TestAdamWDecoupled(t *testing.T) {
	// With a zero gradient AdamW only decays: x_t = x0·(1 - lr·wd)^t, where
	// Adam's coupled decay would move by lr·sign each step.
	opt := NewAdamW(0.1, 0.5)
	traj := quadratic(t, opt, []float64{0}, []float64{4}, 10)
	for s, row := range traj {
		closeTo(t, "AdamW", row[0], 4*math.Pow(1-0.1*0.5, float64(s+1)), 1e-5)
	}
	coupled := NewAdam(0.1)
	coupled.WeightDecay = 0.5
	traj = quadratic(t, coupled, []float64{0}, []float64{4}, 1)
	closeTo(t, "Adam with L2", traj[0][0], 4-0.1, 1e-5)
}

func TestAdaGradClosedForm(t *testing.T) {
	// On a linear function (constant gradient c) the accumulated squares
	// are k·c², so x_t = x0 - lr·Σ_{k≤t} 1/√k.
	opt := NewAdaGrad(0.3)
	p := tensor.FromSlice([]float32{1})
	sum := 0.0
	for k := 1; k <= 20; k++ {
		g := tensor.FromSlice([]float32{2.5})
		if err := opt.Step([]nn.Tensor{{Name: "x", T: p}}, []*tensor.Tensor{g}); err != nil {
			t.Fatal(err)
		}
		sum += 1 / math.Sqrt(float64(k))
		closeTo(t, "AdaGrad", float64(p.Float32s()[0]), 1-0.3*sum, 1e-5)
	}
}

func TestRMSPropClosedForm(t *testing.T) {
	// Constant gradient c: v_t = (1-α^t)·c², step lr·c/(|c|·√(1-α^t)).
	opt := NewRMSProp(0.01)
	p := tensor.FromSlice([]float32{0})
	x := 0.0
	for k := 1; k <= 20; k++ {
		if err := opt.Step([]nn.Tensor{{Name: "x", T: p}}, []*tensor.Tensor{tensor.FromSlice([]float32{-3})}); err != nil {
			t.Fatal(err)
		}
		x += 0.01 * 3 / (3*math.Sqrt(1-math.Pow(0.99, float64(k))) + 1e-8)
		closeTo(t, "RMSProp", float64(p.Float32s()[0]), x, 1e-5)
	}
	// With momentum, against the formula on the quadratic.
	mom := NewRMSProp(0.01)
	mom.Momentum = 0.5
	traj := quadratic(t, mom, []float64{4}, []float64{1}, 20)
	xv, v, b := 1.0, 0.0, 0.0
	for _, row := range traj {
		g := 4 * xv
		v = 0.99*v + 0.01*g*g
		b = 0.5*b + g/(math.Sqrt(v)+1e-8)
		xv -= 0.01 * b
		closeTo(t, "RMSProp momentum", row[0], xv, 1e-4)
	}
}

func TestAdaDeltaFormula(t *testing.T) {
	traj := quadratic(t, NewAdaDelta(1), []float64{2}, []float64{1}, 30)
	x, v, u := 1.0, 0.0, 0.0
	for _, row := range traj {
		g := 2 * x
		v = 0.9*v + 0.1*g*g
		d := math.Sqrt(u+1e-6) / math.Sqrt(v+1e-6) * g
		u = 0.9*u + 0.1*d*d
		x -= d
		closeTo(t, "AdaDelta", row[0], x, 1e-4)
	}
	// The first step has the closed form √eps/√(0.1·g² + eps)·g.
	g := 2.0
	closeTo(t, "AdaDelta step 1", traj[0][0], 1-math.Sqrt(1e-6)/math.Sqrt(0.1*g*g+1e-6)*g, 1e-6)
}

func TestRegularization(t *testing.T) {
	// SGD with L2 wd on a zero loss: x_t = (1 - lr·wd)^t·x0. With L1:
	// x moves by lr·l1 towards zero each step.
	opt := NewSGD(0.1)
	opt.WeightDecay = 0.2
	traj := quadratic(t, opt, []float64{0}, []float64{2}, 5)
	closeTo(t, "L2", traj[4][0], 2*math.Pow(1-0.02, 5), 1e-6)
	l1 := NewSGD(0.1)
	l1.L1 = 0.5
	traj = quadratic(t, l1, []float64{0, 0}, []float64{2, -2}, 4)
	closeTo(t, "L1 positive", traj[3][0], 2-4*0.05, 1e-6)
	closeTo(t, "L1 negative", traj[3][1], -2+4*0.05, 1e-6)
}

func TestOptimizerState(t *testing.T) {
	// Saving and restoring the state continues the same trajectory.
	a := []float64{1.5}
	ref := quadratic(t, NewAdam(0.05), a, []float64{2}, 10)
	first := NewAdam(0.05)
	part := quadratic(t, first, a, []float64{2}, 4)
	second := NewAdam(0.05)
	if err := second.SetState(first.State()); err != nil {
		t.Fatal(err)
	}
	rest := quadratic(t, second, a, []float64{part[3][0]}, 6)
	if rest[5][0] != ref[9][0] {
		t.Fatalf("restored Adam ends at %g, uninterrupted at %g", rest[5][0], ref[9][0])
	}
	bad := []nn.Tensor{{Name: "step", T: tensor.FromSlice([]float32{1})}}
	if err := second.SetState(bad); err == nil {
		t.Fatal("float step count accepted")
	}
	if err := NewSGD(1).Step([]nn.Tensor{{Name: "w", T: tensor.New(tensor.Float32, 2)}}, []*tensor.Tensor{tensor.New(tensor.Float32, 3)}); err == nil ||
		!strings.Contains(err.Error(), `"w"`) {
		t.Fatalf("shape mismatch error %v", err)
	}
}

func TestClipping(t *testing.T) {
	g1 := tensor.FromSlice([]float32{3, 0})
	g2 := tensor.FromSlice([]float32{0, 4})
	norm := ClipGradNorm([]*tensor.Tensor{g1, g2}, 1)
	closeTo(t, "norm", norm, 5, 0)
	closeTo(t, "clipped", float64(g1.Float32s()[0]), 0.6, 1e-5)
	closeTo(t, "clipped", float64(g2.Float32s()[1]), 0.8, 1e-5)
	g := tensor.FromSlice([]float32{-3, 0.5, 7})
	ClipGradValue([]*tensor.Tensor{g}, 1)
	if d := g.Float32s(); d[0] != -1 || d[1] != 0.5 || d[2] != 1 {
		t.Fatalf("clip by value %v", d)
	}
}

func TestSchedules(t *testing.T) {
	for e := 0; e < 12; e++ {
		closeTo(t, "StepLR", StepLR{Base: 0.1, Size: 3, Gamma: 0.5}.LR(e), 0.1*math.Pow(0.5, float64(e/3)), 1e-12)
		k := 0
		if e >= 2 {
			k++
		}
		if e >= 7 {
			k++
		}
		closeTo(t, "MultiStepLR", MultiStepLR{Base: 1, Milestones: []int{2, 7}, Gamma: 0.1}.LR(e), math.Pow(0.1, float64(k)), 1e-12)
		closeTo(t, "ExponentialLR", ExponentialLR{Base: 2, Gamma: 0.9}.LR(e), 2*math.Pow(0.9, float64(e)), 1e-12)
	}
	c := CosineLR{Base: 1, Min: 0.1, TMax: 10}
	closeTo(t, "cosine start", c.LR(0), 1, 1e-12)
	closeTo(t, "cosine middle", c.LR(5), 0.55, 1e-12)
	closeTo(t, "cosine end", c.LR(10), 0.1, 1e-12)
	closeTo(t, "cosine after", c.LR(15), 0.1, 1e-12)
	w := Warmup{Steps: 4, StartFactor: 0.25, Then: Constant(0.8)}
	for s, want := range []float64{0.2, 0.35, 0.5, 0.65, 0.8, 0.8} {
		closeTo(t, "warm-up", w.LR(s), want, 1e-12)
	}
	// Reduce on plateau: patience 2, the metric stalls from epoch 2 on.
	p := NewReduceOnPlateau(1, 0.5, 2)
	var lrs []float64
	for _, m := range []float64{5, 4, 4, 4, 4, 4, 4, 4, 3} {
		p.Observe(m)
		lrs = append(lrs, p.LR(0))
	}
	want := []float64{1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25}
	for i := range want {
		closeTo(t, "plateau", lrs[i], want[i], 0)
	}
	b, _ := p.MarshalState()
	q := NewReduceOnPlateau(9, 0.5, 2)
	if err := q.UnmarshalState(b); err != nil || q.LR(0) != 0.25 {
		t.Fatalf("plateau state: %v %g", err, q.LR(0))
	}
}
