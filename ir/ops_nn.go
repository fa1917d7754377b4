package ir

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Spatial ops: convolutions, pooling, Resize/Upsample, sampling and
// region ops.
func init() {
	convAttrs := func(extra ...AttrDef) []AttrDef {
		return append([]AttrDef{AttrS("auto_pad", "NOTSET"), AttrOpt("dilations", AttrInts), AttrI("group", 1),
			AttrOpt("kernel_shape", AttrInts), AttrOpt("pads", AttrInts), AttrOpt("strides", AttrInts)}, extra...)
	}
	poolAttrs := func(extra ...AttrDef) []AttrDef {
		return append([]AttrDef{AttrS("auto_pad", "NOTSET"), AttrI("ceil_mode", 0), AttrOpt("dilations", AttrInts),
			AttrReq("kernel_shape", AttrInts), AttrOpt("pads", AttrInts), AttrOpt("strides", AttrInts)}, extra...)
	}
	Register(
		OpSchema{Name: "Conv", Versions: []int{1, 11, 22},
			Inputs: "X:T W:T B?:T", Outputs: "Y:T", Types: "T=float",
			Attrs: convAttrs(), Infer: nnChecked(inferConvLike(0, 1, -1)),
			Doc: "N-D convolution with groups, strides, dilations and padding"},
		OpSchema{Name: "ConvInteger", Versions: []int{10},
			Inputs: "x:T1 w:T2 x_zero_point?:T1 w_zero_point?:T2", Outputs: "y:T3",
			Types: "T1=i8,u8 T2=i8,u8 T3=i32",
			Attrs: convAttrs(), Infer: nnChecked(inferConvLike(0, 1, -2)),
			Doc: "integer convolution of zero-point-shifted inputs with int32 accumulation"},
		OpSchema{Name: "QLinearConv", Versions: []int{10},
			Inputs:  "x:T1 x_scale:F x_zero_point:T1 w:T2 w_scale:F w_zero_point:T2 y_scale:F y_zero_point:T3 B?:T4",
			Outputs: "y:T3", Types: "T1=i8,u8 T2=i8,u8 T3=i8,u8 T4=i32 F=f32",
			Attrs: convAttrs(), Infer: nnChecked(inferConvLike(0, 3, 7)),
			Doc: "quantized convolution: dequantize, convolve, requantize"},
		OpSchema{Name: "ConvTranspose", Versions: []int{1, 11, 22},
			Inputs: "X:T W:T B?:T", Outputs: "Y:T", Types: "T=float",
			Attrs: convAttrs(AttrOpt("output_padding", AttrInts), AttrOpt("output_shape", AttrInts)),
			Infer: nnChecked(inferConvTranspose),
			Doc:   "transposed (fractionally strided) N-D convolution"},
		OpSchema{Name: "DeformConv", Versions: []int{19, 22},
			Inputs: "X:T W:T offset:T B?:T mask?:T", Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrOpt("dilations", AttrInts), AttrI("group", 1), AttrOpt("kernel_shape", AttrInts),
				AttrI("offset_group", 1), AttrOpt("pads", AttrInts), AttrOpt("strides", AttrInts)},
			Infer: nnChecked(inferConvLike(0, 1, -1)),
			Doc:   "deformable convolution: kernel taps displaced by learned offsets, optionally masked"},
		OpSchema{Name: "MaxPool", Versions: []int{1, 8, 10, 11, 12, 22},
			Inputs: "X:T", Outputs: "Y:T Indices?:I", Types: "T=float,i8,u8 I=i64",
			Attrs: poolAttrs(AttrI("storage_order", 0)), Infer: nnChecked(inferPool),
			Doc: "max over sliding windows, optionally with the flat index of each maximum"},
		OpSchema{Name: "AveragePool", Versions: []int{1, 7, 10, 11, 19, 22},
			Inputs: "X:T", Outputs: "Y:T", Types: "T=float",
			Attrs: poolAttrs(AttrI("count_include_pad", 0)), Infer: nnChecked(inferPool),
			Doc: "mean over sliding windows"},
		OpSchema{Name: "LpPool", Versions: []int{1, 2, 11, 18, 22},
			Inputs: "X:T", Outputs: "Y:T", Types: "T=float",
			Attrs: poolAttrs(AttrI("p", 2)), Infer: nnChecked(inferPool),
			Doc: "Lp norm over sliding windows"},
		OpSchema{Name: "GlobalAveragePool", Versions: []int{1, 22},
			Inputs: "X:T", Outputs: "Y:T", Types: "T=float", Infer: nnChecked(inferGlobalPool),
			Doc: "mean over all spatial positions"},
		OpSchema{Name: "GlobalMaxPool", Versions: []int{1, 22},
			Inputs: "X:T", Outputs: "Y:T", Types: "T=float", Infer: nnChecked(inferGlobalPool),
			Doc: "max over all spatial positions"},
		OpSchema{Name: "GlobalLpPool", Versions: []int{1, 2, 22},
			Inputs: "X:T", Outputs: "Y:T", Types: "T=float", Attrs: []AttrDef{AttrI("p", 2)},
			Infer: nnChecked(inferGlobalPool), Doc: "Lp norm over all spatial positions"},
		OpSchema{Name: "MaxUnpool", Versions: []int{9, 11, 22},
			Inputs: "X:T1 I:T2 output_shape?:T2", Outputs: "output:T1", Types: "T1=float T2=i64",
			Attrs: []AttrDef{AttrReq("kernel_shape", AttrInts), AttrOpt("pads", AttrInts), AttrOpt("strides", AttrInts)},
			Infer: nnChecked(inferMaxUnpool), Doc: "scatters pooled values back to the positions MaxPool took them from"},
		OpSchema{Name: "MaxRoiPool", Versions: []int{1, 22},
			Inputs: "X:T rois:T", Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrReq("pooled_shape", AttrInts), AttrF("spatial_scale", 1)},
			Infer: nnChecked(inferRoiPool), Doc: "max pooling over regions of interest"},
		OpSchema{Name: "RoiAlign", Versions: []int{10, 16, 22},
			Inputs: "X:T1 rois:T1 batch_indices:T2", Outputs: "Y:T1", Types: "T1=float T2=i64",
			Attrs: []AttrDef{AttrS("coordinate_transformation_mode", "half_pixel"), AttrS("mode", "avg"),
				AttrI("output_height", 1), AttrI("output_width", 1), AttrI("sampling_ratio", 0), AttrF("spatial_scale", 1)},
			Infer: nnChecked(inferRoiPool), Doc: "bilinearly sampled average or max pooling over regions of interest"},
		OpSchema{Name: "Resize", Versions: []int{10, 11, 13, 18, 19},
			Inputs: "X:T1 roi?:T2 scales?:F sizes?:I", Outputs: "Y:T1", Types: "T2=float F=f32 I=i64",
			Attrs: []AttrDef{AttrI("antialias", 0), AttrOpt("axes", AttrInts),
				AttrS("coordinate_transformation_mode", "half_pixel"), AttrF("cubic_coeff_a", -0.75),
				AttrI("exclude_outside", 0), AttrF("extrapolation_value", 0),
				AttrS("keep_aspect_ratio_policy", "stretch"), AttrS("mode", "nearest"),
				AttrS("nearest_mode", "round_prefer_floor")},
			Infer: nnChecked(inferResize),
			Doc:   "resizes by nearest, linear or cubic interpolation (opset 10: inputs X, scales)"},
		OpSchema{Name: "Upsample", Versions: []int{7, 9}, Deprecated: 10,
			Inputs: "X:T scales?:F", Outputs: "Y:T", Types: "F=f32",
			Attrs: []AttrDef{AttrS("mode", "nearest"), AttrOpt("scales", AttrFloats)},
			Infer: nnChecked(inferUpsample), Doc: "upsamples by nearest or linear interpolation"},
		OpSchema{Name: "GridSample", Versions: []int{16, 20, 22},
			Inputs: "X:T1 grid:T2", Outputs: "Y:T1", Types: "T2=float",
			Attrs: []AttrDef{AttrI("align_corners", 0), AttrS("mode", "linear"), AttrS("padding_mode", "zeros")},
			Infer: nnChecked(inferGridSample), Doc: "samples the input at the grid's normalized coordinates"},
		OpSchema{Name: "AffineGrid", Versions: []int{20},
			Inputs: "theta:T1 size:T2", Outputs: "grid:T1", Types: "T1=float T2=i64",
			Attrs: []AttrDef{AttrI("align_corners", 0)},
			Infer: nnChecked(inferAffineGrid), Doc: "the sampling grid of a batch of affine transforms"},
		OpSchema{Name: "Col2Im", Versions: []int{18},
			Inputs: "input:T image_shape:I block_shape:I", Outputs: "output:T", Types: "I=i64",
			Attrs: []AttrDef{AttrOpt("dilations", AttrInts), AttrOpt("pads", AttrInts), AttrOpt("strides", AttrInts)},
			Infer: nnChecked(inferCol2Im), Doc: "rearranges column blocks into an image, summing overlaps"},
	)
}

// nnChecked wraps a shape function so that it first checks that every
// input the op requires is present; the function may then index them.
func nnChecked(f InferFunc) InferFunc {
	return func(c *InferCtx) error {
		if s := c.Node.Schema; s != nil {
			for i, fm := range s.FormalInputs() {
				if fm.Optional || fm.Variadic {
					continue
				}
				if !c.Has(i) || i >= len(c.In) {
					return fmt.Errorf("%s needs input %d (%s)", c.Node.Op, i, fm.Name)
				}
			}
		}
		return f(c)
	}
}

// Window is the geometry of a sliding-window op (convolution, pooling)
// along its spatial axes. Strides, Dilations and Pads may be nil for their
// defaults (ones, ones, zeros). Pads holds the begin pads then the end
// pads. AutoPad is "NOTSET", "SAME_UPPER", "SAME_LOWER" or "VALID".
type Window struct {
	Kernel, Strides, Dilations, Pads []int64
	AutoPad                          string
	CeilMode                         bool
}

// WindowFromNode reads a window op's attributes from n; kernel comes from
// the kernel_shape attribute when set, else from the argument (the
// weight's spatial dims), which may be nil when unknown.
func WindowFromNode(n *Node, kernel []int64) Window {
	w := Window{Kernel: kernel, Strides: n.Ints("strides"), Dilations: n.Ints("dilations"),
		Pads: n.Ints("pads"), AutoPad: n.Str("auto_pad"), CeilMode: n.Int("ceil_mode") != 0}
	if ks := n.Ints("kernel_shape"); ks != nil {
		w.Kernel = ks
	}
	if w.AutoPad == "" {
		w.AutoPad = "NOTSET"
	}
	return w
}

// Normalize checks w against the spatial rank and fills in the default
// strides, dilations and pads.
func (w *Window) Normalize(rank int) error {
	if len(w.Kernel) != rank {
		return fmt.Errorf("kernel_shape has %d values, want one per spatial dim (%d)", len(w.Kernel), rank)
	}
	fill := func(name string, v []int64, n int, def int64) ([]int64, error) {
		if v == nil {
			v = make([]int64, n)
			for i := range v {
				v[i] = def
			}
			return v, nil
		}
		if len(v) != n {
			return nil, fmt.Errorf("%s has %d values, want %d", name, len(v), n)
		}
		return v, nil
	}
	var err error
	if w.Strides, err = fill("strides", w.Strides, rank, 1); err != nil {
		return err
	}
	if w.Dilations, err = fill("dilations", w.Dilations, rank, 1); err != nil {
		return err
	}
	if w.Pads, err = fill("pads", w.Pads, 2*rank, 0); err != nil {
		return err
	}
	for i := 0; i < rank; i++ {
		if w.Kernel[i] < 1 {
			return fmt.Errorf("kernel_shape %v: every size must be at least 1", w.Kernel)
		}
		if w.Strides[i] < 1 {
			return fmt.Errorf("strides %v: every stride must be at least 1", w.Strides)
		}
		if w.Dilations[i] < 1 {
			return fmt.Errorf("dilations %v: every dilation must be at least 1", w.Dilations)
		}
	}
	for _, p := range w.Pads {
		if p < 0 {
			return fmt.Errorf("pads %v: pads must not be negative", w.Pads)
		}
	}
	switch w.AutoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return fmt.Errorf("unknown auto_pad %q", w.AutoPad)
	}
	return nil
}

// Output returns the output size of each spatial dim for the given input
// sizes and the pads actually applied (begin pads, then end pads). An
// input size below zero is unknown and gives an unknown (-1) output size.
// w must be normalized. A window that does not fit its padded input is an
// error.
func (w *Window) Output(in []int64) (out, pads []int64, err error) {
	r := len(w.Kernel)
	if len(in) != r {
		return nil, nil, fmt.Errorf("input has %d spatial dims, kernel_shape %d", len(in), r)
	}
	out = make([]int64, r)
	pads = append([]int64{}, w.Pads...)
	for i := 0; i < r; i++ {
		k := (w.Kernel[i]-1)*w.Dilations[i] + 1
		s := w.Strides[i]
		if in[i] < 0 {
			out[i] = -1
			continue
		}
		switch w.AutoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o := (in[i] + s - 1) / s
			total := max(0, (o-1)*s+k-in[i])
			small := total / 2
			if w.AutoPad == "SAME_UPPER" {
				pads[i], pads[i+r] = small, total-small
			} else {
				pads[i], pads[i+r] = total-small, small
			}
			out[i] = o
			continue
		case "VALID":
			pads[i], pads[i+r] = 0, 0
		}
		span := in[i] + pads[i] + pads[i+r] - k
		if span < 0 {
			return nil, nil, fmt.Errorf("spatial dim %d: window of %d (kernel %d, dilation %d) is larger than the padded input %d",
				i, k, w.Kernel[i], w.Dilations[i], in[i]+pads[i]+pads[i+r])
		}
		o := span/s + 1
		if w.CeilMode && span%s != 0 {
			o++
			// The last window must start inside the input or its begin pad.
			if (o-1)*s >= in[i]+pads[i] {
				o--
			}
		}
		out[i] = o
	}
	return out, pads, nil
}

// nnDimSizes returns the sizes of dims, -1 for unknown ones.
func nnDimSizes(ds []Dim) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.Size
		if !d.IsKnown() {
			out[i] = -1
		}
	}
	return out
}

func nnSizeDims(s []int64) []Dim {
	out := make([]Dim, len(s))
	for i, v := range s {
		if v < 0 {
			out[i] = Unknown()
		} else {
			out[i] = Known(v)
		}
	}
	return out
}

// inferConvLike is the shape function of Conv and its variants: x and w
// are the data and weight input positions; elemFrom chooses the output
// element type: -1 the input's, -2 int32, else that input's type.
func inferConvLike(x, w, elemFrom int) InferFunc {
	return func(c *InferCtx) error {
		xt, wt := c.In[x], c.In[w]
		elem := xt.Elem
		switch {
		case elemFrom == -2:
			elem = tensor.Int32
		case elemFrom >= 0:
			elem = c.In[elemFrom].Elem
		}
		if !xt.HasShape {
			c.Set(0, UnrankedTensor(elem))
			return nil
		}
		r := len(xt.Shape)
		if r < 3 {
			return fmt.Errorf("%s input must have rank at least 3 (N, C, spatial...), got %s", c.Node.Op, xt)
		}
		group := c.Node.Int("group")
		if c.Node.Schema != nil && c.Node.Schema.AttrDef("group") == nil {
			group = 1
		}
		if group < 1 {
			return fmt.Errorf("group must be at least 1, got %d", group)
		}
		out := make([]Dim, r)
		out[0] = xt.Shape[0]
		out[1] = Unknown()
		var kernel []int64
		if wt.HasShape {
			if len(wt.Shape) != r {
				return fmt.Errorf("weight rank %d differs from input rank %d", len(wt.Shape), r)
			}
			out[1] = wt.Shape[0]
			if xt.Shape[1].IsKnown() && wt.Shape[1].IsKnown() && xt.Shape[1].Size != wt.Shape[1].Size*group {
				return fmt.Errorf("channel mismatch: input has %d channels, weight expects %d x group %d",
					xt.Shape[1].Size, wt.Shape[1].Size, group)
			}
			if wt.Shape[0].IsKnown() && wt.Shape[0].Size%group != 0 {
				return fmt.Errorf("weight's %d output channels are not divisible by group %d", wt.Shape[0].Size, group)
			}
			kernel = nnDimSizes(wt.Shape[2:])
		}
		win := WindowFromNode(c.Node, kernel)
		if win.Kernel == nil {
			win.Kernel = make([]int64, r-2)
		}
		for _, k := range win.Kernel {
			if k < 0 { // unknown weight dims
				for i := 2; i < r; i++ {
					out[i] = Unknown()
				}
				c.Set(0, TensorOf(elem, out))
				return nil
			}
		}
		if len(win.Kernel) == r-2 && wt.HasShape {
			for i, k := range win.Kernel {
				if d := wt.Shape[2+i]; d.IsKnown() && d.Size != k {
					return fmt.Errorf("kernel_shape %v differs from the weight's spatial dims", win.Kernel)
				}
			}
		}
		if err := win.Normalize(r - 2); err != nil {
			return err
		}
		sp, _, err := win.Output(nnDimSizes(xt.Shape[2:]))
		if err != nil {
			return err
		}
		copy(out[2:], nnWindowDims(&win, xt.Shape[2:], sp))
		c.Set(0, TensorOf(elem, out))
		return nil
	}
}

// nnWindowDims turns a window's output sizes into dims; an input dim that
// is not known stays as it is where the window keeps the size (stride 1,
// padded by its width less one).
func nnWindowDims(w *Window, in []Dim, sp []int64) []Dim {
	out := nnSizeDims(sp)
	r := len(w.Kernel)
	for i, d := range in {
		if d.IsKnown() || i >= r || w.Strides[i] != 1 {
			continue
		}
		k := (w.Kernel[i]-1)*w.Dilations[i] + 1
		keeps := false
		switch w.AutoPad {
		case "SAME_UPPER", "SAME_LOWER":
			keeps = true
		case "VALID":
			keeps = k == 1
		default:
			keeps = w.Pads[i]+w.Pads[i+r] == k-1
		}
		if keeps {
			out[i] = d
		}
	}
	return out
}

// ConvTransposeOutput returns the spatial output sizes and the pads applied
// by a ConvTranspose over input sizes in (unknown as -1). w must be
// normalized; outputPadding and outputShape may be nil.
func ConvTransposeOutput(in []int64, w Window, outputPadding, outputShape []int64) (out, pads []int64, err error) {
	r := len(in)
	if outputPadding == nil {
		outputPadding = make([]int64, r)
	}
	if len(outputPadding) != r {
		return nil, nil, fmt.Errorf("output_padding has %d values, want %d", len(outputPadding), r)
	}
	if len(outputShape) == r+2 {
		outputShape = outputShape[2:]
	}
	if outputShape != nil && len(outputShape) != r {
		return nil, nil, fmt.Errorf("output_shape has %d values, want %d", len(outputShape), r)
	}
	out = make([]int64, r)
	pads = append([]int64{}, w.Pads...)
	for i := 0; i < r; i++ {
		s := w.Strides[i]
		k := (w.Kernel[i]-1)*w.Dilations[i] + 1
		if outputPadding[i] < 0 || (outputPadding[i] >= s && outputPadding[i] >= w.Dilations[i]) {
			return nil, nil, fmt.Errorf("output_padding %v must be non-negative and less than the stride or dilation", outputPadding)
		}
		if in[i] < 0 {
			out[i] = -1
			continue
		}
		full := s*(in[i]-1) + outputPadding[i] + k
		target := int64(-1)
		switch {
		case outputShape != nil:
			target = outputShape[i]
		case w.AutoPad == "SAME_UPPER" || w.AutoPad == "SAME_LOWER":
			target = in[i] * s
		}
		if target >= 0 {
			total := full - target
			if total < 0 {
				// The output extends past what the input covers: the extra
				// positions receive only the bias.
				total = 0
			}
			if w.AutoPad == "SAME_UPPER" {
				pads[i], pads[i+r] = total/2, total-total/2
			} else {
				pads[i], pads[i+r] = total-total/2, total/2
			}
			out[i] = target
		} else {
			if w.AutoPad == "VALID" {
				pads[i], pads[i+r] = 0, 0
			}
			out[i] = full - pads[i] - pads[i+r]
		}
		if out[i] < 1 {
			return nil, nil, fmt.Errorf("spatial dim %d: output size %d is not positive", i, out[i])
		}
	}
	return out, pads, nil
}

func inferConvTranspose(c *InferCtx) error {
	xt, wt := c.In[0], c.In[1]
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	r := len(xt.Shape)
	if r < 3 {
		return fmt.Errorf("ConvTranspose input must have rank at least 3, got %s", xt)
	}
	group := c.Node.Int("group")
	if group < 1 {
		return fmt.Errorf("group must be at least 1, got %d", group)
	}
	out := make([]Dim, r)
	out[0], out[1] = xt.Shape[0], Unknown()
	for i := 2; i < r; i++ {
		out[i] = Unknown()
	}
	var kernel []int64
	if wt.HasShape {
		if len(wt.Shape) != r {
			return fmt.Errorf("weight rank %d differs from input rank %d", len(wt.Shape), r)
		}
		if xt.Shape[1].IsKnown() && wt.Shape[0].IsKnown() && xt.Shape[1].Size != wt.Shape[0].Size {
			return fmt.Errorf("channel mismatch: input has %d channels, weight has %d", xt.Shape[1].Size, wt.Shape[0].Size)
		}
		if wt.Shape[1].IsKnown() {
			out[1] = Known(wt.Shape[1].Size * group)
		}
		kernel = nnDimSizes(wt.Shape[2:])
	}
	win := WindowFromNode(c.Node, kernel)
	if win.Kernel == nil {
		c.Set(0, TensorOf(xt.Elem, out))
		return nil
	}
	for _, k := range win.Kernel {
		if k < 0 {
			c.Set(0, TensorOf(xt.Elem, out))
			return nil
		}
	}
	if err := win.Normalize(r - 2); err != nil {
		return err
	}
	sp, _, err := ConvTransposeOutput(nnDimSizes(xt.Shape[2:]), win, c.Node.Ints("output_padding"), c.Node.Ints("output_shape"))
	if err != nil {
		return err
	}
	copy(out[2:], nnSizeDims(sp))
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}

func inferPool(c *InferCtx) error {
	xt := c.In[0]
	idx := Type{Kind: KindTensor, Elem: tensor.Int64}
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		c.Set(1, idx)
		return nil
	}
	r := len(xt.Shape)
	if r < 3 {
		return fmt.Errorf("%s input must have rank at least 3 (N, C, spatial...), got %s", c.Node.Op, xt)
	}
	win := WindowFromNode(c.Node, nil)
	if err := win.Normalize(r - 2); err != nil {
		return err
	}
	sp, _, err := win.Output(nnDimSizes(xt.Shape[2:]))
	if err != nil {
		return err
	}
	out := append([]Dim{xt.Shape[0], xt.Shape[1]}, nnWindowDims(&win, xt.Shape[2:], sp)...)
	c.Set(0, TensorOf(xt.Elem, out))
	idx.Shape, idx.HasShape = append([]Dim{}, out...), true
	c.Set(1, idx)
	return nil
}

func inferGlobalPool(c *InferCtx) error {
	xt := c.In[0]
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	if len(xt.Shape) < 2 {
		return fmt.Errorf("%s input must have rank at least 2, got %s", c.Node.Op, xt)
	}
	out := append([]Dim{}, xt.Shape...)
	for i := 2; i < len(out); i++ {
		out[i] = Known(1)
	}
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}

func inferMaxUnpool(c *InferCtx) error {
	xt := c.In[0]
	if t := c.Const(2); t != nil {
		c.Set(0, TensorType(xt.Elem, t.Int64sOf()...))
		return nil
	}
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	r := len(xt.Shape)
	if r < 3 {
		return fmt.Errorf("MaxUnpool input must have rank at least 3, got %s", xt)
	}
	out := append([]Dim{}, xt.Shape...)
	if c.Has(2) {
		for i := 2; i < r; i++ {
			out[i] = Unknown()
		}
		c.Set(0, TensorOf(xt.Elem, out))
		return nil
	}
	win := WindowFromNode(c.Node, nil)
	if err := win.Normalize(r - 2); err != nil {
		return err
	}
	sp, err := MaxUnpoolOutput(nnDimSizes(xt.Shape[2:]), win)
	if err != nil {
		return err
	}
	copy(out[2:], nnSizeDims(sp))
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}

// MaxUnpoolOutput returns the default spatial output sizes of MaxUnpool:
// (in-1)*stride + kernel - pad_begin - pad_end.
func MaxUnpoolOutput(in []int64, w Window) ([]int64, error) {
	r := len(in)
	out := make([]int64, r)
	for i := range in {
		if in[i] < 0 {
			out[i] = -1
			continue
		}
		out[i] = (in[i]-1)*w.Strides[i] + w.Kernel[i] - w.Pads[i] - w.Pads[i+r]
		if out[i] < 1 {
			return nil, fmt.Errorf("spatial dim %d: output size %d is not positive", i, out[i])
		}
	}
	return out, nil
}

func inferRoiPool(c *InferCtx) error {
	xt, rt := c.In[0], c.In[1]
	if xt.HasShape && len(xt.Shape) != 4 {
		return fmt.Errorf("%s input must have rank 4 (N, C, H, W), got %s", c.Node.Op, xt)
	}
	if rt.HasShape && len(rt.Shape) != 2 {
		return fmt.Errorf("%s rois must have rank 2, got %s", c.Node.Op, rt)
	}
	var oh, ow int64
	if c.Node.Op == "MaxRoiPool" {
		ps := c.Node.Ints("pooled_shape")
		if len(ps) != 2 {
			return fmt.Errorf("pooled_shape must have 2 values, got %v", ps)
		}
		oh, ow = ps[0], ps[1]
	} else {
		oh, ow = c.Node.Int("output_height"), c.Node.Int("output_width")
	}
	if oh < 1 || ow < 1 {
		return fmt.Errorf("output size %dx%d must be positive", oh, ow)
	}
	out := []Dim{Unknown(), Unknown(), Known(oh), Known(ow)}
	if rt.HasShape {
		out[0] = rt.Shape[0]
	}
	if xt.HasShape {
		out[1] = xt.Shape[1]
	}
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}

// ResizeTarget computes the output shape of Resize and the scale of each
// axis from the input shape and either scales or sizes (one of them nil),
// given over axes (nil for all axes, in order) with a
// keep_aspect_ratio_policy. Input sizes below zero are unknown and give
// unknown outputs.
func ResizeTarget(in []int64, scales []float32, sizes []int64, axes []int64, policy string) (out []int64, scale []float64, err error) {
	r := len(in)
	ax := make([]int, 0, r)
	if axes == nil {
		for i := 0; i < r; i++ {
			ax = append(ax, i)
		}
	} else {
		seen := make([]bool, r)
		for _, a := range axes {
			i, err := NormAxis(a, r)
			if err != nil {
				return nil, nil, fmt.Errorf("axes: %v", err)
			}
			if seen[i] {
				return nil, nil, fmt.Errorf("axes %v repeat axis %d", axes, a)
			}
			seen[i] = true
			ax = append(ax, i)
		}
	}
	out = append([]int64{}, in...)
	scale = make([]float64, r)
	for i := range scale {
		scale[i] = 1
	}
	switch {
	case sizes != nil:
		if len(sizes) != len(ax) {
			return nil, nil, fmt.Errorf("sizes has %d values, want %d", len(sizes), len(ax))
		}
		for j, i := range ax {
			if sizes[j] < 1 {
				return nil, nil, fmt.Errorf("sizes %v: every size must be at least 1", sizes)
			}
			if in[i] == 0 {
				return nil, nil, fmt.Errorf("cannot resize the empty axis %d to %d", i, sizes[j])
			}
		}
		switch policy {
		case "", "stretch":
			for j, i := range ax {
				out[i] = sizes[j]
				if in[i] > 0 {
					scale[i] = float64(sizes[j]) / float64(in[i])
				}
			}
		case "not_larger", "not_smaller":
			s := math.NaN()
			for j, i := range ax {
				if in[i] < 0 {
					s = math.NaN()
					break
				}
				v := float64(sizes[j]) / float64(in[i])
				if math.IsNaN(s) || (policy == "not_larger" && v < s) || (policy == "not_smaller" && v > s) {
					s = v
				}
			}
			for _, i := range ax {
				if math.IsNaN(s) {
					out[i] = -1
					continue
				}
				scale[i] = s
				out[i] = int64(math.Floor(s*float64(in[i]) + 0.5))
				if out[i] < 1 {
					out[i] = 1
				}
			}
		default:
			return nil, nil, fmt.Errorf("unknown keep_aspect_ratio_policy %q", policy)
		}
	case scales != nil:
		if len(scales) != len(ax) {
			return nil, nil, fmt.Errorf("scales has %d values, want %d", len(scales), len(ax))
		}
		for j, i := range ax {
			s := float64(scales[j])
			if !(s > 0) || math.IsInf(s, 0) {
				return nil, nil, fmt.Errorf("scales %v: every scale must be positive and finite", scales)
			}
			scale[i] = s
			if in[i] < 0 {
				continue
			}
			// The product is taken in single precision, as the scales
			// are: 10 x 0.7f gives 7, not 6.
			o := math.Floor(float64(float32(float64(in[i]) * s)))
			if o > float64(tensor.MaxElements) {
				return nil, nil, fmt.Errorf("scale %g makes axis %d too large", s, i)
			}
			out[i] = int64(o)
			if out[i] < 1 && in[i] > 0 {
				return nil, nil, fmt.Errorf("scale %g shrinks axis %d of size %d to nothing", s, i, in[i])
			}
		}
	default:
		return nil, nil, fmt.Errorf("one of scales and sizes must be given")
	}
	return out, scale, nil
}

func inferResize(c *InferCtx) error {
	xt := c.In[0]
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	r := len(xt.Shape)
	idx := []int{0, 1, 2, 3}
	if c.Node.Opset < 11 {
		idx = []int{0, -1, 1, -1}
	}
	constOf := func(i int) *tensor.Tensor {
		if i < 0 || !c.Has(i) {
			return nil
		}
		t := c.Const(i)
		if t != nil && t.Len() == 0 {
			return nil
		}
		return t
	}
	unknownOut := func() error {
		out := make([]Dim, r)
		for i := range out {
			out[i] = Unknown()
		}
		c.Set(0, TensorOf(xt.Elem, out))
		return nil
	}
	var scales []float32
	var sizes []int64
	if t := constOf(idx[3]); t != nil {
		sizes = t.Int64sOf()
	} else if v, ok := c.Partial(idx[3]); ok && len(v) > 0 {
		// Sizes known in part: with the stretch policy each resized axis
		// takes its size.
		if c.Node.Opset >= 18 && c.Node.Str("keep_aspect_ratio_policy") != "stretch" {
			return unknownOut()
		}
		axes := c.Node.Ints("axes")
		if c.Node.Opset < 18 || axes == nil {
			axes = make([]int64, r)
			for i := range axes {
				axes[i] = int64(i)
			}
		}
		if len(axes) != len(v) {
			return fmt.Errorf("sizes has %d values, want %d", len(v), len(axes))
		}
		dims := append([]Dim{}, xt.Shape...)
		for j, a := range axes {
			i, err := NormAxis(a, r)
			if err != nil {
				return fmt.Errorf("axes: %v", err)
			}
			dims[i] = v[j].Dim()
		}
		c.Set(0, TensorOf(xt.Elem, dims))
		return nil
	} else if t := constOf(idx[2]); t != nil {
		scales = make([]float32, t.Len())
		for i := range scales {
			scales[i] = float32(t.Float64At(i))
		}
	} else {
		return unknownOut()
	}
	axes := c.Node.Ints("axes")
	if c.Node.Opset < 18 {
		axes = nil
	}
	policy := c.Node.Str("keep_aspect_ratio_policy")
	if c.Node.Opset < 18 {
		policy = "stretch"
	}
	out, _, err := ResizeTarget(nnDimSizes(xt.Shape), scales, sizes, axes, policy)
	if err != nil {
		return err
	}
	dims := nnSizeDims(out)
	for i := range dims {
		if out[i] < 0 && resizeKeepsAxis(axes, scales, i, r) {
			dims[i] = xt.Shape[i]
		}
	}
	c.Set(0, TensorOf(xt.Elem, dims))
	return nil
}

// resizeKeepsAxis reports whether Resize keeps axis i's size: it is not
// among the resized axes, or its scale is exactly 1.
func resizeKeepsAxis(axes []int64, scales []float32, i, r int) bool {
	pos := i
	if axes != nil {
		pos = -1
		for j, a := range axes {
			if int(a) == i || int(a)+r == i {
				pos = j
			}
		}
		if pos < 0 {
			return true
		}
	}
	return scales != nil && pos < len(scales) && scales[pos] == 1
}

func inferUpsample(c *InferCtx) error {
	xt := c.In[0]
	if !xt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	scales := c.Node.Floats("scales")
	if c.Node.Opset >= 9 || scales == nil {
		scales = nil
		if t := c.Const(1); t != nil {
			scales = make([]float32, t.Len())
			for i := range scales {
				scales[i] = float32(t.Float64At(i))
			}
		}
	}
	if scales == nil {
		out := make([]Dim, len(xt.Shape))
		for i := range out {
			out[i] = Unknown()
		}
		c.Set(0, TensorOf(xt.Elem, out))
		return nil
	}
	out, _, err := ResizeTarget(nnDimSizes(xt.Shape), scales, nil, nil, "stretch")
	if err != nil {
		return err
	}
	c.Set(0, TensorOf(xt.Elem, nnSizeDims(out)))
	return nil
}

func inferGridSample(c *InferCtx) error {
	xt, gt := c.In[0], c.In[1]
	if !xt.HasShape || !gt.HasShape {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	r := len(xt.Shape)
	if r < 3 || len(gt.Shape) != r {
		return fmt.Errorf("GridSample needs input and grid of the same rank >= 3, got %s and %s", xt, gt)
	}
	if last := gt.Shape[r-1]; last.IsKnown() && last.Size != int64(r-2) {
		return fmt.Errorf("grid's last dim is %d, want the number of spatial dims %d", last.Size, r-2)
	}
	out := append([]Dim{xt.Shape[0], xt.Shape[1]}, gt.Shape[1:r-1]...)
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}

func inferAffineGrid(c *InferCtx) error {
	tt := c.In[0]
	if s, ok := c.Partial(1); ok {
		if len(s) != 4 && len(s) != 5 {
			return fmt.Errorf("size must have 4 or 5 values (N, C, [D,] H, W), got %v", s)
		}
		out := []Dim{s[0].Dim()}
		for _, v := range s[2:] {
			out = append(out, v.Dim())
		}
		out = append(out, Known(int64(len(s)-2)))
		c.Set(0, TensorOf(tt.Elem, out))
		return nil
	}
	if st := c.In[1]; st.HasShape && len(st.Shape) == 1 && st.Shape[0].IsKnown() {
		n := int(st.Shape[0].Size)
		if n != 4 && n != 5 {
			return fmt.Errorf("size must have 4 or 5 values, got %d", n)
		}
		out := make([]Dim, n) // N, spatial..., coordinates
		for i := range out {
			out[i] = Unknown()
		}
		out[n-1] = Known(int64(n - 2))
		c.Set(0, TensorOf(tt.Elem, out))
		return nil
	}
	c.Set(0, UnrankedTensor(tt.Elem))
	return nil
}

func inferCol2Im(c *InferCtx) error {
	xt := c.In[0]
	img, blk := c.Const(1), c.Const(2)
	if xt.HasShape && len(xt.Shape) != 3 {
		return fmt.Errorf("Col2Im input must have rank 3 (N, C*prod(block), L), got %s", xt)
	}
	if img == nil {
		c.Set(0, UnrankedTensor(xt.Elem))
		return nil
	}
	is := img.Int64sOf()
	out := make([]Dim, 2+len(is))
	out[0], out[1] = Unknown(), Unknown()
	for i, v := range is {
		out[2+i] = Known(v)
	}
	if xt.HasShape {
		out[0] = xt.Shape[0]
		if blk != nil && xt.Shape[1].IsKnown() {
			p := int64(1)
			for _, b := range blk.Int64sOf() {
				p *= b
			}
			if p < 1 || xt.Shape[1].Size%p != 0 {
				return fmt.Errorf("input's dim 1 (%d) is not a multiple of the block size %d", xt.Shape[1].Size, p)
			}
			out[1] = Known(xt.Shape[1].Size / p)
		}
	}
	c.Set(0, TensorOf(xt.Elem, out))
	return nil
}
