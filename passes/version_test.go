package passes

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
)

func TestConvertOpsetMovesAxesIntoInputs(t *testing.T) {
	m, err := ir.ParseModel(`model ir=8 opset(""=17)
func g(%x: f32[2,3]) -> (%y) {
  %y = ReduceMean(%x) {axes = [1], keepdims = 0}
}`)
	if err != nil {
		t.Fatal(err)
	}
	if err := ConvertOpset(m, 23); err != nil {
		t.Fatal(err)
	}
	n := m.Graph.Nodes[0]
	if n.Opset != 23 || m.Opset("") != 23 || n.HasAttr("axes") || len(n.Inputs) != 2 || !n.Inputs[1].IsConst() {
		t.Fatalf("converted model:\n%s", m.Text())
	}
	if got := n.Inputs[1].Const.Int64s(); len(got) != 1 || got[0] != 1 {
		t.Errorf("axes input %v, want [1]", got)
	}
	if err := ir.Check(m.Graph); err != nil {
		t.Errorf("converted graph does not verify: %v", err)
	}
}

func TestConvertOpsetRefusesWithoutAdapter(t *testing.T) {
	m, err := ir.ParseModel(`model ir=4 opset(""=9)
func g(%x: f32[1,1,2,2], %s: f32[4]) -> (%y) {
  %y = Upsample(%x, %s) {mode = "nearest"}
}`)
	if err != nil {
		t.Fatal(err)
	}
	before := m.Text()
	err = ConvertOpset(m, 23)
	if err == nil || !strings.Contains(err.Error(), "Upsample") {
		t.Fatalf("got %v, want a refusal naming Upsample", err)
	}
	if m.Text() != before {
		t.Error("a refused conversion changed the model")
	}
	if err := ConvertOpset(m, 8); err == nil {
		t.Error("converting down was accepted")
	}
}
