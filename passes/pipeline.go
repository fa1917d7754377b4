package passes

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/onyxgo/onyx/ir"
)

// Pipeline is the standard optimization pipeline, in order. Each entry is
// one pass; Constraints below say which orders matter and why.
var Pipeline = []Pass{
	{Name: "freeze-initializer-inputs", Level: 1, Run: freezeInitializerInputs,
		Doc: "make graph inputs that have initializers into constants"},
	{Name: "infer-shapes", Level: 1, Run: inferShapes,
		Doc: "shape and type inference with symbolic dims"},
	{Name: "fold-constants", Level: 1, Run: foldConstants,
		Doc: "evaluate nodes whose inputs are all constant with the reference kernels, within a size limit"},
	{Name: "eliminate-noops", Level: 1, Run: eliminateNoops,
		Doc: "drop Identity, inference Dropout, Reshape to the same shape, identity Transpose, Cast to the same type"},
	{Name: "eliminate-common-subexpressions", Level: 1, Run: eliminateCommonSubexpressions,
		Doc: "merge nodes that compute the same op on the same inputs with the same attributes"},
	{Name: "fold-batchnorm", Level: 1, Run: foldBatchNorm,
		Doc: "fold inference BatchNormalization into the Conv, ConvTranspose, Gemm or MatMul before it"},
	{Name: "fold-batchnorm-forward", Level: 1, Run: foldBatchNormForward,
		Doc: "move a BatchNormalization (and a per-channel Mul/Add after it) through a ReLU into the Convs after it when its scales are positive"},
	{Name: "fuse-matmul-add", Level: 2, Run: fuseMatMulAdd,
		Doc: "MatMul of a matrix and a constant matrix followed by Add of a constant bias becomes Gemm"},
	{Name: "fuse-layernorm", Level: 2, Run: fuseLayerNorm,
		Doc: "the ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add pattern over trailing axes becomes LayerNormalization (opset 17)"},
	{Name: "fuse-rmsnorm", Level: 2, Run: fuseRMSNorm,
		Doc: "x / Sqrt(ReduceMean(x^2) + eps) * gamma over trailing axes becomes RMSNormalization (opset 23)"},
	{Name: "fuse-gelu", Level: 2, Run: fuseGelu,
		Doc: "x*0.5*(1+Erf(x/sqrt(2))) and its tanh approximation become Gelu (opset 20)"},
	{Name: "fuse-rotary", Level: 2, Run: fuseRotary,
		Doc: "the rotate-half rotary embedding x*cos + Concat(-x2, x1)*sin on 4-D heads becomes RotaryEmbedding (opset 23)"},
	{Name: "fuse-attention", Level: 2, Run: fuseAttention,
		Doc: "MatMul(Softmax(scale*MatMul(Q, K^T) + masks), V) on 4-D heads, with KV-cache Concat, grouped K/V heads and the heads' Reshape/Transpose plumbing, becomes Attention (opset 23)"},
	{Name: "sink-transposes", Level: 1, Run: sinkTransposes,
		Doc: "consecutive Transposes compose and cancel; a Transpose moves past elementwise ops when that makes a pair meet"},
	{Name: "eliminate-dead-code", Level: 1, Run: eliminateDeadCode,
		Doc: "remove nodes and constants nothing reads"},
}

// Constraint says that pass Before must run before pass After, and why.
type Constraint struct {
	Before, After, Why string
}

// Constraints are the ordering rules of the pipeline, checked by
// CheckPipeline (and by a test).
var Constraints = []Constraint{
	{"freeze-initializer-inputs", "fold-constants", "weights that are also graph inputs fold only once they are constants"},
	{"infer-shapes", "fold-constants", "folding Shape and Size of static values needs inferred types"},
	{"infer-shapes", "eliminate-noops", "a Reshape or Cast is recognised as a no-op from its inferred types"},
	{"fold-constants", "eliminate-common-subexpressions", "folded constants are not merged, so fold first to expose equal nodes over them"},
	{"fold-batchnorm", "fold-batchnorm-forward", "a norm that folds into the op before it needs no sign condition, so that fold is tried first"},
	{"fold-constants", "fold-batchnorm-forward", "the sign test reads the norm's parameters as constants"},
	{"fold-batchnorm", "fuse-matmul-add", "folding a BatchNormalization into a MatMul leaves MatMul+Add for the Gemm fusion"},
	{"fold-batchnorm", "eliminate-dead-code", "folding leaves the old weights unused"},
	{"fuse-matmul-add", "eliminate-dead-code", "fusions leave the nodes they replaced unused"},
	{"fold-constants", "fuse-layernorm", "normalization and GELU patterns match constants (eps, 0.5, 1/sqrt(2)) that exporters may write as Constant nodes or small computations"},
	{"eliminate-common-subexpressions", "fuse-layernorm", "a layer norm written with x - mean computed twice matches once the two are merged"},
	{"fuse-layernorm", "fuse-rmsnorm", "a layer norm contains an RMS norm of x - mean: fusing that first would leave the mean subtraction behind"},
	{"fuse-layernorm", "eliminate-dead-code", "fusions leave the constants of the patterns they replaced unused"},
	{"fuse-rmsnorm", "eliminate-dead-code", "fusions leave the constants of the patterns they replaced unused"},
	{"fuse-gelu", "eliminate-dead-code", "fusions leave the constants of the patterns they replaced unused"},
	{"fold-constants", "fuse-gelu", "GELU constants may come as Constant nodes or constant arithmetic"},
	{"fold-constants", "fuse-attention", "the scale (torch writes Pow(head_size, 0.5)) and the causal mask (a Slice of a constant triangle) must be constants to match"},
	{"eliminate-noops", "fuse-attention", "an inference Dropout between the Softmax and the product with V hides the pattern"},
	{"fuse-attention", "eliminate-dead-code", "fusions leave the constants of the patterns they replaced unused"},
	{"fold-constants", "fuse-rotary", "the cos and sin tables are slices of constant buffers that must be folded to be read"},
	{"fuse-rotary", "eliminate-dead-code", "the fused node takes new half-width tables, leaving the full ones unused"},
	{"fuse-attention", "sink-transposes", "attention fusion reads K^T as exporters write it (the Transpose of the split heads); composing it with the head-split Transpose first would make the fusion emit a new one"},
	{"infer-shapes", "sink-transposes", "a Transpose without perm reverses its input's dims, known from the inferred rank"},
}

// MaxRounds bounds how often the pipeline is repeated while some pass
// still changes the graph (a rewrite can expose work for an earlier pass:
// batch-norm folding emits constant arithmetic for the folder).
const MaxRounds = 4

// CheckPipeline verifies that every constraint names known passes and
// holds in Pipeline's order.
func CheckPipeline() error {
	pos := map[string]int{}
	for i, p := range Pipeline {
		if _, dup := pos[p.Name]; dup {
			return fmt.Errorf("passes: %q appears twice in the pipeline", p.Name)
		}
		pos[p.Name] = i
	}
	for _, c := range Constraints {
		b, ok1 := pos[c.Before]
		a, ok2 := pos[c.After]
		if !ok1 || !ok2 {
			return fmt.Errorf("passes: constraint %s < %s names an unknown pass", c.Before, c.After)
		}
		if b >= a {
			return fmt.Errorf("passes: %s must run before %s: %s", c.Before, c.After, c.Why)
		}
	}
	return nil
}

// PassNames lists the passes of the pipeline.
func PassNames() []string {
	var ns []string
	for _, p := range Pipeline {
		ns = append(ns, p.Name)
	}
	return ns
}

// Run optimizes m's graph in place with the pipeline and returns what it
// did. A pass that fails leaves the graph as it was before that pass (the
// error is reported as a note, not returned), so a model a pass cannot
// handle is never corrupted; Run returns an error only when the options
// are invalid or a pass leaves a graph the verifier rejects while
// Options.Check is set.
func Run(m *ir.Model, o Options) (*Report, error) {
	if err := CheckPipeline(); err != nil {
		return nil, err
	}
	if o.Level == 0 {
		o.Level = 2
	}
	for _, name := range append(append([]string{}, o.Only...), o.Disable...) {
		if !slices.Contains(PassNames(), name) {
			return nil, fmt.Errorf("passes: no pass %q (passes: %s)", name, strings.Join(PassNames(), ", "))
		}
	}
	r := &Report{Before: OpCounts(m.Graph), Hits: map[string]int{}, Times: map[string]time.Duration{}}
	if o.TargetOpset > m.Opset("") {
		if err := ConvertOpset(m, o.TargetOpset); err != nil {
			return r, err
		}
	}
	c := &Context{Model: m, Options: o, report: r}
	for round := 0; round < MaxRounds; round++ {
		changed := false
		for _, p := range Pipeline {
			if !enabled(p, o) {
				continue
			}
			if round == 0 {
				r.Order = append(r.Order, p.Name)
			}
			c.pass = p.Name
			start := time.Now()
			ch, err := runGuarded(c, p, m)
			r.Times[p.Name] += time.Since(start)
			if err != nil {
				if o.Check {
					return r, err
				}
				c.Note("%v", err)
				continue
			}
			if ch {
				changed = true
				if o.Dump != nil {
					fmt.Fprintf(o.Dump, "// after %s\n%s\n", p.Name, m.Graph.Text())
				}
			}
		}
		if !changed {
			break
		}
	}
	r.After = OpCounts(m.Graph)
	return r, nil
}

func enabled(p Pass, o Options) bool {
	if len(o.Only) > 0 {
		return slices.Contains(o.Only, p.Name)
	}
	return p.Level <= o.Level && !slices.Contains(o.Disable, p.Name)
}

// runGuarded runs one pass on a copy of the graph and keeps the copy only
// when the pass succeeds (and, with Options.Check, the result verifies), so
// that a failing pass never leaves a half-rewritten graph behind.
func runGuarded(c *Context, p Pass, m *ir.Model) (changed bool, err error) {
	work := m.Graph.Clone()
	defer func() {
		if r := recover(); r != nil {
			changed, err = false, fmt.Errorf("internal error: %v", r)
		}
	}()
	changed, err = p.Run(c, work)
	if err != nil {
		return false, err
	}
	if !changed {
		return false, nil
	}
	if c.Options.Check {
		if err := ir.Check(work); err != nil {
			return false, fmt.Errorf("%s left a graph that does not verify: %w", p.Name, err)
		}
	}
	m.Graph = work
	return true, nil
}

// eachFunc calls fn on f and then on every subgraph in it.
func eachFunc(f *ir.Func, fn func(g *ir.Func) (bool, error)) (bool, error) {
	changed, err := fn(f)
	if err != nil {
		return changed, err
	}
	for _, n := range f.Nodes {
		for _, g := range n.Subgraphs() {
			ch, err := eachFunc(g, fn)
			changed = changed || ch
			if err != nil {
				return changed, err
			}
		}
	}
	return changed, nil
}

func inferShapes(c *Context, f *ir.Func) (bool, error) {
	before := map[*ir.Value]ir.Type{}
	f.Walk(func(_ *ir.Func, n *ir.Node) {
		for _, o := range n.Outputs {
			if o != nil {
				before[o] = o.Type.Clone()
			}
		}
	})
	if err := ir.InferShapes(f); err != nil {
		return false, err
	}
	changed := false
	for v, t := range before {
		if !v.Type.Equal(t) {
			changed = true
		}
	}
	return changed, nil
}
