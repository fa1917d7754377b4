package ir

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Value is an edge of the graph: a parameter, a constant, or an output of
// exactly one node. Uses lists the nodes that read it (a node appears once
// per input slot that reads it), kept right by the mutation methods.
type Value struct {
	Name string
	Type Type
	// Def is the node that defines the value, nil for parameters and
	// constants.
	Def *Node
	// Const is the value of a constant (an ONNX initializer). A parameter
	// may also carry Const: a graph input with a default (IR < 4 style).
	Const *tensor.Tensor
	// Param marks a graph input.
	Param bool
	Uses  []*Node
	Doc   string
}

// IsConst reports whether v is a constant that cannot be overridden.
func (v *Value) IsConst() bool { return v.Const != nil && !v.Param }

func (v *Value) String() string { return "%" + v.Name }

// Node is one operation: op (in domain) applied to inputs, defining
// outputs. A nil entry in Inputs is an omitted optional input; a nil entry
// in Outputs is an omitted optional output.
type Node struct {
	Name   string
	Op     string
	Domain string // "" is the default ONNX domain (ai.onnx)
	// Opset is the version of Domain that the model imports; the op's
	// meaning follows it.
	Opset   int
	Inputs  []*Value
	Outputs []*Value
	Attrs   []Attr
	Doc     string
	// Schema is the op table entry the node was resolved to, nil when the
	// op is unknown.
	Schema *OpSchema
}

// OpName returns "Op" for the default domain and "domain:Op" otherwise.
func (n *Node) OpName() string {
	if n.Domain == "" || n.Domain == "ai.onnx" {
		return n.Op
	}
	return n.Domain + ":" + n.Op
}

func (n *Node) String() string {
	if n.Name != "" {
		return fmt.Sprintf("%s %q", n.OpName(), n.Name)
	}
	if len(n.Outputs) > 0 && n.Outputs[0] != nil {
		return fmt.Sprintf("%s -> %s", n.OpName(), n.Outputs[0])
	}
	return n.OpName()
}

// Input returns input i, or nil when absent.
func (n *Node) Input(i int) *Value {
	if i < len(n.Inputs) {
		return n.Inputs[i]
	}
	return nil
}

// Attr returns the attribute named name, or nil.
func (n *Node) Attr(name string) *Attr {
	for i := range n.Attrs {
		if n.Attrs[i].Name == name {
			return &n.Attrs[i]
		}
	}
	return nil
}

// SetAttr adds or replaces an attribute.
func (n *Node) SetAttr(a Attr) {
	for i := range n.Attrs {
		if n.Attrs[i].Name == a.Name {
			n.Attrs[i] = a
			return
		}
	}
	n.Attrs = append(n.Attrs, a)
}

// HasAttr reports whether the node sets the attribute.
func (n *Node) HasAttr(name string) bool { return n.Attr(name) != nil }

// Typed attribute accessors. When the node does not set the attribute they
// return the op table's default; with no default either they return the
// zero value.

func (n *Node) attrOrDefault(name string) *Attr {
	if a := n.Attr(name); a != nil {
		return a
	}
	if n.Schema != nil {
		if d := n.Schema.AttrDef(name); d != nil && d.Default != nil {
			return d.defaultAttr()
		}
	}
	return nil
}

// Int returns an int attribute.
func (n *Node) Int(name string) int64 {
	if a := n.attrOrDefault(name); a != nil {
		return a.I
	}
	return 0
}

// IntOr returns an int attribute, or def when it is not set.
func (n *Node) IntOr(name string, def int64) int64 {
	if a := n.Attr(name); a != nil {
		return a.I
	}
	return def
}

// Float returns a float attribute.
func (n *Node) Float(name string) float32 {
	if a := n.attrOrDefault(name); a != nil {
		return a.F
	}
	return 0
}

// FloatOr returns a float attribute, or def when it is not set.
func (n *Node) FloatOr(name string, def float32) float32 {
	if a := n.Attr(name); a != nil {
		return a.F
	}
	return def
}

// Str returns a string attribute.
func (n *Node) Str(name string) string {
	if a := n.attrOrDefault(name); a != nil {
		return a.S
	}
	return ""
}

// StrOr returns a string attribute, or def when it is not set.
func (n *Node) StrOr(name, def string) string {
	if a := n.Attr(name); a != nil {
		return a.S
	}
	return def
}

// Ints returns an ints attribute (nil when unset and without default).
func (n *Node) Ints(name string) []int64 {
	if a := n.attrOrDefault(name); a != nil {
		return a.Ints
	}
	return nil
}

// Floats returns a floats attribute.
func (n *Node) Floats(name string) []float32 {
	if a := n.attrOrDefault(name); a != nil {
		return a.Floats
	}
	return nil
}

// Strings returns a strings attribute.
func (n *Node) Strings(name string) []string {
	if a := n.attrOrDefault(name); a != nil {
		return a.Strings
	}
	return nil
}

// Tensor returns a tensor attribute.
func (n *Node) Tensor(name string) *tensor.Tensor {
	if a := n.Attr(name); a != nil {
		return a.T
	}
	return nil
}

// Graph returns a graph attribute.
func (n *Node) Graph(name string) *Func {
	if a := n.Attr(name); a != nil {
		return a.G
	}
	return nil
}

// Func is a graph: parameters, constants, nodes in topological order, and
// results. Subgraphs (If branches, Loop and Scan bodies) are Funcs held in
// node attributes; their nodes may read values of enclosing Funcs (Outer).
type Func struct {
	Name    string
	Params  []*Value
	Consts  []*Value
	Nodes   []*Node
	Results []*Value
	// Outer is the enclosing Func of a subgraph, nil for a top-level Func.
	Outer *Func
	// ValueInfo holds declared types of intermediate values by name, kept
	// so that an export writes them back.
	Doc string
	// SparseConsts are sparse initializers, kept in sparse form.
	SparseConsts []*SparseConst
	// Metadata holds graph-level metadata properties.
	Metadata []KV
	// QuantAnnotations holds graph quantization annotations, kept for
	// export.
	QuantAnnotations []QuantAnnotation
}

// SparseConst is a sparse initializer: a constant value whose dense form
// is held in Value.Const and whose sparse form is kept for export.
type SparseConst struct {
	Value  *Value
	Sparse *SparseTensor
}

// QuantAnnotation is a graph quantization annotation (ONNX
// TensorAnnotation).
type QuantAnnotation struct {
	Tensor string
	Params []KV
}

// KV is a key/value string pair.
type KV struct{ Key, Value string }

// NewFunc returns an empty Func.
func NewFunc(name string) *Func { return &Func{Name: name} }

// AddParam appends a graph input.
func (f *Func) AddParam(name string, t Type) *Value {
	v := &Value{Name: name, Type: t, Param: true}
	f.Params = append(f.Params, v)
	return v
}

// AddConst appends a constant.
func (f *Func) AddConst(name string, t *tensor.Tensor) *Value {
	v := &Value{Name: name, Type: TensorOf(t.DType(), dimsOf(t.Shape())), Const: t}
	f.Consts = append(f.Consts, v)
	return v
}

func dimsOf(s []int) []Dim {
	d := make([]Dim, len(s))
	for i, n := range s {
		d[i] = Known(int64(n))
	}
	return d
}

// DimsOf converts a static shape to dims.
func DimsOf(s []int) []Dim { return dimsOf(s) }

// NewNode builds a node, appends it to f and returns it. Outputs are new
// values with the given names (an empty name makes an omitted output) and
// unknown types; the node is resolved against the op table with opset.
func (f *Func) NewNode(op, domain string, opset int, inputs []*Value, outputNames []string, attrs ...Attr) *Node {
	n := &Node{Op: op, Domain: domain, Opset: opset, Inputs: inputs, Attrs: attrs}
	n.Schema = LookupSchema(domain, op, opset)
	for _, in := range inputs {
		if in != nil {
			in.Uses = append(in.Uses, n)
		}
	}
	for _, name := range outputNames {
		if name == "" {
			n.Outputs = append(n.Outputs, nil)
			continue
		}
		n.Outputs = append(n.Outputs, &Value{Name: name, Def: n})
	}
	f.Nodes = append(f.Nodes, n)
	return n
}

// AppendNode appends an already built node to f and records its uses.
func (f *Func) AppendNode(n *Node) {
	for _, in := range n.Inputs {
		if in != nil {
			in.Uses = append(in.Uses, n)
		}
	}
	for _, out := range n.Outputs {
		if out != nil {
			out.Def = n
		}
	}
	f.Nodes = append(f.Nodes, n)
}

// RemoveUse drops one use of v by n.
func (v *Value) removeUse(n *Node) {
	for i, u := range v.Uses {
		if u == n {
			v.Uses = append(v.Uses[:i], v.Uses[i+1:]...)
			return
		}
	}
}

// SetInput replaces input i of n, keeping use lists right.
func (n *Node) SetInput(i int, v *Value) {
	if old := n.Inputs[i]; old != nil {
		old.removeUse(n)
	}
	n.Inputs[i] = v
	if v != nil {
		v.Uses = append(v.Uses, n)
	}
}

// ReplaceAllUsesWith makes every reader of old read v instead, including
// the results of f and nodes in nested subgraphs.
func (f *Func) ReplaceAllUsesWith(old, v *Value) {
	for _, u := range append([]*Node(nil), old.Uses...) {
		for i, in := range u.Inputs {
			if in == old {
				u.SetInput(i, v)
			}
		}
	}
	for i, r := range f.Results {
		if r == old {
			f.Results[i] = v
		}
	}
	// Nodes inside subgraphs that capture old record no use on it; rewrite
	// them directly.
	f.Walk(func(g *Func, n *Node) {
		if g == f {
			return
		}
		for i, in := range n.Inputs {
			if in == old {
				n.Inputs[i] = v
			}
		}
		for i, r := range g.Results {
			if r == old {
				g.Results[i] = v
			}
		}
	})
}

// RemoveNode deletes n from f. Its outputs must be unused.
func (f *Func) RemoveNode(n *Node) error {
	for _, out := range n.Outputs {
		if out != nil && len(out.Uses) > 0 {
			return fmt.Errorf("ir: cannot remove %s: output %s still has %d uses", n, out, len(out.Uses))
		}
	}
	for i, m := range f.Nodes {
		if m == n {
			f.Nodes = append(f.Nodes[:i], f.Nodes[i+1:]...)
			for _, in := range n.Inputs {
				if in != nil {
					in.removeUse(n)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("ir: node %s is not in func %s", n, f.Name)
}

// InsertBefore inserts n into f just before the node at, recording uses.
// A nil at appends.
func (f *Func) InsertBefore(at, n *Node) {
	for _, in := range n.Inputs {
		if in != nil {
			in.Uses = append(in.Uses, n)
		}
	}
	for _, out := range n.Outputs {
		if out != nil {
			out.Def = n
		}
	}
	for i, m := range f.Nodes {
		if m == at {
			f.Nodes = append(f.Nodes[:i], append([]*Node{n}, f.Nodes[i:]...)...)
			return
		}
	}
	f.Nodes = append(f.Nodes, n)
}

// Walk calls fn for every node of f and of its nested subgraphs, depth
// first, parents before their subgraphs.
func (f *Func) Walk(fn func(g *Func, n *Node)) {
	for _, n := range f.Nodes {
		fn(f, n)
		for _, a := range n.Attrs {
			if a.G != nil {
				a.G.Walk(fn)
			}
			for _, g := range a.Graphs {
				g.Walk(fn)
			}
		}
	}
}

// Subgraphs returns the graphs held in n's attributes.
func (n *Node) Subgraphs() []*Func {
	var gs []*Func
	for _, a := range n.Attrs {
		if a.G != nil {
			gs = append(gs, a.G)
		}
		gs = append(gs, a.Graphs...)
	}
	return gs
}

// Values returns every value defined in f (parameters, constants, node
// outputs), not those of subgraphs.
func (f *Func) Values() []*Value {
	vs := append(append([]*Value{}, f.Params...), f.Consts...)
	for _, n := range f.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				vs = append(vs, o)
			}
		}
	}
	return vs
}

// Lookup finds the value called name defined in f.
func (f *Func) Lookup(name string) *Value {
	for _, v := range f.Values() {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// ParamCount returns the number of scalar weights held in f's constants.
func (f *Func) ParamCount() int64 {
	var n int64
	for _, c := range f.Consts {
		if c.Const != nil {
			n += int64(c.Const.Len())
		}
	}
	return n
}

// Model is a top-level graph with the facts of the file it came from.
type Model struct {
	Graph *Func
	// Opsets maps each imported domain ("" for ai.onnx) to its version.
	Opsets          map[string]int
	IRVersion       int64
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	Doc             string
	Metadata        []KV
	// Functions are the model-local functions, kept for export; the graph
	// itself has them inlined.
	Functions []*Function
	// Path is the file the model was loaded from, if any.
	Path string
}

// Function is a model-local function (ONNX FunctionProto): a body with
// formal inputs, outputs and attribute parameters.
type Function struct {
	Name, Domain, Overload string
	Inputs, Outputs        []string
	Attrs                  []string // attribute names without defaults
	AttrDefaults           []Attr   // attributes with defaults
	Opsets                 map[string]int
	Body                   *Func
	Doc                    string
}

// Opset returns the version of domain the model imports, 0 when it does
// not import it. "ai.onnx" and "" are the same domain.
func (m *Model) Opset(domain string) int {
	if domain == "ai.onnx" {
		domain = ""
	}
	return m.Opsets[domain]
}

// NormDomain maps "ai.onnx" to "", the canonical spelling of the default
// domain.
func NormDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

// maxInt guards int conversions of dims read from outside.
const maxInt = math.MaxInt32
