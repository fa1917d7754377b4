package passes

import (
	"context"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The fixtures are small models torch 1.13 exported at opset 17
// (tools/fixtures/export_models.py), each with its inputs and torch's
// outputs as .npy files: NAME.onnx, NAME.in.INPUT.npy, NAME.out.OUTPUT.npy.

// fixtureCase says what optimizing a fixture must achieve: exact counts
// of some ops afterwards, and ops that must be gone.
type fixtureCase struct {
	name string
	want map[string]int
	gone []string
}

var fixtureCases = []fixtureCase{
	// Embedding layer norm + 2 per layer, written out by hand; exact GELU
	// in each layer; one attention block per layer with a padding mask.
	// The heads' split and merge (Reshape, Transpose) go into the fused
	// attention, which reads and writes (batch, seq, hidden).
	{"bert", map[string]int{"LayerNormalization": 5, "Gelu": 2, "Attention": 2},
		[]string{"ReduceMean", "Sqrt", "Erf", "Softmax", "Pow", "Transpose", "Reshape"}},
	// nn.LayerNorm exports as LayerNormalization already; the tanh GELU and
	// the cached causal attention are fused.
	{"gpt2", map[string]int{"LayerNormalization": 5, "Gelu": 2, "Attention": 2},
		[]string{"Tanh", "Pow", "Softmax", "Where", "Concat", "Transpose", "Reshape"}},
	// RMS norms written out, rotate-half rotary embeddings of Q and K,
	// grouped-query attention with a KV cache.
	{"llama", map[string]int{"RMSNormalization": 5, "Attention": 2, "RotaryEmbedding": 4},
		[]string{"ReduceMean", "Sqrt", "Softmax", "Expand", "Concat", "Neg", "Slice"}},
	{"vit", map[string]int{"LayerNormalization": 5, "Gelu": 2, "Attention": 2},
		[]string{"Erf", "Softmax"}},
	{"resnet", map[string]int{"Conv": 6}, []string{"BatchNormalization"}},
}

// TestFixtures optimizes each fixture and checks the fusions and that the
// optimized model still computes torch's outputs within 1e-4 (as does the
// model before optimization, which checks the fixture itself).
//
// torch writes opset 17, which has LayerNormalization but not Gelu (20)
// or Attention and RMSNormalization (23). The test converts each model to
// opset 23 first (Options.TargetOpset: the version converter), so that
// every fusion may fire and the result is a model that can be saved.
func TestFixtures(t *testing.T) {
	for _, fc := range fixtureCases {
		t.Run(fc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", "fixtures")
			m, err := importer.Load(filepath.Join(dir, fc.name+".onnx"), importer.Options{})
			if err != nil {
				t.Fatal(err)
			}
			inputs := loadNpys(t, filepath.Join(dir, fc.name+".in.*.npy"))
			want := loadNpys(t, filepath.Join(dir, fc.name+".out.*.npy"))
			compareOutputs(t, "before optimizing", runGraph(t, m.Graph, inputs), want, 1e-4)

			r, err := Run(m, Options{Check: true, TargetOpset: 23})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range r.Notes {
				t.Log("note:", n)
			}
			counts := OpCounts(m.Graph)
			for op, n := range fc.want {
				if counts[op] != n {
					t.Errorf("%d %s nodes after optimizing, want %d", counts[op], op, n)
				}
			}
			for _, op := range fc.gone {
				if counts[op] != 0 {
					t.Errorf("%d %s nodes remain after optimizing", counts[op], op)
				}
			}
			compareOutputs(t, "after optimizing", runGraph(t, m.Graph, inputs), want, 1e-4)
		})
	}
}

// loadNpys reads the .npy files matching pattern, keyed by the name
// between the last two dots before ".npy".
func loadNpys(t *testing.T, pattern string) map[string]*tensor.Tensor {
	t.Helper()
	paths, _ := filepath.Glob(pattern)
	if len(paths) == 0 {
		t.Fatalf("no files match %s", pattern)
	}
	out := map[string]*tensor.Tensor{}
	for _, p := range paths {
		x, err := tensor.LoadNpy(p)
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(filepath.Base(p), ".npy")
		out[base[strings.LastIndex(base, ".")+1:]] = x
	}
	return out
}

// runGraph runs f with the reference interpreter.
func runGraph(t *testing.T, f *ir.Func, inputs map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareOutputs requires every wanted output, with its shape, and values
// within tol (absolute, or relative for magnitudes above 1); NaN matches
// NaN.
func compareOutputs(t *testing.T, when string, got, want map[string]*tensor.Tensor, tol float64) {
	t.Helper()
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, g := want[n], got[n]
		if g == nil {
			t.Errorf("%s: no output %q", when, n)
			continue
		}
		if !slicesEqual(g.Shape(), w.Shape()) {
			t.Errorf("%s: output %q has shape %v, want %v", when, n, g.Shape(), w.Shape())
			continue
		}
		worst, at := 0.0, -1
		for i := 0; i < w.Len(); i++ {
			a, b := g.Float64At(i), w.Float64At(i)
			if math.IsNaN(a) && math.IsNaN(b) {
				continue
			}
			d := math.Abs(a-b) / math.Max(1, math.Abs(b))
			if d > worst || math.IsNaN(d) {
				worst, at = d, i
			}
		}
		if worst > tol || math.IsNaN(worst) {
			t.Errorf("%s: output %q differs by %g at element %d: got %g, want %g", when, n, worst, at, g.Float64At(at), w.Float64At(at))
		}
	}
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
