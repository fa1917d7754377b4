package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Signal processing: DFT, STFT, the window functions and MelWeightMatrix.
func init() {
	window := func(name, doc string) OpSchema {
		return OpSchema{Name: name, Versions: []int{17}, Inputs: "size:T1", Outputs: "output:T2",
			Types: "T1=i32,i64", Attrs: []AttrDef{AttrI("output_datatype", 1), AttrI("periodic", 1)},
			Infer: func(c *InferCtx) error {
				n := Unknown()
				if v, ok := c.Partial(0); ok && len(v) == 1 {
					n = v[0].Dim()
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
			Infer: inferDFT, Doc: "discrete Fourier transform along one axis"},
		OpSchema{Name: "STFT", Versions: []int{17}, Inputs: "signal:T1 frame_step:T2 window?:T1 frame_length?:T2", Outputs: "output:T1",
			Types: "T1=float T2=i32,i64", Attrs: []AttrDef{AttrI("onesided", 1)},
			Infer: inferSTFT, Doc: "short-time Fourier transform"},
		OpSchema{Name: "MelWeightMatrix", Versions: []int{17},
			Inputs: "num_mel_bins:T1 dft_length:T1 sample_rate:T1 lower_edge_hertz:T2 upper_edge_hertz:T2", Outputs: "output:T3",
			Types: "T1=i32,i64 T2=float", Attrs: []AttrDef{AttrI("output_datatype", 1)},
			Infer: func(c *InferCtx) error {
				bins, dft := Unknown(), Unknown()
				if n, ok := sigScalar(c, 0); ok && n > 0 {
					bins = Known(n)
				}
				if n, ok := sigScalar(c, 1); ok && n > 0 {
					dft = Known(n/2 + 1)
				}
				c.Set(0, TensorOf(tensor.DType(c.Node.Int("output_datatype")), []Dim{dft, bins}))
				return nil
			}, Doc: "the matrix that maps a linear spectrogram to mel bins"},
	)
}

// sigScalar returns the value of input i when it is a known integer with
// one element.
func sigScalar(c *InferCtx, i int) (int64, bool) {
	v, ok := c.Partial(i)
	if !ok || len(v) != 1 || !v[0].Known {
		return 0, false
	}
	return v[0].Val, true
}

// inferDFT: the transformed axis becomes dft_length long (n/2+1 for a
// one-sided forward transform; an inverse one-sided transform of n bins
// without dft_length gives 2(n-1) real values) and the last dim, the
// real and imaginary parts, is 2 (1 for the real inverse one-sided
// transform).
func inferDFT(c *InferCtx) error {
	in := c.In[0]
	t := Type{Kind: KindTensor, Elem: in.Elem}
	if !in.HasShape {
		c.Set(0, t)
		return nil
	}
	r := len(in.Shape)
	if r < 2 {
		return fmt.Errorf("DFT needs an input of rank >= 2, got %s", in)
	}
	t.HasShape = true
	t.Shape = append([]Dim{}, in.Shape...)
	axis := c.Node.Int("axis")
	known := true
	if c.Node.Opset >= 20 {
		axis = -2
		if c.Has(2) {
			axis, known = sigScalar(c, 2)
		}
	}
	inverse, onesided := c.Node.Int("inverse") != 0, c.Node.Int("onesided") != 0
	realOut := inverse && onesided
	if realOut {
		t.Shape[r-1] = Known(1)
	} else {
		t.Shape[r-1] = Known(2)
	}
	if !known {
		for i := 0; i < r-1; i++ {
			t.Shape[i] = Unknown()
		}
		c.Set(0, t)
		return nil
	}
	ax, err := NormAxis(axis, r)
	if err != nil || ax == r-1 {
		return fmt.Errorf("DFT: axis %d must name a signal axis of %s", axis, in)
	}
	n := in.Shape[ax]
	length := n
	if c.Has(1) {
		length = Unknown()
		if l, ok := sigScalar(c, 1); ok {
			if l < 1 {
				return fmt.Errorf("DFT: dft_length %d must be positive", l)
			}
			length = Known(l)
		}
	} else if realOut {
		length = Unknown()
		if n.IsKnown() {
			length = Known(2 * (n.Size - 1))
		}
	}
	bins := length
	if onesided && !inverse {
		bins = Unknown()
		if length.IsKnown() {
			bins = Known(length.Size/2 + 1)
		}
	}
	t.Shape[ax] = bins
	c.Set(0, t)
	return nil
}

// inferSTFT: [batch, frames, bins, 2] with frames = 1 + (length -
// frame_length)/frame_step and bins frame_length (frame_length/2+1 when
// one-sided); frame_length is the input or the window's length.
func inferSTFT(c *InferCtx) error {
	in := c.In[0]
	t := Type{Kind: KindTensor, Elem: in.Elem, HasShape: true,
		Shape: []Dim{Unknown(), Unknown(), Unknown(), Known(2)}}
	length := Unknown()
	if in.HasShape {
		if len(in.Shape) != 3 {
			return fmt.Errorf("STFT needs a signal of shape [batch, length, 1 or 2], got %s", in)
		}
		t.Shape[0], length = in.Shape[0], in.Shape[1]
	}
	frame := Unknown()
	if c.Has(3) {
		if l, ok := sigScalar(c, 3); ok {
			frame = Known(l)
		}
	} else if c.Has(2) && c.In[2].Rank() == 1 {
		frame = c.In[2].Shape[0]
	}
	if frame.IsKnown() {
		if c.Node.Int("onesided") != 0 {
			t.Shape[2] = Known(frame.Size/2 + 1)
		} else {
			t.Shape[2] = frame
		}
	}
	if step, ok := sigScalar(c, 1); ok && step > 0 && frame.IsKnown() && length.IsKnown() && length.Size >= frame.Size {
		t.Shape[1] = Known(1 + (length.Size-frame.Size)/step)
	}
	c.Set(0, t)
	return nil
}
