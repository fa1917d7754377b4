package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Dropout, random generators, BitCast, string ops and NonMaxSuppression.
func init() {
	Register(
		OpSchema{Name: "Dropout", Versions: []int{1, 6, 7, 10, 12, 13, 22},
			Inputs: "data:T ratio?:T1 training_mode?:T2", Outputs: "output:T mask?:T2",
			Types: "T=float,f8 T1=float,f8 T2=bool",
			Attrs: []AttrDef{AttrF("ratio", 0.5), AttrI("is_test", 0), AttrOpt("seed", AttrInt), AttrOpt("consumed_inputs", AttrInts)},
			Infer: func(c *InferCtx) error {
				c.Set(0, c.In[0].Clone())
				m := c.In[0].Clone()
				if c.Node.Opset >= 10 {
					m.Kind, m.Elem = KindTensor, tensor.Bool
				}
				c.Set(1, m)
				return nil
			}, Doc: "randomly zeroes elements in training; the identity in inference"},
		OpSchema{Name: "Bernoulli", Versions: []int{15, 22}, Inputs: "input:T1", Outputs: "output:T2",
			Types: "T1=float", Attrs: []AttrDef{AttrOpt("dtype", AttrInt), AttrOpt("seed", AttrFloat)},
			Infer: inferRandomLike, Doc: "draws 0/1 samples with the given probabilities"},
		OpSchema{Name: "RandomUniform", Versions: []int{1, 22}, Outputs: "output:T",
			Attrs: []AttrDef{AttrI("dtype", 1), AttrF("high", 1), AttrF("low", 0), AttrOpt("seed", AttrFloat), AttrReq("shape", AttrInts)},
			Infer: inferRandomShape, Doc: "uniform random values"},
		OpSchema{Name: "RandomNormal", Versions: []int{1, 22}, Outputs: "output:T",
			Attrs: []AttrDef{AttrI("dtype", 1), AttrF("mean", 0), AttrF("scale", 1), AttrOpt("seed", AttrFloat), AttrReq("shape", AttrInts)},
			Infer: inferRandomShape, Doc: "normally distributed random values"},
		OpSchema{Name: "RandomUniformLike", Versions: []int{1, 22}, Inputs: "input:T1", Outputs: "output:T2",
			Attrs: []AttrDef{AttrOpt("dtype", AttrInt), AttrF("high", 1), AttrF("low", 0), AttrOpt("seed", AttrFloat)},
			Infer: inferRandomLike, Doc: "uniform random values shaped like the input"},
		OpSchema{Name: "RandomNormalLike", Versions: []int{1, 22}, Inputs: "input:T1", Outputs: "output:T2",
			Attrs: []AttrDef{AttrOpt("dtype", AttrInt), AttrF("mean", 0), AttrF("scale", 1), AttrOpt("seed", AttrFloat)},
			Infer: inferRandomLike, Doc: "normal random values shaped like the input"},
		OpSchema{Name: "Multinomial", Versions: []int{7, 22}, Inputs: "input:T1", Outputs: "output:T2",
			Types: "T1=float", Attrs: []AttrDef{AttrI("dtype", 6), AttrI("sample_size", 1), AttrOpt("seed", AttrFloat)},
			Infer: func(c *InferCtx) error {
				out := Type{Kind: KindTensor, Elem: tensor.DType(c.Node.Int("dtype"))}
				if c.In[0].Rank() == 2 {
					out.Shape, out.HasShape = []Dim{c.In[0].Shape[0], Known(c.Node.Int("sample_size"))}, true
				}
				c.Set(0, out)
				return nil
			}, Doc: "samples class indices from logits"},
		OpSchema{Name: "BitCast", Versions: []int{26}, Inputs: "input:T1", Outputs: "output:T2",
			Attrs: []AttrDef{AttrReq("to", AttrInt)},
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				t.Elem = tensor.DType(c.Node.Int("to"))
				c.Set(0, t)
				return nil
			}, Doc: "reinterprets the bits of each element as another type"},
		OpSchema{Name: "StringConcat", Versions: []int{20}, Inputs: "X:T Y:T", Outputs: "Z:T", Types: "T=string",
			Infer: InferBroadcast, Doc: "concatenates strings elementwise"},
		OpSchema{Name: "StringSplit", Versions: []int{20}, Inputs: "X:T", Outputs: "Y:T Z:I", Types: "T=string",
			Attrs: []AttrDef{AttrOpt("delimiter", AttrString), AttrOpt("maxsplit", AttrInt)},
			Infer: func(c *InferCtx) error {
				x := c.In[0]
				y := Type{Kind: KindTensor, Elem: tensor.String}
				z := Type{Kind: KindTensor, Elem: tensor.Int64}
				if x.HasShape {
					y.Shape, y.HasShape = append(append([]Dim{}, x.Shape...), Unknown()), true
					z.Shape, z.HasShape = append([]Dim{}, x.Shape...), true
				}
				c.Set(0, y)
				c.Set(1, z)
				return nil
			}, Doc: "splits strings at a delimiter"},
		OpSchema{Name: "RegexFullMatch", Versions: []int{20}, Inputs: "X:T", Outputs: "Y:B", Types: "T=string",
			Attrs: []AttrDef{AttrOpt("pattern", AttrString)},
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				t.Elem = tensor.Bool
				c.Set(0, t)
				return nil
			}, Doc: "whether each string fully matches a regular expression"},
		OpSchema{Name: "StringNormalizer", Versions: []int{10}, Inputs: "X:T", Outputs: "Y:T", Types: "T=string",
			Attrs: []AttrDef{AttrS("case_change_action", "NONE"), AttrI("is_case_sensitive", 0), AttrOpt("locale", AttrString), AttrOpt("stopwords", AttrStrings)},
			Infer: func(c *InferCtx) error {
				out := Type{Kind: KindTensor, Elem: tensor.String}
				if r := c.In[0].Rank(); r >= 0 {
					out.HasShape = true
					for i := 0; i < r; i++ {
						out.Shape = append(out.Shape, Unknown())
					}
					if r == 2 {
						out.Shape[0] = Known(1)
					}
				}
				c.Set(0, out)
				return nil
			}, Doc: "removes stop words and changes case"},
		OpSchema{Name: "NonMaxSuppression", Versions: []int{10, 11},
			Inputs: "boxes:F scores:F max_output_boxes_per_class?:I iou_threshold?:F score_threshold?:F", Outputs: "selected_indices:I",
			Types: "F=f32 I=i64", Attrs: []AttrDef{AttrI("center_point_box", 0)},
			Infer: func(c *InferCtx) error {
				c.Set(0, TensorOf(tensor.Int64, []Dim{Unknown(), Known(3)}))
				return nil
			}, Doc: "greedy non-maximum suppression of boxes by IoU"},
	)
}

func inferRandomLike(c *InferCtx) error {
	t := c.In[0].Clone()
	if a := c.Node.Attr("dtype"); a != nil {
		t.Elem = tensor.DType(a.I)
	}
	c.Set(0, t)
	return nil
}

func inferRandomShape(c *InferCtx) error {
	shape := c.Node.Ints("shape")
	dims := make([]Dim, len(shape))
	for i, d := range shape {
		if d < 0 {
			return fmt.Errorf("shape %v has a negative dim", shape)
		}
		dims[i] = Known(d)
	}
	c.Set(0, TensorOf(tensor.DType(c.Node.Int("dtype")), dims))
	return nil
}

func init() {
	Register(OpSchema{Name: "ImageDecoder", Versions: []int{20}, Inputs: "encoded_stream:T1", Outputs: "image:T2",
		Types: "T1=u8", Attrs: []AttrDef{AttrS("pixel_format", "RGB")},
		Infer: func(c *InferCtx) error {
			ch := int64(3)
			if c.Node.Str("pixel_format") == "Grayscale" {
				ch = 1
			}
			c.Set(0, TensorOf(tensor.Uint8, []Dim{Unknown(), Unknown(), Known(ch)}))
			return nil
		}, Doc: "decodes an encoded image (PNG, JPEG, BMP, TIFF, WebP, PNM) to pixels"})
}
