package shapeops

import (
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Fuzz targets: each decodes random shapes, attributes and index values
// from the fuzzer's bytes, runs a kernel and requires that it returns
// (an error is fine) instead of panicking. Sizes are kept small, and the
// only large values are ones far past the tensor limits, so a run never
// allocates much.

// fuzzBytes hands out values decoded from fuzz input; past the end it
// returns zeros.
type fuzzBytes struct{ b []byte }

func (f *fuzzBytes) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	v := f.b[0]
	f.b = f.b[1:]
	return v
}

// small returns a value in [lo, hi].
func (f *fuzzBytes) small(lo, hi int) int { return lo + int(f.byte())%(hi-lo+1) }

// index returns a value near the range of a dim of size n, or now and then
// an extreme one.
func (f *fuzzBytes) index(n int) int64 {
	switch k := f.byte(); {
	case k < 200:
		return int64(int(k)%(2*n+5) - n - 2)
	case k < 210:
		return math.MaxInt64
	case k < 220:
		return math.MinInt64
	case k < 230:
		return 1 << 40
	case k < 240:
		return -(1 << 40)
	default:
		return int64(int8(f.byte()) / 8)
	}
}

var fuzzTypes = []tensor.DType{tensor.Float32, tensor.Int64, tensor.String, tensor.Bool, tensor.Float16, tensor.Uint8, tensor.Complex128}

// tensorOf returns a tensor of rank 0..4 with dims 0..4 and some element
// type, filled with small values.
func (f *fuzzBytes) tensor() *tensor.Tensor {
	r := f.small(0, 4)
	shape := make([]int, r)
	for i := range shape {
		shape[i] = f.small(0, 4)
	}
	dt := fuzzTypes[f.small(0, len(fuzzTypes)-1)]
	t := tensor.New(dt, shape...)
	for i := 0; i < t.Len(); i++ {
		if dt == tensor.String {
			t.Strings()[i] = string(rune('a' + f.small(0, 3)))
		} else {
			t.SetInt64At(i, int64(f.small(0, 3)))
		}
	}
	return t
}

func (f *fuzzBytes) ints(n, dim int) *tensor.Tensor {
	v := make([]int64, n)
	for i := range v {
		v[i] = f.index(dim)
	}
	return tensor.FromSlice(v)
}

func noPanic(t *testing.T, op string, err error) {
	if err != nil && strings.HasPrefix(err.Error(), "panic:") {
		t.Fatalf("%s: %v", op, err)
	}
}

var fuzzSeeds = [][]byte{
	{}, {2, 3, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	{4, 2, 2, 2, 2, 1, 200, 210, 220, 230, 240, 3, 5},
	{1, 0, 3, 2, 7, 7, 7, 7, 0, 0, 0, 9, 1, 1},
	{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4},
}

func FuzzReshape(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fb := &fuzzBytes{data}
		x := fb.tensor()
		n := fb.small(0, 5)
		shape := make([]int64, n)
		for i := range shape {
			shape[i] = fb.index(4)
		}
		attrs := []ir.Attr{ir.AInt("allowzero", int64(fb.small(0, 1)))}
		_, err := call("Reshape", 14, attrs, 1, x, tensor.FromSlice(shape))
		noPanic(t, "Reshape", err)
		_, err = call("Reshape", 1, []ir.Attr{ir.AInts("shape", shape...)}, 1, x)
		noPanic(t, "Reshape-1", err)
		_, err = call("Flatten", 13, []ir.Attr{ir.AInt("axis", fb.index(3))}, 1, x)
		noPanic(t, "Flatten", err)
		_, err = call("Squeeze", 13, nil, 1, x, fb.ints(fb.small(0, 3), x.Rank()))
		noPanic(t, "Squeeze", err)
		_, err = call("Unsqueeze", 13, nil, 1, x, fb.ints(fb.small(0, 3), x.Rank()+2))
		noPanic(t, "Unsqueeze", err)
		_, err = call("Transpose", 13, []ir.Attr{ir.AInts("perm", fb.ints(x.Rank(), x.Rank()).Int64s()...)}, 1, x)
		noPanic(t, "Transpose", err)
	})
}

func FuzzSlice(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fb := &fuzzBytes{data}
		x := fb.tensor()
		n := fb.small(0, 4)
		in := []*tensor.Tensor{x, fb.ints(n, 4), fb.ints(n+fb.small(0, 1), 4), nil, nil}
		if fb.byte()%2 == 0 {
			in[3] = fb.ints(n, x.Rank())
		}
		if fb.byte()%2 == 0 {
			in[4] = fb.ints(n, 3)
		}
		_, err := call("Slice", 13, nil, 1, in...)
		noPanic(t, "Slice", err)
		if x.Rank() > 0 {
			parts := fb.small(1, 3)
			var split *tensor.Tensor
			if fb.byte()%2 == 0 {
				split = fb.ints(parts, 3)
			}
			_, err = call("Split", 18, []ir.Attr{ir.AInt("axis", fb.index(x.Rank()))}, parts, x, split)
			noPanic(t, "Split", err)
		}
	})
}

func FuzzGatherScatter(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	reductions := []string{"none", "add", "mul", "max", "min", "bogus"}
	f.Fuzz(func(t *testing.T, data []byte) {
		fb := &fuzzBytes{data}
		x := fb.tensor()
		axis := fb.index(x.Rank())
		shape := make([]int, fb.small(0, 3))
		for i := range shape {
			shape[i] = fb.small(0, 3)
		}
		dim := 3
		if x.Rank() > 0 {
			dim = x.Shape()[0]
		}
		idx := tensor.New(tensor.Int64, shape...)
		for i := 0; i < idx.Len(); i++ {
			idx.SetInt64At(i, fb.index(dim))
		}
		_, err := call("Gather", 13, []ir.Attr{ir.AInt("axis", axis)}, 1, x, idx)
		noPanic(t, "Gather", err)
		_, err = call("GatherElements", 13, []ir.Attr{ir.AInt("axis", axis)}, 1, x, idx)
		noPanic(t, "GatherElements", err)
		_, err = call("GatherND", 13, []ir.Attr{ir.AInt("batch_dims", int64(fb.small(0, 2)))}, 1, x, idx)
		noPanic(t, "GatherND", err)
		upd := tensor.New(x.DType(), shape...)
		if fb.byte()%4 == 0 {
			upd = fb.tensor()
		}
		red := reductions[fb.small(0, len(reductions)-1)]
		attrs := []ir.Attr{ir.AInt("axis", axis), ir.AString("reduction", red)}
		_, err = call("ScatterElements", 18, attrs, 1, x, idx, upd)
		noPanic(t, "ScatterElements", err)
		_, err = call("ScatterND", 18, attrs[1:], 1, x, idx, upd)
		noPanic(t, "ScatterND", err)
	})
}

func FuzzPad(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	modes := []string{"constant", "reflect", "edge", "wrap", "bogus"}
	f.Fuzz(func(t *testing.T, data []byte) {
		fb := &fuzzBytes{data}
		x := fb.tensor()
		n := x.Rank()
		var axes *tensor.Tensor
		if fb.byte()%2 == 0 {
			n = fb.small(0, 3)
			axes = fb.ints(n, x.Rank())
		}
		pads := fb.ints(max(0, 2*n+fb.small(-1, 1)), 4)
		var cv *tensor.Tensor
		if fb.byte()%2 == 0 {
			cv = fb.tensor()
		}
		attrs := []ir.Attr{ir.AString("mode", modes[fb.small(0, len(modes)-1)])}
		_, err := call("Pad", 19, attrs, 1, x, pads, cv, axes)
		noPanic(t, "Pad", err)
		_, err = call("CenterCropPad", 18, nil, 1, x, fb.ints(x.Rank(), 5))
		noPanic(t, "CenterCropPad", err)
		_, err = call("Tile", 13, nil, 1, x, fb.ints(x.Rank(), 2))
		noPanic(t, "Tile", err)
		_, err = call("Expand", 13, nil, 1, x, fb.ints(fb.small(0, 4), 3))
		noPanic(t, "Expand", err)
	})
}
