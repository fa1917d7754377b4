package nnops

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		def("MaxPool", maxPoolKernel),
		def("AveragePool", poolKernel(poolAvg)),
		def("LpPool", poolKernel(poolLp)),
		def("GlobalAveragePool", globalPoolKernel(poolAvg)),
		def("GlobalMaxPool", globalPoolKernel(poolMax)),
		def("GlobalLpPool", globalPoolKernel(poolLp)),
		def("MaxUnpool", maxUnpoolKernel),
		def("MaxRoiPool", maxRoiPoolKernel),
	)
}

type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
	poolLp
)

// poolSpec is what a pooling kernel reduces a window with.
type poolSpec struct {
	kind         poolKind
	includePad   bool    // AveragePool count_include_pad
	p            float64 // LpPool exponent
	indices      bool    // MaxPool's second output is wanted
	storageOrder int
}

// lpExponent reads LpPool's p, an int attribute (a float one at opset 1).
func lpExponent(c *kernels.Ctx) (float64, error) {
	p := 2.0
	if a := c.Node.Attr("p"); a != nil {
		if a.Type == ir.AttrFloat {
			p = float64(a.F)
		} else {
			p = float64(a.I)
		}
	}
	if !(p > 0) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("p must be positive and finite, got %g", p)
	}
	return p, nil
}

func maxPoolKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	spec := poolSpec{kind: poolMax, indices: len(c.Node.Outputs) > 1 && c.Node.Outputs[1] != nil,
		storageOrder: int(c.Int("storage_order"))}
	if spec.storageOrder != 0 && spec.storageOrder != 1 {
		return nil, fmt.Errorf("storage_order must be 0 or 1, got %d", spec.storageOrder)
	}
	return runPool(c, in[0], spec)
}

func poolKernel(kind poolKind) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		spec := poolSpec{kind: kind, includePad: c.Int("count_include_pad") != 0}
		if kind == poolLp {
			p, err := lpExponent(c)
			if err != nil {
				return nil, err
			}
			spec.p = p
		}
		return runPool(c, in[0], spec)
	}
}

func runPool(c *kernels.Ctx, x *tensor.Tensor, spec poolSpec) ([]*tensor.Tensor, error) {
	if !x.DType().IsFloat() && x.DType() != tensor.Int8 && x.DType() != tensor.Uint8 {
		return nil, fmt.Errorf("%s does not support %s", c.Node.Op, x.DType())
	}
	g, err := windowGeom(c, x, nil)
	if err != nil {
		return nil, err
	}
	if poolFastPaths && x.DType() == tensor.Float32 && g.nd() == 2 && spec.kind != poolLp {
		return pool2d32(x, g, spec)
	}
	if useF64(x.DType()) {
		return poolTyped[float64](x, g, spec)
	}
	return poolTyped[float32](x, g, spec)
}

func poolTyped[F Float](x *tensor.Tensor, g *geom, spec poolSpec) ([]*tensor.Tensor, error) {
	shape := append([]int{g.n, g.c}, g.out...)
	o, err := newOut[F](x.DType(), shape)
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
	xf := floatsOf[F](x)
	nd := g.nd()
	P, inPlane := prod(g.out), prod(g.in)
	taps := kernelCoords(g.kernel)
	// Offsets of the taps within a plane, for windows wholly inside it.
	tapOff := make([]int, len(taps))
	for t, kc := range taps {
		off := 0
		for d := 0; d < nd; d++ {
			off = off*g.in[d] + kc[d]*g.dil[d]
		}
		tapOff[t] = off
	}
	inStrides := tensor.Strides(g.in)
	y := o.data
	parallel(g.n*g.c, func(plane int) {
		xp := xf[plane*inPlane : (plane+1)*inPlane]
		yp := y[plane*P : (plane+1)*P]
		start := make([]int, nd)
		oc := make([]int, nd)
		coord := make([]int, nd)
		for p := 0; p < P; p++ {
			inside := true
			base := 0
			for d := 0; d < nd; d++ {
				start[d] = oc[d]*g.strides[d] - g.pads[d]
				end := start[d] + (g.kernel[d]-1)*g.dil[d]
				if start[d] < 0 || end >= g.in[d] {
					inside = false
				}
				base += start[d] * inStrides[d]
			}
			var acc, best float64
			bestAt, count := -1, 0
			if spec.kind == poolMax {
				best = math.Inf(-1)
			}
			for t, kc := range taps {
				off := base + tapOff[t]
				if !inside {
					ok := true
					off = 0
					for d := 0; d < nd; d++ {
						coord[d] = start[d] + kc[d]*g.dil[d]
						if coord[d] < 0 || coord[d] >= g.in[d] {
							ok = false
							break
						}
						off += coord[d] * inStrides[d]
					}
					if !ok {
						continue
					}
				}
				v := float64(xp[off])
				switch spec.kind {
				case poolMax:
					if v > best || bestAt < 0 && !(v < best) {
						best, bestAt = v, off
					}
				case poolAvg:
					acc += v
				case poolLp:
					acc += math.Pow(math.Abs(v), spec.p)
				}
				count++
			}
			switch spec.kind {
			case poolMax:
				yp[p] = F(best)
				if idx != nil {
					idx[plane*P+p] = int64(plane*inPlane + storageIndex(bestAt, g.in, spec.storageOrder))
				}
			case poolAvg:
				div := count
				if spec.includePad {
					div = 1
					for d := 0; d < nd; d++ {
						n := 0
						for k := 0; k < g.kernel[d]; k++ {
							if c := start[d] + k*g.dil[d]; c >= -g.pads[d] && c < g.in[d]+g.pads[d+nd] {
								n++
							}
						}
						div *= n
					}
				}
				if div > 0 {
					yp[p] = F(acc / float64(div))
				} else {
					yp[p] = F(math.NaN())
				}
			case poolLp:
				yp[p] = F(math.Pow(acc, 1/spec.p))
			}
			for d := nd - 1; d >= 0; d-- {
				oc[d]++
				if oc[d] < g.out[d] {
					break
				}
				oc[d] = 0
			}
		}
	})
	outs := []*tensor.Tensor{o.finish()}
	if idxT != nil {
		outs = append(outs, idxT)
	}
	return outs, nil
}

// storageIndex converts a row-major offset within a plane to the index
// MaxPool reports: row-major for storage order 0, column-major for 1.
func storageIndex(off int, dims []int, order int) int {
	if off < 0 {
		return 0
	}
	if order == 0 {
		return off
	}
	idx, mul := 0, 1
	// Decompose row-major, recompose column-major.
	coords := make([]int, len(dims))
	for d := len(dims) - 1; d >= 0; d-- {
		coords[d] = off % dims[d]
		off /= dims[d]
	}
	for d := 0; d < len(dims); d++ {
		idx += coords[d] * mul
		mul *= dims[d]
	}
	return idx
}

func globalPoolKernel(kind poolKind) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		x := in[0]
		if x.Rank() < 2 {
			return nil, fmt.Errorf("input must have rank at least 2 (N, C, spatial...), got shape %v", x.Shape())
		}
		if !x.DType().IsFloat() {
			return nil, fmt.Errorf("%s does not support %s", c.Node.Op, x.DType())
		}
		p := 0.0
		if kind == poolLp {
			var err error
			if p, err = lpExponent(c); err != nil {
				return nil, err
			}
		}
		if poolFastPaths && kind == poolAvg && x.DType() == tensor.Float32 {
			shape := append([]int{}, x.Shape()...)
			for i := 2; i < len(shape); i++ {
				shape[i] = 1
			}
			return []*tensor.Tensor{globalAvg32(x, shape)}, nil
		}
		if useF64(x.DType()) {
			return globalPoolTyped[float64](x, kind, p)
		}
		return globalPoolTyped[float32](x, kind, p)
	}
}

func globalPoolTyped[F Float](x *tensor.Tensor, kind poolKind, p float64) ([]*tensor.Tensor, error) {
	shape := append([]int{}, x.Shape()...)
	for i := 2; i < len(shape); i++ {
		shape[i] = 1
	}
	o, err := newOut[F](x.DType(), shape)
	if err != nil {
		return nil, err
	}
	xf := floatsOf[F](x)
	planes := x.Dim(0) * x.Dim(1)
	size := prod(x.Shape()[2:])
	parallel(planes, func(i int) {
		v := xf[i*size : (i+1)*size]
		var r float64
		switch kind {
		case poolMax:
			r = math.Inf(-1)
			for _, e := range v {
				r = math.Max(r, float64(e))
			}
		case poolAvg:
			for _, e := range v {
				r += float64(e)
			}
			r /= float64(size)
		case poolLp:
			for _, e := range v {
				r += math.Pow(math.Abs(float64(e)), p)
			}
			r = math.Pow(r, 1/p)
		}
		o.data[i] = F(r)
	})
	return []*tensor.Tensor{o.finish()}, nil
}

func maxUnpoolKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, idx, os := in[0], in[1], at(in, 2)
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input must have rank at least 3 (N, C, spatial...), got shape %v", x.Shape())
	}
	if !sameShape(x.Shape(), idx.Shape()) {
		return nil, fmt.Errorf("indices shape %v differs from the input shape %v", idx.Shape(), x.Shape())
	}
	// Indices address the default output, (in-1)*stride + kernel - pads
	// per spatial dim; an explicit output_shape receives each value at the
	// same coordinates.
	win := ir.WindowFromNode(c.Node, nil)
	if err := win.Normalize(x.Rank() - 2); err != nil {
		return nil, err
	}
	sp, err := ir.MaxUnpoolOutput(toInt64s(x.Shape()[2:]), win)
	if err != nil {
		return nil, err
	}
	def := append([]int{x.Dim(0), x.Dim(1)}, kernels.ToInts(sp)...)
	shape := def
	if os != nil {
		shape = kernels.ToInts(os.Int64sOf())
		if len(shape) != x.Rank() {
			return nil, fmt.Errorf("output_shape %v must have the input's rank %d", shape, x.Rank())
		}
	}
	out, err := tensor.Alloc(x.DType(), shape)
	if err != nil {
		return nil, err
	}
	ix := idx.Int64sOf()
	total := int64(prod(def))
	remap := !sameShape(def, shape)
	sz := x.DType().Size()
	src, dst := x.Bytes(), out.Bytes()
	for i, j := range ix {
		if j < 0 || j >= total {
			return nil, fmt.Errorf("index %d at position %d is outside the pooled input of shape %v", j, i, def)
		}
		k := int(j)
		if remap {
			k = 0
			rem := int(j)
			mul := 1
			for d := len(def) - 1; d >= 0; d-- {
				cd := rem % def[d]
				rem /= def[d]
				if cd >= shape[d] {
					return nil, fmt.Errorf("index %d at position %d falls outside output_shape %v", j, i, shape)
				}
				k += cd * mul
				mul *= shape[d]
			}
		}
		copy(dst[k*sz:(k+1)*sz], src[i*sz:(i+1)*sz])
	}
	return []*tensor.Tensor{out}, nil
}

func maxRoiPoolKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, rois := in[0], in[1]
	if x.Rank() != 4 {
		return nil, fmt.Errorf("input must have rank 4 (N, C, H, W), got shape %v", x.Shape())
	}
	if rois.Rank() != 2 || rois.Dim(1) != 5 {
		return nil, fmt.Errorf("rois shape %v must be [num_rois, 5]", rois.Shape())
	}
	ps := c.Ints("pooled_shape")
	if len(ps) != 2 || ps[0] < 1 || ps[1] < 1 {
		return nil, fmt.Errorf("pooled_shape %v must hold two positive sizes", ps)
	}
	scale := float64(c.Float("spatial_scale"))
	n, ch, H, W := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	ph, pw := int(ps[0]), int(ps[1])
	nr := rois.Dim(0)
	o, err := newOut[float64](x.DType(), []int{nr, ch, ph, pw})
	if err != nil {
		return nil, err
	}
	xf, rf := floatsOf[float64](x), floatsOf[float64](rois)
	for r := 0; r < nr; r++ {
		b := int(rf[r*5])
		if b < 0 || b >= n {
			return nil, fmt.Errorf("roi %d has batch index %d outside [0, %d)", r, b, n)
		}
		round := func(v float64) int { return int(math.Round(v * scale)) }
		x1, y1, x2, y2 := round(rf[r*5+1]), round(rf[r*5+2]), round(rf[r*5+3]), round(rf[r*5+4])
		rh, rw := max(y2-y1+1, 1), max(x2-x1+1, 1)
		bh, bw := float64(rh)/float64(ph), float64(rw)/float64(pw)
		for ci := 0; ci < ch; ci++ {
			plane := xf[(b*ch+ci)*H*W : (b*ch+ci+1)*H*W]
			for i := 0; i < ph; i++ {
				hs := min(max(int(math.Floor(float64(i)*bh))+y1, 0), H)
				he := min(max(int(math.Ceil(float64(i+1)*bh))+y1, 0), H)
				for j := 0; j < pw; j++ {
					ws := min(max(int(math.Floor(float64(j)*bw))+x1, 0), W)
					we := min(max(int(math.Ceil(float64(j+1)*bw))+x1, 0), W)
					v := 0.0
					if he > hs && we > ws {
						v = math.Inf(-1)
						for h := hs; h < he; h++ {
							for w := ws; w < we; w++ {
								v = math.Max(v, plane[h*W+w])
							}
						}
					}
					o.data[((r*ch+ci)*ph+i)*pw+j] = v
				}
			}
		}
	}
	return []*tensor.Tensor{o.finish()}, nil
}
