package ir

import (
	"github.com/onyxgo/onyx/tensor"
)

// Signal processing: DFT, STFT, the window functions and MelWeightMatrix.
func init() {
	window := func(name, doc string) OpSchema {
		return OpSchema{Name: name, Versions: []int{17}, Inputs: "size:T1", Outputs: "output:T2",
			Types: "T1=i32,i64", Attrs: []AttrDef{AttrI("output_datatype", 1), AttrI("periodic", 1)},
			Infer: func(c *InferCtx) error {
				n := Unknown()
				if t := c.Const(0); t != nil && t.Len() == 1 {
					n = Known(t.Int64At(0))
				}
				c.Set(0, TensorOf(tensor.DType(c.Node.Int("output_datatype")), []Dim{n}))
				return nil
			}, Doc: doc}
	}
	Register(
		window("HannWindow", "the Hann window"),
		window("HammingWindow", "the Hamming window"),
		window("BlackmanWindow", "the Blackman window"),
		OpSchema{Name: "DFT", Versions: []int{17, 20}, Inputs: "input:T1 dft_length?:T2 axis?:T2", Outputs: "output:T1",
			Types: "T1=float T2=i32,i64", Attrs: []AttrDef{AttrI("axis", 1), AttrI("inverse", 0), AttrI("onesided", 0)},
			Infer: func(c *InferCtx) error {
				t := Type{Kind: KindTensor, Elem: c.In[0].Elem}
				if r := c.In[0].Rank(); r >= 0 {
					t.HasShape = true
					t.Shape = append([]Dim{}, c.In[0].Shape...)
					for i := 1; i < r-1; i++ {
						t.Shape[i] = Unknown() // the transformed axis may change length
					}
					if r > 0 {
						t.Shape[r-1] = Known(2)
					}
				}
				c.Set(0, t)
				return nil
			}, Doc: "discrete Fourier transform along one axis"},
		OpSchema{Name: "STFT", Versions: []int{17}, Inputs: "signal:T1 frame_step:T2 window?:T1 frame_length?:T2", Outputs: "output:T1",
			Types: "T1=float T2=i32,i64", Attrs: []AttrDef{AttrI("onesided", 1)},
			Infer: func(c *InferCtx) error {
				t := Type{Kind: KindTensor, Elem: c.In[0].Elem, HasShape: true,
					Shape: []Dim{Unknown(), Unknown(), Unknown(), Known(2)}}
				if c.In[0].Rank() >= 1 {
					t.Shape[0] = c.In[0].Shape[0]
				}
				c.Set(0, t)
				return nil
			}, Doc: "short-time Fourier transform"},
		OpSchema{Name: "MelWeightMatrix", Versions: []int{17},
			Inputs: "num_mel_bins:T1 dft_length:T1 sample_rate:T1 lower_edge_hertz:T2 upper_edge_hertz:T2", Outputs: "output:T3",
			Types: "T1=i32,i64 T2=float", Attrs: []AttrDef{AttrI("output_datatype", 1)},
			Infer: func(c *InferCtx) error {
				c.Set(0, TensorOf(tensor.DType(c.Node.Int("output_datatype")), []Dim{Unknown(), Unknown()}))
				return nil
			}, Doc: "the matrix that maps a linear spectrogram to mel bins"},
	)
}
