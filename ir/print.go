package ir

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// The text form of the IR. Print writes it and Parse reads it back
// exactly: Print(Parse(Print(f))) is Print(f), and the graph Parse builds
// is equal to f. One node per line, in the order of f.Nodes:
//
//	model ir=8 opset(""=17, "ai.onnx.ml"=3) producer="onyx"
//	func main(%x: f32[N,3], %w: f32[3,4] = [0.1, 0.2, ...]) -> (%y) {
//	  const %b: f32[4] = [1, 2, 3, 4]
//	  %t = MatMul(%x, %w) : f32[N,4] name="mm"
//	  %y = Add(%t, %b) : f32[N,4]
//	  %a, _ = Dropout(%y, _) {ratio = 0.5}
//	  %q = ai.onnx.ml:LabelEncoder(%s) {keys_strings = ["a", "b"], values_int64s = [1, 2]}
//	  %r = If@13(%c) {
//	      then_branch = func then() -> (%t) {
//	      },
//	      else_branch = func else() -> (%u) {
//	        %u = Neg(%t)
//	      }
//	    }
//	}
//
// Values are written %name, with the name quoted (%"a b") when it is not
// made of letters, digits, '_', '.' and '/'. An omitted input or output is
// _. Types are written as Type.String does: f32[N,3], f32[*] (unknown
// rank), ?[2] (unknown element type), seq<f32[*]>, opt<...>, map<i64,f32[?]>,
// sparse<f32[10]> and ? (unknown); a nil inner type is left empty (seq<>).
//
// A node's opset is that of the func header's or the model's opset clause
// for its domain; a node with another one says so after its op: Add@13.
// Print gives a top-level func an opset clause naming, for each domain its
// nodes use that the model does not import, the version most of them use.
//
// Tensors are written as element type, shape and values: f32[2,2] [1, 2, 3,
// 4]. A constant or parameter default whose type is exactly the tensor's
// leaves out the element type and shape. Floats are written in the
// shortest form that reads back to the same bits (nan, inf, -inf); a value
// that no decimal form gives back, such as a NaN with a payload, is written
// as its bits: bits(0x7fc00001). Float16, bfloat16, float8 and float4
// elements are written as the float value they stand for, complex ones as
// (re, im), strings quoted as in Go.
//
// Attributes are written name = value in braces: 0.5 (float: always with a
// point or exponent), 3 (int), "s" (string), a tensor, func ... { } (graph),
// [1.0, 2.0] (floats), [1, 2] (ints), ["a"] (strings), [tensor, ...]
// (tensors), [func ..., ...] (graphs), sparse(values, indices, [dims])
// (sparse tensor), type(f32[3]) (type proto), [type(...), ...] (type
// protos). Where the value does not settle the attribute's type (an empty
// list, a reference to an attribute of the enclosing function, an absent
// payload) the type is written too: pads: ints = [], alpha: float = @alpha,
// value: tensor = _.
//
// Doc strings and names follow what they describe as doc="..." and
// name="...": a value's doc its declaration (a node output's its name on
// the left of =), a node's name and doc the rest of its line, a func's doc
// its header. Besides nodes and constants, a func body holds its metadata
// (meta "key" = "value"), quantization annotations (quant "tensor" {"k" =
// "v"}) and sparse constants (sparse %w = sparse(...), naming a constant
// or other value of the func, or sparse %w: type = sparse(...) declaring
// a value of its own). A model is a header line (ir=, opset(...), producer=,
// producer_version=, domain=, model_version=, doc=), its metadata, its
// local functions (function domain:Name(inputs) -> (outputs) attrs(...)
// {defaults} opset(...) overload="..." doc="..." = func ...) and its graph.
// Model.Path is not written. Comments run from // to the end of the line.

// PrintOptions adjusts the text Print writes.
type PrintOptions struct {
	// MaxConstElems, when positive, elides the values of tensors with more
	// elements than this: the first MaxConstElems are written, then "...".
	// Text written with it is for people and does not parse back.
	MaxConstElems int
}

// Print writes f in the text form of the IR.
func Print(w io.Writer, f *Func) error { return PrintWith(w, f, PrintOptions{}) }

// PrintWith writes f in the text form with options.
func PrintWith(w io.Writer, f *Func, opt PrintOptions) error {
	p := &printer{opt: opt}
	p.topFunc(f, nil)
	_, err := io.WriteString(w, p.b.String())
	return err
}

// PrintModel writes m: a model header line, its metadata, its local
// functions and its graph.
func PrintModel(w io.Writer, m *Model) error { return PrintModelWith(w, m, PrintOptions{}) }

// PrintModelWith writes m with options.
func PrintModelWith(w io.Writer, m *Model, opt PrintOptions) error {
	p := &printer{opt: opt}
	p.model(m)
	_, err := io.WriteString(w, p.b.String())
	return err
}

// Text returns f in the text form of the IR.
func (f *Func) Text() string {
	p := &printer{}
	p.topFunc(f, nil)
	return p.b.String()
}

// Text returns m in the text form of the IR.
func (m *Model) Text() string { return ModelText(m) }

// ModelText returns m in the text form of the IR.
func ModelText(m *Model) string {
	p := &printer{}
	p.model(m)
	return p.b.String()
}

type printer struct {
	b   strings.Builder
	opt PrintOptions
	env map[string]int // default opset per normalized domain
}

func (p *printer) s(parts ...string) {
	for _, s := range parts {
		p.b.WriteString(s)
	}
}

func (p *printer) model(m *Model) {
	p.s("model")
	if m.IRVersion != 0 {
		p.s(" ir=", strconv.FormatInt(m.IRVersion, 10))
	}
	if len(m.Opsets) > 0 {
		p.s(" ")
		p.opsets(m.Opsets)
	}
	if m.ProducerName != "" {
		p.s(" producer=", quote(m.ProducerName))
	}
	if m.ProducerVersion != "" {
		p.s(" producer_version=", quote(m.ProducerVersion))
	}
	if m.Domain != "" {
		p.s(" domain=", quote(m.Domain))
	}
	if m.ModelVersion != 0 {
		p.s(" model_version=", strconv.FormatInt(m.ModelVersion, 10))
	}
	if m.Doc != "" {
		p.s(" doc=", quote(m.Doc))
	}
	p.s("\n")
	for _, kv := range m.Metadata {
		p.s("meta ", quote(kv.Key), " = ", quote(kv.Value), "\n")
	}
	env := normOpsets(m.Opsets)
	for _, fn := range m.Functions {
		p.function(fn)
	}
	if m.Graph != nil {
		p.topFunc(m.Graph, env)
	}
}

func normOpsets(m map[string]int) map[string]int {
	env := map[string]int{}
	for d, v := range m {
		env[NormDomain(d)] = v
	}
	return env
}

// opsets writes opset(""=17, "ai.onnx.ml"=3), domains sorted.
func (p *printer) opsets(m map[string]int) {
	ds := make([]string, 0, len(m))
	for d := range m {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	p.s("opset(")
	for i, d := range ds {
		if i > 0 {
			p.s(", ")
		}
		p.s(quote(d), "=", strconv.Itoa(m[d]))
	}
	p.s(")")
}

func (p *printer) function(fn *Function) {
	p.s("function ")
	if fn.Domain != "" {
		p.s(identOrQuote(fn.Domain), ":")
	}
	p.s(identOrQuote(fn.Name), "(")
	p.nameList(fn.Inputs)
	p.s(") -> (")
	p.nameList(fn.Outputs)
	p.s(")")
	if len(fn.Attrs) > 0 {
		p.s(" attrs(")
		p.nameList(fn.Attrs)
		p.s(")")
	}
	if len(fn.AttrDefaults) > 0 {
		p.s(" ")
		p.attrs(fn.AttrDefaults, "")
	}
	if len(fn.Opsets) > 0 {
		p.s(" ")
		p.opsets(fn.Opsets)
	}
	if fn.Overload != "" {
		p.s(" overload=", quote(fn.Overload))
	}
	if fn.Doc != "" {
		p.s(" doc=", quote(fn.Doc))
	}
	if fn.Body != nil {
		p.s(" = ")
		saved := p.env
		p.funcHeaderAndBody(fn.Body, "", normOpsets(fn.Opsets), true)
		p.env = saved
	}
	p.s("\n")
}

func (p *printer) nameList(names []string) {
	for i, n := range names {
		if i > 0 {
			p.s(", ")
		}
		p.s(identOrQuote(n))
	}
}

// topFunc writes a top-level func whose nodes default to the opsets of env
// (nil for none).
func (p *printer) topFunc(f *Func, env map[string]int) {
	if env == nil {
		env = map[string]int{}
	}
	p.funcHeaderAndBody(f, "", env, true)
	p.s("\n")
}

// defaultOpsets returns, for each domain used by f's nodes (subgraphs
// included) that env lacks, the opset most of them use (the larger on a
// tie).
func defaultOpsets(f *Func, env map[string]int) map[string]int {
	count := map[string]map[int]int{}
	f.Walk(func(_ *Func, n *Node) {
		d := NormDomain(n.Domain)
		if _, ok := env[d]; ok {
			return
		}
		if count[d] == nil {
			count[d] = map[int]int{}
		}
		count[d][n.Opset]++
	})
	out := map[string]int{}
	for d, c := range count {
		best, bestN := 0, -1
		for v, k := range c {
			if k > bestN || (k == bestN && v > best) {
				best, bestN = v, k
			}
		}
		out[d] = best
	}
	return out
}

// funcHeaderAndBody writes "func name(params) -> (results) ... {" and the
// body, ending with ind + "}" (no newline). top funcs get an opset clause.
func (p *printer) funcHeaderAndBody(f *Func, ind string, env map[string]int, top bool) {
	if top {
		extra := defaultOpsets(f, env)
		merged := map[string]int{}
		for d, v := range env {
			merged[d] = v
		}
		for d, v := range extra {
			merged[d] = v
		}
		p.env = merged
		defer func() { p.env = nil }()
		p.funcHeader(f, extra)
	} else {
		p.funcHeader(f, nil)
	}
	p.s(" {\n")
	p.body(f, ind+"  ")
	p.s(ind, "}")
}

func (p *printer) funcHeader(f *Func, opsets map[string]int) {
	p.s("func ", identOrQuote(f.Name), "(")
	for i, v := range f.Params {
		if i > 0 {
			p.s(", ")
		}
		p.valueDecl(v)
	}
	p.s(") -> (")
	for i, v := range f.Results {
		if i > 0 {
			p.s(", ")
		}
		p.valueRef(v)
	}
	p.s(")")
	if len(opsets) > 0 {
		p.s(" ")
		p.opsets(opsets)
	}
	if f.Doc != "" {
		p.s(" doc=", quote(f.Doc))
	}
}

// valueDecl writes "%name: type [= tensor] [doc=...]".
func (p *printer) valueDecl(v *Value) {
	p.s(valueName(v.Name), ": ")
	p.s(typeText(v.Type))
	if v.Const != nil {
		p.s(" = ")
		if v.Type.Equal(TensorOf(v.Const.DType(), DimsOf(v.Const.Shape()))) {
			p.tensorValues(v.Const)
		} else {
			p.tensor(v.Const)
		}
	}
	if v.Doc != "" {
		p.s(" doc=", quote(v.Doc))
	}
}

func (p *printer) valueRef(v *Value) {
	if v == nil {
		p.s("_")
		return
	}
	p.s(valueName(v.Name))
}

func (p *printer) body(f *Func, ind string) {
	for _, kv := range f.Metadata {
		p.s(ind, "meta ", quote(kv.Key), " = ", quote(kv.Value), "\n")
	}
	for _, q := range f.QuantAnnotations {
		p.s(ind, "quant ", quote(q.Tensor), " {")
		for i, kv := range q.Params {
			if i > 0 {
				p.s(", ")
			}
			p.s(quote(kv.Key), " = ", quote(kv.Value))
		}
		p.s("}\n")
	}
	for _, c := range f.Consts {
		p.s(ind, "const ")
		p.valueDecl(c)
		p.s("\n")
	}
	var defined []*Value
	if len(f.SparseConsts) > 0 {
		defined = f.Values()
	}
	for _, sc := range f.SparseConsts {
		p.s(ind, "sparse ")
		if sc.Value == nil {
			p.s("_")
		} else if containsValue(defined, sc.Value) {
			p.s(valueName(sc.Value.Name))
		} else {
			p.s(valueName(sc.Value.Name), ": ", typeText(sc.Value.Type))
		}
		p.s(" = ")
		p.sparse(sc.Sparse)
		p.s("\n")
	}
	for _, n := range f.Nodes {
		p.node(n, ind)
	}
}

func containsValue(vs []*Value, v *Value) bool {
	for _, u := range vs {
		if u == v {
			return true
		}
	}
	return false
}

func (p *printer) node(n *Node, ind string) {
	p.s(ind)
	if len(n.Outputs) == 0 {
		p.s("()")
	}
	for i, o := range n.Outputs {
		if i > 0 {
			p.s(", ")
		}
		p.valueRef(o)
		if o != nil && o.Doc != "" {
			p.s(" doc=", quote(o.Doc))
		}
	}
	p.s(" = ")
	if n.Domain != "" {
		p.s(identOrQuote(n.Domain), ":")
	}
	p.s(identOrQuote(n.Op))
	if def, ok := p.env[NormDomain(n.Domain)]; !ok || def != n.Opset {
		p.s("@", strconv.Itoa(n.Opset))
	}
	p.s("(")
	for i, in := range n.Inputs {
		if i > 0 {
			p.s(", ")
		}
		p.valueRef(in)
	}
	p.s(")")
	if len(n.Attrs) > 0 {
		p.s(" ")
		p.attrs(n.Attrs, ind)
	}
	var types []string
	known := false
	for _, o := range n.Outputs {
		if o != nil {
			types = append(types, typeText(o.Type))
			if o.Type.Kind != KindUnknown {
				known = true
			}
		}
	}
	if known {
		p.s(" : ", strings.Join(types, ", "))
	}
	if n.Name != "" {
		p.s(" name=", quote(n.Name))
	}
	if n.Doc != "" {
		p.s(" doc=", quote(n.Doc))
	}
	p.s("\n")
}

func hasGraphs(as []Attr) bool {
	for _, a := range as {
		if a.Ref == "" && (a.Type == AttrGraph && a.G != nil || a.Type == AttrGraphs && len(a.Graphs) > 0) {
			return true
		}
	}
	return false
}

// attrs writes {a = 1, b = 2}; with graphs, one attribute a line.
func (p *printer) attrs(as []Attr, ind string) {
	multi := hasGraphs(as)
	p.s("{")
	inner := ind + "    "
	for i, a := range as {
		if multi {
			if i > 0 {
				p.s(",")
			}
			p.s("\n", inner)
		} else if i > 0 {
			p.s(", ")
		}
		p.attr(&a, inner)
	}
	if multi {
		p.s("\n", ind, "  ")
	}
	p.s("}")
}

// attrNeedsType reports whether an attribute's value alone does not give
// its type.
func attrNeedsType(a *Attr) bool {
	if a.Ref != "" {
		return true
	}
	switch a.Type {
	case AttrFloat, AttrInt, AttrString:
		return false
	case AttrTensor:
		return a.T == nil
	case AttrGraph:
		return a.G == nil
	case AttrSparseTensor:
		return a.Sparse == nil
	case AttrTypeProto:
		return a.TP == nil
	case AttrFloats:
		return len(a.Floats) == 0
	case AttrInts:
		return len(a.Ints) == 0
	case AttrStrings:
		return len(a.Strings) == 0
	case AttrTensors:
		return len(a.Tensors) == 0
	case AttrGraphs:
		return len(a.Graphs) == 0
	case AttrSparseTensors:
		return len(a.Sparses) == 0
	case AttrTypeProtos:
		return len(a.TPs) == 0
	}
	return true
}

// attrTypeText names an attribute type in the text form.
func attrTypeText(t AttrType) string {
	if int(t) < len(attrTypeNames) {
		return attrTypeNames[t]
	}
	return strconv.Itoa(int(t))
}

func (p *printer) attr(a *Attr, ind string) {
	p.s(identOrQuote(a.Name))
	if attrNeedsType(a) {
		p.s(": ", attrTypeText(a.Type))
	}
	p.s(" = ")
	if a.Ref != "" {
		p.s("@", identOrQuote(a.Ref))
	} else {
		p.attrValue(a, ind)
	}
	if a.Doc != "" {
		p.s(" doc=", quote(a.Doc))
	}
}

func (p *printer) attrValue(a *Attr, ind string) {
	switch a.Type {
	case AttrFloat:
		p.s(floatAttrText(a.F))
	case AttrInt:
		p.s(strconv.FormatInt(a.I, 10))
	case AttrString:
		p.s(quote(a.S))
	case AttrTensor:
		if a.T == nil {
			p.s("_")
		} else {
			p.tensor(a.T)
		}
	case AttrGraph:
		if a.G == nil {
			p.s("_")
		} else {
			p.funcHeaderAndBody(a.G, ind, nil, false)
		}
	case AttrSparseTensor:
		p.sparse(a.Sparse)
	case AttrTypeProto:
		if a.TP == nil {
			p.s("_")
		} else {
			p.s("type(", typeText(*a.TP), ")")
		}
	case AttrFloats:
		p.s("[")
		for i, x := range a.Floats {
			if i > 0 {
				p.s(", ")
			}
			p.s(floatAttrText(x))
		}
		p.s("]")
	case AttrInts:
		p.s("[")
		for i, x := range a.Ints {
			if i > 0 {
				p.s(", ")
			}
			p.s(strconv.FormatInt(x, 10))
		}
		p.s("]")
	case AttrStrings:
		p.s("[")
		for i, x := range a.Strings {
			if i > 0 {
				p.s(", ")
			}
			p.s(quote(x))
		}
		p.s("]")
	case AttrTensors:
		p.s("[")
		for i, t := range a.Tensors {
			if i > 0 {
				p.s(", ")
			}
			if t == nil {
				p.s("_")
			} else {
				p.tensor(t)
			}
		}
		p.s("]")
	case AttrGraphs:
		p.s("[")
		for i, g := range a.Graphs {
			if i > 0 {
				p.s(", ")
			}
			if g == nil {
				p.s("_")
			} else {
				p.funcHeaderAndBody(g, ind, nil, false)
			}
		}
		p.s("]")
	case AttrSparseTensors:
		p.s("[")
		for i, s := range a.Sparses {
			if i > 0 {
				p.s(", ")
			}
			p.sparse(s)
		}
		p.s("]")
	case AttrTypeProtos:
		p.s("[")
		for i, t := range a.TPs {
			if i > 0 {
				p.s(", ")
			}
			p.s("type(", typeText(t), ")")
		}
		p.s("]")
	default:
		p.s("_")
	}
}

func (p *printer) sparse(s *SparseTensor) {
	if s == nil {
		p.s("_")
		return
	}
	p.s("sparse(")
	p.optTensor(s.Values)
	p.s(", ")
	p.optTensor(s.Indices)
	p.s(", [")
	for i, d := range s.Dims {
		if i > 0 {
			p.s(", ")
		}
		p.s(strconv.Itoa(d))
	}
	p.s("])")
}

func (p *printer) optTensor(t *tensor.Tensor) {
	if t == nil {
		p.s("_")
	} else {
		p.tensor(t)
	}
}

// tensor writes "f32[2,2] [1, 2, 3, 4]".
func (p *printer) tensor(t *tensor.Tensor) {
	p.s(t.DType().Short(), "[")
	for i, d := range t.Shape() {
		if i > 0 {
			p.s(",")
		}
		p.s(strconv.Itoa(d))
	}
	p.s("] ")
	p.tensorValues(t)
}

// tensorValues writes "[1, 2, 3, 4]".
func (p *printer) tensorValues(t *tensor.Tensor) {
	p.s("[")
	n := t.Len()
	for i := 0; i < n; i++ {
		if i > 0 {
			p.s(", ")
		}
		if p.opt.MaxConstElems > 0 && i >= p.opt.MaxConstElems {
			p.s("...")
			break
		}
		p.s(elemText(t, i))
	}
	p.s("]")
}

// Element and scalar formatting.

// floatAttrText writes a float attribute so that it reads back as a float
// with the same bits: always with a point or an exponent.
func floatAttrText(f float32) string {
	s := float32Text(f)
	if !strings.ContainsAny(s, ".eEnib") {
		s += ".0"
	}
	return s
}

func float32Text(f float32) string {
	var s string
	switch {
	case math.IsInf(float64(f), 1):
		s = "inf"
	case math.IsInf(float64(f), -1):
		s = "-inf"
	case f != f:
		s = "nan"
	default:
		s = strconv.FormatFloat(float64(f), 'g', -1, 32)
	}
	if g, err := parseFloatBits(s, 32); err != nil || uint32(g) != math.Float32bits(f) {
		return fmt.Sprintf("bits(0x%08x)", math.Float32bits(f))
	}
	return s
}

func float64Text(f float64) string {
	var s string
	switch {
	case math.IsInf(f, 1):
		s = "inf"
	case math.IsInf(f, -1):
		s = "-inf"
	case f != f:
		s = "nan"
	default:
		s = strconv.FormatFloat(f, 'g', -1, 64)
	}
	if g, err := parseFloatBits(s, 64); err != nil || g != math.Float64bits(f) {
		return fmt.Sprintf("bits(0x%016x)", math.Float64bits(f))
	}
	return s
}

// parseFloatBits reads a decimal float (or inf, -inf, nan) as the bits of
// a float32 (size 32) or float64.
func parseFloatBits(s string, size int) (uint64, error) {
	x, err := strconv.ParseFloat(s, size)
	if err != nil {
		return 0, err
	}
	if size == 32 {
		return uint64(math.Float32bits(float32(x))), nil
	}
	return math.Float64bits(x), nil
}

// narrowFloatCode encodes a float32 value as the code of a float16,
// bfloat16, float8 or float4 type.
func narrowFloatCode(dt tensor.DType, f float32) uint64 {
	switch dt {
	case tensor.Float16:
		return uint64(tensor.Float32ToFloat16(f))
	case tensor.BFloat16:
		return uint64(tensor.Float32ToBFloat16(f))
	}
	return uint64(tensor.Float32ToMinifloat(dt, f, false))
}

func narrowFloatValue(dt tensor.DType, code uint64) float32 {
	switch dt {
	case tensor.Float16:
		return tensor.Float16ToFloat32(uint16(code))
	case tensor.BFloat16:
		return tensor.BFloat16ToFloat32(uint16(code))
	}
	return tensor.MinifloatToFloat32(dt, uint8(code))
}

func isNarrowFloat(dt tensor.DType) bool {
	switch dt {
	case tensor.Float16, tensor.BFloat16, tensor.Float8E4M3FN, tensor.Float8E4M3FNUZ,
		tensor.Float8E5M2, tensor.Float8E5M2FNUZ, tensor.Float8E8M0, tensor.Float4E2M1:
		return true
	}
	return false
}

func bitsText(code uint64, bytes int) string {
	return fmt.Sprintf("bits(0x%0*x)", bytes*2, code)
}

// elemText writes element i of t.
func elemText(t *tensor.Tensor, i int) string {
	dt := t.DType()
	switch {
	case dt == tensor.String:
		return quote(t.Strings()[i])
	case dt == tensor.Float32:
		return float32Text(t.Float32s()[i])
	case dt == tensor.Float64:
		return float64Text(t.Float64s()[i])
	case dt == tensor.Complex64:
		c := tensor.Data[complex64](t)[i]
		return "(" + float32Text(real(c)) + ", " + float32Text(imag(c)) + ")"
	case dt == tensor.Complex128:
		c := tensor.Data[complex128](t)[i]
		return "(" + float64Text(real(c)) + ", " + float64Text(imag(c)) + ")"
	case isNarrowFloat(dt):
		var code uint64
		if dt.Size() == 2 {
			code = uint64(tensor.Data[uint16](t)[i])
		} else {
			code = uint64(t.Bytes()[i])
		}
		v := narrowFloatValue(dt, code)
		var s string
		switch {
		case math.IsInf(float64(v), 1):
			s = "inf"
		case math.IsInf(float64(v), -1):
			s = "-inf"
		case v != v:
			s = "nan"
		default:
			s = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
		if b, err := parseFloatBits(s, 32); err != nil || narrowFloatCode(dt, math.Float32frombits(uint32(b))) != code {
			return bitsText(code, dt.Size())
		}
		return s
	case dt == tensor.Bool:
		switch t.Bytes()[i] {
		case 0:
			return "false"
		case 1:
			return "true"
		}
		return bitsText(uint64(t.Bytes()[i]), 1)
	case dt == tensor.Uint64:
		return strconv.FormatUint(tensor.Data[uint64](t)[i], 10)
	case dt == tensor.Int4 || dt == tensor.Int2 || dt == tensor.Uint4 || dt == tensor.Uint2:
		v := t.Int64At(i)
		if tensor.WrapSubByte(dt, v) != v {
			return bitsText(uint64(t.Bytes()[i]), 1)
		}
		return strconv.FormatInt(v, 10)
	}
	return strconv.FormatInt(t.Int64At(i), 10)
}

// Names and strings.

func quote(s string) string { return strconv.Quote(s) }

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}

func isValueNameChar(c byte) bool { return isIdentChar(c) || c == '/' }

// isIdent reports whether s can be written bare where a name is expected.
func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) || s == "_" {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return true
}

func identOrQuote(s string) string {
	if isIdent(s) {
		return s
	}
	return quote(s)
}

// valueName writes %name, quoting a name that is not plain.
func valueName(s string) string {
	plain := s != ""
	for i := 0; i < len(s); i++ {
		if !isValueNameChar(s[i]) {
			plain = false
			break
		}
	}
	if plain {
		return "%" + s
	}
	return "%" + quote(s)
}

// typeText writes t as Type.String does, quoting dim names that are not
// identifiers and writing a nil inner type as nothing.
func typeText(t Type) string {
	var b strings.Builder
	writeType(&b, t)
	return b.String()
}

func elemName(d tensor.DType) string {
	if d == tensor.Undefined {
		return "?"
	}
	return d.Short()
}

func writeType(b *strings.Builder, t Type) {
	switch t.Kind {
	case KindTensor, KindSparseTensor:
		if t.Kind == KindSparseTensor {
			b.WriteString("sparse<")
		}
		b.WriteString(elemName(t.Elem))
		if !t.HasShape {
			b.WriteString("[*]")
		} else {
			b.WriteByte('[')
			for i, d := range t.Shape {
				if i > 0 {
					b.WriteByte(',')
				}
				switch {
				case d.Size >= 0:
					b.WriteString(strconv.FormatInt(d.Size, 10))
				case d.Param != "":
					b.WriteString(identOrQuote(d.Param))
				default:
					b.WriteByte('?')
				}
			}
			b.WriteByte(']')
		}
		if t.Kind == KindSparseTensor {
			b.WriteByte('>')
		}
	case KindSequence, KindOptional:
		if t.Kind == KindSequence {
			b.WriteString("seq<")
		} else {
			b.WriteString("opt<")
		}
		if t.Inner != nil {
			writeType(b, *t.Inner)
		}
		b.WriteByte('>')
	case KindMap:
		b.WriteString("map<")
		b.WriteString(elemName(t.Elem))
		if t.Inner != nil {
			b.WriteByte(',')
			writeType(b, *t.Inner)
		}
		b.WriteByte('>')
	default:
		b.WriteByte('?')
	}
}
