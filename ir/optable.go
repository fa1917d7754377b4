package ir

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/onyxgo/onyx/tensor"
)

// OpSchema is the op table's one declaration of an operator. Importer,
// verifier, shape inference, passes and backends all consult it.
//
// Schemas are declared as data in the ops_*.go files, one file per op
// family, and registered in init.
type OpSchema struct {
	Name   string
	Domain string // "" for the default ONNX domain
	// Versions lists the opset versions at which the op's definition
	// changed, ascending. A node with opset N uses the largest version
	// <= N; an opset below the first version does not have the op.
	Versions []int
	// Deprecated, when non-zero, is the opset version from which the op no
	// longer exists.
	Deprecated int
	// Inputs and Outputs are signatures: space-separated formal parameters
	// "name:T", with "?" after the name for an optional one and "..." for a
	// variadic tail, e.g. "X:T W:T B?:T" or "inputs...:T".
	Inputs, Outputs string
	// Types constrains each type variable: "T=float" or
	// "T=float,int32 I=int64". Group names: float (f16 f32 f64 bf16), int
	// (all integer types), uint, sint, numeric (float and int), all (every
	// tensor type), bool, string, f8 (float8 kinds), and element short
	// names (f32, i64, ...). A missing variable allows any type.
	Types string
	Attrs []AttrDef
	// Infer computes output types from input types. Every op has one.
	Infer InferFunc
	// Doc is a one-line description.
	Doc string

	inputs, outputs []Formal
	types           map[string][]tensor.DType
}

// Formal is one formal parameter of a signature.
type Formal struct {
	Name     string
	TypeVar  string
	Optional bool
	Variadic bool
}

// AttrDef declares an attribute: its name, type, and default (nil when the
// attribute has none). Required attributes must be set on every node.
type AttrDef struct {
	Name     string
	Type     AttrType
	Default  any // float32, int64, string, []int64, []float32, []string
	Required bool
}

func (d *AttrDef) defaultAttr() *Attr {
	a := &Attr{Name: d.Name, Type: d.Type}
	switch v := d.Default.(type) {
	case float32:
		a.F = v
	case float64:
		a.F = float32(v)
	case int64:
		a.I = v
	case int:
		a.I = int64(v)
	case string:
		a.S = v
	case []int64:
		a.Ints = v
	case []float32:
		a.Floats = v
	case []string:
		a.Strings = v
	}
	return a
}

// Attribute declaration helpers for the op tables.

// AttrF declares a float attribute with a default.
func AttrF(name string, def float32) AttrDef {
	return AttrDef{Name: name, Type: AttrFloat, Default: def}
}

// AttrI declares an int attribute with a default.
func AttrI(name string, def int64) AttrDef { return AttrDef{Name: name, Type: AttrInt, Default: def} }

// AttrS declares a string attribute with a default.
func AttrS(name, def string) AttrDef { return AttrDef{Name: name, Type: AttrString, Default: def} }

// AttrOpt declares an attribute without a default.
func AttrOpt(name string, t AttrType) AttrDef { return AttrDef{Name: name, Type: t} }

// AttrReq declares a required attribute.
func AttrReq(name string, t AttrType) AttrDef { return AttrDef{Name: name, Type: t, Required: true} }

// AttrDef returns the declaration of the attribute called name, or nil.
func (s *OpSchema) AttrDef(name string) *AttrDef {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

// FormalInputs returns the parsed input signature.
func (s *OpSchema) FormalInputs() []Formal { return s.inputs }

// FormalOutputs returns the parsed output signature.
func (s *OpSchema) FormalOutputs() []Formal { return s.outputs }

// Arity returns the allowed input count range; max is -1 when variadic.
func (s *OpSchema) Arity() (min, max int) { return arity(s.inputs) }

// OutputArity returns the allowed output count range; max is -1 when
// variadic.
func (s *OpSchema) OutputArity() (min, max int) { return arity(s.outputs) }

func arity(fs []Formal) (min, max int) {
	for i, f := range fs {
		if !f.Optional && !f.Variadic {
			min = i + 1
		}
		if f.Variadic {
			if !f.Optional {
				min = i + 1
			}
			return min, -1
		}
	}
	return min, len(fs)
}

// Allowed returns the element types allowed for a type variable, nil when
// any type is allowed.
func (s *OpSchema) Allowed(typeVar string) []tensor.DType { return s.types[typeVar] }

// SinceVersion returns the version of the definition in force at opset, or
// 0 when the op does not exist at that opset.
func (s *OpSchema) SinceVersion(opset int) int {
	if s.Deprecated > 0 && opset >= s.Deprecated {
		return 0
	}
	v := 0
	for _, x := range s.Versions {
		if x <= opset {
			v = x
		}
	}
	return v
}

// MaxOpset is the newest opset version onyx knows, per domain. Models that
// import a newer one are refused: their ops may mean something else.
var MaxOpset = map[string]int{
	"":                         28,
	"ai.onnx.ml":               5,
	"ai.onnx.preview.training": 1,
	"ai.onnx.preview":          1,
	"onyx":                     1,
}

var (
	tableMu sync.RWMutex
	table   = map[string]*OpSchema{} // key: domain + ":" + name
)

func key(domain, name string) string { return NormDomain(domain) + ":" + name }

// Register adds schemas to the op table. It panics on a malformed or
// duplicate declaration: the table is data written by hand, and a mistake
// in it must stop the program at start-up, not mislead it later.
func Register(schemas ...OpSchema) {
	tableMu.Lock()
	defer tableMu.Unlock()
	for i := range schemas {
		s := schemas[i]
		s.Domain = NormDomain(s.Domain)
		if err := s.prepare(); err != nil {
			panic(fmt.Sprintf("ir: op table: %s: %v", key(s.Domain, s.Name), err))
		}
		k := key(s.Domain, s.Name)
		if _, dup := table[k]; dup {
			panic("ir: op table: duplicate declaration of " + k)
		}
		table[k] = &s
	}
}

func (s *OpSchema) prepare() error {
	if s.Name == "" || len(s.Versions) == 0 {
		return fmt.Errorf("needs a name and at least one version")
	}
	if !sort.IntsAreSorted(s.Versions) {
		return fmt.Errorf("versions %v are not ascending", s.Versions)
	}
	if s.Infer == nil {
		return fmt.Errorf("has no shape function")
	}
	var err error
	if s.inputs, err = parseSignature(s.Inputs); err != nil {
		return fmt.Errorf("inputs: %v", err)
	}
	if s.outputs, err = parseSignature(s.Outputs); err != nil {
		return fmt.Errorf("outputs: %v", err)
	}
	if s.types, err = parseTypes(s.Types); err != nil {
		return err
	}
	return nil
}

func parseSignature(sig string) ([]Formal, error) {
	var fs []Formal
	for i, field := range strings.Fields(sig) {
		name, tv, _ := strings.Cut(field, ":")
		f := Formal{TypeVar: tv}
		for {
			if strings.HasSuffix(name, "...") {
				f.Variadic = true
				name = strings.TrimSuffix(name, "...")
			} else if strings.HasSuffix(name, "?") {
				f.Optional = true
				name = strings.TrimSuffix(name, "?")
			} else {
				break
			}
		}
		f.Name = name
		if name == "" {
			return nil, fmt.Errorf("empty parameter %d in %q", i, sig)
		}
		if f.Variadic && i != len(strings.Fields(sig))-1 {
			return nil, fmt.Errorf("variadic parameter %q is not last", name)
		}
		fs = append(fs, f)
	}
	return fs, nil
}

// typeGroups names the sets of element types used in type constraints. It
// is built in a variable initializer, so it is ready before any init
// function registers schemas.
var typeGroups = func() map[string][]tensor.DType {
	g := map[string][]tensor.DType{
		"float":   {tensor.Float16, tensor.Float32, tensor.Float64, tensor.BFloat16},
		"uint":    {tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64},
		"sint":    {tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64},
		"bool":    {tensor.Bool},
		"string":  {tensor.String},
		"f8":      {tensor.Float8E4M3FN, tensor.Float8E4M3FNUZ, tensor.Float8E5M2, tensor.Float8E5M2FNUZ},
		"complex": {tensor.Complex64, tensor.Complex128},
		"int4":    {tensor.Int4, tensor.Uint4},
	}
	g["int"] = append(append([]tensor.DType{}, g["uint"]...), g["sint"]...)
	g["numeric"] = append(append([]tensor.DType{}, g["float"]...), g["int"]...)
	var all []tensor.DType
	for d := tensor.Float32; d <= tensor.MaxDType; d++ {
		all = append(all, d)
	}
	g["all"] = all
	return g
}()

func parseTypes(spec string) (map[string][]tensor.DType, error) {
	m := map[string][]tensor.DType{}
	for _, field := range strings.Fields(spec) {
		name, list, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("type constraint %q lacks '='", field)
		}
		for _, g := range strings.Split(list, ",") {
			if ds, ok := typeGroups[g]; ok {
				m[name] = append(m[name], ds...)
				continue
			}
			d, ok := tensor.DTypeByName(g)
			if !ok {
				return nil, fmt.Errorf("unknown type %q in %q", g, field)
			}
			m[name] = append(m[name], d)
		}
	}
	return m, nil
}

// LookupSchema returns the schema of op in domain as defined at opset, or
// nil when the table has no such op at that opset.
func LookupSchema(domain, op string, opset int) *OpSchema {
	tableMu.RLock()
	s := table[key(domain, op)]
	tableMu.RUnlock()
	if s == nil || s.SinceVersion(opset) == 0 {
		return nil
	}
	return s
}

// FindSchema returns the schema of op regardless of version, or nil.
func FindSchema(domain, op string) *OpSchema {
	tableMu.RLock()
	defer tableMu.RUnlock()
	return table[key(domain, op)]
}

// Schemas returns every schema in the table, sorted by domain and name.
func Schemas() []*OpSchema {
	tableMu.RLock()
	defer tableMu.RUnlock()
	out := make([]*OpSchema, 0, len(table))
	for _, s := range table {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ResolveNode sets n.Schema from the op table, returning an error that
// names the node when the op or its opset is unknown.
func ResolveNode(n *Node) error {
	s := FindSchema(n.Domain, n.Op)
	if s == nil {
		return fmt.Errorf("unknown op %s in domain %q", n.Op, domainName(n.Domain))
	}
	if s.SinceVersion(n.Opset) == 0 {
		return fmt.Errorf("op %s does not exist at opset %d of domain %q (versions %v)", n.Op, n.Opset, domainName(n.Domain), s.Versions)
	}
	n.Schema = s
	return nil
}

func domainName(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}
