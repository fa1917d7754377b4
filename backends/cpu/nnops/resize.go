package nnops

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		def("Resize", resizeKernel),
		def("Upsample", upsampleKernel),
	)
}

// resizeOpts are the attributes of one Resize, normalized across opsets.
type resizeOpts struct {
	mode        string // nearest, linear, cubic
	coord       string // coordinate_transformation_mode
	nearest     string // nearest_mode, or "simple" (opset 10 and Upsample)
	cubicA      float64
	exclude     bool
	extrap      float64
	antialias   bool
	roi         []float64 // starts then ends, one per axis of the input
	scale       []float64
	in, out     []int
	linearNames bool // accept "bilinear"/"trilinear" spellings
}

// axisTaps holds, for each output coordinate along one axis, the input
// indices and weights it reads; extrap marks coordinates that take the
// extrapolation value instead.
type axisTaps struct {
	n      int // taps per output coordinate
	idx    []int
	w      []float64
	extrap []bool
}

func resizeKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	present := func(i int) *tensor.Tensor {
		if t := at(in, i); t != nil && t.Len() > 0 {
			return t
		}
		return nil
	}
	var roiT, scalesT, sizesT *tensor.Tensor
	if c.Opset < 11 {
		scalesT = present(1)
		if scalesT == nil {
			return nil, fmt.Errorf("Resize-10 needs the scales input")
		}
	} else {
		roiT, scalesT, sizesT = present(1), present(2), present(3)
	}
	if scalesT != nil && sizesT != nil {
		return nil, fmt.Errorf("only one of scales and sizes may be given")
	}
	if scalesT == nil && sizesT == nil {
		return nil, fmt.Errorf("one of scales and sizes must be given")
	}
	var axes []int64
	policy := "stretch"
	o := &resizeOpts{mode: c.Str("mode"), coord: "asymmetric", nearest: "simple", cubicA: -0.75}
	if c.Opset >= 11 {
		o.coord = c.Str("coordinate_transformation_mode")
		o.nearest = c.Str("nearest_mode")
		o.cubicA = float64(c.Float("cubic_coeff_a"))
		o.exclude = c.Int("exclude_outside") != 0
		o.extrap = float64(c.Float("extrapolation_value"))
	}
	if c.Opset >= 18 {
		axes = c.Ints("axes")
		policy = c.Str("keep_aspect_ratio_policy")
		o.antialias = c.Int("antialias") != 0
	}
	var scales []float32
	var sizes []int64
	if scalesT != nil {
		scales = make([]float32, scalesT.Len())
		for i := range scales {
			scales[i] = float32(scalesT.Float64At(i))
		}
	} else {
		sizes = sizesT.Int64sOf()
	}
	out, scale, err := ir.ResizeTarget(toInt64s(x.Shape()), scales, sizes, axes, policy)
	if err != nil {
		return nil, err
	}
	o.in, o.out, o.scale = x.Shape(), kernels.ToInts(out), scale
	if o.coord == "tf_crop_and_resize" {
		if roiT == nil {
			return nil, fmt.Errorf("coordinate_transformation_mode tf_crop_and_resize needs the roi input")
		}
		if o.roi, err = expandRoi(roiT, axes, x.Rank()); err != nil {
			return nil, err
		}
	}
	return resize(x, o)
}

// expandRoi returns the roi as starts then ends for every axis, filling
// axes outside the axes attribute with [0, 1].
func expandRoi(t *tensor.Tensor, axes []int64, r int) ([]float64, error) {
	vals := make([]float64, t.Len())
	for i := range vals {
		vals[i] = t.Float64At(i)
	}
	if axes == nil {
		if len(vals) != 2*r {
			return nil, fmt.Errorf("roi has %d values, want 2 x rank = %d", len(vals), 2*r)
		}
		return vals, nil
	}
	if len(vals) != 2*len(axes) {
		return nil, fmt.Errorf("roi has %d values, want 2 x len(axes) = %d", len(vals), 2*len(axes))
	}
	roi := make([]float64, 2*r)
	for i := 0; i < r; i++ {
		roi[r+i] = 1
	}
	for j, a := range axes {
		i, err := ir.NormAxis(a, r)
		if err != nil {
			return nil, err
		}
		roi[i], roi[r+i] = vals[j], vals[len(axes)+j]
	}
	return roi, nil
}

func upsampleKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	var scales []float32
	if c.Opset >= 9 {
		st := at(in, 1)
		if st == nil {
			return nil, fmt.Errorf("Upsample needs the scales input")
		}
		scales = make([]float32, st.Len())
		for i := range scales {
			scales[i] = float32(st.Float64At(i))
		}
	} else {
		scales = c.Floats("scales")
		if scales == nil {
			return nil, fmt.Errorf("Upsample needs the scales attribute")
		}
	}
	if len(scales) != x.Rank() {
		return nil, fmt.Errorf("scales has %d values, want one per input dim (%d)", len(scales), x.Rank())
	}
	for _, s := range scales {
		if s < 1 {
			return nil, fmt.Errorf("scales %v: Upsample scales must be at least 1", scales)
		}
	}
	out, scale, err := ir.ResizeTarget(toInt64s(x.Shape()), scales, nil, nil, "stretch")
	if err != nil {
		return nil, err
	}
	o := &resizeOpts{mode: c.Str("mode"), coord: "asymmetric", nearest: "simple", cubicA: -0.75,
		in: x.Shape(), out: kernels.ToInts(out), scale: scale, linearNames: true}
	return resize(x, o)
}

func resize(x *tensor.Tensor, o *resizeOpts) ([]*tensor.Tensor, error) {
	switch o.mode {
	case "nearest", "linear", "cubic":
	case "bilinear", "trilinear":
		if !o.linearNames {
			return nil, fmt.Errorf("unknown mode %q (want nearest, linear or cubic)", o.mode)
		}
		o.mode = "linear"
	default:
		return nil, fmt.Errorf("unknown mode %q (want nearest, linear or cubic)", o.mode)
	}
	switch o.coord {
	case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
		"tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return nil, fmt.Errorf("unknown coordinate_transformation_mode %q", o.coord)
	}
	switch o.nearest {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple":
	default:
		return nil, fmt.Errorf("unknown nearest_mode %q", o.nearest)
	}
	if err := tensor.CheckSize(x.DType(), o.out); err != nil {
		return nil, err
	}
	r := x.Rank()
	taps := make([]*axisTaps, r)
	anyExtrap := false
	for i := 0; i < r; i++ {
		if o.in[i] == 0 && o.out[i] > 0 {
			return nil, fmt.Errorf("cannot resize the empty axis %d", i)
		}
		t, err := o.axis(i)
		if err != nil {
			return nil, err
		}
		if t != nil {
			for _, e := range t.extrap {
				anyExtrap = anyExtrap || e
			}
		}
		taps[i] = t
	}
	if o.mode == "nearest" && !anyExtrap {
		return []*tensor.Tensor{resizeGather(x, taps, o.out)}, nil
	}
	if !x.DType().IsFloat() && !x.DType().IsInt() {
		return nil, fmt.Errorf("%s interpolation does not support %s", o.mode, x.DType())
	}
	if useF64(x.DType()) || x.DType().IsInt() {
		return []*tensor.Tensor{resizeFloat[float64](x, taps, o)}, nil
	}
	return []*tensor.Tensor{resizeFloat[float32](x, taps, o)}, nil
}

// axis computes the taps of axis i, or nil when the axis is unchanged.
func (o *resizeOpts) axis(i int) (*axisTaps, error) {
	in, out, s := o.in[i], o.out[i], o.scale[i]
	r := len(o.in)
	if in == out && s == 1 && (o.coord != "tf_crop_and_resize" || (o.roi[i] == 0 && o.roi[r+i] == 1)) {
		return nil, nil
	}
	// The reference computes with the real-valued resized length
	// scale*in, not the rounded output size.
	outF := s * float64(in)
	if math.Abs(outF-float64(out)) < 1e-9*float64(out) {
		outF = float64(out) // sizes given: s is out/in up to rounding
	}
	t := &axisTaps{extrap: make([]bool, out)}
	var coeffs func(ratio float64) (start int, w []float64)
	switch o.mode {
	case "nearest":
		t.n = 1
	case "linear":
		coeffs = linearCoeffs(s, o.antialias)
	case "cubic":
		coeffs = cubicCoeffs(s, o.antialias, o.cubicA)
	}
	for x := 0; x < out; x++ {
		xf := float64(x)
		var xo float64
		switch o.coord {
		case "half_pixel":
			xo = (xf+0.5)/s - 0.5
		case "half_pixel_symmetric":
			adj := float64(out) / outF
			center := float64(in) / 2
			xo = center*(1-adj) + (xf+0.5)/s - 0.5
		case "pytorch_half_pixel":
			if out > 1 {
				xo = (xf+0.5)/s - 0.5
			}
		case "align_corners":
			if outF != 1 {
				xo = xf * float64(in-1) / (outF - 1)
			}
		case "asymmetric":
			xo = xf / s
		case "tf_half_pixel_for_nn":
			xo = (xf + 0.5) / s
		case "tf_crop_and_resize":
			start, end := o.roi[i], o.roi[r+i]
			if outF != 1 {
				xo = start*float64(in-1) + xf*(end-start)*float64(in-1)/(outF-1)
			} else {
				xo = 0.5 * (start + end) * float64(in-1)
			}
			if xo < 0 || xo > float64(in-1) {
				t.extrap[x] = true
			}
		}
		if o.mode == "nearest" {
			t.idx = append(t.idx, clampInt(nearestIndex(xo, o.nearest, s), 0, in-1))
			t.w = append(t.w, 1)
			continue
		}
		// base and ratio in (0, 1]: an integral position leans on the
		// pixel to its left, as the reference does.
		base := int(math.Ceil(xo)) - 1
		ratio := xo - float64(base)
		start, w := coeffs(ratio)
		if t.n == 0 {
			t.n = len(w)
		}
		sum := 0.0
		for k := range w {
			j := base + start + k
			if o.exclude && (j < 0 || j >= in) {
				w[k] = 0
			}
			sum += w[k]
			t.idx = append(t.idx, clampInt(j, 0, in-1))
		}
		if o.exclude && sum != 0 {
			for k := range w {
				w[k] /= sum
			}
		}
		t.w = append(t.w, w...)
	}
	return t, nil
}

func clampInt(v, lo, hi int) int { return max(lo, min(hi, v)) }

// nearestIndex rounds a source coordinate to a pixel index.
func nearestIndex(xo float64, mode string, scale float64) int {
	f := math.Floor(xo)
	if xo == f {
		return int(f)
	}
	r := xo - f
	switch mode {
	case "round_prefer_floor":
		if r <= 0.5 {
			return int(f)
		}
		return int(f) + 1
	case "round_prefer_ceil":
		if r < 0.5 {
			return int(f)
		}
		return int(f) + 1
	case "floor":
		return int(f)
	case "ceil":
		return int(f) + 1
	}
	// simple: floor when upsampling, ceil when downsampling.
	if scale < 1 {
		return int(f) + 1
	}
	return int(f)
}

// linearCoeffs returns the linear interpolation weights around a position
// ratio past pixel base: taps base+start, base+start+1, ... With
// antialias and a downscale the triangle filter widens by 1/scale.
func linearCoeffs(scale float64, antialias bool) func(float64) (int, []float64) {
	if !antialias || scale >= 1 {
		return func(r float64) (int, []float64) { return 0, []float64{1 - r, r} }
	}
	start := int(math.Floor(-1/scale)) + 1
	n := 2 - 2*start
	return func(r float64) (int, []float64) {
		w := make([]float64, n)
		sum := 0.0
		for k := range w {
			v := 1 - math.Abs((float64(start+k)-r)*scale)
			w[k] = math.Max(0, math.Min(1, v))
			sum += w[k]
		}
		for k := range w {
			w[k] /= sum
		}
		return start, w
	}
}

// cubicKernel is the cubic convolution kernel with parameter a.
func cubicKernel(x, a float64) float64 {
	x = math.Abs(x)
	switch {
	case x <= 1:
		return ((a+2)*x-(a+3))*x*x + 1
	case x < 2:
		return ((a*x-5*a)*x+8*a)*x - 4*a
	}
	return 0
}

// cubicCoeffs returns the cubic interpolation weights around ratio past
// pixel base, widened by 1/scale and normalized with antialias.
func cubicCoeffs(scale float64, antialias bool, a float64) func(float64) (int, []float64) {
	if !antialias || scale >= 1 {
		return func(r float64) (int, []float64) {
			return -1, []float64{cubicKernel(r+1, a), cubicKernel(r, a), cubicKernel(1-r, a), cubicKernel(2-r, a)}
		}
	}
	start := int(math.Floor(-2/scale)) + 1
	n := 2 - 2*start
	return func(r float64) (int, []float64) {
		w := make([]float64, n)
		sum := 0.0
		for k := range w {
			w[k] = cubicKernel((float64(start+k)-r)*scale, a)
			sum += w[k]
		}
		for k := range w {
			w[k] /= sum
		}
		return start, w
	}
}

// resizeGather resizes by copying whole elements (nearest mode), for
// every element type.
func resizeGather(x *tensor.Tensor, taps []*axisTaps, out []int) *tensor.Tensor {
	r := x.Rank()
	n := prod(out)
	idx := make([]int, n)
	inStr := tensor.Strides(x.Shape())
	// Per-axis source offsets for each output coordinate.
	offs := make([][]int, r)
	for d := 0; d < r; d++ {
		offs[d] = make([]int, out[d])
		for j := range offs[d] {
			src := j
			if taps[d] != nil {
				src = taps[d].idx[j]
			}
			offs[d][j] = src * inStr[d]
		}
	}
	cur := make([]int, r)
	for k := 0; k < n; k++ {
		off := 0
		for d := 0; d < r; d++ {
			off += offs[d][cur[d]]
		}
		idx[k] = off
		for d := r - 1; d >= 0; d-- {
			cur[d]++
			if cur[d] < out[d] {
				break
			}
			cur[d] = 0
		}
	}
	return kernels.Gather(x, idx, out)
}

// resizeFloat interpolates one axis at a time, shrinking axes first.
func resizeFloat[F Float](x *tensor.Tensor, taps []*axisTaps, o *resizeOpts) *tensor.Tensor {
	r := x.Rank()
	cur := append([]int{}, o.in...)
	data := floatsOf[F](x)
	order := make([]int, 0, r)
	for d := 0; d < r; d++ {
		if taps[d] != nil {
			order = append(order, d)
		}
	}
	sort.SliceStable(order, func(a, b int) bool {
		return float64(o.out[order[a]])/float64(o.in[order[a]]) < float64(o.out[order[b]])/float64(o.in[order[b]])
	})
	ex := F(o.extrap)
	for _, d := range order {
		t := taps[d]
		outer := prod(cur[:d])
		inner := prod(cur[d+1:])
		nin, nout := cur[d], o.out[d]
		next := make([]F, outer*nout*inner)
		parallel(outer, func(ob int) {
			src := data[ob*nin*inner : (ob+1)*nin*inner]
			dst := next[ob*nout*inner : (ob+1)*nout*inner]
			for j := 0; j < nout; j++ {
				row := dst[j*inner : (j+1)*inner]
				if t.extrap[j] {
					for i := range row {
						row[i] = ex
					}
					continue
				}
				for k := 0; k < t.n; k++ {
					w := F(t.w[j*t.n+k])
					if w == 0 {
						continue
					}
					s := src[t.idx[j*t.n+k]*inner : (t.idx[j*t.n+k]+1)*inner]
					for i, v := range s {
						row[i] += w * v
					}
				}
			}
		})
		data = next
		cur[d] = nout
	}
	res := tensor.New(x.DType(), o.out...)
	switch {
	case x.DType().IsInt():
		lo, hi := intRange(x.DType())
		for i, v := range data {
			res.SetFloat64At(i, math.Max(lo, math.Min(hi, math.RoundToEven(float64(v)))))
		}
	default:
		ob := &outFloats[F]{t: res, data: data}
		if o := newOutView[F](res); o != nil {
			copy(o, data)
			return res
		}
		return ob.finish()
	}
	return res
}

// newOutView returns res's buffer as []F when res holds F, else nil.
func newOutView[F Float](res *tensor.Tensor) []F {
	var z F
	switch any(z).(type) {
	case float32:
		if res.DType() == tensor.Float32 {
			return any(tensor.Data[float32](res)).([]F)
		}
	case float64:
		if res.DType() == tensor.Float64 {
			return any(tensor.Data[float64](res)).([]F)
		}
	}
	return nil
}

// intRange returns the range of an integer element type.
func intRange(dt tensor.DType) (float64, float64) {
	bits := dt.Bits()
	if dt.IsSigned() {
		return -math.Ldexp(1, bits-1), math.Ldexp(1, bits-1) - 1
	}
	return 0, math.Ldexp(1, bits) - 1
}
