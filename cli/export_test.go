package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/zoo"
)

// invoke runs the command in-process and returns its exit code and output.
func invoke(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunIO(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExportList(t *testing.T) {
	code, out, errs := invoke("export", "--list")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, name := range zoo.Names() {
		if !strings.Contains(out, name) {
			t.Errorf("--list does not list %s:\n%s", name, out)
		}
	}
	if !strings.Contains(out, "[N, 1, 28, 28]") {
		t.Errorf("--list does not show LeNet-5's input:\n%s", out)
	}
}

func TestExportLeNet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lenet.onnx")
	code, out, errs := invoke("export", "lenet5", "-o", path, "--seed", "3")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "61,706 parameters") {
		t.Errorf("output:\n%s", out)
	}
	m, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph
	if len(g.Params) != 1 || g.Params[0].Type.String() != "f32[N,1,28,28]" || len(g.Results) != 1 || g.Results[0].Type.String() != "f32[N,10]" {
		t.Fatalf("inputs %s, outputs %s", describeValues(g.Params), describeValues(g.Results))
	}
	want, _, _ := zoo.New("lenet5", zoo.Options{Seed: 3})
	byName := map[string][]float32{}
	for _, c := range g.Consts {
		byName[c.Name] = c.Const.Float32s()
	}
	for _, p := range want.Params() {
		got, ok := byName[p.Name]
		if !ok {
			t.Fatalf("no initializer %q", p.Name)
		}
		if got[0] != p.T.Float32s()[0] {
			t.Errorf("%s differs from the zoo's model of the same seed", p.Name)
		}
	}
}

func TestExportOptions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	check := func(args []string, in, out string) {
		t.Helper()
		code, stdout, errs := invoke(append([]string{"export", "-o", path}, args...)...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		m, err := importer.Load(path, importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		g := m.Graph
		if got := g.Params[0].Type.String(); got != in {
			t.Errorf("%v: input %s, want %s\n%s", args, got, in, stdout)
		}
		if got := g.Results[0].Type.String(); got != out {
			t.Errorf("%v: output %s, want %s", args, got, out)
		}
	}
	check([]string{"lenet5", "--classes", "3", "--input-size", "2,1,28,28"}, "f32[2,1,28,28]", "f32[2,3]")
	check([]string{"mlp", "--batch", "5"}, "f32[5,1,28,28]", "f32[5,10]")
	check([]string{"linear-regression", "--input-size", "5"}, "f32[N,5]", "f32[N,1]")
	check([]string{"resnet18", "--input-size", "1,16,16", "--classes", "4"}, "f32[N,1,16,16]", "f32[N,4]")

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "lenet5"}, exitUsage, "-o FILE.onnx"},
		{[]string{"export", "nosuchmodel", "-o", path}, exitFail, "unknown model"},
		{[]string{"export", "lenet5", "-o", path, "--input-size", "32"}, exitFail, "only 28×28"},
		{[]string{"export", "nin", "-o", path, "--input-size", "20"}, exitFail, "at least 67×67"},
		{[]string{"export", "lenet5", "-o", path, "--input-size", "1,28,27"}, exitFail, "square"},
		{[]string{"export", "lenet5", "-o", path, "--input-size", "a"}, exitFail, "positive integers"},
		{[]string{"export", "lenet5", "-o", path, "--input-size", "2,1,28,28", "--batch", "3"}, exitFail, "disagree"},
		{[]string{"export", "--list", "lenet5"}, exitUsage, "no model"},
	} {
		code, _, errs := invoke(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func TestExportWeights(t *testing.T) {
	dir := t.TempDir()
	src, _, _ := zoo.New("lenet5", zoo.Options{Seed: 42})
	weights := filepath.Join(dir, "w.safetensors")
	if err := nn.SaveWeights(src, weights); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "lenet.onnx")
	code, out, errs := invoke("export", "lenet5", "-o", path, "--weights", weights)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "weights from "+weights) {
		t.Errorf("output:\n%s", out)
	}
	m, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Graph.Consts {
		for _, p := range src.Params() {
			if p.Name == c.Name && !bytes.Equal(p.T.Bytes(), c.Const.Bytes()) {
				t.Errorf("%s is not the loaded weight", c.Name)
			}
		}
	}
	// Weights of another model are refused, naming the tensor.
	other, _, _ := zoo.New("mlp", zoo.Options{})
	bad := filepath.Join(dir, "mlp.safetensors")
	if err := nn.SaveWeights(other, bad); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := invoke("export", "lenet5", "-o", path, "--weights", bad); code != exitFail || !strings.Contains(errs, "has no tensor") {
		t.Errorf("foreign weights: exit %d, %q", code, errs)
	}
}
