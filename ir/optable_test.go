package ir

import (
	"sort"
	"strings"
	"testing"
)

// defaultFits reports whether an attribute default has the Go type that
// its declared attribute type calls for.
func defaultFits(t AttrType, def any) bool {
	switch def.(type) {
	case float32, float64:
		return t == AttrFloat
	case int64, int:
		return t == AttrInt
	case string:
		return t == AttrString
	case []int64:
		return t == AttrInts
	case []float32:
		return t == AttrFloats
	case []string:
		return t == AttrStrings
	}
	return false
}

func TestOpTableSchemas(t *testing.T) {
	schemas := Schemas()
	if len(schemas) == 0 {
		t.Fatal("the op table is empty")
	}
	if !sort.SliceIsSorted(schemas, func(i, j int) bool {
		if schemas[i].Domain != schemas[j].Domain {
			return schemas[i].Domain < schemas[j].Domain
		}
		return schemas[i].Name < schemas[j].Name
	}) {
		t.Error("Schemas is not sorted by domain and name")
	}
	for _, s := range schemas {
		name := s.Name
		if s.Domain != "" {
			name = s.Domain + ":" + s.Name
		}
		errorf := func(format string, args ...any) {
			t.Helper()
			t.Errorf(name+": "+format, args...)
		}

		// Versions.
		max, known := MaxOpset[s.Domain]
		if !known {
			errorf("domain %q is not in MaxOpset", s.Domain)
		}
		if len(s.Versions) == 0 {
			errorf("no versions")
		}
		for i, v := range s.Versions {
			if v < 1 || i > 0 && v <= s.Versions[i-1] {
				errorf("versions %v are not positive and strictly ascending", s.Versions)
				break
			}
			if known && v > max {
				errorf("version %d is newer than the newest known opset %d", v, max)
			}
		}
		if s.Deprecated != 0 && len(s.Versions) > 0 && s.Deprecated <= s.Versions[0] {
			errorf("deprecated at %d, before its first version %d", s.Deprecated, s.Versions[0])
		}
		for _, v := range s.Versions {
			if s.Deprecated != 0 && v >= s.Deprecated {
				continue
			}
			if LookupSchema(s.Domain, s.Name, v) != s || s.SinceVersion(v) != v {
				errorf("not found at its own version %d", v)
			}
		}

		// Shape function.
		if s.Infer == nil {
			errorf("no Infer function")
		}

		// Signatures.
		typeVars := map[string]bool{}
		for _, sig := range []struct {
			what    string
			text    string
			formals []Formal
		}{{"inputs", s.Inputs, s.FormalInputs()}, {"outputs", s.Outputs, s.FormalOutputs()}} {
			if len(sig.formals) != len(strings.Fields(sig.text)) {
				errorf("%s %q parse to %d formals", sig.what, sig.text, len(sig.formals))
			}
			seen := map[string]bool{}
			for i, f := range sig.formals {
				if f.Name == "" || strings.ContainsAny(f.Name, "?.:") {
					errorf("%s: bad formal name %q", sig.what, f.Name)
				}
				if seen[f.Name] {
					errorf("%s: formal %s appears twice", sig.what, f.Name)
				}
				seen[f.Name] = true
				if f.Variadic && i != len(sig.formals)-1 {
					errorf("%s: variadic formal %s is not last", sig.what, f.Name)
				}
				if f.TypeVar != "" {
					typeVars[f.TypeVar] = true
				}
			}
			min, max := arity(sig.formals)
			if max >= 0 && min > max {
				errorf("%s: arity %d..%d", sig.what, min, max)
			}
		}
		if _, err := parseTypes(s.Types); err != nil {
			errorf("types %q: %v", s.Types, err)
		}
		for _, field := range strings.Fields(s.Types) {
			tv, _, _ := strings.Cut(field, "=")
			if !typeVars[tv] {
				errorf("type constraint %s names no formal's type variable", field)
			}
			if len(s.Allowed(tv)) == 0 {
				errorf("type constraint %s allows nothing", field)
			}
		}

		// Attributes.
		attrNames := map[string]bool{}
		for _, d := range s.Attrs {
			if d.Name == "" {
				errorf("attribute without a name")
			}
			if attrNames[d.Name] {
				errorf("attribute %s declared twice", d.Name)
			}
			attrNames[d.Name] = true
			if d.Type < AttrFloat || d.Type > AttrTypeProtos {
				errorf("attribute %s has type %s", d.Name, d.Type)
			}
			if d.Default == nil {
				continue
			}
			if d.Required {
				errorf("attribute %s is required and has a default", d.Name)
			}
			if !defaultFits(d.Type, d.Default) {
				errorf("attribute %s of type %s has a default of Go type %T", d.Name, d.Type, d.Default)
			}
			if a := d.defaultAttr(); a.Name != d.Name || a.Type != d.Type {
				errorf("attribute %s: default attribute %+v", d.Name, a)
			}
		}
	}
}

func TestOpTableLookup(t *testing.T) {
	s := LookupSchema("", "Identity", 13)
	if s == nil || s.Name != "Identity" || s.SinceVersion(13) != 13 || s.SinceVersion(15) != 14 {
		t.Fatalf("Identity at 13: %+v", s)
	}
	if LookupSchema("ai.onnx", "Identity", 13) != s || FindSchema("ai.onnx", "Identity") != s {
		t.Error("ai.onnx is not the default domain")
	}
	if LookupSchema("", "Identity", 0) != nil {
		t.Error("Identity found at opset 0")
	}
	if LookupSchema("", "NoSuchOp", 17) != nil || FindSchema("x", "Identity") != nil {
		t.Error("found an op that does not exist")
	}
}

func TestDefaultFits(t *testing.T) {
	for _, c := range []struct {
		t   AttrType
		def any
		ok  bool
	}{
		{AttrInt, int64(1), true}, {AttrInt, 1, true}, {AttrInt, float32(1), false},
		{AttrFloat, float32(1), true}, {AttrFloat, 1.0, true}, {AttrFloat, int64(1), false},
		{AttrString, "", true}, {AttrInts, []int64{}, true}, {AttrInts, []int{}, false},
		{AttrFloats, []float32{}, true}, {AttrStrings, []string{}, true}, {AttrTensor, "x", false},
	} {
		if defaultFits(c.t, c.def) != c.ok {
			t.Errorf("defaultFits(%s, %#v) = %v", c.t, c.def, !c.ok)
		}
	}
}
