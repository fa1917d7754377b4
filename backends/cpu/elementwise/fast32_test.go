package elementwise

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// The float32 fast paths are checked against the general paths (the
// definition), which run when fastPaths is off: results must agree bit
// for bit, except that any NaN matches any NaN.

// specials are float32 values that exercise rounding and the IEEE rules.
var specials = []float32{
	0, float32(math.Copysign(0, -1)), 1, -1, 0.5, 2, 3, -2.5,
	float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
	math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1.1754942e-38, 3.4e38, 1e-30, 1e30, 16777217, 0.1, -0.1, 6, 7,
}

// randVals returns n float32 values: mostly of moderate size, some tiny,
// huge or special.
func randVals(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		switch r := rng.IntN(20); {
		case r == 0:
			v[i] = specials[rng.IntN(len(specials))]
		case r == 1:
			v[i] = math.Float32frombits(rng.Uint32()) // any bit pattern
		case r == 2:
			v[i] = float32(rng.NormFloat64() * 1e-38) // subnormal range
		case r == 3:
			v[i] = float32(rng.NormFloat64() * 1e37)
		case r == 4:
			v[i] = float32(rng.IntN(7) - 3)
		default:
			v[i] = float32(rng.NormFloat64() * 4)
		}
	}
	return v
}

func randT32(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(tensor.Float32, shape...)
	copy(tensor.Data[float32](t), randVals(rng, t.Len()))
	return t
}

// sameResult reports how got and want differ ("" when they agree): type,
// shape and bytes, any NaN matching any NaN for float32.
func sameResult(got, want *tensor.Tensor) string {
	if got.DType() != want.DType() || !sameInts(got.Shape(), want.Shape()) {
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
			return fmt.Sprintf("element %d: got %g (%#x), want %g (%#x)", i, g[i], math.Float32bits(g[i]), w[i], math.Float32bits(w[i]))
		}
	}
	return ""
}

// checkFast runs op both ways and compares every output.
func checkFast(t *testing.T, op string, opset int, attrs []ir.Attr, ins ...*tensor.Tensor) {
	t.Helper()
	got, gerr := run(op, opset, attrs, ins...)
	fastPaths = false
	want, werr := run(op, opset, attrs, ins...)
	fastPaths = true
	var shapes []string
	for _, x := range ins {
		if x != nil {
			shapes = append(shapes, fmt.Sprintf("%s%v", x.DType(), x.Shape()))
		}
	}
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%s-%d %v: error %v, general path %v", op, opset, shapes, gerr, werr)
	}
	if gerr != nil {
		return
	}
	for i := range want {
		if d := sameResult(got[i], want[i]); d != "" {
			t.Errorf("%s-%d %v %v output %d: %s", op, opset, attrs, shapes, i, d)
		}
	}
}

// shapePairs are operand shapes covering equal shapes, scalars, rows,
// columns, channels, mixed and empty broadcasts, and sizes large enough
// to be split over goroutines.
var shapePairs = [][2][]int{
	{{3, 5, 7}, {3, 5, 7}},
	{{3, 5, 7}, {}},
	{{3, 5, 7}, {1}},
	{{3, 5, 7}, {7}},
	{{3, 5, 7}, {5, 1}},
	{{3, 5, 7}, {3, 5, 1}},
	{{3, 5, 7}, {3, 1, 7}},
	{{3, 1, 7}, {1, 5, 1}},
	{{4, 1}, {1, 6}},
	{{2, 3, 4, 5}, {1, 3, 1, 1}},
	{{2, 1, 4, 1}, {1, 3, 1, 5}},
	{{}, {}},
	{{1}, {}},
	{{0, 3}, {3}},
	{{1, 1, 13}, {13}},
	{{300, 301}, {300, 301}},
	{{300, 301}, {}},
	{{300, 301}, {301}},
	{{300, 301}, {300, 1}},
	{{4, 130, 131}, {130, 1}},
	{{2, 3, 131, 127}, {3, 1, 1}},
	{{37, 1, 129}, {1, 31, 1}},
}

func TestFastBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	ops := []struct {
		op    string
		opset int
	}{
		{"Add", 14}, {"Sub", 14}, {"Mul", 14}, {"Div", 14}, {"Pow", 15},
		{"Max", 13}, {"Min", 13}, {"Sum", 13}, {"Mean", 13},
		{"Equal", 13}, {"Less", 13}, {"LessOrEqual", 16}, {"Greater", 13}, {"GreaterOrEqual", 16},
	}
	for _, sp := range shapePairs {
		for _, o := range ops {
			a, b := randT32(rng, sp[0]...), randT32(rng, sp[1]...)
			checkFast(t, o.op, o.opset, nil, a, b)
			checkFast(t, o.op, o.opset, nil, b, a)
		}
	}
}

func TestFastPRelu(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 12))
	for _, sp := range shapePairs {
		checkFast(t, "PRelu", 16, nil, randT32(rng, sp[0]...), randT32(rng, sp[1]...))
	}
	checkFast(t, "PRelu", 6, nil, randT32(rng, 2, 3, 4), randT32(rng, 3))
}

// TestFastSpecialPairs applies every binary op to every pair of special
// values, with the second operand as a tensor and as a scalar.
func TestFastSpecialPairs(t *testing.T) {
	n := len(specials)
	a, b := tensor.New(tensor.Float32, n, n), tensor.New(tensor.Float32, n, n)
	for i := range n {
		for j := range n {
			tensor.Data[float32](a)[i*n+j] = specials[i]
			tensor.Data[float32](b)[i*n+j] = specials[j]
		}
	}
	col := tensor.New(tensor.Float32, n)
	copy(tensor.Data[float32](col), specials)
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Mean", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "PRelu"} {
		opset := 16
		checkFast(t, op, opset, nil, a, b)
		checkFast(t, op, opset, nil, a, col)
		for _, s := range specials {
			checkFast(t, op, opset, nil, col, f32(s))
			if op != "PRelu" {
				checkFast(t, op, opset, nil, f32(s), col)
			}
		}
	}
}

func TestFastLegacyBroadcast(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 13))
	a := randT32(rng, 2, 3, 4, 5)
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Pow"} {
		checkFast(t, op, 6, []ir.Attr{ia("broadcast", 1), ia("axis", 1)}, a, randT32(rng, 3, 4))
		checkFast(t, op, 6, []ir.Attr{ia("broadcast", 1)}, a, randT32(rng, 4, 5))
		checkFast(t, op, 6, []ir.Attr{ia("broadcast", 1), ia("axis", 0)}, a, randT32(rng, 2))
		checkFast(t, op, 6, nil, a, randT32(rng, 2, 3, 4, 5))
	}
	checkFast(t, "Greater", 7, nil, a, randT32(rng, 5))
	checkFast(t, "Equal", 1, []ir.Attr{ia("broadcast", 1), ia("axis", 1)}, a, randT32(rng, 3))
}

func TestFastPow(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 14))
	for _, shape := range [][]int{{}, {5}, {3, 7}, {301, 300}} {
		x := randT32(rng, shape...)
		for _, e := range []float32{2, 0.5, 3, -1, 1.5, -0.5, 0, 1, float32(math.NaN())} {
			checkFast(t, "Pow", 15, nil, x, f32(e))
			checkFast(t, "Pow", 15, nil, x, shaped(f32(e), 1, 1, 1))
			checkFast(t, "Pow", 15, nil, x, f64(float64(e)))
		}
		checkFast(t, "Pow", 15, nil, x, i64(2))
		checkFast(t, "Pow", 15, nil, x, i64(-3))
		checkFast(t, "Pow", 15, nil, x, i32(0))
		checkFast(t, "Pow", 15, nil, x, randT32(rng, shape...))
	}
	checkFast(t, "Pow", 15, nil, randT32(rng, 4, 1), randT32(rng, 1, 5))
	checkFast(t, "Pow", 15, nil, f32(specials...), f32(2))
	checkFast(t, "Pow", 15, nil, f32(specials...), f32(0.5))
}

func TestFastVariadic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	sets := [][][]int{
		{{3, 5}, {3, 5}, {3, 5}},
		{{3, 5}, {5}, {3, 1}, {}},
		{{2, 1, 4}, {3, 1}, {1}},
		{{300, 301}, {300, 301}, {301}},
		{{7}},
	}
	for _, set := range sets {
		ins := make([]*tensor.Tensor, len(set))
		for i, s := range set {
			ins[i] = randT32(rng, s...)
		}
		for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
			checkFast(t, op, 13, nil, ins...)
		}
	}
	ins := make([]*tensor.Tensor, 70)
	for i := range ins {
		ins[i] = randT32(rng, 4)
	}
	checkFast(t, "Sum", 13, nil, ins...)
	checkFast(t, "Mean", 6, nil, randT32(rng, 4, 3), randT32(rng, 4, 3), randT32(rng, 4, 3))
	checkFast(t, "Max", 6, nil, randT32(rng, 4, 3), randT32(rng, 4))
}

func TestFastWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 16))
	triples := [][3][]int{
		{{3, 5}, {3, 5}, {3, 5}},
		{{3, 5}, {3, 5}, {}},
		{{3, 5}, {}, {3, 5}},
		{{3, 1}, {1, 5}, {5}},
		{{}, {3, 5}, {3, 5}},
		{{300, 301}, {300, 301}, {300, 301}},
		{{300, 301}, {300, 301}, {}},
		{{300, 1}, {301}, {300, 301}},
		{{0, 4}, {4}, {}},
	}
	cond := func(shape []int) *tensor.Tensor {
		c := tensor.New(tensor.Bool, shape...)
		for i := range c.Bytes() {
			c.Bytes()[i] = uint8(rng.IntN(2))
		}
		return c
	}
	for _, tr := range triples {
		checkFast(t, "Where", 16, nil, cond(tr[0]), randT32(rng, tr[1]...), randT32(rng, tr[2]...))
		x, y := tensor.New(tensor.Int64, tr[1]...), tensor.New(tensor.Int64, tr[2]...)
		for i := range tensor.Data[int64](x) {
			tensor.Data[int64](x)[i] = rng.Int64()
		}
		for i := range tensor.Data[int64](y) {
			tensor.Data[int64](y)[i] = -rng.Int64()
		}
		checkFast(t, "Where", 16, nil, cond(tr[0]), x, y)
		x8, y8 := tensor.New(tensor.Uint8, tr[1]...), tensor.New(tensor.Uint8, tr[2]...)
		for i := range x8.Bytes() {
			x8.Bytes()[i] = uint8(rng.IntN(256))
		}
		checkFast(t, "Where", 16, nil, cond(tr[0]), x8, y8)
		h1, h2 := tensor.New(tensor.Float16, tr[1]...), tensor.New(tensor.Float16, tr[2]...)
		for i := range tensor.Data[uint16](h1) {
			tensor.Data[uint16](h1)[i] = uint16(rng.Uint32())
		}
		checkFast(t, "Where", 16, nil, cond(tr[0]), h1, h2)
	}
	checkFast(t, "Where", 16, nil, bl(true, false), strs("a", "b"), strs("c", "d"))
}

func TestFastUnary(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 17))
	type u struct {
		op    string
		opset int
		attrs []ir.Attr
	}
	ops := []u{
		{"Relu", 14, nil}, {"Neg", 13, nil}, {"Abs", 13, nil}, {"Sqrt", 13, nil}, {"Exp", 13, nil},
		{"Log", 13, nil}, {"Tanh", 13, nil}, {"Sigmoid", 13, nil}, {"Erf", 13, nil}, {"Reciprocal", 13, nil},
		{"Floor", 13, nil}, {"Ceil", 13, nil}, {"Round", 11, nil}, {"Sin", 7, nil}, {"Sign", 13, nil},
		{"Softplus", 1, nil}, {"HardSwish", 14, nil}, {"Mish", 18, nil},
		{"LeakyRelu", 16, []ir.Attr{fa("alpha", 0.1)}}, {"LeakyRelu", 16, []ir.Attr{fa("alpha", -3.7)}},
		{"LeakyRelu", 6, nil}, {"Elu", 6, nil}, {"Selu", 6, nil}, {"HardSigmoid", 6, nil},
		{"Gelu", 20, nil}, {"Gelu", 20, []ir.Attr{sa("approximate", "tanh")}},
		{"Clip", 6, nil}, {"Clip", 6, []ir.Attr{fa("min", -1), fa("max", 0.5)}}, {"Clip", 1, []ir.Attr{fa("min", 0)}},
		{"Cast", 13, []ir.Attr{ia("to", int64(tensor.Int64))}}, {"Cast", 13, []ir.Attr{ia("to", int64(tensor.Int32))}},
		{"Cast", 13, []ir.Attr{ia("to", int64(tensor.Bool))}}, {"Cast", 13, []ir.Attr{ia("to", int64(tensor.Float64))}},
		{"Cast", 13, []ir.Attr{ia("to", int64(tensor.Float32))}}, {"Cast", 19, []ir.Attr{ia("to", int64(tensor.Float16))}},
		{"IsNaN", 13, nil},
	}
	for _, shape := range [][]int{{}, {0}, {7}, {3, 5, 7}, {301, 300}} {
		x := randT32(rng, shape...)
		for _, o := range ops {
			checkFast(t, o.op, o.opset, o.attrs, x)
		}
		for _, bounds := range [][2]*tensor.Tensor{{f32(-1), f32(2)}, {nil, f32(0)}, {f32(0), nil}, {f32(3), f32(-3)},
			{f32(float32(math.NaN())), f32(1)}, {f32(float32(math.Inf(-1))), f32(0)}} {
			checkFast(t, "Clip", 13, nil, x, bounds[0], bounds[1])
		}
	}
	x := f32(specials...)
	for _, o := range ops {
		checkFast(t, o.op, o.opset, o.attrs, x)
	}
}

func TestFastCastToFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 18))
	to := []ir.Attr{ia("to", int64(tensor.Float32))}
	for _, n := range []int{0, 5, 70000} {
		i64t, i32t, bt, f64t := tensor.New(tensor.Int64, n), tensor.New(tensor.Int32, n), tensor.New(tensor.Bool, n), tensor.New(tensor.Float64, n)
		for i := 0; i < n; i++ {
			tensor.Data[int64](i64t)[i] = rng.Int64() >> rng.IntN(64)
			tensor.Data[int32](i32t)[i] = int32(rng.Uint32())
			bt.Bytes()[i] = uint8(rng.IntN(2))
			tensor.Data[float64](f64t)[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(80)-40))
		}
		for _, x := range []*tensor.Tensor{i64t, i32t, bt, f64t} {
			checkFast(t, "Cast", 13, to, x)
		}
	}
	checkFast(t, "Cast", 13, to, f64(math.NaN(), math.Inf(-1), 1e300, -1e-300, math.Copysign(0, -1), 3.4028235677973366e38))
	checkFast(t, "Cast", 13, []ir.Attr{ia("to", int64(tensor.Int64))}, f32(1e19, -9.2233720e18, 9.2233720e18, -1e19, 2.5, -2.5))
}

// TestBcastPlanRanges checks that walking any range of the output visits
// exactly the operand elements broadcasting reads.
func TestBcastPlanRanges(t *testing.T) {
	for _, sp := range shapePairs {
		out, err := broadcastShape(tensor.Float32, tensor.New(tensor.Float32, sp[0]...), tensor.New(tensor.Float32, sp[1]...))
		if err != nil {
			t.Fatal(err)
		}
		p := newBcastPlan(out, sp[0], sp[1])
		n := count(out)
		if n > 5000 {
			continue
		}
		want := [][]int{broadcastIndexOf(sp[0], out), broadcastIndexOf(sp[1], out)}
		for _, r := range [][2]int{{0, n}, {1, n}, {0, n / 2}, {n / 3, n - n/5}, {n / 2, n/2 + 1}} {
			if r[0] > r[1] || r[1] > n {
				continue
			}
			next := r[0]
			p.each(r[0], r[1], func(o int, offs []int, m int) {
				if o != next {
					t.Fatalf("%v: block at %d, want %d", sp, o, next)
				}
				for i := 0; i < m; i++ {
					for k := 0; k < 2; k++ {
						if got := offs[k] + i*p.in[k]; got != want[k][o+i] {
							t.Fatalf("%v range %v: element %d of operand %d reads %d, want %d", sp, r, o+i, k, got, want[k][o+i])
						}
					}
				}
				next = o + m
			})
			if next != r[1] && r[0] < r[1] {
				t.Fatalf("%v range %v: stopped at %d", sp, r, next)
			}
		}
	}
}

func broadcastIndexOf(in, out []int) []int { return kernels.BroadcastIndex(in, out) }
