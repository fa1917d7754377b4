package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// run runs the command in-process and returns its exit code and output.
func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = RunIO(args, &out, &errb)
	return code, out.String(), errb.String()
}

// model returns a one-node model: y = op(x) with x of type f32[batch,2].
func model(op string) *ir.Model {
	f := ir.NewFunc("g")
	x := f.AddParam("x", ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("batch"), ir.Known(2)}))
	y := f.NewNode(op, "", 13, []*ir.Value{x}, []string{"y"}).Outputs[0]
	y.Type = ir.TensorOf(tensor.Float32, []ir.Dim{ir.Sym("batch"), ir.Known(2)})
	f.Results = []*ir.Value{y}
	return &ir.Model{Graph: f, Opsets: map[string]int{"": 13}, IRVersion: 8, ProducerName: "cli-test"}
}

func saveModel(t *testing.T, m *ir.Model, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exporter.Save(m, path); err != nil {
		t.Fatal(err)
	}
}

func saveValue(t *testing.T, v tensor.Value, name, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exporter.SaveValue(v, name, path); err != nil {
		t.Fatal(err)
	}
}

// testCase writes a case folder: model, input_0.pb and output_0.pb.
func testCase(t *testing.T, dir, op string, in, want *tensor.Tensor) {
	saveModel(t, model(op), filepath.Join(dir, "model.onnx"))
	saveValue(t, in, "x", filepath.Join(dir, "test_data_set_0", "input_0.pb"))
	saveValue(t, want, "y", filepath.Join(dir, "test_data_set_0", "output_0.pb"))
}

func TestHelp(t *testing.T) {
	for _, c := range commands {
		code, out, errs := run(c.name, "--help")
		if code != 0 || !strings.HasPrefix(out, "usage: onyx "+c.name) || errs != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", c.name, code, out, errs)
		}
		code, out2, _ := run("help", c.name)
		if code != 0 || out2 != out {
			t.Errorf("help %s: exit %d, output %q, want %q", c.name, code, out2, out)
		}
	}
	code, out, _ := run("help")
	for _, c := range commands {
		if code != 0 || !strings.Contains(out, c.name) {
			t.Errorf("help does not list %s (exit %d):\n%s", c.name, code, out)
		}
	}
	if code, _, errs := run(); code != exitUsage || !strings.Contains(errs, "commands:") {
		t.Errorf("no arguments: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("frobnicate"); code != exitUsage || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := run("test", "--no-such-flag"); code != exitUsage || !strings.Contains(errs, "no-such-flag") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, errs)
	}
	if code, out, _ := run("version"); code != 0 || !strings.HasPrefix(out, "onyx "+Version) {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

func TestParseInterspersed(t *testing.T) {
	code, out, errs := run("help", "--", "version")
	if code != 0 || !strings.HasPrefix(out, "usage: onyx version") {
		t.Errorf("help -- version: exit %d, %q %q", code, out, errs)
	}
}

func TestTestCommand(t *testing.T) {
	root := t.TempDir()
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	testCase(t, filepath.Join(root, "node", "test_ok"), "Identity", x, x)
	testCase(t, filepath.Join(root, "node", "test_bad"), "Identity", x, tensor.FromSlice([]float32{1, 2, 3, 5}, 2, 2))
	testCase(t, filepath.Join(root, "node", "test_unsupported"), "NoSuchOp", x, x)
	report := filepath.Join(t.TempDir(), "report.json")

	code, out, errs := run("test", root, "--json", report, "--jobs", "2")
	if code != 0 {
		t.Fatalf("exit %d; stderr %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if got := lines[len(lines)-1]; got != "1 passed, 2 failed, 0 skipped" {
		t.Errorf("closing line %q\n%s", got, out)
	}
	for _, want := range []string{
		"FAIL node/test_bad: mismatch output y[3]: got 4 want 5 (1 of 4 differ)\n",
		"FAIL node/test_unsupported: unsupported op NoSuchOp (opset 13)\n",
		"NoSuchOp",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Passed int `json:"passed"`
		Cases  []struct {
			Name, Status string
		} `json:"cases"`
		Ops []struct {
			Op            string
			Passed, Total int
		} `json:"ops"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.Passed != 1 || len(rep.Cases) != 3 || len(rep.Ops) != 2 {
		t.Errorf("report %+v, %v", rep, err)
	}

	// --min-pass, --run and -v.
	if code, out, _ := run("test", root, "--min-pass", "2"); code != 1 || !strings.HasSuffix(out, "1 passed, 2 failed, 0 skipped\n") {
		t.Errorf("--min-pass 2: exit %d\n%s", code, out)
	}
	if code, out, _ := run("test", "--run", "ok$", root, "-v"); code != 0 || !strings.HasSuffix(out, "1 passed, 0 failed, 0 skipped\n") || !strings.Contains(out, "Identity") {
		t.Errorf("--run ok$ -v: exit %d\n%s", code, out)
	}
	// A case folder given directly, and a looser tolerance.
	if code, out, _ := run("test", filepath.Join(root, "node", "test_bad"), "--atol", "2"); code != 0 || !strings.HasSuffix(out, "1 passed, 0 failed, 0 skipped\n") {
		t.Errorf("--atol 2: exit %d\n%s", code, out)
	}
	if code, _, errs := run("test", filepath.Join(root, "nothing-here")); code != 1 || !strings.Contains(errs, "nothing-here") {
		t.Errorf("missing dir: exit %d, %q", code, errs)
	}
	if code, _, _ := run("test"); code != exitUsage {
		t.Errorf("no dir: exit %d", code)
	}

	// --markdown splices the category table between the markers.
	md := filepath.Join(t.TempDir(), "README.md")
	os.WriteFile(md, []byte("# x\n<!-- BEGIN CONFORMANCE TABLE -->\nold\n<!-- END CONFORMANCE TABLE -->\n"), 0o644)
	if code, _, errs := run("test", root, "--markdown", md); code != 0 {
		t.Fatalf("--markdown: exit %d, %s", code, errs)
	}
	got, _ := os.ReadFile(md)
	if !strings.Contains(string(got), "| node | 1 | 2 | 0 | 3 |") || strings.Contains(string(got), "old") {
		t.Errorf("markdown:\n%s", got)
	}
}

func TestInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.onnx")
	saveModel(t, model("Identity"), path)
	code, out, errs := run("inspect", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"ir version:", "8", "cli-test", "ai.onnx 13", "f32[batch,2]", "Identity", "nodes:"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = run("inspect", "--shapes", path)
	if code != 0 || !strings.Contains(out, "values:") {
		t.Errorf("--shapes: exit %d\n%s", code, out)
	}
	code, out, _ = run("inspect", path, "--json")
	var info modelInfo
	if err := json.Unmarshal([]byte(out), &info); code != 0 || err != nil || info.IRVersion != 8 || info.Ops["Identity"] != 1 || info.Inputs[0].Type != "f32[batch,2]" {
		t.Errorf("--json: exit %d, %v, %+v", code, err, info)
	}
	if code, _, errs := run("inspect", filepath.Join(t.TempDir(), "missing.onnx")); code != 1 || !strings.Contains(errs, "missing.onnx") {
		t.Errorf("missing model: exit %d, %q", code, errs)
	}
	if code, _, _ := run("inspect"); code != exitUsage {
		t.Errorf("no model: exit %d", code)
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.onnx")
	saveModel(t, model("Identity"), path)
	x := tensor.FromSlice([]float32{1, -2, 3, 6}, 2, 2)
	npy := filepath.Join(dir, "x.npy")
	if err := tensor.SaveNpy(npy, x); err != nil {
		t.Fatal(err)
	}
	pb := filepath.Join(dir, "x.pb")
	saveValue(t, x, "x", pb)

	// Summary of the outputs.
	for _, file := range []string{npy, pb} {
		code, out, errs := run("run", path, "--input", "x="+file)
		if code != 0 {
			t.Fatalf("run with %s: exit %d: %s", file, code, errs)
		}
		if want := "y: FLOAT [2 2] [1 -2 3 6] min -2 max 6 mean 2\n"; out != want {
			t.Errorf("run with %s: got %q, want %q", file, out, want)
		}
	}
	// Outputs written to a folder, as .pb and .npy.
	outDir := filepath.Join(dir, "out")
	if code, _, errs := run("run", path, "--input", "x="+npy, "--output-dir", outDir); code != 0 {
		t.Fatalf("--output-dir: exit %d: %s", code, errs)
	}
	v, err := importer.ReadValue(filepath.Join(outDir, "y.pb"), ir.TensorType(tensor.Float32, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(*tensor.Tensor).Float32s(); len(got) != 4 || got[3] != 6 {
		t.Errorf("y.pb holds %v", got)
	}
	if code, _, errs := run("run", path, "--input", "x="+pb, "--output-dir", outDir, "--format", "npy"); code != 0 {
		t.Fatalf("--format npy: exit %d: %s", code, errs)
	}
	y, err := tensor.LoadNpy(filepath.Join(outDir, "y.npy"))
	if err != nil || y.Float32s()[1] != -2 {
		t.Errorf("y.npy: %v, %v", y, err)
	}

	// Errors name what is wrong.
	errCases := []struct {
		args []string
		want string
	}{
		{[]string{"run", path}, "missing inputs: x (f32[batch,2])"},
		{[]string{"run", path, "--input", "x=" + filepath.Join(dir, "nope.npy")}, "nope.npy"},
		{[]string{"run", path, "--input", "x=" + filepath.Join(dir, "nope.pb")}, "nope.pb"},
		{[]string{"run", path, "--input", "z=" + npy}, `no input "z"`},
		{[]string{"run", filepath.Join(dir, "none.onnx")}, "none.onnx"},
		{[]string{"run", path, "--input", "x=" + path}, `input "x"`},
	}
	for _, c := range errCases {
		code, _, errs := run(c.args...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to contain %q", c.args, code, errs, c.want)
		}
	}
	if code, _, errs := run("run", path, "--input", "x"); code != exitUsage || !strings.Contains(errs, "name=FILE") {
		t.Errorf("bad --input: exit %d, %q", code, errs)
	}
}

func TestDemo(t *testing.T) {
	code, out, errs := run("demo", "--quick")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(out, "reloaded model matches the in-memory run: yes") {
		t.Errorf("demo output:\n%s", out)
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"y": "y", "a/b:c": "a_b_c", "..": "__", "": "_"} {
		if got := fileName(in); got != want {
			t.Errorf("fileName(%q) = %q, want %q", in, got, want)
		}
	}
}
