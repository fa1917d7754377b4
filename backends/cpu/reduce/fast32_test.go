package reduce

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The float32 fast paths are checked against the general paths (the
// definition), which run when fastPaths is off: results must agree bit
// for bit, except that any NaN matches any NaN.

var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-30, 1e30,
}

// randSpecial returns a float32 tensor of moderate values with a share of
// special ones (one in rare elements; none when rare is 0).
func randSpecial(rng *rand.Rand, rare int, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	v := tensor.Data[float32](t)
	for i := range v {
		switch {
		case rare > 0 && rng.IntN(rare) == 0:
			v[i] = specials[rng.IntN(len(specials))]
		case rng.IntN(10) == 0:
			v[i] = float32(rng.NormFloat64() * 1e20)
		default:
			v[i] = float32(rng.NormFloat64() * 3)
		}
	}
	return t
}

func sameResult(got, want *tensor.Tensor) string {
	if got.DType() != want.DType() || !equalInts(got.Shape(), want.Shape()) {
		return fmt.Sprintf("got %s%v, want %s%v", got.DType(), got.Shape(), want.DType(), want.Shape())
	}
	if got.DType() == tensor.Float64 {
		g, w := tensor.Data[float64](got), tensor.Data[float64](want)
		for i := range g {
			if g[i] != g[i] && w[i] != w[i] {
				continue
			}
			if math.Float64bits(g[i]) != math.Float64bits(w[i]) {
				return fmt.Sprintf("element %d: got %g, want %g", i, g[i], w[i])
			}
		}
		return ""
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
			return fmt.Sprintf("element %d: got %g (%#x), want %g (%#x)", i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
		}
	}
	return ""
}

// checkFast runs op with nOut outputs both ways and compares them.
func checkFast(t *testing.T, op string, opset int, ins []*tensor.Tensor, nOut int, attrs ...ir.Attr) {
	t.Helper()
	k, c, vs := prepare(t, op, opset, ins, nOut, attrs...)
	got, gerr := k(c, vs)
	fastPaths = false
	want, werr := k(c, vs)
	fastPaths = true
	desc := fmt.Sprintf("%s-%d %v", op, opset, attrs)
	for _, x := range ins {
		if x != nil {
			desc += fmt.Sprintf(" %s%v", x.DType(), x.Shape())
		}
	}
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s: error %v, general path %v", desc, gerr, werr)
	}
	if gerr != nil {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, general path %d", desc, len(got), len(want))
	}
	for i := range want {
		if (got[i] == nil) != (want[i] == nil) {
			t.Fatalf("%s output %d: presence differs", desc, i)
		}
		if want[i] == nil {
			continue
		}
		if d := sameResult(got[i].(*tensor.Tensor), want[i].(*tensor.Tensor)); d != "" {
			t.Errorf("%s output %d: %s", desc, i, d)
		}
	}
}

func ia(name string, v int64) ir.Attr { return ir.Attr{Name: name, Type: ir.AttrInt, I: v} }

func TestFastReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	cases := []struct {
		shape []int
		axes  [][]int64
	}{
		{[]int{3, 5, 7}, [][]int64{{0}, {1}, {2}, {0, 1}, {1, 2}, {0, 2}, {0, 1, 2}, {-1}, {}}},
		{[]int{3, 1, 7}, [][]int64{{1}, {0, 1}, {1, 2}, {0}}},
		{[]int{1, 1}, [][]int64{{0}, {1}, {}}},
		{[]int{}, [][]int64{{}}},
		{[]int{9}, [][]int64{{0}}},
		{[]int{0, 3}, [][]int64{{0}, {1}}},
		{[]int{301, 300}, [][]int64{{1}, {0}, {}}},
		{[]int{4, 130, 131}, [][]int64{{1}, {2}, {1, 2}}},
		{[]int{2, 2, 3000}, [][]int64{{1}, {0}}},
		{[]int{5, 2, 3, 4}, [][]int64{{2, 3}, {1, 2}, {0, 3}}},
	}
	ops := []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"}
	for _, cs := range cases {
		for _, rare := range []int{0, 7} {
			x := randSpecial(rng, rare, cs.shape...)
			if rare == 0 && len(cs.shape) > 0 {
				// Products of many moderate values overflow; keep them near 1.
				for i, v := range tensor.Data[float32](x) {
					tensor.Data[float32](x)[i] = 1 + v/1e21
				}
			}
			for _, axes := range cs.axes {
				for _, op := range ops {
					for _, keep := range []int64{0, 1} {
						checkFast(t, op, 18, []*tensor.Tensor{x, tensor.FromSlice(axes)}, 1, ia("keepdims", keep))
					}
				}
				checkFast(t, "ReduceSum", 11, []*tensor.Tensor{x}, 1, ir.Attr{Name: "axes", Type: ir.AttrInts, Ints: axes})
				checkFast(t, "ReduceMax", 13, []*tensor.Tensor{x}, 1, ir.Attr{Name: "axes", Type: ir.AttrInts, Ints: axes})
			}
		}
	}
	x := randSpecial(rng, 5, 3, 4)
	checkFast(t, "ReduceSum", 13, []*tensor.Tensor{x, tensor.FromSlice([]int64{})}, 1, ia("noop_with_empty_axes", 1))
	// Signed zeros: a sum starts from +0, Max and Min keep the first of
	// equal elements.
	z := tensor.FromSlice([]float32{float32(math.Copysign(0, -1)), 0, float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))})
	z2, _ := z.Reshape(2, 2)
	for _, op := range ops {
		for _, axes := range [][]int64{{0}, {1}, {}} {
			checkFast(t, op, 18, []*tensor.Tensor{z2, tensor.FromSlice(axes)}, 1)
		}
	}
}

func TestFastSoftmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 6))
	shapes := [][]int{{7}, {3, 5}, {2, 3, 4, 5}, {64, 1000}, {3, 1}, {1, 1}, {0, 4}, {4, 0}, {300, 301}}
	for _, shape := range shapes {
		for _, rare := range []int{0, 3} {
			x := randSpecial(rng, rare, shape...)
			for _, op := range []string{"Softmax", "LogSoftmax", "Hardmax"} {
				for axis := -len(shape); axis < len(shape); axis++ {
					checkFast(t, op, 13, []*tensor.Tensor{x}, 1, ia("axis", int64(axis)))
					checkFast(t, op, 11, []*tensor.Tensor{x}, 1, ia("axis", int64(axis)))
				}
				checkFast(t, op, 13, []*tensor.Tensor{x}, 1)
			}
		}
	}
	// Rows of infinities and NaNs.
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	rows := tensor.FromSlice([]float32{-inf, -inf, -inf, inf, 1, 2, nan, 1, 2, inf, inf, 0})
	r, _ := rows.Reshape(4, 3)
	checkFast(t, "Softmax", 13, []*tensor.Tensor{r}, 1)
	checkFast(t, "LogSoftmax", 13, []*tensor.Tensor{r}, 1)
}

func TestFastLayerNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 7))
	shapes := [][]int{{7}, {3, 5}, {2, 3, 4, 5}, {32, 16, 64}, {5, 1}, {1, 1, 1}, {300, 130}}
	for _, shape := range shapes {
		for _, rare := range []int{0, 9} {
			x := randSpecial(rng, rare, shape...)
			for axis := -len(shape); axis < len(shape); axis++ {
				a := axis
				if a < 0 {
					a += len(shape)
				}
				ns := shape[a:]
				scales := [][]int{ns, append([]int{1}, ns...), shape}
				for _, ss := range scales {
					if len(ss) > len(shape) {
						continue
					}
					scale := randSpecial(rng, rare, ss...)
					bias := randSpecial(rng, rare, ss...)
					for _, opts := range [][]ir.Attr{nil, {ia("stash_type", int64(tensor.Float64))}, {ir.Attr{Name: "epsilon", Type: ir.AttrFloat, F: 0.1}}} {
						attrs := append([]ir.Attr{ia("axis", int64(axis))}, opts...)
						checkFast(t, "LayerNormalization", 17, []*tensor.Tensor{x, scale, bias}, 3, attrs...)
						checkFast(t, "LayerNormalization", 17, []*tensor.Tensor{x, scale}, 3, attrs...)
						checkFast(t, "LayerNormalization", 17, []*tensor.Tensor{x, scale, bias}, 1, attrs...)
					}
				}
			}
		}
	}
	// A scale over the normalized dims that is not trailing (its own
	// leading dim would broadcast over the rows).
	x := randSpecial(rng, 0, 4, 4)
	checkFast(t, "LayerNormalization", 17, []*tensor.Tensor{x, randSpecial(rng, 0, 4, 1)}, 3, ia("axis", 1))
}

func TestFastBatchNorm(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 8))
	shapes := [][]int{{2, 3}, {2, 3, 4, 5}, {4, 7, 1}, {1, 5, 3, 3}, {3, 9, 130, 60}, {2, 6, 5}, {2, 3, 0}}
	positive := func(dt tensor.DType, n int) *tensor.Tensor {
		t := tensor.New(dt, n)
		for i := 0; i < n; i++ {
			t.SetFloat64At(i, 0.1+rng.Float64()*2)
		}
		return t
	}
	param := func(dt tensor.DType, n int) *tensor.Tensor {
		t := tensor.New(dt, n)
		for i := 0; i < n; i++ {
			t.SetFloat64At(i, rng.NormFloat64())
		}
		return t
	}
	for _, shape := range shapes {
		ch := shape[1]
		for _, rare := range []int{0, 11} {
			x := randSpecial(rng, rare, shape...)
			for _, pt := range []tensor.DType{tensor.Float32, tensor.Float64} {
				ins := []*tensor.Tensor{x, param(pt, ch), param(pt, ch), param(pt, ch), positive(pt, ch)}
				if pt == tensor.Float32 {
					// Parameters of X's type at every opset.
					checkFast(t, "BatchNormalization", 9, ins, 1)
					checkFast(t, "BatchNormalization", 9, ins, 5)
					checkFast(t, "BatchNormalization", 7, ins, 5)
					checkFast(t, "BatchNormalization", 6, ins, 5, ia("is_test", 0))
					checkFast(t, "BatchNormalization", 6, ins, 1, ia("is_test", 1))
				}
				checkFast(t, "BatchNormalization", 15, ins, 1)
				checkFast(t, "BatchNormalization", 15, ins, 3, ia("training_mode", 1))
				checkFast(t, "BatchNormalization", 15, ins, 3, ia("training_mode", 1),
					ir.Attr{Name: "momentum", Type: ir.AttrFloat, F: 0.3}, ir.Attr{Name: "epsilon", Type: ir.AttrFloat, F: 0.01})
			}
		}
	}
	// spatial = 0 before opset 9: parameters per element of an instance.
	x := randSpecial(rng, 0, 2, 3, 4)
	ins := []*tensor.Tensor{x, param(tensor.Float32, 12), param(tensor.Float32, 12), param(tensor.Float32, 12), positive(tensor.Float32, 12)}
	checkFast(t, "BatchNormalization", 7, ins, 5, ia("spatial", 0))
}
