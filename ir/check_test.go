package ir

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

// validFunc is main(x) = Relu(Add(x, b)).
func validFunc() (f *Func, add, relu *Node) {
	f = NewFunc("main")
	x := f.AddParam("x", f32(2, 3))
	b := f.AddConst("b", tensor.FromSlice([]float32{1, 2, 3}))
	add = setTypes(f.NewNode("Add", "", 17, []*Value{x, b}, []string{"y"}), f32(2, 3))
	relu = setTypes(f.NewNode("Relu", "", 17, []*Value{add.Outputs[0]}, []string{"z"}), f32(2, 3))
	f.Results = []*Value{relu.Outputs[0]}
	return f, add, relu
}

// wantCheck checks that Check reports an error containing every part.
func wantCheck(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error lacks %q:\n%v", p, err)
		}
	}
}

func TestCheckValid(t *testing.T) {
	f, _, _ := validFunc()
	if err := Check(f); err != nil {
		t.Fatal(err)
	}
	g, err := Parse(f.Text())
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(g); err != nil {
		t.Fatal(err)
	}
}

func TestCheckDefinedTwice(t *testing.T) {
	f, add, relu := validFunc()
	relu.Outputs[0] = add.Outputs[0]
	f.Results = []*Value{add.Outputs[0]}
	wantCheck(t, Check(f), "func main: value %y is defined twice (again as an output of node Relu -> %y)", "node Relu -> %y: output %y has Def Add -> %y")

	f, _, relu = validFunc()
	relu.Outputs[0].Name = "y"
	wantCheck(t, Check(f), "func main: two values are named %y (the second is an output of node Relu -> %y)")

	f, _, _ = validFunc()
	f.Consts[0].Name = "x"
	wantCheck(t, Check(f), "two values are named %x (the second is a constant)")
}

func TestCheckDuplicateParams(t *testing.T) {
	f, _, _ := validFunc()
	f.AddParam("x", f32(1))
	wantCheck(t, Check(f), "func main: parameter name %x is used twice")
}

func TestCheckUseBeforeDefinition(t *testing.T) {
	f, add, relu := validFunc()
	f.Nodes[0], f.Nodes[1] = relu, add
	wantCheck(t, Check(f), "func main: node Relu -> %z: input 0 %y is used before it is defined")
}

func TestCheckUndefinedInput(t *testing.T) {
	f, add, _ := validFunc()
	stray := &Value{Name: "stray", Type: f32(2, 3)}
	add.SetInput(1, stray)
	wantCheck(t, Check(f), "func main: node Add -> %y: input 1 %stray is not defined in this func or before it in an enclosing one")
}

// ifFunc is main(c, x) with a node If whose branches read outer values.
func ifFunc(then, els *Func) *Func {
	f := NewFunc("main")
	c := f.AddParam("c", TensorType(tensor.Bool))
	f.AddParam("x", f32(2))
	then.Outer, els.Outer = f, f
	n := f.NewNode("If", "", 17, []*Value{c}, []string{"r"}, AGraph("then_branch", then), AGraph("else_branch", els))
	f.Results = []*Value{n.Outputs[0]}
	return f
}

func TestCheckSubgraphScope(t *testing.T) {
	// Reading outer values defined before the If is fine, also two levels
	// down.
	then, els := NewFunc("then"), NewFunc("else")
	f := ifFunc(then, els)
	x := f.Params[1]
	neg := then.NewNode("Neg", "", 17, []*Value{x}, []string{"t"})
	x.Uses = nil
	then.Results = []*Value{neg.Outputs[0]}
	deep := NewFunc("deep")
	deep.Outer = els
	deep.Results = []*Value{x}
	deep2 := NewFunc("deep2")
	deep2.Outer = els
	dn := deep2.NewNode("Identity", "", 17, []*Value{x}, []string{"d"})
	x.Uses = nil
	deep2.Results = []*Value{dn.Outputs[0]}
	inner := els.NewNode("If", "", 17, []*Value{f.Params[0]}, []string{"e"}, AGraph("then_branch", deep), AGraph("else_branch", deep2))
	f.Params[0].Uses = f.Params[0].Uses[:1]
	els.Results = []*Value{inner.Outputs[0]}
	if err := Check(f); err != nil {
		t.Fatal(err)
	}
	// A subgraph reading an outer value defined after the node holding it.
	late := f.NewNode("Identity", "", 17, []*Value{x}, []string{"late"})
	deep.Results = []*Value{late.Outputs[0]}
	wantCheck(t, Check(f), "func main: node If -> %r: attribute else_branch: func else: node If -> %e: attribute then_branch: func deep: result 0 %late is not defined")
	// A subgraph reading a value of another subgraph.
	deep.Results = []*Value{x}
	dn.SetInput(0, neg.Outputs[0])
	wantCheck(t, Check(f), "func deep2: node Identity -> %d: input 0 %t is not defined in this func or before it in an enclosing one")
}

func TestCheckSubgraphOuter(t *testing.T) {
	then, els := NewFunc("then"), NewFunc("else")
	f := ifFunc(then, els)
	then.Results = []*Value{f.Params[1]}
	els.Results = []*Value{f.Params[1]}
	els.Outer = then
	wantCheck(t, Check(f), "node If -> %r: attribute else_branch: subgraph else has Outer then, not the func holding it")
}

func TestCheckUses(t *testing.T) {
	f, add, relu := validFunc()
	y := add.Outputs[0]
	y.Uses = append(y.Uses, relu)
	wantCheck(t, Check(f), "func main: node Relu -> %z reads %y 1 times, but %y.Uses lists it 2 times")

	f, add, _ = validFunc()
	y = add.Outputs[0]
	y.Uses = nil
	wantCheck(t, Check(f), "func main: node Relu -> %z reads %y, but %y.Uses does not list it")

	f, add, _ = validFunc()
	x := f.Params[0]
	x.Uses = append(x.Uses, f.Nodes[1])
	wantCheck(t, Check(f), "func main: value %x lists node Relu -> %z among its uses, but that node does not read it")

	// A subgraph node that reads an outer value may be listed, once per
	// read, or not at all.
	then, els := NewFunc("then"), NewFunc("else")
	f = ifFunc(then, els)
	x = f.Params[1]
	n := then.NewNode("Neg", "", 17, []*Value{x}, []string{"t"})
	then.Results, els.Results = []*Value{n.Outputs[0]}, []*Value{x}
	if err := Check(f); err != nil {
		t.Fatalf("recorded capture: %v", err)
	}
	x.Uses = append(x.Uses, n)
	wantCheck(t, Check(f), "func main: node Neg -> %t of a subgraph reads %x 1 times, but %x.Uses lists it 2 times")
}

func TestCheckUnknownOp(t *testing.T) {
	f, add, _ := validFunc()
	add.Op, add.Schema = "Addd", nil
	wantCheck(t, Check(f), `func main: node Addd -> %y: unknown op Addd in domain "ai.onnx"`)

	f, add, _ = validFunc()
	add.Domain, add.Schema = "no.such.domain", nil
	wantCheck(t, Check(f), `node no.such.domain:Add -> %y: unknown op Add in domain "no.such.domain"`)

	f, _, relu := validFunc()
	relu.Opset = 0
	wantCheck(t, Check(f), `func main: node Relu -> %z: op Relu does not exist at opset 0`)

	f, add, _ = validFunc()
	add.Schema = LookupSchema("", "Relu", 17)
	wantCheck(t, Check(f), `node Add -> %y: Schema is that of Relu`)
}

func TestCheckArity(t *testing.T) {
	f, add, relu := validFunc()
	relu.Inputs = append(relu.Inputs, f.Params[0])
	f.Params[0].Uses = append(f.Params[0].Uses, relu)
	add.Outputs = append(add.Outputs, &Value{Name: "extra", Def: add})
	err := Check(f)
	wantCheck(t, err, "node Relu -> %z: 2 inputs, Relu takes 1", "node Add -> %y: 2 outputs, Add gives 1")

	f, add, _ = validFunc()
	add.Inputs = add.Inputs[:1]
	f.Consts[0].Uses = nil
	wantCheck(t, Check(f), "node Add -> %y: 1 inputs, Add takes 2")

	f, add, _ = validFunc()
	add.SetInput(1, nil)
	wantCheck(t, Check(f), "node Add -> %y: required input 1 (B) is omitted")

	// Optional inputs may be omitted, variadic ones may be many.
	g := NewFunc("ok")
	x := g.AddParam("x", f32(2))
	g.NewNode("Dropout", "", 13, []*Value{x, nil, nil}, []string{"d", ""})
	g.NewNode("Sum", "", 13, []*Value{x, x, x}, []string{"s"})
	if err := Check(g); err != nil {
		t.Fatal(err)
	}
}

func TestCheckAttrs(t *testing.T) {
	f, add, relu := validFunc()
	relu.SetAttr(AInt("alpha", 1))
	add.Attrs = append(add.Attrs, AInts("broadcast", 1))
	wantCheck(t, Check(f), "node Relu -> %z: attribute alpha is not declared by Relu",
		"node Add -> %y: attribute broadcast is of type ints, Add declares int")

	f, add, _ = validFunc()
	add.Attrs = []Attr{AInt("broadcast", 1), AInt("broadcast", 0)}
	wantCheck(t, Check(f), "node Add -> %y: attribute broadcast is set twice")

	then := NewFunc("then")
	f = ifFunc(then, NewFunc("else"))
	f.Nodes[0].Attrs = f.Nodes[0].Attrs[:1]
	then.Results = []*Value{f.Params[1]}
	wantCheck(t, Check(f), "func main: node If -> %r: required attribute else_branch is missing")

	// A reference to a function attribute needs no type of its own.
	f, _, relu = validFunc()
	relu.Op, relu.Schema = "LeakyRelu", nil
	relu.Attrs = []Attr{{Name: "alpha", Ref: "a"}}
	if err := Check(f); err != nil {
		t.Fatal(err)
	}
}

func TestCheckElementTypes(t *testing.T) {
	f := NewFunc("main")
	u := f.AddParam("u", TensorType(tensor.Uint8, 2))
	x := f.AddParam("x", f32(2))
	i := f.AddParam("i", TensorType(tensor.Int64, 2))
	d := f.AddParam("d", TensorType(tensor.Float64, 2))
	unk := f.AddParam("unk", Type{})
	f.NewNode("Neg", "", 17, []*Value{u}, []string{"n"})
	f.NewNode("Add", "", 17, []*Value{x, i}, []string{"a"})
	f.NewNode("Sum", "", 13, []*Value{x, x, d}, []string{"s"})
	f.NewNode("Add", "", 17, []*Value{unk, i}, []string{"fine"})
	f.NewNode("Where", "", 16, []*Value{x, x, x}, []string{"w"})
	wantCheck(t, Check(f),
		"node Neg -> %n: input 0 (X) %u is u8, Neg allows T in {",
		"node Add -> %a: input 1 %i is i64 but input 0 %x is f32; both are of type T",
		"node Sum -> %s: input 2 %d is f64 but input 0 %x is f32; both are of type T",
		"node Where -> %w: input 0 (condition) %x is f32, Where allows")
	if err := Check(f); strings.Contains(err.Error(), "%fine") {
		t.Errorf("unknown types reported: %v", err)
	}

	// Loop's carried values may differ in type.
	g := NewFunc("loop")
	m := g.AddParam("m", TensorType(tensor.Int64))
	a := g.AddParam("a", f32(2))
	b := g.AddParam("b", TensorType(tensor.Int64, 3))
	body := NewFunc("body")
	body.Outer = g
	body.AddParam("i", TensorType(tensor.Int64))
	c := body.AddParam("c", TensorType(tensor.Bool))
	ba := body.AddParam("ba", f32(2))
	bb := body.AddParam("bb", TensorType(tensor.Int64, 3))
	body.Results = []*Value{c, ba, bb}
	g.NewNode("Loop", "", 17, []*Value{m, nil, a, b}, []string{"ra", "rb"}, AGraph("body", body))
	if err := Check(g); err != nil {
		t.Fatal(err)
	}
}

func TestCheckResults(t *testing.T) {
	f, _, _ := validFunc()
	f.Results = append(f.Results, nil, &Value{Name: "ghost"})
	wantCheck(t, Check(f), "func main: result 1 is nil", "func main: result 2 %ghost is not defined")
}

func TestCheckConstsAndDefs(t *testing.T) {
	f, add, _ := validFunc()
	f.Consts[0].Const = nil
	add.Outputs[0].Def = nil
	wantCheck(t, Check(f), "func main: constant %b has no value", "func main: node Add -> %y: output %y has no Def")
}

func TestCheckJoinsAllErrors(t *testing.T) {
	f, add, relu := validFunc()
	add.Op, add.Schema = "Nope", nil
	relu.SetAttr(AFloat("bogus", 1))
	err := Check(f)
	if n := strings.Count(err.Error(), "\n") + 1; n != 2 {
		t.Errorf("want 2 errors, got %d:\n%v", n, err)
	}
}

func TestCheckRecursesIntoSubgraphs(t *testing.T) {
	// subgraphFunc's innermost Add carries a graph attribute Add lacks.
	err := Check(subgraphFunc())
	wantCheck(t, err, "func control: node Loop -> %final: attribute body: func body: node If -> %next: attribute then_branch: func inner: node Add -> %deep_sum: attribute unused is not declared by Add")
	if n := strings.Count(err.Error(), "\n") + 1; n != 1 {
		t.Errorf("want 1 error, got:\n%v", err)
	}
}

func TestCheckModel(t *testing.T) {
	f, _, _ := validFunc()
	m := &Model{Graph: f, Opsets: map[string]int{"": 17}}
	if err := CheckModel(m); err != nil {
		t.Fatal(err)
	}
	m.Opsets = map[string]int{"": 99, "ai.onnx.ml": 0, "com.unknown": 1}
	wantCheck(t, CheckModel(m),
		`model: imports opset 99 of domain "ai.onnx"; onyx knows versions 1 to`,
		`model: imports opset 0 of domain "ai.onnx.ml"`,
		`model: imports unknown domain "com.unknown"`,
		`func main: node Add -> %y: opset 17, but opset 99 of domain "ai.onnx" is imported`)

	m.Opsets = map[string]int{"": 17, "ai.onnx": 17}
	wantCheck(t, CheckModel(m), `model: imports domain "ai.onnx" twice`)

	m.Opsets = map[string]int{"ai.onnx.ml": 3}
	wantCheck(t, CheckModel(m), `func main: node Add -> %y: domain "ai.onnx" is not imported`)

	// Local functions: their domain may be imported, and their bodies may
	// call one another.
	body := NewFunc("body")
	a := body.AddParam("a", Type{})
	n := body.NewNode("Other", "local", 1, []*Value{a}, []string{"y"})
	body.Results = []*Value{n.Outputs[0]}
	other := NewFunc("other")
	oa := other.AddParam("a", Type{})
	on := other.NewNode("Neg", "", 17, []*Value{oa}, []string{"y"})
	other.Results = []*Value{on.Outputs[0]}
	m.Opsets = map[string]int{"": 17, "local": 1}
	m.Functions = []*Function{
		{Name: "Fn", Domain: "local", Inputs: []string{"a"}, Outputs: []string{"y"}, Opsets: map[string]int{"local": 1}, Body: body},
		{Name: "Other", Domain: "local", Inputs: []string{"a"}, Outputs: []string{"y"}, Opsets: map[string]int{"": 17}, Body: other},
	}
	if err := CheckModel(m); err != nil {
		t.Fatal(err)
	}
	on.SetAttr(AInt("nope", 1))
	wantCheck(t, CheckModel(m), "function local:Other: node Neg -> %y: attribute nope is not declared by Neg")

	wantCheck(t, CheckModel(&Model{}), "model has no graph")
}
