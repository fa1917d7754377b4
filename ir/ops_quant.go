package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Linear quantization: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear and QLinearMatMul.
func init() {
	Register(
		OpSchema{Name: "QuantizeLinear", Versions: []int{10, 13, 19, 21, 23, 24, 25},
			Inputs: "x:T1 y_scale:T2 y_zero_point?:T3", Outputs: "y:T3",
			Types: "T1=float,i32 T2=float,i32",
			Attrs: []AttrDef{AttrI("axis", 1), AttrI("saturate", 1), AttrI("block_size", 0), AttrI("output_dtype", 0), AttrI("precision", 0)},
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				switch {
				case c.Has(2):
					t.Elem = c.In[2].Elem
				case c.Node.Int("output_dtype") != 0:
					t.Elem = tensor.DType(c.Node.Int("output_dtype"))
				default:
					t.Elem = tensor.Uint8
				}
				c.Set(0, t)
				return nil
			}, Doc: "quantizes floats: saturate(round(x / scale) + zero_point)"},
		OpSchema{Name: "DequantizeLinear", Versions: []int{10, 13, 19, 21, 23, 24, 25},
			Inputs: "x:T1 x_scale:T2 x_zero_point?:T1", Outputs: "y:T3",
			Attrs: []AttrDef{AttrI("axis", 1), AttrI("block_size", 0), AttrI("output_dtype", 0)},
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				t.Elem = c.In[1].Elem
				if od := c.Node.Int("output_dtype"); od != 0 {
					t.Elem = tensor.DType(od)
				}
				c.Set(0, t)
				return nil
			}, Doc: "dequantizes: (x - zero_point) * scale"},
		OpSchema{Name: "DynamicQuantizeLinear", Versions: []int{11},
			Inputs: "x:T1", Outputs: "y:T2 y_scale:T1 y_zero_point:T2", Types: "T1=f32",
			Infer: func(c *InferCtx) error {
				t := c.In[0].Clone()
				t.Elem = tensor.Uint8
				c.Set(0, t)
				c.Set(1, TensorType(tensor.Float32))
				c.Set(2, TensorType(tensor.Uint8))
				return nil
			}, Doc: "quantizes to uint8 with a scale and zero point computed from the data"},
		OpSchema{Name: "QLinearMatMul", Versions: []int{10, 21},
			Inputs: "a:T1 a_scale:TS a_zero_point:T1 b:T2 b_scale:TS b_zero_point:T2 y_scale:TS y_zero_point:T3", Outputs: "y:T3",
			Infer: func(c *InferCtx) error {
				a, b := c.In[0], c.In[3]
				out := Type{Kind: KindTensor, Elem: c.In[7].Elem}
				if a.Rank() >= 2 && b.Rank() >= 2 {
					batch, ok, err := BroadcastDims(Type{HasShape: true, Shape: a.Shape[:len(a.Shape)-2]}, Type{HasShape: true, Shape: b.Shape[:len(b.Shape)-2]})
					if err != nil {
						return fmt.Errorf("batch dims: %w", err)
					}
					if ok {
						out.HasShape = true
						out.Shape = append(batch, a.Shape[len(a.Shape)-2], b.Shape[len(b.Shape)-1])
					}
				}
				c.Set(0, out)
				return nil
			}, Doc: "matrix product of quantized matrices, requantized"},
	)
}
