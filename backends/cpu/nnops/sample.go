package nnops

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		def("GridSample", gridSampleKernel),
		def("AffineGrid", affineGridKernel),
		def("RoiAlign", roiAlignKernel),
	)
}

// gridSampler holds GridSample's settings for one spatial geometry.
type gridSampler struct {
	dims    []int
	mode    string // nearest, linear, cubic
	padding string // zeros, border, reflection
	align   bool
	lo, hi  []float64 // the reflection borders of each dim
}

func gridSampleKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, grid := in[0], in[1]
	r := x.Rank()
	if r < 3 {
		return nil, fmt.Errorf("input must have rank at least 3 (N, C, spatial...), got shape %v", x.Shape())
	}
	nd := r - 2
	if grid.Rank() != r || grid.Dim(0) != x.Dim(0) || grid.Dim(r-1) != nd {
		return nil, fmt.Errorf("grid shape %v must be [N=%d, output spatial..., %d]", grid.Shape(), x.Dim(0), nd)
	}
	if !x.DType().IsFloat() && !x.DType().IsInt() {
		return nil, fmt.Errorf("GridSample does not support %s", x.DType())
	}
	s := &gridSampler{dims: x.Shape()[2:], mode: c.Str("mode"), padding: c.Str("padding_mode"), align: c.Int("align_corners") != 0}
	switch s.mode {
	case "bilinear":
		s.mode = "linear"
	case "bicubic":
		s.mode = "cubic"
	case "linear", "nearest", "cubic":
	default:
		return nil, fmt.Errorf("unknown mode %q (want linear, nearest or cubic)", s.mode)
	}
	switch s.padding {
	case "zeros", "border", "reflection":
	default:
		return nil, fmt.Errorf("unknown padding_mode %q (want zeros, border or reflection)", s.padding)
	}
	for _, d := range s.dims {
		if d == 0 {
			return nil, fmt.Errorf("cannot sample an input with an empty spatial dim: shape %v", x.Shape())
		}
	}
	s.lo, s.hi = make([]float64, nd), make([]float64, nd)
	for i, d := range s.dims {
		if s.align {
			s.lo[i], s.hi[i] = 0, float64(d-1)
		} else {
			s.lo[i], s.hi[i] = -0.5, float64(d)-0.5
		}
	}
	n, ch := x.Dim(0), x.Dim(1)
	outSp := grid.Shape()[1 : r-1]
	shape := append([]int{n, ch}, outSp...)
	o, err := newOut[float64](x.DType(), shape)
	if err != nil {
		return nil, err
	}
	xf, gf := floatsOf[float64](x), floatsOf[float64](grid)
	P, inPlane := prod(outSp), prod(s.dims)
	parallel(n, func(ni int) {
		pos := make([]float64, nd)
		idx := make([][]int, nd)
		wts := make([][]float64, nd)
		for p := 0; p < P; p++ {
			g := gf[(ni*P+p)*nd : (ni*P+p+1)*nd]
			for d := 0; d < nd; d++ {
				// The grid lists x (the last dim) first.
				pos[d] = s.denormalize(g[nd-1-d], d)
			}
			s.taps(pos, idx, wts)
			for ci := 0; ci < ch; ci++ {
				o.data[(ni*ch+ci)*P+p] = gatherTaps(xf[(ni*ch+ci)*inPlane:(ni*ch+ci+1)*inPlane], s.dims, idx, wts)
			}
		}
	})
	res := o.finish()
	return []*tensor.Tensor{res}, nil
}

func (s *gridSampler) denormalize(v float64, d int) float64 {
	size := float64(s.dims[d])
	if s.align {
		return (v + 1) / 2 * (size - 1)
	}
	return ((v+1)*size - 1) / 2
}

// reflect folds v into [lo, hi] by mirroring at the borders.
func reflect(v, lo, hi float64) float64 {
	rng := hi - lo
	if rng <= 0 {
		return lo
	}
	if v < lo {
		dx := lo - v
		n := math.Floor(dx / rng)
		r := dx - n*rng
		if math.Mod(n, 2) == 0 {
			return lo + r
		}
		return hi - r
	}
	if v > hi {
		dx := v - hi
		n := math.Floor(dx / rng)
		r := dx - n*rng
		if math.Mod(n, 2) == 0 {
			return hi - r
		}
		return lo + r
	}
	return v
}

// pixel maps an integer tap index along dim d through the padding mode;
// -1 means the tap reads zero.
func (s *gridSampler) pixel(i, d int) int {
	size := s.dims[d]
	if i >= 0 && i < size {
		return i
	}
	switch s.padding {
	case "border":
		return clampInt(i, 0, size-1)
	case "reflection":
		return clampInt(int(reflect(float64(i), s.lo[d], s.hi[d])), 0, size-1)
	}
	return -1
}

// taps fills, for each dim, the tap indices and weights for sampling at pos.
func (s *gridSampler) taps(pos []float64, idx [][]int, wts [][]float64) {
	for d, v := range pos {
		if s.mode == "nearest" {
			v = math.RoundToEven(v)
		}
		if v < s.lo[d] || v > s.hi[d] {
			switch s.padding {
			case "border":
				v = math.Max(0, math.Min(float64(s.dims[d]-1), v))
			case "reflection":
				v = reflect(v, s.lo[d], s.hi[d])
			}
		}
		idx[d], wts[d] = idx[d][:0], wts[d][:0]
		if math.IsNaN(v) || math.Abs(v) > 1<<40 {
			// Undefined or far outside the input (only zeros padding
			// leaves such a position): the sample reads zero.
			idx[d] = append(idx[d], -1)
			wts[d] = append(wts[d], 1)
			continue
		}
		f := math.Floor(v)
		t := v - f
		base := int(f)
		switch s.mode {
		case "nearest":
			idx[d] = append(idx[d], s.pixel(base, d))
			wts[d] = append(wts[d], 1)
		case "linear":
			idx[d] = append(idx[d], s.pixel(base, d), s.pixel(base+1, d))
			wts[d] = append(wts[d], 1-t, t)
		case "cubic":
			for k := -1; k <= 2; k++ {
				idx[d] = append(idx[d], s.pixel(base+k, d))
				wts[d] = append(wts[d], cubicKernel(t-float64(k), -0.75))
			}
		}
	}
}

// gatherTaps sums the products of per-dim weights over every combination
// of taps; a tap index of -1 reads zero.
func gatherTaps(data []float64, dims []int, idx [][]int, wts [][]float64) float64 {
	nd := len(dims)
	var rec func(d, off int, w float64) float64
	rec = func(d, off int, w float64) float64 {
		if d == nd {
			return w * data[off]
		}
		sum := 0.0
		for k, i := range idx[d] {
			if i < 0 || wts[d][k] == 0 {
				continue
			}
			sum += rec(d+1, off*dims[d]+i, w*wts[d][k])
		}
		return sum
	}
	return rec(0, 0, 1)
}

func affineGridKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	theta, sizeT := in[0], in[1]
	size := sizeT.Int64sOf()
	if len(size) != 4 && len(size) != 5 {
		return nil, fmt.Errorf("size must hold 4 or 5 values (N, C, [D,] H, W), got %v", size)
	}
	nd := len(size) - 2
	n := int(size[0])
	if theta.Rank() != 3 || theta.Dim(0) != n || theta.Dim(1) != nd || theta.Dim(2) != nd+1 {
		return nil, fmt.Errorf("theta shape %v must be [%d, %d, %d]", theta.Shape(), n, nd, nd+1)
	}
	for _, v := range size {
		if v < 0 {
			return nil, fmt.Errorf("size %v must not be negative", size)
		}
	}
	sp := kernels.ToInts(size[2:])
	align := c.Int("align_corners") != 0
	shape := append(append([]int{n}, sp...), nd)
	o, err := newOut[float64](theta.DType(), shape)
	if err != nil {
		return nil, err
	}
	th := floatsOf[float64](theta)
	// base[d][i] is the normalized coordinate of index i along spatial dim d.
	base := make([][]float64, nd)
	for d, sz := range sp {
		base[d] = make([]float64, sz)
		for i := range base[d] {
			switch {
			case align && sz > 1:
				base[d][i] = -1 + 2*float64(i)/float64(sz-1)
			case align:
				base[d][i] = -1
			default:
				base[d][i] = -1 + (2*float64(i)+1)/float64(sz)
			}
		}
	}
	P := prod(sp)
	coord := make([]int, nd)
	vec := make([]float64, nd+1)
	for ni := 0; ni < n; ni++ {
		t := th[ni*nd*(nd+1) : (ni+1)*nd*(nd+1)]
		clear(coord)
		for p := 0; p < P; p++ {
			// The point is (x, y[, z], 1): x along the last spatial dim.
			for k := 0; k < nd; k++ {
				vec[k] = base[nd-1-k][coord[nd-1-k]]
			}
			vec[nd] = 1
			out := o.data[(ni*P+p)*nd : (ni*P+p+1)*nd]
			for row := 0; row < nd; row++ {
				s := 0.0
				for k := 0; k <= nd; k++ {
					s += t[row*(nd+1)+k] * vec[k]
				}
				out[row] = s
			}
			for d := nd - 1; d >= 0; d-- {
				coord[d]++
				if coord[d] < sp[d] {
					break
				}
				coord[d] = 0
			}
		}
	}
	return []*tensor.Tensor{o.finish()}, nil
}

func roiAlignKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, rois, bi := in[0], in[1], in[2]
	if x.Rank() != 4 {
		return nil, fmt.Errorf("input must have rank 4 (N, C, H, W), got shape %v", x.Shape())
	}
	if rois.Rank() != 2 || rois.Dim(1) != 4 {
		return nil, fmt.Errorf("rois shape %v must be [num_rois, 4]", rois.Shape())
	}
	nr := rois.Dim(0)
	if bi.Rank() != 1 || bi.Dim(0) != nr {
		return nil, fmt.Errorf("batch_indices shape %v must be [%d]", bi.Shape(), nr)
	}
	mode := c.Str("mode")
	if mode != "avg" && mode != "max" {
		return nil, fmt.Errorf("unknown mode %q (want avg or max)", mode)
	}
	halfPixel := false
	if c.Opset >= 16 {
		switch ct := c.Str("coordinate_transformation_mode"); ct {
		case "half_pixel":
			halfPixel = true
		case "output_half_pixel":
		default:
			return nil, fmt.Errorf("unknown coordinate_transformation_mode %q", ct)
		}
	}
	oh, ow := int(c.Int("output_height")), int(c.Int("output_width"))
	if oh < 1 || ow < 1 {
		return nil, fmt.Errorf("output size %dx%d must be positive", oh, ow)
	}
	sr := int(c.Int("sampling_ratio"))
	if sr < 0 {
		return nil, fmt.Errorf("sampling_ratio must not be negative, got %d", sr)
	}
	scale := float64(c.Float("spatial_scale"))
	n, ch, H, W := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	o, err := newOut[float64](x.DType(), []int{nr, ch, oh, ow})
	if err != nil {
		return nil, err
	}
	xf, rf := floatsOf[float64](x), floatsOf[float64](rois)
	batch := bi.Int64sOf()
	for r := 0; r < nr; r++ {
		if batch[r] < 0 || batch[r] >= int64(n) {
			return nil, fmt.Errorf("roi %d has batch index %d outside [0, %d)", r, batch[r], n)
		}
	}
	errs := make([]error, nr)
	parallel(nr, func(r int) {
		off := 0.0
		if halfPixel {
			off = 0.5
		}
		x1, y1 := rf[r*4]*scale-off, rf[r*4+1]*scale-off
		x2, y2 := rf[r*4+2]*scale-off, rf[r*4+3]*scale-off
		rw, rh := x2-x1, y2-y1
		if !halfPixel {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		bh, bw := rh/float64(oh), rw/float64(ow)
		ghF, gwF := float64(sr), float64(sr)
		if sr == 0 {
			ghF, gwF = math.Max(0, math.Ceil(rh/float64(oh))), math.Max(0, math.Ceil(rw/float64(ow)))
		}
		if !(ghF*gwF*float64(oh*ow) <= maxTaps) {
			errs[r] = fmt.Errorf("roi %d (%g x %g) needs too many sample points", r, rh, rw)
			return
		}
		gh, gw := int(ghF), int(gwF)
		count := float64(max(gh*gw, 1))
		// The bilinear taps of every sample point of every bin.
		samples := make([]bilinearSample, 0, oh*ow*gh*gw)
		for ph := 0; ph < oh; ph++ {
			for pw := 0; pw < ow; pw++ {
				for iy := 0; iy < gh; iy++ {
					yy := y1 + float64(ph)*bh + (float64(iy)+0.5)*bh/float64(gh)
					for ix := 0; ix < gw; ix++ {
						xx := x1 + float64(pw)*bw + (float64(ix)+0.5)*bw/float64(gw)
						samples = append(samples, bilinearTaps(yy, xx, H, W))
					}
				}
			}
		}
		per := gh * gw
		b := int(batch[r])
		for ci := 0; ci < ch; ci++ {
			plane := xf[(b*ch+ci)*H*W : (b*ch+ci+1)*H*W]
			for bin := 0; bin < oh*ow; bin++ {
				var acc float64
				for k, s := range samples[bin*per : (bin+1)*per] {
					if mode == "avg" {
						acc += s.w[0]*plane[s.pos[0]] + s.w[1]*plane[s.pos[1]] + s.w[2]*plane[s.pos[2]] + s.w[3]*plane[s.pos[3]]
						continue
					}
					v := math.Max(math.Max(s.w[0]*plane[s.pos[0]], s.w[1]*plane[s.pos[1]]),
						math.Max(s.w[2]*plane[s.pos[2]], s.w[3]*plane[s.pos[3]]))
					if k == 0 || v > acc {
						acc = v
					}
				}
				if mode == "avg" {
					acc /= count
				}
				o.data[(r*ch+ci)*oh*ow+bin] = acc
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return []*tensor.Tensor{o.finish()}, nil
}

// bilinearSample is one bilinear sample: four plane offsets and weights.
type bilinearSample struct {
	pos [4]int
	w   [4]float64
}

// bilinearTaps returns the four corner offsets and weights of a bilinear
// sample at (y, x) in an H×W plane, with RoiAlign's edge rules: a point
// more than one pixel outside reads zero; one within clamps to the edge.
func bilinearTaps(y, x float64, H, W int) (s bilinearSample) {
	if !(y >= -1 && y <= float64(H) && x >= -1 && x <= float64(W)) || H == 0 || W == 0 {
		return s
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	yh, xh := yl+1, xl+1
	if yl >= H-1 {
		yl, yh, y = H-1, H-1, float64(H-1)
	}
	if xl >= W-1 {
		xl, xh, x = W-1, W-1, float64(W-1)
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	s.pos = [4]int{yl*W + xl, yl*W + xh, yh*W + xl, yh*W + xh}
	s.w = [4]float64{hy * hx, hy * lx, ly * hx, ly * lx}
	return s
}
