package nnops

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func deformConvKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, off, b, mask := in[0], in[1], in[2], at(in, 3), at(in, 4)
	g, m, group, err := convShape(c, x, w, b)
	if err != nil {
		return nil, err
	}
	og := int(c.Int("offset_group"))
	if og < 1 || g.c%og != 0 {
		return nil, fmt.Errorf("offset_group %d must be positive and divide the %d input channels", og, g.c)
	}
	nd, kprod := g.nd(), prod(g.kernel)
	if nd > 8 {
		return nil, fmt.Errorf("DeformConv supports at most 8 spatial dims, got %d", nd)
	}
	want := append([]int{g.n, og * kprod * nd}, g.out...)
	if !sameShape(off.Shape(), want) {
		return nil, fmt.Errorf("offset shape %v must be %v (N, offset_group*kernel taps*%d, output spatial)", off.Shape(), want, nd)
	}
	if mask != nil {
		wantM := append([]int{g.n, og * kprod}, g.out...)
		if !sameShape(mask.Shape(), wantM) {
			return nil, fmt.Errorf("mask shape %v must be %v (N, offset_group*kernel taps, output spatial)", mask.Shape(), wantM)
		}
	}
	if useF64(x.DType()) {
		return deformTyped[float64](x, w, off, b, mask, g, m, group, og)
	}
	return deformTyped[float32](x, w, off, b, mask, g, m, group, og)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func deformTyped[F Float](x, w, offT, b, maskT *tensor.Tensor, g *geom, m, group, og int) ([]*tensor.Tensor, error) {
	o, err := newOut[F](x.DType(), append([]int{g.n, m}, g.out...))
	if err != nil {
		return nil, err
	}
	xf, wf, off := floatsOf[F](x), floatsOf[F](w), floatsOf[F](offT)
	var mask, bias []F
	if maskT != nil {
		mask = floatsOf[F](maskT)
	}
	if b != nil {
		bias = floatsOf[F](b)
	}
	nd := g.nd()
	cg, mg := g.c/group, m/group
	kprod := prod(g.kernel)
	K := cg * kprod
	P, inPlane := prod(g.out), prod(g.in)
	chPerOG := g.c / og
	kc := kernelCoords(g.kernel)
	outCoords := kernelCoords(g.out)
	y := o.data
	parallel(g.n*group, func(it int) {
		ni, gi := it/group, it%group
		col := make([]F, K*P)
		pos := make([]float64, nd)
		for cc := 0; cc < cg; cc++ {
			ch := gi*cg + cc
			ogi := ch / chPerOG
			xc := xf[(ni*g.c+ch)*inPlane : (ni*g.c+ch+1)*inPlane]
			for ki := 0; ki < kprod; ki++ {
				row := col[(cc*kprod+ki)*P : (cc*kprod+ki+1)*P]
				for p := 0; p < P; p++ {
					for d := 0; d < nd; d++ {
						oi := ((ni*og+ogi)*kprod*nd + ki*nd + d) * P
						pos[d] = float64(outCoords[p][d]*g.strides[d]-g.pads[d]+kc[ki][d]*g.dil[d]) + float64(off[oi+p])
					}
					v := sampleLinear(xc, g.in, pos)
					if mask != nil {
						v *= float64(mask[((ni*og+ogi)*kprod+ki)*P+p])
					}
					row[p] = F(v)
				}
			}
		}
		yBase := (ni*m + gi*mg) * P
		gemmAcc(mg, P, K, wf[gi*mg*K:(gi+1)*mg*K], K, col, P, y[yBase:], P)
		if bias != nil {
			for oc := 0; oc < mg; oc++ {
				bv := bias[gi*mg+oc]
				for j := yBase + oc*P; j < yBase+(oc+1)*P; j++ {
					y[j] += bv
				}
			}
		}
	})
	return []*tensor.Tensor{o.finish()}, nil
}

// sampleLinear interpolates the grid data (sizes dims) multilinearly at
// pos. A position at or beyond one pixel outside the grid reads zero;
// corners outside the grid count as zero.
func sampleLinear[F Float](data []F, dims []int, pos []float64) float64 {
	nd := len(dims)
	for d := 0; d < nd; d++ {
		if pos[d] <= -1 || pos[d] >= float64(dims[d]) || math.IsNaN(pos[d]) {
			return 0
		}
	}
	var lo [8]int
	var fr [8]float64
	for d := 0; d < nd; d++ {
		f := math.Floor(pos[d])
		lo[d] = int(f)
		fr[d] = pos[d] - f
	}
	sum := 0.0
	for corner := 0; corner < 1<<nd; corner++ {
		wgt, off := 1.0, 0
		for d := 0; d < nd; d++ {
			i := lo[d]
			if corner>>(nd-1-d)&1 == 1 {
				i++
				wgt *= fr[d]
			} else {
				wgt *= 1 - fr[d]
			}
			if i < 0 || i >= dims[d] {
				wgt = 0
				break
			}
			off = off*dims[d] + i
		}
		if wgt != 0 {
			sum += wgt * float64(data[off])
		}
	}
	return sum
}
