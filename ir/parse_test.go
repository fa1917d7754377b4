package ir

import (
	"strings"
	"testing"
)

func TestParseHandWritten(t *testing.T) {
	src := `
// A hand-written func: comments, free layout, ONNX type names.
func main(%x: FLOAT[N, 3]) -> (%z) opset(""=17) {
  %y = Relu(%x)   // trailing comment
  %z = Add(%y, %k) {} : f32[N,3]
  const %k: f32[3] = [1.0, 2e0, -3]
}
`
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(f); err != nil {
		t.Fatalf("Check: %v", err)
	}
	z := f.Results[0]
	if z.Def == nil || z.Def.Op != "Add" || z.Def.Inputs[1] != f.Consts[0] || len(f.Consts[0].Uses) != 1 {
		t.Fatalf("links wrong: %s", f.Text())
	}
	if f.Nodes[0].Schema == nil || f.Nodes[0].Schema != LookupSchema("", "Relu", 17) {
		t.Errorf("Relu not resolved")
	}
	if got := f.Consts[0].Const.Float32s(); got[1] != 2 || got[2] != -3 {
		t.Errorf("constant values %v", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"", "1:1: expected func"},
		{"func f() -> () {\n  %y = Relu@14(%x)\n}", "2:16: value %x is not defined"},
		{"func f() -> (%r) {\n}", "1:14: value %r is not defined"},
		{"func f(%x: f32[2]) -> () opset(\"\"=17) {\n  %x = Relu(%x)\n}", "2:3: value %x is defined twice"},
		{"func f(%x: f32[2], %x: f32[2]) -> () {}", "1:20: value %x is defined twice"},
		{"func f(%x: f32[2]) -> () {\n  %y = Relu(%x)\n}", `2:8: no opset for domain "ai.onnx"`},
		{"func f(%x: f33[2]) -> () {}", "1:12: expected an element type"},
		{"func f(%x: f32[2) -> () {}", "1:17: expected \",\""},
		{"func f(%x: f32[2] = [1, 2, 3]) -> () {}", "1:21: more than 2 values for f32[2]"},
		{"func f(%x: f32[2] = [1]) -> () {}", "1:21: 1 values for f32[2], want 2"},
		{"func f(%x: f32[N] = [1]) -> () {}", "1:21: values without element type and shape"},
		{"func f() -> () {\n  const %c: i8[1] = [300]\n}", "2:22: bad i8 value 300"},
		{"func f() -> () {\n  const %c: bool[1] = [yes]\n}", "2:24: expected true or false"},
		{"func f() -> () {\n  const %c: f32[1] = [bits(0x1ffffffff)]\n}", "2:28: bad bits"},
		{"func f() -> () {\n  const %c: string[1] = [\"a]\n}", "2:26: unterminated string"},
		{"func f() -> () {\n  %y = Relu@14(_) {a = [_]}\n}", "2:25: cannot tell the type of this list"},
		{"func f() -> () {\n  %y = Relu@14(_) {a = _}\n}", "2:24: an absent attribute value needs a type"},
		{"func f() -> () {\n  %y = Relu@14(_) {a = 1, a = 2}\n}", "2:27: attribute a given twice"},
		{"func f() -> () {\n  %y = Relu@14(_) {a: nonsense = 1}\n}", "2:23: expected an attribute type"},
		{"func f() -> () {\n  %y = Relu@14(_) : f32[1], f32[2]\n}", "2:19: 2 types for 1 outputs"},
		{"func f() -> () {\n  %y = Relu@14(_) $\n}", "2:19: unexpected character '$'"},
		{"func f() -> () {\n  nonsense\n}", "2:3: expected a node, const, sparse, meta or quant line"},
		{"func f() -> () {\n  sparse %w = sparse(f32[1] [1], i64[1] [0], [1])\n}", "2:10: sparse constant %w is not a value of this func"},
		{"func f() -> () {} extra", "1:19: unexpected \"extra\" after the end"},
		{"func f() -> () {\n  %y = If@13(_) {then_branch = func g() -> (%q) {\n  }}\n}", "2:45: value %q is not defined"},
		{"func f() -> () {\n  %y = Relu@14(%)\n}", "2:16: % without a value name"},
	}
	for _, c := range cases {
		_, err := Parse(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q):\n got %v\nwant %s", c.src, err, c.want)
		}
	}
	modelCases := []struct{ src, want string }{
		{"func f() -> () {}", "1:1: expected model"},
		{"model ir=8 ir=9", "1:12: ir given twice"},
		{"model bogus=1", "1:7: unknown model field bogus"},
		{"model opset(\"\"=1, \"\"=2)", "1:19: domain \"\" given twice"},
		{"model\nfunction f(a) -> (b) = func g() -> () {} junk", "2:42: unexpected \"junk\" after the end"},
	}
	for _, c := range modelCases {
		_, err := ParseModel(c.src)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseModel(%q):\n got %v\nwant %s", c.src, err, c.want)
		}
	}
}

func TestParseErrorType(t *testing.T) {
	_, err := Parse("func f() -> () {\n  ?\n}")
	pe, ok := err.(*ParseError)
	if !ok || pe.Line != 2 || pe.Col != 3 {
		t.Fatalf("error %#v", err)
	}
}

func TestParseForwardReferenceIntoSubgraph(t *testing.T) {
	// A subgraph read of an outer value defined after the node that holds
	// it parses (Check reports it).
	src := `func f(%c: bool[]) -> (%r) opset(""=17) {
  %r = If(%c) {
      then_branch = func then() -> (%late) {
      },
      else_branch = func else() -> (%c) {
      }
    }
  %late = Identity(%c)
}
`
	f, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if f.Text() != src {
		t.Errorf("text differs:\n%s", f.Text())
	}
	then := f.Nodes[0].Graph("then_branch")
	if then.Results[0] != f.Nodes[1].Outputs[0] || then.Outer != f {
		t.Errorf("late value not linked")
	}
	if err := Check(f); err == nil || !strings.Contains(err.Error(), "result 0 %late is not defined") {
		t.Errorf("Check: %v", err)
	}
}

func TestParseHugeTensor(t *testing.T) {
	// A shape far larger than the text is refused before allocation.
	for _, src := range []string{
		"func f() -> () {\n  const %c: string[100000,100000] = [\"a\"]\n}",
		"func f() -> () {\n  const %c: f32[1] = f32[1000000000] [1]\n}",
	} {
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), "the text is shorter") {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

// FuzzParse checks that Parse never panics and that what it accepts
// prints to text it reads back to the same text.
func FuzzParse(f *testing.F) {
	for _, fn := range roundTripFuncs() {
		f.Add(fn.Text())
	}
	f.Add(testModel().Text())
	f.Fuzz(func(t *testing.T, src string) {
		if fn, err := Parse(src); err == nil {
			text := fn.Text()
			g, err := Parse(text)
			if err != nil {
				t.Fatalf("printed text does not parse: %v\n%s", err, text)
			}
			if again := g.Text(); again != text {
				t.Fatalf("text differs after a round trip:\n%s\n---\n%s", text, again)
			}
		}
		if m, err := ParseModel(src); err == nil {
			text := m.Text()
			g, err := ParseModel(text)
			if err != nil {
				t.Fatalf("printed model does not parse: %v\n%s", err, text)
			}
			if again := g.Text(); again != text {
				t.Fatalf("model text differs after a round trip:\n%s\n---\n%s", text, again)
			}
		}
	})
}
