package conformance

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes"
	"github.com/onyxgo/onyx/tensor"
)

// DefaultTimeout bounds one case when Options.Timeout is zero.
const DefaultTimeout = 60 * time.Second

// Options tune RunCase.
type Options struct {
	// Backend names the backend to run on; "" means "cpu".
	Backend string
	// Timeout bounds one case; 0 means DefaultTimeout.
	Timeout time.Duration
	// RTol and ATol, when set, replace every case's own tolerances.
	RTol, ATol *float64
	// Threads is passed to the backend (0: its default).
	Threads int
	// Skip maps case names to the reason they are not run.
	Skip map[string]string
	// Optimize runs the optimizer (package passes) on each model, writes
	// the result as ONNX and reads it back before running it, so that a
	// case passes only if the optimized file is still correct.
	Optimize bool
	// OptimizeLevel is the optimizer level with Optimize (0: its default).
	OptimizeLevel int
	// TargetOpset, with Optimize, converts each model to this
	// default-domain opset first (models already newer are left as they
	// are).
	TargetOpset int
}

func (o Options) backend() string {
	if o.Backend == "" {
		return "cpu"
	}
	return o.Backend
}

func (o Options) timeout() time.Duration {
	if o.Timeout <= 0 {
		return DefaultTimeout
	}
	return o.Timeout
}

// Status is the outcome of a case.
type Status string

// The outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one case.
type Result struct {
	Name     string `json:"name"`
	Category string `json:"category"`
	Status   Status `json:"status"`
	// Reason is one line saying why a case failed or was skipped.
	Reason string `json:"reason,omitempty"`
	// Detail holds more lines about a failure (a stack for a panic).
	Detail string `json:"detail,omitempty"`
	// Ops are the ops of the case's model, subgraphs included, sorted;
	// ops outside the default domain are written "domain:Op".
	Ops      []string      `json:"ops,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// RunCase runs one case on o's backend and compares its outputs with the
// expected ones. It never panics: a panic in the case becomes a failure,
// and a case that runs past the timeout is abandoned and fails.
func RunCase(ctx context.Context, c Case, o Options) Result {
	start := time.Now()
	res := Result{Name: c.Name, Category: c.Category}
	if reason, ok := o.Skip[c.Name]; ok {
		res.Status, res.Reason = Skip, reason
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout())
	defer cancel()
	done := make(chan Result, 1)
	// The ops are known once the model has loaded; a case abandoned on
	// timeout still reports them.
	var opsMu sync.Mutex
	var knownOps []string
	setOps := func(ops []string) {
		opsMu.Lock()
		knownOps = ops
		opsMu.Unlock()
	}
	go func() {
		r := Result{Name: c.Name, Category: c.Category}
		defer func() {
			if p := recover(); p != nil {
				opsMu.Lock()
				r.Ops = knownOps
				opsMu.Unlock()
				r.Status = Fail
				r.Reason = firstLine(fmt.Sprintf("panic: %v", p))
				r.Detail = fmt.Sprintf("panic: %v\n%s", p, debug.Stack())
			}
			done <- r
		}()
		r.Ops, r.Status, r.Reason, r.Detail = runCase(ctx, c, o, setOps)
	}()
	select {
	case res = <-done:
	case <-ctx.Done():
		opsMu.Lock()
		res.Ops = knownOps
		opsMu.Unlock()
		res.Status = Fail
		if ctx.Err() == context.DeadlineExceeded {
			res.Reason = fmt.Sprintf("timeout after %s", o.timeout())
		} else {
			res.Reason = ctx.Err().Error()
		}
	}
	res.Duration = time.Since(start)
	return res
}

// optimizeAndReload optimizes m, encodes the result as ONNX and decodes it
// again.
func optimizeAndReload(m *ir.Model, level, target int) (*ir.Model, error) {
	if _, err := passes.Run(m, passes.Options{Level: level, TargetOpset: target}); err != nil {
		return nil, err
	}
	data, err := exporter.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	out, err := importer.Decode(data, importer.Options{BaseDir: filepath.Dir(m.Path), AllowUnknownOps: true})
	if err != nil {
		return nil, fmt.Errorf("reload: %w", err)
	}
	out.Path = m.Path
	return out, nil
}

// runCase does the work of RunCase: load, compile, feed, run, compare.
func runCase(ctx context.Context, c Case, o Options, setOps func([]string)) (ops []string, st Status, reason, detail string) {
	fail := func(err error) ([]string, Status, string, string) {
		msg := err.Error()
		return ops, Fail, firstLine(msg), strings.TrimSpace(strings.TrimPrefix(msg, firstLine(msg)))
	}
	m, err := importer.Load(c.Model, importer.Options{AllowUnknownOps: true})
	if err != nil {
		return fail(fmt.Errorf("load: %w", err))
	}
	ops = ModelOps(m.Graph)
	setOps(ops)
	if o.Optimize {
		if m, err = optimizeAndReload(m, o.OptimizeLevel, o.TargetOpset); err != nil {
			return fail(fmt.Errorf("optimize: %w", err))
		}
	}
	b, err := backends.Lookup(o.backend())
	if err != nil {
		return fail(err)
	}
	prog, err := b.Compile(m.Graph, backends.Options{ModelName: c.Name, Threads: o.Threads})
	if err != nil {
		var ue *cpu.UnsupportedError
		if errors.As(err, &ue) {
			op := ue.Op
			if ue.Domain != "" {
				op = ue.Domain + ":" + ue.Op
			}
			return fail(fmt.Errorf("unsupported op %s (opset %d)", op, ue.Opset))
		}
		return fail(fmt.Errorf("compile: %w", err))
	}
	rtol, atol := c.RTol, c.ATol
	if o.RTol != nil {
		rtol = *o.RTol
	}
	if o.ATol != nil {
		atol = *o.ATol
	}
	g := m.Graph
	if c.Generated() {
		in, err := generatedInputs(g)
		if err != nil {
			return fail(err)
		}
		want, err := importer.ReadValue(c.Output, resultType(g, 0))
		if err != nil {
			return fail(fmt.Errorf("reading %s: %w", c.Output, err))
		}
		if len(g.Results) != 1 {
			return fail(fmt.Errorf("model has %d outputs, expected values hold 1", len(g.Results)))
		}
		if err := runAndCompare(ctx, prog, g, in, []tensor.Value{want}, rtol, atol); err != nil {
			return fail(err)
		}
		return ops, Pass, "", ""
	}
	for _, set := range c.DataSets {
		in, want, err := readDataSet(g, set)
		if err != nil {
			return fail(err)
		}
		if err := runAndCompare(ctx, prog, g, in, want, rtol, atol); err != nil {
			if len(c.DataSets) > 1 {
				err = fmt.Errorf("%s: %w", lastElem(set), err)
			}
			return fail(err)
		}
	}
	return ops, Pass, "", ""
}

func runAndCompare(ctx context.Context, prog backends.Program, g *ir.Func, in map[string]tensor.Value, want []tensor.Value, rtol, atol float64) error {
	got, err := prog.RunValues(ctx, in)
	if err != nil {
		return err
	}
	if len(want) != len(g.Results) {
		return fmt.Errorf("model has %d outputs, data set has %d", len(g.Results), len(want))
	}
	for k, r := range g.Results {
		v, ok := got[r.Name]
		if !ok {
			return fmt.Errorf("output %d (%q) was not produced", k, r.Name)
		}
		if m := Compare(r.Name, v, want[k], rtol, atol); m != nil {
			return m
		}
	}
	return nil
}

// readDataSet reads input_K.pb as the K-th graph input and output_K.pb as
// the K-th graph output of a test_data_set_* folder.
func readDataSet(g *ir.Func, dir string) (map[string]tensor.Value, []tensor.Value, error) {
	inFiles, err := numberedFiles(dir, "input_")
	if err != nil {
		return nil, nil, err
	}
	outFiles, err := numberedFiles(dir, "output_")
	if err != nil {
		return nil, nil, err
	}
	if len(inFiles) > len(g.Params) {
		return nil, nil, fmt.Errorf("%s has %d inputs, the model takes %d", lastElem(dir), len(inFiles), len(g.Params))
	}
	in := make(map[string]tensor.Value, len(inFiles))
	for k, f := range inFiles {
		p := g.Params[k]
		v, err := importer.ReadValue(f, valueType(p.Type))
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s for input %q (%s): %w", lastElem(f), p.Name, p.Type, err)
		}
		in[p.Name] = v
	}
	if len(outFiles) != len(g.Results) {
		return nil, nil, fmt.Errorf("model has %d outputs, %s has %d", len(g.Results), lastElem(dir), len(outFiles))
	}
	want := make([]tensor.Value, len(outFiles))
	for k, f := range outFiles {
		v, err := importer.ReadValue(f, resultType(g, k))
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s for output %q (%s): %w", lastElem(f), g.Results[k].Name, g.Results[k].Type, err)
		}
		want[k] = v
	}
	return in, want, nil
}

// generatedInputs makes the input of a light case as the official runner
// does: for every graph input without a default, a float32 tensor of the
// declared shape (unknown dims count as 1) holding arange(n)/n.
func generatedInputs(g *ir.Func) (map[string]tensor.Value, error) {
	in := map[string]tensor.Value{}
	for _, p := range g.Params {
		if p.Const != nil {
			continue
		}
		shape := make([]int, 0, len(p.Type.Shape))
		for _, d := range p.Type.Shape {
			if d.IsKnown() {
				shape = append(shape, int(d.Size))
			} else {
				shape = append(shape, 1)
			}
		}
		t, err := tensor.Alloc(tensor.Float32, shape)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", p.Name, err)
		}
		xs := t.Float32s()
		for i := range xs {
			xs[i] = float32(i) / float32(len(xs))
		}
		in[p.Name] = t
	}
	return in, nil
}

// valueType is t, or a tensor type when t is unknown.
func valueType(t ir.Type) ir.Type {
	if t.Kind == ir.KindUnknown {
		return ir.Type{Kind: ir.KindTensor}
	}
	return t
}

func resultType(g *ir.Func, k int) ir.Type {
	if k < len(g.Results) {
		return valueType(g.Results[k].Type)
	}
	return ir.Type{Kind: ir.KindTensor}
}

// ModelOps returns the distinct ops of f and its subgraphs, sorted; ops
// outside the default domain are written "domain:Op".
func ModelOps(f *ir.Func) []string {
	set := map[string]bool{}
	f.Walk(func(_ *ir.Func, n *ir.Node) { set[n.OpName()] = true })
	ops := make([]string, 0, len(set))
	for op := range set {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// RunAll runs cases on jobs workers (0: GOMAXPROCS) and returns their
// results in the order of cases. onDone, when not nil, is called after
// each case from the worker that ran it.
func RunAll(ctx context.Context, cases []Case, o Options, jobs int, onDone func(Result)) []Result {
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	results := make([]Result, len(cases))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = RunCase(ctx, cases[i], o)
				if onDone != nil {
					onDone(results[i])
				}
			}
		}()
	}
	for i := range cases {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

func lastElem(p string) string {
	p = strings.TrimRight(p, "/\\")
	if i := strings.LastIndexAny(p, "/\\"); i >= 0 {
		return p[i+1:]
	}
	return p
}
