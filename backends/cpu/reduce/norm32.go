package reduce

import (
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Float32 fast paths of LayerNormalization and BatchNormalization: the
// general paths' float64 operations in the same order, reading and
// writing the float32 tensors in place (the small per-channel or per-row
// statistics stay float64 slices). Several rows or channels are
// accumulated at once, each in its own order, so that their sequential
// sums overlap.

// trailing reports whether a parameter of shape ps broadcasts to x's shape
// xs as a tensor over dims axis.. only, so that element i of x reads
// element i mod (the product of xs[axis:]) of it.
func trailing(ps, xs []int, axis int) bool {
	if len(ps) > len(xs) {
		return false
	}
	off := len(xs) - len(ps)
	for d := range xs {
		pd := 1
		if d >= off {
			pd = ps[d-off]
		}
		if (d < axis && pd != 1) || (d >= axis && pd != xs[d]) {
			return false
		}
	}
	return true
}

// layerNorm32 is LayerNormalization of a float32 x whose scale (and bias)
// span the normalized dims only; it returns nil where it does not apply.
func layerNorm32(x, scale, bias *tensor.Tensor, axis int, eps float64, stash tensor.DType) []*tensor.Tensor {
	xs := x.Shape()
	if scale == nil || !scale.DType().IsFloat() || !trailing(scale.Shape(), xs, axis) {
		return nil
	}
	if bias != nil && (!bias.DType().IsFloat() || !trailing(bias.Shape(), xs, axis)) {
		return nil
	}
	g, rows := product(xs[axis:]), product(xs[:axis])
	if g == 0 || rows == 0 {
		return nil
	}
	sc := kernels.Float64s(scale)
	var bs []float64
	if bias != nil {
		bs = kernels.Float64s(bias)
	}
	out := tensor.New(tensor.Float32, xs...)
	d, xv := tensor.Data[float32](out), tensor.Data[float32](x)
	mean, invStd := make([]float64, rows), make([]float64, rows)
	n := float64(g)
	parallelUnits(rows, 3*g, func(_, lo, hi int) {
		r := lo
		for ; r+4 <= hi; r += 4 {
			var m, v [4]float64
			moments4(&m, &v, xv[r*g:(r+1)*g], xv[(r+1)*g:(r+2)*g], xv[(r+2)*g:(r+3)*g], xv[(r+3)*g:(r+4)*g], n)
			copy(mean[r:], m[:])
			for i := range v {
				invStd[r+i] = 1 / math.Sqrt(v[i]+eps)
			}
		}
		for ; r < hi; r++ {
			m, v := moments1(xv[r*g:(r+1)*g], n)
			mean[r], invStd[r] = m, 1/math.Sqrt(v+eps)
		}
		for r := lo; r < hi; r++ {
			m, inv := mean[r], invStd[r]
			row, y := xv[r*g:(r+1)*g], d[r*g:(r+1)*g]
			sc := sc[:len(row)]
			if bs == nil {
				for i, v := range row {
					y[i] = float32((float64(v) - m) * inv * sc[i])
				}
				continue
			}
			bs := bs[:len(row)]
			for i, v := range row {
				y[i] = float32((float64(v)-m)*inv*sc[i] + bs[i])
			}
		}
	})
	statShape := append([]int{}, xs[:axis]...)
	for range xs[axis:] {
		statShape = append(statShape, 1)
	}
	return []*tensor.Tensor{out,
		kernels.FromFloat64s(stash, statShape, mean),
		kernels.FromFloat64s(stash, statShape, invStd)}
}

// moments1 is the mean and population variance of row as moments
// computes them: a float64 sum in order divided by n, then the sum of
// squared deviations in order divided by n.
func moments1(row []float32, n float64) (mean, variance float64) {
	s := 0.0
	for _, v := range row {
		s += float64(v)
	}
	m := s / n
	q := 0.0
	for _, v := range row {
		d := float64(v) - m
		q += d * d
	}
	return m, q / n
}

// moments4 is moments1 of four rows of one length at once.
func moments4(mean, variance *[4]float64, r0, r1, r2, r3 []float32, n float64) {
	r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
	var s0, s1, s2, s3 float64
	for i := range r0 {
		s0 += float64(r0[i])
		s1 += float64(r1[i])
		s2 += float64(r2[i])
		s3 += float64(r3[i])
	}
	m0, m1, m2, m3 := s0/n, s1/n, s2/n, s3/n
	var q0, q1, q2, q3 float64
	for i := range r0 {
		d0, d1, d2, d3 := float64(r0[i])-m0, float64(r1[i])-m1, float64(r2[i])-m2, float64(r3[i])-m3
		q0 += d0 * d0
		q1 += d1 * d1
		q2 += d2 * d2
		q3 += d3 * d3
	}
	*mean = [4]float64{m0, m1, m2, m3}
	*variance = [4]float64{q0 / n, q1 / n, q2 / n, q3 / n}
}

// channelMoments32 is BatchNormalization's batch mean and variance of a
// float32 x of shape (n, ch, inner...): per channel, a float64 sum over the
// batch in element order divided by the count, then likewise the squared
// deviations.
func channelMoments32(x *tensor.Tensor, n, ch, inner int) (mean, variance []float64) {
	xv := tensor.Data[float32](x)
	mean, variance = make([]float64, ch), make([]float64, ch)
	cnt := float64(n * inner)
	plane := func(b, c int) []float32 { return xv[(b*ch+c)*inner : (b*ch+c+1)*inner] }
	parallelUnits(ch, 2*n*inner, func(_, lo, hi int) {
		c := lo
		for ; c+4 <= hi; c += 4 {
			var s0, s1, s2, s3 float64
			for b := 0; b < n; b++ {
				p0, p1, p2, p3 := plane(b, c), plane(b, c+1), plane(b, c+2), plane(b, c+3)
				for i := range p0 {
					s0 += float64(p0[i])
					s1 += float64(p1[i])
					s2 += float64(p2[i])
					s3 += float64(p3[i])
				}
			}
			m0, m1, m2, m3 := s0/cnt, s1/cnt, s2/cnt, s3/cnt
			var q0, q1, q2, q3 float64
			for b := 0; b < n; b++ {
				p0, p1, p2, p3 := plane(b, c), plane(b, c+1), plane(b, c+2), plane(b, c+3)
				for i := range p0 {
					d0, d1, d2, d3 := float64(p0[i])-m0, float64(p1[i])-m1, float64(p2[i])-m2, float64(p3[i])-m3
					q0 += d0 * d0
					q1 += d1 * d1
					q2 += d2 * d2
					q3 += d3 * d3
				}
			}
			copy(mean[c:], []float64{m0, m1, m2, m3})
			copy(variance[c:], []float64{q0 / cnt, q1 / cnt, q2 / cnt, q3 / cnt})
		}
		for ; c < hi; c++ {
			s := 0.0
			for b := 0; b < n; b++ {
				for _, v := range plane(b, c) {
					s += float64(v)
				}
			}
			m := s / cnt
			q := 0.0
			for b := 0; b < n; b++ {
				for _, v := range plane(b, c) {
					d := float64(v) - m
					q += d * d
				}
			}
			mean[c], variance[c] = m, q/cnt
		}
	})
	return mean, variance
}

// bnApply32 is BatchNormalization's output for a float32 x of shape (n,
// ch, inner...) with per-channel statistics and parameters.
func bnApply32(x *tensor.Tensor, ch, inner int, mean, inv, scale, bias []float64) *tensor.Tensor {
	out := tensor.New(tensor.Float32, x.Shape()...)
	d, xv := tensor.Data[float32](out), tensor.Data[float32](x)
	planes := x.Len() / max(inner, 1)
	if inner == 0 {
		return out
	}
	parallelUnits(planes, inner, func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			c := p % ch
			m, iv, s, b := mean[c], inv[c], scale[c], bias[c]
			src, dst := xv[p*inner:(p+1)*inner], d[p*inner:(p+1)*inner]
			i := 0
			for ; i+4 <= len(src); i += 4 {
				v0, v1, v2, v3 := float64(src[i]), float64(src[i+1]), float64(src[i+2]), float64(src[i+3])
				dst[i] = float32((v0-m)*iv*s + b)
				dst[i+1] = float32((v1-m)*iv*s + b)
				dst[i+2] = float32((v2-m)*iv*s + b)
				dst[i+3] = float32((v3-m)*iv*s + b)
			}
			for ; i < len(src); i++ {
				dst[i] = float32((float64(src[i])-m)*iv*s + b)
			}
		}
	})
	return out
}
