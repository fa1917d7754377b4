package nn

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// State returns the module's parameters followed by its buffers, the
// tensors that make up its saved state.
func State(m Module) []Tensor { return append(m.Params(), m.Buffers()...) }

// optionalInFile lists tensors a weights file may lack: PyTorch's batch
// counters, which inference graphs (and so exported models) do not read.
func optionalInFile(name string) bool { return strings.HasSuffix(name, "num_batches_tracked") }

// SaveWeights writes the module's parameters and buffers to path, as
// safetensors when the name ends in .safetensors and as an ONNX file of
// initializers when it ends in .onnx. The file is written atomically.
func SaveWeights(m Module, path string) error {
	ts := State(m)
	switch strings.ToLower(filepath.Ext(path)) {
	case ".safetensors":
		return WriteSafetensors(path, ts, nil)
	case ".onnx":
		f := ir.NewFunc("weights")
		for _, t := range ts {
			f.AddConst(t.Name, t.T)
		}
		return exporter.Save(&ir.Model{Graph: f, Opsets: map[string]int{"": DefaultOpset}, IRVersion: 8, ProducerName: "onyx-nn"}, path)
	}
	return fmt.Errorf("nn: weights file %s: unknown extension (want .safetensors or .onnx)", path)
}

// ReadWeights reads the named tensors of a weights file: a safetensors file,
// or the initializers of an ONNX model.
func ReadWeights(path string) ([]Tensor, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".safetensors":
		ts, _, err := ReadSafetensors(path)
		return ts, err
	case ".onnx":
		model, err := importer.Load(path, importer.Options{})
		if err != nil {
			return nil, err
		}
		var ts []Tensor
		for _, c := range model.Graph.Consts {
			if c.Const != nil {
				ts = append(ts, Tensor{Name: c.Name, T: c.Const})
			}
		}
		return ts, nil
	}
	return nil, fmt.Errorf("nn: weights file %s: unknown extension (want .safetensors or .onnx)", path)
}

// LoadWeights reads a weights file (see ReadWeights) into the module's
// tensors by name. It is strict: every parameter and buffer must be in the
// file (batch counters excepted), every tensor of the file must belong to
// the module, and element types and shapes must agree. Nothing is changed
// when it fails.
func LoadWeights(m Module, path string) error {
	_, err := loadWeights(m, path, true)
	return err
}

// LoadMatchingWeights loads the tensors of the file whose names the
// module has, and returns those names; the others are left as they are
// (fine-tuning with a new head). Types and shapes of matching names must
// still agree.
func LoadMatchingWeights(m Module, path string) ([]string, error) {
	return loadWeights(m, path, false)
}

func loadWeights(m Module, path string, strict bool) ([]string, error) {
	file, err := ReadWeights(path)
	if err != nil {
		return nil, err
	}
	return Assign(State(m), file, strict, path)
}

// Assign copies the tensors of src into the tensors of dst with the same
// names. Strict assignment requires the two sets of names to agree (batch
// counters excepted). where names the source in errors. It returns the
// names assigned; dst is unchanged when it fails.
func Assign(dst, src []Tensor, strict bool, where string) ([]string, error) {
	byName := map[string]*tensor.Tensor{}
	for _, t := range src {
		byName[t.Name] = t.T
	}
	known := map[string]bool{}
	var pairs [][2]*tensor.Tensor
	var names []string
	for _, d := range dst {
		known[d.Name] = true
		s, ok := byName[d.Name]
		if !ok {
			if strict && !optionalInFile(d.Name) {
				return nil, fmt.Errorf("nn: %s has no tensor %q", where, d.Name)
			}
			continue
		}
		if s.DType() != d.T.DType() || !sameShape(s.Shape(), d.T.Shape()) {
			return nil, fmt.Errorf("nn: %s: tensor %q is %s%v, the module's is %s%v",
				where, d.Name, s.DType(), s.Shape(), d.T.DType(), d.T.Shape())
		}
		pairs = append(pairs, [2]*tensor.Tensor{d.T, s})
		names = append(names, d.Name)
	}
	if strict {
		var extra []string
		for _, t := range src {
			if !known[t.Name] {
				extra = append(extra, t.Name)
			}
		}
		if len(extra) > 0 {
			sort.Strings(extra)
			return nil, fmt.Errorf("nn: %s holds tensors the module lacks: %s", where, strings.Join(extra, ", "))
		}
	}
	for _, p := range pairs {
		copy(p[0].Bytes(), p[1].Bytes())
	}
	return names, nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Inference builds the module's inference graph: eval mode (the module is
// left in it), parameters as constants, one float32 input "input" of the
// given shape (a negative dim is the symbolic batch "N") and one output
// "output". The result has passed shape inference and ir.Check.
func Inference(m Module, inputShape []int64) (*ir.Model, error) {
	m.SetTraining(false)
	g := NewGraph(m, GraphOptions{})
	x := g.Input("input", tensor.Float32, inputShape...)
	g.Output("output", m.Forward(g, x))
	if err := g.Err(); err != nil {
		return nil, err
	}
	model := g.Model()
	if err := ir.InferShapes(model.Graph); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	if err := ir.CheckModel(model); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	return model, nil
}

// Export writes the module's inference graph (see Inference) to path as
// an ONNX model whose initializers are named after the parameters.
func Export(m Module, inputShape []int64, path string) error {
	model, err := Inference(m, inputShape)
	if err != nil {
		return err
	}
	return exporter.Save(model, path)
}
