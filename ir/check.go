package ir

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// Check verifies f and its subgraphs and returns every problem found,
// joined (nil when there is none). Each error names the func, the node and
// the value concerned. It reports:
//
//   - a value defined twice, or two values of one func with one name, and
//     parameters sharing a name;
//   - a node input that is not defined before the node: in f, or, for a
//     subgraph, in an enclosing func before the node that holds it;
//   - a result that is nil or not defined;
//   - a node output whose Def is not the node, and a constant without a
//     value;
//   - Uses lists that disagree with the nodes' inputs: a node of the func
//     that defines a value must be listed once per input slot that reads
//     it; a node of a subgraph at most that often (captures of outer
//     values need not be recorded); any other node not at all;
//   - a node whose op is unknown at its opset, or whose Schema is not that
//     of its op;
//   - input and output counts outside the op's arity, and omitted
//     required inputs;
//   - attributes the op does not declare, of another type than declared,
//     set twice, or required and missing;
//   - known input element types outside the op's type constraints, and
//     inputs bound to one type variable with different element types
//     (except the variadic inputs of ops with graph attributes, such as
//     Loop's carried values, which differ by design);
//   - a subgraph whose Outer is set to another func than its holder.
//
// Check does not modify f.
func Check(f *Func) error {
	c := newChecker()
	c.run(f, "func "+identOrQuote(f.Name))
	return errors.Join(c.errs...)
}

// CheckModel checks m's graph as Check does, and that m imports only known
// opsets (a domain onyx knows at a version it knows, or the domain of one
// of m's local functions), that every node's domain is imported and its
// opset is the one imported. Local function bodies are checked too, against
// their own opsets. Calls to local functions, in the graph or in bodies,
// are not reported as unknown ops.
func CheckModel(m *Model) error {
	c := newChecker()
	local := map[string]bool{}
	localDomains := map[string]bool{}
	for _, fn := range m.Functions {
		local[key(fn.Domain, fn.Name)] = true
		localDomains[NormDomain(fn.Domain)] = true
	}
	c.skipOp = func(n *Node) bool { return local[key(n.Domain, n.Op)] }
	c.checkOpsets("model", m.Opsets, localDomains)
	if m.Graph == nil {
		c.errorf("model has no graph")
	} else {
		where := "func " + identOrQuote(m.Graph.Name)
		c.run(m.Graph, where)
		c.checkNodeOpsets(m.Graph, m.Opsets, where)
	}
	for _, fn := range m.Functions {
		where := "function " + fn.Name
		if fn.Domain != "" {
			where = "function " + fn.Domain + ":" + fn.Name
		}
		c.checkOpsets(where, fn.Opsets, localDomains)
		if fn.Body != nil {
			c.run(fn.Body, where)
			if fn.Opsets != nil {
				c.checkNodeOpsets(fn.Body, fn.Opsets, where)
			}
		}
	}
	return errors.Join(c.errs...)
}

type checker struct {
	errs []error
	// reads counts, per value, the input slots of each node (at any
	// depth) that read it; funcOf gives each node's func.
	reads  map[*Value]map[*Node]int
	funcOf map[*Node]*Func
	skipOp func(*Node) bool
}

func newChecker() *checker {
	return &checker{reads: map[*Value]map[*Node]int{}, funcOf: map[*Node]*Func{}}
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

func (c *checker) run(f *Func, where string) {
	f.Walk(func(g *Func, n *Node) {
		c.funcOf[n] = g
		for _, in := range n.Inputs {
			if in == nil {
				continue
			}
			if c.reads[in] == nil {
				c.reads[in] = map[*Node]int{}
			}
			c.reads[in][n]++
		}
	})
	c.checkFunc(f, nil, where)
}

func (c *checker) checkOpsets(where string, opsets map[string]int, localDomains map[string]bool) {
	ds := make([]string, 0, len(opsets))
	for d := range opsets {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	seen := map[string]string{}
	for _, d := range ds {
		v := opsets[d]
		nd := NormDomain(d)
		if prev, dup := seen[nd]; dup {
			c.errorf("%s: imports domain %q twice (as %q and %q)", where, domainName(nd), prev, d)
		}
		seen[nd] = d
		max, known := MaxOpset[nd]
		switch {
		case localDomains[nd]:
			if v < 1 {
				c.errorf("%s: imports opset %d of domain %q", where, v, domainName(nd))
			}
		case !known:
			c.errorf("%s: imports unknown domain %q (opset %d)", where, domainName(nd), v)
		case v < 1 || v > max:
			c.errorf("%s: imports opset %d of domain %q; onyx knows versions 1 to %d", where, v, domainName(nd), max)
		}
	}
}

func (c *checker) checkNodeOpsets(f *Func, opsets map[string]int, where string) {
	norm := normOpsets(opsets)
	f.Walk(func(g *Func, n *Node) {
		v, ok := norm[NormDomain(n.Domain)]
		switch {
		case !ok:
			c.errorf("%s: node %s: domain %q is not imported", where, n, domainName(n.Domain))
		case n.Opset != v:
			c.errorf("%s: node %s: opset %d, but opset %d of domain %q is imported", where, n, n.Opset, v, domainName(n.Domain))
		}
	})
}

// visible is the set of values of enclosing funcs a subgraph may read:
// those defined before the node holding it, at each level.
type visible struct {
	defined map[*Value]bool
	parent  *visible
}

func (v *visible) has(x *Value) bool {
	for ; v != nil; v = v.parent {
		if v.defined[x] {
			return true
		}
	}
	return false
}

func (c *checker) checkFunc(f *Func, outer *visible, where string) {
	defined := map[*Value]bool{}
	byName := map[string]*Value{}
	nodeOut := map[*Value]bool{}
	for _, n := range f.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				nodeOut[o] = true
			}
		}
	}
	define := func(v *Value, what string) {
		if defined[v] {
			c.errorf("%s: value %s is defined twice (again as %s)", where, v, what)
			return
		}
		if u := byName[v.Name]; u != nil {
			c.errorf("%s: two values are named %s (the second is %s)", where, v, what)
		} else {
			byName[v.Name] = v
		}
		defined[v] = true
	}

	paramNames := map[string]bool{}
	for i, v := range f.Params {
		if v == nil {
			c.errorf("%s: parameter %d is nil", where, i)
			continue
		}
		if paramNames[v.Name] {
			c.errorf("%s: parameter name %s is used twice", where, v)
			defined[v] = true
			continue
		}
		paramNames[v.Name] = true
		define(v, "a parameter")
	}
	for i, v := range f.Consts {
		if v == nil {
			c.errorf("%s: constant %d is nil", where, i)
			continue
		}
		if v.Const == nil {
			c.errorf("%s: constant %s has no value", where, v)
		}
		define(v, "a constant")
	}

	for _, n := range f.Nodes {
		here := fmt.Sprintf("%s: node %s", where, n)
		for i, in := range n.Inputs {
			if in == nil || defined[in] || outer.has(in) {
				continue
			}
			if nodeOut[in] {
				c.errorf("%s: input %d %s is used before it is defined", here, i, in)
			} else {
				c.errorf("%s: input %d %s is not defined in this func or before it in an enclosing one", here, i, in)
			}
		}
		for _, a := range n.Attrs {
			gs := a.Graphs
			if a.G != nil {
				gs = append([]*Func{a.G}, gs...)
			}
			for k, g := range gs {
				if g == nil {
					continue
				}
				sub := fmt.Sprintf("%s: attribute %s", here, a.Name)
				if len(a.Graphs) > 0 {
					sub = fmt.Sprintf("%s[%d]", sub, k)
				}
				if g.Outer != nil && g.Outer != f {
					c.errorf("%s: subgraph %s has Outer %s, not the func holding it", sub, g.Name, g.Outer.Name)
				}
				c.checkFunc(g, &visible{defined: defined, parent: outer}, sub+": func "+identOrQuote(g.Name))
			}
		}
		c.checkNode(n, here)
		for _, o := range n.Outputs {
			if o == nil {
				continue
			}
			if o.Def != n {
				if o.Def == nil {
					c.errorf("%s: output %s has no Def", here, o)
				} else {
					c.errorf("%s: output %s has Def %s", here, o, o.Def)
				}
			}
			define(o, "an output of node "+n.String())
		}
	}

	for i, r := range f.Results {
		switch {
		case r == nil:
			c.errorf("%s: result %d is nil", where, i)
		case !defined[r] && !outer.has(r):
			c.errorf("%s: result %d %s is not defined", where, i, r)
		}
	}

	c.checkUses(f, where)
}

// checkUses compares the Uses lists of f's values with the inputs that
// read them.
func (c *checker) checkUses(f *Func, where string) {
	for _, v := range f.Values() {
		if v == nil {
			continue
		}
		listed := map[*Node]int{}
		var order []*Node
		for _, u := range v.Uses {
			if listed[u] == 0 {
				order = append(order, u)
			}
			listed[u]++
		}
		reads := c.reads[v]
		for _, u := range order {
			k, r := listed[u], reads[u]
			switch {
			case u == nil:
				c.errorf("%s: value %s lists a nil node among its uses", where, v)
			case r == 0:
				c.errorf("%s: value %s lists node %s among its uses, but that node does not read it", where, v, u)
			case c.funcOf[u] == f && k != r:
				c.errorf("%s: node %s reads %s %d times, but %s.Uses lists it %d times", where, u, v, r, v, k)
			case c.funcOf[u] != f && k > r:
				c.errorf("%s: node %s of a subgraph reads %s %d times, but %s.Uses lists it %d times", where, u, v, r, v, k)
			}
		}
		for _, n := range f.Nodes {
			if r := reads[n]; r > 0 && listed[n] == 0 {
				c.errorf("%s: node %s reads %s, but %s.Uses does not list it", where, n, v, v)
				listed[n] = -1 // report once
			}
		}
	}
}

func schemaHasGraphAttr(s *OpSchema) bool {
	for _, d := range s.Attrs {
		if d.Type == AttrGraph || d.Type == AttrGraphs {
			return true
		}
	}
	return false
}

// formalFor returns the formal parameter input i binds to, or nil.
func formalFor(fs []Formal, i int) *Formal {
	if i < len(fs) {
		return &fs[i]
	}
	if len(fs) > 0 && fs[len(fs)-1].Variadic {
		return &fs[len(fs)-1]
	}
	return nil
}

func arityText(min, max int) string {
	switch {
	case max < 0:
		return fmt.Sprintf("at least %d", min)
	case min == max:
		return fmt.Sprint(min)
	}
	return fmt.Sprintf("%d to %d", min, max)
}

func dtypeList(ds []tensor.DType) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = d.Short()
	}
	return strings.Join(s, ", ")
}

func (c *checker) checkNode(n *Node, here string) {
	if c.skipOp != nil && c.skipOp(n) {
		return
	}
	s := n.Schema
	if s == nil {
		s = LookupSchema(n.Domain, n.Op, n.Opset)
	}
	if s == nil {
		if fs := FindSchema(n.Domain, n.Op); fs != nil {
			c.errorf("%s: op %s does not exist at opset %d of domain %q (versions %v)", here, n.Op, n.Opset, domainName(n.Domain), fs.Versions)
		} else {
			c.errorf("%s: unknown op %s in domain %q", here, n.Op, domainName(n.Domain))
		}
		return
	}
	if s.Name != n.Op || s.Domain != NormDomain(n.Domain) {
		c.errorf("%s: Schema is that of %s in domain %q", here, s.Name, domainName(s.Domain))
		return
	}
	if s.SinceVersion(n.Opset) == 0 {
		c.errorf("%s: op %s does not exist at opset %d of domain %q (versions %v)", here, n.Op, n.Opset, domainName(n.Domain), s.Versions)
	}

	// Arity.
	if min, max := s.Arity(); len(n.Inputs) < min || max >= 0 && len(n.Inputs) > max {
		c.errorf("%s: %d inputs, %s takes %s", here, len(n.Inputs), n.Op, arityText(min, max))
	}
	if min, max := s.OutputArity(); len(n.Outputs) < min || max >= 0 && len(n.Outputs) > max {
		c.errorf("%s: %d outputs, %s gives %s", here, len(n.Outputs), n.Op, arityText(min, max))
	}
	formals := s.FormalInputs()
	for i, fm := range formals {
		if !fm.Optional && !fm.Variadic && i < len(n.Inputs) && n.Inputs[i] == nil {
			c.errorf("%s: required input %d (%s) is omitted", here, i, fm.Name)
		}
	}

	// Attributes.
	seen := map[string]bool{}
	for _, a := range n.Attrs {
		if seen[a.Name] {
			c.errorf("%s: attribute %s is set twice", here, a.Name)
			continue
		}
		seen[a.Name] = true
		d := s.AttrDef(a.Name)
		switch {
		case d == nil:
			c.errorf("%s: attribute %s is not declared by %s", here, a.Name, n.Op)
		case a.Type != d.Type && !(a.Type == AttrUndefined && a.Ref != ""):
			c.errorf("%s: attribute %s is of type %s, %s declares %s", here, a.Name, a.Type, n.Op, d.Type)
		}
	}
	for _, d := range s.Attrs {
		if d.Required && !seen[d.Name] {
			c.errorf("%s: required attribute %s is missing", here, d.Name)
		}
	}

	// Element types.
	hetero := schemaHasGraphAttr(s)
	type binding struct {
		elem tensor.DType
		in   int
		v    *Value
	}
	bound := map[string]binding{}
	for i, v := range n.Inputs {
		fm := formalFor(formals, i)
		if v == nil || fm == nil || fm.TypeVar == "" {
			continue
		}
		if v.Type.Kind != KindTensor && v.Type.Kind != KindSparseTensor || !v.Type.Elem.Valid() {
			continue
		}
		elem := v.Type.Elem
		if allowed := s.Allowed(fm.TypeVar); allowed != nil {
			ok := false
			for _, d := range allowed {
				if d == elem {
					ok = true
					break
				}
			}
			if !ok {
				c.errorf("%s: input %d (%s) %s is %s, %s allows %s in {%s}", here, i, fm.Name, v, elem.Short(), n.Op, fm.TypeVar, dtypeList(allowed))
				continue
			}
		}
		if hetero && fm.Variadic {
			continue
		}
		if b, ok := bound[fm.TypeVar]; ok {
			if b.elem != elem {
				c.errorf("%s: input %d %s is %s but input %d %s is %s; both are of type %s", here, i, v, elem.Short(), b.in, b.v, b.elem.Short(), fm.TypeVar)
			}
			continue
		}
		bound[fm.TypeVar] = binding{elem, i, v}
	}
}
