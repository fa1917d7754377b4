package autodiff_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes/autodiff"
	"github.com/onyxgo/onyx/tensor"
)

const opset = 17

// gradCase is one rule under test: an op applied to float64 inputs of the
// given shapes.
type gradCase struct {
	name   string
	op     string
	shapes [][]int
	attrs  []ir.Attr
	// positive restricts inputs to (0.5, 2) for ops defined there.
	positive bool
	// consts are extra constant inputs after the differentiated ones.
	consts []*tensor.Tensor
}

var gradCases = []gradCase{
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
}

// build makes f(x0, x1, ...; w) = op(x...) and the gradient of
// sum(op(x) * w) with respect to every x.
func build(t *testing.T, tc gradCase) *ir.Func {
	f := ir.NewFunc("f")
	var xs []*ir.Value
	for i, s := range tc.shapes {
		dims := make([]int64, len(s))
		for j, d := range s {
			dims[j] = int64(d)
		}
		xs = append(xs, f.AddParam(string(rune('a'+i)), ir.TensorType(tensor.Float64, dims...)))
	}
	ins := append([]*ir.Value{}, xs...)
	for i, c := range tc.consts {
		ins = append(ins, f.AddConst(string(rune('p'+i)), c))
	}
	n := f.NewNode(tc.op, "", opset, ins, []string{"y"}, tc.attrs...)
	if err := ir.InferShapes(f); err != nil {
		t.Fatal(err)
	}
	y := n.Outputs[0]
	w := f.AddParam("w", y.Type)
	gs, err := autodiff.Grad(f, nil, opset, y, xs, w)
	if err != nil {
		t.Fatal(err)
	}
	f.Results = append([]*ir.Value{y}, gs...)
	if err := ir.Check(f); err != nil {
		t.Fatalf("backward graph does not verify: %v", err)
	}
	return f
}

func randTensor(r *rand.Rand, shape []int, positive bool) *tensor.Tensor {
	t := tensor.New(tensor.Float64, shape...)
	for i := range t.Float64s() {
		if positive {
			t.Float64s()[i] = 0.5 + 1.5*r.Float64()
		} else {
			t.Float64s()[i] = 2*r.Float64() - 1
		}
	}
	return t
}

// TestRulesAgainstFiniteDifferences checks every rule's gradient against
// central differences of the loss sum(y*w) in float64.
func TestRulesAgainstFiniteDifferences(t *testing.T) {
	for _, tc := range gradCases {
		t.Run(tc.name, func(t *testing.T) {
			f := build(t, tc)
			p, err := cpu.Compile(f, backends.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			in := map[string]*tensor.Tensor{}
			for i, s := range tc.shapes {
				in[string(rune('a'+i))] = randTensor(r, s, tc.positive)
			}
			run := func() map[string]*tensor.Tensor {
				out, err := p.Run(context.Background(), in)
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			yShape, ok := f.Results[0].Type.StaticShape()
			if !ok {
				t.Fatalf("output type %s is not static", f.Results[0].Type)
			}
			in["w"] = randTensor(r, yShape, false)
			res := run()
			loss := func() float64 {
				out := run()
				s := 0.0
				for i, v := range out["y"].Float64s() {
					s += v * in["w"].Float64s()[i]
				}
				return s
			}
			for i := range tc.shapes {
				x := in[string(rune('a'+i))].Float64s()
				g := res[f.Results[1+i].Name].Float64s()
				if len(g) != len(x) {
					t.Fatalf("gradient %d has %d elements, input has %d", i, len(g), len(x))
				}
				for j := range x {
					const h = 1e-6
					old := x[j]
					x[j] = old + h
					up := loss()
					x[j] = old - h
					down := loss()
					x[j] = old
					num := (up - down) / (2 * h)
					if math.Abs(num-g[j]) > 1e-6*(1+math.Abs(num)) {
						t.Errorf("d/d%c[%d]: rule gives %g, finite differences %g", 'a'+i, j, g[j], num)
					}
				}
			}
		})
	}
}

// TestEveryRuleIsTested keeps the table above in step with the rules.
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
