package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onyxgo/onyx/tensor"
)

// lightDir returns the folder of the ONNX "light" models: $ONNX_TESTDATA/light,
// or the shared copy next to the repository.
func lightDir(tb testing.TB) string {
	dir := os.Getenv("ONNX_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "onnx-tests")
	}
	dir = filepath.Join(dir, "light")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("light models not found at %s", dir)
	}
	return dir
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	s := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
	if p := percentile(s, 50); p != 6*time.Millisecond {
		t.Errorf("median = %v", p)
	}
	if p := percentile(s, 90); p != 10*time.Millisecond {
		t.Errorf("p90 = %v", p)
	}
	if p := percentile(ms(4, 8), 50); p != 6*time.Millisecond {
		t.Errorf("median of two = %v", p)
	}
	if p := percentile(ms(7), 90); p != 7*time.Millisecond {
		t.Errorf("p90 of one = %v", p)
	}
	r := summarize("x", ms(30, 10, 20))
	if r.Median != 20*time.Millisecond || r.Min != 10*time.Millisecond || r.Mean != 20*time.Millisecond || r.PerSecond != 50 {
		t.Errorf("summarize: %+v", r)
	}
	if r.Times[0] != 30*time.Millisecond {
		t.Errorf("summarize reordered the run times: %v", r.Times)
	}
}

// TestRunLight measures a light model as loaded and optimized, with an
// input from a file, and checks the report.
func TestRunLight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a model")
	}
	path := filepath.Join(lightDir(t), "light_squeezenet.onnx")
	x := tensor.New(tensor.Float32, 1, 3, 224, 224)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(i%7) / 7
	}
	npy := filepath.Join(t.TempDir(), "x.npy")
	if err := tensor.SaveNpy(npy, x); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	var input string
	for name := range c.feed {
		input = name
	}
	rep, err := Run(context.Background(), path, Options{Runs: 2, Warmup: -1, Threads: 1, CompareOptimized: true,
		Inputs: map[string]string{input: npy}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || rep.Threads != 1 {
		t.Fatalf("report: %+v", rep)
	}
	for _, r := range rep.Results {
		if len(r.Times) != 2 || r.Median <= 0 || r.P90 < r.Median || r.Min > r.Median || r.PerSecond <= 0 {
			t.Errorf("%s: %+v", r.Label, r)
		}
	}
	var out bytes.Buffer
	rep.Write(&out)
	for _, want := range []string{"light_squeezenet.onnx", "median", "p90", "optimized", "model", "ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	if _, err := Run(context.Background(), path, Options{Runs: 1, Inputs: map[string]string{"nope": npy}}); err == nil || !strings.Contains(err.Error(), "no input") {
		t.Errorf("unknown input: err = %v", err)
	}
}

// benchLight times one light model per iteration, as loaded or after the
// optimizer's passes.
func benchLight(b *testing.B, name string, optimize bool) {
	path := filepath.Join(lightDir(b), "light_"+name+".onnx")
	c, err := Load(path, Options{}, optimize)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Run(ctx); err != nil { // warm-up
		b.Fatal(err)
	}
	for b.Loop() {
		if err := c.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLightAlexNet(b *testing.B)     { benchLight(b, "bvlc_alexnet", false) }
func BenchmarkLightDenseNet121(b *testing.B) { benchLight(b, "densenet121", false) }
func BenchmarkLightInceptionV1(b *testing.B) { benchLight(b, "inception_v1", false) }
func BenchmarkLightInceptionV2(b *testing.B) { benchLight(b, "inception_v2", false) }
func BenchmarkLightResNet50(b *testing.B)    { benchLight(b, "resnet50", false) }
func BenchmarkLightShuffleNet(b *testing.B)  { benchLight(b, "shufflenet", false) }
func BenchmarkLightSqueezeNet(b *testing.B)  { benchLight(b, "squeezenet", false) }
func BenchmarkLightVGG19(b *testing.B)       { benchLight(b, "vgg19", false) }
func BenchmarkLightZFNet512(b *testing.B)    { benchLight(b, "zfnet512", false) }

func BenchmarkLightResNet50Optimized(b *testing.B)   { benchLight(b, "resnet50", true) }
func BenchmarkLightSqueezeNetOptimized(b *testing.B) { benchLight(b, "squeezenet", true) }
