// Package signal holds the CPU kernels of the signal-processing ops: DFT,
// STFT, the window functions and MelWeightMatrix.
package signal

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.Simple("HannWindow", window(func(n, d float64) float64 {
			return 0.5 - 0.5*math.Cos(2*math.Pi*n/d)
		})),
		kernels.Simple("HammingWindow", window(func(n, d float64) float64 {
			return 25.0/46 - 21.0/46*math.Cos(2*math.Pi*n/d)
		})),
		kernels.Simple("BlackmanWindow", window(func(n, d float64) float64 {
			return 0.42 - 0.5*math.Cos(2*math.Pi*n/d) + 0.08*math.Cos(4*math.Pi*n/d)
		})),
		kernels.Simple("DFT", dft),
		kernels.Simple("STFT", stft),
		kernels.Simple("MelWeightMatrix", melWeightMatrix),
	)
}

func scalarInt(t *tensor.Tensor, what string) (int, error) {
	if t == nil || t.Len() != 1 {
		return 0, fmt.Errorf("%s must be a scalar", what)
	}
	return int(t.Int64At(0)), nil
}

// window makes a window kernel from w(n, denominator); a periodic window
// of size N uses denominator N, a symmetric one N-1.
func window(w func(n, d float64) float64) kernels.TensorKernel {
	return func(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
		size, err := scalarInt(in[0], "size")
		if err != nil {
			return nil, err
		}
		out, err := tensor.Alloc(tensor.DType(c.Int("output_datatype")), []int{max(size, 0)})
		if err != nil {
			return nil, err
		}
		if size < 0 {
			return nil, fmt.Errorf("size %d is negative", size)
		}
		d := float64(size)
		if c.Int("periodic") == 0 {
			d = float64(size - 1)
		}
		for i := 0; i < size; i++ {
			v := 1.0
			if d > 0 {
				v = w(float64(i), d)
			}
			out.SetFloat64At(i, v)
		}
		return []*tensor.Tensor{out}, nil
	}
}

// transform computes n output bins of the DFT of the m complex samples x
// (zero-padded or truncated to length length).
func transform(x []complex128, length, bins int, inverse bool) []complex128 {
	out := make([]complex128, bins)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := 0; k < bins; k++ {
		var acc complex128
		for t := 0; t < length && t < len(x); t++ {
			ang := sign * 2 * math.Pi * float64(k) * float64(t) / float64(length)
			acc += x[t] * complex(math.Cos(ang), math.Sin(ang))
		}
		if inverse {
			acc /= complex(float64(length), 0)
		}
		out[k] = acc
	}
	return out
}

func dft(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	r := x.Rank()
	if r < 2 || (x.Dim(-1) != 1 && x.Dim(-1) != 2) {
		return nil, fmt.Errorf("input shape %v must end in 1 (real) or 2 (complex)", x.Shape())
	}
	axis := c.Int("axis")
	if c.Opset >= 20 {
		axis = -2
		if len(in) > 2 && in[2] != nil {
			a, err := scalarInt(in[2], "axis")
			if err != nil {
				return nil, err
			}
			axis = int64(a)
		}
	}
	// The last dim holds the real/imaginary parts and is not a signal axis.
	ax, err := kernels.NormAxis(axis, r)
	if err != nil || ax == r-1 {
		return nil, fmt.Errorf("axis %d must name a signal axis of input shape %v", axis, x.Shape())
	}
	n := x.Dim(ax)
	length := n
	if len(in) > 1 && in[1] != nil {
		if length, err = scalarInt(in[1], "dft_length"); err != nil {
			return nil, err
		}
		if length < 1 {
			return nil, fmt.Errorf("dft_length %d must be positive", length)
		}
	}
	inverse, onesided := c.Int("inverse") != 0, c.Int("onesided") != 0
	// An inverse one-sided transform takes the n/2+1 bins of a real
	// signal's spectrum and returns the real signal (irfft).
	realOut := inverse && onesided
	if realOut && (len(in) < 2 || in[1] == nil) {
		length = 2 * (n - 1)
	}
	bins := length
	if onesided && !inverse {
		bins = length/2 + 1
	}
	parts := 2
	if realOut {
		parts = 1
	}
	shape := append([]int{}, x.Shape()...)
	shape[ax], shape[r-1] = bins, parts
	out, err := tensor.Alloc(x.DType(), shape)
	if err != nil {
		return nil, err
	}
	comp := x.Dim(-1)
	outer := 1
	for _, d := range x.Shape()[:ax] {
		outer *= d
	}
	inner := 1
	for _, d := range x.Shape()[ax+1 : r-1] {
		inner *= d
	}
	sig := make([]complex128, n)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			for t := 0; t < n; t++ {
				base := ((o*n+t)*inner + i) * comp
				re := x.Float64At(base)
				im := 0.0
				if comp == 2 {
					im = x.Float64At(base + 1)
				}
				sig[t] = complex(re, im)
			}
			src := sig
			if realOut {
				src = hermitian(sig, length)
			}
			res := transform(src, length, bins, inverse)
			for k, v := range res {
				base := ((o*bins+k)*inner + i) * parts
				out.SetFloat64At(base, real(v))
				if !realOut {
					out.SetFloat64At(base+1, imag(v))
				}
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

// hermitian rebuilds the full spectrum of length n of a real signal from
// its first bins, using X[n-k] = conj(X[k]).
func hermitian(half []complex128, n int) []complex128 {
	full := make([]complex128, n)
	for k := 0; k < n; k++ {
		switch {
		case k < len(half):
			full[k] = half[k]
		case n-k < len(half):
			v := half[n-k]
			full[k] = complex(real(v), -imag(v))
		}
	}
	return full
}

func stft(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if x.Rank() != 3 || (x.Dim(2) != 1 && x.Dim(2) != 2) {
		return nil, fmt.Errorf("signal shape %v must be [batch, length, 1 or 2]", x.Shape())
	}
	step, err := scalarInt(in[1], "frame_step")
	if err != nil {
		return nil, err
	}
	var win *tensor.Tensor
	if len(in) > 2 {
		win = in[2]
	}
	frameLen := 0
	switch {
	case len(in) > 3 && in[3] != nil:
		if frameLen, err = scalarInt(in[3], "frame_length"); err != nil {
			return nil, err
		}
	case win != nil:
		frameLen = win.Len()
	default:
		return nil, fmt.Errorf("STFT needs a window or a frame_length")
	}
	if win != nil && win.Len() != frameLen {
		return nil, fmt.Errorf("window has %d elements, frame_length is %d", win.Len(), frameLen)
	}
	batch, length, comp := x.Dim(0), x.Dim(1), x.Dim(2)
	if step < 1 || frameLen < 1 || frameLen > length {
		return nil, fmt.Errorf("frame_step %d and frame_length %d do not fit a signal of length %d", step, frameLen, length)
	}
	frames := 1 + (length-frameLen)/step
	bins := frameLen
	if c.Int("onesided") != 0 {
		bins = frameLen/2 + 1
	}
	out, err := tensor.Alloc(x.DType(), []int{batch, frames, bins, 2})
	if err != nil {
		return nil, err
	}
	sig := make([]complex128, frameLen)
	for b := 0; b < batch; b++ {
		for f := 0; f < frames; f++ {
			for t := 0; t < frameLen; t++ {
				base := (b*length + f*step + t) * comp
				w := 1.0
				if win != nil {
					w = win.Float64At(t)
				}
				im := 0.0
				if comp == 2 {
					im = x.Float64At(base + 1)
				}
				sig[t] = complex(x.Float64At(base)*w, im*w)
			}
			for k, v := range transform(sig, frameLen, bins, false) {
				base := ((b*frames+f)*bins + k) * 2
				out.SetFloat64At(base, real(v))
				out.SetFloat64At(base+1, imag(v))
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

// melWeightMatrix builds triangular filters evenly spaced on the mel scale
// (mel = 2595·log10(1 + f/700)) between the edge frequencies, mapped to DFT
// bins, one column per mel bin.
func melWeightMatrix(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	mels, err := scalarInt(in[0], "num_mel_bins")
	if err != nil {
		return nil, err
	}
	dftLen, err := scalarInt(in[1], "dft_length")
	if err != nil {
		return nil, err
	}
	rate, err := scalarInt(in[2], "sample_rate")
	if err != nil {
		return nil, err
	}
	if in[3].Len() != 1 || in[4].Len() != 1 {
		return nil, fmt.Errorf("edge frequencies must be scalars")
	}
	lo, hi := in[3].Float64At(0), in[4].Float64At(0)
	if mels < 1 || dftLen < 1 || rate < 1 || lo < 0 || hi < lo {
		return nil, fmt.Errorf("invalid mel parameters: bins %d, dft_length %d, sample_rate %d, edges %g..%g", mels, dftLen, rate, lo, hi)
	}
	specBins := dftLen/2 + 1
	out, err := tensor.Alloc(tensor.DType(c.Int("output_datatype")), []int{specBins, mels})
	if err != nil {
		return nil, err
	}
	toMel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	loMel, hiMel := toMel(lo), toMel(hi)
	step := (hiMel - loMel) / float64(mels+2)
	pts := make([]int, mels+2)
	for i := range pts {
		hz := 700 * (math.Pow(10, (float64(i)*step+loMel)/2595) - 1)
		pts[i] = int(math.Floor(float64(dftLen+1) * hz / float64(rate)))
	}
	set := func(j, i int, v float64) {
		if j >= 0 && j < specBins {
			out.SetFloat64At(j*mels+i, v)
		}
	}
	for i := 0; i < mels; i++ {
		l, m, r := pts[i], pts[i+1], pts[i+2]
		if m == l {
			set(m, i, 1)
		} else {
			for j := l; j <= m; j++ {
				set(j, i, float64(j-l)/float64(m-l))
			}
		}
		if r > m {
			for j := m; j < r; j++ {
				set(j, i, float64(r-j)/float64(r-m))
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}
