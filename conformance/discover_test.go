package conformance

import (
	"os"
	"path/filepath"
	"testing"
)

func touch(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDiscover(t *testing.T) {
	root := t.TempDir()
	touch(t, filepath.Join(root, "node/test_b/model.onnx"), "")
	touch(t, filepath.Join(root, "node/test_b/test_data_set_0/input_0.pb"), "")
	touch(t, filepath.Join(root, "node/test_a/model.onnx"), "")
	touch(t, filepath.Join(root, "node/test_a/test_data_set_10/input_0.pb"), "")
	touch(t, filepath.Join(root, "node/test_a/test_data_set_2/input_0.pb"), "")
	touch(t, filepath.Join(root, "node/test_a/data.json"), `{"rtol": 0.5}`)
	touch(t, filepath.Join(root, "node/no_data/model.onnx"), "") // no data set: not a case
	touch(t, filepath.Join(root, "pytorch-operator/test_operator_x/model.onnx"), "")
	touch(t, filepath.Join(root, "pytorch-operator/test_operator_x/test_data_set_0/output_0.pb"), "")
	touch(t, filepath.Join(root, "light/light_net.onnx"), "")
	touch(t, filepath.Join(root, "light/light_net_output_0.pb"), "")
	touch(t, filepath.Join(root, "light/light_lonely.onnx"), "") // no expected output
	touch(t, filepath.Join(root, "light/light_other.onnx"), "")
	touch(t, filepath.Join(root, "light/light_other_output_0.pb"), "")
	touch(t, filepath.Join(root, "real/test_net/data.json"), `{"atol": 1e-07, "model_name": "net", "rtol": 0.002}`)

	cases, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	want := []string{"light/light_net", "light/light_other", "node/test_a", "node/test_b", "pytorch-operator/test_operator_x"}
	if len(names) != len(want) {
		t.Fatalf("got %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("got %v, want %v", names, want)
		}
	}
	byName := map[string]Case{}
	for _, c := range cases {
		byName[c.Name] = c
	}
	if c := byName["light/light_net"]; !c.Generated() || c.RTol != 0.002 || c.ATol != 1e-7 || c.Category != "light" {
		t.Errorf("light_net: %+v", c)
	}
	if c := byName["light/light_other"]; c.RTol != DefaultRTol || c.ATol != DefaultATol {
		t.Errorf("light_other tolerances: %+v", c)
	}
	a := byName["node/test_a"]
	if a.RTol != 0.5 || a.ATol != DefaultATol || a.Generated() {
		t.Errorf("test_a: %+v", a)
	}
	if len(a.DataSets) != 2 || filepath.Base(a.DataSets[0]) != "test_data_set_2" || filepath.Base(a.DataSets[1]) != "test_data_set_10" {
		t.Errorf("test_a data sets: %v", a.DataSets)
	}

	// A case folder given directly is that one case; overlapping dirs
	// yield each case once.
	one, err := Discover(filepath.Join(root, "node/test_b"), filepath.Join(root, "node"))
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != 2 || one[0].Name != "node/test_a" || one[1].Name != "node/test_b" {
		t.Fatalf("got %+v", one)
	}
	if _, err := Discover(filepath.Join(root, "missing")); err == nil {
		t.Fatal("no error for a missing folder")
	}
}

func TestNumberedFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"input_0.pb", "input_1.pb", "input_10.pb", "output_0.pb"} {
		touch(t, filepath.Join(dir, n), "")
	}
	if _, err := numberedFiles(dir, "input_"); err == nil {
		t.Fatal("gap in numbering not reported")
	}
	out, err := numberedFiles(dir, "output_")
	if err != nil || len(out) != 1 {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestReportAndManifest(t *testing.T) {
	rs := []Result{
		{Name: "node/a", Category: "node", Status: Pass, Ops: []string{"Add"}},
		{Name: "node/b", Category: "node", Status: Fail, Ops: []string{"Add", "ai.onnx.ml:LabelEncoder"}},
		{Name: "simple/c", Category: "simple", Status: Skip, Ops: []string{"Relu"}},
	}
	r := NewReport("cpu", rs)
	if got := r.Summary(); got != "1 passed, 1 failed, 1 skipped" {
		t.Errorf("summary %q", got)
	}
	ops := r.Ops()
	if len(ops) != 2 || ops[0] != (OpStat{"Add", 1, 2}) || ops[1] != (OpStat{"ai.onnx.ml:LabelEncoder", 0, 1}) {
		t.Errorf("ops %+v", ops)
	}
	doc := "intro\n" + BeginMarker + "\nold\n" + EndMarker + "\nend\n"
	out, err := SpliceMarkdown(doc, r.Markdown())
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n" + BeginMarker + "\n| category | passed | failed | skipped | total |\n|---|---:|---:|---:|---:|\n" +
		"| node | 1 | 1 | 0 | 2 |\n| simple | 0 | 0 | 1 | 1 |\n| **all** | **1** | **1** | **1** | **3** |\n" + EndMarker + "\nend\n"
	if out != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", out, want)
	}
	path := filepath.Join(t.TempDir(), "cpu.txt")
	if err := WriteManifest(path, "cpu", []string{"node/b", "node/a"}); err != nil {
		t.Fatal(err)
	}
	names, err := ReadManifest(path)
	if err != nil || len(names) != 2 || names[0] != "node/a" || names[1] != "node/b" {
		t.Fatalf("manifest %v, %v", names, err)
	}
}
