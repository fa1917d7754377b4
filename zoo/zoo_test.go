package zoo

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// full reports whether the slow tests (the big models at 224×224, their
// training) run: not with -short, and only with ONYX_ZOO_FULL=1.
func full() bool { return !testing.Short() && os.Getenv("ONYX_ZOO_FULL") == "1" }

// conv and linear count the parameters of a convolution or linear layer
// with bias.
func conv(in, out, k int) int { return out*in*k*k + out }
func linear(in, out int) int  { return out*in + out }

// ninBlock counts a NIN block: a k×k convolution and two 1×1 ones.
func ninBlock(in, out, k int) int { return conv(in, out, k) + 2*conv(out, out, 1) }

// TestParamCounts compares each model's number of trainable parameters
// with torchvision's published counts (the ImageNet models) or with the
// layer sizes of the architecture (the textbook's small models).
func TestParamCounts(t *testing.T) {
	cases := []struct {
		name string
		o    Options
		want int
	}{
		{"linear-regression", Options{}, linear(2, 1)},
		{"softmax-regression", Options{}, linear(784, 10)},
		{"mlp", Options{}, linear(784, 256) + linear(256, 10)},
		{"lenet5", Options{}, 61706},
		{"lenet5", Options{}, conv(1, 6, 5) + conv(6, 16, 5) + linear(400, 120) + linear(120, 84) + linear(84, 10)},
		{"nin", Options{}, ninBlock(1, 96, 11) + ninBlock(96, 256, 5) + ninBlock(256, 384, 3) + ninBlock(384, 10, 3)},
		{"alexnet", Options{}, 61_100_840},
		{"vgg11", Options{}, 132_863_336},
		{"vgg13", Options{}, 133_047_848},
		{"vgg16", Options{}, 138_357_544},
		{"vgg19", Options{}, 143_667_240},
		{"googlenet", Options{}, 6_624_904},
		{"googlenet", Options{AuxHeads: true}, 13_004_888},
		{"resnet18", Options{}, 11_689_512},
		{"resnet34", Options{}, 21_797_672},
		{"resnet50", Options{}, 25_557_032},
		{"densenet121", Options{}, 7_978_856},
		// A new head: torchvision's resnet18(num_classes=10).
		{"resnet18", Options{NumClasses: 10}, 11_689_512 - linear(512, 1000) + linear(512, 10)},
	}
	for _, c := range cases {
		c.o.SkipInit = true
		m, _, err := New(c.name, c.o)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, p := range m.Params() {
			got += p.T.Len()
		}
		if got != c.want {
			t.Errorf("%s %+v: %d parameters, want %d", c.name, c.o, got, c.want)
		}
	}
}

// TestTorchvisionNames checks a few parameter and buffer names against
// torchvision's state_dict keys, so that its weights load by name.
func TestTorchvisionNames(t *testing.T) {
	want := map[string][]string{
		"alexnet":   {"features.0.weight", "features.10.bias", "classifier.1.weight", "classifier.6.bias"},
		"vgg16":     {"features.0.weight", "features.28.bias", "classifier.0.weight", "classifier.6.bias"},
		"googlenet": {"conv1.conv.weight", "conv1.bn.running_var", "inception3a.branch2.1.bn.weight", "inception4e.branch4.1.conv.weight", "aux1.conv.conv.weight", "aux2.fc2.bias", "fc.weight"},
		"resnet18":  {"conv1.weight", "bn1.num_batches_tracked", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_mean", "fc.bias"},
		"resnet50":  {"layer1.0.conv3.weight", "layer1.0.downsample.0.weight", "layer4.2.bn3.bias"},
		"densenet121": {"features.conv0.weight", "features.norm0.running_mean", "features.denseblock1.denselayer1.norm1.weight",
			"features.denseblock4.denselayer16.conv2.weight", "features.transition3.conv.weight", "features.norm5.bias", "classifier.weight"},
		"nin":    {"0.0.weight", "0.4.bias", "7.4.weight"},
		"lenet5": {"0.weight", "3.weight", "7.weight", "9.weight", "11.bias"},
		"mlp":    {"1.weight", "3.bias"},
	}
	for name, names := range want {
		m, _, err := New(name, Options{SkipInit: true, AuxHeads: true})
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, p := range nn.State(m) {
			if have[p.Name] {
				t.Errorf("%s: two tensors named %s", name, p.Name)
			}
			have[p.Name] = true
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("%s has no tensor %s", name, n)
			}
		}
	}
}

// testSize is the image size the default tests use: the standard one for
// the MNIST models, a reduced one for the ImageNet models (their adaptive
// pooling takes any size from the model's minimum up).
var testSize = map[string]int{
	"alexnet": 63, "vgg11": 32, "vgg13": 32, "vgg16": 32, "vgg19": 32,
	"nin": 67, "googlenet": 32, "resnet18": 32, "resnet34": 32, "resnet50": 32, "densenet121": 32,
}

// graph builds m's graph for an input of the given shape with the
// parameters as inputs (no copies of the weights), checked and with its
// shapes inferred.
func graph(t *testing.T, m nn.Module, shape []int64) (*nn.Graph, *ir.Value) {
	t.Helper()
	g := nn.NewGraph(m, nn.GraphOptions{ParamsAsInputs: true})
	x := g.Input("input", tensor.Float32, shape...)
	y := m.Forward(g, x)
	g.Output("output", y)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	if err := ir.InferShapes(g.Func()); err != nil {
		t.Fatal(err)
	}
	if err := ir.Check(g.Func()); err != nil {
		t.Fatal(err)
	}
	return g, y
}

func sameDims(t ir.Type, want ...int64) bool {
	if t.Rank() != len(want) {
		return false
	}
	for i, d := range t.Shape {
		if want[i] < 0 {
			if d.IsKnown() {
				return false
			}
		} else if !d.IsKnown() || d.Size != want[i] {
			return false
		}
	}
	return true
}

// TestInferenceShapes builds every model's inference graph with a
// symbolic batch at its standard input size and at the reduced test size,
// and checks the logits' shape [N, classes]; each also fails to build one
// pixel under its minimum size.
func TestInferenceShapes(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			o := Options{SkipInit: true, NumClasses: 7}
			m, spec, err := New(name, o)
			if err != nil {
				t.Fatal(err)
			}
			m.SetTraining(false)
			sizes := []int{0}
			if s := testSize[name]; s > 0 {
				sizes = append(sizes, s)
			}
			if spec.MinSize > 0 {
				sizes = append(sizes, spec.MinSize)
			}
			for _, size := range sizes {
				_, y := graph(t, m, spec.WithBatchAndSize(-1, size))
				if !sameDims(y.Type, -1, 7) {
					t.Errorf("size %d: output %s, want [N, 7]", size, y.Type)
				}
			}
			if spec.MinSize > 1 {
				g := nn.NewGraph(m, nn.GraphOptions{ParamsAsInputs: true})
				x := g.Input("input", tensor.Float32, spec.WithBatchAndSize(1, spec.MinSize-1)...)
				g.Output("output", m.Forward(g, x))
				if g.Err() == nil {
					t.Errorf("the graph builds at %d×%d, under the minimum size %d", spec.MinSize-1, spec.MinSize-1, spec.MinSize)
				}
			}
		})
	}
}

// TestGoogLeNetAuxHeads checks that the auxiliary classifiers run in
// training mode only.
func TestGoogLeNetAuxHeads(t *testing.T) {
	m := NewGoogLeNet(Options{SkipInit: true, AuxHeads: true, NumClasses: 5})
	for _, training := range []bool{true, false} {
		m.SetTraining(training)
		g := nn.NewGraph(m, nn.GraphOptions{ParamsAsInputs: true})
		x := g.Input("input", tensor.Float32, 2, 3, 64, 64)
		y, aux := m.ForwardAux(g, x)
		if err := g.Err(); err != nil {
			t.Fatal(err)
		}
		if !training {
			if aux != nil {
				t.Errorf("eval mode: %d auxiliary outputs", len(aux))
			}
			continue
		}
		if len(aux) != 2 {
			t.Fatalf("training mode: %d auxiliary outputs, want 2", len(aux))
		}
		for i, v := range append([]*ir.Value{y}, aux...) {
			if !sameDims(v.Type, 2, 5) {
				t.Errorf("output %d: %s, want [2, 5]", i, v.Type)
			}
		}
	}
}

func randImage(r *rand.Rand, shape []int64) *tensor.Tensor {
	dims := make([]int, len(shape))
	for i, d := range shape {
		dims[i] = int(d)
	}
	x := tensor.New(tensor.Float32, dims...)
	for i, d := 0, x.Float32s(); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	return x
}

func runModel(t *testing.T, model *ir.Model, in map[string]*tensor.Tensor) *tensor.Tensor {
	t.Helper()
	p, err := cpu.Compile(model.Graph, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out["output"]
}

// TestExportReload exports each model to .onnx, imports the file and
// runs both graphs on the CPU backend: the outputs must agree. The
// ImageNet models run at reduced sizes; AlexNet, VGG and the deeper
// ResNets (hundreds of megabytes of weights) only with ONYX_ZOO_FULL=1,
// which also runs the standard 224×224 inputs.
func TestExportReload(t *testing.T) {
	heavy := map[string]bool{"alexnet": true, "vgg11": true, "vgg13": true, "vgg16": true, "vgg19": true, "resnet34": true, "resnet50": true}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			if heavy[name] && !full() {
				t.Skip("ONYX_ZOO_FULL=1 runs it")
			}
			sizes := []int{testSize[name]}
			if full() && testSize[name] > 0 {
				sizes = append(sizes, 0)
			}
			for _, size := range sizes {
				m, spec, err := New(name, Options{Seed: 3})
				if err != nil {
					t.Fatal(err)
				}
				shape := spec.WithBatchAndSize(2, size)
				model, err := nn.Inference(m, shape)
				if err != nil {
					t.Fatal(err)
				}
				x := randImage(rand.New(rand.NewPCG(1, 2)), shape)
				want := runModel(t, model, map[string]*tensor.Tensor{"input": x})
				path := filepath.Join(t.TempDir(), name+".onnx")
				if err := nn.Export(m, shape, path); err != nil {
					t.Fatal(err)
				}
				back, err := importer.Load(path, importer.Options{})
				if err != nil {
					t.Fatal(err)
				}
				got := runModel(t, back, map[string]*tensor.Tensor{"input": x})
				compare(t, name, got, want, 1e-6)
			}
		})
	}
}

// compare fails unless |got - want| ≤ tol·(|want| + max|want|) everywhere.
func compare(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if !sameShape(got.Shape(), want.Shape()) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
	}
	g, w := got.Float32s(), want.Float32s()
	scale := 0.0
	for _, v := range w {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	worst, at := 0.0, 0
	for i := range w {
		d := math.Abs(float64(g[i]) - float64(w[i]))
		if math.IsNaN(float64(g[i])) || math.IsNaN(float64(w[i])) {
			t.Fatalf("%s[%d]: %g, want %g", what, i, g[i], w[i])
		}
		if r := d / (math.Abs(float64(w[i])) + scale + 1e-30); r > worst {
			worst, at = r, i
		}
	}
	if worst > tol {
		t.Fatalf("%s[%d] = %g, want %g (relative error %.3g > %g)", what, at, g[at], w[at], worst, tol)
	}
	t.Logf("%s: worst relative error %.3g", what, worst)
}

func sameShape(a, b []int) bool {
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
