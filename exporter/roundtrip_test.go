package exporter

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
)

// testdataDir returns the ONNX conformance data folder: $ONNX_TESTDATA, or
// the shared copy next to the repository.
func testdataDir(t testing.TB) string {
	dir := os.Getenv("ONNX_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "onnx-tests")
	}
	if _, err := os.Stat(filepath.Join(dir, "node")); err != nil {
		t.Skipf("ONNX test data not found at %s", dir)
	}
	return dir
}

func conformanceModels(t testing.TB) []string {
	dir := testdataDir(t)
	var paths []string
	for _, cat := range []string{"node", "simple", "pytorch-converted", "pytorch-operator"} {
		m, _ := filepath.Glob(filepath.Join(dir, cat, "*", "model.onnx"))
		paths = append(paths, m...)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "light", "*.onnx"))
	paths = append(paths, m...)
	sort.Strings(paths)
	return paths
}

// roundTrip encodes m and decodes the bytes again.
func roundTrip(t *testing.T, m *ir.Model) *ir.Model {
	t.Helper()
	data, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	m2, err := importer.Decode(data, importer.Options{AllowUnknownOps: true})
	if err != nil {
		t.Fatalf("Decode of the encoded model: %v", err)
	}
	return m2
}

// TestRoundTripConformanceModels loads every conformance model, encodes it,
// decodes the result and checks that the two models are equivalent, both
// structurally and in their printed text form.
func TestRoundTripConformanceModels(t *testing.T) {
	paths := conformanceModels(t)
	for _, p := range paths {
		m1, err := importer.Load(p, importer.Options{AllowUnknownOps: true})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		data, err := Encode(m1)
		if err != nil {
			t.Errorf("%s: Encode: %v", p, err)
			continue
		}
		m2, err := importer.Decode(data, importer.Options{AllowUnknownOps: true})
		if err != nil {
			t.Errorf("%s: Decode of the encoded model: %v", p, err)
			continue
		}
		if d := modelDiff(m1, m2); d != "" {
			t.Errorf("%s: round trip differs: %s", p, d)
			continue
		}
		if a, b := ir.ModelText(m1), ir.ModelText(m2); a != b {
			t.Errorf("%s: printed form differs after a round trip", p)
		}
		// A second encoding is byte-identical: the writer is deterministic.
		data2, err := Encode(m2)
		if err != nil || string(data2) != string(data) {
			t.Errorf("%s: second encoding differs from the first", p)
		}
	}
}

// TestRoundTripTestData decodes every input/output file, encodes it again
// and checks that the value survives.
func TestRoundTripTestData(t *testing.T) {
	paths := conformanceModels(t)
	n := 0
	for _, p := range paths {
		if filepath.Base(p) != "model.onnx" {
			continue
		}
		m, err := importer.Load(p, importer.Options{AllowUnknownOps: true})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		sets, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "test_data_set_*"))
		for _, set := range sets {
			for _, side := range []struct {
				prefix string
				vals   []*ir.Value
			}{{"input", m.Graph.Params}, {"output", m.Graph.Results}} {
				for i, v := range side.vals {
					f := filepath.Join(set, side.prefix+"_"+strconv.Itoa(i)+".pb")
					if _, err := os.Stat(f); err != nil {
						continue
					}
					val, err := importer.ReadValue(f, v.Type)
					if err != nil {
						t.Errorf("%v", err)
						continue
					}
					data, err := EncodeValue(val, v.Name)
					if err != nil {
						t.Errorf("%s: EncodeValue: %v", f, err)
						continue
					}
					val2, err := importer.DecodeValue(data, v.Type)
					if err != nil {
						t.Errorf("%s: DecodeValue of the encoded value: %v", f, err)
						continue
					}
					if d := valueDiff(val, val2); d != "" {
						t.Errorf("%s: value differs after a round trip: %s", f, d)
					}
					n++
				}
			}
		}
	}
	t.Logf("%d values round-tripped", n)
}
