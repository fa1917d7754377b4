package exporter

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func TestSaveExternalRoundTrip(t *testing.T) {
	f := ir.NewFunc("g")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 4))
	big := tensor.New(tensor.Float32, 3<<18) // 3 MiB: read back memory-mapped
	for i := range big.Float32s() {
		big.Float32s()[i] = float32(i % 977)
	}
	small := tensor.FromSlice([]float32{1, 2, 3, 4})
	w := f.AddConst("w", big)
	b := f.AddConst("b", small)
	mid := tensor.New(tensor.Int64, 300) // 2400 bytes: external, not mapped
	for i := range mid.Int64s() {
		mid.Int64s()[i] = int64(i * 7)
	}
	m3 := f.AddConst("m", mid)
	n := f.NewNode("Add", "", 17, []*ir.Value{x, b}, []string{"y"})
	f.Results = []*ir.Value{n.Outputs[0], w, m3}
	m := &ir.Model{Graph: f, Opsets: map[string]int{"": 17}, IRVersion: 8}

	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	if err := SaveExternal(m, path, ExternalOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 64<<10 {
		t.Errorf("model file is %d bytes: the weights were not moved out", fi.Size())
	}
	if _, err := os.Stat(path + ".data"); err != nil {
		t.Fatalf("no data file: %v", err)
	}
	back, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(m, back); d != "" {
		t.Fatalf("reloaded model differs: %s", d)
	}
	if err := SaveExternal(m, path, ExternalOptions{DataFile: "../escape.data"}); err == nil {
		t.Error("a data file outside the model's folder was accepted")
	}
}
