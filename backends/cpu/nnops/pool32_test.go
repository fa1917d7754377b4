package nnops

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The float32 pooling fast paths are checked against the general path
// (the definition), which runs when poolFastPaths is off: outputs must
// agree bit for bit, except that any NaN matches any NaN.

func poolSpecials(rng *rand.Rand, rare int, shape ...int) *tensor.Tensor {
	sp := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1, -1, math.MaxFloat32, 1e30, 1e-30}
	t := tensor.New(tensor.Float32, shape...)
	for i := range tensor.Data[float32](t) {
		v := float32(rng.IntN(9) - 4) // many ties
		switch {
		case rare > 0 && rng.IntN(rare) == 0:
			v = sp[rng.IntN(len(sp))]
		case rng.IntN(2) == 0:
			v = float32(rng.NormFloat64() * 1e10)
		}
		tensor.Data[float32](t)[i] = v
	}
	return t
}

func samePoolResult(got, want *tensor.Tensor) string {
	if got.DType() != want.DType() || !sameShape(got.Shape(), want.Shape()) {
		return fmt.Sprintf("got %s%v, want %s%v", got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	if got.DType() != tensor.Float32 {
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			return "bytes differ"
		}
		return ""
	}
	g, w := tensor.Data[float32](got), tensor.Data[float32](want)
	for i := range g {
		if g[i] != g[i] && w[i] != w[i] {
			continue
		}
		if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
			return fmt.Sprintf("element %d: got %g, want %g", i, g[i], w[i])
		}
	}
	return ""
}

func checkPoolFast(t *testing.T, op string, opset int, x *tensor.Tensor, nOut int, attrs ...ir.Attr) {
	t.Helper()
	k, c := poolPrepare(t, op, opset, x, nOut, attrs...)
	got, gerr := k(c, []tensor.Value{x})
	poolFastPaths = false
	want, werr := k(c, []tensor.Value{x})
	poolFastPaths = true
	desc := fmt.Sprintf("%s-%d %v %v", op, opset, x.Shape(), attrs)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, general path %v", desc, gerr, werr)
	}
	if gerr != nil {
		return
	}
	for i := range want {
		if d := samePoolResult(got[i].(*tensor.Tensor), want[i].(*tensor.Tensor)); d != "" {
			t.Errorf("%s output %d: %s", desc, i, d)
		}
	}
}

func TestPoolFast(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	shapes := [][]int{{2, 3, 7, 9}, {1, 2, 8, 8}, {1, 1, 1, 5}, {2, 2, 5, 1}, {3, 4, 28, 28}}
	type win struct {
		k, s, p, d []int64
		ceil       int64
		auto       string
	}
	wins := []win{
		{k: []int64{2, 2}, s: []int64{2, 2}},
		{k: []int64{3, 3}, s: []int64{1, 1}, p: []int64{1, 1, 1, 1}},
		{k: []int64{3, 3}, s: []int64{2, 2}, p: []int64{1, 1, 1, 1}},
		{k: []int64{2, 3}, s: []int64{1, 2}, p: []int64{0, 1, 1, 2}},
		{k: []int64{3, 2}, s: []int64{3, 1}, p: []int64{2, 0, 0, 1}, d: []int64{2, 1}},
		{k: []int64{2, 2}, s: []int64{2, 2}, ceil: 1},
		{k: []int64{3, 3}, s: []int64{2, 2}, p: []int64{1, 1, 1, 1}, ceil: 1},
		{k: []int64{3, 3}, s: []int64{2, 2}, d: []int64{2, 2}, ceil: 1},
		{k: []int64{1, 1}, s: []int64{1, 1}},
		{k: []int64{5, 5}, s: []int64{1, 1}, p: []int64{2, 2, 2, 2}},
		{k: []int64{2, 2}, s: []int64{2, 2}, auto: "SAME_UPPER"},
		{k: []int64{3, 2}, s: []int64{2, 3}, auto: "SAME_LOWER"},
		{k: []int64{2, 2}, s: []int64{1, 1}, auto: "VALID"},
	}
	ints := func(name string, v []int64) ir.Attr { return ir.Attr{Name: name, Type: ir.AttrInts, Ints: v} }
	for _, shape := range shapes {
		for _, rare := range []int{0, 4} {
			x := poolSpecials(rng, rare, shape...)
			for _, w := range wins {
				attrs := []ir.Attr{ints("kernel_shape", w.k), ints("strides", w.s)}
				if w.auto != "" {
					attrs = append(attrs, ir.Attr{Name: "auto_pad", Type: ir.AttrString, S: w.auto})
				} else if w.p != nil {
					attrs = append(attrs, ints("pads", w.p))
				}
				if w.ceil != 0 {
					attrs = append(attrs, ir.Attr{Name: "ceil_mode", Type: ir.AttrInt, I: 1})
				}
				if w.d != nil {
					attrs = append(attrs, ints("dilations", w.d))
				}
				for _, so := range []int64{0, 1} {
					a := append(append([]ir.Attr{}, attrs...), ir.Attr{Name: "storage_order", Type: ir.AttrInt, I: so})
					checkPoolFast(t, "MaxPool", 12, x, 2, a...)
				}
				checkPoolFast(t, "MaxPool", 12, x, 1, attrs...)
				for _, cip := range []int64{0, 1} {
					a := append(append([]ir.Attr{}, attrs...), ir.Attr{Name: "count_include_pad", Type: ir.AttrInt, I: cip})
					checkPoolFast(t, "AveragePool", 19, x, 1, a...)
				}
			}
			checkPoolFast(t, "GlobalAveragePool", 1, x, 1)
			checkPoolFast(t, "GlobalMaxPool", 1, x, 1)
		}
	}
	for _, shape := range [][]int{{2, 3}, {2, 3, 5}, {2, 3, 0, 2}, {5, 3, 4, 4, 4}, {2, 1, 1}} {
		checkPoolFast(t, "GlobalAveragePool", 1, poolSpecials(rng, 4, shape...), 1)
	}
	// Pooling over one and three spatial dims keeps the general path.
	checkPoolFast(t, "MaxPool", 12, poolSpecials(rng, 4, 2, 3, 9), 2, ints("kernel_shape", []int64{3}))
	checkPoolFast(t, "AveragePool", 19, poolSpecials(rng, 4, 2, 3, 4, 5, 6), 1, ints("kernel_shape", []int64{2, 2, 2}))
}
