package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

func TestBench(t *testing.T) {
	if lookup("bench") == nil {
		t.Fatal("bench is not in the command table")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "relu.onnx")
	saveModel(t, model("Relu"), path)
	code, out, errs := run("bench", path, "--runs", "3", "--warmup", "0", "--threads", "1", "--compare-optimized")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"relu.onnx", "median", "p90", "runs/s", "model", "optimized", "ratio"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	x := tensor.FromSlice([]float32{1, -2, 3, -4}, 2, 2)
	npy := filepath.Join(dir, "x.npy")
	if err := tensor.SaveNpy(npy, x); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run("bench", path, "--runs", "1", "--input", "x="+npy); code != 0 {
		t.Errorf("with --input: exit %d: %s", code, errs)
	}
	if code, _, errs := run("bench", path, "--input", "nope="+npy); code != exitFail || !strings.Contains(errs, "no input") {
		t.Errorf("unknown input: exit %d: %s", code, errs)
	}
	if code, _, _ := run("bench", path, "--runs", "0"); code != exitUsage {
		t.Errorf("--runs 0: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := run("bench"); code != exitUsage {
		t.Errorf("no model: exit %d, want %d", code, exitUsage)
	}
}
