package conformance

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestShapeInference checks shape inference against the values the CPU
// backend computes, on every case of the suite. For each model it:
//
//   - runs a copy of the model whose results are all top-level node
//     outputs on the first data set (or the generated input of a light
//     model);
//   - forgets every type the model declares for node outputs (graph
//     outputs and value_info included), so that only inference speaks,
//     and runs inference (ir.InferModelShapes: ir.InferShapes, with the
//     initializer defaults of IR 3 models taken as constants), which
//     must not fail;
//   - compares every inferred type with the value computed: kind,
//     element type, rank and each known dim must agree, and a symbolic dim
//     must stand for one size throughout the model (the size the inputs
//     bind it to);
//   - requires, for models whose inputs all have static shapes, that every
//     node output (in subgraphs too) gets a known element type;
//   - does the same again with every input dim made symbolic, and once
//     more from the types the model declares.
//
// It logs how many values were checked, how many have a fully static
// inferred shape, and which ops leave dims unknown. Light models (whole
// CNNs) are skipped with -short.
//
// For looking into a case, with -v: ONYX_SHAPES_DUMP=<part of a case
// name> prints the inferred graphs of matching cases; ONYX_SHAPES_GAPS=Op
// and ONYX_SHAPES_SYMGAPS=Op list the outputs of Op left not fully static
// (not fully named in the symbolic run); ONYX_SHAPES_INNER=1 lists the
// subgraph outputs whose shape is not static.
func TestShapeInference(t *testing.T) {
	root := testData(t)
	all, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	wanted := map[string]bool{"node": true, "simple": true, "pytorch-converted": true, "pytorch-operator": true, "light": true}
	var cases []Case
	for _, c := range all {
		if !wanted[c.Category] || (c.Category == "light" && testing.Short()) {
			continue
		}
		cases = append(cases, c)
	}
	// Long cases first, so that they overlap the many short ones.
	sort.SliceStable(cases, func(i, j int) bool { return shapeCaseWeight(cases[i]) > shapeCaseWeight(cases[j]) })

	start := time.Now()
	results := make([]shapeResult, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = checkCaseShapes(cases[i])
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()

	var tot shapeResult
	notRun := []string{}
	failedCases := 0
	byOp := map[string][]string{}
	unknownByOp := map[string][]string{}
	for i, r := range results {
		tot.values += r.values
		tot.static += r.static
		tot.outputs += r.outputs
		tot.inner += r.inner
		tot.innerStatic += r.innerStatic
		tot.symValues += r.symValues
		tot.symShaped += r.symShaped
		for op, k := range r.gaps {
			countGapN(&tot.gaps, op, k)
		}
		for op, k := range r.symGaps {
			countGapN(&tot.symGaps, op, k)
		}
		if r.runErr != "" {
			notRun = append(notRun, cases[i].Name+": "+r.runErr)
		}
		if len(r.problems) > 0 {
			failedCases++
		}
		for _, p := range r.problems {
			byOp[p.op] = append(byOp[p.op], cases[i].Name+": "+p.msg)
		}
		for _, p := range r.unknown {
			unknownByOp[p.op] = append(unknownByOp[p.op], cases[i].Name+": "+p.msg)
		}
	}
	t.Logf("%d cases in %s: %d node outputs (subgraphs included), %d values checked against the CPU backend",
		len(cases), time.Since(start).Round(time.Millisecond), tot.outputs, tot.values)
	t.Logf("static-shape coverage: %d of %d top-level node outputs (%.1f%%) have a fully static inferred shape; %d of %d subgraph node outputs",
		tot.static, tot.values, pct(tot.static, tot.values), tot.innerStatic, tot.inner)
	t.Logf("with every input dim symbolic: %d of %d top-level node outputs (%.1f%%) have a shape of known and named dims",
		tot.symShaped, tot.symValues, pct(tot.symShaped, tot.symValues))
	t.Logf("ops whose outputs in models with static inputs are not fully static: %s", topCounts(tot.gaps, 100))
	t.Logf("ops whose outputs in models with static inputs have an unnamed dim when the inputs are made symbolic: %s", topCounts(tot.symGaps, 25))
	if len(notRun) > 0 {
		t.Logf("%d cases do not run on the CPU backend; only their inference is checked:\n  %s", len(notRun), strings.Join(notRun, "\n  "))
	}
	report := func(kind string, m map[string][]string) {
		ops := make([]string, 0, len(m))
		for op := range m {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			msgs := m[op]
			show := msgs
			if len(show) > 5 {
				show = show[:5]
			}
			t.Errorf("%s: %s: %d values, e.g.\n  %s", op, kind, len(msgs), strings.Join(show, "\n  "))
		}
	}
	report("wrong inferred type", byOp)
	report("element type not inferred though all model inputs are static", unknownByOp)
	if failedCases > 0 {
		t.Logf("%d cases have wrong inferred types", failedCases)
	}
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func shapeCaseWeight(c Case) int {
	switch c.Category {
	case "light":
		return 3
	case "pytorch-converted", "pytorch-operator":
		return 2
	}
	return 1
}

// shapeProblem is one finding, filed under the op of the node concerned.
type shapeProblem struct{ op, msg string }

type shapeResult struct {
	// values counts the top-level node outputs compared with a computed
	// value; static those of them with a fully static inferred shape.
	values, static int
	// outputs counts every node output, subgraphs included; inner and
	// innerStatic the subgraph ones, and those with a static shape.
	outputs, inner, innerStatic int
	// symValues counts the values compared in the symbolic run, and
	// symShaped those of them whose every dim is known or named there.
	symValues, symShaped int
	// gaps counts, per op, the top-level outputs of models with static
	// inputs whose inferred shape is not fully static, and symGaps those
	// whose shape has an unnamed dim in the symbolic run.
	gaps, symGaps map[string]int
	problems      []shapeProblem
	unknown       []shapeProblem
	// runErr says why the model could not be run (its inference is still
	// checked).
	runErr string
}

func (r *shapeResult) fail(op, format string, args ...any) {
	r.problems = append(r.problems, shapeProblem{op, fmt.Sprintf(format, args...)})
}

// checkCaseShapes checks the inference of one case; it never panics.
//
// Inference runs three times: from the declared input types alone; from
// input types whose every dim is symbolic (the dims declared with a size
// get a name of their own), which checks that symbolic dims propagate
// soundly: each name must stand for one size wherever inference puts it;
// and from all the types the model declares.
func checkCaseShapes(c Case) (r shapeResult) {
	defer func() {
		if p := recover(); p != nil {
			r.fail("(panic)", "panic: %v\n%s", p, debug.Stack())
		}
	}()
	m, err := importer.Load(c.Model, importer.Options{AllowUnknownOps: false})
	if err != nil {
		r.fail("(load)", "%v", err)
		return r
	}
	computed, runErr := runAllOutputs(c, m.Graph)
	if runErr != nil {
		r.runErr = firstLine(runErr.Error())
	}
	for _, mode := range []inferMode{fromInputs, symbolicInputs, withDeclared} {
		g := m.Graph.Clone()
		if mode != withDeclared {
			// Forget the declared types of every node output, so that
			// only inference decides them.
			g.Walk(func(_ *ir.Func, n *ir.Node) {
				for _, o := range n.Outputs {
					if o != nil {
						o.Type = ir.Type{}
					}
				}
			})
		}
		staticInputs := true
		for _, p := range g.Params {
			if p.Const != nil {
				continue
			}
			if _, ok := p.Type.StaticShape(); !ok || p.Type.Kind != ir.KindTensor {
				staticInputs = false
			}
			if mode == symbolicInputs && p.Type.Kind == ir.KindTensor && p.Type.HasShape {
				for i, d := range p.Type.Shape {
					if d.IsKnown() {
						p.Type.Shape[i] = ir.Sym(fmt.Sprintf("%s_%d", p.Name, i))
					}
				}
			}
		}
		if !checkInference(c, &ir.Model{Graph: g, IRVersion: m.IRVersion}, computed, mode, staticInputs, &r) {
			return r
		}
	}
	return r
}

// inferMode says what inference starts from.
type inferMode int

const (
	// fromInputs: the declared types of the inputs only.
	fromInputs inferMode = iota
	// symbolicInputs: the inputs, every declared size made a symbol.
	symbolicInputs
	// withDeclared: the model's types as declared (value_info and graph
	// outputs included), which inference refines.
	withDeclared
)

func (m inferMode) String() string {
	switch m {
	case symbolicInputs:
		return " (symbolic inputs)"
	case withDeclared:
		return " (declared types kept)"
	}
	return ""
}

// checkInference runs inference on g and compares the types with the
// computed values; it returns false when inference failed.
func checkInference(c Case, m *ir.Model, computed *computedValues, mode inferMode, staticInputs bool, r *shapeResult) bool {
	g := m.Graph
	err := ir.InferModelShapes(m)
	if dump := os.Getenv("ONYX_SHAPES_DUMP"); dump != "" && strings.Contains(c.Name, dump) {
		var b strings.Builder
		_ = ir.Print(&b, g)
		fmt.Fprintf(os.Stderr, "== %s%s (inference error: %v)\n%s\n", c.Name, mode, err, b.String())
	}
	if err != nil {
		r.fail(opOfError(g, err), "InferShapes%s: %v", mode, err)
		return false
	}
	// Symbolic dims of the inputs are bound by the values fed.
	binding := map[string]int64{}
	if computed != nil {
		for _, p := range g.Params {
			if v, ok := computed.inputs[p.Name].(*tensor.Tensor); ok && p.Type.HasShape && len(p.Type.Shape) == v.Rank() {
				for i, d := range p.Type.Shape {
					if !d.IsKnown() && d.Param != "" {
						if _, seen := binding[d.Param]; !seen {
							binding[d.Param] = int64(v.Shape()[i])
						}
					}
				}
			}
		}
	}
	top := map[*ir.Node]bool{}
	for _, n := range g.Nodes {
		top[n] = true
	}
	if mode == fromInputs {
		g.Walk(func(_ *ir.Func, n *ir.Node) {
			for k, o := range n.Outputs {
				if o == nil {
					continue
				}
				r.outputs++
				if !top[n] {
					r.inner++
					if _, ok := o.Type.StaticShape(); ok && o.Type.Kind == ir.KindTensor {
						r.innerStatic++
					} else if os.Getenv("ONYX_SHAPES_INNER") != "" {
						fmt.Fprintf(os.Stderr, "inner: %s: node %s output %d: %s\n", c.Name, n, k, o.Type)
					}
				}
				if staticInputs && !elemKnown(o.Type) {
					r.unknown = append(r.unknown, shapeProblem{n.OpName(), fmt.Sprintf("node %s output %d (%s) is %s", n, k, o.Name, o.Type)})
				}
			}
		})
	}
	if computed == nil {
		return true
	}
	for _, n := range g.Nodes {
		for k, o := range n.Outputs {
			if o == nil {
				continue
			}
			v, ok := computed.outputs[o.Name]
			if !ok || v == nil {
				continue
			}
			_, isTensor := v.(*tensor.Tensor)
			switch mode {
			case symbolicInputs:
				r.symValues++
				if shapeNamed(o.Type) {
					r.symShaped++
				} else if isTensor && staticInputs {
					countGap(&r.symGaps, n.OpName())
					if os.Getenv("ONYX_SHAPES_SYMGAPS") == n.OpName() {
						fmt.Fprintf(os.Stderr, "symgap: %s: node %s output %d: %s, computed %s\n", c.Name, n, k, o.Type, describeValue(v))
					}
				}
			case fromInputs:
				r.values++
				if _, ok := o.Type.StaticShape(); ok && o.Type.Kind == ir.KindTensor && o.Type.Elem != tensor.Undefined {
					r.static++
				} else if isTensor && staticInputs {
					countGap(&r.gaps, n.OpName())
					if os.Getenv("ONYX_SHAPES_GAPS") == n.OpName() {
						fmt.Fprintf(os.Stderr, "gap: %s: node %s output %d: %s, computed %s\n", c.Name, n, k, o.Type, describeValue(v))
					}
				}
			}
			if msg := typeMismatch(o.Type, v, binding); msg != "" {
				r.fail(n.OpName(), "node %s (opset %d) output %d (%s)%s: inferred %s, computed %s", n, n.Opset, k, o.Name, mode, o.Type, msg)
			}
		}
	}
	return true
}

func countGap(m *map[string]int, op string) { countGapN(m, op, 1) }

func countGapN(m *map[string]int, op string, k int) {
	if *m == nil {
		*m = map[string]int{}
	}
	(*m)[op] += k
}

// topCounts formats the n largest counts of m.
func topCounts(m map[string]int, n int) string {
	ops := make([]string, 0, len(m))
	for op := range m {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		if m[ops[i]] != m[ops[j]] {
			return m[ops[i]] > m[ops[j]]
		}
		return ops[i] < ops[j]
	})
	if len(ops) > n {
		ops = ops[:n]
	}
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s %d", op, m[op])
	}
	return strings.Join(parts, ", ")
}

func describeValue(v tensor.Value) string {
	if t, ok := v.(*tensor.Tensor); ok {
		return fmt.Sprintf("%s%v", t.DType().Short(), t.Shape())
	}
	return fmt.Sprintf("%T", v)
}

// shapeNamed reports whether t is a tensor type of known rank whose every
// dim is known or symbolic.
func shapeNamed(t ir.Type) bool {
	if t.Kind != ir.KindTensor || !t.HasShape {
		return false
	}
	for _, d := range t.Shape {
		if !d.IsKnown() && d.Param == "" {
			return false
		}
	}
	return true
}

// opOfError names the op of the node an InferShapes error is about.
func opOfError(g *ir.Func, err error) string {
	msg := err.Error()
	op := "(infer)"
	best := -1
	g.Walk(func(_ *ir.Func, n *ir.Node) {
		pre := "node " + n.String() + ":"
		if strings.HasPrefix(msg, pre) && len(pre) > best {
			op, best = n.OpName(), len(pre)
		}
	})
	return op
}

// elemKnown reports whether t has a known element type (for sequences
// and optionals, the innermost one).
func elemKnown(t ir.Type) bool {
	switch t.Kind {
	case ir.KindTensor, ir.KindSparseTensor:
		return t.Elem != tensor.Undefined
	case ir.KindSequence, ir.KindOptional:
		return t.Inner != nil && elemKnown(*t.Inner)
	case ir.KindMap:
		return t.Inner != nil
	}
	return false
}

// computedValues holds the inputs fed to a model and the value of each
// top-level node output, by name.
type computedValues struct {
	inputs, outputs map[string]tensor.Value
}

// runAllOutputs runs a copy of g whose results are all its top-level node
// outputs, on the case's first data set (or its generated input).
func runAllOutputs(c Case, g *ir.Func) (*computedValues, error) {
	run := g.Clone()
	seen := map[*ir.Value]bool{}
	var results []*ir.Value
	for _, r := range run.Results {
		if !seen[r] {
			seen[r] = true
			results = append(results, r)
		}
	}
	for _, n := range run.Nodes {
		for _, o := range n.Outputs {
			if o != nil && !seen[o] {
				seen[o] = true
				results = append(results, o)
			}
		}
	}
	run.Results = results
	prog, err := cpu.Compile(run, backends.Options{ModelName: c.Name, Threads: 1})
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	var in map[string]tensor.Value
	if c.Generated() {
		in, err = generatedInputs(g)
	} else {
		in, _, err = readDataSet(g, c.DataSets[0])
	}
	if err != nil {
		return nil, err
	}
	timeout := DefaultTimeout
	if c.Category == "light" {
		timeout = lightTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := prog.RunValues(ctx, in)
	if err != nil {
		return nil, err
	}
	return &computedValues{inputs: in, outputs: out}, nil
}

// typeMismatch compares an inferred type with a computed value and says
// how they disagree ("" when they agree). binding maps symbolic dims to
// the size they stand for; a symbol seen first here is bound.
func typeMismatch(t ir.Type, v tensor.Value, binding map[string]int64) string {
	switch x := v.(type) {
	case *tensor.Tensor:
		if t.Kind != ir.KindTensor && t.Kind != ir.KindUnknown {
			return fmt.Sprintf("a tensor %s%v", x.DType().Short(), x.Shape())
		}
		return tensorMismatch(t, x, binding)
	case *tensor.Sequence:
		if t.Kind == ir.KindUnknown {
			return ""
		}
		if t.Kind != ir.KindSequence {
			return fmt.Sprintf("a sequence of %d %s tensors", len(x.Tensors), x.Elem.Short())
		}
		if t.Inner == nil {
			return ""
		}
		if t.Inner.Kind == ir.KindTensor && t.Inner.Elem != tensor.Undefined && x.Elem != tensor.Undefined && t.Inner.Elem != x.Elem {
			return fmt.Sprintf("a sequence of %s", x.Elem.Short())
		}
		// A symbolic dim of a sequence's element type may stand for a
		// different size in each element.
		for i, e := range x.Tensors {
			if msg := typeMismatch(*t.Inner, e, nil); msg != "" {
				return fmt.Sprintf("sequence element %d: %s", i, msg)
			}
		}
	case *tensor.Optional:
		if t.Kind == ir.KindUnknown {
			return ""
		}
		if t.Kind != ir.KindOptional {
			return "an optional"
		}
		if x.Value != nil && t.Inner != nil {
			if msg := typeMismatch(*t.Inner, x.Value, binding); msg != "" {
				return "optional holding " + msg
			}
		}
	case *tensor.Map:
		if t.Kind != ir.KindMap && t.Kind != ir.KindUnknown {
			return "a map"
		}
	}
	return ""
}

func tensorMismatch(t ir.Type, x *tensor.Tensor, binding map[string]int64) string {
	got := fmt.Sprintf("%s%v", x.DType().Short(), x.Shape())
	if t.Kind == ir.KindUnknown {
		return ""
	}
	if t.Elem != tensor.Undefined && t.Elem != x.DType() {
		return got + " (element type)"
	}
	if !t.HasShape {
		return ""
	}
	if len(t.Shape) != x.Rank() {
		return got + " (rank)"
	}
	for i, d := range t.Shape {
		n := int64(x.Shape()[i])
		switch {
		case d.IsKnown():
			if d.Size != n {
				return fmt.Sprintf("%s (dim %d)", got, i)
			}
		case d.Param != "":
			if binding == nil {
				break
			}
			if b, ok := binding[d.Param]; ok && b != n {
				return fmt.Sprintf("%s (dim %d: symbol %s stands for %d elsewhere)", got, i, d.Param, b)
			}
			binding[d.Param] = n
		}
	}
	return ""
}

// TestSymbolicShapes checks, on hand-written graphs, that symbolic dims
// propagate and that shapes computed at run time from other shapes
// (Shape, Gather, Slice, Unsqueeze, Concat, integer arithmetic) are
// followed into Reshape, Expand, ConstantOfShape and Range.
func TestSymbolicShapes(t *testing.T) {
	src := `
func main(%x: f32[N, 3], %w: f32[3, 4], %img: f32[B, 3, H, W], %seq: f32[B, T, 8], %k33: f32[5, 3, 3, 3]) -> (%r) opset(""=18) {
  %a = Relu(%x)
  %m = MatMul(%a, %w)
  %r = Reshape(%m, %c022)
  const %c022: i64[3] = [0, 2, 2]

  // Reshape to (N, -1) with the target built from Shape.
  %s = Shape(%m)
  %n = Gather(%s, %zero) {axis = 0}
  const %zero: i64[] = [0]
  %n1 = Unsqueeze(%n, %axes0)
  const %axes0: i64[1] = [0]
  %tgt = Concat(%n1, %minus1) {axis = 0}
  const %minus1: i64[1] = [-1]
  %flat = Reshape(%r, %tgt)

  // Heads: (B, T, 8) -> (B, T, 2, 4) -> (B, 2, T, 4), with B and T from Shape.
  %bt = Shape(%seq) {start = 0, end = 2}
  %heads = Concat(%bt, %two4) {axis = 0}
  const %two4: i64[2] = [2, 4]
  %sp = Reshape(%seq, %heads)
  %tr = Transpose(%sp) {perm = [0, 2, 1, 3]}
  %b2 = Slice(%bt, %zero1, %one1)
  const %zero1: i64[1] = [0]
  const %one1: i64[1] = [1]
  %b2x = Mul(%b2, %two1)
  const %two1: i64[1] = [2]
  %b2t4 = Concat(%b2x, %minus1, %four1) {axis = 0}
  const %four1: i64[1] = [4]
  %merged = Reshape(%tr, %b2t4)

  // Expand, ConstantOfShape and Range from computed shapes.
  %hw = Shape(%img) {start = 2}
  %ones = ConstantOfShape(%hw) {value = f32[1] [1]}
  %bchw = Shape(%img)
  %big = Expand(%x1, %bchw)
  const %x1: f32[1, 1, 1, 1] = [0]
  %tsc = Gather(%bt, %one) {axis = 0}
  const %one: i64[] = [1]
  %pos = Range(%zero, %tsc, %one)
  %pool = GlobalAveragePool(%img)
  %conv = Conv(%img, %k33) {pads = [1, 1, 1, 1]}
  %stride2 = Conv(%img, %k33) {pads = [1, 1, 1, 1], strides = [2, 2]}
}
`
	f, err := ir.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.InferShapes(f); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"a": "f32[N,3]", "m": "f32[N,4]", "r": "f32[N,2,2]",
		"s": "i64[2]", "n": "i64[]", "n1": "i64[1]", "tgt": "i64[2]", "flat": "f32[N,4]",
		"sp": "f32[B,T,2,4]", "tr": "f32[B,2,T,4]", "b2x": "i64[1]", "b2t4": "i64[3]", "merged": "f32[?,?,4]",
		"ones": "f32[H,W]", "big": "f32[B,3,H,W]", "pos": "i64[T]",
		"pool": "f32[B,3,1,1]", "conv": "f32[B,5,H,W]", "stride2": "f32[B,5,?,?]",
	}
	for _, n := range f.Nodes {
		for _, o := range n.Outputs {
			if w, ok := want[o.Name]; ok {
				if got := o.Type.String(); got != w {
					t.Errorf("%%%s = %s: inferred %s, want %s", o.Name, n.Op, got, w)
				}
				delete(want, o.Name)
			}
		}
	}
	for name := range want {
		t.Errorf("no value %%%s", name)
	}
}
