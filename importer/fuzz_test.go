package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// seedFiles adds the conformance files matching pattern (under node/) to
// the corpus; none when the data is absent.
func seedFiles(f *testing.F, pattern string) {
	dir, ok := testdataDir()
	if !ok {
		return
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "node", "*", pattern))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzDecode checks that no byte string makes Decode panic (the recover in
// Decode turns a panic into an "internal error", which counts as a crash
// here too).
func FuzzDecode(f *testing.F) {
	f.Add([]byte{})
	f.Add(marshal(f, reluModel()))
	f.Add(marshal(f, recursiveFunctionModel()))
	f.Add(marshal(f, sparseModel([]int64{1, 3}, []int64{4})))
	f.Add(marshal(f, deepModel(3)))
	f.Add(marshal(f, explodingFunctionsModel(3)))
	seedFiles(f, "model.onnx")
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		timer := time.AfterFunc(20*time.Second, func() { panic("input took over 20s to decode") })
		defer timer.Stop()
		m, err := Decode(data, Options{BaseDir: base, AllowUnknownOps: len(data)%2 == 0})
		if err != nil {
			if containsInternal(err) {
				t.Fatalf("panic while decoding: %v", err)
			}
			return
		}
		if m.Graph == nil {
			t.Fatal("nil graph without an error")
		}
	})
}

// FuzzDecodeTensor does the same for single tensors.
func FuzzDecodeTensor(f *testing.F) {
	f.Add([]byte{})
	seedFiles(f, filepath.Join("test_data_set_0", "input_0.pb"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tt, _, err := DecodeTensor(data)
		if err != nil {
			if containsInternal(err) {
				t.Fatalf("panic while decoding: %v", err)
			}
			return
		}
		if tt == nil {
			t.Fatal("nil tensor without an error")
		}
	})
}

func containsInternal(err error) bool {
	return err != nil && strings.Contains(err.Error(), "internal error")
}
