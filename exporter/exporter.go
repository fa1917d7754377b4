// Package exporter writes onyx models as ONNX ModelProto files, and loose
// values as TensorProto, SequenceProto, OptionalProto and MapProto files.
//
// Everything the importer reads is written back: opset imports, metadata,
// doc strings, model-local functions, the declared types of intermediate
// values (value_info), initializers (raw_data, little-endian, sub-byte
// types packed; strings in string_data), graph inputs with defaults,
// sparse initializers, subgraphs (which read outer values by name) and
// every attribute type. Values are named by Value.Name; values without a
// name or sharing one with another value get fresh unique names, chosen
// deterministically.
package exporter

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
)

// Encode serializes m as an ONNX ModelProto.
func Encode(m *ir.Model) ([]byte, error) {
	mp, err := ModelProto(m)
	if err != nil {
		return nil, err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return nil, fmt.Errorf("exporter: %w", err)
	}
	return data, nil
}

// Save writes m to path as an ONNX file. It writes a temporary file in the
// same folder and renames it over path, so path never holds half a model.
// A model whose weights pass protobuf's 2 GiB limit is saved with
// SaveExternal, its weights in path+".data".
func Save(m *ir.Model, path string) error {
	if constBytes(m) > maxProtoBytes {
		// Too large for one protobuf message: keep the weights beside it.
		return SaveExternal(m, path, ExternalOptions{})
	}
	data, err := Encode(m)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

func writeAtomic(path string, data []byte) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("exporter: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("exporter: %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("exporter: %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("exporter: %w", err)
	}
	return nil
}

// IRVersionFor returns the IR version ONNX pairs with an opset of the
// default domain, for models that do not record one.
func IRVersionFor(opset int) int64 {
	switch {
	case opset <= 0:
		return 10
	case opset <= 8:
		return 3
	case opset == 9:
		return 4
	case opset == 10:
		return 5
	case opset == 11:
		return 6
	case opset <= 14:
		return 7
	case opset <= 18:
		return 8
	case opset <= 20:
		return 9
	case opset <= 22:
		return 10
	case opset <= 24:
		return 11
	}
	return 12
}

func kvs(in []ir.KV) []*onnxpb.StringStringEntryProto {
	if len(in) == 0 {
		return nil
	}
	out := make([]*onnxpb.StringStringEntryProto, len(in))
	for i, kv := range in {
		out[i] = &onnxpb.StringStringEntryProto{Key: proto.String(kv.Key), Value: proto.String(kv.Value)}
	}
	return out
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return proto.String(s)
}

// encoder holds the state of one model's export.
type encoder struct {
	names *namer
	// used records, per domain, the largest opset a node of the model
	// carries, to complete the opset imports.
	used map[string]int
}

// ModelProto converts m to its protobuf form.
func ModelProto(m *ir.Model) (*onnxpb.ModelProto, error) {
	if m == nil || m.Graph == nil {
		return nil, fmt.Errorf("exporter: model has no graph")
	}
	e := &encoder{names: newNamer(), used: map[string]int{}}
	g, err := e.graph(m.Graph, nil)
	if err != nil {
		return nil, err
	}
	mp := &onnxpb.ModelProto{
		ProducerName:    optString(m.ProducerName),
		ProducerVersion: optString(m.ProducerVersion),
		Domain:          optString(m.Domain),
		DocString:       optString(m.Doc),
		Graph:           g,
		MetadataProps:   kvs(m.Metadata),
	}
	if m.ModelVersion != 0 {
		mp.ModelVersion = proto.Int64(m.ModelVersion)
	}
	for _, fn := range m.Functions {
		fp, err := e.function(fn)
		if err != nil {
			return nil, err
		}
		mp.Functions = append(mp.Functions, fp)
		d := ir.NormDomain(fn.Domain)
		if _, ok := e.used[d]; !ok {
			e.used[d] = 1
		}
	}
	opsets := map[string]int{}
	for d, v := range m.Opsets {
		opsets[ir.NormDomain(d)] = v
	}
	for d, v := range e.used {
		if _, ok := opsets[d]; !ok {
			opsets[d] = max(v, 1)
		}
	}
	mp.OpsetImport = opsetImports(opsets)
	irv := m.IRVersion
	if irv <= 0 {
		irv = IRVersionFor(opsets[""])
	}
	mp.IrVersion = proto.Int64(max(irv, minIRVersion(mp)))
	return mp, nil
}

// minIRVersion is the oldest IR version that can express what mp holds:
// initializers that are not graph inputs need 4, sparse initializers 6,
// model-local functions 8. A model read from an older file keeps its
// version unless it has gained such a part.
func minIRVersion(mp *onnxpb.ModelProto) int64 {
	v := int64(3)
	if len(mp.Functions) > 0 {
		v = 8
	}
	var walk func(g *onnxpb.GraphProto)
	walk = func(g *onnxpb.GraphProto) {
		if len(g.SparseInitializer) > 0 {
			v = max(v, 6)
		}
		inputs := map[string]bool{}
		for _, in := range g.Input {
			inputs[in.GetName()] = true
		}
		for _, t := range g.Initializer {
			if !inputs[t.GetName()] {
				v = max(v, 4)
			}
		}
		for _, n := range g.Node {
			for _, a := range n.Attribute {
				if a.G != nil {
					walk(a.G)
				}
				for _, sg := range a.Graphs {
					walk(sg)
				}
			}
		}
	}
	walk(mp.Graph)
	return v
}

// opsetImports lists opsets sorted by domain, the default domain first.
func opsetImports(opsets map[string]int) []*onnxpb.OperatorSetIdProto {
	ds := make([]string, 0, len(opsets))
	for d := range opsets {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	out := make([]*onnxpb.OperatorSetIdProto, len(ds))
	for i, d := range ds {
		out[i] = &onnxpb.OperatorSetIdProto{Domain: proto.String(d), Version: proto.Int64(int64(opsets[d]))}
	}
	return out
}

// namer gives each value a name unique in the whole model.
type namer struct {
	used  map[string]bool
	names map[*ir.Value]string
	fresh int
}

func newNamer() *namer {
	return &namer{used: map[string]bool{}, names: map[*ir.Value]string{}}
}

// name returns v's name in the file, choosing it on first sight.
func (n *namer) name(v *ir.Value) string {
	if s, ok := n.names[v]; ok {
		return s
	}
	s := n.unique(v.Name)
	n.names[v] = s
	return s
}

// unique returns base when it is free and base_K otherwise, and takes it.
func (n *namer) unique(base string) string {
	if base == "" {
		for {
			n.fresh++
			s := "_v" + strconv.Itoa(n.fresh)
			if !n.used[s] {
				n.used[s] = true
				return s
			}
		}
	}
	s := base
	for k := 1; n.used[s]; k++ {
		s = base + "_" + strconv.Itoa(k)
	}
	n.used[s] = true
	return s
}

// scope is the set of values a graph and its enclosing graphs define.
type scope struct {
	vals   map[*ir.Value]bool
	parent *scope
}

func (s *scope) has(v *ir.Value) bool {
	for ; s != nil; s = s.parent {
		if s.vals[v] {
			return true
		}
	}
	return false
}

func funcScope(f *ir.Func, parent *scope) *scope {
	sc := &scope{vals: map[*ir.Value]bool{}, parent: parent}
	for _, v := range f.Values() {
		sc.vals[v] = true
	}
	return sc
}

func graphLabel(f *ir.Func) string {
	if f.Name == "" {
		return "graph"
	}
	return fmt.Sprintf("graph %q", f.Name)
}

func (e *encoder) valueInfo(name string, v *ir.Value) *onnxpb.ValueInfoProto {
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: encodeType(v.Type), DocString: optString(v.Doc)}
}

// graph converts f, a top-level graph (parent nil) or a subgraph.
func (e *encoder) graph(f *ir.Func, parent *scope) (*onnxpb.GraphProto, error) {
	sc := funcScope(f, parent)
	g := &onnxpb.GraphProto{
		Name:          optString(f.Name),
		DocString:     optString(f.Doc),
		MetadataProps: kvs(f.Metadata),
	}
	if g.Name == nil {
		g.Name = proto.String("graph")
	}
	for _, qa := range f.QuantAnnotations {
		g.QuantizationAnnotation = append(g.QuantizationAnnotation, &onnxpb.TensorAnnotation{
			TensorName: proto.String(qa.Tensor), QuantParameterTensorNames: kvs(qa.Params)})
	}
	sparse := map[*ir.Value]*ir.SparseTensor{}
	for _, s := range f.SparseConsts {
		if s != nil && s.Value != nil && s.Sparse != nil {
			sparse[s.Value] = s.Sparse
		}
	}
	addInit := func(v *ir.Value, name string) error {
		if s := sparse[v]; s != nil {
			sp, err := encodeSparse(s, name)
			if err != nil {
				return err
			}
			g.SparseInitializer = append(g.SparseInitializer, sp)
			return nil
		}
		tp, err := EncodeTensorProto(v.Const, name)
		if err != nil {
			return err
		}
		if v.Doc != "" && !v.Param {
			tp.DocString = proto.String(v.Doc)
		}
		g.Initializer = append(g.Initializer, tp)
		return nil
	}
	for _, v := range f.Params {
		if v == nil {
			return nil, fmt.Errorf("exporter: %s has a nil parameter", graphLabel(f))
		}
		name := e.names.name(v)
		g.Input = append(g.Input, e.valueInfo(name, v))
		if v.Const != nil {
			if err := addInit(v, name); err != nil {
				return nil, err
			}
		}
	}
	for _, v := range f.Consts {
		if v == nil || v.Const == nil {
			return nil, fmt.Errorf("exporter: %s has a constant without a value", graphLabel(f))
		}
		if err := addInit(v, e.names.name(v)); err != nil {
			return nil, err
		}
	}
	results := map[*ir.Value]bool{}
	for _, r := range f.Results {
		results[r] = true
	}
	for _, n := range f.Nodes {
		np, err := e.node(n, sc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", graphLabel(f), err)
		}
		g.Node = append(g.Node, np)
		for _, out := range n.Outputs {
			if out == nil || results[out] {
				continue
			}
			if out.Type.Kind != ir.KindUnknown || out.Doc != "" {
				g.ValueInfo = append(g.ValueInfo, e.valueInfo(e.names.name(out), out))
			}
		}
	}
	seen := map[*ir.Value]bool{}
	for i, r := range f.Results {
		if r == nil {
			return nil, fmt.Errorf("exporter: %s: result %d is nil", graphLabel(f), i)
		}
		if !sc.has(r) {
			return nil, fmt.Errorf("exporter: %s: result %d (%s) is not defined in the graph or an enclosing one", graphLabel(f), i, r)
		}
		name := e.names.name(r)
		if seen[r] {
			// ONNX names each output once: copy a repeated result.
			out := e.names.unique(r.Name)
			g.Node = append(g.Node, &onnxpb.NodeProto{Input: []string{name}, Output: []string{out}, OpType: proto.String("Identity")})
			if _, ok := e.used[""]; !ok {
				e.used[""] = 1
			}
			name = out
		}
		seen[r] = true
		g.Output = append(g.Output, e.valueInfo(name, r))
	}
	return g, nil
}

func nodeLabel(n *ir.Node) string {
	if n.Name != "" {
		return fmt.Sprintf("node %q (%s)", n.Name, n.OpName())
	}
	return "node " + n.String()
}

// node converts one node; sc is the scope of its graph.
func (e *encoder) node(n *ir.Node, sc *scope) (*onnxpb.NodeProto, error) {
	if n.Op == "" {
		return nil, fmt.Errorf("exporter: %s has no op", nodeLabel(n))
	}
	np := &onnxpb.NodeProto{
		OpType:    proto.String(n.Op),
		Name:      optString(n.Name),
		Domain:    optString(ir.NormDomain(n.Domain)),
		DocString: optString(n.Doc),
	}
	d := ir.NormDomain(n.Domain)
	if n.Opset > e.used[d] {
		e.used[d] = n.Opset
	} else if _, ok := e.used[d]; !ok {
		e.used[d] = 0
	}
	for i, in := range n.Inputs {
		if in == nil {
			np.Input = append(np.Input, "")
			continue
		}
		if sc != nil && !sc.has(in) {
			return nil, fmt.Errorf("exporter: %s: input %d (%s) is not defined in its graph or an enclosing one", nodeLabel(n), i, in)
		}
		np.Input = append(np.Input, e.names.name(in))
	}
	for _, out := range n.Outputs {
		if out == nil {
			np.Output = append(np.Output, "")
			continue
		}
		np.Output = append(np.Output, e.names.name(out))
	}
	for i := range n.Attrs {
		ap, err := e.attr(&n.Attrs[i], sc)
		if err != nil {
			return nil, fmt.Errorf("exporter: %s: %w", nodeLabel(n), err)
		}
		np.Attribute = append(np.Attribute, ap)
	}
	return np, nil
}

// attr converts an attribute; subgraphs see the scope sc.
func (e *encoder) attr(a *ir.Attr, sc *scope) (*onnxpb.AttributeProto, error) {
	if a.Name == "" {
		return nil, fmt.Errorf("attribute without a name")
	}
	if a.Type == ir.AttrUndefined || a.Type > ir.AttrTypeProtos {
		return nil, fmt.Errorf("attribute %q has unknown type %d", a.Name, a.Type)
	}
	ap := &onnxpb.AttributeProto{
		Name:      proto.String(a.Name),
		Type:      onnxpb.AttributeProto_AttributeType(a.Type).Enum(),
		DocString: optString(a.Doc),
	}
	if a.Ref != "" {
		ap.RefAttrName = proto.String(a.Ref)
		return ap, nil
	}
	wrap := func(err error) error { return fmt.Errorf("attribute %q: %w", a.Name, err) }
	var err error
	switch a.Type {
	case ir.AttrFloat:
		ap.F = proto.Float32(a.F)
	case ir.AttrInt:
		ap.I = proto.Int64(a.I)
	case ir.AttrString:
		ap.S = []byte(a.S)
	case ir.AttrFloats:
		ap.Floats = append([]float32{}, a.Floats...)
	case ir.AttrInts:
		ap.Ints = append([]int64{}, a.Ints...)
	case ir.AttrStrings:
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, []byte(s))
		}
	case ir.AttrTensor:
		if ap.T, err = EncodeTensorProto(a.T, ""); err != nil {
			return nil, wrap(err)
		}
	case ir.AttrTensors:
		for _, t := range a.Tensors {
			tp, err := EncodeTensorProto(t, "")
			if err != nil {
				return nil, wrap(err)
			}
			ap.Tensors = append(ap.Tensors, tp)
		}
	case ir.AttrGraph:
		if a.G == nil {
			return nil, wrap(fmt.Errorf("graph attribute without a graph"))
		}
		if ap.G, err = e.graph(a.G, sc); err != nil {
			return nil, wrap(err)
		}
	case ir.AttrGraphs:
		for _, g := range a.Graphs {
			if g == nil {
				return nil, wrap(fmt.Errorf("nil graph"))
			}
			gp, err := e.graph(g, sc)
			if err != nil {
				return nil, wrap(err)
			}
			ap.Graphs = append(ap.Graphs, gp)
		}
	case ir.AttrSparseTensor:
		if ap.SparseTensor, err = encodeSparse(a.Sparse, ""); err != nil {
			return nil, wrap(err)
		}
	case ir.AttrSparseTensors:
		for _, s := range a.Sparses {
			sp, err := encodeSparse(s, "")
			if err != nil {
				return nil, wrap(err)
			}
			ap.SparseTensors = append(ap.SparseTensors, sp)
		}
	case ir.AttrTypeProto:
		if a.TP == nil {
			return nil, wrap(fmt.Errorf("type attribute without a type"))
		}
		ap.Tp = encodeInner(a.TP)
	case ir.AttrTypeProtos:
		for i := range a.TPs {
			ap.TypeProtos = append(ap.TypeProtos, encodeInner(&a.TPs[i]))
		}
	}
	return ap, nil
}

// function converts a model-local function definition.
func (e *encoder) function(fn *ir.Function) (*onnxpb.FunctionProto, error) {
	if fn == nil || fn.Name == "" {
		return nil, fmt.Errorf("exporter: function without a name")
	}
	label := fn.Name
	if fn.Domain != "" {
		label = fn.Domain + ":" + fn.Name
	}
	fp := &onnxpb.FunctionProto{
		Name:      proto.String(fn.Name),
		Domain:    proto.String(ir.NormDomain(fn.Domain)),
		Overload:  optString(fn.Overload),
		DocString: optString(fn.Doc),
		Attribute: append([]string{}, fn.Attrs...),
	}
	for i := range fn.AttrDefaults {
		ap, err := e.attr(&fn.AttrDefaults[i], nil)
		if err != nil {
			return nil, fmt.Errorf("exporter: function %s: %w", label, err)
		}
		fp.AttributeProto = append(fp.AttributeProto, ap)
	}
	fp.OpsetImport = opsetImports(fn.Opsets)
	if fn.Body == nil {
		fp.Input = append([]string{}, fn.Inputs...)
		fp.Output = append([]string{}, fn.Outputs...)
		return fp, nil
	}
	// A function body is a namespace of its own.
	fe := &encoder{names: newNamer(), used: map[string]int{}}
	body := fn.Body
	sc := funcScope(body, nil)
	for _, v := range body.Params {
		if v == nil {
			return nil, fmt.Errorf("exporter: function %s has a nil input", label)
		}
		fp.Input = append(fp.Input, fe.names.name(v))
	}
	for _, n := range body.Nodes {
		np, err := fe.node(n, sc)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", label, err)
		}
		fp.Node = append(fp.Node, np)
	}
	for i, r := range body.Results {
		if r == nil || !sc.has(r) {
			return nil, fmt.Errorf("exporter: function %s: output %d is not defined in its body", label, i)
		}
		fp.Output = append(fp.Output, fe.names.name(r))
	}
	for _, v := range body.Values() {
		if v.Def != nil && v.Type.Kind != ir.KindUnknown {
			fp.ValueInfo = append(fp.ValueInfo, fe.valueInfo(fe.names.name(v), v))
		}
	}
	return fp, nil
}
