package importer

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// testdataDir returns the ONNX conformance data folder: $ONNX_TESTDATA, or
// the shared copy next to the repository. ok is false when it is absent.
func testdataDir() (string, bool) {
	dir := os.Getenv("ONNX_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "onnx-tests")
	}
	if _, err := os.Stat(filepath.Join(dir, "node")); err != nil {
		return dir, false
	}
	return dir, true
}

// conformanceModels lists every model file of the conformance data.
func conformanceModels(t testing.TB) []string {
	dir, ok := testdataDir()
	if !ok {
		t.Skipf("ONNX test data not found at %s", dir)
	}
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

func TestLoadConformanceModels(t *testing.T) {
	paths := conformanceModels(t)
	unknown := map[string]int{}
	for _, p := range paths {
		m, err := Load(p, Options{AllowUnknownOps: true})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if m.Graph == nil || len(m.Graph.Results) == 0 {
			t.Errorf("%s: graph without results", p)
		}
		m.Graph.Walk(func(_ *ir.Func, n *ir.Node) {
			if n.Schema == nil {
				unknown[n.OpName()]++
			}
		})
	}
	if len(unknown) > 0 {
		var names []string
		for k := range unknown {
			names = append(names, k)
		}
		sort.Strings(names)
		t.Logf("%d ops not in the op table yet: %s", len(names), strings.Join(names, " "))
	}
}

// TestDecodeTestData decodes every input/output file of every case, by the
// type of the graph input or output it belongs to.
func TestDecodeTestData(t *testing.T) {
	paths := conformanceModels(t)
	kinds := map[ir.Kind]int{}
	for _, p := range paths {
		if filepath.Base(p) != "model.onnx" {
			continue
		}
		m, err := Load(p, Options{AllowUnknownOps: true})
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		sets, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "test_data_set_*"))
		for _, set := range sets {
			check := func(prefix string, types []ir.Type) {
				files, _ := filepath.Glob(filepath.Join(set, prefix+"_*.pb"))
				if len(files) > len(types) {
					t.Errorf("%s: %d %s files for %d graph values", set, len(files), prefix, len(types))
					return
				}
				for i := range files {
					f := filepath.Join(set, prefix+"_"+strconv.Itoa(i)+".pb")
					v, err := ReadValue(f, types[i])
					if err != nil {
						t.Errorf("%v", err)
						continue
					}
					kinds[types[i].Kind]++
					if err := valueMatches(v, types[i]); err != "" {
						t.Errorf("%s: %s", f, err)
					}
				}
			}
			var in, out []ir.Type
			for _, v := range m.Graph.Params {
				in = append(in, v.Type)
			}
			for _, v := range m.Graph.Results {
				out = append(out, v.Type)
			}
			check("input", in)
			check("output", out)
		}
	}
	t.Logf("decoded values by kind: %v", kinds)
}

// valueMatches checks a decoded value against its declared type.
func valueMatches(v tensor.Value, want ir.Type) string {
	switch want.Kind {
	case ir.KindTensor, ir.KindUnknown:
		t, ok := v.(*tensor.Tensor)
		if !ok {
			return "not a tensor"
		}
		if want.Kind == ir.KindTensor && want.Elem != tensor.Undefined && t.DType() != want.Elem {
			return "element type " + t.DType().String() + ", declared " + want.Elem.String()
		}
		if want.HasShape {
			if len(want.Shape) != t.Rank() {
				return "rank differs from the declared type " + want.String()
			}
			for i, d := range want.Shape {
				if d.IsKnown() && int(d.Size) != t.Dim(i) {
					return "shape differs from the declared type " + want.String()
				}
			}
		}
	case ir.KindSequence:
		s, ok := v.(*tensor.Sequence)
		if !ok {
			return "not a sequence"
		}
		if want.Inner != nil && want.Inner.Kind == ir.KindTensor && s.Elem != want.Inner.Elem {
			return "sequence element type " + s.Elem.String()
		}
	case ir.KindOptional:
		o, ok := v.(*tensor.Optional)
		if !ok {
			return "not an optional"
		}
		if o.Value != nil && want.Inner != nil {
			return valueMatches(o.Value, *want.Inner)
		}
	}
	return ""
}

// TestSpecificTestValues checks a few values of the conformance data whose
// contents are known: sequences, optionals (empty and full) and sub-byte
// tensors.
func TestSpecificTestValues(t *testing.T) {
	dir, ok := testdataDir()
	if !ok {
		t.Skipf("ONNX test data not found at %s", dir)
	}
	read := func(c, file string, want ir.Type) tensor.Value {
		t.Helper()
		v, err := ReadValue(filepath.Join(dir, "node", c, "test_data_set_0", file), want)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	seqI64 := ir.SequenceOf(ir.UnrankedTensor(tensor.Int64))
	s := read("test_sequence_insert_at_back", "input_0.pb", seqI64).(*tensor.Sequence)
	if s.Elem != tensor.Int64 || len(s.Tensors) != 3 || s.Tensors[0].Len() != 4 || s.Tensors[2].Int64s()[1] != 9 {
		t.Errorf("sequence = %v", s)
	}
	empty := read("test_loop13_seq", "input_2.pb", ir.SequenceOf(ir.UnrankedTensor(tensor.Float32))).(*tensor.Sequence)
	if len(empty.Tensors) != 0 || empty.Elem != tensor.Float32 {
		t.Errorf("empty sequence = %+v", empty)
	}
	o := read("test_optional_has_element_empty_optional_input", "input_0.pb", ir.OptionalOf(ir.UnrankedTensor(tensor.Int32))).(*tensor.Optional)
	if o.Value != nil {
		t.Errorf("empty optional holds %v", o.Value)
	}
	o = read("test_identity_opt", "input_0.pb", ir.OptionalOf(ir.SequenceOf(ir.UnrankedTensor(tensor.Float32)))).(*tensor.Optional)
	if s, ok := o.Value.(*tensor.Sequence); !ok || len(s.Tensors) != 1 || s.Tensors[0].Float32s()[4] != 5 {
		t.Errorf("optional sequence = %+v", o.Value)
	}
	i4 := read("test_dequantizelinear_int4", "input_0.pb", ir.Type{}).(*tensor.Tensor)
	// int32_data 0x10, 0xc7, 0x08 packs 0, 1, 7, -4, 8 -> -8.
	want := []int8{0, 1, 7, -4, -8}
	for i, w := range want {
		if int8(i4.Bytes()[i]) != w {
			t.Errorf("int4 element %d = %d, want %d", i, int8(i4.Bytes()[i]), w)
		}
	}
}
