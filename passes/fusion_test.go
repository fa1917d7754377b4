package passes

import (
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// fusionCase is a graph holding patterns, and the counts of some ops the
// standard pipeline must leave.
type fusionCase struct {
	name  string
	model string
	want  map[string]int
}

var fusionCases = []fusionCase{
	{"layernorm/torch", `model ir=8 opset(""=17)
func g(%a: f32[2,3,8], %b: f32[2,3,8], %gamma: f32[8], %beta: f32[8]) -> (%y) {
  %x = Add(%a, %b)
  %mean = ReduceMean(%x) {axes = [-1]}
  %d = Sub(%x, %mean)
  %two = Constant() {value = f32[] [2]}
  %sq = Pow(%d, %two)
  %var = ReduceMean(%sq) {axes = [-1]}
  %eps = Constant() {value = f32[] [1e-05]}
  %ve = Add(%var, %eps)
  %std = Sqrt(%ve)
  %n = Div(%d, %std)
  %s = Mul(%n, %gamma)
  %y = Add(%s, %beta)
}`, map[string]int{"LayerNormalization": 1, "ReduceMean": 0, "Add": 1}},

	{"layernorm/reciprocal-two-axes", `model ir=8 opset(""=18)
func g(%x: f32[2,3,4], %gamma: f32[3,4], %beta: f32[4]) -> (%y) {
  const %axes: i64[2] = [-2, -1]
  const %eps: f32[] = [0.001]
  %mean = ReduceMean(%x, %axes)
  %d = Sub(%x, %mean)
  %sq = Mul(%d, %d)
  %var = ReduceMean(%sq, %axes)
  %ve = Add(%eps, %var)
  %std = Sqrt(%ve)
  %r = Reciprocal(%std)
  %n = Mul(%r, %d)
  %s = Mul(%gamma, %n)
  %y = Add(%beta, %s)
}`, map[string]int{"LayerNormalization": 1, "Reciprocal": 0}},

	{"rmsnorm/llama", `model ir=8 opset(""=23)
func g(%x: f32[2,3,8], %w: f32[8]) -> (%y) {
  const %two: f32[] = [2]
  const %one: f32[] = [1]
  const %axes: i64[1] = [-1]
  const %eps: f32[] = [1e-06]
  %sq = Pow(%x, %two)
  %ms = ReduceMean(%sq, %axes)
  %a = Add(%ms, %eps)
  %r = Sqrt(%a)
  %inv = Div(%one, %r)
  %n = Mul(%x, %inv)
  %y = Mul(%w, %n)
}`, map[string]int{"RMSNormalization": 1, "ReduceMean": 0}},

	{"layernorm-and-rmsnorm", `model ir=8 opset(""=23)
func g(%x: f32[2,6]) -> (%y, %z) {
  const %axes: i64[1] = [1]
  const %eps: f32[] = [1e-05]
  %mean = ReduceMean(%x, %axes)
  %d = Sub(%x, %mean)
  %sq = Mul(%d, %d)
  %var = ReduceMean(%sq, %axes)
  %ve = Add(%var, %eps)
  %std = Sqrt(%ve)
  %y = Div(%d, %std)
  %sq2 = Mul(%y, %y)
  %ms2 = ReduceMean(%sq2, %axes)
  %a2 = Add(%ms2, %eps)
  %r2 = Sqrt(%a2)
  %z = Div(%y, %r2)
}`, map[string]int{"LayerNormalization": 1, "RMSNormalization": 1, "Sub": 0}},

	{"gelu/erf-and-tanh", `model ir=8 opset(""=20)
func g(%x: f32[4,5], %z: f32[4,5]) -> (%y1, %y2, %y3) {
  const %sqrt2: f32[] = [1.4142135]
  const %rsqrt2: f32[] = [0.7071]
  const %one: f32[] = [1]
  const %half: f32[] = [0.5]
  const %three: f32[] = [3]
  const %k: f32[] = [0.044715]
  const %c: f32[] = [0.7978846]
  %d = Div(%x, %sqrt2)
  %e = Erf(%d)
  %a = Add(%e, %one)
  %m = Mul(%x, %a)
  %y1 = Mul(%m, %half)
  %s2 = Mul(%z, %rsqrt2)
  %e2 = Erf(%s2)
  %a2 = Add(%one, %e2)
  %h2 = Mul(%half, %z)
  %y2 = Mul(%h2, %a2)
  %p3 = Pow(%y1, %three)
  %kp3 = Mul(%p3, %k)
  %in3 = Add(%y1, %kp3)
  %cin3 = Mul(%c, %in3)
  %t3 = Tanh(%cin3)
  %a3 = Add(%t3, %one)
  %h3 = Mul(%y1, %half)
  %y3 = Mul(%h3, %a3)
}`, map[string]int{"Gelu": 3, "Erf": 0, "Tanh": 0}},

	{"attention/bert", `model ir=8 opset(""=23)
func g(%x: f32[2,5,8], %wq: f32[8,8], %wk: f32[8,8], %wv: f32[8,8], %mask: f32[2,1,1,5]) -> (%y) {
  const %heads: i64[4] = [2, 5, 2, 4]
  const %flat: i64[3] = [2, 5, 8]
  const %c: f32[] = [2]
  %q0 = MatMul(%x, %wq)
  %k0 = MatMul(%x, %wk)
  %v0 = MatMul(%x, %wv)
  %q1 = Reshape(%q0, %heads)
  %k1 = Reshape(%k0, %heads)
  %v1 = Reshape(%v0, %heads)
  %q = Transpose(%q1) {perm = [0, 2, 1, 3]}
  %kt = Transpose(%k1) {perm = [0, 2, 3, 1]}
  %v = Transpose(%v1) {perm = [0, 2, 1, 3]}
  %s = MatMul(%q, %kt)
  %sd = Div(%s, %c)
  %sm = Add(%sd, %mask)
  %p = Softmax(%sm) {axis = -1}
  %dp = Dropout(%p)
  %o = MatMul(%dp, %v)
  %ot = Transpose(%o) {perm = [0, 2, 1, 3]}
  %y = Reshape(%ot, %flat)
}`, map[string]int{"Attention": 1, "Softmax": 0, "Dropout": 0, "Transpose": 0, "Reshape": 0}},

	{"attention/causal-scaled-q-and-k", `model ir=8 opset(""=23)
func g(%q: f32[1,2,4,4], %k: f32[1,2,4,4], %v: f32[1,2,4,3]) -> (%y) {
  const %c: f32[] = [0.70710677]
  const %tri: bool[4,4] = [true, false, false, false, true, true, false, false, true, true, true, false, true, true, true, true]
  const %fill: f32[] = [-3.4028235e+38]
  %qs = Mul(%q, %c)
  %ks = Mul(%c, %k)
  %kt = Transpose(%ks) {perm = [0, 1, 3, 2]}
  %s = MatMul(%qs, %kt)
  %w = Where(%tri, %s, %fill)
  %p = Softmax(%w) {axis = 3}
  %y = MatMul(%p, %v)
}`, map[string]int{"Attention": 1, "Where": 0}},

	{"attention/kv-cache-gqa", `model ir=8 opset(""=23)
func g(%q: f32[1,4,3,4], %k: f32[1,2,3,4], %v: f32[1,2,3,4], %pk: f32[1,2,2,4], %pv: f32[1,2,2,4]) -> (%y, %present_k, %present_v) {
  const %ax: i64[1] = [2]
  const %shape5: i64[5] = [1, 2, 2, 5, 4]
  const %shape4: i64[4] = [1, 4, 5, 4]
  const %c: f32[] = [2]
  const %mask: f32[1,1,3,5] = [0, 0, 0, -1e+09, -1e+09, 0, 0, 0, 0, -1e+09, 0, 0, 0, 0, 0]
  %present_k = Concat(%pk, %k) {axis = 2}
  %present_v = Concat(%pv, %v) {axis = -2}
  %ku = Unsqueeze(%present_k, %ax)
  %ke = Expand(%ku, %shape5)
  %kr = Reshape(%ke, %shape4)
  %vu = Unsqueeze(%present_v, %ax)
  %ve = Expand(%vu, %shape5)
  %vr = Reshape(%ve, %shape4)
  %kt = Transpose(%kr) {perm = [0, 1, 3, 2]}
  %s = MatMul(%q, %kt)
  %sd = Div(%s, %c)
  %sm = Add(%mask, %sd)
  %p = Softmax(%sm) {axis = -1}
  %y = MatMul(%p, %vr)
}`, map[string]int{"Attention": 1, "Expand": 0, "Concat": 0}},

	{"attention/mask-scaled-after", `model ir=8 opset(""=23)
func g(%q: f32[2,2,3,4], %k: f32[2,2,3,4], %v: f32[2,2,3,4], %mask: f32[2,1,3,3]) -> (%y) {
  const %c: f32[] = [0.5]
  %kt = Transpose(%k) {perm = [0, 1, 3, 2]}
  %s = MatMul(%q, %kt)
  %sm = Add(%s, %mask)
  %sd = Mul(%sm, %c)
  %p = Softmax(%sd) {axis = -1}
  %y = MatMul(%p, %v)
}`, map[string]int{"Attention": 1}},

	{"attention/mask-broadcast-over-keys", `model ir=8 opset(""=23)
func g(%q: f32[2,2,3,4], %k: f32[2,2,5,4], %v: f32[2,2,5,4], %rows: f32[2,1,3,1]) -> (%y) {
  %kt = Transpose(%k) {perm = [0, 1, 3, 2]}
  %s = MatMul(%q, %kt)
  %sm = Add(%s, %rows)
  %p = Softmax(%sm) {axis = -1}
  %y = MatMul(%p, %v)
}`, map[string]int{"Attention": 1, "Expand": 1}},

	{"rotary+attention", `model ir=8 opset(""=23)
func g(%q: f32[1,2,3,4], %k: f32[1,2,3,4], %v: f32[1,2,3,4], %pos: i64[1,3]) -> (%y) {
  const %cos_cached: f32[4,4] = [1, 1, 1, 1, 0.540302, 0.99995, 0.540302, 0.99995, -0.416147, 0.9998, -0.416147, 0.9998, -0.989992, 0.99955, -0.989992, 0.99955]
  const %sin_cached: f32[4,4] = [0, 0, 0, 0, 0.841471, 0.01, 0.841471, 0.01, 0.909297, 0.019999, 0.909297, 0.019999, 0.14112, 0.029996, 0.14112, 0.029996]
  const %one: i64[1] = [1]
  const %st0: i64[1] = [0]
  const %st2: i64[1] = [2]
  const %big: i64[1] = [9223372036854775807]
  const %ax: i64[1] = [-1]
  %cg = Gather(%cos_cached, %pos)
  %sg = Gather(%sin_cached, %pos)
  %cos = Unsqueeze(%cg, %one)
  %sin = Unsqueeze(%sg, %one)
  %qc = Mul(%q, %cos)
  %q1 = Slice(%q, %st0, %st2, %ax)
  %q2 = Slice(%q, %st2, %big, %ax)
  %qn = Neg(%q2)
  %qr = Concat(%qn, %q1) {axis = -1}
  %qs = Mul(%qr, %sin)
  %qe = Add(%qc, %qs)
  %kc = Mul(%k, %cos)
  %k1 = Slice(%k, %st0, %st2, %ax)
  %k2 = Slice(%k, %st2, %big, %ax)
  %kn = Neg(%k2)
  %kr = Concat(%kn, %k1) {axis = -1}
  %ks = Mul(%kr, %sin)
  %ke = Add(%kc, %ks)
  %kt = Transpose(%ke) {perm = [0, 1, 3, 2]}
  %s = MatMul(%qe, %kt)
  %p = Softmax(%s) {axis = -1}
  %y = MatMul(%p, %v)
}`, map[string]int{"RotaryEmbedding": 2, "Attention": 1, "Gather": 0, "Concat": 0}},

	{"transposes", `model ir=8 opset(""=13)
func g(%x: f32[2,3,4]) -> (%y) {
  const %half: f32[] = [0.5]
  %t1 = Transpose(%x) {perm = [2, 0, 1]}
  %a = Relu(%t1)
  %m = Mul(%a, %half)
  %t2 = Transpose(%m) {perm = [1, 2, 0]}
  %t3 = Transpose(%t2) {perm = [0, 2, 1]}
  %t4 = Transpose(%t3) {perm = [1, 0, 2]}
  %y = Sigmoid(%t4)
}`, map[string]int{"Transpose": 1}},
}

// TestFusions runs each graph with the reference interpreter on random
// inputs before and after the standard pipeline: the outputs must agree
// within 1e-4 and the pipeline must leave the expected op counts.
func TestFusions(t *testing.T) {
	for _, fc := range fusionCases {
		t.Run(fc.name, func(t *testing.T) {
			counts := checkOptimizedAgrees(t, fc.model, 1)
			for op, n := range fc.want {
				if counts[op] != n {
					t.Errorf("%d %s nodes after optimizing, want %d", counts[op], op, n)
				}
			}
		})
	}
}

// TestFusionGoldensAgree runs every golden input of the fusion passes the
// same way: the full pipeline on them must keep their outputs.
func TestFusionGoldensAgree(t *testing.T) {
	for _, pass := range []string{"fuse-layernorm", "fuse-rmsnorm", "fuse-gelu", "fuse-rotary", "fuse-attention", "sink-transposes"} {
		files, _ := filepath.Glob(filepath.Join("testdata", pass, "*.txtar"))
		if len(files) == 0 {
			t.Errorf("no golden tests for %s", pass)
		}
		for _, path := range files {
			t.Run(pass+"/"+filepath.Base(path), func(t *testing.T) {
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				in, _ := parseArchive(string(raw)).file("input")
				checkOptimizedAgrees(t, in, 2)
			})
		}
	}
}

// checkOptimizedAgrees optimizes the model text with the standard
// pipeline (verifier on) and compares the reference interpreter's
// outputs before and after on random inputs; it returns the op counts
// after.
func checkOptimizedAgrees(t *testing.T, text string, seed int64) map[string]int {
	t.Helper()
	orig, err := ir.ParseModel(text)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := ir.ParseModel(text)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(opt, Options{Check: true}); err != nil {
		t.Fatal(err)
	}
	if err := ir.Check(opt.Graph); err != nil {
		t.Fatal(err)
	}
	inputs := randomInputs(t, orig.Graph, rand.New(rand.NewSource(seed)))
	want := runGraph(t, orig.Graph, inputs)
	got := runGraph(t, opt.Graph, inputs)
	if t.Failed() {
		return nil
	}
	compareOutputs(t, "optimized", got, want, 1e-4)
	if t.Failed() {
		t.Logf("optimized graph:\n%s", opt.Graph.Text())
	}
	return OpCounts(opt.Graph)
}

// randomInputs makes a value for each parameter of f: floats uniform in
// [-2, 2), integers in [0, 3) (they index tables of at least 3 rows),
// booleans at random.
func randomInputs(t *testing.T, f *ir.Func, rng *rand.Rand) map[string]*tensor.Tensor {
	t.Helper()
	in := map[string]*tensor.Tensor{}
	for _, p := range f.Params {
		shape, ok := p.Type.StaticShape()
		if !ok {
			t.Fatalf("parameter %s has no static shape", p)
		}
		x := tensor.New(p.Type.Elem, shape...)
		for i := 0; i < x.Len(); i++ {
			switch dt := p.Type.Elem; {
			case dt.IsFloat():
				x.SetFloat64At(i, 4*rng.Float64()-2)
			case dt.IsInt():
				x.SetInt64At(i, rng.Int63n(3))
			case dt == tensor.Bool:
				x.SetInt64At(i, rng.Int63n(2))
			default:
				t.Fatalf("parameter %s: no random values of %s", p, dt)
			}
		}
		in[strings.TrimPrefix(p.Name, "%")] = x
	}
	return in
}
