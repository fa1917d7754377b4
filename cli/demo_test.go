package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/importer"
)

func TestDemoQuick(t *testing.T) {
	needMNIST(t)
	dir := t.TempDir()
	code, out, errs := invoke("demo", "--quick", "--runs", "5", "--out-dir", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{
		"[1/6] data", "3,000 training images, 1,000 test images",
		"[2/6] model", "61,706 parameters",
		"[3/6] training", "images/s",
		"[4/6] export", "[5/6] optimize", "passes.Run level 2",
		"[6/6] reload", "reloaded model matches the in-memory run: yes",
		"test accuracy:", "latency, batch 1: median", "throughput, batch 64:", "summary:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"lenet5.onnx", "lenet5-optimized.onnx"} {
		m, err := importer.Load(filepath.Join(dir, f), importer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Graph.Results[0].Type.String(); got != "f32[N,10]" {
			t.Errorf("%s: output %s", f, got)
		}
	}
}

func TestDemoErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"demo", "extra"}, exitUsage, "takes no arguments"},
		{[]string{"demo", "--batch", "0"}, exitUsage, "must be positive"},
		{[]string{"demo", "--optimizer", "sgdx"}, exitUsage, "unknown --optimizer"},
		{[]string{"demo", "--quick", "--backend", "nosuch"}, exitFail, "nosuch"},
		{[]string{"demo", "--quick", "--data", os.DevNull}, exitFail, "--data " + os.DevNull},
	} {
		code, _, errs := invoke(c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, c.code, c.want)
		}
	}
}
