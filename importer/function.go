package importer

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
)

// maxInlinedNodes bounds the nodes function inlining may produce: calls
// nested a few levels deep multiply.
const maxInlinedNodes = 1 << 20

// inline replaces the call np of a model-local function by the function's
// body, converted into f with fresh value names.
func (b *builder) inline(np *onnxpb.NodeProto, fd *funcDef, sc *scope, f *ir.Func, e *env) error {
	fp := fd.proto
	label := nodeLabel(np)
	if b.inlining[fd] {
		return fmt.Errorf("%s: function %s calls itself", label, funcLabel(fp))
	}
	b.inlining[fd] = true
	defer delete(b.inlining, fd)
	size, err := b.expandedSize(fd)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	if size > maxInlinedNodes-b.inlined {
		return fmt.Errorf("%s: inlining function %s makes more than %d nodes", label, funcLabel(fp), maxInlinedNodes)
	}
	b.inlined += len(fp.Node)
	if len(np.Input) > len(fp.Input) {
		return fmt.Errorf("%s: %d inputs, but function %s takes %d", label, len(np.Input), funcLabel(fp), len(fp.Input))
	}
	if len(np.Output) > len(fp.Output) {
		return fmt.Errorf("%s: %d outputs, but function %s has %d", label, len(np.Output), funcLabel(fp), len(fp.Output))
	}

	// The body sees only its formal inputs.
	fsc := newScope(f, nil)
	for i, formal := range fp.Input {
		if formal == "" {
			return fmt.Errorf("function %s: input %d has no name", funcLabel(fp), i)
		}
		if _, dup := fsc.names[formal]; dup {
			return fmt.Errorf("function %s: input %q is listed twice", funcLabel(fp), formal)
		}
		var v *ir.Value
		if i < len(np.Input) && np.Input[i] != "" {
			var ok bool
			if v, _, ok = sc.lookup(np.Input[i]); !ok {
				return fmt.Errorf("%s: input %q is not defined (missing initializer or graph input?)", label, np.Input[i])
			}
		}
		fsc.names[formal] = v
	}

	// Attribute bindings: the call's attributes, then the defaults.
	binding := map[string]*onnxpb.AttributeProto{}
	for k, v := range fd.defaults {
		binding[k] = v
	}
	for _, ap := range np.Attribute {
		if ap.GetName() == "" {
			return fmt.Errorf("%s: attribute without a name", label)
		}
		if ref := ap.GetRefAttrName(); ref != "" {
			bound, ok := e.attrs[ref]
			if !ok {
				if e.attrs == nil {
					return fmt.Errorf("%s: attribute %q refers to %q outside a function body", label, ap.GetName(), ref)
				}
				continue
			}
			c := proto.Clone(bound).(*onnxpb.AttributeProto)
			c.Name = proto.String(ap.GetName())
			ap = c
		}
		binding[ap.GetName()] = ap
	}

	b.calls++
	prefix := fmt.Sprintf("%s.%d/", fp.GetName(), b.calls)
	outIdx := map[string]int{}
	for j, o := range fp.Output {
		if _, ok := outIdx[o]; !ok {
			outIdx[o] = j
		}
	}
	rename := func(s string) string {
		if j, ok := outIdx[s]; ok && j < len(np.Output) && np.Output[j] != "" {
			return e.outName(np.Output[j])
		}
		return prefix + s
	}
	fe := &env{opsets: fd.opsets, rename: rename, attrs: binding, prefix: prefix}
	if err := b.emitNodes(fp.Node, fsc, f, fe); err != nil {
		return fmt.Errorf("%s: in function %s: %w", label, funcLabel(fp), err)
	}

	// Bind the call's outputs.
	used := map[*ir.Value]bool{}
	for j, name := range np.Output {
		if name == "" {
			continue
		}
		formal := fp.Output[j]
		v, ok := fsc.names[formal]
		if !ok || v == nil {
			return fmt.Errorf("%s: function %s does not define its output %q", label, funcLabel(fp), formal)
		}
		want := e.outName(name)
		if v.Def == nil || v.Name != want || used[v] || b.owner[v] != f {
			// The output is an input, a constant, or another output:
			// copy it so that the call's output is a value of its own.
			opset, ok := b.opsetFor(fe, "")
			if !ok {
				opset = 1
			}
			id := &ir.Node{Op: "Identity", Opset: opset, Inputs: []*ir.Value{v}}
			out := &ir.Value{Name: want, Def: id}
			id.Outputs = []*ir.Value{out}
			if err := ir.ResolveNode(id); err != nil {
				id.Schema = nil
			}
			b.appendNode(f, id)
			v = out
		}
		used[v] = true
		if _, dup := sc.names[name]; dup {
			return fmt.Errorf("value %q is defined twice", name)
		}
		sc.names[name] = v
	}
	return nil
}

// expandedSize returns how many nodes fd's body makes once every call in it
// is inlined (subgraphs included), saturating above maxInlinedNodes.
func (b *builder) expandedSize(fd *funcDef) (int, error) {
	if n, ok := b.sizes[fd]; ok {
		return n, nil
	}
	if b.sizing[fd] {
		return 0, fmt.Errorf("function %s calls itself", funcLabel(fd.proto))
	}
	b.sizing[fd] = true
	n, err := b.nodesSize(fd.proto.Node)
	delete(b.sizing, fd)
	if err != nil {
		return 0, err
	}
	b.sizes[fd] = n
	return n, nil
}

func (b *builder) nodesSize(nodes []*onnxpb.NodeProto) (int, error) {
	total := 0
	for _, np := range nodes {
		n := 1
		if fd := b.functions[funcKey(np.GetDomain(), np.GetOpType(), np.GetOverload())]; fd != nil {
			var err error
			if n, err = b.expandedSize(fd); err != nil {
				return 0, err
			}
		}
		for _, a := range np.Attribute {
			for _, g := range attrGraphs(a) {
				k, err := b.nodesSize(g.Node)
				if err != nil {
					return 0, err
				}
				n += k
			}
		}
		total = min(total+n, maxInlinedNodes+1)
	}
	return total, nil
}

// convertFunction converts a function definition, without inlining, for
// Model.Functions.
func (b *builder) convertFunction(fd *funcDef) (*ir.Function, error) {
	fp := fd.proto
	fn := &ir.Function{
		Name:     fp.GetName(),
		Domain:   ir.NormDomain(fp.GetDomain()),
		Overload: fp.GetOverload(),
		Inputs:   append([]string{}, fp.Input...),
		Outputs:  append([]string{}, fp.Output...),
		Attrs:    append([]string{}, fp.Attribute...),
		Opsets:   fd.opsets,
		Doc:      fp.GetDocString(),
	}
	body := &ir.Func{Name: fp.GetName(), Doc: fp.GetDocString()}
	sc := newScope(body, nil)
	e := &env{opsets: fd.opsets, body: true}
	for _, ap := range fp.AttributeProto {
		a, _, err := b.convertAttr(ap, sc, body, e)
		if err != nil {
			return nil, fmt.Errorf("attribute default: %w", err)
		}
		fn.AttrDefaults = append(fn.AttrDefaults, a)
	}
	for i, name := range fp.Input {
		if name == "" {
			return nil, fmt.Errorf("input %d has no name", i)
		}
		if _, dup := sc.names[name]; dup {
			return nil, fmt.Errorf("input %q is listed twice", name)
		}
		v := &ir.Value{Name: name, Param: true}
		sc.names[name] = v
		body.Params = append(body.Params, v)
		b.owner[v] = body
	}
	if err := b.emitNodes(fp.Node, sc, body, e); err != nil {
		return nil, err
	}
	for _, vi := range fp.ValueInfo {
		v, ok := sc.names[vi.GetName()]
		if !ok || v == nil {
			continue
		}
		t, err := convertType(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("value_info %q: %w", vi.GetName(), err)
		}
		if t.Kind != ir.KindUnknown {
			v.Type = t
		}
	}
	for i, name := range fp.Output {
		if name == "" {
			return nil, fmt.Errorf("output %d has no name", i)
		}
		v, ok := sc.names[name]
		if !ok {
			return nil, fmt.Errorf("output %q is not defined", name)
		}
		body.Results = append(body.Results, v)
	}
	fn.Body = body
	return fn, nil
}
