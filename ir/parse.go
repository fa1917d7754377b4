package ir

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// ParseError is an error in IR text, at a line and column (both from 1;
// the column counts bytes).
type ParseError struct {
	Line, Col int
	Msg       string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Parse reads one func in the text form that Print writes. Nodes are
// resolved against the op table at their opset (an unknown op is kept with
// a nil Schema, for Check to report), uses and definitions are linked, and
// subgraphs get their Outer. A value may be read before the line that
// defines it; a value no line defines is an error.
func Parse(text string) (*Func, error) {
	p, err := newParser(text)
	if err != nil {
		return nil, err
	}
	var f *Func
	err = p.run(func() {
		p.env = map[string]int{}
		f = p.funcDef(nil)
		p.expectEOF()
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// ParseModel reads a model in the text form that PrintModel writes.
func ParseModel(text string) (*Model, error) {
	p, err := newParser(text)
	if err != nil {
		return nil, err
	}
	var m *Model
	err = p.run(func() { m = p.model() })
	if err != nil {
		return nil, err
	}
	return m, nil
}

// maxParsedDense bounds the dense form Parse builds for a sparse constant
// declared by its sparse statement alone.
const maxParsedDense = 1 << 24

// Lexer.

type tokKind uint8

const (
	tEOF    tokKind = iota
	tIdent          // name, keyword or type
	tValue          // %name; text is the name
	tString         // "..."; text is the unquoted string
	tNumber         // 12, -1.5e-3, -inf, 0x1f
	tPunct          // ( ) [ ] { } < > , = : ? * @ -> ...
)

type token struct {
	kind      tokKind
	text      string
	line, col int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of text"
	case tValue:
		return valueName(t.text)
	case tString:
		return quote(t.text)
	}
	return strconv.Quote(t.text)
}

func lex(src string) ([]token, error) {
	var toks []token
	line, col := 1, 1
	i := 0
	errAt := func(l, c int, format string, args ...any) error {
		return &ParseError{Line: l, Col: c, Msg: fmt.Sprintf(format, args...)}
	}
	advance := func(n int) {
		for k := 0; k < n; k++ {
			if src[i] == '\n' {
				line++
				col = 1
			} else {
				col++
			}
			i++
		}
	}
	// scanString returns the length of the quoted string at src[j:].
	scanString := func(j int) (int, bool) {
		k := j + 1
		for k < len(src) {
			switch src[k] {
			case '\\':
				k += 2
				continue
			case '"':
				return k + 1 - j, true
			case '\n':
				return 0, false
			}
			k++
		}
		return 0, false
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			advance(1)
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				advance(1)
			}
			continue
		}
		tl, tc := line, col
		switch {
		case c == '"':
			n, ok := scanString(i)
			if !ok {
				return nil, errAt(tl, tc, "unterminated string")
			}
			s, err := strconv.Unquote(src[i : i+n])
			if err != nil {
				return nil, errAt(tl, tc, "bad string %s: %v", src[i:i+n], err)
			}
			toks = append(toks, token{tString, s, tl, tc})
			advance(n)
		case c == '%':
			if i+1 < len(src) && src[i+1] == '"' {
				n, ok := scanString(i + 1)
				if !ok {
					return nil, errAt(tl, tc, "unterminated value name")
				}
				s, err := strconv.Unquote(src[i+1 : i+1+n])
				if err != nil {
					return nil, errAt(tl, tc, "bad value name: %v", err)
				}
				toks = append(toks, token{tValue, s, tl, tc})
				advance(n + 1)
				continue
			}
			j := i + 1
			for j < len(src) && isValueNameChar(src[j]) {
				j++
			}
			if j == i+1 {
				return nil, errAt(tl, tc, "%% without a value name")
			}
			toks = append(toks, token{tValue, src[i+1 : j], tl, tc})
			advance(j - i)
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			toks = append(toks, token{tIdent, src[i:j], tl, tc})
			advance(j - i)
		case c >= '0' && c <= '9' || (c == '-' || c == '+') && i+1 < len(src) && (isIdentStart(src[i+1]) || src[i+1] >= '0' && src[i+1] <= '9'):
			j := i + 1
			body := strings.TrimLeft(src[i:min(i+3, len(src))], "+-")
			hex := strings.HasPrefix(body, "0x") || strings.HasPrefix(body, "0X")
			numeric := body != "" && body[0] >= '0' && body[0] <= '9'
			for j < len(src) {
				d := src[j]
				if isIdentChar(d) {
					j++
					continue
				}
				if (d == '+' || d == '-') && !hex && numeric && (src[j-1] == 'e' || src[j-1] == 'E') {
					j++
					continue
				}
				break
			}
			toks = append(toks, token{tNumber, src[i:j], tl, tc})
			advance(j - i)
		case c == '-' && i+1 < len(src) && src[i+1] == '>':
			toks = append(toks, token{tPunct, "->", tl, tc})
			advance(2)
		case c == '.' && strings.HasPrefix(src[i:], "..."):
			toks = append(toks, token{tPunct, "...", tl, tc})
			advance(3)
		case strings.IndexByte("()[]{}<>,=:?*@", c) >= 0:
			toks = append(toks, token{tPunct, string(c), tl, tc})
			advance(1)
		default:
			return nil, errAt(tl, tc, "unexpected character %q", c)
		}
	}
	toks = append(toks, token{tEOF, "", line, col})
	return toks, nil
}

// Parser.

type parser struct {
	toks []token
	pos  int
	cur  *scope
	env  map[string]int // default opset per normalized domain
}

// scope holds the names a func defines while it is being read.
type scope struct {
	f       *Func
	parent  *scope
	names   map[string]*Value
	pending []pendingRef
	// sparseRefs are sparse statements naming values defined later.
	sparseRefs []sparseRef
}

type sparseRef struct {
	sc *SparseConst
	at token
}

// pendingRef is a read of a name not yet defined: a node input slot or a
// func result.
type pendingRef struct {
	name   string
	at     token
	node   *Node // nil for a result
	fn     *Func // the func whose node or result reads the name
	idx    int
	result bool
}

type parsePanic struct{ err *ParseError }

func newParser(text string) (*parser, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	return &parser{toks: toks}, nil
}

func (p *parser) run(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pp, ok := r.(parsePanic)
			if !ok {
				panic(r)
			}
			err = pp.err
		}
	}()
	fn()
	return nil
}

func (p *parser) failAt(t token, format string, args ...any) {
	panic(parsePanic{&ParseError{Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) fail(format string, args ...any) { p.failAt(p.peek(), format, args...) }

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) peekAt(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) isPunct(s string) bool {
	t := p.peek()
	return t.kind == tPunct && t.text == s
}

func (p *parser) isIdent(s string) bool {
	t := p.peek()
	return t.kind == tIdent && t.text == s
}

func (p *parser) accept(s string) bool {
	if p.isPunct(s) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(s string) token {
	if !p.isPunct(s) {
		p.fail("expected %q, found %s", s, p.peek())
	}
	return p.next()
}

func (p *parser) expectKeyword(s string) token {
	if !p.isIdent(s) {
		p.fail("expected %s, found %s", s, p.peek())
	}
	return p.next()
}

func (p *parser) expectEOF() {
	if t := p.peek(); t.kind != tEOF {
		p.fail("unexpected %s after the end", t)
	}
}

func (p *parser) str() string {
	t := p.peek()
	if t.kind != tString {
		p.fail("expected a quoted string, found %s", t)
	}
	p.next()
	return t.text
}

// name reads an identifier or a quoted string.
func (p *parser) name(what string) string {
	t := p.peek()
	if t.kind != tIdent && t.kind != tString {
		p.fail("expected %s, found %s", what, t)
	}
	p.next()
	return t.text
}

func (p *parser) intLit(bits int) int64 {
	t := p.peek()
	if t.kind != tNumber {
		p.fail("expected an integer, found %s", t)
	}
	v, err := strconv.ParseInt(t.text, 0, bits)
	if err != nil {
		p.fail("bad integer %s", t.text)
	}
	p.next()
	return v
}

// keyStr reads `key = "string"` after the key.
func (p *parser) eqStr() string {
	p.expect("=")
	return p.str()
}

// opsetClause reads opset("dom"=N, ...) after the keyword.
func (p *parser) opsetClause() map[string]int {
	p.expect("(")
	m := map[string]int{}
	for !p.isPunct(")") {
		if len(m) > 0 {
			p.expect(",")
		}
		at := p.peek()
		d := p.name("a domain")
		p.expect("=")
		v := p.intLit(32)
		if _, dup := m[d]; dup {
			p.failAt(at, "domain %q given twice", d)
		}
		m[d] = int(v)
	}
	p.expect(")")
	return m
}

func (p *parser) model() *Model {
	p.expectKeyword("model")
	m := &Model{}
	seen := map[string]bool{}
	for p.peek().kind == tIdent {
		t := p.peek()
		switch t.text {
		case "meta", "function", "func":
		case "ir", "opset", "producer", "producer_version", "domain", "model_version", "doc":
			if seen[t.text] {
				p.fail("%s given twice", t.text)
			}
			seen[t.text] = true
			p.next()
			switch t.text {
			case "ir":
				p.expect("=")
				m.IRVersion = p.intLit(64)
			case "opset":
				m.Opsets = p.opsetClause()
			case "producer":
				m.ProducerName = p.eqStr()
			case "producer_version":
				m.ProducerVersion = p.eqStr()
			case "domain":
				m.Domain = p.eqStr()
			case "model_version":
				p.expect("=")
				m.ModelVersion = p.intLit(64)
			case "doc":
				m.Doc = p.eqStr()
			}
			continue
		default:
			p.fail("unknown model field %s", t.text)
		}
		break
	}
	env := normOpsets(m.Opsets)
	for p.isIdent("meta") {
		p.next()
		k := p.str()
		m.Metadata = append(m.Metadata, KV{k, p.eqStr()})
	}
	for p.isIdent("function") {
		m.Functions = append(m.Functions, p.function())
	}
	if p.isIdent("func") {
		p.env = env
		m.Graph = p.funcDef(nil)
	}
	p.expectEOF()
	return m
}

func (p *parser) nameList() []string {
	p.expect("(")
	var out []string
	for !p.isPunct(")") {
		if len(out) > 0 {
			p.expect(",")
		}
		out = append(out, p.name("a name"))
	}
	p.expect(")")
	return out
}

func (p *parser) function() *Function {
	p.expectKeyword("function")
	fn := &Function{}
	fn.Name = p.name("a function name")
	if p.accept(":") {
		fn.Domain = fn.Name
		fn.Name = p.name("a function name")
	}
	fn.Inputs = p.nameList()
	p.expect("->")
	fn.Outputs = p.nameList()
	for {
		switch {
		case p.isIdent("attrs"):
			p.next()
			fn.Attrs = p.nameList()
			continue
		case p.isPunct("{"):
			fn.AttrDefaults = p.attrs()
			continue
		case p.isIdent("opset"):
			p.next()
			fn.Opsets = p.opsetClause()
			continue
		case p.isIdent("overload"):
			p.next()
			fn.Overload = p.eqStr()
			continue
		case p.isIdent("doc"):
			p.next()
			fn.Doc = p.eqStr()
			continue
		}
		break
	}
	if p.accept("=") {
		saved := p.env
		p.env = normOpsets(fn.Opsets)
		fn.Body = p.funcDef(nil)
		p.env = saved
	}
	return fn
}

// funcDef reads a func. outer is the enclosing func of a subgraph, nil for
// a top-level one; the current scope is then the enclosing one.
func (p *parser) funcDef(outer *Func) *Func {
	p.expectKeyword("func")
	f := &Func{Outer: outer}
	if !p.isPunct("(") {
		f.Name = p.name("a func name")
	}
	sc := &scope{f: f, parent: p.cur, names: map[string]*Value{}}
	if outer == nil {
		sc.parent = nil
	}
	savedScope, savedEnv := p.cur, p.env
	p.cur = sc
	defer func() { p.cur, p.env = savedScope, savedEnv }()

	p.expect("(")
	for !p.isPunct(")") {
		if len(f.Params) > 0 {
			p.expect(",")
		}
		v, at := p.valueDecl()
		v.Param = true
		p.define(v, at)
		f.Params = append(f.Params, v)
	}
	p.expect(")")
	p.expect("->")
	p.expect("(")
	var results []token
	for !p.isPunct(")") {
		if len(results) > 0 {
			p.expect(",")
		}
		t := p.peek()
		if t.kind != tValue && !(t.kind == tIdent && t.text == "_") {
			p.fail("expected a result value, found %s", t)
		}
		results = append(results, p.next())
	}
	p.expect(")")
	for {
		if p.isIdent("opset") {
			p.next()
			env := map[string]int{}
			for d, v := range p.env {
				env[d] = v
			}
			for d, v := range p.opsetClause() {
				env[NormDomain(d)] = v
			}
			p.env = env
			continue
		}
		if p.isIdent("doc") {
			p.next()
			f.Doc = p.eqStr()
			continue
		}
		break
	}
	p.expect("{")
	for !p.isPunct("}") {
		p.statement(f)
	}
	p.expect("}")
	for _, r := range sc.sparseRefs {
		if r.sc.Value = sc.names[r.at.text]; r.sc.Value == nil {
			p.failAt(r.at, "sparse constant %s is not a value of this func", valueName(r.at.text))
		}
	}

	f.Results = make([]*Value, len(results))
	for i, t := range results {
		if t.kind != tValue {
			continue
		}
		if v, _ := p.lookup(t.text); v != nil {
			f.Results[i] = v
		} else {
			sc.pending = append(sc.pending, pendingRef{name: t.text, at: t, fn: f, idx: i, result: true})
		}
	}
	p.closeScope(sc)
	return f
}

// closeScope binds the reads of names defined after them, passing those
// the func does not define to the enclosing scope.
func (p *parser) closeScope(sc *scope) {
	for _, r := range sc.pending {
		v := sc.names[r.name]
		if v == nil {
			if sc.parent != nil {
				sc.parent.pending = append(sc.parent.pending, r)
				continue
			}
			p.failAt(r.at, "value %s is not defined", valueName(r.name))
		}
		if r.result {
			r.fn.Results[r.idx] = v
			continue
		}
		r.node.Inputs[r.idx] = v
		if r.fn == sc.f {
			v.Uses = append(v.Uses, r.node)
		}
	}
	sc.pending = nil
}

func (p *parser) lookup(name string) (v *Value, local bool) {
	for s := p.cur; s != nil; s = s.parent {
		if v := s.names[name]; v != nil {
			return v, s == p.cur
		}
	}
	return nil, false
}

func (p *parser) define(v *Value, at token) {
	if _, dup := p.cur.names[v.Name]; dup {
		p.failAt(at, "value %s is defined twice", valueName(v.Name))
	}
	p.cur.names[v.Name] = v
}

// valueDecl reads "%name: type [= tensor] [doc=...]".
func (p *parser) valueDecl() (*Value, token) {
	at := p.peek()
	if at.kind != tValue {
		p.fail("expected a value, found %s", at)
	}
	p.next()
	v := &Value{Name: at.text}
	p.expect(":")
	v.Type = p.typ()
	if p.accept("=") {
		if p.isPunct("[") {
			shape, ok := v.Type.StaticShape()
			if !ok || !v.Type.IsTensor() || !v.Type.Elem.Valid() {
				p.fail("values without element type and shape need a static tensor type, not %s", typeText(v.Type))
			}
			v.Const = p.tensorValues(v.Type.Elem, shape)
		} else {
			v.Const = p.tensorLit()
		}
	}
	if p.isIdent("doc") {
		p.next()
		v.Doc = p.eqStr()
	}
	return v, at
}

func (p *parser) statement(f *Func) {
	t := p.peek()
	switch {
	case t.kind == tIdent && t.text == "const":
		p.next()
		v, at := p.valueDecl()
		p.define(v, at)
		f.Consts = append(f.Consts, v)
	case t.kind == tIdent && t.text == "sparse":
		p.next()
		sc := &SparseConst{}
		at := p.peek()
		switch {
		case p.isIdent("_"):
			p.next()
		case at.kind == tValue:
			p.next()
			if p.accept(":") {
				sc.Value = &Value{Name: at.text, Type: p.typ()}
				p.define(sc.Value, at)
			} else if sc.Value = p.cur.names[at.text]; sc.Value == nil {
				p.cur.sparseRefs = append(p.cur.sparseRefs, sparseRef{sc, at})
			}
		default:
			p.fail("expected a value, found %s", at)
		}
		p.expect("=")
		sc.Sparse = p.sparseLit()
		if sc.Value != nil && sc.Value.Const == nil && sc.Sparse != nil && sc.Sparse.Values != nil && sc.Sparse.Indices != nil {
			if n, err := tensor.NumElements(sc.Sparse.Dims); err != nil || n > maxParsedDense {
				p.failAt(at, "sparse constant %s: dense shape %v is too large to expand", valueName(at.text), sc.Sparse.Dims)
			}
			if d, err := sc.Sparse.Dense(); err == nil {
				sc.Value.Const = d
			}
		}
		f.SparseConsts = append(f.SparseConsts, sc)
	case t.kind == tIdent && t.text == "meta":
		p.next()
		k := p.str()
		f.Metadata = append(f.Metadata, KV{k, p.eqStr()})
	case t.kind == tIdent && t.text == "quant":
		p.next()
		q := QuantAnnotation{Tensor: p.str()}
		p.expect("{")
		for !p.isPunct("}") {
			if len(q.Params) > 0 {
				p.expect(",")
			}
			k := p.str()
			q.Params = append(q.Params, KV{k, p.eqStr()})
		}
		p.expect("}")
		f.QuantAnnotations = append(f.QuantAnnotations, q)
	case t.kind == tValue || t.kind == tIdent && t.text == "_" || t.kind == tPunct && t.text == "(":
		p.node(f)
	default:
		p.fail("expected a node, const, sparse, meta or quant line, found %s", t)
	}
}

func (p *parser) node(f *Func) {
	n := &Node{}
	var outs []token
	var outDocs []string
	if p.accept("(") {
		p.expect(")")
	} else {
		for {
			t := p.peek()
			if t.kind != tValue && !(t.kind == tIdent && t.text == "_") {
				p.fail("expected an output value, found %s", t)
			}
			p.next()
			doc := ""
			if t.kind == tValue && p.isIdent("doc") {
				p.next()
				doc = p.eqStr()
			}
			outs = append(outs, t)
			outDocs = append(outDocs, doc)
			if !p.accept(",") {
				break
			}
		}
	}
	p.expect("=")
	opTok := p.peek()
	n.Op = p.name("an op")
	if p.accept(":") {
		n.Domain = n.Op
		n.Op = p.name("an op")
	}
	if p.accept("@") {
		n.Opset = int(p.intLit(32))
	} else if v, ok := p.env[NormDomain(n.Domain)]; ok {
		n.Opset = v
	} else {
		p.failAt(opTok, "no opset for domain %q: write %s@N or give the func an opset clause", domainName(n.Domain), n.OpName())
	}
	p.expect("(")
	var ins []token
	for !p.isPunct(")") {
		if len(ins) > 0 {
			p.expect(",")
		}
		t := p.peek()
		if t.kind != tValue && !(t.kind == tIdent && t.text == "_") {
			p.fail("expected an input value, found %s", t)
		}
		ins = append(ins, p.next())
	}
	p.expect(")")
	if p.isPunct("{") {
		n.Attrs = p.attrs()
	}
	var types []Type
	typesAt := p.peek()
	if p.accept(":") {
		for {
			types = append(types, p.typ())
			if !p.accept(",") {
				break
			}
		}
	}
	for {
		if p.isIdent("name") {
			p.next()
			n.Name = p.eqStr()
			continue
		}
		if p.isIdent("doc") {
			p.next()
			n.Doc = p.eqStr()
			continue
		}
		break
	}

	n.Schema = LookupSchema(n.Domain, n.Op, n.Opset)
	n.Inputs = make([]*Value, len(ins))
	for i, t := range ins {
		if t.kind != tValue {
			continue
		}
		v, local := p.lookup(t.text)
		if v == nil {
			p.cur.pending = append(p.cur.pending, pendingRef{name: t.text, at: t, node: n, fn: f, idx: i})
			continue
		}
		n.Inputs[i] = v
		if local {
			v.Uses = append(v.Uses, n)
		}
	}
	present := 0
	for _, t := range outs {
		if t.kind == tValue {
			present++
		}
	}
	if types != nil && len(types) != present {
		p.failAt(typesAt, "%d types for %d outputs", len(types), present)
	}
	n.Outputs = make([]*Value, len(outs))
	k := 0
	for i, t := range outs {
		if t.kind != tValue {
			continue
		}
		v := &Value{Name: t.text, Def: n, Doc: outDocs[i]}
		if types != nil {
			v.Type = types[k]
		}
		k++
		p.define(v, t)
		n.Outputs[i] = v
	}
	f.Nodes = append(f.Nodes, n)
}

// Types.

func (p *parser) typ() Type {
	t := p.peek()
	switch {
	case t.kind == tPunct && t.text == "?":
		p.next()
		if p.isPunct("[") {
			return p.shape(Type{Kind: KindTensor})
		}
		return Type{}
	case t.kind == tIdent && (t.text == "seq" || t.text == "opt") && p.peekAt(1).text == "<":
		p.next()
		p.next()
		out := Type{Kind: KindSequence}
		if t.text == "opt" {
			out.Kind = KindOptional
		}
		if !p.isPunct(">") {
			in := p.typ()
			out.Inner = &in
		}
		p.expect(">")
		return out
	case t.kind == tIdent && t.text == "map" && p.peekAt(1).text == "<":
		p.next()
		p.next()
		out := Type{Kind: KindMap, Elem: p.elemType()}
		if p.accept(",") {
			in := p.typ()
			out.Inner = &in
		}
		p.expect(">")
		return out
	case t.kind == tIdent && t.text == "sparse" && p.peekAt(1).text == "<":
		p.next()
		p.next()
		out := p.shape(Type{Kind: KindSparseTensor, Elem: p.elemType()})
		p.expect(">")
		return out
	case t.kind == tIdent:
		return p.shape(Type{Kind: KindTensor, Elem: p.elemType()})
	}
	p.fail("expected a type, found %s", t)
	return Type{}
}

func (p *parser) elemType() tensor.DType {
	t := p.peek()
	if t.kind == tPunct && t.text == "?" {
		p.next()
		return tensor.Undefined
	}
	if t.kind == tIdent {
		if d, ok := tensor.DTypeByName(t.text); ok {
			p.next()
			return d
		}
	}
	p.fail("expected an element type, found %s", t)
	return 0
}

// shape reads [*] or [d, ...] into t.
func (p *parser) shape(t Type) Type {
	p.expect("[")
	if p.accept("*") {
		p.expect("]")
		return t
	}
	t.HasShape = true
	t.Shape = []Dim{}
	for !p.isPunct("]") {
		if len(t.Shape) > 0 {
			p.expect(",")
		}
		d := p.peek()
		switch {
		case d.kind == tPunct && d.text == "?":
			t.Shape = append(t.Shape, Unknown())
		case d.kind == tIdent || d.kind == tString:
			t.Shape = append(t.Shape, Sym(d.text))
		case d.kind == tNumber:
			n, err := strconv.ParseInt(d.text, 10, 64)
			if err != nil || n < 0 {
				p.fail("bad dim %s", d.text)
			}
			t.Shape = append(t.Shape, Known(n))
		default:
			p.fail("expected a dim, found %s", d)
		}
		p.next()
	}
	p.expect("]")
	return t
}

// Tensors.

// tensorLit reads "f32[2,2] [1, 2, 3, 4]".
func (p *parser) tensorLit() *tensor.Tensor {
	dt := p.elemType()
	if dt == tensor.Undefined {
		p.fail("a tensor needs an element type")
	}
	p.expect("[")
	var shape []int
	for !p.isPunct("]") {
		if len(shape) > 0 {
			p.expect(",")
		}
		d := p.intLit(64)
		if d < 0 || d > maxInt {
			p.fail("bad tensor dim %d", d)
		}
		shape = append(shape, int(d))
	}
	p.expect("]")
	return p.tensorValues(dt, shape)
}

// tensorValues reads "[v, ...]" into a new tensor of type dt and shape.
func (p *parser) tensorValues(dt tensor.DType, shape []int) *tensor.Tensor {
	at := p.peek()
	n, err := tensor.NumElements(shape)
	if err != nil {
		p.fail("%v", err)
	}
	if n > len(p.toks)-p.pos {
		// Each value takes at least one token: refuse before allocating.
		for k := p.pos; k < len(p.toks) && p.toks[k].text != "]"; k++ {
			if p.toks[k].kind == tPunct && p.toks[k].text == "..." {
				p.failAt(p.toks[k], "elided tensor values cannot be read back")
			}
		}
		p.fail("%s%v needs %d values; the text is shorter", dt.Short(), shape, n)
	}
	t, err := tensor.Alloc(dt, shape)
	if err != nil {
		p.fail("%v", err)
	}
	p.expect("[")
	k := 0
	for !p.isPunct("]") {
		if k > 0 {
			p.expect(",")
		}
		if p.isPunct("...") {
			p.fail("elided tensor values cannot be read back")
		}
		if k >= n {
			p.failAt(at, "more than %d values for %s%v", n, dt.Short(), shape)
		}
		p.elem(t, k)
		k++
	}
	if k != n {
		p.failAt(at, "%d values for %s%v, want %d", k, dt.Short(), shape, n)
	}
	p.expect("]")
	return t
}

// bitsLit reads bits(0x...) after checking for it, or returns false.
func (p *parser) bitsLit(size int) (uint64, bool) {
	if !p.isIdent("bits") {
		return 0, false
	}
	p.next()
	p.expect("(")
	t := p.peek()
	if t.kind != tNumber || !strings.HasPrefix(t.text, "0x") {
		p.fail("expected hex bits, found %s", t)
	}
	v, err := strconv.ParseUint(t.text[2:], 16, 64)
	if err != nil || size < 8 && v>>(8*size) != 0 {
		p.fail("bad bits %s for a %d-byte value", t.text, size)
	}
	p.next()
	p.expect(")")
	return v, true
}

// floatBits reads a float (decimal, inf, nan or bits(...)) as the bits of a
// float32 (size 32) or float64.
func (p *parser) floatBits(size int) uint64 {
	if b, ok := p.bitsLit(size / 8); ok {
		return b
	}
	t := p.peek()
	if t.kind != tNumber && !(t.kind == tIdent && (t.text == "inf" || t.text == "nan")) {
		p.fail("expected a float, found %s", t)
	}
	b, err := parseFloatBits(t.text, size)
	if err != nil {
		p.fail("bad float %s", t.text)
	}
	p.next()
	return b
}

func (p *parser) elem(t *tensor.Tensor, i int) {
	dt := t.DType()
	switch {
	case dt == tensor.String:
		t.Strings()[i] = p.str()
	case dt == tensor.Float32:
		t.Float32s()[i] = math.Float32frombits(uint32(p.floatBits(32)))
	case dt == tensor.Float64:
		t.Float64s()[i] = math.Float64frombits(p.floatBits(64))
	case dt == tensor.Complex64:
		p.expect("(")
		re := math.Float32frombits(uint32(p.floatBits(32)))
		p.expect(",")
		im := math.Float32frombits(uint32(p.floatBits(32)))
		p.expect(")")
		tensor.Data[complex64](t)[i] = complex(re, im)
	case dt == tensor.Complex128:
		p.expect("(")
		re := math.Float64frombits(p.floatBits(64))
		p.expect(",")
		im := math.Float64frombits(p.floatBits(64))
		p.expect(")")
		tensor.Data[complex128](t)[i] = complex(re, im)
	case isNarrowFloat(dt):
		code, ok := p.bitsLit(dt.Size())
		if !ok {
			code = narrowFloatCode(dt, math.Float32frombits(uint32(p.floatBits(32))))
		}
		if dt.Size() == 2 {
			tensor.Data[uint16](t)[i] = uint16(code)
		} else {
			t.Bytes()[i] = uint8(code)
		}
	case dt == tensor.Bool:
		if b, ok := p.bitsLit(1); ok {
			t.Bytes()[i] = uint8(b)
			return
		}
		switch {
		case p.isIdent("true"):
			t.Bytes()[i] = 1
		case p.isIdent("false"):
			t.Bytes()[i] = 0
		default:
			p.fail("expected true or false, found %s", p.peek())
		}
		p.next()
	default:
		if b, ok := p.bitsLit(dt.Size()); ok {
			switch dt.Size() {
			case 1:
				t.Bytes()[i] = uint8(b)
			case 2:
				tensor.Data[uint16](t)[i] = uint16(b)
			case 4:
				tensor.Data[uint32](t)[i] = uint32(b)
			default:
				tensor.Data[uint64](t)[i] = b
			}
			return
		}
		tk := p.peek()
		if tk.kind != tNumber {
			p.fail("expected an integer, found %s", tk)
		}
		if dt == tensor.Uint64 {
			v, err := strconv.ParseUint(tk.text, 0, 64)
			if err != nil {
				p.fail("bad %s value %s", dt.Short(), tk.text)
			}
			tensor.Data[uint64](t)[i] = v
			p.next()
			return
		}
		var v int64
		var err error
		switch dt {
		case tensor.Int4, tensor.Int2, tensor.Uint4, tensor.Uint2:
			v, err = strconv.ParseInt(tk.text, 0, 64)
			if err == nil && tensor.WrapSubByte(dt, v) != v {
				err = strconv.ErrRange
			}
		case tensor.Uint8, tensor.Uint16, tensor.Uint32:
			var u uint64
			u, err = strconv.ParseUint(tk.text, 0, 8*dt.Size())
			v = int64(u)
		default:
			v, err = strconv.ParseInt(tk.text, 0, 8*dt.Size())
		}
		if err != nil {
			p.fail("bad %s value %s", dt.Short(), tk.text)
		}
		t.SetInt64At(i, v)
		p.next()
	}
}

// sparseLit reads sparse(values, indices, [dims]) or _.
func (p *parser) sparseLit() *SparseTensor {
	if p.isIdent("_") {
		p.next()
		return nil
	}
	p.expectKeyword("sparse")
	p.expect("(")
	s := &SparseTensor{}
	s.Values = p.optTensorLit()
	p.expect(",")
	s.Indices = p.optTensorLit()
	p.expect(",")
	p.expect("[")
	s.Dims = []int{}
	for !p.isPunct("]") {
		if len(s.Dims) > 0 {
			p.expect(",")
		}
		d := p.intLit(64)
		if d < 0 || d > maxInt {
			p.fail("bad dim %d", d)
		}
		s.Dims = append(s.Dims, int(d))
	}
	p.expect("]")
	p.expect(")")
	return s
}

func (p *parser) optTensorLit() *tensor.Tensor {
	if p.isIdent("_") {
		p.next()
		return nil
	}
	return p.tensorLit()
}

// Attributes.

func (p *parser) attrs() []Attr {
	p.expect("{")
	var as []Attr
	for !p.isPunct("}") {
		if len(as) > 0 {
			p.expect(",")
		}
		at := p.peek()
		a := p.attr()
		for _, b := range as {
			if b.Name == a.Name {
				p.failAt(at, "attribute %s given twice", a.Name)
			}
		}
		as = append(as, a)
	}
	p.expect("}")
	return as
}

func attrTypeByName(s string) (AttrType, bool) {
	for i, n := range attrTypeNames {
		if n == s {
			return AttrType(i), true
		}
	}
	return 0, false
}

func (p *parser) attr() Attr {
	a := Attr{Name: p.name("an attribute name")}
	typed := false
	if p.accept(":") {
		t := p.peek()
		at, ok := attrTypeByName(t.text)
		if t.kind != tIdent || !ok {
			p.fail("expected an attribute type, found %s", t)
		}
		p.next()
		a.Type, typed = at, true
	}
	p.expect("=")
	switch {
	case p.accept("@"):
		a.Ref = p.name("an attribute name")
		if !typed {
			a.Type = AttrUndefined
		}
	case p.isIdent("_"):
		if !typed {
			p.fail("an absent attribute value needs a type (name: type = _)")
		}
		p.next()
	default:
		if !typed {
			a.Type = p.guessAttrType()
		}
		p.attrValue(&a)
	}
	if p.isIdent("doc") {
		p.next()
		a.Doc = p.eqStr()
	}
	return a
}

func isFloatText(t token) bool {
	switch t.kind {
	case tIdent:
		return t.text == "inf" || t.text == "nan" || t.text == "bits"
	case tNumber:
		s := strings.TrimLeft(t.text, "+-")
		if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
			return strings.ContainsAny(s, "pP.")
		}
		return strings.ContainsAny(s, ".eEnN")
	}
	return false
}

// guessAttrType tells an attribute's type from the start of its value.
func (p *parser) guessAttrType() AttrType {
	t := p.peek()
	switch {
	case isFloatText(t):
		return AttrFloat
	case t.kind == tNumber:
		return AttrInt
	case t.kind == tString:
		return AttrString
	case t.kind == tIdent && t.text == "func":
		return AttrGraph
	case t.kind == tIdent && t.text == "sparse":
		return AttrSparseTensor
	case t.kind == tIdent && t.text == "type":
		return AttrTypeProto
	case t.kind == tIdent:
		return AttrTensor
	case t.kind == tPunct && t.text == "[":
		e := p.peekAt(1)
		switch {
		case e.kind == tPunct && e.text == "]":
			return AttrInts
		case isFloatText(e) || e.kind == tNumber:
			for k := 1; ; k++ {
				e := p.peekAt(k)
				if e.kind == tEOF || e.kind == tPunct && e.text == "]" {
					return AttrInts
				}
				if isFloatText(e) {
					return AttrFloats
				}
			}
		case e.kind == tString:
			return AttrStrings
		case e.kind == tIdent && e.text == "func":
			return AttrGraphs
		case e.kind == tIdent && e.text == "sparse":
			return AttrSparseTensors
		case e.kind == tIdent && e.text == "type":
			return AttrTypeProtos
		case e.kind == tIdent && e.text != "_":
			return AttrTensors
		}
		p.failAt(e, "cannot tell the type of this list: write name: type = [...]")
	}
	p.fail("expected an attribute value, found %s", t)
	return 0
}

func (p *parser) float32Lit() float32 { return math.Float32frombits(uint32(p.floatBits(32))) }

// list reads "[elem, ...]" calling fn for each element.
func (p *parser) list(fn func()) {
	p.expect("[")
	for k := 0; !p.isPunct("]"); k++ {
		if k > 0 {
			p.expect(",")
		}
		fn()
	}
	p.expect("]")
}

func (p *parser) typeProto() Type {
	p.expectKeyword("type")
	p.expect("(")
	t := p.typ()
	p.expect(")")
	return t
}

func (p *parser) graphLit() *Func {
	if p.isIdent("_") {
		p.next()
		return nil
	}
	var outer *Func
	if p.cur != nil {
		outer = p.cur.f
	}
	return p.funcDef(outer)
}

func (p *parser) attrValue(a *Attr) {
	switch a.Type {
	case AttrFloat:
		a.F = p.float32Lit()
	case AttrInt:
		a.I = p.intLit(64)
	case AttrString:
		a.S = p.str()
	case AttrTensor:
		a.T = p.tensorLit()
	case AttrGraph:
		a.G = p.graphLit()
	case AttrSparseTensor:
		a.Sparse = p.sparseLit()
	case AttrTypeProto:
		t := p.typeProto()
		a.TP = &t
	case AttrFloats:
		a.Floats = []float32{}
		p.list(func() { a.Floats = append(a.Floats, p.float32Lit()) })
	case AttrInts:
		a.Ints = []int64{}
		p.list(func() { a.Ints = append(a.Ints, p.intLit(64)) })
	case AttrStrings:
		a.Strings = []string{}
		p.list(func() { a.Strings = append(a.Strings, p.str()) })
	case AttrTensors:
		a.Tensors = []*tensor.Tensor{}
		p.list(func() { a.Tensors = append(a.Tensors, p.optTensorLit()) })
	case AttrGraphs:
		a.Graphs = []*Func{}
		p.list(func() { a.Graphs = append(a.Graphs, p.graphLit()) })
	case AttrSparseTensors:
		a.Sparses = []*SparseTensor{}
		p.list(func() { a.Sparses = append(a.Sparses, p.sparseLit()) })
	case AttrTypeProtos:
		a.TPs = []Type{}
		p.list(func() { a.TPs = append(a.TPs, p.typeProto()) })
	default:
		p.fail("attribute %s of type %s cannot have a value", a.Name, a.Type)
	}
}
