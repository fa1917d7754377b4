package elementwise

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Expected values below are the examples of the ONNX operator
// specification (docs/Operators.md) or are computed by hand.

func fa(name string, v float32) ir.Attr { return ir.Attr{Name: name, Type: ir.AttrFloat, F: v} }
func ia(name string, v int64) ir.Attr   { return ir.Attr{Name: name, Type: ir.AttrInt, I: v} }
func sa(name, v string) ir.Attr         { return ir.Attr{Name: name, Type: ir.AttrString, S: v} }

func f32(v ...float32) *tensor.Tensor { return tensor.FromSlice(v) }
func f64(v ...float64) *tensor.Tensor { return tensor.FromSlice(v) }
func i8(v ...int8) *tensor.Tensor     { return tensor.FromSlice(v) }
func i32(v ...int32) *tensor.Tensor   { return tensor.FromSlice(v) }
func i64(v ...int64) *tensor.Tensor   { return tensor.FromSlice(v) }
func u8(v ...uint8) *tensor.Tensor    { return tensor.FromSlice(v) }
func u64(v ...uint64) *tensor.Tensor  { return tensor.FromSlice(v) }
func bl(v ...bool) *tensor.Tensor     { return tensor.FromSlice(v) }

func shaped(t *tensor.Tensor, shape ...int) *tensor.Tensor {
	r, err := t.Reshape(shape...)
	if err != nil {
		panic(err)
	}
	return r
}

func f16(v ...float32) *tensor.Tensor {
	t := tensor.New(tensor.Float16, len(v))
	for i, x := range v {
		tensor.Data[uint16](t)[i] = tensor.Float32ToFloat16(x)
	}
	return t
}

func strs(v ...string) *tensor.Tensor {
	t, err := tensor.FromStrings([]int{len(v)}, v)
	if err != nil {
		panic(err)
	}
	return t
}

// run executes op at opset on the inputs (nil for an omitted optional
// input) through the registered kernel chosen for the input types.
func run(op string, opset int, attrs []ir.Attr, ins ...*tensor.Tensor) ([]*tensor.Tensor, error) {
	n := &ir.Node{Op: op, Opset: opset, Attrs: attrs, Inputs: make([]*ir.Value, len(ins)),
		Outputs: []*ir.Value{{Name: "out"}}}
	vals := make([]tensor.Value, len(ins))
	for i, t := range ins {
		if t != nil {
			n.Inputs[i] = &ir.Value{Name: "in"}
			vals[i] = t
		}
	}
	if err := ir.ResolveNode(n); err != nil {
		return nil, err
	}
	var k *kernels.KernelDef
	for _, d := range kernels.Lookup(n) {
		if d.Types == nil {
			k = &d
			break
		}
		if t := ins[d.TypeInput]; t != nil {
			for _, dt := range d.Types {
				if dt == t.DType() {
					k = &d
				}
			}
		}
		if k != nil {
			break
		}
	}
	if k == nil {
		return nil, &typeError{op}
	}
	outs, err := k.Run(&kernels.Ctx{Node: n, Opset: opset, Context: context.Background()}, vals)
	if err != nil {
		return nil, err
	}
	res := make([]*tensor.Tensor, len(outs))
	for i, o := range outs {
		res[i], _ = o.(*tensor.Tensor)
	}
	return res, nil
}

type typeError struct{ op string }

func (e *typeError) Error() string { return e.op + ": no kernel for the input element type" }

// equal reports whether got matches want: same type and shape, floats
// within a relative 1e-6 (NaNs in the same places), others exactly.
func equal(got, want *tensor.Tensor) bool {
	if got.DType() != want.DType() || !sameInts(got.Shape(), want.Shape()) {
		return false
	}
	if got.DType() == tensor.String {
		return strings.Join(got.Strings(), "\x00") == strings.Join(want.Strings(), "\x00")
	}
	for i := 0; i < got.Len(); i++ {
		if got.DType().IsFloat() {
			g, w := got.Float64At(i), want.Float64At(i)
			if math.IsNaN(w) != math.IsNaN(g) {
				return false
			}
			if !math.IsNaN(w) && g != w && math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w)) {
				return false
			}
			continue
		}
		if got.Int64At(i) != want.Int64At(i) {
			return false
		}
	}
	return true
}

type kcase struct {
	name  string
	op    string
	opset int
	attrs []ir.Attr
	in    []*tensor.Tensor
	want  *tensor.Tensor
	err   string // a substring of the expected error, when one is expected
}

func runCases(t *testing.T, cases []kcase) {
	t.Helper()
	for _, tc := range cases {
		name := tc.name
		if name == "" {
			name = tc.op
		}
		t.Run(name, func(t *testing.T) {
			opset := tc.opset
			if opset == 0 {
				opset = 25
			}
			outs, err := run(tc.op, opset, tc.attrs, tc.in...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equal(outs[0], tc.want) {
				t.Fatalf("got %v, want %v", outs[0], tc.want)
			}
		})
	}
}

var nan = float32(math.NaN())
var inf = float32(math.Inf(1))

func TestUnary(t *testing.T) {
	runCases(t, []kcase{
		{op: "Abs", in: in(f32(-1, 0, 2.5)), want: f32(1, 0, 2.5)},
		{name: "Abs/int8", op: "Abs", in: in(i8(-128, -3, 4)), want: i8(-128, 3, 4)},
		{name: "Abs/uint64", op: "Abs", in: in(u64(math.MaxUint64, 3)), want: u64(math.MaxUint64, 3)},
		{op: "Neg", in: in(f32(-4, 2)), want: f32(4, -2)},
		{name: "Neg/int32", op: "Neg", in: in(i32(-4, 2, math.MinInt32)), want: i32(4, -2, math.MinInt32)},
		{op: "Reciprocal", in: in(f32(-4, 2)), want: f32(-0.25, 0.5)},
		{op: "Floor", in: in(f32(-1.5, 1.2, 2)), want: f32(-2, 1, 2)},
		{op: "Ceil", in: in(f32(-1.5, 1.2, 2)), want: f32(-1, 2, 2)},
		{op: "Round", in: in(f32(0.1, 0.5, 0.9, 1.2, 1.5, 1.8, 2.3, 2.5, 2.7, -1.1, -1.5, -1.9, -2.2, -2.5, -2.8)),
			want: f32(0, 0, 1, 1, 2, 2, 2, 2, 3, -1, -2, -2, -2, -2, -3)},
		{op: "Sqrt", in: in(f32(1, 4, 9)), want: f32(1, 2, 3)},
		{op: "Exp", in: in(f32(-1, 0, 1)), want: f32(0.36787945, 1, 2.71828175)},
		{op: "Log", in: in(f32(1, 10)), want: f32(0, 2.30258512)},
		{op: "Sin", in: in(f32(-1, 0, 1)), want: f32(-0.84147096, 0, 0.84147096)},
		{op: "Cos", in: in(f32(-1, 0, 1)), want: f32(0.54030231, 1, 0.54030231)},
		{op: "Tan", in: in(f32(-1, 0, 1)), want: f32(-1.55740774, 0, 1.55740774)},
		{op: "Asin", in: in(f32(-0.5, 0, 0.5)), want: f32(-0.52359878, 0, 0.52359878)},
		{op: "Acos", in: in(f32(-0.5, 0, 0.5)), want: f32(2.09439516, 1.57079637, 1.04719758)},
		{op: "Atan", in: in(f32(-1, 0, 1)), want: f32(-0.78539819, 0, 0.78539819)},
		{op: "Sinh", in: in(f32(-1, 0, 1)), want: f32(-1.17520118, 0, 1.17520118)},
		{op: "Cosh", in: in(f32(-1, 0, 1)), want: f32(1.54308069, 1, 1.54308069)},
		{op: "Asinh", in: in(f32(-1, 0, 1)), want: f32(-0.88137358, 0, 0.88137358)},
		{op: "Acosh", in: in(f32(10, math.E, 1)), want: f32(2.99322295, 1.65745449, 0)},
		{op: "Atanh", in: in(f32(-0.5, 0, 0.5)), want: f32(-0.54930615, 0, 0.54930615)},
		{op: "Erf", in: in(f64(-1, 0, 1)), want: f64(-0.8427007929497149, 0, 0.8427007929497149)},
		{op: "Sign", in: in(f32(-5, -0.5, 0, 0.5, 5, nan)), want: f32(-1, -1, 0, 1, 1, nan)},
		{name: "Sign/int64", op: "Sign", in: in(i64(-7, 0, 9)), want: i64(-1, 0, 1)},
		{name: "Sign/uint8", op: "Sign", in: in(u8(0, 9)), want: u8(0, 1)},
		{op: "IsNaN", in: in(f32(3, nan, 4, nan)), want: bl(false, true, false, true)},
		{name: "IsNaN/float16", op: "IsNaN", in: in(f16(3, nan)), want: bl(false, true)},
		{op: "IsInf", in: in(f32(-1.2, nan, inf, 2.8, -inf, inf)), want: bl(false, false, true, false, true, true)},
		{name: "IsInf/positive", op: "IsInf", attrs: attrs(ia("detect_negative", 0)),
			in: in(f32(-1.2, nan, inf, 2.8, -inf, inf)), want: bl(false, false, true, false, false, true)},
		{name: "IsInf/negative", op: "IsInf", attrs: attrs(ia("detect_positive", 0)),
			in: in(f32(-1.2, nan, inf, 2.8, -inf, inf)), want: bl(false, false, false, false, true, false)},
		{op: "Not", in: in(bl(true, false)), want: bl(false, true)},
		{op: "BitwiseNot", in: in(i32(0, -1, 5)), want: i32(-1, 0, -6)},
		{name: "BitwiseNot/uint8", op: "BitwiseNot", in: in(u8(0, 255, 5)), want: u8(255, 0, 250)},
		{name: "Sqrt/float16", op: "Sqrt", in: in(f16(4, 2)), want: f16(2, 1.4140625)},
		{name: "Sqrt/int32 refused", op: "Sqrt", in: in(i32(4)), err: "no kernel"},
		{name: "Abs/string refused", op: "Abs", in: in(strs("a")), err: "no kernel"},
	})
}

func in(ts ...*tensor.Tensor) []*tensor.Tensor { return ts }
func attrs(as ...ir.Attr) []ir.Attr            { return as }

func TestActivations(t *testing.T) {
	x := f32(-1, 0, 1)
	runCases(t, []kcase{
		{op: "Relu", in: in(x), want: f32(0, 0, 1)},
		{name: "Relu/int8", op: "Relu", in: in(i8(-3, 0, 5)), want: i8(0, 0, 5)},
		{op: "LeakyRelu", attrs: attrs(fa("alpha", 0.1)), in: in(x), want: f32(-0.1, 0, 1)},
		{name: "LeakyRelu/default", op: "LeakyRelu", in: in(x), want: f32(-0.01, 0, 1)},
		{op: "Elu", attrs: attrs(fa("alpha", 2)), in: in(x), want: f32(-1.26424112, 0, 1)},
		{op: "Selu", attrs: attrs(fa("alpha", 2), fa("gamma", 3)), in: in(x), want: f32(-3.79272318, 0, 3)},
		{name: "Selu/default", op: "Selu", in: in(f32(-1)), want: f32(-1.1113307)},
		{op: "Celu", attrs: attrs(fa("alpha", 2)), in: in(f32(-2, 0, 1)), want: f32(-1.26424112, 0, 1)},
		{name: "Celu/float16", op: "Celu", opset: 28, in: in(f16(-1, 1)), want: f16(-0.6321206, 1)},
		{op: "ThresholdedRelu", attrs: attrs(fa("alpha", 2)), in: in(f32(-1.5, 0, 1.2, 2, 2.2)), want: f32(0, 0, 0, 0, 2.2)},
		{op: "HardSigmoid", attrs: attrs(fa("alpha", 0.5), fa("beta", 0.6)), in: in(x), want: f32(0.1, 0.6, 1)},
		{op: "HardSwish", in: in(f32(-4, -3, 0, 1, 3, 4)), want: f32(0, 0, 0, 0.6666667, 3, 4)},
		{op: "Sigmoid", in: in(x), want: f32(0.26894142, 0.5, 0.7310586)},
		{name: "Sigmoid/extremes", op: "Sigmoid", in: in(f64(-1000, 1000)), want: f64(0, 1)},
		{op: "Softplus", in: in(x), want: f32(0.31326166, 0.69314718, 1.31326163)},
		{op: "Softsign", in: in(x), want: f32(-0.5, 0, 0.5)},
		{op: "Tanh", in: in(x), want: f32(-0.76159418, 0, 0.76159418)},
		{op: "Mish", in: in(f64(1, 0)), want: f64(0.8650983882673103, 0)},
		{op: "Gelu", in: in(x), want: f32(-0.15865529, 0, 0.8413447)},
		{name: "Gelu/tanh", op: "Gelu", attrs: attrs(sa("approximate", "tanh")), in: in(x), want: f32(-0.15880801, 0, 0.841192)},
		{name: "Gelu/bad mode", op: "Gelu", attrs: attrs(sa("approximate", "erf")), in: in(x), err: "approximate"},
		{op: "Swish", in: in(f32(1, 0)), want: f32(0.7310586, 0)},
		{name: "Swish/alpha", op: "Swish", attrs: attrs(fa("alpha", 2)), in: in(f32(0.5)), want: f32(0.36552930)},
		{op: "SwiGLU", opset: 28, in: in(f32(1, 0), f32(2, 5)), want: f32(1.4621172, 0)},
		{name: "SwiGLU/shapes differ", op: "SwiGLU", opset: 28, in: in(f32(1, 0), f32(2)), err: "identical shapes"},
		{name: "Shrink/hard", op: "Shrink", attrs: attrs(fa("lambd", 1.5)), in: in(f32(-2, -1, 0, 1, 2)), want: f32(-2, 0, 0, 0, 2)},
		{name: "Shrink/soft", op: "Shrink", attrs: attrs(fa("lambd", 1.5), fa("bias", 1.5)), in: in(f32(-2, -1, 0, 1, 2)), want: f32(-0.5, 0, 0, 0, 0.5)},
		{op: "PRelu", in: in(f32(-2, 3, -4), f32(0.5)), want: f32(-1, 3, -2)},
		{name: "PRelu/broadcast", op: "PRelu", opset: 16, in: in(shaped(f32(-1, -1, -1, 1, 1, 1), 2, 3), f32(1, 2, 3)),
			want: shaped(f32(-1, -2, -3, 1, 1, 1), 2, 3)},
		{name: "PRelu/opset6 channel", op: "PRelu", opset: 6, in: in(shaped(f32(-1, -1, -1, -1, -1, -1), 1, 3, 2), f32(1, 2, 3)),
			want: shaped(f32(-1, -1, -2, -2, -3, -3), 1, 3, 2)},
		{name: "PRelu/slope too big", op: "PRelu", opset: 16, in: in(f32(-1, 2), shaped(f32(1, 2, 3, 4), 2, 2)), err: "does not broadcast"},
		{name: "PRelu/int32", op: "PRelu", in: in(i32(-3, 4), i32(2)), want: i32(-6, 4)},
	})
}

func TestClip(t *testing.T) {
	x := f32(-2, 0, 2)
	runCases(t, []kcase{
		{op: "Clip", opset: 13, in: in(x, f32(-1), f32(1)), want: f32(-1, 0, 1)},
		{name: "min only", op: "Clip", opset: 13, in: in(x, f32(-1)), want: f32(-1, 0, 2)},
		{name: "max only", op: "Clip", opset: 13, in: in(x, nil, f32(1)), want: f32(-2, 0, 1)},
		{name: "no bounds", op: "Clip", opset: 13, in: in(x), want: x},
		{name: "min greater than max", op: "Clip", opset: 13, in: in(x, f32(2), f32(1)), want: f32(1, 1, 1)},
		{name: "NaN passes", op: "Clip", opset: 13, in: in(f32(nan, 5), f32(-1), f32(1)), want: f32(nan, 1)},
		{name: "int8", op: "Clip", opset: 13, in: in(i8(-128, 0, 127), i8(-10), nil), want: i8(-10, 0, 127)},
		{name: "uint64", op: "Clip", opset: 13, in: in(u64(0, 5, math.MaxUint64), u64(1), u64(6)), want: u64(1, 5, 6)},
		{name: "opset6 attributes", op: "Clip", opset: 6, attrs: attrs(fa("min", -1), fa("max", 1)), in: in(x), want: f32(-1, 0, 1)},
		{name: "opset6 max only", op: "Clip", opset: 6, attrs: attrs(fa("max", 1)), in: in(x), want: f32(-2, 0, 1)},
		{name: "opset6 defaults", op: "Clip", opset: 6, in: in(f32(-inf, 1, inf)), want: f32(-math.MaxFloat32, 1, math.MaxFloat32)},
		{name: "opset1 no defaults", op: "Clip", opset: 1, in: in(f32(-inf, 1, inf)), want: f32(-inf, 1, inf)},
		{name: "bound not scalar", op: "Clip", opset: 13, in: in(x, f32(1, 2)), err: "must be a scalar"},
		{name: "bound type", op: "Clip", opset: 13, in: in(x, f64(1)), err: "element type"},
	})
}

func TestArithmetic(t *testing.T) {
	runCases(t, []kcase{
		{op: "Add", in: in(f32(1, 2, 3), f32(4, 5, 6)), want: f32(5, 7, 9)},
		{name: "Add/broadcast", op: "Add", in: in(shaped(f32(1, 2, 3, 4, 5, 6), 2, 3), f32(10, 20, 30)),
			want: shaped(f32(11, 22, 33, 14, 25, 36), 2, 3)},
		{name: "Add/both broadcast", op: "Add", in: in(shaped(f32(1, 2), 2, 1), f32(10, 20, 30)),
			want: shaped(f32(11, 21, 31, 12, 22, 32), 2, 3)},
		{name: "Add/int8 wraps", op: "Add", in: in(i8(127, -128), i8(1, -1)), want: i8(-128, 127)},
		{name: "Add/uint8 wraps", op: "Add", in: in(u8(255), u8(1)), want: u8(0)},
		{name: "Add/int64 exact", op: "Add", in: in(i64(1<<62+1), i64(1<<61)), want: i64(1<<62 + 1 + 1<<61)},
		{name: "Add/uint64 exact", op: "Add", in: in(u64(1<<63+1), u64(1<<62)), want: u64(1<<63 + 1 + 1<<62)},
		{name: "Add/float16", op: "Add", in: in(f16(1, 0.5), f16(2, 0.25)), want: f16(3, 0.75)},
		{name: "Add/types differ", op: "Add", in: in(f32(1), f64(1)), err: "same"},
		{name: "Add/shapes differ", op: "Add", in: in(f32(1, 2), f32(1, 2, 3)), err: "broadcast"},
		{name: "Add/missing input", op: "Add", in: in(f32(1), nil), err: "required"},
		{op: "Sub", in: in(f32(3, 2, 1), f32(1, 2, 3)), want: f32(2, 0, -2)},
		{name: "Sub/uint8 wraps", op: "Sub", in: in(u8(0), u8(1)), want: u8(255)},
		{op: "Mul", in: in(f32(1, 2, 3), f32(4, 5, 6)), want: f32(4, 10, 18)},
		{name: "Mul/int16 wraps", op: "Mul", in: in(tensor.FromSlice([]int16{300}), tensor.FromSlice([]int16{300})),
			want: tensor.FromSlice([]int16{int16(90000 - 65536*1)})},
		{op: "Div", in: in(f32(3, 4), f32(1, 2)), want: f32(3, 2)},
		{name: "Div/int32 truncates", op: "Div", in: in(i32(-3, 3, -3, 3), i32(2, 2, -2, -2)), want: i32(-1, 1, 1, -1)},
		{name: "Div/uint64", op: "Div", in: in(u64(math.MaxUint64), u64(2)), want: u64(math.MaxUint64 / 2)},
		{name: "Div/int by zero", op: "Div", in: in(i32(1), i32(0)), err: "division by zero"},
		{name: "Div/float by zero", op: "Div", in: in(f32(1, -1), f32(0, 0)), want: f32(inf, -inf)},
		{op: "Mod", in: in(i64(-4, 7, 5, 4, -7, 8), i64(2, -3, 8, -2, 3, 5)), want: i64(0, -2, 5, 0, 2, 3)},
		{name: "Mod/fmod int", op: "Mod", attrs: attrs(ia("fmod", 1)), in: in(i64(-4, 7, 5, 4, -7, 8), i64(2, -3, 8, -2, 3, 5)),
			want: i64(0, 1, 5, 0, -1, 3)},
		{name: "Mod/fmod float", op: "Mod", attrs: attrs(ia("fmod", 1)), in: in(f64(-4.3, 7.2, 5.0, 4.3, -7.2, 8.0), f64(2.1, -3.4, 8.0, -2.1, 3.4, 5.0)),
			want: f64(-0.1, 0.4, 5, 0.1, -0.4, 3)},
		{name: "Mod/float sign of divisor", op: "Mod", in: in(f64(-4.5, 4.5), f64(2, -2)), want: f64(1.5, -1.5)},
		{name: "Mod/uint8", op: "Mod", in: in(u8(4, 7, 5), u8(2, 3, 8)), want: u8(0, 1, 5)},
		{name: "Mod/by zero", op: "Mod", in: in(i32(4), i32(0)), err: "division by zero"},
		{name: "Mod/bad fmod", op: "Mod", attrs: attrs(ia("fmod", 2)), in: in(i32(4), i32(1)), err: "fmod"},
		{op: "Pow", in: in(f32(1, 2, 3), f32(4, 5, 6)), want: f32(1, 32, 729)},
		{name: "Pow/int64 float32", op: "Pow", in: in(i64(1, 2, 3), f32(4, 5, 6)), want: i64(1, 32, 729)},
		{name: "Pow/float32 int64", op: "Pow", in: in(f32(1, 2, 3), i64(4, 5, 6)), want: f32(1, 32, 729)},
		{name: "Pow/int32 uint64", op: "Pow", in: in(i32(-2, 3), u64(3, 2)), want: i32(-8, 9)},
		{name: "Pow/int64 exact", op: "Pow", in: in(i64(3), i64(39)), want: i64(4052555153018976267)},
		{name: "Pow/int negative exponent", op: "Pow", in: in(i64(2, 1, -1), i64(-1, -2, -1)), want: i64(0, 1, -1)},
		{name: "Pow/broadcast scalar", op: "Pow", in: in(f32(1, 2, 3), tensor.Scalar(float32(2))), want: f32(1, 4, 9)},
		{name: "BitShift/left", op: "BitShift", attrs: attrs(sa("direction", "LEFT")), in: in(u8(16, 4, 1), u8(1, 2, 3)), want: u8(32, 16, 8)},
		{name: "BitShift/right", op: "BitShift", attrs: attrs(sa("direction", "RIGHT")), in: in(u8(16, 4, 1), u8(1, 2, 3)), want: u8(8, 1, 0)},
		{name: "BitShift/out of width", op: "BitShift", attrs: attrs(sa("direction", "LEFT")), in: in(u8(1), u8(8)), want: u8(0)},
		{name: "BitShift/bad direction", op: "BitShift", attrs: attrs(sa("direction", "UP")), in: in(u8(1), u8(1)), err: "direction"},
		{name: "BitShift/signed refused", op: "BitShift", attrs: attrs(sa("direction", "LEFT")), in: in(i8(1), i8(1)), err: "no kernel"},
		{op: "BitwiseAnd", in: in(i32(12, -1), i32(10, 7)), want: i32(8, 7)},
		{op: "BitwiseOr", in: in(u8(12, 128), u8(10, 1)), want: u8(14, 129)},
		{op: "BitwiseXor", in: in(tensor.FromSlice([]int16{12, -1}), tensor.FromSlice([]int16{10, 1})), want: tensor.FromSlice([]int16{6, -2})},
	})
}

func TestLegacyBroadcast(t *testing.T) {
	a := shaped(f32(1, 2, 3, 4, 5, 6), 2, 3)
	big := tensor.New(tensor.Float32, 2, 3, 4, 5)
	runCases(t, []kcase{
		{name: "axis 1", op: "Add", opset: 6, attrs: attrs(ia("broadcast", 1), ia("axis", 1)), in: in(a, f32(10, 20, 30)),
			want: shaped(f32(11, 22, 33, 14, 25, 36), 2, 3)},
		{name: "axis 0", op: "Sub", opset: 6, attrs: attrs(ia("broadcast", 1), ia("axis", 0)), in: in(a, f32(1, 2)),
			want: shaped(f32(0, 1, 2, 2, 3, 4), 2, 3)},
		{name: "suffix", op: "Mul", opset: 6, attrs: attrs(ia("broadcast", 1)), in: in(a, f32(1, 2, 3)),
			want: shaped(f32(1, 4, 9, 4, 10, 18), 2, 3)},
		{name: "scalar", op: "Div", opset: 6, attrs: attrs(ia("broadcast", 1)), in: in(a, shaped(f32(2), 1, 1)),
			want: shaped(f32(0.5, 1, 1.5, 2, 2.5, 3), 2, 3)},
		{name: "middle dims", op: "Add", opset: 6, attrs: attrs(ia("broadcast", 1), ia("axis", 1)), in: in(big, tensor.New(tensor.Float32, 3, 4)),
			want: tensor.New(tensor.Float32, 2, 3, 4, 5)},
		{name: "numpy alignment rejected", op: "Add", opset: 6, attrs: attrs(ia("broadcast", 1)), in: in(big, tensor.New(tensor.Float32, 3, 4)),
			err: "does not match"},
		{name: "broadcast off", op: "Add", opset: 6, in: in(a, f32(1, 2, 3)), err: "broadcast is 0"},
		{name: "equal shapes", op: "Add", opset: 1, in: in(f32(1, 2), f32(3, 4)), want: f32(4, 6)},
		{name: "comparison", op: "Greater", opset: 1, attrs: attrs(ia("broadcast", 1)), in: in(a, f32(2, 2, 2)),
			want: shaped(bl(false, false, true, true, true, true), 2, 3)},
		{name: "logic", op: "And", opset: 1, attrs: attrs(ia("broadcast", 1)), in: in(shaped(bl(true, true, false, true), 2, 2), bl(true, false)),
			want: shaped(bl(true, false, false, false), 2, 2)},
		{name: "pow", op: "Pow", opset: 1, attrs: attrs(ia("broadcast", 1)), in: in(a, f32(2)), want: shaped(f32(1, 4, 9, 16, 25, 36), 2, 3)},
	})
}

func TestCompareLogic(t *testing.T) {
	runCases(t, []kcase{
		{op: "Equal", in: in(i32(1, 2, 3), i32(1, 5, 3)), want: bl(true, false, true)},
		{name: "Equal/string", op: "Equal", opset: 19, in: in(strs("a", "b", "c"), strs("a", "x", "c")), want: bl(true, false, true)},
		{name: "Equal/string broadcast", op: "Equal", opset: 19, in: in(strs("a", "b"), strs("b")), want: bl(false, true)},
		{name: "Equal/bool", op: "Equal", in: in(bl(true, false), bl(true, true)), want: bl(true, false)},
		{name: "Equal/NaN", op: "Equal", in: in(f32(nan, 1), f32(nan, 1)), want: bl(false, true)},
		{name: "Equal/uint64 exact", op: "Equal", in: in(u64(1<<63+1), u64(1<<63)), want: bl(false)},
		{name: "Equal/int64 exact", op: "Equal", in: in(i64(1<<62+1), i64(1<<62)), want: bl(false)},
		{op: "Less", in: in(f32(1, 2, nan), f32(2, 2, 1)), want: bl(true, false, false)},
		{op: "LessOrEqual", in: in(f32(1, 2, 3), f32(2, 2, 2)), want: bl(true, true, false)},
		{op: "Greater", in: in(i8(-1, 2, 3), i8(2, 2, 2)), want: bl(false, false, true)},
		{op: "GreaterOrEqual", in: in(u64(1, 2, math.MaxUint64), u64(2, 2, 2)), want: bl(false, true, true)},
		{name: "Less/types differ", op: "Less", in: in(f32(1), i32(1)), err: "same"},
		{name: "Less/string refused", op: "Less", in: in(strs("a"), strs("b")), err: "no kernel"},
		{op: "And", in: in(bl(true, true, false, false), bl(true, false, true, false)), want: bl(true, false, false, false)},
		{op: "Or", in: in(bl(true, true, false, false), bl(true, false, true, false)), want: bl(true, true, true, false)},
		{op: "Xor", in: in(bl(true, true, false, false), bl(true, false, true, false)), want: bl(false, true, true, false)},
		{name: "Or/broadcast", op: "Or", in: in(shaped(bl(false, false, true, false), 2, 2), bl(false, true)),
			want: shaped(bl(false, true, true, true), 2, 2)},
		{op: "Where", in: in(shaped(bl(true, false, true, true), 2, 2), shaped(f32(1, 2, 3, 4), 2, 2), shaped(f32(9, 8, 7, 6), 2, 2)),
			want: shaped(f32(1, 8, 3, 4), 2, 2)},
		{name: "Where/broadcast", op: "Where", in: in(shaped(bl(true, false), 2, 1), i64(1, 2, 3), tensor.Scalar(int64(0))),
			want: shaped(i64(1, 2, 3, 0, 0, 0), 2, 3)},
		{name: "Where/string", op: "Where", in: in(bl(true, false), strs("a", "b"), strs("x", "y")), want: strs("a", "y")},
		{name: "Where/condition type", op: "Where", in: in(i32(1), f32(1), f32(2)), err: "BOOL"},
		{name: "Where/value types", op: "Where", in: in(bl(true), f32(1), f64(2)), err: "same element type"},
	})
}

func TestVariadic(t *testing.T) {
	a, b, c := f32(3, 2, 1), f32(1, 4, 4), f32(2, 5, 3)
	runCases(t, []kcase{
		{op: "Max", in: in(a, b, c), want: f32(3, 5, 4)},
		{op: "Min", in: in(a, b, c), want: f32(1, 2, 1)},
		{op: "Sum", in: in(a, b, c), want: f32(6, 11, 8)},
		{op: "Mean", in: in(a, b, c), want: f32(2, 3.6666667, 2.6666667)},
		{name: "Max/one input", op: "Max", in: in(a), want: a},
		{name: "Max/NaN", op: "Max", in: in(f32(nan, 1), f32(1, nan)), want: f32(nan, nan)},
		{name: "Max/broadcast", op: "Max", in: in(shaped(f32(1, 5), 2, 1), f32(2, 3)), want: shaped(f32(2, 3, 5, 5), 2, 2)},
		{name: "Max/uint64", op: "Max", in: in(u64(math.MaxUint64, 1), u64(1, 2)), want: u64(math.MaxUint64, 2)},
		{name: "Min/int8", op: "Min", in: in(i8(-128, 5), i8(3, 127)), want: i8(-128, 5)},
		{name: "Sum/opset6 shapes", op: "Sum", opset: 6, in: in(f32(1, 2), f32(1)), err: "same shape"},
		{name: "Sum/types", op: "Sum", in: in(f32(1), f64(1)), err: "same"},
	})
}

func TestCast(t *testing.T) {
	runCases(t, []kcase{
		{op: "Cast", attrs: attrs(ia("to", int64(tensor.Int32))), in: in(f32(1.9, -1.9, 0)), want: i32(1, -1, 0)},
		{name: "Cast/to float16", op: "Cast", attrs: attrs(ia("to", int64(tensor.Float16))), in: in(f32(0.5, 1000)), want: f16(0.5, 1000)},
		{name: "Cast/string", op: "Cast", attrs: attrs(ia("to", int64(tensor.Float32))), in: in(strs("1.5", "-INF")), want: f32(1.5, -inf)},
		{name: "Cast/opset1 name", op: "Cast", opset: 1, attrs: attrs(sa("to", "DOUBLE")), in: in(f32(1.5)), want: f64(1.5)},
		{name: "Cast/bad to", op: "Cast", attrs: attrs(ia("to", 99)), in: in(f32(1)), err: "not a known element type"},
		{name: "Cast/no to", op: "Cast", in: in(f32(1)), err: "'to'"},
		{op: "CastLike", in: in(f64(2.5, -3.5), i64(0)), want: i64(2, -3)},
	})
}

func TestInfer(t *testing.T) {
	f := ir.NewFunc("g")
	p := func(name string, ty ir.Type) *ir.Value { return f.AddParam(name, ty) }
	a := p("a", ir.TensorType(tensor.Float32, 2, 3, 4, 5))
	b := p("b", ir.TensorType(tensor.Float32, 3, 4))
	s := p("s", ir.TensorType(tensor.Float32, 5))
	cases := []struct {
		op    string
		opset int
		ins   []*ir.Value
		attrs []ir.Attr
		want  ir.Type
		err   string
	}{
		{op: "Add", opset: 14, ins: []*ir.Value{a, s}, want: ir.TensorType(tensor.Float32, 2, 3, 4, 5)},
		{op: "Add", opset: 14, ins: []*ir.Value{a, b}, err: "cannot broadcast"},
		{op: "Add", opset: 6, ins: []*ir.Value{a, b}, attrs: attrs(ia("broadcast", 1), ia("axis", 1)), want: ir.TensorType(tensor.Float32, 2, 3, 4, 5)},
		{op: "Add", opset: 6, ins: []*ir.Value{a, b}, err: "broadcast is 0"},
		{op: "Less", opset: 13, ins: []*ir.Value{s, a}, want: ir.TensorType(tensor.Bool, 2, 3, 4, 5)},
		{op: "Cast", opset: 21, ins: []*ir.Value{b}, attrs: attrs(ia("to", int64(tensor.Int64))), want: ir.TensorType(tensor.Int64, 3, 4)},
		{op: "CastLike", opset: 21, ins: []*ir.Value{b, p("i", ir.TensorType(tensor.Int8))}, want: ir.TensorType(tensor.Int8, 3, 4)},
		{op: "IsNaN", opset: 20, ins: []*ir.Value{s}, want: ir.TensorType(tensor.Bool, 5)},
		{op: "Sqrt", opset: 13, ins: []*ir.Value{b}, want: ir.TensorType(tensor.Float32, 3, 4)},
		{op: "Where", opset: 16, ins: []*ir.Value{p("c", ir.TensorType(tensor.Bool, 4, 1)), s, p("y", ir.TensorType(tensor.Float32))},
			want: ir.TensorType(tensor.Float32, 4, 5)},
		{op: "Max", opset: 13, ins: []*ir.Value{a, s, b}, err: "cannot broadcast"},
		{op: "Sum", opset: 13, ins: []*ir.Value{s, a, s}, want: ir.TensorType(tensor.Float32, 2, 3, 4, 5)},
		{op: "SwiGLU", opset: 28, ins: []*ir.Value{s, b}, err: "identical shapes"},
		{op: "Pow", opset: 15, ins: []*ir.Value{p("x", ir.TensorType(tensor.Int32, 3)), s}, err: "cannot broadcast"},
		{op: "Pow", opset: 15, ins: []*ir.Value{p("x", ir.TensorType(tensor.Int32, 1)), s}, want: ir.TensorType(tensor.Int32, 5)},
	}
	for _, tc := range cases {
		t.Run(tc.op, func(t *testing.T) {
			n := f.NewNode(tc.op, "", tc.opset, tc.ins, []string{"y"}, tc.attrs...)
			err := ir.InferNode(n, nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Outputs[0].Type; !got.Equal(tc.want) {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestHostileShapes checks that broadcasting to a result too large to
// allocate is an error, not a crash.
func TestHostileShapes(t *testing.T) {
	a := tensor.New(tensor.Float32, 1<<20, 1)
	b := tensor.New(tensor.Float32, 1, 1<<20)
	if _, err := run("Add", 14, nil, a, b); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestEveryOpHasKernel(t *testing.T) {
	for _, op := range []string{"Abs", "Neg", "Reciprocal", "Floor", "Ceil", "Round", "Sqrt", "Exp", "Log", "Sin", "Cos",
		"Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf", "Sign", "IsNaN", "IsInf", "Not",
		"Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "HardSigmoid", "HardSwish", "Sigmoid",
		"Softplus", "Softsign", "Tanh", "Mish", "Gelu", "Swish", "SwiGLU", "Shrink", "Clip", "Add", "Sub", "Mul", "Div",
		"Pow", "Mod", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot", "And", "Or", "Xor", "Equal",
		"Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Where", "Max", "Min", "Sum", "Mean", "Cast", "CastLike"} {
		if ir.FindSchema("", op) == nil {
			t.Errorf("%s: no schema", op)
		}
		if !kernels.HasKernel("", op) {
			t.Errorf("%s: no kernel", op)
		}
	}
}
