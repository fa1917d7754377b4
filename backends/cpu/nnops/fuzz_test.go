package nnops

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// fuzzReader hands out values decoded from fuzz input; past the end it
// returns zeros.
type fuzzReader struct{ b []byte }

func (f *fuzzReader) byte() byte {
	if len(f.b) == 0 {
		return 0
	}
	v := f.b[0]
	f.b = f.b[1:]
	return v
}

func (f *fuzzReader) pick(n int) int { return int(f.byte()) % n }

// scale returns a resize factor: mostly modest, sometimes zero, negative,
// NaN, infinite or huge.
func (f *fuzzReader) scale() float32 {
	switch k := f.byte(); {
	case k < 200:
		return float32(k%16+1) / 4
	case k < 210:
		return 0
	case k < 220:
		return -1
	case k < 230:
		return float32(math.NaN())
	case k < 240:
		return float32(math.Inf(1))
	default:
		return 1e12
	}
}

// size returns an output size: mostly small, sometimes zero, negative or
// far past the tensor limits.
func (f *fuzzReader) size() int64 {
	switch k := f.byte(); {
	case k < 220:
		return int64(k%8 + 1)
	case k < 235:
		return 0
	case k < 245:
		return -3
	default:
		return 1 << 40
	}
}

// FuzzResize runs Resize (opsets 10 to 19) and Upsample on random shapes,
// attributes, scales and sizes. Each run must return, with an error where
// the inputs break a rule, and never panic; when the kernel succeeds, the
// shape function must agree with it (runOp checks that).
func FuzzResize(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {4, 1, 2, 3, 4, 0, 0, 1, 5, 5, 5, 5},
		{3, 2, 2, 2, 1, 1, 3, 200, 210, 220, 230, 240, 250},
		{2, 1, 3, 2, 2, 0, 4, 1, 9, 9, 1, 1, 1, 1},
	} {
		f.Add(seed)
	}
	modes := []string{"nearest", "linear", "cubic", "bilinear"}
	coords := []string{"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize", "bogus"}
	nearest := []string{"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "bogus"}
	policies := []string{"stretch", "not_larger", "not_smaller", "bogus"}
	opsets := []int{10, 11, 13, 18, 19}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr := &fuzzReader{data}
		rank := 1 + fr.pick(4)
		shape := make([]int, rank)
		for i := range shape {
			shape[i] = 1 + fr.pick(4)
		}
		x := tensor.New(tensor.Float32, shape...)
		for i := range x.Float32s() {
			x.Float32s()[i] = float32(fr.pick(7)) - 3
		}
		opset := opsets[fr.pick(len(opsets))]
		attrs := []ir.Attr{ir.AString("mode", modes[fr.pick(len(modes))])}
		if opset >= 11 {
			attrs = append(attrs,
				ir.AString("coordinate_transformation_mode", coords[fr.pick(len(coords))]),
				ir.AString("nearest_mode", nearest[fr.pick(len(nearest))]),
				ir.AFloat("cubic_coeff_a", -0.75+float32(fr.pick(3))*0.25),
				ir.AInt("exclude_outside", int64(fr.pick(2))))
		}
		n := rank
		if opset >= 18 {
			attrs = append(attrs, ir.AInt("antialias", int64(fr.pick(2))),
				ir.AString("keep_aspect_ratio_policy", policies[fr.pick(len(policies))]))
			if fr.pick(2) == 0 {
				n = 1 + fr.pick(rank)
				axes := make([]int64, n)
				for i := range axes {
					axes[i] = int64(fr.pick(2*rank+1) - rank)
				}
				attrs = append(attrs, ir.AInts("axes", axes...))
			}
		}
		var scales, sizes, roi *tensor.Tensor
		if fr.pick(2) == 0 {
			v := make([]float32, n)
			for i := range v {
				v[i] = fr.scale()
			}
			scales = tensor.FromSlice(v)
		} else {
			v := make([]int64, n)
			for i := range v {
				v[i] = fr.size()
			}
			sizes = tensor.FromSlice(v)
		}
		if fr.pick(3) == 0 {
			v := make([]float32, 2*n)
			for i := range v {
				v[i] = float32(fr.pick(5)) / 4
			}
			roi = tensor.FromSlice(v)
		}
		switch {
		case opset == 10:
			if scales == nil {
				scales = tensor.FromSlice(make([]float32, n))
			}
			runOp(t, "Resize", opset, attrs, 1, x, scales)
			runOp(t, "Upsample", 9, attrs[:1], 1, x, scales)
		case sizes != nil:
			runOp(t, "Resize", opset, attrs, 1, x, roi, nil, sizes)
		default:
			runOp(t, "Resize", opset, attrs, 1, x, roi, scales)
		}
	})
}
