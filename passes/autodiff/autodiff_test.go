package autodiff_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes/autodiff"
	"github.com/onyxgo/onyx/tensor"
)

const defaultOpset = 17

// arg is one input of the op under test. By default it is a float64
// graph input with random values in (lo, hi) ((-1, 1) when both are zero),
// and the gradient with respect to it is checked.
type arg struct {
	shape  []int
	lo, hi float64
	// fixed makes the input a constant of this value, not differentiated.
	fixed *tensor.Tensor
	// runtime makes a fixed input a graph input fed at run time instead of
	// a constant (still not differentiated).
	runtime bool
	// omit leaves an optional input out.
	omit bool
	// values gives a differentiated input these values instead of random
	// ones.
	values *tensor.Tensor
}

func (a arg) differentiated() bool { return a.fixed == nil && !a.omit }

// gradCase is one rule under test: an op applied to float64 inputs.
type gradCase struct {
	name  string
	op    string
	opset int // defaultOpset when 0
	// shapes is the short form of args: differentiated inputs of these
	// shapes, then consts as constant inputs.
	shapes [][]int
	consts []*tensor.Tensor
	// positive restricts the short form's inputs to (0.5, 2).
	positive bool
	args     []arg
	attrs    []ir.Attr
	// outputs is the number of outputs the node has (1 when 0); loss
	// lists those that enter the loss (all when nil).
	outputs int
	loss    []int
	// dynamic declares the dims other than 1 of every graph input
	// symbolic, so that rules cannot lean on static shapes.
	dynamic bool
	// keepStatic lists the inputs that stay static under dynamic.
	keepStatic []int
	// h is the finite-difference step (1e-6 when 0) and tol the relative
	// tolerance (1e-6 when 0), for outputs of low precision.
	h, tol float64
}

func (tc gradCase) inputs() []arg {
	if tc.args != nil {
		return tc.args
	}
	var as []arg
	for _, s := range tc.shapes {
		a := arg{shape: s}
		if tc.positive {
			a.lo, a.hi = 0.5, 2
		}
		as = append(as, a)
	}
	for _, c := range tc.consts {
		as = append(as, arg{fixed: c})
	}
	return as
}

func (tc gradCase) lossOutputs() []int {
	if tc.loss != nil {
		return tc.loss
	}
	n := max(tc.outputs, 1)
	l := make([]int, n)
	for i := range l {
		l[i] = i
	}
	return l
}

func (tc gradCase) opsetOr() int {
	if tc.opset == 0 {
		return defaultOpset
	}
	return tc.opset
}

func inputName(i int) string  { return string(rune('a' + i)) }
func outputName(i int) string { return fmt.Sprintf("y%d", i) }
func weightName(i int) string { return fmt.Sprintf("w%d", i) }

func paramType(t *tensor.Tensor, shape []int, dt tensor.DType, dynamic bool, i int) ir.Type {
	if t != nil {
		shape = t.Shape()
		dt = t.DType()
	}
	dims := make([]ir.Dim, len(shape))
	for j, d := range shape {
		if dynamic && d != 1 {
			dims[j] = ir.Sym(fmt.Sprintf("d%d_%d", i, j))
		} else {
			dims[j] = ir.Known(int64(d))
		}
	}
	return ir.TensorOf(dt, dims)
}

// forward makes f(inputs) = op(inputs), returning f, its node and the
// differentiated inputs.
func forward(tc gradCase) (*ir.Func, *ir.Node, []*ir.Value, error) {
	f := ir.NewFunc("f")
	var ins, xs []*ir.Value
	for i, a := range tc.inputs() {
		switch {
		case a.omit:
			ins = append(ins, nil)
		case a.fixed != nil && !a.runtime:
			ins = append(ins, f.AddConst(inputName(i), a.fixed))
		case a.fixed != nil:
			ins = append(ins, f.AddParam(inputName(i), paramType(a.fixed, nil, 0, tc.dynamic && !slices.Contains(tc.keepStatic, i), i)))
		default:
			shape := a.shape
			if a.values != nil {
				shape = a.values.Shape()
			}
			x := f.AddParam(inputName(i), paramType(nil, shape, tensor.Float64, tc.dynamic && !slices.Contains(tc.keepStatic, i), i))
			ins = append(ins, x)
			xs = append(xs, x)
		}
	}
	for len(ins) > 0 && ins[len(ins)-1] == nil {
		ins = ins[:len(ins)-1]
	}
	var outs []string
	for i := 0; i < max(tc.outputs, 1); i++ {
		outs = append(outs, outputName(i))
	}
	n := f.NewNode(tc.op, "", tc.opsetOr(), ins, outs, tc.attrs...)
	if err := ir.InferShapes(f); err != nil {
		return nil, nil, nil, err
	}
	for _, i := range tc.lossOutputs() {
		f.Results = append(f.Results, n.Outputs[i])
	}
	return f, n, xs, nil
}

// build makes f(inputs; w) = op(inputs) and, for each loss output y_k,
// the gradient of sum(y_k * w_k) with respect to every differentiated
// input. The gradient of the whole loss sum_k sum(y_k * w_k) is the sum of
// these, taken by the caller: the test must not lean on other rules to
// form the loss.
func build(tc gradCase) (*ir.Func, error) {
	f, n, xs, err := forward(tc)
	if err != nil {
		return nil, err
	}
	res := append([]*ir.Value{}, f.Results...)
	for _, i := range tc.lossOutputs() {
		y := n.Outputs[i]
		w := f.AddParam(weightName(i), y.Type)
		gs, err := autodiff.Grad(f, nil, tc.opsetOr(), y, xs, w)
		if err != nil {
			return nil, err
		}
		res = append(res, gs...)
	}
	f.Results = res
	if err := ir.Check(f); err != nil {
		return nil, fmt.Errorf("backward graph does not verify: %v", err)
	}
	return f, nil
}

func randTensor(r *rand.Rand, shape []int, lo, hi float64) *tensor.Tensor {
	if lo == 0 && hi == 0 {
		lo, hi = -1, 1
	}
	t := tensor.New(tensor.Float64, shape...)
	for i := range t.Float64s() {
		t.Float64s()[i] = lo + (hi-lo)*r.Float64()
	}
	return t
}

func convert(t *tensor.Tensor, dt tensor.DType) *tensor.Tensor {
	out := tensor.New(dt, t.Shape()...)
	for i := 0; i < t.Len(); i++ {
		out.SetFloat64At(i, t.Float64At(i))
	}
	return out
}

func seedOf(name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()
}

// check compares the gradients of one case with central differences of
// the loss, in float64.
func check(t *testing.T, tc gradCase) {
	t.Helper()
	fwd, _, _, err := forward(tc)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := cpu.Compile(fwd, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f, err := build(tc)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, seedOf(tc.name)))
	in := map[string]*tensor.Tensor{}
	var diff []string
	for i, a := range tc.inputs() {
		switch {
		case a.omit:
		case a.fixed != nil:
			if a.runtime {
				in[inputName(i)] = a.fixed
			}
		case a.values != nil:
			in[inputName(i)] = a.values.Clone()
			diff = append(diff, inputName(i))
		default:
			in[inputName(i)] = randTensor(r, a.shape, a.lo, a.hi)
			diff = append(diff, inputName(i))
		}
	}
	ctx := context.Background()
	ys, err := pf.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	fwdIn := map[string]*tensor.Tensor{}
	for k, v := range in {
		fwdIn[k] = v
	}
	for _, i := range tc.lossOutputs() {
		y := ys[outputName(i)]
		w := randTensor(r, y.Shape(), 0, 0)
		if y.DType() != tensor.Float64 {
			w = convert(w, y.DType())
		}
		in[weightName(i)] = w
	}
	res, err := p.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		out, err := pf.Run(ctx, fwdIn)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, i := range tc.lossOutputs() {
			w, y := in[weightName(i)], out[outputName(i)]
			for j := 0; j < y.Len(); j++ {
				s += y.Float64At(j) * w.Float64At(j)
			}
		}
		return s
	}
	nres := len(tc.lossOutputs())
	for k, name := range diff {
		x := in[name].Float64s()
		var g []float64
		for l := 0; l < nres; l++ {
			gt := res[f.Results[nres+l*len(diff)+k].Name]
			if gt == nil {
				t.Fatalf("no gradient for %s", name)
			}
			if gt.DType() != tensor.Float64 {
				t.Fatalf("gradient for %s is %s", name, gt.DType())
			}
			if fmt.Sprint(gt.Shape()) != fmt.Sprint(in[name].Shape()) {
				t.Fatalf("gradient for %s has shape %v, input has %v", name, gt.Shape(), in[name].Shape())
			}
			if g == nil {
				g = make([]float64, len(x))
			}
			for j, v := range gt.Float64s() {
				g[j] += v
			}
		}
		bad := 0
		for j := range x {
			h, tol := tc.h, tc.tol
			if h == 0 {
				h = 1e-6
			}
			if tol == 0 {
				tol = 1e-6
			}
			old := x[j]
			x[j] = old + h
			up := loss()
			x[j] = old - h
			down := loss()
			x[j] = old
			num := (up - down) / (2 * h)
			if !(math.Abs(num-g[j]) <= tol*(1+math.Abs(num))) {
				if bad++; bad <= 8 {
					t.Errorf("d/d%s[%d]: rule gives %g, finite differences %g", name, j, g[j], num)
				}
			}
		}
		if bad > 8 {
			t.Errorf("d/d%s: %d of %d elements wrong", name, bad, len(x))
		}
	}
}

// TestRulesAgainstFiniteDifferences checks every rule's gradient against
// central differences of the loss sum(y*w) in float64.
func TestRulesAgainstFiniteDifferences(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range gradCases {
		if seen[tc.name] {
			t.Fatalf("two cases named %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) { check(t, tc) })
	}
}

// needsStatic lists the cases whose rules need static shapes, with the
// reason they give when the shapes are symbolic.
var needsStatic = map[string]string{
	"Concat opset 11":            "before opset 13 needs the sizes",
	"Slice opset 9":              "before opset 11 needs the input shape",
	"Slice opset 9 no axes":      "before opset 11 needs the input shape",
	"Conv same upper":            "auto_pad SAME_UPPER needs the spatial sizes",
	"Conv same lower":            "auto_pad SAME_LOWER needs the spatial sizes",
	"ConvTranspose same upper":   "auto_pad or output_shape needs the spatial sizes",
	"ConvTranspose output shape": "auto_pad or output_shape needs the spatial sizes",
	"AveragePool same lower":     "auto_pad SAME_LOWER needs the spatial sizes",
}

// TestRulesWithSymbolicShapes runs every case again with the dims of its
// inputs symbolic (those of size 1 aside, which broadcasting needs; and
// convolution weights), so that rules cannot lean on static shapes unless
// they say so.
func TestRulesWithSymbolicShapes(t *testing.T) {
	for _, tc := range gradCases {
		if tc.dynamic {
			continue
		}
		tc.dynamic = true
		if tc.op == "Conv" || tc.op == "ConvTranspose" {
			tc.keepStatic = []int{1} // weights are initializers
		}
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := needsStatic[tc.name]; ok {
				_, err := build(tc)
				if err == nil || !strings.Contains(err.Error(), why) {
					t.Fatalf("want an error saying %q, got %v", why, err)
				}
				return
			}
			check(t, tc)
		})
	}
}

// TestEveryRuleIsTested keeps the cases in step with the rules.
func TestEveryRuleIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, tc := range gradCases {
		tested[tc.op] = true
	}
	for _, s := range ir.Schemas() {
		if autodiff.HasRule(s.Domain, s.Name) && s.Domain == "" && !tested[s.Name] {
			t.Errorf("rule for %s has no finite-difference case", s.Name)
		}
	}
}

// Helpers for writing cases.

func f64(shape []int, v ...float64) *tensor.Tensor { return tensor.FromSlice(v, shape...) }
func i64(shape []int, v ...int64) *tensor.Tensor   { return tensor.FromSlice(v, shape...) }
func ints(v ...int64) *tensor.Tensor               { return tensor.FromSlice(v) }
func sc(v float64) *tensor.Tensor                  { return tensor.Scalar(v) }
func x(shape ...int) arg                           { return arg{shape: shape} }
func xr(lo, hi float64, shape ...int) arg          { return arg{shape: shape, lo: lo, hi: hi} }
func fixed(t *tensor.Tensor) arg                   { return arg{fixed: t} }
func runtime(t *tensor.Tensor) arg                 { return arg{fixed: t, runtime: true} }

var omitted = arg{omit: true}

func bools(shape []int, v ...bool) *tensor.Tensor { return tensor.FromSlice(v, shape...) }

// shapeRand draws the random shapes of the generated cases; its seed is
// fixed so that the cases are the same on every run.
var shapeRand = rand.New(rand.NewPCG(3, 5))

// rshape returns a random shape of the given rank, dims in [1, 4].
func rshape(rank int) []int {
	s := make([]int, rank)
	for i := range s {
		s[i] = 1 + shapeRand.IntN(4)
	}
	return s
}

// rbroadcast returns a random shape that broadcasts to s: some leading
// dims dropped, some others set to 1.
func rbroadcast(s []int) []int {
	out := append([]int{}, s[shapeRand.IntN(len(s)+1):]...)
	for i := range out {
		if shapeRand.IntN(3) == 0 {
			out[i] = 1
		}
	}
	return out
}

var gradCases = cases()

func cases() []gradCase {
	cs := []gradCase{
		{name: "Add broadcast", op: "Add", shapes: [][]int{{2, 3}, {3}}},
		{name: "Add same", op: "Add", shapes: [][]int{{2, 3}, {2, 3}}},
		{name: "Sub broadcast", op: "Sub", shapes: [][]int{{2, 1}, {2, 3}}},
		{name: "Mul broadcast", op: "Mul", shapes: [][]int{{4, 2, 3}, {1, 3}}},
		{name: "Div", op: "Div", shapes: [][]int{{2, 3}, {2, 3}}, positive: true},
		{name: "Neg", op: "Neg", shapes: [][]int{{5}}},
		{name: "Identity", op: "Identity", shapes: [][]int{{2, 2}}},
		{name: "Relu", op: "Relu", shapes: [][]int{{3, 4}}},
		{name: "Sigmoid", op: "Sigmoid", shapes: [][]int{{3, 4}}},
		{name: "Tanh", op: "Tanh", shapes: [][]int{{3, 4}}},
		{name: "Exp", op: "Exp", shapes: [][]int{{3}}},
		{name: "Log", op: "Log", shapes: [][]int{{3}}, positive: true},
		{name: "Sqrt", op: "Sqrt", shapes: [][]int{{3}}, positive: true},
		{name: "Sum", op: "Sum", shapes: [][]int{{2, 3}, {3}, {1, 3}}},
		{name: "MatMul", op: "MatMul", shapes: [][]int{{2, 3}, {3, 4}}},
		{name: "MatMul batched", op: "MatMul", shapes: [][]int{{2, 2, 3}, {3, 4}}},
		{name: "Transpose", op: "Transpose", shapes: [][]int{{2, 3, 4}}, attrs: []ir.Attr{ir.AInts("perm", 1, 2, 0)}},
		{name: "Reshape", op: "Reshape", shapes: [][]int{{2, 3, 2}}, consts: []*tensor.Tensor{tensor.FromSlice([]int64{3, -1})}},

		// Elementwise math and activations.
		{name: "Abs", op: "Abs", shapes: [][]int{{3, 4}}},
		{name: "Sin", op: "Sin", shapes: [][]int{{3, 4}}},
		{name: "Cos", op: "Cos", shapes: [][]int{{3, 4}}},
		{name: "Tan", op: "Tan", shapes: [][]int{{3, 4}}},
		{name: "Asin", op: "Asin", args: []arg{xr(-0.9, 0.9, 7)}},
		{name: "Acos", op: "Acos", args: []arg{xr(-0.9, 0.9, 7)}},
		{name: "Atan", op: "Atan", args: []arg{xr(-3, 3, 7)}},
		{name: "Sinh", op: "Sinh", shapes: [][]int{{6}}},
		{name: "Cosh", op: "Cosh", shapes: [][]int{{6}}},
		{name: "Asinh", op: "Asinh", args: []arg{xr(-3, 3, 7)}},
		{name: "Acosh", op: "Acosh", args: []arg{xr(1.1, 4, 7)}},
		{name: "Atanh", op: "Atanh", args: []arg{xr(-0.9, 0.9, 7)}},
		{name: "Erf", op: "Erf", args: []arg{xr(-2, 2, 3, 4)}},
		{name: "Reciprocal", op: "Reciprocal", shapes: [][]int{{3, 4}}, positive: true},
		{name: "Reciprocal negative", op: "Reciprocal", args: []arg{xr(-2, -0.5, 5)}},
		{name: "LeakyRelu", op: "LeakyRelu", shapes: [][]int{{3, 4}}},
		{name: "LeakyRelu alpha", op: "LeakyRelu", shapes: [][]int{{3, 4}}, attrs: []ir.Attr{ir.AFloat("alpha", 0.3)}},
		{name: "Elu", op: "Elu", args: []arg{xr(-2, 2, 3, 4)}},
		{name: "Elu alpha", op: "Elu", args: []arg{xr(-2, 2, 3, 4)}, attrs: []ir.Attr{ir.AFloat("alpha", 0.5)}},
		{name: "Selu", op: "Selu", args: []arg{xr(-2, 2, 3, 4)}},
		{name: "Selu attrs", op: "Selu", args: []arg{xr(-2, 2, 3, 4)}, attrs: []ir.Attr{ir.AFloat("alpha", 2), ir.AFloat("gamma", 0.5)}},
		{name: "Celu", op: "Celu", args: []arg{xr(-2, 2, 3, 4)}, attrs: []ir.Attr{ir.AFloat("alpha", 0.7)}},
		{name: "ThresholdedRelu", op: "ThresholdedRelu", args: []arg{xr(-3, 3, 12)}},
		{name: "Softplus", op: "Softplus", args: []arg{xr(-3, 3, 3, 4)}},
		{name: "Softsign", op: "Softsign", args: []arg{xr(-3, 3, 3, 4)}},
		{name: "HardSigmoid", op: "HardSigmoid", args: []arg{xr(-4, 4, 20)}},
		{name: "HardSigmoid attrs", op: "HardSigmoid", args: []arg{xr(-2, 2, 20)}, attrs: []ir.Attr{ir.AFloat("alpha", 0.7), ir.AFloat("beta", 0.2)}},
		{name: "HardSwish", op: "HardSwish", args: []arg{xr(-5, 5, 20)}},
		{name: "Mish", op: "Mish", opset: 18, args: []arg{xr(-3, 3, 3, 4)}},
		{name: "Swish", op: "Swish", opset: 24, args: []arg{xr(-3, 3, 3, 4)}, attrs: []ir.Attr{ir.AFloat("alpha", 1.5)}},
		{name: "Gelu", op: "Gelu", opset: 20, args: []arg{xr(-3, 3, 3, 4)}},
		{name: "Gelu tanh", op: "Gelu", opset: 20, args: []arg{xr(-3, 3, 3, 4)}, attrs: []ir.Attr{ir.AString("approximate", "tanh")}},
		{name: "Shrink", op: "Shrink", args: []arg{xr(-2, 2, 12)}, attrs: []ir.Attr{ir.AFloat("lambd", 0.6), ir.AFloat("bias", 0.2)}},
		{name: "Floor", op: "Floor", args: []arg{xr(-3, 3, 6)}},
		{name: "Ceil", op: "Ceil", args: []arg{xr(-3, 3, 6)}},
		{name: "Round", op: "Round", args: []arg{xr(-3, 3, 6)}},
		{name: "Sign", op: "Sign", args: []arg{xr(-3, 3, 6)}},
		{name: "PRelu", op: "PRelu", shapes: [][]int{{2, 3, 4}, {3, 1}}},
		{name: "PRelu scalar slope", op: "PRelu", shapes: [][]int{{2, 3}, {1}}},
		{name: "Pow", op: "Pow", args: []arg{xr(0.5, 2, 2, 3), xr(-2, 3, 2, 3)}},
		{name: "Pow broadcast", op: "Pow", args: []arg{xr(0.5, 2, 2, 3), xr(-2, 3, 3)}},
		{name: "Pow const exponent", op: "Pow", args: []arg{x(2, 3), fixed(sc(3))}},
		{name: "Pow integer exponent", op: "Pow", args: []arg{x(2, 3), fixed(i64(nil, 2))}},
		{name: "Clip", op: "Clip", args: []arg{xr(-2, 2, 3, 4), fixed(sc(-0.5)), fixed(sc(0.8))}},
		{name: "Clip bounds", op: "Clip", args: []arg{xr(-2, 2, 3, 4), xr(-1, 0, []int{}...), xr(0.2, 1, []int{}...)}},
		{name: "Clip min only", op: "Clip", args: []arg{xr(-2, 2, 3, 4), xr(-1, 0, []int{}...)}},
		{name: "Clip max only", op: "Clip", args: []arg{xr(-2, 2, 3, 4), omitted, xr(0.2, 1, []int{}...)}},
		{name: "Clip crossed bounds", op: "Clip", args: []arg{xr(-2, 2, 3, 4), xr(0.5, 1, []int{}...), xr(-1, 0, []int{}...)}},
		{name: "Clip opset 6", op: "Clip", opset: 6, args: []arg{xr(-2, 2, 3, 4)}, attrs: []ir.Attr{ir.AFloat("min", -0.3), ir.AFloat("max", 0.4)}},
		{name: "Max", op: "Max", shapes: [][]int{{2, 3}, {3}, {2, 1}}},
		{name: "Max one", op: "Max", shapes: [][]int{{2, 3}}},
		{name: "Min", op: "Min", shapes: [][]int{{2, 3}, {3}, {2, 1}}},
		{name: "Min two", op: "Min", shapes: [][]int{{4}, {4}}},
		{name: "Mean", op: "Mean", shapes: [][]int{{2, 3}, {3}, {2, 1}}},
		{name: "Where", op: "Where", args: []arg{fixed(bools([]int{2, 3}, true, false, true, false, false, true)), x(2, 3), x(3)}},
		{name: "Where broadcast condition", op: "Where", args: []arg{fixed(bools([]int{3}, true, false, true)), x(2, 1), x(1, 3)}},
		{name: "Where runtime condition", op: "Where", args: []arg{runtime(bools([]int{2, 1}, false, true)), x(2, 3), x(2, 3)}},
		{name: "Cast", op: "Cast", shapes: [][]int{{2, 3}}, attrs: []ir.Attr{ir.AInt("to", int64(tensor.Float32))}, h: 1e-2, tol: 1e-4},
		{name: "Cast same", op: "Cast", shapes: [][]int{{2, 3}}, attrs: []ir.Attr{ir.AInt("to", int64(tensor.Float64))}},
		{name: "CastLike", op: "CastLike", args: []arg{x(2, 3), fixed(tensor.Scalar(float32(0)))}, h: 1e-2, tol: 1e-4},
	}
	// Shape ops.
	cs = append(cs, []gradCase{
		{name: "Expand", op: "Expand", args: []arg{x(3, 1), fixed(ints(2, 3, 4))}},
		{name: "Expand same rank", op: "Expand", args: []arg{x(1, 4), fixed(ints(3, 1))}},
		{name: "Squeeze", op: "Squeeze", args: []arg{x(2, 1, 3, 1), fixed(ints(1, -1))}},
		{name: "Squeeze all", op: "Squeeze", args: []arg{x(2, 1, 3, 1)}},
		{name: "Squeeze opset 11", op: "Squeeze", opset: 11, args: []arg{x(2, 1, 3)}, attrs: []ir.Attr{ir.AInts("axes", 1)}},
		{name: "Unsqueeze", op: "Unsqueeze", args: []arg{x(2, 3), fixed(ints(0, 3))}},
		{name: "Unsqueeze opset 11", op: "Unsqueeze", opset: 11, args: []arg{x(2, 3)}, attrs: []ir.Attr{ir.AInts("axes", -1)}},
		{name: "Flatten", op: "Flatten", args: []arg{x(2, 3, 2)}},
		{name: "Flatten axis 0", op: "Flatten", args: []arg{x(2, 3, 2)}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
		{name: "Flatten axis -1", op: "Flatten", args: []arg{x(2, 3, 2)}, attrs: []ir.Attr{ir.AInt("axis", -1)}},
		{name: "Concat", op: "Concat", args: []arg{x(2, 3), x(2, 1), x(2, 2)}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "Concat axis 0 with const", op: "Concat", args: []arg{x(1, 3), fixed(f64([]int{2, 3}, 1, 2, 3, 4, 5, 6)), x(2, 3)}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
		{name: "Concat dynamic", op: "Concat", args: []arg{x(2, 3), x(2, 1), x(2, 2)}, attrs: []ir.Attr{ir.AInt("axis", -1)}, dynamic: true},
		{name: "Concat opset 11", op: "Concat", opset: 11, args: []arg{x(2, 3, 2), x(2, 1, 2)}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "Split", op: "Split", args: []arg{x(2, 6), fixed(ints(1, 2, 3))}, attrs: []ir.Attr{ir.AInt("axis", 1)}, outputs: 3},
		{name: "Split some outputs", op: "Split", args: []arg{x(5, 2), fixed(ints(2, 1, 2))}, outputs: 3, loss: []int{0, 2}},
		{name: "Split equal", op: "Split", args: []arg{x(2, 4)}, attrs: []ir.Attr{ir.AInt("axis", -1)}, outputs: 2},
		{name: "Split opset 18", op: "Split", opset: 18, args: []arg{x(3, 5)}, attrs: []ir.Attr{ir.AInt("axis", 1), ir.AInt("num_outputs", 2)}, outputs: 2},
		{name: "Split opset 11", op: "Split", opset: 11, args: []arg{x(4, 3)}, attrs: []ir.Attr{ir.AInts("split", 1, 3)}, outputs: 2},
		{name: "Slice", op: "Slice", args: []arg{x(4, 5), fixed(ints(1, 0)), fixed(ints(3, 4))}},
		{name: "Slice steps", op: "Slice", args: []arg{x(5, 6), fixed(ints(-1, 1)), fixed(ints(-100, 6)), fixed(ints(0, 1)), fixed(ints(-2, 2))}},
		{name: "Slice axes", op: "Slice", args: []arg{x(3, 4, 5), fixed(ints(1)), fixed(ints(100)), fixed(ints(-1))}},
		{name: "Slice runtime", op: "Slice", args: []arg{x(4, 5), runtime(ints(2)), runtime(ints(4)), runtime(ints(1))}},
		{name: "Slice opset 9", op: "Slice", opset: 9, args: []arg{x(4, 5)}, attrs: []ir.Attr{ir.AInts("starts", 1), ir.AInts("ends", 3), ir.AInts("axes", 1)}},
		{name: "Slice opset 9 no axes", op: "Slice", opset: 9, args: []arg{x(4, 5)}, attrs: []ir.Attr{ir.AInts("starts", -3, 0), ir.AInts("ends", 100, -1)}},
		{name: "Pad", op: "Pad", args: []arg{x(2, 3), fixed(ints(1, 0, 0, 2))}},
		{name: "Pad value", op: "Pad", args: []arg{x(2, 3), fixed(ints(0, 1, 1, 0)), x()}},
		{name: "Pad crop", op: "Pad", args: []arg{x(3, 4), fixed(ints(-1, 1, 0, -2)), x()}},
		{name: "Pad reflect", op: "Pad", args: []arg{x(3, 4), fixed(ints(2, 1, 1, 3))}, attrs: []ir.Attr{ir.AString("mode", "reflect")}},
		{name: "Pad edge", op: "Pad", args: []arg{x(3, 4), fixed(ints(2, 1, 1, 3))}, attrs: []ir.Attr{ir.AString("mode", "edge")}},
		{name: "Pad wrap", op: "Pad", opset: 19, args: []arg{x(3, 4), fixed(ints(2, 1, 1, 3))}, attrs: []ir.Attr{ir.AString("mode", "wrap")}},
		{name: "Pad axes", op: "Pad", opset: 18, args: []arg{x(2, 3, 2), fixed(ints(1, 2)), omitted, fixed(ints(1))}},
		{name: "Pad runtime", op: "Pad", args: []arg{x(2, 3), runtime(ints(1, 1, 0, 1))}},
		{name: "Pad opset 2", op: "Pad", opset: 2, args: []arg{x(2, 3)}, attrs: []ir.Attr{ir.AInts("pads", 0, 1, 1, 0), ir.AFloat("value", 2)}},
		{name: "Pad opset 2 crop", op: "Pad", opset: 2, args: []arg{x(3, 4)}, attrs: []ir.Attr{ir.AInts("pads", -1, 2, 1, -1)}},
		{name: "Pad opset 1", op: "Pad", opset: 1, args: []arg{x(3, 4)}, attrs: []ir.Attr{ir.AInts("paddings", 1, 0, 0, -2)}},
		{name: "Gather", op: "Gather", args: []arg{x(4, 3), fixed(i64([]int{2, 2}, 0, 3, -1, 0))}},
		{name: "Gather axis 1", op: "Gather", args: []arg{x(2, 4, 2), fixed(tensor.FromSlice([]int32{1, 1, 2}))}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "Gather scalar index", op: "Gather", args: []arg{x(3, 2), fixed(tensor.Scalar(int64(1)))}},
		{name: "Gather opset 13 fallback", op: "Gather", opset: 13, args: []arg{x(4, 3), fixed(ints(1, 1, 3))}},
		{name: "GatherElements", op: "GatherElements", args: []arg{x(3, 3), fixed(i64([]int{2, 3}, 1, 2, 0, 0, 0, -1))}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "GatherElements axis 0", op: "GatherElements", args: []arg{x(3, 2), fixed(i64([]int{4, 2}, 1, 2, 0, 0, 2, 1, 1, 1))}},
		{name: "GatherND", op: "GatherND", args: []arg{x(3, 2, 2), fixed(i64([]int{3, 2}, 0, 1, 2, 0, 0, 1))}},
		{name: "GatherND batch", op: "GatherND", args: []arg{x(2, 3, 2), fixed(i64([]int{2, 1}, 2, 0))}, attrs: []ir.Attr{ir.AInt("batch_dims", 1)}},
		{name: "Tile", op: "Tile", args: []arg{x(2, 3), fixed(ints(2, 3))}},
		{name: "Tile 3-D", op: "Tile", args: []arg{x(1, 2, 2), fixed(ints(3, 1, 2))}},
		{name: "Compress", op: "Compress", args: []arg{x(3, 2), fixed(bools([]int{3}, true, false, true))}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
		{name: "Compress flat", op: "Compress", args: []arg{x(2, 2), fixed(bools([]int{3}, false, true, true))}},
		{name: "ReverseSequence", op: "ReverseSequence", args: []arg{x(4, 2, 3), fixed(ints(2, 4))}, attrs: []ir.Attr{ir.AInt("batch_axis", 1), ir.AInt("time_axis", 0)}},
		{name: "DepthToSpace", op: "DepthToSpace", args: []arg{x(1, 8, 2, 3)}, attrs: []ir.Attr{ir.AInt("blocksize", 2)}},
		{name: "DepthToSpace CRD", op: "DepthToSpace", args: []arg{x(2, 4, 2, 1)}, attrs: []ir.Attr{ir.AInt("blocksize", 2), ir.AString("mode", "CRD")}},
		{name: "SpaceToDepth", op: "SpaceToDepth", args: []arg{x(1, 2, 4, 6)}, attrs: []ir.Attr{ir.AInt("blocksize", 2)}},
		{name: "Trilu", op: "Trilu", args: []arg{x(3, 4)}},
		{name: "Trilu lower k", op: "Trilu", args: []arg{x(2, 3, 4), fixed(tensor.Scalar(int64(-1)))}, attrs: []ir.Attr{ir.AInt("upper", 0)}},
		{name: "CenterCropPad", op: "CenterCropPad", opset: 18, args: []arg{x(3, 5), fixed(ints(5, 2))}},
		{name: "ScatterElements", op: "ScatterElements", args: []arg{x(3, 3), fixed(i64([]int{2, 2}, 1, 0, 2, 1)), x(2, 2)}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "ScatterElements add", op: "ScatterElements", args: []arg{x(3, 3), fixed(i64([]int{2, 2}, 1, 1, 2, 2)), x(2, 2)}, attrs: []ir.Attr{ir.AString("reduction", "add")}},
		{name: "ScatterND", op: "ScatterND", args: []arg{x(3, 2), fixed(i64([]int{2, 1}, 2, 0)), x(2, 2)}},
		{name: "ScatterND add", op: "ScatterND", args: []arg{x(3, 2), fixed(i64([]int{3, 2}, 2, 0, 2, 0, 1, 1)), x(3)}, attrs: []ir.Attr{ir.AString("reduction", "add")}},
	}...)
	for i := 0; i < 3; i++ {
		s := rshape(2 + shapeRand.IntN(2))
		rep := make([]int64, len(s))
		for j := range rep {
			rep[j] = int64(1 + shapeRand.IntN(3))
		}
		cs = append(cs, gradCase{name: fmt.Sprintf("Tile random %v %v", s, rep), op: "Tile", args: []arg{x(s...), fixed(ints(rep...))}})
		ax := shapeRand.IntN(len(s))
		idx := make([]int64, 1+shapeRand.IntN(4))
		for j := range idx {
			idx[j] = int64(shapeRand.IntN(s[ax]))
		}
		cs = append(cs, gradCase{name: fmt.Sprintf("Gather random %v axis %d %v", s, ax, idx), op: "Gather", args: []arg{x(s...), fixed(ints(idx...))}, attrs: []ir.Attr{ir.AInt("axis", int64(ax))}})
	}

	// Reductions: every op with several axes settings, axes as attributes
	// (opset 17; ReduceSum 12) and as inputs (opset 18; ReduceSum 13).
	for _, op := range []string{"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp"} {
		attrOpset, inputOpset := 17, 18
		if op == "ReduceSum" {
			attrOpset, inputOpset = 12, 13
		}
		lo, hi := -2.0, 2.0
		if op == "ReduceLogSum" {
			lo, hi = 0.5, 2
		}
		in := xr(lo, hi, 2, 3, 4)
		type setting struct {
			name  string
			axes  []int64 // nil: not given
			keep  int64
			extra []ir.Attr
		}
		for _, st := range []setting{
			{"axis 1", []int64{1}, 1, nil},
			{"axes 0 -1 flat", []int64{0, -1}, 0, nil},
			{"all", nil, 1, nil},
			{"all flat", nil, 0, nil},
			{"axes 2 0", []int64{2, 0}, 1, nil},
		} {
			attrs := []ir.Attr{ir.AInt("keepdims", st.keep)}
			ac := gradCase{name: fmt.Sprintf("%s %s opset %d", op, st.name, attrOpset), op: op, opset: attrOpset, args: []arg{in}}
			if st.axes != nil {
				ac.attrs = append(attrs, ir.AInts("axes", st.axes...))
			} else {
				ac.attrs = attrs
			}
			ic := gradCase{name: fmt.Sprintf("%s %s opset %d", op, st.name, inputOpset), op: op, opset: inputOpset, args: []arg{in}, attrs: attrs}
			if st.axes != nil {
				ic.args = []arg{in, fixed(ints(st.axes...))}
			}
			cs = append(cs, ac, ic)
		}
		cs = append(cs,
			gradCase{name: op + " runtime axes flat", op: op, opset: inputOpset, args: []arg{in, runtime(ints(-1, 1))}, attrs: []ir.Attr{ir.AInt("keepdims", 0)}},
			gradCase{name: op + " runtime axes", op: op, opset: inputOpset, args: []arg{in, runtime(ints(0))}},
			gradCase{name: op + " dynamic", op: op, opset: inputOpset, args: []arg{in, fixed(ints(1))}, attrs: []ir.Attr{ir.AInt("keepdims", 0)}, dynamic: true},
		)
		// With noop_with_empty_axes and no axes the op is elementwise
		// (ReduceSumSquare squares, ReduceL1 takes |x|); only the ops for
		// which that is the identity are checked, as the CPU backend
		// returns the input unchanged for all of them.
		switch op {
		case "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceLogSumExp":
			cs = append(cs, gradCase{name: op + " noop", op: op, opset: inputOpset, args: []arg{in, fixed(ints())}, attrs: []ir.Attr{ir.AInt("keepdims", 0), ir.AInt("noop_with_empty_axes", 1)}})
		}
	}
	cs = append(cs, []gradCase{
		{name: "Softmax", op: "Softmax", shapes: [][]int{{2, 3, 4}}},
		{name: "Softmax axis 1", op: "Softmax", shapes: [][]int{{2, 3, 4}}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "Softmax axis 0", op: "Softmax", shapes: [][]int{{3, 2}}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
		{name: "Softmax opset 11", op: "Softmax", opset: 11, shapes: [][]int{{2, 3, 4}}},
		{name: "Softmax opset 11 axis 2", op: "Softmax", opset: 11, shapes: [][]int{{2, 3, 4}}, attrs: []ir.Attr{ir.AInt("axis", 2)}},
		{name: "LogSoftmax", op: "LogSoftmax", shapes: [][]int{{2, 3, 4}}},
		{name: "LogSoftmax axis 0", op: "LogSoftmax", shapes: [][]int{{3, 2}}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
		{name: "LogSoftmax opset 11", op: "LogSoftmax", opset: 11, shapes: [][]int{{2, 3, 4}}},
		{name: "Hardmax", op: "Hardmax", shapes: [][]int{{2, 3}}},
		{name: "Gemm", op: "Gemm", shapes: [][]int{{2, 3}, {3, 4}, {2, 4}}},
		{name: "Gemm no C", op: "Gemm", shapes: [][]int{{2, 3}, {3, 4}}},
		{name: "Gemm transA", op: "Gemm", shapes: [][]int{{3, 2}, {3, 4}, {4}}, attrs: []ir.Attr{ir.AInt("transA", 1), ir.AFloat("alpha", 0.5)}},
		{name: "Gemm transB", op: "Gemm", shapes: [][]int{{2, 3}, {4, 3}, {2, 1}}, attrs: []ir.Attr{ir.AInt("transB", 1), ir.AFloat("beta", -2)}},
		{name: "Gemm both", op: "Gemm", shapes: [][]int{{3, 2}, {4, 3}, {}}, attrs: []ir.Attr{ir.AInt("transA", 1), ir.AInt("transB", 1), ir.AFloat("alpha", 1.5), ir.AFloat("beta", 0.25)}},
		{name: "Gemm const B", op: "Gemm", args: []arg{x(2, 2), fixed(f64([]int{2, 2}, 1, 2, 3, 4)), x(1, 2)}},
		{name: "Gemm opset 9", op: "Gemm", opset: 9, shapes: [][]int{{2, 3}, {3, 4}, {2, 4}}, attrs: []ir.Attr{ir.AInt("transB", 0), ir.AFloat("alpha", 2)}},
		{name: "Einsum matmul", op: "Einsum", shapes: [][]int{{2, 3}, {3, 4}}, attrs: []ir.Attr{ir.AString("equation", "ij,jk->ik")}},
		{name: "Einsum batched", op: "Einsum", shapes: [][]int{{2, 2, 3}, {2, 3, 4}}, attrs: []ir.Attr{ir.AString("equation", "bij,bjk->bik")}},
		{name: "Einsum implicit", op: "Einsum", shapes: [][]int{{2, 3}, {3, 4}}, attrs: []ir.Attr{ir.AString("equation", "ij,jk")}},
		{name: "Einsum sum", op: "Einsum", shapes: [][]int{{2, 3}}, attrs: []ir.Attr{ir.AString("equation", "ij->")}},
		{name: "Einsum outer", op: "Einsum", shapes: [][]int{{2}, {3}}, attrs: []ir.Attr{ir.AString("equation", "i,j->ij")}},
		{name: "Einsum transpose", op: "Einsum", shapes: [][]int{{2, 3, 4}}, attrs: []ir.Attr{ir.AString("equation", "ijk->ki")}},
		{name: "Einsum summed alone", op: "Einsum", shapes: [][]int{{2, 3}, {3, 4}}, attrs: []ir.Attr{ir.AString("equation", "ij, jk -> i")}},
		{name: "Einsum three", op: "Einsum", shapes: [][]int{{2, 3}, {3}, {3, 2}}, attrs: []ir.Attr{ir.AString("equation", "ij,j,jk->ik")}},
		{name: "CumSum", op: "CumSum", args: []arg{x(3, 4), fixed(tensor.Scalar(int64(1)))}},
		{name: "CumSum reverse exclusive", op: "CumSum", args: []arg{x(3, 4), fixed(tensor.Scalar(int32(0)))}, attrs: []ir.Attr{ir.AInt("reverse", 1), ir.AInt("exclusive", 1)}},
		{name: "CumSum exclusive runtime axis", op: "CumSum", args: []arg{x(3, 4), runtime(tensor.Scalar(int64(-1)))}, attrs: []ir.Attr{ir.AInt("exclusive", 1)}},
		{name: "TopK", op: "TopK", args: []arg{x(3, 5), fixed(ints(2))}, outputs: 2, loss: []int{0}},
		{name: "TopK smallest axis 0", op: "TopK", args: []arg{x(4, 3), fixed(ints(3))}, attrs: []ir.Attr{ir.AInt("axis", 0), ir.AInt("largest", 0)}, outputs: 2, loss: []int{0}},
		{name: "LpNormalization", op: "LpNormalization", shapes: [][]int{{3, 4}}},
		{name: "LpNormalization p1 axis 0", op: "LpNormalization", shapes: [][]int{{3, 4}}, attrs: []ir.Attr{ir.AInt("p", 1), ir.AInt("axis", 0)}},
	}...)

	// Convolutions and pooling.
	ai := func(name string, v ...int64) ir.Attr { return ir.AInts(name, v...) }
	cs = append(cs, []gradCase{
		{name: "Conv", op: "Conv", shapes: [][]int{{2, 3, 5, 5}, {4, 3, 3, 3}, {4}}},
		{name: "Conv strides pads", op: "Conv", shapes: [][]int{{1, 2, 6, 7}, {3, 2, 3, 2}}, attrs: []ir.Attr{ai("strides", 2, 2), ai("pads", 1, 0, 1, 2)}},
		{name: "Conv dilations", op: "Conv", shapes: [][]int{{2, 2, 7, 6}, {2, 2, 2, 3}, {2}}, attrs: []ir.Attr{ai("dilations", 2, 1), ai("pads", 1, 1, 0, 1)}},
		{name: "Conv everything", op: "Conv", shapes: [][]int{{1, 2, 9, 8}, {2, 2, 3, 2}}, attrs: []ir.Attr{ai("dilations", 2, 2), ai("strides", 2, 3), ai("pads", 2, 1, 1, 0)}},
		{name: "Conv group", op: "Conv", shapes: [][]int{{2, 4, 5, 6}, {6, 2, 3, 2}, {6}}, attrs: []ir.Attr{ir.AInt("group", 2), ai("strides", 1, 2)}},
		{name: "Conv depthwise", op: "Conv", shapes: [][]int{{1, 3, 5, 5}, {3, 1, 3, 3}}, attrs: []ir.Attr{ir.AInt("group", 3), ai("pads", 1, 1, 1, 1), ai("strides", 2, 2)}},
		{name: "Conv same upper", op: "Conv", shapes: [][]int{{1, 2, 5, 6}, {2, 2, 3, 3}}, attrs: []ir.Attr{ir.AString("auto_pad", "SAME_UPPER"), ai("strides", 2, 2)}},
		{name: "Conv same lower", op: "Conv", shapes: [][]int{{1, 2, 5, 6}, {2, 2, 2, 3}}, attrs: []ir.Attr{ir.AString("auto_pad", "SAME_LOWER")}},
		{name: "Conv valid", op: "Conv", shapes: [][]int{{1, 2, 5, 6}, {2, 2, 2, 3}}, attrs: []ir.Attr{ir.AString("auto_pad", "VALID"), ai("pads", 1, 1, 1, 1)}},
		{name: "Conv 1-D", op: "Conv", shapes: [][]int{{2, 2, 7}, {3, 2, 3}, {3}}, attrs: []ir.Attr{ai("strides", 2), ai("pads", 1, 0)}},
		{name: "Conv 3-D", op: "Conv", shapes: [][]int{{1, 2, 4, 3, 4}, {2, 1, 2, 2, 2}}, attrs: []ir.Attr{ir.AInt("group", 2), ai("strides", 2, 1, 1)}},
		{name: "Conv dynamic", op: "Conv", shapes: [][]int{{2, 2, 6, 5}, {3, 2, 3, 2}, {3}}, attrs: []ir.Attr{ai("strides", 2, 1), ai("pads", 0, 1, 1, 0)}, dynamic: true, keepStatic: []int{1}},
		{name: "Conv dynamic group", op: "Conv", shapes: [][]int{{2, 4, 6, 5}, {4, 2, 3, 2}}, attrs: []ir.Attr{ir.AInt("group", 2), ai("strides", 2, 2)}, dynamic: true, keepStatic: []int{1}},
		{name: "ConvTranspose", op: "ConvTranspose", shapes: [][]int{{2, 3, 3, 4}, {3, 2, 3, 3}, {2}}},
		{name: "ConvTranspose strides", op: "ConvTranspose", shapes: [][]int{{1, 2, 3, 3}, {2, 3, 3, 2}}, attrs: []ir.Attr{ai("strides", 2, 3), ai("pads", 1, 0, 0, 1), ai("output_padding", 1, 2)}},
		{name: "ConvTranspose dilations group", op: "ConvTranspose", shapes: [][]int{{1, 4, 3, 4}, {4, 1, 2, 3}, {2}}, attrs: []ir.Attr{ir.AInt("group", 2), ai("dilations", 2, 1), ai("strides", 1, 2)}},
		{name: "ConvTranspose same upper", op: "ConvTranspose", shapes: [][]int{{1, 2, 3, 3}, {2, 2, 3, 3}}, attrs: []ir.Attr{ir.AString("auto_pad", "SAME_UPPER"), ai("strides", 2, 2)}},
		{name: "ConvTranspose valid", op: "ConvTranspose", shapes: [][]int{{1, 2, 3, 2}, {2, 1, 2, 3}}, attrs: []ir.Attr{ir.AString("auto_pad", "VALID"), ai("pads", 1, 1, 1, 1), ai("strides", 2, 1)}},
		{name: "ConvTranspose output shape", op: "ConvTranspose", shapes: [][]int{{1, 2, 3, 3}, {2, 2, 3, 3}}, attrs: []ir.Attr{ai("output_shape", 6, 7), ai("strides", 2, 2)}},
		{name: "ConvTranspose dynamic", op: "ConvTranspose", shapes: [][]int{{2, 2, 3, 4}, {2, 3, 2, 2}}, attrs: []ir.Attr{ai("strides", 2, 2), ai("pads", 1, 0, 0, 1)}, dynamic: true, keepStatic: []int{1}},
		{name: "MaxPool", op: "MaxPool", shapes: [][]int{{2, 3, 4, 4}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("strides", 2, 2)}},
		{name: "MaxPool overlapping pads", op: "MaxPool", shapes: [][]int{{1, 2, 5, 6}}, attrs: []ir.Attr{ai("kernel_shape", 3, 3), ai("strides", 2, 1), ai("pads", 1, 1, 1, 0)}},
		{name: "MaxPool ceil dilations", op: "MaxPool", shapes: [][]int{{1, 2, 6, 7}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("strides", 2, 2), ai("dilations", 2, 1), ir.AInt("ceil_mode", 1)}},
		{name: "MaxPool with indices", op: "MaxPool", shapes: [][]int{{2, 2, 5, 5}}, attrs: []ir.Attr{ai("kernel_shape", 3, 2), ai("strides", 1, 2)}, outputs: 2, loss: []int{0}},
		{name: "MaxPool same upper", op: "MaxPool", shapes: [][]int{{1, 2, 5, 5}}, attrs: []ir.Attr{ai("kernel_shape", 2, 3), ai("strides", 2, 2), ir.AString("auto_pad", "SAME_UPPER")}},
		{name: "MaxPool 1-D", op: "MaxPool", shapes: [][]int{{2, 3, 7}}, attrs: []ir.Attr{ai("kernel_shape", 3), ai("strides", 2)}},
		{name: "AveragePool", op: "AveragePool", shapes: [][]int{{2, 3, 4, 4}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("strides", 2, 2)}},
		{name: "AveragePool pads", op: "AveragePool", shapes: [][]int{{1, 2, 5, 6}}, attrs: []ir.Attr{ai("kernel_shape", 3, 3), ai("strides", 2, 1), ai("pads", 1, 1, 1, 0)}},
		{name: "AveragePool pads counted", op: "AveragePool", shapes: [][]int{{1, 2, 5, 6}}, attrs: []ir.Attr{ai("kernel_shape", 3, 3), ai("strides", 2, 1), ai("pads", 1, 1, 1, 0), ir.AInt("count_include_pad", 1)}},
		{name: "AveragePool ceil", op: "AveragePool", shapes: [][]int{{1, 2, 6, 7}}, attrs: []ir.Attr{ai("kernel_shape", 2, 3), ai("strides", 2, 2), ir.AInt("ceil_mode", 1), ai("pads", 0, 1, 0, 1)}},
		{name: "AveragePool ceil counted", op: "AveragePool", shapes: [][]int{{1, 2, 6, 7}}, attrs: []ir.Attr{ai("kernel_shape", 2, 3), ai("strides", 2, 2), ir.AInt("ceil_mode", 1), ai("pads", 0, 1, 0, 1), ir.AInt("count_include_pad", 1)}},
		{name: "AveragePool dilations", op: "AveragePool", opset: 19, shapes: [][]int{{1, 2, 7, 6}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("dilations", 2, 2), ai("pads", 1, 0, 0, 1)}},
		{name: "AveragePool same lower", op: "AveragePool", shapes: [][]int{{1, 1, 5, 5}}, attrs: []ir.Attr{ai("kernel_shape", 2, 3), ai("strides", 2, 2), ir.AString("auto_pad", "SAME_LOWER")}},
		{name: "AveragePool 1-D", op: "AveragePool", shapes: [][]int{{2, 3, 7}}, attrs: []ir.Attr{ai("kernel_shape", 3), ai("strides", 2), ai("pads", 1, 1)}},
		{name: "AveragePool dynamic", op: "AveragePool", shapes: [][]int{{2, 2, 6, 5}}, attrs: []ir.Attr{ai("kernel_shape", 3, 2), ai("strides", 2, 2), ai("pads", 1, 1, 0, 0)}, dynamic: true},
		{name: "GlobalAveragePool", op: "GlobalAveragePool", shapes: [][]int{{2, 3, 4, 5}}},
		{name: "GlobalMaxPool", op: "GlobalMaxPool", shapes: [][]int{{2, 3, 4, 5}}},
		{name: "GlobalLpPool", op: "GlobalLpPool", shapes: [][]int{{2, 3, 2, 3}}},
		{name: "GlobalLpPool p3", op: "GlobalLpPool", shapes: [][]int{{2, 3, 2, 3}}, attrs: []ir.Attr{ir.AInt("p", 3)}},
	}...)

	// Normalizations, Dropout and losses.
	pos := func(shape ...int) arg { return xr(0.5, 2, shape...) }
	tr := []ir.Attr{ir.AInt("training_mode", 1), ir.AFloat("momentum", 0.8)}
	labels := fixed(ints(2, 0, 3))
	cs = append(cs, []gradCase{
		{name: "BatchNormalization", op: "BatchNormalization", args: []arg{x(2, 3, 2, 2), x(3), x(3), x(3), pos(3)}},
		{name: "BatchNormalization 2-D", op: "BatchNormalization", args: []arg{x(4, 3), x(3), x(3), x(3), pos(3)}, attrs: []ir.Attr{ir.AFloat("epsilon", 0.1)}},
		{name: "BatchNormalization opset 9", op: "BatchNormalization", opset: 9, args: []arg{x(2, 3, 2), x(3), x(3), x(3), pos(3)}},
		{name: "BatchNormalization training", op: "BatchNormalization", args: []arg{x(2, 3, 2, 2), x(3), x(3), x(3), pos(3)}, attrs: tr, outputs: 3},
		{name: "BatchNormalization training Y", op: "BatchNormalization", args: []arg{x(3, 2, 3), x(2), x(2), fixed(f64([]int{2}, 0, 0)), fixed(f64([]int{2}, 1, 1))}, attrs: tr},
		{name: "BatchNormalization training opset 9", op: "BatchNormalization", opset: 9, args: []arg{x(3, 2, 2), x(2), x(2), x(2), pos(2)}, attrs: []ir.Attr{ir.AFloat("momentum", 0.7)}, outputs: 5, loss: []int{0, 1, 2}},
		{name: "LayerNormalization", op: "LayerNormalization", args: []arg{x(2, 3, 4), x(4), x(4)}},
		{name: "LayerNormalization axis 1", op: "LayerNormalization", args: []arg{x(2, 3, 4), x(3, 4), x(1, 4)}, attrs: []ir.Attr{ir.AInt("axis", 1), ir.AFloat("epsilon", 0.01)}},
		{name: "LayerNormalization statistics", op: "LayerNormalization", args: []arg{x(3, 4), x(4)}, attrs: []ir.Attr{ir.AInt("stash_type", int64(tensor.Float64))}, outputs: 3},
		{name: "LayerNormalization statistics axis 0", op: "LayerNormalization", args: []arg{x(2, 3), x(2, 3), x(3)}, attrs: []ir.Attr{ir.AInt("axis", 0), ir.AInt("stash_type", int64(tensor.Float64))}, outputs: 3},
		{name: "InstanceNormalization", op: "InstanceNormalization", args: []arg{x(2, 3, 2, 3), x(3), x(3)}},
		{name: "GroupNormalization opset 18", op: "GroupNormalization", opset: 18, args: []arg{x(2, 4, 3), x(2), x(2)}, attrs: []ir.Attr{ir.AInt("num_groups", 2)}},
		{name: "GroupNormalization", op: "GroupNormalization", opset: 21, args: []arg{x(2, 6, 2, 2), x(6), x(6)}, attrs: []ir.Attr{ir.AInt("num_groups", 3), ir.AFloat("epsilon", 0.01)}},
		{name: "RMSNormalization", op: "RMSNormalization", opset: 23, args: []arg{x(2, 3, 4), x(4)}},
		{name: "RMSNormalization axis 1", op: "RMSNormalization", opset: 23, args: []arg{x(2, 3, 4), x(3, 1)}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "MeanVarianceNormalization", op: "MeanVarianceNormalization", args: []arg{x(2, 3, 2, 2)}},
		{name: "MeanVarianceNormalization axes", op: "MeanVarianceNormalization", args: []arg{x(2, 3, 4)}, attrs: []ir.Attr{ir.AInts("axes", 1)}},
		{name: "LRN", op: "LRN", args: []arg{x(2, 5, 2, 2)}, attrs: []ir.Attr{ir.AInt("size", 3)}},
		{name: "LRN even", op: "LRN", args: []arg{x(1, 6, 3)}, attrs: []ir.Attr{ir.AInt("size", 4), ir.AFloat("alpha", 0.5), ir.AFloat("beta", 0.6), ir.AFloat("bias", 2)}},
		{name: "Dropout", op: "Dropout", args: []arg{x(3, 4)}},
		{name: "Dropout inference", op: "Dropout", args: []arg{x(3, 4), fixed(sc(0.3)), fixed(tensor.Scalar(false))}, outputs: 2, loss: []int{0}},
		{name: "Dropout training", op: "Dropout", args: []arg{x(4, 5), fixed(sc(0.3)), fixed(tensor.Scalar(true))}, attrs: []ir.Attr{ir.AInt("seed", 3)}, outputs: 2, loss: []int{0}},
		{name: "Dropout runtime mode", op: "Dropout", args: []arg{x(4, 5), fixed(sc(0.4)), runtime(tensor.Scalar(true))}, attrs: []ir.Attr{ir.AInt("seed", 5)}, outputs: 2, loss: []int{0}},
		{name: "Dropout opset 10", op: "Dropout", opset: 10, args: []arg{x(3, 4)}},
		{name: "SoftmaxCrossEntropyLoss", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels}},
		{name: "SoftmaxCrossEntropyLoss sum", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), fixed(tensor.FromSlice([]int32{2, 0, 3}))}, attrs: []ir.Attr{ir.AString("reduction", "sum")}},
		{name: "SoftmaxCrossEntropyLoss none", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels}, attrs: []ir.Attr{ir.AString("reduction", "none")}},
		{name: "SoftmaxCrossEntropyLoss weights", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels, pos(4)}},
		{name: "SoftmaxCrossEntropyLoss weights sum", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels, pos(4)}, attrs: []ir.Attr{ir.AString("reduction", "sum")}},
		{name: "SoftmaxCrossEntropyLoss weights none", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels, pos(4)}, attrs: []ir.Attr{ir.AString("reduction", "none")}},
		{name: "SoftmaxCrossEntropyLoss ignore", op: "SoftmaxCrossEntropyLoss", args: []arg{x(4, 3), fixed(ints(2, 0, 1, 0))}, attrs: []ir.Attr{ir.AInt("ignore_index", 0)}},
		{name: "SoftmaxCrossEntropyLoss ignore negative weights", op: "SoftmaxCrossEntropyLoss", args: []arg{x(4, 3), fixed(ints(2, -1, 1, 0)), pos(3)}, attrs: []ir.Attr{ir.AInt("ignore_index", -1)}},
		{name: "SoftmaxCrossEntropyLoss log_prob", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels}, outputs: 2},
		{name: "SoftmaxCrossEntropyLoss log_prob only", op: "SoftmaxCrossEntropyLoss", args: []arg{x(3, 4), labels}, outputs: 2, loss: []int{1}},
		{name: "SoftmaxCrossEntropyLoss 3-D", op: "SoftmaxCrossEntropyLoss", args: []arg{x(2, 3, 2), fixed(i64([]int{2, 2}, 0, 2, 1, 1)), pos(3)}, attrs: []ir.Attr{ir.AInt("ignore_index", 1)}, outputs: 2},
		{name: "SoftmaxCrossEntropyLoss 3-D none", op: "SoftmaxCrossEntropyLoss", args: []arg{x(2, 3, 2), fixed(i64([]int{2, 2}, 0, 2, 1, 1))}, attrs: []ir.Attr{ir.AString("reduction", "none")}},
		{name: "NegativeLogLikelihoodLoss", op: "NegativeLogLikelihoodLoss", args: []arg{x(3, 4), labels}},
		{name: "NegativeLogLikelihoodLoss sum", op: "NegativeLogLikelihoodLoss", args: []arg{x(3, 4), labels}, attrs: []ir.Attr{ir.AString("reduction", "sum")}},
		{name: "NegativeLogLikelihoodLoss none", op: "NegativeLogLikelihoodLoss", args: []arg{x(3, 4), labels}, attrs: []ir.Attr{ir.AString("reduction", "none")}},
		{name: "NegativeLogLikelihoodLoss weights", op: "NegativeLogLikelihoodLoss", args: []arg{x(3, 4), labels, pos(4)}},
		{name: "NegativeLogLikelihoodLoss weights none ignore", op: "NegativeLogLikelihoodLoss", args: []arg{x(4, 3), fixed(ints(2, 0, 1, 0)), pos(3)}, attrs: []ir.Attr{ir.AString("reduction", "none"), ir.AInt("ignore_index", 0)}},
		{name: "NegativeLogLikelihoodLoss 3-D ignore", op: "NegativeLogLikelihoodLoss", args: []arg{x(2, 3, 2), fixed(i64([]int{2, 2}, 0, 2, 1, 1)), pos(3)}, attrs: []ir.Attr{ir.AInt("ignore_index", 2)}},
	}...)

	cs = append(cs, []gradCase{
		{name: "Mod", op: "Mod", args: []arg{xr(-5, 5, 2, 3), xr(0.7, 2, 3)}, attrs: []ir.Attr{ir.AInt("fmod", 1)}},
		{name: "Mod negative divisor", op: "Mod", args: []arg{xr(-5, 5, 6), xr(-2, -0.7, 6)}, attrs: []ir.Attr{ir.AInt("fmod", 1)}},
		{name: "SwiGLU", op: "SwiGLU", opset: 28, args: []arg{xr(-3, 3, 2, 3), x(2, 3)}, attrs: []ir.Attr{ir.AFloat("alpha", 1.3)}},
		{name: "MaxUnpool", op: "MaxUnpool", args: []arg{x(1, 2, 2, 2), fixed(i64([]int{1, 2, 2, 2}, 0, 3, 9, 14, 17, 18, 28, 31))}, attrs: []ir.Attr{ir.AInts("kernel_shape", 2, 2), ir.AInts("strides", 2, 2)}},
		{name: "Resize", op: "Resize", args: []arg{x(1, 2, 2, 3), omitted, fixed(tensor.FromSlice([]float32{1, 1, 2, 1.5}))}},
		{name: "Resize sizes", op: "Resize", args: []arg{x(1, 1, 3, 4), omitted, omitted, fixed(ints(1, 1, 5, 3))}, attrs: []ir.Attr{ir.AString("nearest_mode", "floor")}},
		{name: "Range", op: "Range", args: []arg{x(), fixed(sc(7.5)), xr(0.5, 1, []int{}...)}},
		{name: "OneHot", op: "OneHot", args: []arg{fixed(ints(1, 0, 2, 1)), fixed(tensor.Scalar(int64(3))), x(2)}},
		{name: "OneHot axis 0", op: "OneHot", args: []arg{fixed(i64([]int{2, 2}, 1, 0, 2, -1)), fixed(tensor.Scalar(int64(3))), x(2)}, attrs: []ir.Attr{ir.AInt("axis", 0)}},
	}...)

	// The emitted reductions, splits and scatters at other opsets.
	cs = append(cs, []gradCase{
		{name: "Concat opset 18", op: "Concat", opset: 18, args: []arg{x(2, 3), x(2, 1)}, attrs: []ir.Attr{ir.AInt("axis", 1)}},
		{name: "Pad edge opset 13", op: "Pad", opset: 13, args: []arg{x(3, 4), fixed(ints(2, 1, 1, 3))}, attrs: []ir.Attr{ir.AString("mode", "edge")}},
		{name: "Tile opset 13", op: "Tile", opset: 13, args: []arg{x(2, 3), fixed(ints(2, 1))}},
		{name: "BatchNormalization training opset 18", op: "BatchNormalization", opset: 18, args: []arg{x(2, 3, 2), x(3), x(3), x(3), pos(3)}, attrs: tr, outputs: 3},
		{name: "LayerNormalization opset 18", op: "LayerNormalization", opset: 18, args: []arg{x(2, 3, 4), x(4), x(4)}},
		{name: "InstanceNormalization opset 18", op: "InstanceNormalization", opset: 18, args: []arg{x(2, 3, 4), x(3), x(3)}},
		{name: "LpNormalization opset 18", op: "LpNormalization", opset: 18, shapes: [][]int{{3, 4}}},
		{name: "SoftmaxCrossEntropyLoss opset 18", op: "SoftmaxCrossEntropyLoss", opset: 18, args: []arg{x(3, 4), labels, pos(4)}},
		{name: "SoftmaxCrossEntropyLoss opset 12", op: "SoftmaxCrossEntropyLoss", opset: 12, args: []arg{x(2, 3, 2), fixed(i64([]int{2, 2}, 0, 2, 1, 1)), pos(3)}, attrs: []ir.Attr{ir.AInt("ignore_index", 1)}},
		{name: "GlobalMaxPool opset 18", op: "GlobalMaxPool", opset: 18, shapes: [][]int{{2, 3, 4}}},
		{name: "ReduceMax opset 12", op: "ReduceMax", opset: 12, args: []arg{x(2, 3, 4)}, attrs: []ir.Attr{ir.AInts("axes", 1), ir.AInt("keepdims", 0)}},
	}...)

	cs = append(cs, []gradCase{
		// Rows with no zero, one zero and two zeros.
		{name: "ReduceProd zeros", op: "ReduceProd", args: []arg{{values: f64([]int{3, 3}, 0.5, -2, 1.5, 0.7, 0, 3, 0, 2, 0)}, fixed(ints(1))}, opset: 18},
		{name: "ReduceProd zeros all", op: "ReduceProd", args: []arg{{values: f64([]int{2, 2}, 0.5, -2, 0, 3)}}, attrs: []ir.Attr{ir.AInt("keepdims", 0)}},
		{name: "LpPool", op: "LpPool", shapes: [][]int{{2, 2, 4, 4}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("strides", 2, 2)}},
		{name: "LpPool p3 pads", op: "LpPool", shapes: [][]int{{1, 2, 5, 4}}, attrs: []ir.Attr{ai("kernel_shape", 3, 2), ai("pads", 1, 0, 1, 1), ir.AInt("p", 3)}},
		{name: "LpPool p1 ceil", op: "LpPool", opset: 18, shapes: [][]int{{1, 2, 5, 6}}, attrs: []ir.Attr{ai("kernel_shape", 2, 2), ai("strides", 2, 2), ir.AInt("p", 1), ir.AInt("ceil_mode", 1)}},
	}...)

	u8 := func(shape []int, v ...uint8) *tensor.Tensor { return tensor.FromSlice(v, shape...) }
	i8 := func(shape []int, v ...int8) *tensor.Tensor { return tensor.FromSlice(v, shape...) }
	cs = append(cs, []gradCase{
		{name: "DequantizeLinear", op: "DequantizeLinear", args: []arg{fixed(u8([]int{2, 3}, 0, 7, 200, 13, 255, 128)), x(), fixed(tensor.Scalar(uint8(128)))}},
		{name: "DequantizeLinear opset 10", op: "DequantizeLinear", opset: 10, args: []arg{fixed(u8([]int{2, 3}, 0, 7, 200, 13, 255, 128)), x()}},
		{name: "DequantizeLinear per axis", op: "DequantizeLinear", args: []arg{fixed(i8([]int{2, 3}, -3, 7, 100, 13, -128, 2)), x(3), fixed(i8([]int{3}, 1, -2, 0))}, attrs: []ir.Attr{ir.AInt("axis", -1)}},
		{name: "DequantizeLinear blocked", op: "DequantizeLinear", opset: 21, args: []arg{fixed(i8([]int{2, 4}, -3, 7, 100, 13, -128, 2, 5, 9)), x(2, 2)}, attrs: []ir.Attr{ir.AInt("axis", 1), ir.AInt("block_size", 2)}},
	}...)

	// Random shapes for the broadcasting ops.
	for i := 0; i < 3; i++ {
		s := rshape(1 + shapeRand.IntN(3))
		for _, op := range []string{"Add", "Sub", "Mul", "Max", "Min", "Pow"} {
			a, c := arg{shape: s}, arg{shape: rbroadcast(s)}
			if shapeRand.IntN(2) == 0 {
				a, c = c, a
			}
			if op == "Pow" {
				a.lo, a.hi = 0.5, 2
			}
			cs = append(cs, gradCase{name: fmt.Sprintf("%s random %d %v %v", op, i, a.shape, c.shape), op: op, args: []arg{a, c}})
		}
	}
	return cs
}

// TestGradientsOfInitializers checks cases whose differentiated inputs are
// initializers (constants of the graph), as the weights of a model are:
// their gradients must be computed like those of graph inputs. The finite
// differences recompile the forward graph with each perturbed constant.
func TestGradientsOfInitializers(t *testing.T) {
	names := []string{"Conv group", "Gemm transB", "BatchNormalization training", "LayerNormalization",
		"SoftmaxCrossEntropyLoss weights", "Clip bounds", "Pow", "PRelu", "MatMul", "Add broadcast", "Gather"}
	byName := map[string]gradCase{}
	for _, tc := range gradCases {
		byName[tc.name] = tc
	}
	for _, name := range names {
		tc, ok := byName[name]
		if !ok {
			t.Fatalf("no case %q", name)
		}
		t.Run(name, func(t *testing.T) { checkInitializers(t, tc) })
	}
}

func checkInitializers(t *testing.T, tc gradCase) {
	r := rand.New(rand.NewPCG(2, seedOf(tc.name)))
	vals := map[int]*tensor.Tensor{}
	for i, a := range tc.inputs() {
		switch {
		case a.values != nil:
			vals[i] = a.values.Clone()
		case a.differentiated():
			vals[i] = randTensor(r, a.shape, a.lo, a.hi)
		}
	}
	// mk builds op(inputs) with the differentiated inputs as constants.
	mk := func() (*ir.Func, *ir.Node, []*ir.Value) {
		f := ir.NewFunc("f")
		var ins, xs []*ir.Value
		for i, a := range tc.inputs() {
			switch {
			case a.omit:
				ins = append(ins, nil)
			case a.fixed != nil:
				ins = append(ins, f.AddConst(inputName(i), a.fixed))
			default:
				x := f.AddConst(inputName(i), vals[i])
				ins = append(ins, x)
				xs = append(xs, x)
			}
		}
		for len(ins) > 0 && ins[len(ins)-1] == nil {
			ins = ins[:len(ins)-1]
		}
		var outs []string
		for i := 0; i < max(tc.outputs, 1); i++ {
			outs = append(outs, outputName(i))
		}
		n := f.NewNode(tc.op, "", tc.opsetOr(), ins, outs, tc.attrs...)
		if err := ir.InferShapes(f); err != nil {
			t.Fatal(err)
		}
		for _, i := range tc.lossOutputs() {
			f.Results = append(f.Results, n.Outputs[i])
		}
		return f, n, xs
	}
	ctx := context.Background()
	fwd, _, _ := mk()
	pf, err := cpu.Compile(fwd, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ys, err := pf.Run(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, n, xs := mk()
	in := map[string]*tensor.Tensor{}
	var grads []*ir.Value
	for _, i := range tc.lossOutputs() {
		y := n.Outputs[i]
		in[weightName(i)] = randTensor(r, ys[outputName(i)].Shape(), 0, 0)
		gs, err := autodiff.Grad(f, nil, tc.opsetOr(), y, xs, f.AddParam(weightName(i), y.Type))
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, gs...)
	}
	f.Results = grads
	p, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		g, _, _ := mk()
		pg, err := cpu.Compile(g, backends.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := pg.Run(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, i := range tc.lossOutputs() {
			w, y := in[weightName(i)], out[outputName(i)]
			for j := 0; j < y.Len(); j++ {
				s += y.Float64At(j) * w.Float64At(j)
			}
		}
		return s
	}
	k := 0
	for i, a := range tc.inputs() {
		if !a.differentiated() {
			continue
		}
		x := vals[i].Float64s()
		g := make([]float64, len(x))
		for l := range tc.lossOutputs() {
			gt := res[grads[l*len(xs)+k].Name]
			for j := range g {
				g[j] += gt.Float64At(j)
			}
		}
		k++
		for j := range x {
			const h = 1e-6
			old := x[j]
			x[j] = old + h
			up := loss()
			x[j] = old - h
			down := loss()
			x[j] = old
			num := (up - down) / (2 * h)
			if !(math.Abs(num-g[j]) <= 1e-6*(1+math.Abs(num))) {
				t.Errorf("d/d%s[%d]: rule gives %g, finite differences %g", inputName(i), j, g[j], num)
			}
		}
	}
}

// TestGradientOpTrainsSmallNetwork runs a Gradient node over a two-layer
// network with a cross-entropy loss, its weights initializers, through the
// CPU backend (which expands the node with the rules), and compares the
// gradients with finite differences of the loss.
func TestGradientOpTrainsSmallNetwork(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	w1, b1 := randTensor(r, []int{4, 5}, 0, 0), randTensor(r, []int{5}, 0, 0)
	gamma := randTensor(r, []int{5}, 0.5, 2)
	w2 := randTensor(r, []int{3, 5}, 0, 0)
	xv := randTensor(r, []int{6, 4}, -2, 2)
	labels := ints(0, 2, 1, 1, 0, 2)
	weights := map[string]*tensor.Tensor{"W1": w1, "B1": b1, "G": gamma, "W2": w2}
	order := []string{"W1", "B1", "G", "W2"}
	build := func(withGrad bool) *ir.Func {
		f := ir.NewFunc("net")
		x := f.AddParam("x", ir.TensorType(tensor.Float64, 6, 4))
		cs := map[string]*ir.Value{}
		for _, k := range order {
			cs[k] = f.AddConst(k, weights[k])
		}
		lab := f.AddConst("labels", labels)
		h := f.NewNode("Gemm", "", defaultOpset, []*ir.Value{x, cs["W1"], cs["B1"]}, []string{"h"}).Outputs[0]
		a := f.NewNode("Tanh", "", defaultOpset, []*ir.Value{h}, []string{"a"}).Outputs[0]
		nrm := f.NewNode("LayerNormalization", "", defaultOpset, []*ir.Value{a, cs["G"]}, []string{"n"}).Outputs[0]
		logits := f.NewNode("Gemm", "", defaultOpset, []*ir.Value{nrm, cs["W2"]}, []string{"logits"}, ir.AInt("transB", 1)).Outputs[0]
		loss := f.NewNode("SoftmaxCrossEntropyLoss", "", defaultOpset, []*ir.Value{logits, lab}, []string{"loss"}).Outputs[0]
		f.Results = []*ir.Value{loss}
		if withGrad {
			var outs []string
			for _, k := range order {
				outs = append(outs, "d"+k)
			}
			g := f.NewNode("Gradient", autodiff.TrainingDomain, 1, []*ir.Value{x}, outs, ir.AStrings("xs", order...), ir.AString("y", "loss"))
			f.Results = append(f.Results, g.Outputs...)
		}
		if err := ir.InferShapes(f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	ctx := context.Background()
	in := map[string]*tensor.Tensor{"x": xv}
	p, err := cpu.Compile(build(true), backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Run(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		p, err := cpu.Compile(build(false), backends.Options{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out["loss"].Float64At(0)
	}
	for _, k := range order {
		g := res["d"+k].Float64s()
		v := weights[k].Float64s()
		for j := range v {
			const h = 1e-6
			old := v[j]
			v[j] = old + h
			up := loss()
			v[j] = old - h
			down := loss()
			v[j] = old
			num := (up - down) / (2 * h)
			if !(math.Abs(num-g[j]) <= 1e-6*(1+math.Abs(num))) {
				t.Errorf("d loss/d %s[%d]: Gradient gives %g, finite differences %g", k, j, g[j], num)
			}
		}
	}
}
