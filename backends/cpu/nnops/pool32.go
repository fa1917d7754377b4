package nnops

import (
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Float32 fast paths of 2-D MaxPool (with or without indices),
// AveragePool and GlobalAveragePool. They give the general path's results
// bit for bit: per window the valid taps in the same order, maxima by the
// same rule (the first valid tap, then any strictly greater one), averages
// summed in float64 and divided and rounded once. What they save is the
// per-tap coordinate arithmetic: the valid taps of a window are the
// product of a range of kernel rows and a range of kernel columns,
// computed once per output row and per output column.
//
// poolFastPaths switches them off, for the tests that compare both paths.
var poolFastPaths = true

// tapSpan is, for one output coordinate along a spatial dim, the first
// input coordinate of its window, the range [k0, k1) of kernel taps that
// fall inside the input, and the number of taps inside the padded input
// (AveragePool's count_include_pad divisor).
type tapSpan struct{ start, k0, k1, padded int }

// tapRange returns the taps k in [0, kn) with lo <= start + k*dil < hi as
// a range [k0, k1).
func tapRange(start, dil, kn, lo, hi int) (k0, k1 int) {
	if start < lo {
		k0 = (lo - start + dil - 1) / dil
	}
	switch {
	case start+(kn-1)*dil < hi:
		k1 = kn
	case hi-start > 0:
		k1 = (hi - start + dil - 1) / dil
	}
	k0 = min(k0, kn)
	return k0, max(k0, min(k1, kn))
}

// tapSpans computes the spans of the out coordinates of spatial dim d.
func tapSpans(g *geom, d int) []tapSpan {
	nd := g.nd()
	sp := make([]tapSpan, g.out[d])
	for o := range sp {
		st := o*g.strides[d] - g.pads[d]
		k0, k1 := tapRange(st, g.dil[d], g.kernel[d], 0, g.in[d])
		p0, p1 := tapRange(st, g.dil[d], g.kernel[d], -g.pads[d], g.in[d]+g.pads[d+nd])
		sp[o] = tapSpan{start: st, k0: k0, k1: k1, padded: p1 - p0}
	}
	return sp
}

// pool2d32 is MaxPool or AveragePool (spec.kind) of a float32 tensor with
// two spatial dims. Output rows whose windows cover every kernel row are
// computed tap by tap across their interior columns (those whose windows
// cover every kernel column), so that the windows of a row advance
// together; the other outputs window by window.
func pool2d32(x *tensor.Tensor, g *geom, spec poolSpec) ([]*tensor.Tensor, error) {
	shape := []int{g.n, g.c, g.out[0], g.out[1]}
	out, err := tensor.Alloc(tensor.Float32, shape)
	if err != nil {
		return nil, err
	}
	var idx []int64
	var idxT *tensor.Tensor
	if spec.indices {
		if idxT, err = tensor.Alloc(tensor.Int64, shape); err != nil {
			return nil, err
		}
		idx = tensor.Data[int64](idxT)
	}
	xv, yv := tensor.Data[float32](x), tensor.Data[float32](out)
	pw := pool2dWork{g: g, spec: spec, rows: tapSpans(g, 0), cols: tapSpans(g, 1)}
	// The interior columns: the run of output columns whose windows hold
	// every kernel column (empty when there is none).
	for ow, cs := range pw.cols {
		if cs.k0 == 0 && cs.k1 == g.kernel[1] {
			if pw.c1 == 0 {
				pw.c0 = ow
			}
			pw.c1 = ow + 1
		}
	}
	H, W := g.in[0], g.in[1]
	OH, OW := g.out[0], g.out[1]
	inPlane, outPlane := H*W, OH*OW
	workers := numWorkers(g.n * g.c)
	accs := make([][]float64, workers)
	ats := make([][]int, workers)
	parallelW(g.n*g.c, func(w, plane int) {
		var acc []float64
		var at []int
		if w < len(accs) {
			if accs[w] == nil {
				accs[w], ats[w] = make([]float64, OW), make([]int, OW)
			}
			acc, at = accs[w], ats[w]
		} else { // more workers than counted (GOMAXPROCS grew)
			acc, at = make([]float64, OW), make([]int, OW)
		}
		xp := xv[plane*inPlane : (plane+1)*inPlane]
		yp := yv[plane*outPlane : (plane+1)*outPlane]
		var ip []int64
		if idx != nil {
			ip = idx[plane*outPlane : (plane+1)*outPlane]
		}
		for oh := range pw.rows {
			y := yp[oh*OW : (oh+1)*OW]
			var yi []int64
			if ip != nil {
				yi = ip[oh*OW : (oh+1)*OW]
			}
			pw.row(xp, oh, y, yi, acc, at, plane*inPlane)
		}
	})
	outs := []*tensor.Tensor{out}
	if idxT != nil {
		outs = append(outs, idxT)
	}
	return outs, nil
}

// pool2dWork is the geometry of a 2-D pooling.
type pool2dWork struct {
	g          *geom
	spec       poolSpec
	rows, cols []tapSpan
	c0, c1     int // the interior output columns
}

// row computes output row oh of one plane xp into y (and its indices,
// offset by base, into yi when set), with acc and at as scratch.
func (pw *pool2dWork) row(xp []float32, oh int, y []float32, yi []int64, acc []float64, at []int, base int) {
	g := pw.g
	rs := pw.rows[oh]
	W := g.in[1]
	sW, dH, dW := g.strides[1], g.dil[0], g.dil[1]
	lo, hi := 0, 0 // the columns computed across the row
	if rs.k0 == 0 && rs.k1 == g.kernel[0] {
		lo, hi = pw.c0, pw.c1
	}
	n := hi - lo
	if n > 0 {
		x0 := lo*sW - g.pads[1] // input column of tap column 0 of output column lo
		if pw.spec.kind == poolMax {
			yr, ar := y[lo:hi], at[:n]
			first := rs.start*W + x0
			for j := range yr {
				yr[j], ar[j] = xp[first+j*sW], first+j*sW
			}
			for kh := 0; kh < g.kernel[0]; kh++ {
				for kw := 0; kw < g.kernel[1]; kw++ {
					o := (rs.start+kh*dH)*W + x0 + kw*dW
					src := xp[o : o+(n-1)*sW+1]
					switch {
					case yi != nil:
						for j := range yr {
							yr[j], ar[j] = max2(src[j*sW], o+j*sW, yr[j], ar[j])
						}
					case sW == 1:
						src = src[:len(yr)]
						for j, v := range src {
							yr[j] = maxStep(v, yr[j])
						}
					default:
						for j := range yr {
							yr[j] = maxStep(src[j*sW], yr[j])
						}
					}
				}
			}
			if yi != nil {
				for j, a := range ar {
					yi[lo+j] = int64(base + pw.storage(a))
				}
			}
		} else {
			ar := acc[:n]
			for j := range ar {
				ar[j] = 0
			}
			for kh := 0; kh < g.kernel[0]; kh++ {
				for kw := 0; kw < g.kernel[1]; kw++ {
					o := (rs.start+kh*dH)*W + x0 + kw*dW
					src := xp[o : o+(n-1)*sW+1]
					if sW == 1 {
						src = src[:len(ar)]
						for j, v := range src {
							ar[j] += float64(v)
						}
						continue
					}
					for j := range ar {
						ar[j] += float64(src[j*sW])
					}
				}
			}
			div := float64(g.kernel[0] * g.kernel[1])
			if pw.spec.includePad {
				div = float64(rs.padded * pw.cols[lo].padded)
			}
			yr := y[lo:hi]
			for j, a := range ar {
				yr[j] = float32(a / div)
			}
		}
	}
	for ow, cs := range pw.cols {
		if ow >= lo && ow < hi {
			continue
		}
		y[ow], at[0] = pw.window(xp, rs, cs, dH, dW, W)
		if yi != nil {
			yi[ow] = int64(base + pw.storage(at[0]))
		}
	}
}

// window computes one output from its window, and for MaxPool the offset
// of the chosen element (-1 for none).
func (pw *pool2dWork) window(xp []float32, rs, cs tapSpan, dH, dW, W int) (float32, int) {
	if pw.spec.kind == poolMax {
		best, at := float32(math.Inf(-1)), -1
		if rs.k0 < rs.k1 && cs.k0 < cs.k1 {
			at = (rs.start+rs.k0*dH)*W + cs.start + cs.k0*dW
			best = xp[at]
			for kh := rs.k0; kh < rs.k1; kh++ {
				row := (rs.start + kh*dH) * W
				for kw := cs.k0; kw < cs.k1; kw++ {
					off := row + cs.start + kw*dW
					best, at = max2(xp[off], off, best, at)
				}
			}
		}
		return best, at
	}
	acc := 0.0
	for kh := rs.k0; kh < rs.k1; kh++ {
		row := xp[(rs.start+kh*dH)*W:]
		for kw := cs.k0; kw < cs.k1; kw++ {
			acc += float64(row[cs.start+kw*dW])
		}
	}
	div := (rs.k1 - rs.k0) * (cs.k1 - cs.k0)
	if pw.spec.includePad {
		div = rs.padded * cs.padded
	}
	if div > 0 {
		return float32(acc / float64(div)), -1
	}
	return float32(math.NaN()), -1
}

// storage converts the offset of a chosen element within its plane (-1
// for none) to the index MaxPool reports in its storage order.
func (pw *pool2dWork) storage(at int) int {
	if at < 0 {
		return 0
	}
	if pw.spec.storageOrder == 1 {
		W := pw.g.in[1]
		return at/W + (at%W)*pw.g.in[0]
	}
	return at
}

// globalAvg32 is GlobalAveragePool of a float32 tensor: per plane a
// float64 sum in order divided by the plane size, four planes at a time
// so that their sums overlap.
func globalAvg32(x *tensor.Tensor, shape []int) *tensor.Tensor {
	out := tensor.New(tensor.Float32, shape...)
	xv, yv := tensor.Data[float32](x), tensor.Data[float32](out)
	planes := x.Dim(0) * x.Dim(1)
	size := prod(x.Shape()[2:])
	n := float64(size)
	groups := (planes + 3) / 4
	parallel(groups, func(q int) {
		p := q * 4
		if p+4 > planes {
			for ; p < planes; p++ {
				s := 0.0
				for _, v := range xv[p*size : (p+1)*size] {
					s += float64(v)
				}
				yv[p] = float32(s / n)
			}
			return
		}
		p0, p1, p2, p3 := xv[p*size:(p+1)*size], xv[(p+1)*size:(p+2)*size], xv[(p+2)*size:(p+3)*size], xv[(p+3)*size:(p+4)*size]
		var s0, s1, s2, s3 float64
		for i := range p0 {
			s0 += float64(p0[i])
			s1 += float64(p1[i])
			s2 += float64(p2[i])
			s3 += float64(p3[i])
		}
		yv[p], yv[p+1], yv[p+2], yv[p+3] = float32(s0/n), float32(s1/n), float32(s2/n), float32(s3/n)
	})
	return out
}

// max2 is the max scan's step: v (at offset off) replaces best (at at)
// when it is strictly greater, without a branch.
func max2(v float32, off int, best float32, at int) (float32, int) {
	var m uint32
	if v > best {
		m = ^uint32(0)
	}
	mi := int(int32(m))
	return math.Float32frombits(math.Float32bits(v)&m | math.Float32bits(best)&^m), off&mi | at&^mi
}

// maxStep is max2 without the offset.
func maxStep(v, best float32) float32 {
	var m uint32
	if v > best {
		m = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(v)&m | math.Float32bits(best)&^m)
}
