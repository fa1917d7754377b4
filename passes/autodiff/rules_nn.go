package autodiff

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Gradient rules of the neural-network ops: convolutions and pooling.

// window is the geometry of a sliding-window node with its pads made
// explicit.
type window struct {
	kernel, strides, dilations, pads []int64
	nd                               int
}

// windowOf reads the window of node n over input x; kernel is the
// weight's spatial shape (nil for pooling). Pads set by auto_pad need the
// spatial sizes of x.
func windowOf(n *ir.Node, x *ir.Value, kernel []int64) (window, error) {
	r := x.Type.Rank()
	if r < 3 {
		return window{}, fmt.Errorf("%s gradient needs an input of known rank 3 or more, have %s", n.Op, x.Type)
	}
	w := ir.WindowFromNode(n, kernel)
	if w.Kernel == nil {
		return window{}, fmt.Errorf("%s gradient needs the kernel shape", n.Op)
	}
	if err := w.Normalize(r - 2); err != nil {
		return window{}, err
	}
	in := make([]int64, r-2)
	for i, d := range x.Type.Shape[2:] {
		in[i] = d.Size
		if !d.IsKnown() {
			in[i] = -1
			if w.AutoPad == "SAME_UPPER" || w.AutoPad == "SAME_LOWER" {
				return window{}, fmt.Errorf("%s gradient with auto_pad %s needs the spatial sizes", n.Op, w.AutoPad)
			}
		}
	}
	pads := w.Pads
	switch w.AutoPad {
	case "VALID":
		pads = make([]int64, 2*(r-2))
	case "SAME_UPPER", "SAME_LOWER":
		var err error
		if _, pads, err = w.Output(in); err != nil {
			return window{}, err
		}
	}
	return window{kernel: w.Kernel, strides: w.Strides, dilations: w.Dilations, pads: pads, nd: r - 2}, nil
}

func (w window) effective(i int) int64 { return (w.kernel[i]-1)*w.dilations[i] + 1 }

// spatialSizes returns the spatial sizes of v, -1 where unknown.
func spatialSizes(v *ir.Value) []int64 {
	if v.Type.Rank() < 3 {
		return nil
	}
	var s []int64
	for _, d := range v.Type.Shape[2:] {
		if d.IsKnown() {
			s = append(s, d.Size)
		} else {
			s = append(s, -1)
		}
	}
	return s
}

// cropTo slices the spatial dims of v down to those of like.
func (b *Builder) cropTo(v, like *ir.Value, nd int) *ir.Value {
	zeros := make([]int64, nd)
	return b.Op("Slice", []*ir.Value{v, b.Ints(zeros...), b.shapeTail(like, 2), b.Ints(rangeAxes(2, 2+nd)...)})
}

// transposeWindow emits the adjoint of a strided window (a ConvTranspose
// of dy with weight w) whose spatial output must match that of like:
// output padding makes it exact when the sizes are known, a crop
// otherwise. in and out are the spatial sizes of like and dy, -1 where
// unknown.
func (b *Builder) transposeWindow(dy, w *ir.Value, win window, group int64, like *ir.Value, in, out []int64) *ir.Value {
	op := make([]int64, win.nd)
	crop := false
	for i := range op {
		if len(in) != win.nd || len(out) != win.nd || in[i] < 0 || out[i] < 0 {
			op[i] = win.strides[i] - 1
			crop = true
			continue
		}
		full := win.strides[i]*(out[i]-1) + win.effective(i) - win.pads[i] - win.pads[win.nd+i]
		switch d := in[i] - full; {
		case d < 0:
			crop = true
		case d < win.strides[i] || d < win.dilations[i]:
			op[i] = d
		default:
			op[i] = win.strides[i] - 1
			crop = true
		}
	}
	g := b.Op("ConvTranspose", []*ir.Value{dy, w},
		ir.AInts("strides", win.strides...), ir.AInts("dilations", win.dilations...), ir.AInts("pads", win.pads...),
		ir.AInts("kernel_shape", win.kernel...), ir.AInts("output_padding", op...), ir.AInt("group", group))
	if crop {
		g = b.cropTo(g, like, win.nd)
	}
	return g
}

// weightGrad returns the gradient of a convolution's weight,
// dW[m, c, k] = Σ_{n, o} x_pad[n, g·Cg + c, o·s + k·d] · dy[n, m, o], as a
// convolution of x (batch and channels swapped) with dy (likewise), the
// roles of strides and dilations exchanged. cg is the number of input
// channels per group, which the caller knows from the weight.
func (b *Builder) weightGrad(x, dy *ir.Value, win window, group, cg int64) *ir.Value {
	perm := make([]int64, win.nd+2)
	for i := range perm {
		perm[i] = int64(i)
	}
	perm[0], perm[1] = 1, 0
	var xs *ir.Value
	if group == 1 {
		xs = b.Op("Transpose", []*ir.Value{x}, ir.AInts("perm", perm...))
	} else {
		// [N, C, S...] -> [N, g, Cg, ΠS] -> [Cg, g, N, ΠS] -> [Cg, g·N, S...]
		split := b.Op("Reshape", []*ir.Value{x, b.Ints(0, group, cg, -1)})
		t := b.Op("Transpose", []*ir.Value{split}, ir.AInts("perm", 2, 1, 0, 3))
		shape := b.Op("Concat", []*ir.Value{b.Ints(cg, -1), b.shapeTail(x, 2)}, ir.AInt("axis", 0))
		xs = b.Op("Reshape", []*ir.Value{t, shape})
	}
	ws := b.Op("Transpose", []*ir.Value{dy}, ir.AInts("perm", perm...))
	g := b.Op("Conv", []*ir.Value{xs, ws},
		ir.AInts("strides", win.dilations...), ir.AInts("dilations", win.strides...), ir.AInts("pads", win.pads...),
		ir.AInt("group", group))
	// The correlation may run past the kernel where strides leave input
	// over; keep the kernel's extent.
	zeros := make([]int64, win.nd)
	g = b.Op("Slice", []*ir.Value{g, b.Ints(zeros...), b.Ints(win.kernel...), b.Ints(rangeAxes(2, 2+win.nd)...)})
	return b.Op("Transpose", []*ir.Value{g}, ir.AInts("perm", perm...))
}

// biasGrad sums dy over every axis but the channels.
func (b *Builder) biasGrad(dy *ir.Value, r int) *ir.Value {
	return b.reduce("ReduceSum", dy, append([]int64{0}, rangeAxes(2, r)...), false)
}

// weightGeometry returns the kernel's spatial shape (from kernel_shape or
// the weight) and, for grouped convolutions, the weight's second dim.
func weightGeometry(n *ir.Node, w *ir.Value, group int64) (kernel []int64, cg int64, err error) {
	kernel = n.Ints("kernel_shape")
	r := w.Type.Rank()
	if r < 3 {
		return nil, 0, fmt.Errorf("%s gradient needs the weight's rank, have %s", n.Op, w.Type)
	}
	if kernel == nil {
		for _, d := range w.Type.Shape[2:] {
			if !d.IsKnown() {
				return nil, 0, fmt.Errorf("%s gradient needs the kernel shape: kernel_shape or the weight's spatial dims (%s)", n.Op, w.Type)
			}
			kernel = append(kernel, d.Size)
		}
	}
	if group != 1 {
		d := w.Type.Shape[1]
		if !d.IsKnown() {
			return nil, 0, fmt.Errorf("%s gradient with groups needs the weight's second dim (%s)", n.Op, w.Type)
		}
		cg = d.Size
	}
	return kernel, cg, nil
}

func convRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, w := n.Inputs[0], n.Inputs[1]
	bias := n.Input(2)
	group := n.Int("group")
	kernel, cg, err := weightGeometry(n, w, group)
	if err != nil {
		return nil, err
	}
	win, err := windowOf(n, x, kernel)
	if err != nil {
		return nil, err
	}
	out := make([]*ir.Value, len(n.Inputs))
	if wants(x) {
		out[0] = b.transposeWindow(dy[0], w, win, group, x, spatialSizes(x), spatialSizes(n.Outputs[0]))
	}
	if wants(w) {
		out[1] = b.weightGrad(x, dy[0], win, group, cg)
	}
	if wants(bias) {
		out[2] = b.biasGrad(dy[0], win.nd+2)
	}
	return out, nil
}

func convTransposeRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, w := n.Inputs[0], n.Inputs[1]
	bias := n.Input(2)
	group := n.Int("group")
	kernel, cg, err := weightGeometry(n, w, group)
	if err != nil {
		return nil, err
	}
	r := x.Type.Rank()
	if r < 3 {
		return nil, fmt.Errorf("ConvTranspose gradient needs an input of known rank 3 or more, have %s", x.Type)
	}
	wn := ir.WindowFromNode(n, kernel)
	if err := wn.Normalize(r - 2); err != nil {
		return nil, err
	}
	pads := wn.Pads
	if wn.AutoPad == "VALID" && !n.HasAttr("output_shape") {
		pads = make([]int64, 2*(r-2))
	} else if wn.AutoPad != "NOTSET" || n.HasAttr("output_shape") {
		in := spatialSizes(x)
		for _, s := range in {
			if s < 0 {
				return nil, fmt.Errorf("ConvTranspose gradient with auto_pad or output_shape needs the spatial sizes")
			}
		}
		var err error
		if _, pads, err = ir.ConvTransposeOutput(in, wn, n.Ints("output_padding"), n.Ints("output_shape")); err != nil {
			return nil, err
		}
	}
	win := window{kernel: wn.Kernel, strides: wn.Strides, dilations: wn.Dilations, pads: pads, nd: r - 2}
	out := make([]*ir.Value, len(n.Inputs))
	if wants(x) {
		// The adjoint of a transposed convolution is the convolution.
		g := b.Op("Conv", []*ir.Value{dy[0], w},
			ir.AInts("strides", win.strides...), ir.AInts("dilations", win.dilations...), ir.AInts("pads", win.pads...),
			ir.AInts("kernel_shape", win.kernel...), ir.AInt("group", group))
		in, have := spatialSizes(x), spatialSizes(n.Outputs[0])
		exact := true
		for i := range in {
			o := have[i]
			if o < 0 || in[i] < 0 || (o+pads[i]+pads[win.nd+i]-win.effective(i))/win.strides[i]+1 != in[i] {
				exact = false
			}
		}
		if !exact {
			g = b.cropTo(g, x, win.nd)
		}
		out[0] = g
	}
	if wants(w) {
		// dW[c, o, k] = Σ x[n, c, i]·dy_pad[n, g·Og + o, i·s + k·d]: the
		// weight gradient of a convolution of dy by x.
		out[1] = b.weightGrad(dy[0], x, win, group, cg)
	}
	if wants(bias) {
		out[2] = b.biasGrad(dy[0], r)
	}
	return out, nil
}

// maxPoolRule sends each output's gradient to the element its maximum came
// from, by the Indices output (recomputed when the node leaves it out).
func maxPoolRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	if !wants(x) || dy[0] == nil {
		return []*ir.Value{nil}, nil
	}
	if n.Int("storage_order") != 0 {
		return nil, fmt.Errorf("MaxPool gradient with storage_order 1 is not implemented")
	}
	var idx *ir.Value
	if len(n.Outputs) > 1 && n.Outputs[1] != nil {
		idx = n.Outputs[1]
	} else {
		outs, err := b.replay(n, []*ir.Value{x}, 2)
		if err != nil {
			return nil, err
		}
		idx = outs[1]
	}
	g, err := b.route(x, idx, dy[0], true, false)
	if err != nil {
		return nil, err
	}
	return []*ir.Value{g}, nil
}

// averagePoolRule: each output is a window sum divided by a count; the
// counts come from the same window summing a padded image of ones, and
// the sums' adjoint is a transposed convolution with a kernel of ones,
// run on batch and channels folded into one axis.
func averagePoolRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x := n.Inputs[0]
	if !wants(x) {
		return []*ir.Value{nil}, nil
	}
	if b.opset < 11 {
		return nil, fmt.Errorf("AveragePool gradient needs opset 11 or later")
	}
	win, err := windowOf(n, x, nil)
	if err != nil {
		return nil, err
	}
	nd := win.nd
	ones := tensor.New(elemOf(x), 1)
	ones.SetFloat64At(0, 1)
	kernel := b.onesKernel(win, x)

	// Counts: a [1, 1, S...] image of ones, padded with ones (pads
	// counted) or zeros, and with zeros past the end when ceil_mode lets
	// windows run off.
	img := b.Op("ConstantOfShape", []*ir.Value{b.Op("Concat", []*ir.Value{b.Ints(1, 1), b.shapeTail(x, 2)}, ir.AInt("axis", 0))},
		ir.ATensor("value", ones))
	pads := make([]int64, 2*(nd+2))
	for i := 0; i < nd; i++ {
		pads[2+i], pads[nd+4+i] = win.pads[i], win.pads[nd+i]
	}
	fill := b.Scalar(0, x)
	if n.Int("count_include_pad") != 0 {
		fill = b.Scalar(1, x)
	}
	img = b.Op("Pad", []*ir.Value{img, b.Ints(pads...), fill})
	if n.Int("ceil_mode") != 0 {
		extra := make([]int64, 2*(nd+2))
		for i := 0; i < nd; i++ {
			extra[nd+4+i] = win.strides[i] - 1
		}
		img = b.Op("Pad", []*ir.Value{img, b.Ints(extra...), b.Scalar(0, x)})
	}
	count := b.Op("Conv", []*ir.Value{img, kernel}, ir.AInts("strides", win.strides...), ir.AInts("dilations", win.dilations...))
	count = b.cropTo(count, dy[0], nd)

	return []*ir.Value{b.windowAdjoint(b.div(dy[0], count), kernel, win, x, n.Outputs[0])}, nil
}

// windowAdjoint returns, for each element of x, the sum of g over the
// windows of a pooling node that cover it: a transposed convolution with
// a kernel of ones, on batch and channels folded into one axis. y is the
// pooling output (for its sizes).
func (b *Builder) windowAdjoint(g, kernel *ir.Value, win window, x, y *ir.Value) *ir.Value {
	folded := b.Op("Reshape", []*ir.Value{g, b.Op("Concat", []*ir.Value{b.Ints(-1, 1), b.shapeTail(g, 2)}, ir.AInt("axis", 0))})
	dx := b.transposeWindow(folded, kernel, win, 1, x, spatialSizes(x), spatialSizes(y))
	return b.reshapeLike(dx, x)
}

// onesKernel returns a [1, 1, k...] kernel of ones in the type of x.
func (b *Builder) onesKernel(win window, x *ir.Value) *ir.Value {
	shape := []int{1, 1}
	for _, k := range win.kernel {
		shape = append(shape, int(k))
	}
	t := tensor.New(elemOf(x), shape...)
	for i := 0; i < t.Len(); i++ {
		t.SetFloat64At(i, 1)
	}
	return b.Const(t)
}

// lpPoolRule: y = (Σ_window |x|^p)^(1/p), so dx = sign(x)·|x|^(p-1) times
// the window adjoint of dy·y^(1-p) (0 where y is 0).
func lpPoolRule(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !wants(x) {
		return []*ir.Value{nil}, nil
	}
	if b.opset < 11 {
		return nil, fmt.Errorf("LpPool gradient needs opset 11 or later")
	}
	win, err := windowOf(n, x, nil)
	if err != nil {
		return nil, err
	}
	p := 2.0
	if a := n.Attr("p"); a != nil {
		if a.Type == ir.AttrFloat {
			p = float64(a.F)
		} else {
			p = float64(a.I)
		}
	}
	zero := b.Op("Equal", []*ir.Value{y, b.Scalar(0, y)})
	safe := b.Op("Where", []*ir.Value{zero, b.Scalar(1, y), y})
	g := b.Op("Where", []*ir.Value{zero, b.Scalar(0, y), b.mul(dy[0], b.Op("Pow", []*ir.Value{safe, b.Scalar(1-p, y)}))})
	adj := b.windowAdjoint(g, b.onesKernel(win, x), win, x, y)
	local := b.mul(b.fn("Sign", x), b.Op("Pow", []*ir.Value{b.fn("Abs", x), b.Scalar(p-1, x)}))
	return []*ir.Value{b.mul(local, adj)}, nil
}

func init() {
	register(map[string]Rule{
		":Conv":          convRule,
		":ConvTranspose": convTransposeRule,
		":MaxPool":       maxPoolRule,
		":AveragePool":   averagePoolRule,
		":LpPool":        lpPoolRule,
		":GlobalAveragePool": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			x, y := n.Inputs[0], n.Outputs[0]
			return []*ir.Value{b.div(b.expandLike(dy[0], x), b.ratio(x, y, x))}, nil
		},
		":GlobalMaxPool": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			x, y := n.Inputs[0], n.Outputs[0]
			r := x.Type.Rank()
			if r < 0 {
				return nil, fmt.Errorf("GlobalMaxPool gradient needs the input rank")
			}
			m := b.mask(b.Op("Equal", []*ir.Value{x, y}), x)
			count := b.reduce("ReduceSum", m, rangeAxes(2, r), true)
			return []*ir.Value{b.mul(b.div(dy[0], count), m)}, nil
		},
		":GlobalLpPool": func(b *Builder, n *ir.Node, dy []*ir.Value) ([]*ir.Value, error) {
			// y = (Σ|x|^p)^(1/p): dx = sign(x)·|x|^(p-1)·y^(1-p)·dy.
			x, y := n.Inputs[0], n.Outputs[0]
			p := float64(n.Int("p"))
			ax := b.fn("Abs", x)
			d := b.mul(b.fn("Sign", x), b.Op("Pow", []*ir.Value{ax, b.Scalar(p-1, x)}))
			d = b.mul(d, b.Op("Pow", []*ir.Value{y, b.Scalar(1-p, y)}))
			return []*ir.Value{b.mul(d, dy[0])}, nil
		},
	})
}
