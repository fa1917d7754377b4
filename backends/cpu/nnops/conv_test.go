package nnops

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// naiveConv is the definition of convolution as a direct loop: for every
// output position, sum input × weight over the channels of the group and
// the kernel taps that land inside the input.
func naiveConv(x, w, b []float64, xs, ws []int, group int, strides, dil, padsB, out []int) []float64 {
	n, c, m := xs[0], xs[1], ws[0]
	cg, mg := c/group, m/group
	nd := len(xs) - 2
	in, k := xs[2:], ws[2:]
	P, inP, kP := prod(out), prod(in), prod(k)
	y := make([]float64, n*m*P)
	oc := make([]int, nd)
	kc := make([]int, nd)
	for ni := 0; ni < n; ni++ {
		for mi := 0; mi < m; mi++ {
			gi := mi / mg
			for p := 0; p < P; p++ {
				rem := p
				for d := nd - 1; d >= 0; d-- {
					oc[d] = rem % out[d]
					rem /= out[d]
				}
				sum := 0.0
				if b != nil {
					sum = b[mi]
				}
				for ci := 0; ci < cg; ci++ {
					for kp := 0; kp < kP; kp++ {
						rem := kp
						for d := nd - 1; d >= 0; d-- {
							kc[d] = rem % k[d]
							rem /= k[d]
						}
						off, ok := 0, true
						for d := 0; d < nd; d++ {
							ic := oc[d]*strides[d] - padsB[d] + kc[d]*dil[d]
							if ic < 0 || ic >= in[d] {
								ok = false
								break
							}
							off = off*in[d] + ic
						}
						if ok {
							sum += x[(ni*c+gi*cg+ci)*inP+off] * w[(mi*cg+ci)*kP+kp]
						}
					}
				}
				y[(ni*m+mi)*P+p] = sum
			}
		}
	}
	return y
}

func TestConvMatchesNaiveLoop(t *testing.T) {
	tests := []struct {
		name         string
		xs, ws       []int
		group        int
		attrs        []ir.Attr
		bias         bool
		strides, dil []int
		padsB, out   []int
		dt           tensor.DType
	}{
		{name: "1d grouped strided", xs: []int{2, 4, 9}, ws: []int{6, 2, 3}, group: 2, bias: true,
			attrs:   []ir.Attr{ir.AInt("group", 2), ir.AInts("strides", 2), ir.AInts("pads", 1, 2)},
			strides: []int{2}, dil: []int{1}, padsB: []int{1}, out: []int{5}},
		{name: "2d asymmetric pads dilation", xs: []int{1, 3, 7, 8}, ws: []int{5, 3, 3, 2},
			attrs:   []ir.Attr{ir.AInts("pads", 1, 0, 2, 1), ir.AInts("strides", 2, 1), ir.AInts("dilations", 1, 2)},
			strides: []int{2, 1}, dil: []int{1, 2}, padsB: []int{1, 0}, out: []int{4, 7}},
		{name: "2d same_upper", xs: []int{1, 2, 7, 8}, ws: []int{3, 2, 3, 3},
			attrs:   []ir.Attr{ir.AString("auto_pad", "SAME_UPPER"), ir.AInts("strides", 2, 2)},
			strides: []int{2, 2}, dil: []int{1, 1}, padsB: []int{1, 0}, out: []int{4, 4}},
		{name: "2d same_lower", xs: []int{1, 2, 7, 8}, ws: []int{3, 2, 3, 3},
			attrs:   []ir.Attr{ir.AString("auto_pad", "SAME_LOWER"), ir.AInts("strides", 2, 2)},
			strides: []int{2, 2}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{4, 4}},
		{name: "2d valid", xs: []int{1, 2, 7, 8}, ws: []int{3, 2, 3, 3},
			attrs:   []ir.Attr{ir.AString("auto_pad", "VALID"), ir.AInts("strides", 2, 2), ir.AInts("pads", 5, 5, 5, 5)},
			strides: []int{2, 2}, dil: []int{1, 1}, padsB: []int{0, 0}, out: []int{3, 3}},
		{name: "3d", xs: []int{1, 2, 4, 5, 3}, ws: []int{3, 2, 2, 3, 2}, bias: true,
			attrs:   []ir.Attr{ir.AInts("pads", 1, 1, 1, 1, 1, 1), ir.AInts("strides", 1, 2, 1)},
			strides: []int{1, 2, 1}, dil: []int{1, 1, 1}, padsB: []int{1, 1, 1}, out: []int{5, 3, 4}},
		{name: "depthwise", xs: []int{1, 4, 6, 6}, ws: []int{4, 1, 3, 3}, group: 4, bias: true,
			attrs:   []ir.Attr{ir.AInt("group", 4), ir.AInts("pads", 1, 1, 1, 1)},
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{6, 6}},
		{name: "pointwise direct", xs: []int{2, 8, 5, 5}, ws: []int{6, 8, 1, 1}, bias: true,
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{0, 0}, out: []int{5, 5}},
		{name: "many tiles", xs: []int{1, 16, 40, 40}, ws: []int{5, 16, 3, 3},
			attrs:   []ir.Attr{ir.AInts("pads", 1, 1, 1, 1)},
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{1, 1}, out: []int{40, 40}},
		{name: "float64", xs: []int{1, 3, 6, 5}, ws: []int{2, 3, 2, 2}, bias: true, dt: tensor.Float64,
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{0, 0}, out: []int{5, 4}},
		{name: "float16", xs: []int{1, 3, 6, 5}, ws: []int{2, 3, 2, 2}, bias: true, dt: tensor.Float16,
			strides: []int{1, 1}, dil: []int{1, 1}, padsB: []int{0, 0}, out: []int{5, 4}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dt := tc.dt
			if dt == tensor.Undefined {
				dt = tensor.Float32
			}
			group := max(tc.group, 1)
			x, w := randT(rng, dt, tc.xs...), randT(rng, dt, tc.ws...)
			var b *tensor.Tensor
			var bv []float64
			if tc.bias {
				b = randT(rng, dt, tc.ws[0])
				bv = valuesOf(b)
			}
			want := naiveConv(valuesOf(x), valuesOf(w), bv, tc.xs, tc.ws, group, tc.strides, tc.dil, tc.padsB, tc.out)
			for _, opset := range []int{1, 11, 22} {
				got := mustRun(t, "Conv", opset, tc.attrs, 1, x, w, b)[0]
				if got.DType() != dt {
					t.Fatalf("output type %s, want %s", got.DType(), dt)
				}
				tol := 1e-5
				if dt == tensor.Float16 {
					tol = 5e-3
				}
				checkClose(t, tc.name, got, append([]int{tc.xs[0], tc.ws[0]}, tc.out...), want, tol, tol)
			}
		})
	}
}

// The examples of the ONNX operator documentation.
func TestConvSpecExamples(t *testing.T) {
	x := iota32([]int{1, 1, 5, 5}, 0)
	w := f32([]int{1, 1, 3, 3}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	tests := []struct {
		name  string
		attrs []ir.Attr
		shape []int
		want  []float64
	}{
		{"with padding", []ir.Attr{ir.AInts("kernel_shape", 3, 3), ir.AInts("pads", 1, 1, 1, 1)}, []int{1, 1, 5, 5},
			ints(12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81, 93, 144, 153, 162, 111, 72, 111, 117, 123, 84)},
		{"without padding", []ir.Attr{ir.AInts("kernel_shape", 3, 3), ir.AInts("pads", 0, 0, 0, 0)}, []int{1, 1, 3, 3},
			ints(54, 63, 72, 99, 108, 117, 144, 153, 162)},
		{"strides and padding", []ir.Attr{ir.AInts("pads", 1, 1, 1, 1), ir.AInts("strides", 2, 2)}, []int{1, 1, 3, 3},
			ints(12, 27, 24, 63, 108, 81, 72, 117, 84)},
	}
	for _, tc := range tests {
		got := mustRun(t, "Conv", 11, tc.attrs, 1, x, w)[0]
		checkClose(t, tc.name, got, tc.shape, tc.want, 0, 1e-5)
	}
}

// naiveConvTranspose scatters every input value times every weight tap to
// the output position it reaches.
func naiveConvTranspose(x, w []float64, xs, ws []int, group int, strides, padsB, out []int) []float64 {
	n, c := xs[0], xs[1]
	cg, mg := c/group, ws[1]
	m := mg * group
	H, W, kh, kw := xs[2], xs[3], ws[2], ws[3]
	y := make([]float64, n*m*out[0]*out[1])
	for ni := 0; ni < n; ni++ {
		for ci := 0; ci < c; ci++ {
			gi := ci / cg
			for h := 0; h < H; h++ {
				for ww := 0; ww < W; ww++ {
					v := x[((ni*c+ci)*H+h)*W+ww]
					for oc := 0; oc < mg; oc++ {
						for i := 0; i < kh; i++ {
							for j := 0; j < kw; j++ {
								oh, ow := h*strides[0]-padsB[0]+i, ww*strides[1]-padsB[1]+j
								if oh < 0 || oh >= out[0] || ow < 0 || ow >= out[1] {
									continue
								}
								mi := gi*mg + oc
								y[((ni*m+mi)*out[0]+oh)*out[1]+ow] += v * w[((ci*mg+oc)*kh+i)*kw+j]
							}
						}
					}
				}
			}
		}
	}
	return y
}

func TestConvTranspose(t *testing.T) {
	// The documentation's example: a 3x3 ramp through two all-ones filters.
	x := iota32([]int{1, 1, 3, 3}, 0)
	w := tensor.New(tensor.Float32, 1, 2, 3, 3)
	for i := range w.Float32s() {
		w.Float32s()[i] = 1
	}
	one := []float64{0, 1, 3, 3, 2, 3, 8, 15, 12, 7, 9, 21, 36, 27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8}
	got := mustRun(t, "ConvTranspose", 11, nil, 1, x, w)[0]
	checkClose(t, "example", got, []int{1, 2, 5, 5}, append(append([]float64{}, one...), one...), 0, 1e-5)

	// Strides 3x2 with output_padding: the spec's output size formula
	// gives (3-1)*3+1+3 = 10 rows and (3-1)*2+1+3 = 8 columns.
	got = mustRun(t, "ConvTranspose", 22, []ir.Attr{ir.AInts("strides", 3, 2), ir.AInts("output_padding", 1, 1)}, 1, x, w)[0]
	if !sameShape(got.Shape(), []int{1, 2, 10, 8}) {
		t.Fatalf("output_padding: shape %v, want [1 2 10 8]", got.Shape())
	}
	// output_shape pins the size; pads follow the SAME_LOWER-style split.
	got = mustRun(t, "ConvTranspose", 22, []ir.Attr{ir.AInts("strides", 3, 2), ir.AInts("output_shape", 10, 8)}, 1, x, w)[0]
	if !sameShape(got.Shape(), []int{1, 2, 10, 8}) {
		t.Fatalf("output_shape: shape %v, want [1 2 10 8]", got.Shape())
	}

	rng := rand.New(rand.NewPCG(3, 4))
	xs, ws := []int{2, 4, 3, 4}, []int{4, 3, 3, 2}
	xr, wr, br := randT(rng, tensor.Float32, xs...), randT(rng, tensor.Float32, ws...), randT(rng, tensor.Float32, 6)
	// Output: (3-1)*2+3-1-1 = 5 rows, (4-1)*1+2-0-1 = 4 columns.
	want := naiveConvTranspose(valuesOf(xr), valuesOf(wr), xs, ws, 2, []int{2, 1}, []int{1, 0}, []int{5, 4})
	bv := valuesOf(br)
	for i := range want {
		want[i] += bv[(i/20)%6]
	}
	got = mustRun(t, "ConvTranspose", 22, []ir.Attr{ir.AInt("group", 2), ir.AInts("strides", 2, 1), ir.AInts("pads", 1, 0, 1, 1)}, 1, xr, wr, br)[0]
	checkClose(t, "grouped strided", got, []int{2, 6, 5, 4}, want, 1e-5, 1e-5)
}

func TestConvInteger(t *testing.T) {
	// The documentation's example: x = 2..10 with zero point 1, all-ones
	// 2x2 weights.
	x := tensor.FromSlice([]uint8{2, 3, 4, 5, 6, 7, 8, 9, 10}, 1, 1, 3, 3)
	w := tensor.FromSlice([]uint8{1, 1, 1, 1}, 1, 1, 2, 2)
	zp := tensor.Scalar(uint8(1))
	got := mustRun(t, "ConvInteger", 10, nil, 1, x, w, zp)[0]
	if got.DType() != tensor.Int32 {
		t.Fatalf("type %s, want INT32", got.DType())
	}
	checkClose(t, "no padding", got, []int{1, 1, 2, 2}, ints(12, 16, 24, 28), 0, 0)
	got = mustRun(t, "ConvInteger", 10, []ir.Attr{ir.AInts("pads", 1, 1, 1, 1)}, 1, x, w, zp)[0]
	checkClose(t, "padding", got, []int{1, 1, 4, 4}, ints(1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9), 0, 0)
}

func TestQLinearConv(t *testing.T) {
	// x = 2 everywhere (scale 1, zero point 0), w = 3 (scale 0.5, zero
	// point 1, so 2 after the shift), 2x2 kernel: each sum is 4*2*2 = 16,
	// real value 16*1*0.5 = 8, requantized with scale 0.25 and zero
	// point 10: 8/0.25+10 = 42; the int32 bias 4 adds 4*0.5/0.25 = 8.
	x := tensor.FromSlice([]uint8{2, 2, 2, 2, 2, 2, 2, 2, 2}, 1, 1, 3, 3)
	w := tensor.FromSlice([]int8{3, 3, 3, 3}, 1, 1, 2, 2)
	got := mustRun(t, "QLinearConv", 10, nil, 1,
		x, tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)),
		w, tensor.Scalar(float32(0.5)), tensor.Scalar(int8(1)),
		tensor.Scalar(float32(0.25)), tensor.Scalar(uint8(10)), tensor.FromSlice([]int32{4}))[0]
	if got.DType() != tensor.Uint8 {
		t.Fatalf("type %s, want UINT8", got.DType())
	}
	checkClose(t, "qlinearconv", got, []int{1, 1, 2, 2}, ints(50, 50, 50, 50), 0, 0)
	// Saturation: a y_scale of 0.01 would give 810.
	got = mustRun(t, "QLinearConv", 10, nil, 1,
		x, tensor.Scalar(float32(1)), tensor.Scalar(uint8(0)),
		w, tensor.Scalar(float32(0.5)), tensor.Scalar(int8(1)),
		tensor.Scalar(float32(0.01)), tensor.Scalar(uint8(10)))[0]
	checkClose(t, "saturated", got, []int{1, 1, 2, 2}, ints(255, 255, 255, 255), 0, 0)
}

func TestDeformConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	xs, ws := []int{1, 4, 5, 5}, []int{2, 2, 3, 3}
	x, w, b := randT(rng, tensor.Float32, xs...), randT(rng, tensor.Float32, ws...), randT(rng, tensor.Float32, 2)
	attrs := []ir.Attr{ir.AInt("group", 2), ir.AInts("pads", 1, 1, 1, 1), ir.AInt("offset_group", 2)}
	// Zero offsets: an ordinary convolution.
	off := tensor.New(tensor.Float32, 1, 2*9*2, 5, 5)
	want := naiveConv(valuesOf(x), valuesOf(w), valuesOf(b), xs, ws, 2, []int{1, 1}, []int{1, 1}, []int{1, 1}, []int{5, 5})
	got := mustRun(t, "DeformConv", 19, attrs, 1, x, w, off, b)[0]
	checkClose(t, "zero offsets", got, []int{1, 2, 5, 5}, want, 1e-5, 1e-5)
	// Offsets of exactly one row down for every tap equal a convolution
	// with one more pad row on top and one fewer below.
	for i := range off.Float32s() {
		if (i/25)%2 == 0 {
			off.Float32s()[i] = 1
		}
	}
	want = naiveConv(valuesOf(x), valuesOf(w), valuesOf(b), xs, ws, 2, []int{1, 1}, []int{1, 1}, []int{0, 1}, []int{5, 5})
	got = mustRun(t, "DeformConv", 22, attrs, 1, x, w, off, b)[0]
	checkClose(t, "row offsets", got, []int{1, 2, 5, 5}, want, 1e-5, 1e-5)
	// A mask of one half halves everything but the bias.
	mask := tensor.New(tensor.Float32, 1, 2*9, 5, 5)
	for i := range mask.Float32s() {
		mask.Float32s()[i] = 0.5
	}
	bv := valuesOf(b)
	for i := range want {
		want[i] = (want[i]-bv[i/25])*0.5 + bv[i/25]
	}
	got = mustRun(t, "DeformConv", 22, attrs, 1, x, w, off, b, mask)[0]
	checkClose(t, "masked", got, []int{1, 2, 5, 5}, want, 1e-5, 1e-5)
}

func TestConvErrors(t *testing.T) {
	x := iota32([]int{1, 2, 4, 4}, 0)
	tests := []struct {
		name   string
		op     string
		attrs  []ir.Attr
		in     []*tensor.Tensor
		substr string
	}{
		{"channel mismatch", "Conv", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 3, 3, 3)}, "channel mismatch"},
		{"kernel larger than padded input", "Conv", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 5, 5)}, "larger than the padded input"},
		{"group does not divide", "Conv", []ir.Attr{ir.AInt("group", 2)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 3, 1, 3, 3)}, "divisible"},
		{"zero group", "Conv", []ir.Attr{ir.AInt("group", 0)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "group"},
		{"zero stride", "Conv", []ir.Attr{ir.AInts("strides", 0, 1)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "stride"},
		{"negative pad", "Conv", []ir.Attr{ir.AInts("pads", -1, 0, 0, 0)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "negative"},
		{"bad auto_pad", "Conv", []ir.Attr{ir.AString("auto_pad", "FULL")}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "auto_pad"},
		{"pads length", "Conv", []ir.Attr{ir.AInts("pads", 1, 1)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "pads"},
		{"bias length", "Conv", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 2, 2, 3, 3), tensor.New(tensor.Float32, 3)}, "bias"},
		{"weight rank", "Conv", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 2, 2, 3)}, "rank"},
		{"rank 2 input", "Conv", nil, []*tensor.Tensor{tensor.New(tensor.Float32, 2, 2), tensor.New(tensor.Float32, 2, 2)}, "rank"},
		{"kernel_shape mismatch", "Conv", []ir.Attr{ir.AInts("kernel_shape", 2, 2)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3)}, "kernel_shape"},
		{"transpose channel mismatch", "ConvTranspose", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 3, 1, 3, 3)}, "channel mismatch"},
		{"transpose output_padding", "ConvTranspose", []ir.Attr{ir.AInts("output_padding", 2, 2)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 2, 1, 3, 3)}, "output_padding"},
		{"deform offset shape", "DeformConv", nil, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3), tensor.New(tensor.Float32, 1, 18, 3, 3)}, "offset"},
		{"deform offset_group", "DeformConv", []ir.Attr{ir.AInt("offset_group", 3)}, []*tensor.Tensor{x, tensor.New(tensor.Float32, 1, 2, 3, 3), tensor.New(tensor.Float32, 1, 18, 2, 2)}, "offset_group"},
	}
	for _, tc := range tests {
		opset := 22
		_, err := runOp(t, tc.op, opset, tc.attrs, 1, tc.in...)
		if err == nil || !strings.Contains(err.Error(), tc.substr) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.substr)
		}
	}
}
