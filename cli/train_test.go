package cli

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
	"github.com/onyxgo/onyx/train"
	"github.com/onyxgo/onyx/zoo"
)

// needMNIST skips tests that train when the MNIST files are not at hand.
func needMNIST(t *testing.T) {
	t.Helper()
	if _, err := train.MNISTDir(); err != nil {
		t.Skip(err)
	}
}

// initializers returns a model file's initializers by name.
func initializers(t *testing.T, path string) map[string]*tensor.Tensor {
	t.Helper()
	m, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*tensor.Tensor{}
	for _, c := range m.Graph.Consts {
		out[c.Name] = c.Const
	}
	return out
}

func TestTrainZooModel(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "lenet.onnx")
	logs, ckpt := filepath.Join(dir, "logs"), filepath.Join(dir, "ckpt")
	args := []string{"train", "lenet5", "--data", "mnist", "--limit", "192", "--test-limit", "100", "--batch", "64",
		"--lr", "0.003", "--log-dir", logs, "--checkpoint-dir", ckpt, "-o", out}
	code, stdout, errs := invoke(append(args, "--epochs", "1")...)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, stdout)
	}
	for _, want := range []string{"lenet5 (zoo, 61,706 parameters, 10 classes)", "192 training images, 100 test images",
		"adam lr 0.003, batch 64, 1 epoch(s) of 3 steps", "val_acc", "test accuracy", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{filepath.Join(logs, "metrics.csv"), filepath.Join(logs, "curves.png"),
		filepath.Join(ckpt, "checkpoint.safetensors"), filepath.Join(ckpt, "best.safetensors")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	m, err := importer.Load(out, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Graph.Results[0].Type.String(); got != "f32[N,10]" {
		t.Errorf("output %s", got)
	}
	first := initializers(t, out)

	// A second epoch resumes from the checkpoint.
	code, stdout, errs = invoke(append(args, "--epochs", "2", "--resume")...)
	if code != exitOK {
		t.Fatalf("resume: exit %d: %s\n%s", code, errs, stdout)
	}
	if !strings.Contains(stdout, "resumed from") || !strings.Contains(stdout, "1 epoch(s) and 3 steps done") || !strings.Contains(stdout, "after 2 epoch(s)") {
		t.Errorf("resume output:\n%s", stdout)
	}
	if bytes.Equal(first["7.weight"].Bytes(), initializers(t, out)["7.weight"].Bytes()) {
		t.Errorf("the second epoch did not change the weights")
	}
	// The best weights export with onyx export --weights.
	code, _, errs = invoke("export", "lenet5", "--weights", filepath.Join(ckpt, "best.safetensors"), "-o", filepath.Join(dir, "best.onnx"))
	if code != exitOK {
		t.Errorf("export of the best weights: exit %d: %s", code, errs)
	}
	// A checkpoint of another batch size is refused.
	code, _, errs = invoke("train", "lenet5", "--limit", "192", "--test-limit", "100", "--batch", "32", "--checkpoint-dir", ckpt, "--resume", "--epochs", "3")
	if code != exitFail || !strings.Contains(errs, "batch size") {
		t.Errorf("resume with another batch size: exit %d, %q", code, errs)
	}
}

func TestTrainFineTune(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.onnx")
	if code, _, errs := invoke("export", "lenet5", "--seed", "5", "-o", base); code != exitOK {
		t.Fatalf("export: %s", errs)
	}
	out := filepath.Join(dir, "tuned.onnx")
	code, stdout, errs := invoke("train", base, "--replace-head", "12", "--freeze", "0.*", "--freeze", `^3\.`,
		"--limit", "128", "--test-limit", "64", "--optimizer", "momentum", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, stdout)
	}
	for _, want := range []string{"imported: 12 nodes", "replaced the head", "84→12", "frozen: 4 of 10 parameter tensors", "wrote " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	m, err := importer.Load(out, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Graph.Results[0].Type.String(); got != "f32[N,12]" {
		t.Errorf("output %s, want f32[N,12]", got)
	}
	before, after := initializers(t, base), initializers(t, out)
	for _, name := range []string{"0.weight", "0.bias", "3.weight", "3.bias"} {
		if !bytes.Equal(before[name].Bytes(), after[name].Bytes()) {
			t.Errorf("frozen %s changed", name)
		}
	}
	for _, name := range []string{"7.weight", "9.bias"} {
		if bytes.Equal(before[name].Bytes(), after[name].Bytes()) {
			t.Errorf("%s did not change", name)
		}
	}
	if s := after["11.weight"].Shape(); len(s) != 2 || s[0] != 12 || s[1] != 84 {
		t.Errorf("new head weight %v, want [12 84]", s)
	}
	// The tuned model runs.
	code, _, errs = invoke("train", out, "--benchmark-steps", "1", "--benchmark-warmup", "1", "--batch", "4")
	if code != exitOK {
		t.Errorf("benchmark of the tuned model: %s", errs)
	}
}

// softmaxHead ends a model with Softmax, as many exported models do.
func TestTrainSoftmaxModel(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	lenet, _, _ := zoo.New("lenet5", zoo.Options{Seed: 2})
	base := filepath.Join(dir, "probs.onnx")
	if err := nn.Export(nn.NewSequential(lenet, nn.Softmax(1)), []int64{-1, 1, 28, 28}, base); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "tuned.onnx")
	code, stdout, errs := invoke("train", base, "--limit", "128", "--test-limit", "64", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, stdout)
	}
	if !strings.Contains(stdout, "final Softmax is left out") {
		t.Errorf("output:\n%s", stdout)
	}
	m, err := importer.Load(out, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Graph.Nodes; n[len(n)-1].Op != "Softmax" {
		t.Errorf("the written model ends with %s, not Softmax", n[len(n)-1].Op)
	}
}

// torchFlatten flattens as PyTorch's x.view(x.size(0), -1) exports:
// Shape, Gather, Unsqueeze, Concat, Reshape.
type torchFlatten struct{}

func (torchFlatten) Params() []nn.Tensor  { return nil }
func (torchFlatten) Buffers() []nn.Tensor { return nil }
func (torchFlatten) SetTraining(bool)     {}
func (torchFlatten) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	s := g.Op("Shape", []*ir.Value{x})
	n := g.Op("Gather", []*ir.Value{s, g.Const(tensor.Scalar(int64(0)))}, ir.AInt("axis", 0))
	n = g.Op("Unsqueeze", []*ir.Value{n, g.Ints(0)})
	shape := g.Op("Concat", []*ir.Value{n, g.Ints(-1)}, ir.AInt("axis", 0))
	return g.Op("Reshape", []*ir.Value{x, shape})
}

func TestTrainShapeArithmetic(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	r := nn.NewRand(4)
	model := nn.NewSequential(nn.NewConv2d(r, 1, 4, 3, nn.ConvOpts{Stride: 2}), nn.ReLU(), nn.NewMaxPool2d(2, 2, 0),
		torchFlatten{}, nn.NewLinear(r, 4*6*6, 10))
	base := filepath.Join(dir, "torchish.onnx")
	if err := nn.Export(model, []int64{-1, 1, 28, 28}, base); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := invoke("train", base, "--limit", "128", "--test-limit", "64", "--batch", "50", "-o", filepath.Join(dir, "out.onnx"))
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, stdout)
	}
	if !strings.Contains(stdout, "4 trainable tensors") {
		t.Errorf("output:\n%s", stdout)
	}

	// The same model written at opset 13 is converted to nn's opset.
	model.SetTraining(false)
	g := nn.NewGraph(model, nn.GraphOptions{Opset: 13})
	g.Output("output", model.Forward(g, g.Input("input", tensor.Float32, -1, 1, 28, 28)))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "opset13.onnx")
	if err := exporter.Save(g.Model(), old); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out13.onnx")
	code, stdout, errs = invoke("train", old, "--limit", "128", "--test-limit", "64", "--batch", "64", "-o", out)
	if code != exitOK {
		t.Fatalf("opset 13: exit %d: %s\n%s", code, errs, stdout)
	}
	if !strings.Contains(stdout, "converted from opset 13 to 17") {
		t.Errorf("output:\n%s", stdout)
	}
	m, err := importer.Load(out, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset("") != 17 || m.IRVersion < 8 {
		t.Errorf("written at opset %d, IR version %d", m.Opset(""), m.IRVersion)
	}
}

func TestTrainErrors(t *testing.T) {
	dir := t.TempDir()
	// A model for 3-channel 32×32 images.
	f := ir.NewFunc("g")
	x := f.AddParam("pixels", ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("N"), ir.Known(3), ir.Known(32), ir.Known(32)}))
	w := f.AddConst("w", tensor.New(tensor.Float32, 2, 3, 3, 3))
	y := f.NewNode("Conv", "", 17, []*ir.Value{x, w}, []string{"y"}).Outputs[0]
	f.Results = []*ir.Value{y}
	rgb := filepath.Join(dir, "rgb.onnx")
	if err := exporter.Save(&ir.Model{Graph: f, Opsets: map[string]int{"": 17}, IRVersion: 8}, rgb); err != nil {
		t.Fatal(err)
	}
	five := filepath.Join(dir, "five.onnx")
	if code, _, errs := invoke("export", "lenet5", "--classes", "5", "-o", five); code != exitOK {
		t.Fatal(errs)
	}
	empty := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train"}, exitUsage, "want one"},
		{[]string{"train", "lenet5", "--optimizer", "sgdx"}, exitUsage, "unknown --optimizer"},
		{[]string{"train", "lenet5", "--schedule", "linear"}, exitUsage, "unknown --schedule"},
		{[]string{"train", "lenet5", "--resume"}, exitUsage, "--resume needs --checkpoint-dir"},
		{[]string{"train", "lenet5", "-o", "x.txt"}, exitUsage, "must be an .onnx file"},
		{[]string{"train", "lenet5", "--batch", "0"}, exitUsage, "--batch"},
		{[]string{"train", "nosuchmodel"}, exitFail, `unknown model "nosuchmodel"`},
		{[]string{"train", "alexnet"}, exitFail, "at least 63×63"},
		{[]string{"train", "lenet5", "--replace-head", "3"}, exitFail, "--replace-head applies to .onnx files"},
		{[]string{"train", five, "--classes", "10"}, exitFail, "--classes applies to zoo models"},
		{[]string{"train", rgb}, exitFail, `input "pixels" is f32[N,3,32,32]`},
		{[]string{"train", five}, exitFail, "gives 5 scores per image"},
		{[]string{"train", "lenet5", "--freeze", "nothing.here"}, exitFail, "matches no parameter"},
		{[]string{"train", filepath.Join(dir, "missing.onnx")}, exitFail, "missing.onnx"},
		{[]string{"train", "lenet5", "--data", filepath.Join(dir, "nodata")}, exitFail, "--data " + filepath.Join(dir, "nodata")},
		{[]string{"train", "lenet5", "--data", empty}, exitFail, filepath.Join(empty, "train-images-idx3-ubyte.gz")},
		{[]string{"train", "lenet5", "--schedule", "multistep", "--benchmark-steps", "0", "--data", empty}, exitFail, "train-images"},
	}
	for _, c := range cases {
		code, _, errs := invoke(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func TestTrainDiverges(t *testing.T) {
	needMNIST(t)
	code, _, errs := invoke("train", "lenet5", "--optimizer", "sgd", "--lr", "1e38", "--limit", "640", "--test-limit", "64")
	if code != exitFail || !strings.Contains(errs, "training diverged") || !strings.Contains(errs, "step ") || !strings.Contains(errs, "lower --lr") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

func TestTrainBenchmark(t *testing.T) {
	code, out, errs := invoke("train", "lenet5", "--benchmark-steps", "2", "--benchmark-warmup", "1", "--batch", "8", "--threads", "1")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "throughput:") || !strings.Contains(out, "images/s") || !strings.Contains(out, "1 thread(s)") {
		t.Errorf("output:\n%s", out)
	}
}

func TestFrozenMatcher(t *testing.T) {
	match, err := frozenMatcher([]string{"features.*", `^classifier\.[03]\.`})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{
		"features.0.weight": true, "classifier.0.bias": true, "classifier.3.weight": true,
		"classifier.6.weight": false, "layer1.0.features": true, "layer1.0.weight": false,
	} {
		if got := match(name); got != want {
			t.Errorf("%s: frozen %v, want %v", name, got, want)
		}
	}
	// A regular expression matches anywhere, a glob the whole name.
	match, _ = frozenMatcher([]string{"bias"})
	if !match("fc.bias") {
		t.Errorf("regexp bias does not match fc.bias")
	}
	if _, err := frozenMatcher([]string{"[a-"}); err == nil {
		t.Errorf("a pattern that is neither glob nor regexp is accepted")
	}
}

func TestSchedules(t *testing.T) {
	o := &trainOpts{epochs: 4, lrStep: 2, gamma: 0.5}
	lrAt := func(name string, steps int, t0 int) float64 {
		t.Helper()
		o.schedule = name
		s, _, err := newSchedule(o, 0.1, steps)
		if err != nil {
			t.Fatal(err)
		}
		return s.LR(t0)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if got := lrAt("step", 10, 19); !near(got, 0.1) {
		t.Errorf("step at step 19: %g", got)
	}
	if got := lrAt("step", 10, 20); !near(got, 0.05) {
		t.Errorf("step at step 20: %g", got)
	}
	if got := lrAt("exponential", 10, 25); !near(got, 0.025) {
		t.Errorf("exponential at step 25: %g", got)
	}
	if got := lrAt("cosine", 10, 20); !near(got, 0.05) {
		t.Errorf("cosine half-way: %g", got)
	}
	o.milestones = "1,3"
	if got := lrAt("multistep", 10, 35); !near(got, 0.025) {
		t.Errorf("multistep after both milestones: %g", got)
	}
	o.warmup = 4
	if got := lrAt("constant", 10, 0); !near(got, 0.02) {
		t.Errorf("warm-up at 0: %g", got)
	}
	o.schedule = "plateau"
	if _, _, err := newSchedule(o, 0.1, 10); err == nil {
		t.Errorf("plateau with warm-up accepted")
	}
	o.warmup, o.milestones, o.schedule = 0, "x", "multistep"
	if _, _, err := newSchedule(o, 0.1, 10); err == nil {
		t.Errorf("bad milestones accepted")
	}
	for _, name := range optimizerNames() {
		opt, lr, err := newOptimizer(name, 0, 0.9, 1e-4)
		if err != nil || opt == nil || lr != defaultLR[name] {
			t.Errorf("%s: %v %g %v", name, opt, lr, err)
		}
	}
}

func TestProgressWriter(t *testing.T) {
	var b bytes.Buffer
	p := newProgressWriter(&b)
	p.interval = time.Hour
	for _, s := range []string{"\repoch 1/1  batch 1/3  loss 2.3 ", "\repoch 1/1  batch 2/3  loss 2.2 ",
		"\repoch 1/1  loss 2.1000", "  acc 0.2000", "  1.0s  100 samples/s\n"} {
		p.Write([]byte(s))
	}
	want := "epoch 1/1  batch 1/3  loss 2.3\nepoch 1/1  loss 2.1000  acc 0.2000  1.0s  100 samples/s\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
