package reduce

import (
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// Float32 fast paths of the reductions. The general paths load every
// float type into float64 copies of the whole tensor and are the
// definition; the paths below read float32 tensors in place and give the
// same results bit for bit (NaN payloads aside): they accumulate in
// float64 in the general paths' order (each group's elements in row-major
// order of the reduced dims) and round once, and Max and Min pick
// elements exactly as the general path does.
//
// fastPaths switches them off, for the tests that compare both paths.
var fastPaths = true

// segments views a reduction as [K1, R, K2]: the kept dims before the
// reduced ones, the reduced dims and the kept dims after them (dims of
// size 1 dropped). It reports false when the reduced dims are not one run.
func segments(p *kernels.ReducePlan) (k1, r, k2 int, ok bool) {
	k1, r, k2 = 1, 1, 1
	state := 0 // 0: before the reduced dims, 1: in them, 2: after them
	for i, d := range p.Shape {
		if d == 1 {
			continue
		}
		if p.Reduced[i] {
			if state == 2 {
				return 0, 0, 0, false
			}
			state = 1
			r *= d
			continue
		}
		if state == 1 {
			state = 2
		}
		if state == 0 {
			k1 *= d
		} else {
			k2 *= d
		}
	}
	return k1, r, k2, true
}

// accKind is how a sum-like reduction accumulates an element.
type accKind int

const (
	accSum    accKind = iota // s += x
	accAbs                   // s += |x|
	accSquare                // s += x*x
	accProd                  // s *= x
)

func accOf(kind redKind) (accKind, bool) {
	switch kind {
	case rSum, rMean, rLogSum:
		return accSum, true
	case rL1:
		return accAbs, true
	case rL2, rSumSquare:
		return accSquare, true
	case rProd:
		return accProd, true
	}
	return 0, false
}

// reduce32 is the Reduce* ops (but LogSumExp) on a float32 tensor whose
// reduced dims are one run; it returns nil where it does not apply.
func reduce32(x *tensor.Tensor, p *kernels.ReducePlan, kind redKind, shape []int) *tensor.Tensor {
	if p.GroupSize == 0 || p.NumGroups == 0 {
		return nil
	}
	k1, r, k2, ok := segments(p)
	if !ok {
		return nil
	}
	out := tensor.New(tensor.Float32, shape...)
	d, xv := tensor.Data[float32](out), tensor.Data[float32](x)
	if kind == rMax || kind == rMin {
		extreme32(d, xv, k1, r, k2, kind == rMax)
		return out
	}
	acc, ok := accOf(kind)
	if !ok {
		return nil
	}
	n := float64(p.GroupSize)
	finish := func(s float64) float32 {
		switch kind {
		case rMean:
			s /= n
		case rL2:
			s = math.Sqrt(s)
		case rLogSum:
			s = math.Log(s)
		}
		return float32(s)
	}
	init := 0.0
	if acc == accProd {
		init = 1
	}
	if k2 == 1 {
		// Rows of r contiguous elements, four at a time so that their
		// (sequential) sums overlap.
		parallelUnits(k1, r, func(_, lo, hi int) {
			g := lo
			for ; g+4 <= hi; g += 4 {
				s := [4]float64{init, init, init, init}
				accRows4(acc, &s, xv[g*r:(g+1)*r], xv[(g+1)*r:(g+2)*r], xv[(g+2)*r:(g+3)*r], xv[(g+3)*r:(g+4)*r])
				for i, v := range s {
					d[g+i] = finish(v)
				}
			}
			for ; g < hi; g++ {
				d[g] = finish(accRow(acc, init, xv[g*r:(g+1)*r]))
			}
		})
		return out
	}
	// Per k1, a vector of k2 sums, in chunks of k2 so that both splits
	// over goroutines and the accumulators stay small.
	const chunk = 2048
	nc := (k2 + chunk - 1) / chunk
	parallelUnits(k1*nc, r*min(k2, chunk), func(_, lo, hi int) {
		buf := make([]float64, min(k2, chunk))
		for u := lo; u < hi; u++ {
			a, c := u/nc, u%nc
			j0, j1 := c*chunk, min((c+1)*chunk, k2)
			s := buf[:j1-j0]
			for j := range s {
				s[j] = init
			}
			base := a * r * k2
			for i := 0; i < r; i++ {
				accVec(acc, s, xv[base+i*k2+j0:base+i*k2+j1])
			}
			o := d[a*k2+j0 : a*k2+j1]
			for j, v := range s {
				o[j] = finish(v)
			}
		}
	})
	return out
}

// accRows4 accumulates rows r0..r3, of one length, into s[0..3].
func accRows4(acc accKind, s *[4]float64, r0, r1, r2, r3 []float32) {
	r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
	s0, s1, s2, s3 := s[0], s[1], s[2], s[3]
	switch acc {
	case accSum:
		for i := range r0 {
			s0 += float64(r0[i])
			s1 += float64(r1[i])
			s2 += float64(r2[i])
			s3 += float64(r3[i])
		}
	case accAbs:
		for i := range r0 {
			s0 += math.Abs(float64(r0[i]))
			s1 += math.Abs(float64(r1[i]))
			s2 += math.Abs(float64(r2[i]))
			s3 += math.Abs(float64(r3[i]))
		}
	case accSquare:
		for i := range r0 {
			e0, e1, e2, e3 := float64(r0[i]), float64(r1[i]), float64(r2[i]), float64(r3[i])
			s0 += e0 * e0
			s1 += e1 * e1
			s2 += e2 * e2
			s3 += e3 * e3
		}
	case accProd:
		for i := range r0 {
			s0 *= float64(r0[i])
			s1 *= float64(r1[i])
			s2 *= float64(r2[i])
			s3 *= float64(r3[i])
		}
	}
	s[0], s[1], s[2], s[3] = s0, s1, s2, s3
}

// accRow accumulates row into s. |x| adds as the general path's "negate
// if negative" does: they differ only for -0, and a sum that starts at +0
// absorbs either zero alike.
func accRow(acc accKind, s float64, row []float32) float64 {
	switch acc {
	case accSum:
		for _, x := range row {
			s += float64(x)
		}
	case accAbs:
		for _, x := range row {
			s += math.Abs(float64(x))
		}
	case accSquare:
		for _, x := range row {
			e := float64(x)
			s += e * e
		}
	case accProd:
		for _, x := range row {
			s *= float64(x)
		}
	}
	return s
}

// accVec accumulates row into s element by element.
func accVec(acc accKind, s []float64, row []float32) {
	row = row[:len(s)]
	switch acc {
	case accSum:
		for j, x := range row {
			s[j] += float64(x)
		}
	case accAbs:
		for j, x := range row {
			s[j] += math.Abs(float64(x))
		}
	case accSquare:
		for j, x := range row {
			e := float64(x)
			s[j] += e * e
		}
	case accProd:
		for j, x := range row {
			s[j] *= float64(x)
		}
	}
}

func mask32(c bool) uint32 {
	if c {
		return ^uint32(0)
	}
	return 0
}

func select32(m uint32, x, y float32) float32 {
	return math.Float32frombits(math.Float32bits(x)&m | math.Float32bits(y)&^m)
}

// better reports whether x replaces best in a max (or min) scan that
// keeps the first of equal elements and the first NaN: x is greater (or
// smaller) or a NaN, and best is not a NaN.
func better(x, best float32, isMax bool) uint32 {
	if isMax {
		return mask32(!(x <= best)) & mask32(best == best)
	}
	return mask32(!(x >= best)) & mask32(best == best)
}

// extreme32 stores the largest (isMax) or smallest element of each group
// of the [k1, r, k2] view of x in d.
func extreme32(d, xv []float32, k1, r, k2 int, isMax bool) {
	if k2 == 1 {
		parallelUnits(k1, r, func(_, lo, hi int) {
			g := lo
			for ; g+4 <= hi; g += 4 {
				// Four rows at a time, so that their scans overlap.
				r0, r1, r2, r3 := xv[g*r:(g+1)*r], xv[(g+1)*r:(g+2)*r], xv[(g+2)*r:(g+3)*r], xv[(g+3)*r:(g+4)*r]
				b0, b1, b2, b3 := r0[0], r1[0], r2[0], r3[0]
				for i := 1; i < r; i++ {
					x0, x1, x2, x3 := r0[i], r1[i], r2[i], r3[i]
					b0 = select32(better(x0, b0, isMax), x0, b0)
					b1 = select32(better(x1, b1, isMax), x1, b1)
					b2 = select32(better(x2, b2, isMax), x2, b2)
					b3 = select32(better(x3, b3, isMax), x3, b3)
				}
				d[g], d[g+1], d[g+2], d[g+3] = b0, b1, b2, b3
			}
			for ; g < hi; g++ {
				row := xv[g*r : (g+1)*r]
				best := row[0]
				for _, x := range row[1:] {
					best = select32(better(x, best, isMax), x, best)
				}
				d[g] = best
			}
		})
		return
	}
	parallelUnits(k1, r*k2, func(_, lo, hi int) {
		for a := lo; a < hi; a++ {
			o := d[a*k2 : (a+1)*k2]
			base := a * r * k2
			copy(o, xv[base:base+k2])
			for i := 1; i < r; i++ {
				row := xv[base+i*k2 : base+(i+1)*k2]
				for j, x := range row {
					o[j] = select32(better(x, o[j], isMax), x, o[j])
				}
			}
		}
	})
}

// softmax32 is Softmax or LogSoftmax (kind) of a float32 tensor over the
// groups of p, group by group through a float64 buffer: the same float64
// operations in the same order as softmaxGroups, rounded once. It returns
// nil where it does not apply.
func softmax32(x *tensor.Tensor, p *kernels.ReducePlan, kind smKind) *tensor.Tensor {
	if kind == smHard || p.GroupSize == 0 || p.NumGroups == 0 {
		return nil
	}
	out := tensor.New(tensor.Float32, x.Shape()...)
	d, xv := tensor.Data[float32](out), tensor.Data[float32](x)
	n := p.GroupSize
	contiguous := p.Offsets[n-1] == n-1 // offsets increase from 0
	// exp dominates: count each element as several.
	parallelUnits(p.NumGroups, 8*n, func(_, lo, hi int) {
		buf := make([]float64, n)
		for g := lo; g < hi; g++ {
			base := p.Base[g]
			if contiguous {
				for j, v := range xv[base : base+n] {
					buf[j] = float64(v)
				}
			} else {
				for j, o := range p.Offsets {
					buf[j] = float64(xv[base+o])
				}
			}
			m := math.Inf(-1)
			for _, v := range buf {
				if v > m {
					m = v
				}
			}
			s := 0.0
			if kind == smLog {
				for _, v := range buf {
					s += math.Exp(v - m)
				}
				ls := math.Log(s)
				for j, v := range buf {
					buf[j] = v - m - ls
				}
			} else {
				for j, v := range buf {
					e := math.Exp(v - m)
					buf[j] = e
					s += e
				}
				r := 1 / s
				for j := range buf {
					buf[j] *= r
				}
			}
			if contiguous {
				row := d[base : base+n]
				for j, v := range buf {
					row[j] = float32(v)
				}
			} else {
				for j, o := range p.Offsets {
					d[base+o] = float32(buf[j])
				}
			}
		}
	})
	return out
}
