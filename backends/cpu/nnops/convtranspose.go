package nnops

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(def("Col2Im", col2imKernel))
}

// scatter describes how positions of a source grid map onto a destination
// grid for one kernel tap: dst = src*stride - pad + tap*dilation.
type scatter struct {
	src, dst            []int
	strides, dil, padsB []int
}

// addRow adds row (one value per source position, row-major) into dst at
// the positions kernel tap kc maps them to, dropping those that fall
// outside the destination grid.
func addRow[F Float](s *scatter, kc []int, row, dst []F) {
	nd := len(s.src)
	cur := make([]int, nd)
	for j := range row {
		off, ok := 0, true
		for d := 0; d < nd; d++ {
			o := cur[d]*s.strides[d] - s.padsB[d] + kc[d]*s.dil[d]
			if o < 0 || o >= s.dst[d] {
				ok = false
				break
			}
			off = off*s.dst[d] + o
		}
		if ok {
			dst[off] += row[j]
		}
		for d := nd - 1; d >= 0; d-- {
			cur[d]++
			if cur[d] < s.src[d] {
				break
			}
			cur[d] = 0
		}
	}
}

func convTransposeKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, b := in[0], in[1], at(in, 2)
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input must have rank at least 3 (N, C, spatial...), got shape %v", x.Shape())
	}
	if w.Rank() != x.Rank() {
		return nil, fmt.Errorf("weight shape %v must have the input's rank %d", w.Shape(), x.Rank())
	}
	group := int(c.Int("group"))
	if group < 1 {
		return nil, fmt.Errorf("group must be at least 1, got %d", group)
	}
	if w.Dim(0) != x.Dim(1) {
		return nil, fmt.Errorf("channel mismatch: input has %d channels, weight has %d", x.Dim(1), w.Dim(0))
	}
	if x.Dim(1)%group != 0 {
		return nil, fmt.Errorf("input's %d channels are not divisible by group %d", x.Dim(1), group)
	}
	m := w.Dim(1) * group
	if b != nil && (b.Rank() != 1 || b.Dim(0) != m) {
		return nil, fmt.Errorf("bias shape %v must be [%d]", b.Shape(), m)
	}
	win := ir.WindowFromNode(c.Node, toInt64s(w.Shape()[2:]))
	nd := x.Rank() - 2
	if err := win.Normalize(nd); err != nil {
		return nil, err
	}
	for i, k := range win.Kernel {
		if int(k) != w.Dim(2+i) {
			return nil, fmt.Errorf("kernel_shape %v does not match the weight's spatial shape %v", win.Kernel, w.Shape()[2:])
		}
	}
	out, pads, err := ir.ConvTransposeOutput(toInt64s(x.Shape()[2:]), win, c.Ints("output_padding"), c.Ints("output_shape"))
	if err != nil {
		return nil, err
	}
	g := &geom{n: x.Dim(0), c: x.Dim(1), in: append([]int{}, x.Shape()[2:]...), kernel: w.Shape()[2:],
		strides: kernels.ToInts(win.Strides), dil: kernels.ToInts(win.Dilations), pads: kernels.ToInts(pads),
		out: kernels.ToInts(out)}
	if useF64(x.DType()) {
		return convTransposeTyped[float64](x, w, b, g, m, group)
	}
	return convTransposeTyped[float32](x, w, b, g, m, group)
}

func convTransposeTyped[F Float](x, w, b *tensor.Tensor, g *geom, m, group int) ([]*tensor.Tensor, error) {
	o, err := newOut[F](x.DType(), append([]int{g.n, m}, g.out...))
	if err != nil {
		return nil, err
	}
	xf, wf := floatsOf[F](x), floatsOf[F](w)
	cg, mg := g.c/group, m/group
	kprod := prod(g.kernel)
	Kt := mg * kprod // rows of the column matrix of one group
	Pin, Pout := prod(g.in), prod(g.out)
	kc := kernelCoords(g.kernel)
	sc := &scatter{src: g.in, dst: g.out, strides: g.strides, dil: g.dil, padsB: g.pads}
	y := o.data
	parallel(g.n*group, func(it int) {
		ni, gi := it/group, it%group
		// wt is the group's weights transposed to Kt × cg.
		wt := make([]F, Kt*cg)
		for ci := 0; ci < cg; ci++ {
			src := wf[(gi*cg+ci)*Kt : (gi*cg+ci+1)*Kt]
			for r, v := range src {
				wt[r*cg+ci] = v
			}
		}
		col := make([]F, Kt*Pin)
		xg := xf[(ni*g.c+gi*cg)*Pin : (ni*g.c+(gi+1)*cg)*Pin]
		gemmAcc(Kt, Pin, cg, wt, cg, xg, Pin, col, Pin)
		for oc := 0; oc < mg; oc++ {
			yc := y[(ni*m+gi*mg+oc)*Pout : (ni*m+gi*mg+oc+1)*Pout]
			for ki := 0; ki < kprod; ki++ {
				r := oc*kprod + ki
				addRow(sc, kc[ki], col[r*Pin:(r+1)*Pin], yc)
			}
		}
	})
	if b != nil {
		bias := floatsOf[F](b)
		for i := range y {
			y[i] += bias[(i/max(Pout, 1))%m]
		}
	}
	return []*tensor.Tensor{o.finish()}, nil
}

func col2imKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, imgT, blkT := in[0], in[1], in[2]
	if x.Rank() != 3 {
		return nil, fmt.Errorf("input must have rank 3 (N, C*prod(block_shape), L), got shape %v", x.Shape())
	}
	img, blk := imgT.Int64sOf(), blkT.Int64sOf()
	nd := len(img)
	if nd == 0 || len(blk) != nd {
		return nil, fmt.Errorf("image_shape %v and block_shape %v must have the same non-zero length", img, blk)
	}
	for i := range img {
		if img[i] < 1 || blk[i] < 1 {
			return nil, fmt.Errorf("image_shape %v and block_shape %v must be positive", img, blk)
		}
	}
	win := ir.Window{Kernel: blk, Strides: c.Ints("strides"), Dilations: c.Ints("dilations"), Pads: c.Ints("pads"), AutoPad: "NOTSET"}
	if err := win.Normalize(nd); err != nil {
		return nil, err
	}
	if err := checkTaps(blk); err != nil {
		return nil, err
	}
	blocks, _, err := win.Output(img)
	if err != nil {
		return nil, err
	}
	kprod := 1
	for _, b := range blk {
		kprod *= int(b)
	}
	if x.Dim(1)%kprod != 0 {
		return nil, fmt.Errorf("input's dim 1 (%d) is not a multiple of the block size %d", x.Dim(1), kprod)
	}
	L := 1
	for _, v := range blocks {
		L *= int(v)
	}
	if x.Dim(2) != L {
		return nil, fmt.Errorf("input has %d blocks, image_shape %v with these strides, pads and dilations gives %d", x.Dim(2), img, L)
	}
	n, ch := x.Dim(0), x.Dim(1)/kprod
	imgI := kernels.ToInts(img)
	sc := &scatter{src: kernels.ToInts(blocks), dst: imgI, strides: kernels.ToInts(win.Strides),
		dil: kernels.ToInts(win.Dilations), padsB: kernels.ToInts(win.Pads)}
	kc := kernelCoords(kernels.ToInts(blk))
	run := func(xf []float64, y []float64) {
		P := prod(imgI)
		for ni := 0; ni < n; ni++ {
			for ci := 0; ci < ch; ci++ {
				yc := y[(ni*ch+ci)*P : (ni*ch+ci+1)*P]
				for ki := 0; ki < kprod; ki++ {
					r := (ni*ch+ci)*kprod + ki
					addRow(sc, kc[ki], xf[r*L:(r+1)*L], yc)
				}
			}
		}
	}
	if x.DType().IsFloat() || x.DType().IsInt() {
		o, err := newOut[float64](x.DType(), append([]int{n, ch}, imgI...))
		if err != nil {
			return nil, err
		}
		run(floatsOf[float64](x), o.data)
		return []*tensor.Tensor{o.finish()}, nil
	}
	return nil, fmt.Errorf("Col2Im does not support %s", x.DType())
}
