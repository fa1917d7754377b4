// Package importer reads ONNX models (ModelProto files) into onyx's IR, and
// loose ONNX values (TensorProto, SequenceProto, OptionalProto, MapProto
// files, as in the ONNX test suite) into tensor values.
//
// Models are checked as they are read: every value must be defined once
// and before it is used (nodes out of order are sorted, cycles refused),
// ops must be known to the op table at the model's opset, opsets must not
// be newer than onyx knows, and tensors must hold exactly the data their
// shape needs. Model-local functions are inlined into the graph; their
// definitions are kept in Model.Functions for export.
//
// External tensor data is read from files next to the model. Regions larger
// than 1 MiB are memory-mapped read-only where the platform allows, so the
// tensors holding them must not be written; the mappings live as long as
// the program.
package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
)

// Options control how a model is read.
type Options struct {
	// BaseDir is the folder external tensor data is read from. Load sets it
	// to the model's folder when it is empty; Decode uses the current
	// folder when it is empty.
	BaseDir string
	// AllowUnknownOps keeps nodes whose op is not in the op table (their
	// Schema is nil) and domains onyx does not know, instead of failing.
	AllowUnknownOps bool
}

// Load reads and decodes the model file at path.
func Load(path string, o Options) (*ir.Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	if o.BaseDir == "" {
		o.BaseDir = filepath.Dir(path)
	}
	m, err := Decode(data, o)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m.Path = path
	return m, nil
}

// Decode turns the bytes of a ModelProto into a model.
func Decode(data []byte, o Options) (m *ir.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("importer: internal error on malformed model: %v", r)
		}
	}()
	mp := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, fmt.Errorf("importer: not an ONNX model (bad protobuf): %w", err)
	}
	m, err = convertModel(mp, o)
	if err != nil {
		return nil, fmt.Errorf("importer: %w", err)
	}
	return m, nil
}

// builder holds the state of one model conversion.
type builder struct {
	o         Options
	opsets    map[string]int // the model's imports
	functions map[string]*funcDef
	inlining  map[*funcDef]bool // functions being inlined (recursion check)
	owner     map[*ir.Value]*ir.Func
	free      map[*onnxpb.GraphProto]map[string]bool // freeNames results
	sizes     map[*funcDef]int                       // expandedSize results
	sizing    map[*funcDef]bool                      // expandedSize in progress
	calls     int                                    // inlined calls so far, for fresh names
	inlined   int                                    // nodes made by inlining so far
	depth     int
}

// funcDef is a model-local function.
type funcDef struct {
	proto    *onnxpb.FunctionProto
	opsets   map[string]int
	defaults map[string]*onnxpb.AttributeProto
}

func funcKey(domain, name, overload string) string {
	return ir.NormDomain(domain) + "\x00" + name + "\x00" + overload
}

func domainLabel(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

// convertOpsets reads opset imports, checking versions and domains.
// localDomains are domains that model-local functions define.
func (b *builder) convertOpsets(imports []*onnxpb.OperatorSetIdProto, localDomains map[string]bool) (map[string]int, error) {
	out := map[string]int{}
	for _, imp := range imports {
		d := ir.NormDomain(imp.GetDomain())
		v := imp.GetVersion()
		if v < 1 || v > 1<<30 {
			return nil, fmt.Errorf("opset import of domain %q has invalid version %d", domainLabel(d), v)
		}
		if old, ok := out[d]; ok && old != int(v) {
			return nil, fmt.Errorf("domain %q is imported twice, at versions %d and %d", domainLabel(d), old, v)
		}
		max, known := ir.MaxOpset[d]
		switch {
		case known && int(v) > max:
			return nil, fmt.Errorf("opset from the future: domain %q version %d (onyx knows up to %d)", domainLabel(d), v, max)
		case !known && !localDomains[d] && !b.o.AllowUnknownOps:
			return nil, fmt.Errorf("unknown domain %q (version %d) in opset imports", domainLabel(d), v)
		}
		out[d] = int(v)
	}
	return out, nil
}

func convertKVs(kvs []*onnxpb.StringStringEntryProto) []ir.KV {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]ir.KV, len(kvs))
	for i, kv := range kvs {
		out[i] = ir.KV{Key: kv.GetKey(), Value: kv.GetValue()}
	}
	return out
}

func convertModel(mp *onnxpb.ModelProto, o Options) (*ir.Model, error) {
	b := &builder{o: o, functions: map[string]*funcDef{}, inlining: map[*funcDef]bool{}, owner: map[*ir.Value]*ir.Func{},
		free: map[*onnxpb.GraphProto]map[string]bool{}, sizes: map[*funcDef]int{}, sizing: map[*funcDef]bool{}}
	if mp.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	localDomains := map[string]bool{}
	for _, fp := range mp.Functions {
		localDomains[ir.NormDomain(fp.GetDomain())] = true
	}
	var err error
	if b.opsets, err = b.convertOpsets(mp.OpsetImport, localDomains); err != nil {
		return nil, err
	}
	if len(mp.OpsetImport) == 0 && mp.GetIrVersion() < 3 {
		// Before IR 3 a model without imports used the first opset.
		b.opsets[""] = 1
	}
	m := &ir.Model{
		Opsets:          b.opsets,
		IRVersion:       mp.GetIrVersion(),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		Doc:             mp.GetDocString(),
		Metadata:        convertKVs(mp.MetadataProps),
	}
	// Register the functions first: the graph and other functions call them.
	for i, fp := range mp.Functions {
		if fp.GetName() == "" {
			return nil, fmt.Errorf("function %d has no name", i)
		}
		k := funcKey(fp.GetDomain(), fp.GetName(), fp.GetOverload())
		if _, dup := b.functions[k]; dup {
			return nil, fmt.Errorf("function %s is defined twice", funcLabel(fp))
		}
		fo, err := b.convertOpsets(fp.OpsetImport, localDomains)
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", funcLabel(fp), err)
		}
		fd := &funcDef{proto: fp, opsets: fo, defaults: map[string]*onnxpb.AttributeProto{}}
		for _, a := range fp.AttributeProto {
			if a.GetName() == "" {
				return nil, fmt.Errorf("function %s: attribute default without a name", funcLabel(fp))
			}
			fd.defaults[a.GetName()] = a
		}
		b.functions[k] = fd
	}
	for _, fp := range mp.Functions {
		fn, err := b.convertFunction(b.functions[funcKey(fp.GetDomain(), fp.GetName(), fp.GetOverload())])
		if err != nil {
			return nil, fmt.Errorf("function %s: %w", funcLabel(fp), err)
		}
		m.Functions = append(m.Functions, fn)
	}
	g, err := b.convertGraph(mp.Graph, nil, nil, &env{opsets: b.opsets})
	if err != nil {
		return nil, err
	}
	m.Graph = g
	return m, nil
}

func funcLabel(fp *onnxpb.FunctionProto) string {
	s := fp.GetName()
	if d := fp.GetDomain(); d != "" {
		s = d + ":" + s
	}
	if ov := fp.GetOverload(); ov != "" {
		s += "@" + ov
	}
	return s
}

// scope maps names to values. Subgraph scopes have their graph's scope as
// parent; a function body's scope has none.
type scope struct {
	fn     *ir.Func // the Func whose node list defines the values of names
	names  map[string]*ir.Value
	parent *scope
}

func newScope(fn *ir.Func, parent *scope) *scope {
	return &scope{fn: fn, names: map[string]*ir.Value{}, parent: parent}
}

// lookup resolves name through the enclosing scopes. local reports whether
// it was found in sc itself (rather than captured from an outer graph).
func (sc *scope) lookup(name string) (v *ir.Value, local, ok bool) {
	for s := sc; s != nil; s = s.parent {
		if v, ok := s.names[name]; ok {
			return v, s.fn == sc.fn, true
		}
	}
	return nil, false, false
}

// env is what node conversion needs besides the scope: the opsets in force,
// how output names are made, and attribute bindings inside an inlined
// function body.
type env struct {
	opsets map[string]int
	// rename maps a local output name to the Value name; nil keeps names.
	rename func(string) string
	// prefix is put before the names of nodes (inlined function bodies).
	prefix string
	// attrs binds the attributes of the function being inlined.
	attrs map[string]*onnxpb.AttributeProto
	// body: converting a function body for Model.Functions: calls are not
	// inlined, unknown ops are kept, attribute references are kept.
	body bool
}

func (e *env) outName(s string) string {
	if e.rename == nil {
		return s
	}
	return e.rename(s)
}

// sub returns the env of a subgraph of a node converted in e.
func (e *env) sub() *env {
	return &env{opsets: e.opsets, attrs: e.attrs, body: e.body}
}

// convertGraph turns a GraphProto into a Func. outer is the scope of the
// enclosing graph (nil at top level), outerFn its Func.
func (b *builder) convertGraph(gp *onnxpb.GraphProto, outer *scope, outerFn *ir.Func, e *env) (*ir.Func, error) {
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > 500 {
		return nil, fmt.Errorf("subgraphs nested too deeply")
	}
	f := &ir.Func{
		Name:     gp.GetName(),
		Doc:      gp.GetDocString(),
		Outer:    outerFn,
		Metadata: convertKVs(gp.MetadataProps),
	}
	for _, qa := range gp.QuantizationAnnotation {
		f.QuantAnnotations = append(f.QuantAnnotations, ir.QuantAnnotation{
			Tensor: qa.GetTensorName(), Params: convertKVs(qa.QuantParameterTensorNames)})
	}
	sc := newScope(f, outer)
	define := func(name string, v *ir.Value, what string) error {
		if name == "" {
			return fmt.Errorf("graph %q: %s has no name", gp.GetName(), what)
		}
		if _, dup := sc.names[name]; dup {
			return fmt.Errorf("graph %q: value %q is defined twice", gp.GetName(), name)
		}
		sc.names[name] = v
		return nil
	}

	// Initializers first, so that graph inputs can pick up their defaults.
	inits := map[string]*ir.Value{}
	var initOrder []*ir.Value
	for _, tp := range gp.Initializer {
		t, err := decodeTensor(tp, b.o.BaseDir)
		if err != nil {
			return nil, fmt.Errorf("initializer: %w", err)
		}
		name := tp.GetName()
		if name == "" {
			return nil, fmt.Errorf("graph %q: initializer without a name", gp.GetName())
		}
		if _, dup := inits[name]; dup {
			return nil, fmt.Errorf("graph %q: initializer %q is defined twice", gp.GetName(), name)
		}
		v := &ir.Value{Name: name, Type: ir.TensorOf(t.DType(), ir.DimsOf(t.Shape())), Const: t, Doc: tp.GetDocString()}
		inits[name] = v
		initOrder = append(initOrder, v)
	}
	sparse := map[*ir.Value]*ir.SparseTensor{}
	for _, sp := range gp.SparseInitializer {
		s, dense, err := decodeSparse(sp, b.o.BaseDir, true)
		if err != nil {
			return nil, fmt.Errorf("sparse initializer: %w", err)
		}
		name := sp.GetValues().GetName()
		if name == "" {
			return nil, fmt.Errorf("graph %q: sparse initializer without a name", gp.GetName())
		}
		if _, dup := inits[name]; dup {
			return nil, fmt.Errorf("graph %q: initializer %q is defined twice", gp.GetName(), name)
		}
		v := &ir.Value{Name: name, Type: ir.TensorOf(dense.DType(), ir.DimsOf(dense.Shape())), Const: dense, Doc: sp.GetValues().GetDocString()}
		inits[name] = v
		initOrder = append(initOrder, v)
		sparse[v] = s
	}
	for i, vi := range gp.Input {
		t, err := convertType(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("graph %q: input %q: %w", gp.GetName(), vi.GetName(), err)
		}
		name := vi.GetName()
		v := inits[name]
		if v != nil {
			// An initializer listed as an input: an overridable default.
			v.Param = true
			if t.Kind != ir.KindUnknown {
				v.Type = t
			}
			if d := vi.GetDocString(); d != "" {
				v.Doc = d
			}
		} else {
			v = &ir.Value{Name: name, Type: t, Param: true, Doc: vi.GetDocString()}
		}
		if err := define(name, v, fmt.Sprintf("input %d", i)); err != nil {
			return nil, err
		}
		f.Params = append(f.Params, v)
		b.owner[v] = f
	}
	for _, v := range initOrder {
		if !v.Param {
			if err := define(v.Name, v, "initializer"); err != nil {
				return nil, err
			}
			f.Consts = append(f.Consts, v)
			b.owner[v] = f
		}
	}
	for _, v := range initOrder {
		if s := sparse[v]; s != nil {
			f.SparseConsts = append(f.SparseConsts, &ir.SparseConst{Value: v, Sparse: s})
		}
	}

	if err := b.emitNodes(gp.Node, sc, f, e); err != nil {
		return nil, withGraph(gp, err)
	}

	// Declared types of intermediate values.
	for _, vi := range gp.ValueInfo {
		v, ok := sc.names[vi.GetName()]
		if !ok || v.Def == nil {
			continue
		}
		t, err := convertType(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("graph %q: value_info %q: %w", gp.GetName(), vi.GetName(), err)
		}
		if t.Kind != ir.KindUnknown {
			v.Type = t
		}
		if d := vi.GetDocString(); d != "" {
			v.Doc = d
		}
	}
	for i, vi := range gp.Output {
		name := vi.GetName()
		if name == "" {
			return nil, fmt.Errorf("graph %q: output %d has no name", gp.GetName(), i)
		}
		v, local, ok := sc.lookup(name)
		if !ok {
			return nil, fmt.Errorf("graph %q: output %q is not defined", gp.GetName(), name)
		}
		if v == nil {
			return nil, fmt.Errorf("graph %q: output %q names an omitted function input", gp.GetName(), name)
		}
		t, err := convertType(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("graph %q: output %q: %w", gp.GetName(), name, err)
		}
		if local && v.Def != nil {
			if t.Kind != ir.KindUnknown {
				v.Type = t
			}
			if d := vi.GetDocString(); d != "" {
				v.Doc = d
			}
		}
		f.Results = append(f.Results, v)
	}
	return f, nil
}

func withGraph(gp *onnxpb.GraphProto, err error) error {
	if gp.GetName() == "" {
		return err
	}
	return fmt.Errorf("graph %q: %w", gp.GetName(), err)
}

// nodeLabel names a node proto for error messages.
func nodeLabel(np *onnxpb.NodeProto) string {
	op := np.GetOpType()
	if d := ir.NormDomain(np.GetDomain()); d != "" {
		op = d + ":" + op
	}
	if np.GetName() != "" {
		return fmt.Sprintf("node %q (%s)", np.GetName(), op)
	}
	if len(np.Output) > 0 && np.Output[0] != "" {
		return fmt.Sprintf("node %s -> %q", op, np.Output[0])
	}
	return "node " + op
}

// freeNames returns the names a subgraph reads from enclosing scopes.
func (b *builder) freeNames(gp *onnxpb.GraphProto) map[string]bool {
	if free, ok := b.free[gp]; ok {
		return free
	}
	defined := map[string]bool{}
	for _, vi := range gp.Input {
		defined[vi.GetName()] = true
	}
	for _, t := range gp.Initializer {
		defined[t.GetName()] = true
	}
	for _, s := range gp.SparseInitializer {
		defined[s.GetValues().GetName()] = true
	}
	for _, n := range gp.Node {
		for _, o := range n.Output {
			defined[o] = true
		}
	}
	free := map[string]bool{}
	use := func(name string) {
		if name != "" && !defined[name] {
			free[name] = true
		}
	}
	for _, n := range gp.Node {
		for _, in := range n.Input {
			use(in)
		}
		for _, a := range n.Attribute {
			for _, g := range attrGraphs(a) {
				for name := range b.freeNames(g) {
					use(name)
				}
			}
		}
	}
	for _, o := range gp.Output {
		use(o.GetName())
	}
	b.free[gp] = free
	return free
}

func attrGraphs(a *onnxpb.AttributeProto) []*onnxpb.GraphProto {
	gs := a.Graphs
	if a.G != nil {
		gs = append([]*onnxpb.GraphProto{a.G}, gs...)
	}
	return gs
}

// emitNodes converts nodes, in dependency order, into f, defining their
// outputs in sc.
func (b *builder) emitNodes(nodes []*onnxpb.NodeProto, sc *scope, f *ir.Func, e *env) error {
	// Who defines each name.
	producer := map[string]int{}
	for i, np := range nodes {
		for _, o := range np.Output {
			if o == "" {
				continue
			}
			if j, dup := producer[o]; dup {
				if j == i {
					return fmt.Errorf("%s: output %q is listed twice", nodeLabel(np), o)
				}
				return fmt.Errorf("value %q is defined twice: by %s and by %s", o, nodeLabel(nodes[j]), nodeLabel(np))
			}
			if _, dup := sc.names[o]; dup {
				return fmt.Errorf("value %q is defined twice: as a graph input or initializer and by %s", o, nodeLabel(np))
			}
			producer[o] = i
		}
	}
	// Dependencies, including names read by subgraphs.
	deps := make([][]int, len(nodes))
	indeg := make([]int, len(nodes))
	users := make([][]int, len(nodes))
	for i, np := range nodes {
		seen := map[int]bool{}
		add := func(name string) {
			if j, ok := producer[name]; ok && !seen[j] {
				seen[j] = true
				deps[i] = append(deps[i], j)
			}
		}
		for _, in := range np.Input {
			add(in)
		}
		for _, a := range np.Attribute {
			for _, g := range attrGraphs(a) {
				for name := range b.freeNames(g) {
					add(name)
				}
			}
		}
		indeg[i] = len(deps[i])
		for _, j := range deps[i] {
			users[j] = append(users[j], i)
		}
	}
	order, err := topoOrder(indeg, users)
	if err != nil {
		for i, d := range indeg {
			if d > 0 {
				return fmt.Errorf("graph has a cycle through %s", nodeLabel(nodes[i]))
			}
		}
		return err
	}
	for _, i := range order {
		if err := b.convertNode(nodes[i], sc, f, e); err != nil {
			return err
		}
	}
	return nil
}

// topoOrder sorts node indices so that each comes after its dependencies,
// keeping the original order where it is free to. indeg is consumed; on a
// cycle the nodes left have indeg > 0.
func topoOrder(indeg []int, users [][]int) ([]int, error) {
	// Min-heap of ready indices.
	var h []int
	push := func(x int) {
		h = append(h, x)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p] <= h[i] {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
	}
	pop := func() int {
		x := h[0]
		last := len(h) - 1
		h[0] = h[last]
		h = h[:last]
		for i := 0; ; {
			l, r, m := 2*i+1, 2*i+2, i
			if l < len(h) && h[l] < h[m] {
				m = l
			}
			if r < len(h) && h[r] < h[m] {
				m = r
			}
			if m == i {
				break
			}
			h[m], h[i] = h[i], h[m]
			i = m
		}
		return x
	}
	for i, d := range indeg {
		if d == 0 {
			push(i)
		}
	}
	order := make([]int, 0, len(indeg))
	for len(h) > 0 {
		i := pop()
		order = append(order, i)
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				push(u)
			}
		}
	}
	if len(order) != len(indeg) {
		return nil, fmt.Errorf("graph has a cycle")
	}
	return order, nil
}

// opsetFor returns the version of domain in force in e.
func (b *builder) opsetFor(e *env, domain string) (int, bool) {
	if v, ok := e.opsets[domain]; ok {
		return v, true
	}
	v, ok := b.opsets[domain]
	return v, ok
}

// convertNode converts one node (or inlines a function call) into f.
func (b *builder) convertNode(np *onnxpb.NodeProto, sc *scope, f *ir.Func, e *env) error {
	if np.GetOpType() == "" {
		return fmt.Errorf("%s has no op_type", nodeLabel(np))
	}
	domain := ir.NormDomain(np.GetDomain())
	if !e.body {
		if fd := b.functions[funcKey(domain, np.GetOpType(), np.GetOverload())]; fd != nil {
			return b.inline(np, fd, sc, f, e)
		}
	}
	n := &ir.Node{
		Name:   np.GetName(),
		Op:     np.GetOpType(),
		Domain: domain,
		Doc:    np.GetDocString(),
	}
	if n.Name != "" {
		n.Name = e.prefix + n.Name
	}
	opset, ok := b.opsetFor(e, domain)
	if !ok && !b.o.AllowUnknownOps && !e.body {
		return fmt.Errorf("%s: domain %q is not imported by the model", nodeLabel(np), domainLabel(domain))
	}
	n.Opset = opset
	for _, name := range np.Input {
		if name == "" {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		v, _, ok := sc.lookup(name)
		if !ok {
			return fmt.Errorf("%s: input %q is not defined (missing initializer or graph input?)", nodeLabel(np), name)
		}
		n.Inputs = append(n.Inputs, v)
	}
	for _, ap := range np.Attribute {
		a, keep, err := b.convertAttr(ap, sc, f, e)
		if err != nil {
			return fmt.Errorf("%s: %w", nodeLabel(np), err)
		}
		if keep {
			if n.Attr(a.Name) != nil {
				return fmt.Errorf("%s: attribute %q is set twice", nodeLabel(np), a.Name)
			}
			n.Attrs = append(n.Attrs, a)
		}
	}
	if err := ir.ResolveNode(n); err != nil {
		if !b.o.AllowUnknownOps && !e.body {
			if strings.Contains(err.Error(), "opset") {
				return fmt.Errorf("%s: %v", nodeLabel(np), err)
			}
			return fmt.Errorf("%s: %v (opset %d)", nodeLabel(np), err, opset)
		}
		n.Schema = nil
	}
	for _, name := range np.Output {
		if name == "" {
			n.Outputs = append(n.Outputs, nil)
			continue
		}
		v := &ir.Value{Name: e.outName(name), Def: n}
		n.Outputs = append(n.Outputs, v)
		sc.names[name] = v
	}
	b.appendNode(f, n)
	return nil
}

// appendNode adds n to f, recording uses of values defined in f's own node
// list (captures from enclosing graphs record none), and marks its outputs
// as f's.
func (b *builder) appendNode(f *ir.Func, n *ir.Node) {
	for _, in := range n.Inputs {
		if in != nil && b.owner[in] == f {
			in.Uses = append(in.Uses, n)
		}
	}
	for _, out := range n.Outputs {
		if out != nil {
			out.Def = n
			b.owner[out] = f
		}
	}
	f.Nodes = append(f.Nodes, n)
}
