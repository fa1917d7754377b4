package nnops

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"weak"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/backends/cpu/linalg"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		def("Conv", convKernel),
		def("ConvInteger", convIntegerKernel),
		def("QLinearConv", qlinearConvKernel),
		def("ConvTranspose", convTransposeKernel),
		def("DeformConv", deformConvKernel),
	)
}

// geom is the geometry of a convolution or pooling over N×C×spatial data.
type geom struct {
	n, c    int   // batch and input channels
	in      []int // input spatial sizes
	kernel  []int
	strides []int
	dil     []int
	pads    []int // begin pads, then end pads
	out     []int // output spatial sizes
}

func (g *geom) nd() int { return len(g.in) }

// windowGeom reads the window attributes of the node for input x; kernel
// is the weight's spatial shape (nil for pooling ops, whose kernel_shape
// attribute is required).
func windowGeom(c *kernels.Ctx, x *tensor.Tensor, kernel []int) (*geom, error) {
	if x.Rank() < 3 {
		return nil, fmt.Errorf("input must have rank at least 3 (N, C, spatial...), got shape %v", x.Shape())
	}
	var k64 []int64
	if kernel != nil {
		k64 = toInt64s(kernel)
	}
	w := ir.WindowFromNode(c.Node, k64)
	if kernel != nil && c.Has("kernel_shape") {
		ks := c.Ints("kernel_shape")
		if len(ks) != len(kernel) {
			return nil, fmt.Errorf("kernel_shape %v does not match the weight's spatial shape %v", ks, kernel)
		}
		for i := range ks {
			if int(ks[i]) != kernel[i] {
				return nil, fmt.Errorf("kernel_shape %v does not match the weight's spatial shape %v", ks, kernel)
			}
		}
	}
	if w.Kernel == nil {
		return nil, fmt.Errorf("kernel_shape is required")
	}
	nd := x.Rank() - 2
	if err := w.Normalize(nd); err != nil {
		return nil, err
	}
	if err := checkTaps(w.Kernel); err != nil {
		return nil, err
	}
	out, pads, err := w.Output(toInt64s(x.Shape()[2:]))
	if err != nil {
		return nil, err
	}
	return &geom{n: x.Dim(0), c: x.Dim(1), in: append([]int{}, x.Shape()[2:]...), kernel: kernels.ToInts(w.Kernel),
		strides: kernels.ToInts(w.Strides), dil: kernels.ToInts(w.Dilations), pads: kernels.ToInts(pads),
		out: kernels.ToInts(out)}, nil
}

// maxTaps bounds the number of taps of one window, which kernels
// enumerate up front.
const maxTaps = 1 << 24

// checkTaps refuses a kernel with more than maxTaps taps.
func checkTaps(kernel []int64) error {
	n := int64(1)
	for _, k := range kernel {
		n *= k
		if n > maxTaps {
			return fmt.Errorf("kernel %v has more than %d taps", kernel, maxTaps)
		}
	}
	return nil
}

func toInt64s(s []int) []int64 {
	out := make([]int64, len(s))
	for i, v := range s {
		out[i] = int64(v)
	}
	return out
}

// convShape checks X, W and B of a convolution and returns its geometry,
// the number of output channels and the group count.
func convShape(c *kernels.Ctx, x, w, b *tensor.Tensor) (*geom, int, int, error) {
	if x.Rank() < 3 {
		return nil, 0, 0, fmt.Errorf("input must have rank at least 3 (N, C, spatial...), got shape %v", x.Shape())
	}
	if w.Rank() != x.Rank() {
		return nil, 0, 0, fmt.Errorf("weight shape %v must have the input's rank %d", w.Shape(), x.Rank())
	}
	group := int(c.Int("group"))
	if group < 1 {
		return nil, 0, 0, fmt.Errorf("group must be at least 1, got %d", group)
	}
	m := w.Dim(0)
	if m%group != 0 {
		return nil, 0, 0, fmt.Errorf("weight's %d output channels are not divisible by group %d", m, group)
	}
	if x.Dim(1) != w.Dim(1)*group {
		return nil, 0, 0, fmt.Errorf("channel mismatch: input has %d channels, weight expects %d x group %d", x.Dim(1), w.Dim(1), group)
	}
	if b != nil && (b.Rank() != 1 || b.Dim(0) != m) {
		return nil, 0, 0, fmt.Errorf("bias shape %v must be [%d]", b.Shape(), m)
	}
	g, err := windowGeom(c, x, w.Shape()[2:])
	if err != nil {
		return nil, 0, 0, err
	}
	return g, m, group, nil
}

func convKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, w, b := in[0], in[1], at(in, 2)
	g, m, group, err := convShape(c, x, w, b)
	if err != nil {
		return nil, err
	}
	if useF64(x.DType()) {
		return convTyped[float64](x, w, b, g, m, group, nil)
	}
	return convTyped[float32](x, w, b, g, m, group, constWeightPacks(c, w, m, group))
}

// packedWeights are the packed float32 weights of one constant Conv
// weight tensor, one PackedA per group.
type packedWeights struct {
	m, group int
	packs    []*linalg.PackedA
}

// packCache maps constant weight tensors (weakly, so it keeps none alive)
// to their packed weights: a model run many times packs them once.
var packCache sync.Map // weak.Pointer[tensor.Tensor] → *packedWeights

// constWeightPacks returns the packed weights of w when w is the node's
// float32 weight input and stays the same for the program's life (a graph
// constant, or weights the interpreter computed from constants ahead of
// the runs), packing them on first use; nil otherwise, and convForward
// packs per call.
func constWeightPacks(c *kernels.Ctx, w *tensor.Tensor, m, group int) []*linalg.PackedA {
	if c == nil || c.Node == nil || len(c.Node.Inputs) < 2 || w.DType() != tensor.Float32 {
		return nil
	}
	if !c.InputStable(1) {
		return nil
	}
	mg, K := m/group, w.Len()/max(m, 1)
	if mg <= 1 || K == 0 {
		return nil
	}
	key := weak.Make(w)
	if e, ok := packCache.Load(key); ok {
		if pw := e.(*packedWeights); pw.m == m && pw.group == group {
			return pw.packs
		}
		return nil
	}
	pw := &packedWeights{m: m, group: group, packs: packGroups(w.Float32s(), group, mg, K)}
	if _, loaded := packCache.LoadOrStore(key, pw); !loaded {
		runtime.AddCleanup(w, func(k weak.Pointer[tensor.Tensor]) { packCache.Delete(k) }, key)
	}
	return pw.packs
}

// packGroups packs each group's mg×K block of the weights w.
func packGroups(w []float32, group, mg, K int) []*linalg.PackedA {
	packs := make([]*linalg.PackedA, group)
	for gi := range packs {
		packs[gi] = linalg.PackA(false, mg, K, w[gi*mg*K:(gi+1)*mg*K], K)
	}
	return packs
}

// at returns in[i], or nil when the input is absent.
func at(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

func convTyped[F Float](x, w, b *tensor.Tensor, g *geom, m, group int, packs []*linalg.PackedA) ([]*tensor.Tensor, error) {
	o, err := newOut[F](x.DType(), append([]int{g.n, m}, g.out...))
	if err != nil {
		return nil, err
	}
	var bias []F
	if b != nil {
		bias = floatsOf[F](b)
	}
	convForward(g, m, group, floatsOf[F](x), floatsOf[F](w), bias, o.data, packs)
	return []*tensor.Tensor{o.finish()}, nil
}

// convForward computes y = conv(x, w) + bias for data laid out N×C×spatial
// (x), M×C/group×kernel (w) and N×M×out (y, zero on entry). The output
// positions are cut into tiles; each tile gathers its input patches
// (im2col) and multiplies them by the weights. Float32 weights of groups
// with several output channels go through linalg's SGEMM packed: packs
// when the caller has them, else packed here once for the call.
func convForward[F Float](g *geom, m, group int, x, w, bias, y []F, packs []*linalg.PackedA) {
	cg, mg := g.c/group, m/group
	kprod := prod(g.kernel)
	K := cg * kprod
	P := prod(g.out)
	inPlane := prod(g.in)
	if P == 0 || g.n == 0 || m == 0 {
		return
	}
	direct := kprod == 1
	for i := range g.kernel {
		direct = direct && g.strides[i] == 1 && g.pads[i] == 0 && g.pads[i+g.nd()] == 0
	}
	if w32, ok := any(w).([]float32); ok && packs == nil && mg > 1 && K > 0 {
		packs = packGroups(w32, group, mg, K)
		defer func() {
			for _, p := range packs {
				p.Release()
			}
		}()
	}
	T := P
	switch {
	case direct:
		T = min(P, 1024)
	case packs != nil:
		// A multiple of the SGEMM's panel widths, the patches of one tile
		// about 512 KiB (a quarter of a 2 MiB L2).
		T = min(P, max(64, 131072/max(K, 1)/64*64))
	default:
		T = min(P, max(64, 65536/max(K, 1)))
	}
	tiles := (P + T - 1) / T
	items := g.n * group * tiles
	// When there are fewer tiles than goroutines, each SGEMM gets a share.
	threads := max(1, runtime.GOMAXPROCS(0)/items)
	kc := kernelCoords(g.kernel)
	cols := make([][]F, numWorkers(items))
	parallelW(items, func(wid, it int) {
		tile := it % tiles
		gi := (it / tiles) % group
		ni := it / (tiles * group)
		p0 := tile * T
		p1 := min(P, p0+T)
		tw := p1 - p0
		yBase := (ni*m+gi*mg)*P + p0
		if bias != nil {
			for oc := 0; oc < mg; oc++ {
				bv := bias[gi*mg+oc]
				row := y[yBase+oc*P : yBase+oc*P+tw]
				for j := range row {
					row[j] = bv
				}
			}
		}
		xg := x[(ni*g.c+gi*cg)*inPlane : (ni*g.c+(gi+1)*cg)*inPlane]
		wg := w[gi*mg*K : (gi+1)*mg*K]
		mul := func(b []F, ldb int) {
			if packs != nil {
				linalg.SgemmPacked(threads, packs[gi], false, tw, 1, any(b).([]float32), ldb, 1, any(y[yBase:]).([]float32), P)
			} else {
				gemmAcc(mg, tw, K, wg, K, b, ldb, y[yBase:], P)
			}
		}
		if direct {
			mul(xg[p0:], inPlane)
			return
		}
		if cols[wid] == nil {
			cols[wid] = make([]F, K*T)
		}
		col := cols[wid]
		for cc := 0; cc < cg; cc++ {
			xc := xg[cc*inPlane : (cc+1)*inPlane]
			for ki := 0; ki < kprod; ki++ {
				row := col[(cc*kprod+ki)*tw : (cc*kprod+ki+1)*tw]
				im2colRow(g, kc[ki], xc, row, p0)
			}
		}
		mul(col, tw)
	})
}

// kernelCoords lists the coordinates of every kernel tap, row-major.
func kernelCoords(kernel []int) [][]int {
	n := prod(kernel)
	out := make([][]int, n)
	cur := make([]int, len(kernel))
	for i := 0; i < n; i++ {
		out[i] = append([]int{}, cur...)
		for d := len(kernel) - 1; d >= 0; d-- {
			cur[d]++
			if cur[d] < kernel[d] {
				break
			}
			cur[d] = 0
		}
	}
	return out
}

// im2colRow fills row with the input values (zero in the padding) that
// kernel tap kc reads for the output positions p0, p0+1, ... of one
// channel plane xc.
func im2colRow[F Float](g *geom, kc []int, xc []F, row []F, p0 int) {
	nd := g.nd()
	last := nd - 1
	oc := make([]int, nd)
	rem := p0
	for d := last; d >= 0; d-- {
		oc[d] = rem % g.out[d]
		rem /= g.out[d]
	}
	sL, inL := g.strides[last], g.in[last]
	kOffL := kc[last]*g.dil[last] - g.pads[last]
	for j := 0; j < len(row); {
		seg := min(g.out[last]-oc[last], len(row)-j)
		off, ok := 0, true
		for d := 0; d < last; d++ {
			ic := oc[d]*g.strides[d] - g.pads[d] + kc[d]*g.dil[d]
			if ic < 0 || ic >= g.in[d] {
				ok = false
				break
			}
			off = off*g.in[d] + ic
		}
		dst := row[j : j+seg]
		if !ok {
			clear(dst)
		} else {
			src := xc[off*inL : (off+1)*inL]
			base := oc[last]*sL + kOffL
			// Valid taps: 0 <= base + t*sL < inL.
			lo := 0
			if base < 0 {
				lo = min(seg, (-base+sL-1)/sL)
			}
			hi := seg
			if base+(seg-1)*sL >= inL {
				hi = max(lo, min(seg, (inL-base+sL-1)/sL))
			}
			clear(dst[:lo])
			if lo >= hi {
				// No tap of this segment reads the input.
			} else if sL == 1 {
				copy(dst[lo:hi], src[base+lo:base+hi])
			} else {
				for t := lo; t < hi; t++ {
					dst[t] = src[base+t*sL]
				}
			}
			clear(dst[hi:])
		}
		j += seg
		oc[last] += seg
		for d := last; d > 0 && oc[d] >= g.out[d]; d-- {
			oc[d] = 0
			oc[d-1]++
		}
	}
}

// Integer convolutions run the float64 path on zero-point-shifted inputs:
// every product and sum of 8-bit values is exact in float64.

// zeroPoints returns the zero point(s) of a quantized input: a scalar or a
// per-channel vector of length n.
func zeroPoints(zp *tensor.Tensor, n int, name string) ([]float64, error) {
	out := make([]float64, n)
	if zp == nil {
		return out, nil
	}
	switch {
	case zp.Len() == 1:
		v := zp.Float64At(0)
		for i := range out {
			out[i] = v
		}
	case zp.Rank() == 1 && zp.Len() == n:
		for i := range out {
			out[i] = zp.Float64At(i)
		}
	default:
		return nil, fmt.Errorf("%s must be a scalar or have %d values, got shape %v", name, n, zp.Shape())
	}
	return out, nil
}

// shiftedConv computes conv(x - xzp, w - wzp[m]) in float64.
func shiftedConv(c *kernels.Ctx, x, w, xzp, wzp *tensor.Tensor) ([]float64, *geom, int, error) {
	g, m, group, err := convShape(c, x, w, nil)
	if err != nil {
		return nil, nil, 0, err
	}
	xz, err := zeroPoints(xzp, 1, "x_zero_point")
	if err != nil {
		return nil, nil, 0, err
	}
	wz, err := zeroPoints(wzp, m, "w_zero_point")
	if err != nil {
		return nil, nil, 0, err
	}
	xf := floatsOf[float64](x)
	if xz[0] != 0 {
		xf = append([]float64(nil), xf...)
		for i := range xf {
			xf[i] -= xz[0]
		}
	}
	wf := append([]float64(nil), floatsOf[float64](w)...)
	per := w.Len() / max(m, 1)
	for i := range wf {
		wf[i] -= wz[i/per]
	}
	y := make([]float64, g.n*m*prod(g.out))
	convForward(g, m, group, xf, wf, nil, y, nil)
	return y, g, m, nil
}

func convIntegerKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	y, g, m, err := shiftedConv(c, in[0], in[1], at(in, 2), at(in, 3))
	if err != nil {
		return nil, err
	}
	out, err := tensor.Alloc(tensor.Int32, append([]int{g.n, m}, g.out...))
	if err != nil {
		return nil, err
	}
	d := tensor.Data[int32](out)
	for i, v := range y {
		d[i] = int32(v)
	}
	return []*tensor.Tensor{out}, nil
}

func qlinearConvKernel(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if len(in) < 8 {
		return nil, fmt.Errorf("QLinearConv needs 8 inputs, got %d", len(in))
	}
	x, xs, xzp, w, ws, wzp, ys, yzp := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	for i, t := range in[:8] {
		if t == nil {
			return nil, fmt.Errorf("input %d of QLinearConv is required", i)
		}
	}
	if xs.Len() != 1 || ys.Len() != 1 || yzp.Len() != 1 || xzp.Len() != 1 {
		return nil, fmt.Errorf("x_scale, x_zero_point, y_scale and y_zero_point must be scalars")
	}
	y, g, m, err := shiftedConv(c, x, w, xzp, wzp)
	if err != nil {
		return nil, err
	}
	wscale, err := zeroPoints(ws, m, "w_scale")
	if err != nil {
		return nil, err
	}
	var bias []int64
	if b := at(in, 8); b != nil {
		if b.Rank() != 1 || b.Len() != m {
			return nil, fmt.Errorf("bias shape %v must be [%d]", b.Shape(), m)
		}
		bias = b.Int64sOf()
	}
	out, err := tensor.Alloc(yzp.DType(), append([]int{g.n, m}, g.out...))
	if err != nil {
		return nil, err
	}
	lo, hi := 0.0, 255.0
	if yzp.DType() == tensor.Int8 {
		lo, hi = -128, 127
	}
	xsc, ysc, yz := float64(float32(xs.Float64At(0))), float64(float32(ys.Float64At(0))), yzp.Float64At(0)
	P := prod(g.out)
	for i, v := range y {
		oc := (i / max(P, 1)) % m
		if bias != nil {
			v += float64(bias[oc])
		}
		r := math.RoundToEven(float64(float32(v*xsc*wscale[oc]/ysc))) + yz
		out.SetFloat64At(i, math.Max(lo, math.Min(hi, r)))
	}
	return []*tensor.Tensor{out}, nil
}
