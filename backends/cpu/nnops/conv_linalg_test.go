package nnops

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestConvFloat32Packed runs float32 convolutions large enough for the
// packed-weight SGEMM path (several tiles, output channels not a multiple
// of the micro-kernel's rows, groups of several channels, 1×1 direct
// convolutions past one tile, a batch) against the naive loop, on one
// goroutine and on several.
func TestConvFloat32Packed(t *testing.T) {
	tests := []struct {
		name         string
		xs, ws       []int
		group        int
		attrs        []ir.Attr
		strides, dil []int
		padsB, out   []int
	}{
		{name: "3x3 pad", xs: []int{2, 19, 23, 29}, ws: []int{37, 19, 3, 3},
			attrs:   []ir.Attr{ir.AInts("pads", 1, 1, 1, 1)},
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{23, 29}},
		{name: "3x3 stride 2 grouped", xs: []int{1, 24, 31, 30}, ws: []int{26, 12, 3, 3}, group: 2,
			attrs:   []ir.Attr{ir.AInt("group", 2), ir.AInts("pads", 1, 1, 1, 1), ir.AInts("strides", 2, 2)},
			strides: []int{2, 2}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{16, 15}},
		{name: "1x1 direct many tiles", xs: []int{1, 33, 40, 41}, ws: []int{13, 33, 1, 1},
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{0, 0}, out: []int{40, 41}},
		{name: "7x7 stride 2 deep", xs: []int{1, 3, 45, 45}, ws: []int{64, 3, 7, 7},
			attrs:   []ir.Attr{ir.AInts("pads", 3, 3, 3, 3), ir.AInts("strides", 2, 2)},
			strides: []int{2, 2}, dil: []int{1, 1}, padsB: []int{3, 3}, out: []int{23, 23}},
		{name: "small spatial, long K", xs: []int{1, 300, 5, 5}, ws: []int{50, 300, 3, 3},
			attrs:   []ir.Attr{ir.AInts("pads", 1, 1, 1, 1)},
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{5, 5}},
	}
	rng := rand.New(rand.NewPCG(3, 4))
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range tests {
		group := max(tc.group, 1)
		x, w := randT(rng, tensor.Float32, tc.xs...), randT(rng, tensor.Float32, tc.ws...)
		b := randT(rng, tensor.Float32, tc.ws[0])
		want := naiveConv(valuesOf(x), valuesOf(w), valuesOf(b), tc.xs, tc.ws, group, tc.strides, tc.dil, tc.padsB, tc.out)
		for _, procs := range []int{1, 3} {
			runtime.GOMAXPROCS(procs)
			name := fmt.Sprintf("%s/procs%d", tc.name, procs)
			got := mustRun(t, "Conv", 11, tc.attrs, 1, x, w, b)[0]
			// Sums of K = C/group·taps products of values below 1.
			tol := float64(tc.ws[1]*prod(tc.ws[2:])) * 0x1p-21
			checkClose(t, name, got, append([]int{tc.xs[0], tc.ws[0]}, tc.out...), want, tol, tol)
		}
	}
}

// BenchmarkConvFloat32 times float32 convolutions of ResNet-50's shapes
// at batch 1 and reports GFLOP/s.
func BenchmarkConvFloat32(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, bc := range []struct {
		name     string
		c, hw, m int
		k, s     int
	}{
		{"3x3x64@56", 64, 56, 64, 3, 1},
		{"1x1x64to256@56", 64, 56, 256, 1, 1},
		{"3x3x256@14", 256, 14, 256, 3, 1},
		{"3x3x512@7", 512, 7, 512, 3, 1},
		{"7x7x3to64s2@224", 3, 224, 64, 7, 2},
	} {
		x := randT(rng, tensor.Float32, 1, bc.c, bc.hw, bc.hw)
		w := randT(rng, tensor.Float32, bc.m, bc.c, bc.k, bc.k)
		p := int64(bc.k / 2)
		attrs := []ir.Attr{ir.AInts("pads", p, p, p, p), ir.AInts("strides", int64(bc.s), int64(bc.s))}
		out := (bc.hw+2*int(p)-bc.k)/bc.s + 1
		flops := 2 * float64(bc.m*bc.c*bc.k*bc.k*out*out)
		// The weights are a parameter, not a constant: each run packs them,
		// as for weights a model computes.
		f := ir.NewFunc("bench")
		xv := f.AddParam("x", ir.TensorType(tensor.Float32, 1, int64(bc.c), int64(bc.hw), int64(bc.hw)))
		wv := f.AddParam("w", ir.TensorType(tensor.Float32, int64(bc.m), int64(bc.c), int64(bc.k), int64(bc.k)))
		n := f.NewNode("Conv", "", 11, []*ir.Value{xv, wv}, []string{"y"}, attrs...)
		run := kernels.Lookup(n)[0].Run
		ctx := &kernels.Ctx{Node: n, Opset: 11}
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := run(ctx, []tensor.Value{x, w}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
