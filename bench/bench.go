// Package bench measures how fast a model runs: it loads the model, makes
// its inputs (random, or read from files), runs it repeatedly and reports
// latency percentiles and throughput; optionally it does the same, in the
// same process and interleaved run by run, for the model after the
// optimizer's passes, and reports the ratio. The onyx bench command is a
// thin layer over Run and Report.Write.
package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onyxgo/onyx/backends"
	_ "github.com/onyxgo/onyx/backends/cpu" // the reference backend
	"github.com/onyxgo/onyx/backends/cpu/linalg"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes"
	"github.com/onyxgo/onyx/tensor"
)

// Options say what to measure and how.
type Options struct {
	// Runs is the number of timed runs (default 10); Warmup the number of
	// untimed runs before them (default 2; negative for none).
	Runs, Warmup int
	// Threads, when positive, sets GOMAXPROCS and the goroutines of one
	// matrix product (linalg.SetThreads) for the measurement; both are
	// restored afterwards.
	Threads int
	// Inputs maps input names to .pb (ONNX TensorProto) or .npy files;
	// the other inputs without a default get random values.
	Inputs map[string]string
	// CompareOptimized also measures the model after passes.Run.
	CompareOptimized bool
	// Backend names the backend (default "cpu").
	Backend string
	// Seed seeds the random inputs.
	Seed uint64
}

// Result is the timing of one variant of the model.
type Result struct {
	Label string          // "model" or "optimized"
	Times []time.Duration // each timed run, in order

	Median, P90, Min, Mean time.Duration
	// PerSecond is the throughput: runs per second of timed run time.
	PerSecond float64
}

// Report is the outcome of Run.
type Report struct {
	Model   string
	Backend string
	Threads int    // GOMAXPROCS during the runs
	Kernel  string // the matrix kernels in use (linalg.Kernel)
	Results []Result
}

// Case is a model compiled and given its inputs, ready to run repeatedly.
type Case struct {
	prog backends.Program
	feed map[string]tensor.Value
}

// Run executes the model once.
func (c *Case) Run(ctx context.Context) error {
	_, err := c.prog.RunValues(ctx, c.feed)
	return err
}

// Load reads the model at path, optimizes it with passes.Run when
// optimize is set, compiles it and makes its inputs.
func Load(path string, o Options, optimize bool) (*Case, error) {
	m, err := importer.Load(path, importer.Options{BaseDir: filepath.Dir(path)})
	if err != nil {
		return nil, err
	}
	// Inputs come from the model as loaded, so that both variants get the
	// same ones.
	feed, err := makeInputs(m.Graph, o)
	if err != nil {
		return nil, err
	}
	if optimize {
		if _, err := passes.Run(m, passes.Options{}); err != nil {
			return nil, fmt.Errorf("optimizing: %w", err)
		}
	}
	name := o.Backend
	if name == "" {
		name = "cpu"
	}
	b, err := backends.Lookup(name)
	if err != nil {
		return nil, err
	}
	prog, err := b.Compile(m.Graph, backends.Options{Threads: o.Threads, ModelName: filepath.Base(path)})
	if err != nil {
		return nil, err
	}
	// Keep only the inputs the (possibly optimized) graph still has.
	have := map[string]bool{}
	for _, p := range m.Graph.Params {
		have[p.Name] = true
	}
	for name := range feed {
		if !have[name] {
			delete(feed, name)
		}
	}
	return &Case{prog: prog, feed: feed}, nil
}

// makeInputs reads the inputs named in o.Inputs and makes random ones for
// the other inputs without a default. Symbolic dims are taken as 1.
func makeInputs(g *ir.Func, o Options) (map[string]tensor.Value, error) {
	params := map[string]*ir.Value{}
	for _, p := range g.Params {
		params[p.Name] = p
	}
	feed := map[string]tensor.Value{}
	for name, file := range o.Inputs {
		p := params[name]
		if p == nil {
			var names []string
			for _, q := range g.Params {
				names = append(names, q.Name)
			}
			return nil, fmt.Errorf("the model has no input %q (inputs: %s)", name, strings.Join(names, ", "))
		}
		v, err := readInput(file, p.Type)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", name, err)
		}
		feed[name] = v
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6f6e7978))
	for _, p := range g.Params {
		if _, ok := feed[p.Name]; ok || p.Const != nil || p.Type.Kind == ir.KindOptional {
			continue
		}
		t, err := randomTensor(rng, p.Type)
		if err != nil {
			return nil, fmt.Errorf("input %q (%s): %w; give it with an input file", p.Name, p.Type, err)
		}
		feed[p.Name] = t
	}
	return feed, nil
}

// readInput reads a .npy array or a serialized ONNX value of type want.
func readInput(file string, want ir.Type) (tensor.Value, error) {
	if strings.EqualFold(filepath.Ext(file), ".npy") {
		return tensor.LoadNpy(file)
	}
	if want.Kind == ir.KindUnknown {
		want = ir.Type{Kind: ir.KindTensor}
	}
	return importer.ReadValue(file, want)
}

// randomTensor makes a tensor of type ty: floats uniform in [-1, 1),
// integers in [0, 4), booleans either way.
func randomTensor(rng *rand.Rand, ty ir.Type) (*tensor.Tensor, error) {
	if ty.Kind != ir.KindTensor {
		return nil, fmt.Errorf("cannot make a random %s", ty)
	}
	if !ty.HasShape {
		return nil, fmt.Errorf("its rank is unknown")
	}
	shape := make([]int, len(ty.Shape))
	for i, d := range ty.Shape {
		shape[i] = 1
		if d.IsKnown() {
			shape[i] = int(d.Size)
		}
	}
	dt := ty.Elem
	switch {
	case dt == tensor.Float32:
		t := tensor.New(dt, shape...)
		for i, d := 0, t.Float32s(); i < len(d); i++ {
			d[i] = rng.Float32()*2 - 1
		}
		return t, nil
	case dt.IsFloat():
		t := tensor.New(dt, shape...)
		for i := 0; i < t.Len(); i++ {
			t.SetFloat64At(i, rng.Float64()*2-1)
		}
		return t, nil
	case dt.IsInt() || dt == tensor.Bool:
		t := tensor.New(dt, shape...)
		hi := 4
		if dt == tensor.Bool {
			hi = 2
		}
		for i := 0; i < t.Len(); i++ {
			t.SetFloat64At(i, float64(rng.IntN(hi)))
		}
		return t, nil
	}
	return nil, fmt.Errorf("cannot make random %s values", dt)
}

// Run measures the model at path as Options say.
func Run(ctx context.Context, path string, o Options) (*Report, error) {
	if o.Runs <= 0 {
		o.Runs = 10
	}
	if o.Warmup == 0 {
		o.Warmup = 2
	}
	if o.Threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.Threads))
		prev := linalg.Threads()
		linalg.SetThreads(o.Threads)
		defer linalg.SetThreads(prev)
	}
	variants := []bool{false}
	if o.CompareOptimized {
		variants = append(variants, true)
	}
	cases := make([]*Case, len(variants))
	for i, opt := range variants {
		c, err := Load(path, o, opt)
		if err != nil {
			return nil, err
		}
		cases[i] = c
	}
	rep := &Report{Model: filepath.Base(path), Backend: o.Backend, Threads: runtime.GOMAXPROCS(0), Kernel: linalg.Kernel()}
	if rep.Backend == "" {
		rep.Backend = "cpu"
	}
	for i := 0; i < o.Warmup; i++ {
		for _, c := range cases {
			if err := c.Run(ctx); err != nil {
				return nil, err
			}
		}
	}
	// Variants take turns run by run, so that a change in the machine's
	// load touches both alike.
	times := make([][]time.Duration, len(cases))
	for i := 0; i < o.Runs; i++ {
		for j, c := range cases {
			start := time.Now()
			if err := c.Run(ctx); err != nil {
				return nil, err
			}
			times[j] = append(times[j], time.Since(start))
		}
	}
	for j, opt := range variants {
		label := "model"
		if opt {
			label = "optimized"
		}
		rep.Results = append(rep.Results, summarize(label, times[j]))
	}
	return rep, nil
}

// summarize computes the statistics of one variant's run times.
func summarize(label string, ts []time.Duration) Result {
	r := Result{Label: label, Times: ts}
	if len(ts) == 0 {
		return r
	}
	s := slices.Clone(ts)
	slices.Sort(s)
	var total time.Duration
	for _, t := range s {
		total += t
	}
	r.Median = percentile(s, 50)
	r.P90 = percentile(s, 90)
	r.Min = s[0]
	r.Mean = total / time.Duration(len(s))
	if total > 0 {
		r.PerSecond = float64(len(s)) / total.Seconds()
	}
	return r
}

// percentile returns the p-th percentile of sorted durations, by linear
// interpolation between the nearest ranks.
func percentile(s []time.Duration, p float64) time.Duration {
	x := p / 100 * float64(len(s)-1)
	i := int(x)
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := x - float64(i)
	return s[i] + time.Duration(f*float64(s[i+1]-s[i]))
}

// Write prints the report: one row per variant, then the ratio of the
// medians when there are two.
func (r *Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%s on %s, %d threads, %s matrix kernels\n", r.Model, r.Backend, r.Threads, r.Kernel)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\truns\tmedian\tp90\tmin\tmean\truns/s\t\n")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.2f\t\n", res.Label, len(res.Times), ms(res.Median), ms(res.P90), ms(res.Min), ms(res.Mean), res.PerSecond)
	}
	tw.Flush()
	if len(r.Results) == 2 && r.Results[1].Median > 0 {
		fmt.Fprintf(w, "optimized/model median ratio: %.3f (speed-up %.2fx)\n",
			float64(r.Results[1].Median)/float64(r.Results[0].Median),
			float64(r.Results[0].Median)/float64(r.Results[1].Median))
	}
}

// ms formats a duration in milliseconds.
func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }
