package ir

import (
	"github.com/onyxgo/onyx/tensor"
)

// The ai.onnx.ml domain, TfIdfVectorizer, and the optimizer ops of
// ai.onnx.preview.training.
func init() {
	const ml = "ai.onnx.ml"
	const training = "ai.onnx.preview.training"
	Register(
		OpSchema{Name: "LabelEncoder", Domain: ml, Versions: []int{1, 2, 4}, Inputs: "X:T1", Outputs: "Y:T2",
			Attrs: []AttrDef{AttrOpt("keys_strings", AttrStrings), AttrOpt("keys_int64s", AttrInts), AttrOpt("keys_floats", AttrFloats),
				AttrOpt("keys_tensor", AttrTensor), AttrOpt("values_strings", AttrStrings), AttrOpt("values_int64s", AttrInts),
				AttrOpt("values_floats", AttrFloats), AttrOpt("values_tensor", AttrTensor), AttrS("default_string", "_Unused"),
				AttrI("default_int64", -1), AttrF("default_float", -0.0), AttrOpt("default_tensor", AttrTensor),
				AttrOpt("classes_strings", AttrStrings)},
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				n := c.Node
				switch {
				case n.HasAttr("values_strings"):
					t.Elem = tensor.String
				case n.HasAttr("values_int64s"):
					t.Elem = tensor.Int64
				case n.HasAttr("values_floats"):
					t.Elem = tensor.Float32
				case n.Tensor("values_tensor") != nil:
					t.Elem = n.Tensor("values_tensor").DType()
				}
				c.Set(0, t)
				return nil
			}, Doc: "maps each element through a table of keys and values"},
		OpSchema{Name: "ArrayFeatureExtractor", Domain: ml, Versions: []int{1}, Inputs: "X:T Y:I", Outputs: "Z:T", Types: "I=i64",
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				if t.HasShape && len(t.Shape) > 0 {
					n := Unknown()
					if c.In[1].HasShape {
						n = Known(1)
						for _, d := range c.In[1].Shape {
							if !d.IsKnown() {
								n = Unknown()
								break
							}
							n.Size *= d.Size
						}
					}
					t.Shape[len(t.Shape)-1] = n
				}
				c.Set(0, t)
				return nil
			}, Doc: "selects elements of the last axis by index"},
		OpSchema{Name: "Binarizer", Domain: ml, Versions: []int{1}, Inputs: "X:T", Outputs: "Y:T", Types: "T=float,i32,i64",
			Attrs: []AttrDef{AttrF("threshold", 0)}, Infer: InferUnary, Doc: "1 where the input exceeds a threshold, else 0"},
		OpSchema{Name: "TreeEnsemble", Domain: ml, Versions: []int{5}, Inputs: "X:T", Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrI("aggregate_function", 1), AttrOpt("leaf_targetids", AttrInts), AttrOpt("leaf_weights", AttrTensor),
				AttrOpt("membership_values", AttrTensor), AttrOpt("n_targets", AttrInt), AttrOpt("nodes_falseleafs", AttrInts),
				AttrOpt("nodes_falsenodeids", AttrInts), AttrOpt("nodes_featureids", AttrInts), AttrOpt("nodes_hitrates", AttrTensor),
				AttrOpt("nodes_missing_value_tracks_true", AttrInts), AttrOpt("nodes_modes", AttrTensor), AttrOpt("nodes_splits", AttrTensor),
				AttrOpt("nodes_trueleafs", AttrInts), AttrOpt("nodes_truenodeids", AttrInts), AttrI("post_transform", 0), AttrOpt("tree_roots", AttrInts)},
			Infer: func(c *InferCtx) error {
				out := Type{Kind: KindTensor, Elem: c.In[0].Elem, HasShape: true, Shape: []Dim{Unknown(), Known(c.Node.Int("n_targets"))}}
				if c.In[0].Rank() >= 1 {
					out.Shape[0] = c.In[0].Shape[0]
				}
				c.Set(0, out)
				return nil
			}, Doc: "evaluates an ensemble of decision trees"},
		OpSchema{Name: "TfIdfVectorizer", Versions: []int{9}, Inputs: "X:T", Outputs: "Y:F", Types: "T=string,i32,i64",
			Attrs: []AttrDef{AttrReq("max_gram_length", AttrInt), AttrReq("max_skip_count", AttrInt), AttrReq("min_gram_length", AttrInt),
				AttrReq("mode", AttrString), AttrReq("ngram_counts", AttrInts), AttrReq("ngram_indexes", AttrInts),
				AttrOpt("pool_int64s", AttrInts), AttrOpt("pool_strings", AttrStrings), AttrOpt("weights", AttrFloats)},
			Infer: func(c *InferCtx) error {
				width := int64(0)
				for _, i := range c.Node.Ints("ngram_indexes") {
					width = max(width, i+1)
				}
				out := Type{Kind: KindTensor, Elem: tensor.Float32}
				switch c.In[0].Rank() {
				case 1:
					out.Shape, out.HasShape = []Dim{Known(width)}, true
				case 2:
					out.Shape, out.HasShape = []Dim{c.In[0].Shape[0], Known(width)}, true
				}
				c.Set(0, out)
				return nil
			}, Doc: "n-gram counts, optionally weighted"},

		OpSchema{Name: "Adagrad", Domain: training, Versions: []int{1}, Inputs: "R:T1 T:T2 inputs...:T3", Outputs: "outputs...:T3",
			Attrs: []AttrDef{AttrF("decay_factor", 0), AttrF("epsilon", 1e-6), AttrF("norm_coefficient", 0)},
			Infer: inferOptimizer(3), Doc: "one Adagrad step"},
		OpSchema{Name: "Momentum", Domain: training, Versions: []int{1}, Inputs: "R:T1 T:T2 inputs...:T3", Outputs: "outputs...:T3",
			Attrs: []AttrDef{AttrReq("alpha", AttrFloat), AttrReq("beta", AttrFloat), AttrReq("mode", AttrString), AttrReq("norm_coefficient", AttrFloat)},
			Infer: inferOptimizer(3), Doc: "one step of SGD with (Nesterov) momentum"},
		OpSchema{Name: "Gradient", Domain: training, Versions: []int{1}, Inputs: "Inputs...:T1", Outputs: "Outputs...:T2",
			Attrs: []AttrDef{AttrReq("xs", AttrStrings), AttrReq("y", AttrString), AttrOpt("zs", AttrStrings)},
			Infer: func(c *InferCtx) error {
				// The inputs feed xs then zs, so output i has the type of input i.
				for i := range c.Out {
					if i < len(c.In) {
						c.Set(i, c.In[i].Clone())
					}
				}
				return nil
			}, Doc: "gradients of y with respect to xs, computed by the autodiff pass"},
		OpSchema{Name: "Adam", Domain: training, Versions: []int{1}, Inputs: "R:T1 T:T2 inputs...:T3", Outputs: "outputs...:T3",
			Attrs: []AttrDef{AttrF("alpha", 0.9), AttrF("beta", 0.999), AttrF("epsilon", 1e-6), AttrF("norm_coefficient", 0), AttrF("norm_coefficient_post", 0)},
			Infer: inferOptimizer(4), Doc: "one Adam step"},
	)
}

// inferOptimizer types the outputs of an optimizer op whose variadic inputs
// are groups of parameters, gradients and states (groups tensors per
// parameter): the outputs are the new parameters and states, typed as the
// corresponding inputs.
func inferOptimizer(groups int) InferFunc {
	return func(c *InferCtx) error {
		ins := c.In[2:]
		n := len(ins) / groups
		for i := range c.Out {
			// Output i is parameter i (i < n) or state group k of parameter j.
			src := i
			if i >= n {
				src = i + n // skip the gradients
			}
			if src < len(ins) {
				c.Set(i, ins[src].Clone())
			}
		}
		return nil
	}
}
