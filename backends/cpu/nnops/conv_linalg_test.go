package nnops

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

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
