package ir

import "fmt"

// Basic ops: constants and identity.
func init() {
	Register(
		OpSchema{Name: "Constant", Versions: []int{1, 9, 11, 12, 13, 19, 21, 23, 24, 25},
			Outputs: "output:T",
			Attrs: []AttrDef{AttrOpt("value", AttrTensor), AttrOpt("sparse_value", AttrSparseTensor),
				AttrOpt("value_float", AttrFloat), AttrOpt("value_floats", AttrFloats),
				AttrOpt("value_int", AttrInt), AttrOpt("value_ints", AttrInts),
				AttrOpt("value_string", AttrString), AttrOpt("value_strings", AttrStrings)},
			Infer: inferConstant, Doc: "a tensor given as an attribute"},
		OpSchema{Name: "Identity", Versions: []int{1, 13, 14, 16, 19, 21, 23, 24, 25},
			Inputs: "input:T", Outputs: "output:T", Infer: inferIdentity, Doc: "its input, unchanged"},
	)
}

func inferConstant(c *InferCtx) error {
	t := ConstantNodeValue(c.Node)
	if t == nil {
		return fmt.Errorf("Constant needs exactly one value attribute")
	}
	c.Set(0, TensorOf(t.DType(), DimsOf(t.Shape())))
	return nil
}

func inferIdentity(c *InferCtx) error {
	c.Set(0, c.In[0].Clone())
	if v, ok := c.Partial(0); ok {
		c.SetPartial(0, v)
	}
	if ts, ok := c.SeqElems(0); ok {
		c.SetSeqElems(0, ts)
	}
	return nil
}
