package ir

import (
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

func TestCloneIsDeepAndEqual(t *testing.T) {
	f := NewFunc("main")
	x := f.AddParam("x", TensorType(tensor.Float32, 2))
	c := f.AddConst("c", tensor.FromSlice([]float32{1, 2}))
	body := NewFunc("then")
	body.Outer = f
	id := body.NewNode("Identity", "", 17, []*Value{x}, []string{"t"})
	body.Results = id.Outputs
	cond := f.AddParam("cond", TensorType(tensor.Bool))
	n := f.NewNode("If", "", 17, []*Value{cond}, []string{"y"}, AGraph("then_branch", body), AGraph("else_branch", body))
	add := f.NewNode("Add", "", 17, []*Value{n.Outputs[0], c}, []string{"z"})
	f.Results = add.Outputs

	g := f.Clone()
	if got, want := g.Text(), f.Text(); got != want {
		t.Fatalf("clone prints differently:\n%s\nwant\n%s", got, want)
	}
	if g.Nodes[0] == f.Nodes[0] || g.Params[0] == f.Params[0] {
		t.Fatal("clone shares nodes or values")
	}
	gb := g.Nodes[0].Graph("then_branch")
	if gb.Outer != g || gb.Nodes[0].Inputs[0] != g.Params[0] {
		t.Error("captured outer value not remapped to the clone's parameter")
	}
	if len(g.Consts[0].Uses) != 1 || g.Consts[0].Uses[0] != g.Nodes[1] {
		t.Error("use lists not rebuilt")
	}
	g.Nodes[1].Op = "Mul"
	if f.Nodes[1].Op != "Add" {
		t.Error("changing the clone changed the original")
	}
}
