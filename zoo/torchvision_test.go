package zoo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// TestTorchvision loads torchvision's weights into the zoo's models by
// name and compares the logits with torchvision's for the same input. It
// runs when ONYX_TORCHVISION_DIR names a folder written by
// tools/torchvision/export_reference.py.
func TestTorchvision(t *testing.T) {
	dir := os.Getenv("ONYX_TORCHVISION_DIR")
	if dir == "" {
		t.Skip("set ONYX_TORCHVISION_DIR to a folder written by tools/torchvision/export_reference.py")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Torch, Torchvision string
		Models             []struct {
			Model, Weights, Input, Logits string
			Options                       struct {
				NumClasses int  `json:"num_classes"`
				AuxHeads   bool `json:"aux_heads"`
			}
		}
	}
	if err := json.Unmarshal(raw, &manifest); err != nil {
		t.Fatal(err)
	}
	t.Logf("torch %s, torchvision %s", manifest.Torch, manifest.Torchvision)
	for _, e := range manifest.Models {
		t.Run(e.Model, func(t *testing.T) {
			m, _, err := New(e.Model, Options{NumClasses: e.Options.NumClasses, AuxHeads: e.Options.AuxHeads, SkipInit: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := nn.LoadWeights(m, filepath.Join(dir, e.Weights)); err != nil {
				t.Fatal(err)
			}
			x, err := tensor.LoadNpy(filepath.Join(dir, e.Input))
			if err != nil {
				t.Fatal(err)
			}
			want, err := tensor.LoadNpy(filepath.Join(dir, e.Logits))
			if err != nil {
				t.Fatal(err)
			}
			shape := make([]int64, x.Rank())
			for i, d := range x.Shape() {
				shape[i] = int64(d)
			}
			model, err := nn.Inference(m, shape)
			if err != nil {
				t.Fatal(err)
			}
			got := runModel(t, model, map[string]*tensor.Tensor{"input": x})
			compare(t, e.Model+" logits", got, want, 1e-4)
		})
	}
}
