package nn

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// run builds m's graph (params as constants) for x and runs it.
func run(t *testing.T, m Module, x *tensor.Tensor) *tensor.Tensor {
	t.Helper()
	shape := make([]int64, x.Rank())
	for i, d := range x.Shape() {
		shape[i] = int64(d)
	}
	g := NewGraph(m, GraphOptions{})
	in := g.Input("input", x.DType(), shape...)
	g.Output("output", m.Forward(g, in))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	return runFunc(t, g.Func(), map[string]*tensor.Tensor{"input": x})["output"]
}

func runFunc(t *testing.T, f *ir.Func, in map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	t.Helper()
	if err := ir.InferShapes(f); err != nil {
		t.Fatal(err)
	}
	if err := ir.Check(f); err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	for i, d := 0, tensor.Data[float32](t); i < len(d); i++ {
		d[i] = float32(r.NormFloat64())
	}
	return t
}

func near(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

func TestNames(t *testing.T) {
	r := NewRand(1)
	features := NewSequential(NewConv2d(r, 1, 4, 3, ConvOpts{}), NewBatchNorm2d(4), ReLU())
	model := &struct{ *Sequential }{NewSequential()}
	model.Add("features", features)
	model.Add("classifier", NewLinear(r, 4, 2))
	var names []string
	for _, p := range State(model) {
		names = append(names, p.Name)
	}
	want := "features.0.weight features.0.bias features.1.weight features.1.bias classifier.weight classifier.bias " +
		"features.1.running_mean features.1.running_var features.1.num_batches_tracked"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names:\n got %s\nwant %s", got, want)
	}
}

func TestInit(t *testing.T) {
	r := NewRand(7)
	l := NewLinear(r, 400, 300)
	bound := 1 / math.Sqrt(400)
	var sum, sq float64
	w := l.Weight.Float32s()
	for _, v := range w {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("weight %g outside ±%g", v, bound)
		}
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(w))
	// U(-b, b) has mean 0 and variance b²/3.
	if m := sum / n; math.Abs(m) > 4*bound/math.Sqrt(3*n) {
		t.Fatalf("weight mean %g", m)
	}
	if v := sq / n; math.Abs(v-bound*bound/3) > 0.02*bound*bound {
		t.Fatalf("weight variance %g, want %g", v, bound*bound/3)
	}
	c := NewConv2d(r, 6, 8, 5, ConvOpts{Groups: 2})
	cb := 1 / math.Sqrt(3*25)
	for _, v := range append(c.Weight.Float32s(), c.Bias.Float32s()...) {
		if math.Abs(float64(v)) > cb {
			t.Fatalf("conv value %g outside ±%g", v, cb)
		}
	}
	if s := c.Weight.Shape(); s[0] != 8 || s[1] != 3 || s[2] != 5 {
		t.Fatalf("grouped conv weight shape %v", s)
	}
	bn := NewBatchNorm2d(3)
	if bn.Weight.Float32s()[2] != 1 || bn.Bias.Float32s()[2] != 0 || bn.RunningVar.Float32s()[1] != 1 {
		t.Fatal("BatchNorm initial values")
	}
}

func TestLinear(t *testing.T) {
	r := NewRand(2)
	l := NewLinear(r, 3, 2)
	x := randTensor(r, 4, 3)
	got := run(t, l, x)
	w, b, xv := l.Weight.Float32s(), l.Bias.Float32s(), x.Float32s()
	var want []float64
	for i := 0; i < 4; i++ {
		for o := 0; o < 2; o++ {
			s := float64(b[o])
			for k := 0; k < 3; k++ {
				s += float64(xv[i*3+k]) * float64(w[o*3+k])
			}
			want = append(want, s)
		}
	}
	near(t, "Linear", got.Float32s(), want, 1e-5)
	// Rank 3 goes through MatMul.
	x3, _ := x.Reshape(2, 2, 3)
	near(t, "Linear rank 3", run(t, l, x3).Float32s(), want, 1e-5)

	g := NewGraph(l, GraphOptions{})
	l.Forward(g, g.Input("input", tensor.Float32, 4, 5))
	if err := g.Err(); err == nil || !strings.Contains(err.Error(), "5 features") || !strings.Contains(err.Error(), "weight") {
		t.Fatalf("feature mismatch error: %v", err)
	}
}

// convRef is a direct loop for a 2-D convolution with groups.
func convRef(x []float32, n, c, h, w int, wt []float32, oc, k int, b []float32, stride, pad, dil, groups int) ([]float64, int, int) {
	oh := (h+2*pad-dil*(k-1)-1)/stride + 1
	ow := (w+2*pad-dil*(k-1)-1)/stride + 1
	cpg, opg := c/groups, oc/groups
	out := make([]float64, n*oc*oh*ow)
	for in := 0; in < n; in++ {
		for o := 0; o < oc; o++ {
			gi := o / opg
			for y := 0; y < oh; y++ {
				for xx := 0; xx < ow; xx++ {
					s := 0.0
					if b != nil {
						s = float64(b[o])
					}
					for ci := 0; ci < cpg; ci++ {
						for ky := 0; ky < k; ky++ {
							for kx := 0; kx < k; kx++ {
								iy, ix := y*stride-pad+ky*dil, xx*stride-pad+kx*dil
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								s += float64(x[((in*c+gi*cpg+ci)*h+iy)*w+ix]) * float64(wt[((o*cpg+ci)*k+ky)*k+kx])
							}
						}
					}
					out[((in*oc+o)*oh+y)*ow+xx] = s
				}
			}
		}
	}
	return out, oh, ow
}

func TestConv2d(t *testing.T) {
	r := NewRand(3)
	for _, o := range []ConvOpts{{}, {Stride: 2, Padding: 1}, {Padding: 2, Dilation: 2, Groups: 2, NoBias: true}} {
		c := NewConv2d(r, 4, 6, 3, o)
		x := randTensor(r, 2, 4, 7, 6)
		got := run(t, c, x)
		var bias []float32
		if c.Bias != nil {
			bias = c.Bias.Float32s()
		}
		on := o.norm()
		want, oh, ow := convRef(x.Float32s(), 2, 4, 7, 6, c.Weight.Float32s(), 6, 3, bias, on.Stride, on.Padding, on.Dilation, on.Groups)
		if s := got.Shape(); s[2] != oh || s[3] != ow {
			t.Fatalf("%+v: shape %v, want [2 6 %d %d]", o, s, oh, ow)
		}
		near(t, "Conv2d", got.Float32s(), want, 1e-4)
	}
}

func TestConv1dAs2d(t *testing.T) {
	// A 1-D convolution equals a 2-D one over a height-1 image.
	r := NewRand(4)
	c := NewConv1d(r, 3, 5, 3, ConvOpts{Padding: 1, Stride: 2})
	x := randTensor(r, 2, 3, 9)
	got := run(t, c, x)
	want, _, _ := convRef(x.Float32s(), 2, 3, 1, 9, expandKernel(c.Weight.Float32s(), 15, 3), 5, 3, c.Bias.Float32s(), 2, 1, 1, 1)
	// convRef pads both axes; keep the middle row of the padded height.
	oh := (1+2-2-1)/2 + 1
	ow := (9+2-2-1)/2 + 1
	var mid []float64
	for n := 0; n < 2; n++ {
		for o := 0; o < 5; o++ {
			for x := 0; x < ow; x++ {
				mid = append(mid, want[((n*5+o)*oh+0)*ow+x])
			}
		}
	}
	near(t, "Conv1d", got.Float32s(), mid, 1e-4)
}

// expandKernel turns [O*I, k] 1-D kernels into k×k kernels whose middle
// row is the 1-D kernel and whose other rows are zero.
func expandKernel(w []float32, rows, k int) []float32 {
	out := make([]float32, rows*k*k)
	for r := 0; r < rows; r++ {
		for j := 0; j < k; j++ {
			out[(r*k+k/2)*k+j] = w[r*k+j]
		}
	}
	return out
}

func TestConvTranspose2dInvertsShape(t *testing.T) {
	r := NewRand(5)
	c := NewConvTranspose2d(r, 4, 2, 3, ConvOpts{Stride: 2, Padding: 1, OutputPadding: 1})
	x := randTensor(r, 1, 4, 5, 5)
	got := run(t, c, x)
	if s := got.Shape(); s[1] != 2 || s[2] != 10 || s[3] != 10 {
		t.Fatalf("shape %v, want [1 2 10 10]", s)
	}
	// Scatter reference: out[o, y·s-p+ky, x·s-p+kx] += x[i, y, x]·w[i, o, ky, kx].
	w, xv, b := c.Weight.Float32s(), x.Float32s(), c.Bias.Float32s()
	want := make([]float64, 2*10*10)
	for o := 0; o < 2; o++ {
		for i := range 100 {
			want[o*100+i] = float64(b[o])
		}
	}
	for i := 0; i < 4; i++ {
		for o := 0; o < 2; o++ {
			for y := 0; y < 5; y++ {
				for xx := 0; xx < 5; xx++ {
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							oy, ox := y*2-1+ky, xx*2-1+kx
							if oy < 0 || oy >= 10 || ox < 0 || ox >= 10 {
								continue
							}
							want[(o*10+oy)*10+ox] += float64(xv[(i*5+y)*5+xx]) * float64(w[((i*2+o)*3+ky)*3+kx])
						}
					}
				}
			}
		}
	}
	near(t, "ConvTranspose2d", got.Float32s(), want, 1e-4)
}

func TestPools(t *testing.T) {
	x := tensor.FromSlice([]float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16}, 1, 1, 4, 4)
	near(t, "MaxPool2d", run(t, NewMaxPool2d(2, 0, 0), x).Float32s(), []float64{6, 8, 14, 16}, 0)
	near(t, "AvgPool2d", run(t, NewAvgPool2d(2, 0, 0), x).Float32s(), []float64{3.5, 5.5, 11.5, 13.5}, 1e-6)
	// With padding 1 and PyTorch's count_include_pad, the corner window
	// holds 1 value and 3 zeros: 1/4.
	near(t, "AvgPool2d padded", run(t, NewAvgPool2d(2, 2, 1), x).Float32s()[:1], []float64{0.25}, 1e-6)
	near(t, "AdaptiveAvgPool2d 1x1", run(t, NewAdaptiveAvgPool2d(1, 1), x).Float32s(), []float64{8.5}, 1e-6)
	near(t, "AdaptiveAvgPool2d 2x2", run(t, NewAdaptiveAvgPool2d(2, 2), x).Float32s(), []float64{3.5, 5.5, 11.5, 13.5}, 1e-6)
	// 4 → 3: windows [0,2), [1,3), [2,4) on both axes.
	want := make([]float64, 0, 9)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			s := 0.0
			for y := i; y < i+2; y++ {
				for xx := j; xx < j+2; xx++ {
					s += float64(y*4 + xx + 1)
				}
			}
			want = append(want, s/4)
		}
	}
	near(t, "AdaptiveAvgPool2d 3x3", run(t, NewAdaptiveAvgPool2d(3, 3), x).Float32s(), want, 1e-6)
	x1 := tensor.FromSlice([]float32{3, 1, 4, 1, 5, 9}, 1, 1, 6)
	near(t, "MaxPool1d", run(t, NewMaxPool1d(3, 0, 0), x1).Float32s(), []float64{4, 9}, 0)
}

func TestBatchNormTrainingUpdates(t *testing.T) {
	r := NewRand(6)
	bn := NewBatchNorm2d(2)
	copy(bn.Weight.Float32s(), []float32{2, 0.5})
	copy(bn.Bias.Float32s(), []float32{1, -1})
	copy(bn.RunningMean.Float32s(), []float32{0.3, -0.2})
	copy(bn.RunningVar.Float32s(), []float32{1.5, 0.7})
	bn.SetTraining(true)
	x := randTensor(r, 3, 2, 2, 2)
	g := NewGraph(bn, GraphOptions{})
	in := g.Input("input", tensor.Float32, 3, 2, 2, 2)
	g.Output("output", bn.Forward(g, in))
	for _, u := range g.Updates() {
		g.Output("new:"+u.Name, u.Value)
	}
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	out := runFunc(t, g.Func(), map[string]*tensor.Tensor{"input": x})
	xv := x.Float32s()
	for c := 0; c < 2; c++ {
		var vals []float64
		for n := 0; n < 3; n++ {
			for i := 0; i < 4; i++ {
				vals = append(vals, float64(xv[(n*2+c)*4+i]))
			}
		}
		mean, ss := 0.0, 0.0
		for _, v := range vals {
			mean += v
		}
		mean /= 12
		for _, v := range vals {
			ss += (v - mean) * (v - mean)
		}
		rm := 0.9*float64(bn.RunningMean.Float32s()[c]) + 0.1*mean
		rv := 0.9*float64(bn.RunningVar.Float32s()[c]) + 0.1*ss/11
		near(t, "running_mean", out["new:running_mean"].Float32s()[c:c+1], []float64{rm}, 1e-5)
		near(t, "running_var", out["new:running_var"].Float32s()[c:c+1], []float64{rv}, 1e-5)
		y := out["output"].Float32s()
		w, b := float64(bn.Weight.Float32s()[c]), float64(bn.Bias.Float32s()[c])
		for n := 0; n < 3; n++ {
			for i := 0; i < 4; i++ {
				want := (float64(xv[(n*2+c)*4+i])-mean)/math.Sqrt(ss/12+1e-5)*w + b
				near(t, "BatchNorm output", y[(n*2+c)*4+i:(n*2+c)*4+i+1], []float64{want}, 1e-4)
			}
		}
	}
	if got := out["new:num_batches_tracked"].Int64s()[0]; got != 1 {
		t.Fatalf("num_batches_tracked = %d", got)
	}
	// Eval mode uses the running statistics.
	bn.SetTraining(false)
	y := run(t, bn, x).Float32s()
	want := (float64(xv[0])-0.3)/math.Sqrt(1.5+1e-5)*2 + 1
	near(t, "BatchNorm eval", y[:1], []float64{want}, 1e-5)
}

func TestNorms(t *testing.T) {
	r := NewRand(8)
	x := randTensor(r, 2, 4, 3)
	gn := NewGroupNorm(2, 4)
	copy(gn.Weight.Float32s(), []float32{1, 2, 3, 4})
	copy(gn.Bias.Float32s(), []float32{0, 1, 0, -1})
	got := run(t, gn, x).Float32s()
	xv := x.Float32s()
	want := make([]float64, len(xv))
	for n := 0; n < 2; n++ {
		for grp := 0; grp < 2; grp++ {
			base := (n*4 + grp*2) * 3
			m, v := 0.0, 0.0
			for i := 0; i < 6; i++ {
				m += float64(xv[base+i])
			}
			m /= 6
			for i := 0; i < 6; i++ {
				v += (float64(xv[base+i]) - m) * (float64(xv[base+i]) - m)
			}
			v /= 6
			for i := 0; i < 6; i++ {
				c := grp*2 + i/3
				want[base+i] = (float64(xv[base+i])-m)/math.Sqrt(v+1e-5)*float64(gn.Weight.Float32s()[c]) + float64(gn.Bias.Float32s()[c])
			}
		}
	}
	near(t, "GroupNorm", got, want, 1e-4)

	ln := NewLayerNorm(3)
	got = run(t, ln, x).Float32s()
	for row := 0; row < 8; row++ {
		m, v := 0.0, 0.0
		for i := 0; i < 3; i++ {
			m += float64(xv[row*3+i]) / 3
		}
		for i := 0; i < 3; i++ {
			v += (float64(xv[row*3+i]) - m) * (float64(xv[row*3+i]) - m) / 3
		}
		for i := 0; i < 3; i++ {
			want[row*3+i] = (float64(xv[row*3+i]) - m) / math.Sqrt(v+1e-5)
		}
	}
	near(t, "LayerNorm", got, want[:24], 1e-4)
}

func TestActivations(t *testing.T) {
	x := tensor.FromSlice([]float32{-2, -0.5, 0, 0.5, 2, 3}, 2, 3)
	xv := []float64{-2, -0.5, 0, 0.5, 2, 3}
	apply := func(f func(float64) float64) []float64 {
		out := make([]float64, len(xv))
		for i, v := range xv {
			out[i] = f(v)
		}
		return out
	}
	near(t, "ReLU", run(t, ReLU(), x).Float32s(), apply(func(v float64) float64 { return math.Max(v, 0) }), 0)
	near(t, "LeakyReLU", run(t, LeakyReLU(0.1), x).Float32s(), apply(func(v float64) float64 {
		if v < 0 {
			return 0.1 * v
		}
		return v
	}), 1e-6)
	near(t, "Sigmoid", run(t, Sigmoid(), x).Float32s(), apply(func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }), 1e-6)
	near(t, "Tanh", run(t, Tanh(), x).Float32s(), apply(math.Tanh), 1e-6)
	near(t, "GELU", run(t, GELU(), x).Float32s(), apply(func(v float64) float64 { return v / 2 * (1 + math.Erf(v/math.Sqrt2)) }), 1e-6)
	sm := make([]float64, 6)
	for r := 0; r < 2; r++ {
		s := 0.0
		for i := 0; i < 3; i++ {
			s += math.Exp(xv[r*3+i])
		}
		for i := 0; i < 3; i++ {
			sm[r*3+i] = math.Exp(xv[r*3+i]) / s
		}
	}
	near(t, "Softmax", run(t, Softmax(1), x).Float32s(), sm, 1e-6)
	lsm := make([]float64, 6)
	for i := range sm {
		lsm[i] = math.Log(sm[i])
	}
	near(t, "LogSoftmax", run(t, LogSoftmax(1), x).Float32s(), lsm, 1e-5)
	x4 := tensor.New(tensor.Float32, 2, 3, 2, 2)
	if s := run(t, Flatten(), x4).Shape(); s[0] != 2 || s[1] != 12 {
		t.Fatalf("Flatten shape %v", s)
	}
}

func TestDropout(t *testing.T) {
	d := NewDropout(0.25)
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, 4)
	if got := run(t, d, x).Float32s(); got[5] != 6 {
		t.Fatalf("eval Dropout changed its input: %v", got)
	}
	d.SetTraining(true)
	g := NewGraph(d, GraphOptions{})
	in := g.Input("input", tensor.Float32, 2, 4)
	g.Output("output", d.Forward(g, in))
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	noise := g.NoiseInputs()
	if len(noise) != 1 || noise[0].Shape[1] != 4 {
		t.Fatalf("noise inputs %+v", noise)
	}
	u := tensor.FromSlice([]float32{0.1, 0.3, 0.2, 0.9, 0.25, 0.0, 0.5, 0.24}, 2, 4)
	out := runFunc(t, g.Func(), map[string]*tensor.Tensor{"input": x, noise[0].Input.Name: u})["output"]
	var want []float64
	for i, v := range u.Float32s() {
		if v >= 0.25 {
			want = append(want, float64(x.Float32s()[i])/0.75)
		} else {
			want = append(want, 0)
		}
	}
	near(t, "Dropout", out.Float32s(), want, 1e-6)
}

func TestEmbeddingAndResidual(t *testing.T) {
	r := NewRand(9)
	e := NewEmbedding(r, 5, 3)
	idx := tensor.FromSlice([]int64{4, 0, 4}, 3)
	got := run(t, e, idx).Float32s()
	w := e.Weight.Float32s()
	want := []float64{}
	for _, i := range []int{4, 0, 4} {
		for j := 0; j < 3; j++ {
			want = append(want, float64(w[i*3+j]))
		}
	}
	near(t, "Embedding", got, want, 0)

	lin := NewLinear(r, 3, 3)
	res := NewResidual(lin, nil)
	x := randTensor(r, 2, 3)
	y := run(t, res, x).Float32s()
	ly := run(t, lin, x).Float32s()
	for i := range y {
		if math.Abs(float64(y[i]-ly[i]-x.Float32s()[i])) > 1e-5 {
			t.Fatalf("Residual[%d] = %g, want %g", i, y[i], ly[i]+x.Float32s()[i])
		}
	}
	if p := res.Params(); p[0].Name != "body.weight" {
		t.Fatalf("Residual names %v", p[0].Name)
	}
	br := NewBranches(NewLinear(r, 3, 2), NewLinear(r, 3, 4))
	if s := run(t, br, x).Shape(); s[1] != 6 {
		t.Fatalf("Branches shape %v", s)
	}
}

func smallCNN(seed uint64) *Sequential {
	r := NewRand(seed)
	return NewSequential(
		NewConv2d(r, 1, 4, 3, ConvOpts{Padding: 1}), NewBatchNorm2d(4), ReLU(), NewMaxPool2d(2, 0, 0),
		NewConv2d(r, 4, 6, 3, ConvOpts{}), GELU(), NewAdaptiveAvgPool2d(1, 1), Flatten(),
		NewDropout(0.5), NewLinear(r, 6, 3), LogSoftmax(1))
}

func TestExportReload(t *testing.T) {
	m := smallCNN(11)
	// Running statistics that are not the defaults, so that eval mode
	// shows.
	bn := m.Children()[1].(*BatchNorm)
	copy(bn.RunningMean.Float32s(), []float32{0.1, -0.1, 0.2, 0})
	copy(bn.RunningVar.Float32s(), []float32{0.5, 2, 1, 1.5})
	path := filepath.Join(t.TempDir(), "cnn.onnx")
	if err := Export(m, []int64{-1, 1, 8, 8}, path); err != nil {
		t.Fatal(err)
	}
	x := randTensor(rand.New(rand.NewPCG(1, 2)), 3, 1, 8, 8)
	want := run(t, m, x).Float32s()
	model, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range model.Graph.Consts {
		names[c.Name] = true
	}
	for _, n := range []string{"0.weight", "1.running_var", "9.bias"} {
		if !names[n] {
			t.Fatalf("initializer %q missing from the export (have %v)", n, names)
		}
	}
	got := runFunc(t, model.Graph, map[string]*tensor.Tensor{"input": x})["output"].Float32s()
	w64 := make([]float64, len(want))
	for i, v := range want {
		w64[i] = float64(v)
	}
	near(t, "reloaded", got, w64, 1e-6)

	// The exported file also serves as a weights file.
	m2 := smallCNN(12)
	if err := LoadWeights(m2, path); err != nil {
		t.Fatal(err)
	}
	near(t, "weights from .onnx", run(t, m2, x).Float32s(), w64, 1e-6)
}

func TestWeightsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := smallCNN(13)
	x := randTensor(rand.New(rand.NewPCG(3, 4)), 2, 1, 8, 8)
	want := run(t, m, x).Float32s()
	w64 := make([]float64, len(want))
	for i, v := range want {
		w64[i] = float64(v)
	}
	for _, name := range []string{"w.safetensors", "w.onnx"} {
		path := filepath.Join(dir, name)
		if err := SaveWeights(m, path); err != nil {
			t.Fatal(err)
		}
		m2 := smallCNN(14)
		if err := LoadWeights(m2, path); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		near(t, name, run(t, m2, x).Float32s(), w64, 0)
	}
	// A model whose layer differs in shape is refused, naming the tensor
	// and the file, and left unchanged.
	r := NewRand(1)
	other := NewSequential(NewConv2d(r, 1, 5, 3, ConvOpts{Padding: 1}))
	before := other.Params()[0].T.Clone()
	err := LoadWeights(other, filepath.Join(dir, "w.safetensors"))
	if err == nil || !strings.Contains(err.Error(), `"0.weight"`) || !strings.Contains(err.Error(), "w.safetensors") {
		t.Fatalf("shape mismatch error: %v", err)
	}
	if other.Params()[0].T.Float32s()[0] != before.Float32s()[0] {
		t.Fatal("failed load changed the module")
	}
	names, err := LoadMatchingWeights(NewSequential(NewConv2d(r, 1, 4, 3, ConvOpts{Padding: 1})), filepath.Join(dir, "w.safetensors"))
	if err != nil || len(names) != 2 {
		t.Fatalf("LoadMatchingWeights: %v %v", names, err)
	}
	if err := LoadWeights(NewSequential(NewConv2d(r, 1, 4, 3, ConvOpts{Padding: 1})), filepath.Join(dir, "w.safetensors")); err == nil ||
		!strings.Contains(err.Error(), "lacks") {
		t.Fatalf("extra tensors: %v", err)
	}
}
