// Package quant holds the CPU kernels of linear quantization:
// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear and QLinearMatMul.
package quant

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.Simple("QuantizeLinear", quantizeLinear),
		kernels.Simple("DequantizeLinear", dequantizeLinear),
		kernels.Simple("DynamicQuantizeLinear", dynamicQuantizeLinear),
		kernels.Simple("QLinearMatMul", qlinearMatMul),
	)
}

// intRange returns the representable range of an integer type.
func intRange(dt tensor.DType) (lo, hi float64, ok bool) {
	switch dt {
	case tensor.Uint8:
		return 0, 255, true
	case tensor.Int8:
		return -128, 127, true
	case tensor.Uint16:
		return 0, 65535, true
	case tensor.Int16:
		return -32768, 32767, true
	case tensor.Int32:
		return math.MinInt32, math.MaxInt32, true
	case tensor.Uint4:
		return 0, 15, true
	case tensor.Int4:
		return -8, 7, true
	case tensor.Uint2:
		return 0, 3, true
	case tensor.Int2:
		return -2, 1, true
	}
	return 0, 0, false
}

// scaleIndex maps each element of x to the element of a scale (or zero
// point) tensor: per tensor (one element), per axis (rank 1 along axis) or
// blocked (same rank as x, axis divided into blocks of blockSize).
func scaleIndex(x, s *tensor.Tensor, axis int64, blockSize int) ([]int, error) {
	n := x.Len()
	idx := make([]int, n)
	if s.Len() == 1 {
		return idx, nil
	}
	xs := x.Shape()
	a, err := kernels.NormAxis(axis, len(xs))
	if err != nil {
		return nil, err
	}
	strides := tensor.Strides(xs)
	if blockSize <= 0 {
		if s.Rank() != 1 || s.Dim(0) != xs[a] {
			return nil, fmt.Errorf("scale shape %v does not fit axis %d of input shape %v", s.Shape(), a, xs)
		}
		for i := range idx {
			idx[i] = (i / strides[a]) % xs[a]
		}
		return idx, nil
	}
	ss := s.Shape()
	if len(ss) != len(xs) {
		return nil, fmt.Errorf("blocked scale shape %v must have the rank of input shape %v", ss, xs)
	}
	for d := range xs {
		want := xs[d]
		if d == a {
			want = (xs[d] + blockSize - 1) / blockSize
		}
		if ss[d] != want {
			return nil, fmt.Errorf("blocked scale shape %v does not fit input shape %v with block size %d on axis %d", ss, xs, blockSize, a)
		}
	}
	sstr := tensor.Strides(ss)
	for i := range idx {
		j, rem := 0, i
		for d := range xs {
			c := rem / strides[d]
			rem %= strides[d]
			if d == a {
				c /= blockSize
			}
			j += c * sstr[d]
		}
		idx[i] = j
	}
	return idx, nil
}

// divide computes x/scale with the precision of x's type, as the reference
// does, so that rounding ties fall the same way.
func divide(x, s float64, dt tensor.DType) float64 {
	if dt == tensor.Float64 {
		return x / s
	}
	return float64(float32(x) / float32(s))
}

func quantizeLinear(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, scale := in[0], in[1]
	var zp *tensor.Tensor
	if len(in) > 2 {
		zp = in[2]
	}
	out := tensor.Uint8
	switch {
	case zp != nil:
		out = zp.DType()
	case c.Int("output_dtype") != 0:
		out = tensor.DType(c.Int("output_dtype"))
	}
	if zp != nil && c.Int("output_dtype") != 0 && tensor.DType(c.Int("output_dtype")) != zp.DType() {
		return nil, fmt.Errorf("output_dtype %s differs from the zero point's type %s", tensor.DType(c.Int("output_dtype")), zp.DType())
	}
	si, err := scaleIndex(x, scale, c.Int("axis"), int(c.Int("block_size")))
	if err != nil {
		return nil, err
	}
	if zp != nil && zp.Len() != scale.Len() {
		return nil, fmt.Errorf("zero point shape %v differs from scale shape %v", zp.Shape(), scale.Shape())
	}
	y := tensor.New(out, x.Shape()...)
	lo, hi, isInt := intRange(out)
	saturate := c.Int("saturate") != 0
	for i := 0; i < x.Len(); i++ {
		s := scale.Float64At(si[i])
		if s == 0 {
			return nil, fmt.Errorf("scale is zero at index %d", si[i])
		}
		v := divide(x.Float64At(i), s, x.DType())
		z := 0.0
		if zp != nil {
			z = zp.Float64At(si[i])
		}
		if isInt {
			q := math.RoundToEven(v) + z
			y.SetInt64At(i, int64(math.Min(hi, math.Max(lo, q))))
			continue
		}
		if out.IsFloat() && out.Size() == 1 {
			y.Bytes()[i] = tensor.Float32ToMinifloat(out, float32(v+z), saturate)
			continue
		}
		return nil, fmt.Errorf("cannot quantize to %s", out)
	}
	return []*tensor.Tensor{y}, nil
}

func dequantizeLinear(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, scale := in[0], in[1]
	var zp *tensor.Tensor
	if len(in) > 2 {
		zp = in[2]
	}
	out := scale.DType()
	if od := c.Int("output_dtype"); od != 0 {
		out = tensor.DType(od)
	}
	si, err := scaleIndex(x, scale, c.Int("axis"), int(c.Int("block_size")))
	if err != nil {
		return nil, err
	}
	if zp != nil && zp.Len() != scale.Len() {
		return nil, fmt.Errorf("zero point shape %v differs from scale shape %v", zp.Shape(), scale.Shape())
	}
	y := tensor.New(out, x.Shape()...)
	for i := 0; i < x.Len(); i++ {
		z := 0.0
		if zp != nil {
			z = zp.Float64At(si[i])
		}
		v := x.Float64At(i) - z
		if out == tensor.Float64 {
			y.SetFloat64At(i, v*scale.Float64At(si[i]))
		} else {
			y.SetFloat64At(i, float64(float32(v)*float32(scale.Float64At(si[i]))))
		}
	}
	return []*tensor.Tensor{y}, nil
}

// dynamicQuantizeLinear quantizes to uint8 over the range [min(0, x),
// max(0, x)].
func dynamicQuantizeLinear(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	lo, hi := float32(0), float32(0)
	for _, v := range x.Float32s() {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale := (hi - lo) / 255
	zp := float32(0)
	if scale != 0 {
		zp = float32(math.RoundToEven(float64(min(255, max(0, -lo/scale)))))
	}
	y := tensor.New(tensor.Uint8, x.Shape()...)
	for i, v := range x.Float32s() {
		q := float64(zp)
		if scale != 0 {
			q = math.RoundToEven(float64(v/scale)) + float64(zp)
		}
		y.Bytes()[i] = uint8(math.Min(255, math.Max(0, q)))
	}
	return []*tensor.Tensor{y, tensor.Scalar(scale), tensor.Scalar(uint8(zp))}, nil
}

// qlinearMatMul multiplies quantized matrices: the products of the
// zero-point-adjusted integers are accumulated exactly, scaled by
// a_scale*b_scale/y_scale, rounded and saturated into y's type. a_scale
// may be per row of a and b_scale per column of b.
func qlinearMatMul(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	a, as, az, b, bs, bz, ys, yz := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	if a.Rank() < 2 || b.Rank() < 2 {
		return nil, fmt.Errorf("a %v and b %v must have rank 2 or more", a.Shape(), b.Shape())
	}
	m, k := a.Dim(-2), a.Dim(-1)
	if b.Dim(-2) != k {
		return nil, fmt.Errorf("a %v and b %v: inner dims %d and %d differ", a.Shape(), b.Shape(), k, b.Dim(-2))
	}
	n := b.Dim(-1)
	batch, err := kernels.BroadcastShapes(a.Shape()[:a.Rank()-2], b.Shape()[:b.Rank()-2])
	if err != nil {
		return nil, err
	}
	pick := func(t *tensor.Tensor, i int, what string) (float64, error) {
		switch {
		case t.Len() == 1:
			return t.Float64At(0), nil
		case i < t.Len():
			return t.Float64At(i), nil
		}
		return 0, fmt.Errorf("%s shape %v is neither a scalar nor per-%d", what, t.Shape(), i)
	}
	aBatch := kernels.BroadcastIndex(a.Shape()[:a.Rank()-2], batch)
	bBatch := kernels.BroadcastIndex(b.Shape()[:b.Rank()-2], batch)
	shape := append(append([]int{}, batch...), m, n)
	y := tensor.New(yz.DType(), shape...)
	lo, hi, ok := intRange(yz.DType())
	if !ok {
		return nil, fmt.Errorf("y_zero_point type %s is not an integer type", yz.DType())
	}
	ysc, yzp := ys.Float64At(0), yz.Float64At(0)
	for bi := range aBatch {
		ao, bo := aBatch[bi]*m*k, bBatch[bi]*k*n
		for i := 0; i < m; i++ {
			sa, err := pick(as, i, "a_scale")
			if err != nil {
				return nil, err
			}
			za, err := pick(az, i, "a_zero_point")
			if err != nil {
				return nil, err
			}
			for j := 0; j < n; j++ {
				sb, err := pick(bs, j, "b_scale")
				if err != nil {
					return nil, err
				}
				zb, err := pick(bz, j, "b_zero_point")
				if err != nil {
					return nil, err
				}
				acc := 0.0
				for p := 0; p < k; p++ {
					acc += (a.Float64At(ao+i*k+p) - za) * (b.Float64At(bo+p*n+j) - zb)
				}
				q := math.RoundToEven(float64(float32(acc*float64(float32(sa))*float64(float32(sb)))/float32(ysc))) + yzp
				y.SetInt64At((bi*m+i)*n+j, int64(math.Min(hi, math.Max(lo, q))))
			}
		}
	}
	return []*tensor.Tensor{y}, nil
}
