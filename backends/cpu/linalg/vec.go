package linalg

import (
	"fmt"
	"math"
)

// axpyImpl and dotImpl are the vector kernels in use: assembly where the
// CPU has it, else axpyGo and dotGo.
var (
	axpyImpl = axpyGo
	dotImpl  = dotGo
)

// Axpy adds alpha·x to y: y[i] += alpha*x[i] for i < len(y). x must be at
// least as long as y.
func Axpy(alpha float32, x, y []float32) {
	if len(x) < len(y) {
		panic(fmt.Sprintf("linalg: Axpy of %d values into %d", len(x), len(y)))
	}
	axpyImpl(alpha, x, y)
}

// Dot returns Σ x[i]*y[i] over i < len(x). y must be at least as long as
// x.
func Dot(x, y []float32) float32 {
	if len(y) < len(x) {
		panic(fmt.Sprintf("linalg: Dot of %d values with %d", len(x), len(y)))
	}
	return dotImpl(x, y)
}

func axpyGo(alpha float32, x, y []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		ys, xs := y[i:i+4:i+4], x[i:i+4:i+4]
		ys[0] += alpha * xs[0]
		ys[1] += alpha * xs[1]
		ys[2] += alpha * xs[2]
		ys[3] += alpha * xs[3]
	}
	for ; i < len(y); i++ {
		y[i] += alpha * x[i]
	}
}

func dotGo(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := x[i:i+4:i+4], y[i:i+4:i+4]
		s0 += xs[0] * ys[0]
		s1 += xs[1] * ys[1]
		s2 += xs[2] * ys[2]
		s3 += xs[3] * ys[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func checkLens(op string, dst []float32, srcs ...[]float32) {
	for _, s := range srcs {
		if len(s) < len(dst) {
			panic(fmt.Sprintf("linalg: %s of %d values into %d", op, len(s), len(dst)))
		}
	}
}

// Add sets dst[i] = x[i] + y[i] for i < len(dst).
func Add(dst, x, y []float32) {
	checkLens("Add", dst, x, y)
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// Mul sets dst[i] = x[i] * y[i] for i < len(dst).
func Mul(dst, x, y []float32) {
	checkLens("Mul", dst, x, y)
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = x[i] * y[i]
	}
}

// Relu sets dst[i] = max(x[i], 0) for i < len(dst); NaN stays NaN.
func Relu(dst, x []float32) {
	checkLens("Relu", dst, x)
	x = x[:len(dst)]
	for i, v := range x {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// exp32 returns e^x correctly rounded but for rare 1-ulp misses: the
// reduction x = n·ln2 + r, |r| <= ln2/2, and the degree-7 Taylor
// polynomial of e^r run in float64; 2^n is added to the exponent.
func exp32(x float32) float32 {
	if !(x > -86 && x < 88) { // also NaN; math.Exp handles the extremes
		return float32(math.Exp(float64(x)))
	}
	xd := float64(x)
	n := math.Round(xd * math.Log2E)
	r := xd - n*math.Ln2
	p := 1.0 / 5040
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return float32(math.Float64frombits(math.Float64bits(p) + uint64(int64(n))<<52))
}

// Exp sets dst[i] = e^x[i] for i < len(dst), within 1 ulp.
func Exp(dst, x []float32) {
	checkLens("Exp", dst, x)
	x = x[:len(dst)]
	for i, v := range x {
		dst[i] = exp32(v)
	}
}

// SoftmaxRows sets each of the rows of dst (rows×cols, row-major) to the
// softmax of the same row of x: e^(x−max) divided by its row sum. dst may
// be x.
func SoftmaxRows(dst, x []float32, rows, cols int) {
	if rows < 0 || cols < 0 || len(x) < rows*cols || len(dst) < rows*cols {
		panic(fmt.Sprintf("linalg: SoftmaxRows of %d×%d over %d and %d values", rows, cols, len(x), len(dst)))
	}
	for r := 0; r < rows; r++ {
		xr, dr := x[r*cols:(r+1)*cols], dst[r*cols:(r+1)*cols]
		if cols == 0 {
			continue
		}
		m := float32(math.Inf(-1))
		for _, v := range xr {
			if v > m || v != v {
				m = v
			}
		}
		var s float32
		for i, v := range xr {
			e := exp32(v - m)
			dr[i] = e
			s += e
		}
		inv := 1 / s
		for i := range dr {
			dr[i] *= inv
		}
	}
}
