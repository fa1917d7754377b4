package exporter

import (
	"path/filepath"
	"testing"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
)

// TestComparerDetectsChanges makes sure the structural comparison used by
// the round-trip tests is not vacuous.
func TestComparerDetectsChanges(t *testing.T) {
	dir := testdataDir(t)
	p := filepath.Join(dir, "node", "test_if_seq", "model.onnx")
	load := func() *ir.Model {
		m, err := importer.Load(p, importer.Options{AllowUnknownOps: true})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	base := load()
	if d := modelDiff(base, load()); d != "" {
		t.Fatalf("a model differs from itself: %s", d)
	}
	mutations := map[string]func(m *ir.Model){
		"opset":      func(m *ir.Model) { m.Opsets[""]++ },
		"producer":   func(m *ir.Model) { m.ProducerName += "x" },
		"param name": func(m *ir.Model) { m.Graph.Params[0].Name += "x" },
		"param type": func(m *ir.Model) { m.Graph.Params[0].Type = ir.Type{} },
		"node op":    func(m *ir.Model) { m.Graph.Nodes[0].Op += "x" },
		"subgraph node": func(m *ir.Model) {
			g := m.Graph.Nodes[len(m.Graph.Nodes)-1].Subgraphs()[0]
			g.Nodes[0].Name += "x"
		},
		"subgraph result": func(m *ir.Model) {
			g := m.Graph.Nodes[len(m.Graph.Nodes)-1].Subgraphs()[0]
			g.Results[0] = m.Graph.Params[0]
		},
		"result": func(m *ir.Model) { m.Graph.Results[0] = m.Graph.Params[0] },
	}
	for name, mut := range mutations {
		m := load()
		mut(m)
		if modelDiff(base, m) == "" {
			t.Errorf("mutation %q not detected", name)
		}
	}
}
