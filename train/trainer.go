// Package train trains nn models: a training step is one IR function
// (the forward graph in training mode, the loss, the gradients emitted by
// autodiff and the buffer updates) compiled once with the CPU backend and
// run for every batch. Around it: optimizers over tensors, learning-rate
// schedules, gradient clipping, metrics, data sets and loaders (MNIST
// included), data-parallel replicas, and a loop with validation, early
// stopping, checkpoints that resume exactly, and logs (CSV, TensorBoard
// event files, a PNG plot).
package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// Config describes a training run. Model, Loss, Optimizer, Train,
// BatchSize and Epochs are required.
type Config struct {
	Model     nn.Module
	Loss      Loss
	Optimizer Optimizer
	// Schedule sets the learning rate before every step, from the epoch
	// number, or from the step number when SchedulePerStep; nil keeps the
	// optimizer's rate.
	Schedule        Schedule
	SchedulePerStep bool

	Train, Val Dataset
	BatchSize  int
	Epochs     int
	// MaxSteps stops training after this many steps in all (0: no limit),
	// writing a checkpoint when CheckpointDir is set.
	MaxSteps int64
	// Seed drives the shuffling and Dropout's random numbers.
	Seed uint64
	// Workers is the number of data-parallel replicas (1 when 0).
	Workers int
	// LoaderWorkers assemble batches ahead of use (1 when 0).
	LoaderWorkers int

	// ClipNorm and ClipValue clip the gradients (0: off).
	ClipNorm, ClipValue float64
	// Frozen names parameters not to train (transfer learning).
	Frozen func(name string) bool
	// Patience stops training after this many epochs without a lower
	// validation loss (training loss without Val); 0 turns it off.
	Patience int

	// CheckpointDir receives checkpoint.safetensors (the whole state, at
	// each epoch end and every CheckpointEvery steps) and
	// best.safetensors (the weights of the best epoch).
	CheckpointDir   string
	CheckpointEvery int64
	// LogDir receives metrics.csv, a TensorBoard event file and
	// curves.png.
	LogDir string
	// Progress receives a progress line (loss and throughput).
	Progress io.Writer
	// OnStep is called after every step.
	OnStep func(StepInfo)
}

// StepInfo describes a finished step.
type StepInfo struct {
	Epoch, Batch int
	Step         int64 // steps done so far, this one included
	Loss, LR     float64
}

// EpochStats are the numbers of one epoch; metrics that do not apply are
// NaN (accuracy for non-classification targets, validation without Val).
type EpochStats struct {
	Epoch                         int
	TrainLoss, ValLoss            float64
	TrainAcc, ValAcc              float64
	LR, Seconds, SamplesPerSecond float64
}

// History is what Fit returns.
type History struct {
	Epochs []EpochStats
	// Best is the lowest monitored loss and BestEpoch its epoch.
	Best      float64
	BestEpoch int
	// Stopped says why training ended before Epochs, "" otherwise.
	Stopped string
}

// NaNError reports a loss or gradient that is not finite. Training stops
// before the update, so parameters and checkpoints keep the last good
// state.
type NaNError struct {
	Epoch, Batch int
	Step         int64 // the failing step, counted from 1
	Loss         float64
	// Param names the first parameter whose gradient is not finite; when
	// every gradient is finite, the parameter with the largest gradient
	// norm (GradNorm), where the divergence shows first.
	Param    string
	Finite   bool // every gradient was finite
	GradNorm float64
}

func (e *NaNError) Error() string {
	msg := fmt.Sprintf("train: step %d (epoch %d, batch %d): loss is %g", e.Step, e.Epoch+1, e.Batch, e.Loss)
	if e.Finite {
		return msg + fmt.Sprintf("; largest gradient norm %g at parameter %q", e.GradNorm, e.Param)
	}
	return msg + fmt.Sprintf("; parameter %q has a non-finite gradient", e.Param)
}

// Trainer runs a Config.
type Trainer struct {
	cfg       Config
	eng       *engine
	trainable []nn.Tensor
	loader    *Loader
	pcg       *rand.PCG
	rnd       *rand.Rand

	// Position: the next batch to run is batch of epoch; step steps done.
	epoch, batch int
	step         int64
	hist         History
	bad          int
	// Accumulators of the epoch in progress.
	lossSum       float64
	seen, correct int
	classified    bool
	epochSeconds  float64

	events *EventWriter
}

// New checks the configuration and prepares a trainer; programs are
// compiled on first use, one per batch shape.
func New(cfg Config) (*Trainer, error) {
	switch {
	case cfg.Model == nil || cfg.Loss == nil || cfg.Optimizer == nil || cfg.Train == nil:
		return nil, fmt.Errorf("train: Model, Loss, Optimizer and Train are required")
	case cfg.BatchSize <= 0 || cfg.Epochs <= 0:
		return nil, fmt.Errorf("train: batch size %d and epochs %d must be positive", cfg.BatchSize, cfg.Epochs)
	case cfg.Train.Len() == 0:
		return nil, fmt.Errorf("train: the training set is empty")
	}
	t := &Trainer{cfg: cfg}
	for _, p := range cfg.Model.Params() {
		if cfg.Frozen == nil || !cfg.Frozen(p.Name) {
			t.trainable = append(t.trainable, p)
		}
	}
	if len(t.trainable) == 0 {
		return nil, fmt.Errorf("train: every parameter is frozen")
	}
	t.eng = &engine{model: cfg.Model, loss: cfg.Loss, trainable: t.trainable, workers: max(cfg.Workers, 1)}
	t.loader = &Loader{Data: cfg.Train, BatchSize: cfg.BatchSize, Shuffle: true, Seed: cfg.Seed, Workers: cfg.LoaderWorkers}
	t.pcg = rand.NewPCG(cfg.Seed, 0xd80f)
	t.rnd = rand.New(t.pcg)
	t.hist.Best = math.Inf(1)
	t.hist.BestEpoch = -1
	return t, nil
}

// Trainable returns the parameters being trained.
func (t *Trainer) Trainable() []nn.Tensor { return t.trainable }

// StepCount returns the number of steps done.
func (t *Trainer) StepCount() int64 { return t.step }

// History returns the epochs finished so far.
func (t *Trainer) History() *History { return &t.hist }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(ts ...*tensor.Tensor) bool {
	for _, x := range ts {
		for _, v := range x.Float32s() {
			if !finite(float64(v)) {
				return false
			}
		}
	}
	return true
}

// TrainStep runs one optimization step on a batch and returns its loss.
func (t *Trainer) TrainStep(ctx context.Context, x, y *tensor.Tensor) (float64, error) {
	r, err := t.runStep(ctx, x, y)
	if err != nil {
		return 0, err
	}
	return r.Loss, nil
}

func (t *Trainer) runStep(ctx context.Context, x, y *tensor.Tensor) (*Result, error) {
	if s := t.cfg.Schedule; s != nil {
		tt := t.epoch
		if t.cfg.SchedulePerStep {
			tt = int(t.step)
		}
		t.cfg.Optimizer.SetLR(s.LR(tt))
	}
	r, err := t.eng.trainStep(ctx, x, y, t.rnd)
	if err != nil {
		return nil, err
	}
	param := ""
	for i, g := range r.Grads {
		if !allFinite(g) {
			param = t.trainable[i].Name
			break
		}
	}
	if !finite(r.Loss) || param != "" {
		e := &NaNError{Epoch: t.epoch, Batch: t.batch, Step: t.step + 1, Loss: r.Loss, Param: param}
		if param == "" {
			e.Finite = true
			for i, g := range r.Grads {
				var ss float64
				for _, v := range g.Float32s() {
					ss += float64(v) * float64(v)
				}
				if n := math.Sqrt(ss); n >= e.GradNorm {
					e.GradNorm, e.Param = n, t.trainable[i].Name
				}
			}
		}
		return nil, e
	}
	if t.cfg.ClipValue > 0 {
		ClipGradValue(r.Grads, t.cfg.ClipValue)
	}
	if t.cfg.ClipNorm > 0 {
		ClipGradNorm(r.Grads, t.cfg.ClipNorm)
	}
	if err := t.cfg.Optimizer.Step(t.trainable, r.Grads); err != nil {
		return nil, err
	}
	if len(r.Updates) > 0 {
		bufs := map[string]*tensor.Tensor{}
		for _, b := range t.cfg.Model.Buffers() {
			bufs[b.Name] = b.T
		}
		for name, v := range r.Updates {
			b := bufs[name]
			if b == nil || len(b.Bytes()) != len(v.Bytes()) {
				return nil, fmt.Errorf("train: update of buffer %q does not fit it", name)
			}
			copy(b.Bytes(), v.Bytes())
		}
	}
	t.step++
	return r, nil
}

// correctCount counts the rows of out [N, C] whose argmax equals the int64
// label; ok is false when the batch is not a classification.
func correctCount(out, y *tensor.Tensor) (int, bool) {
	if y.DType() != tensor.Int64 || out.Rank() != 2 || y.Rank() != 1 || !out.DType().IsFloat() {
		return 0, false
	}
	pred := Argmax(out)
	n := 0
	for i, l := range y.Int64s() {
		if int64(pred[i]) == l {
			n++
		}
	}
	return n, true
}

// Evaluate runs the model in eval mode over ds and returns the mean loss
// and the accuracy (NaN when the targets are not class labels).
func (t *Trainer) Evaluate(ctx context.Context, ds Dataset) (loss, acc float64, err error) {
	l := &Loader{Data: ds, BatchSize: t.cfg.BatchSize, Workers: t.cfg.LoaderWorkers}
	var sum float64
	var n, correct int
	classified := true
	for b, err := range l.Batches(ctx, 0, 0) {
		if err != nil {
			return 0, 0, err
		}
		r, err := t.eng.eval(ctx, b.X, b.Y)
		if err != nil {
			return 0, 0, err
		}
		k := b.X.Dim(0)
		sum += r.Loss * float64(k)
		n += k
		c, ok := correctCount(r.Output, b.Y)
		classified = classified && ok
		correct += c
	}
	if n == 0 {
		return math.NaN(), math.NaN(), nil
	}
	acc = math.NaN()
	if classified {
		acc = float64(correct) / float64(n)
	}
	return sum / float64(n), acc, nil
}

// Predict runs the model in eval mode on a batch.
func (t *Trainer) Predict(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	r, err := t.eng.eval(ctx, x, nil)
	if err != nil {
		return nil, err
	}
	return r.Output, nil
}

func (t *Trainer) checkpointPath() string {
	return filepath.Join(t.cfg.CheckpointDir, "checkpoint.safetensors")
}

func (t *Trainer) saveCheckpoint() error {
	if t.cfg.CheckpointDir == "" {
		return nil
	}
	if err := os.MkdirAll(t.cfg.CheckpointDir, 0o755); err != nil {
		return err
	}
	return t.SaveCheckpoint(t.checkpointPath())
}

// Fit trains from the current position (the start, or where a loaded
// checkpoint left off) to the last epoch, and returns the history.
func (t *Trainer) Fit(ctx context.Context) (*History, error) {
	cfg := t.cfg
	if cfg.LogDir != "" {
		ev, err := NewEventWriter(cfg.LogDir)
		if err != nil {
			return nil, err
		}
		t.events = ev
		defer func() { ev.Close(); t.events = nil }()
	}
	nb := t.loader.NumBatches()
	for t.epoch < cfg.Epochs {
		if t.batch == 0 {
			t.lossSum, t.seen, t.correct, t.classified, t.epochSeconds = 0, 0, 0, true, 0
		}
		start := time.Now()
		stop := false
		lastPrint := time.Time{}
		for b, err := range t.loader.Batches(ctx, t.epoch, t.batch) {
			if err != nil {
				return &t.hist, err
			}
			if cfg.MaxSteps > 0 && t.step >= cfg.MaxSteps {
				stop = true
				break
			}
			r, err := t.runStep(ctx, b.X, b.Y)
			if err != nil {
				return &t.hist, err
			}
			k := b.X.Dim(0)
			t.lossSum += r.Loss * float64(k)
			t.seen += k
			c, ok := correctCount(r.Output, b.Y)
			t.classified = t.classified && ok
			t.correct += c
			t.batch = b.Index + 1
			if cfg.OnStep != nil {
				cfg.OnStep(StepInfo{Epoch: t.epoch, Batch: b.Index, Step: t.step, Loss: r.Loss, LR: cfg.Optimizer.LR()})
			}
			if t.events != nil {
				if err := t.events.Scalar("loss/step", t.step, r.Loss, time.Now()); err != nil {
					return &t.hist, err
				}
			}
			if cfg.Progress != nil && (time.Since(lastPrint) > 250*time.Millisecond || t.batch == nb) {
				lastPrint = time.Now()
				el := t.epochSeconds + time.Since(start).Seconds()
				fmt.Fprintf(cfg.Progress, "\repoch %d/%d  batch %d/%d  loss %.4f  %.0f samples/s ",
					t.epoch+1, cfg.Epochs, t.batch, nb, t.lossSum/float64(t.seen), float64(t.seen)/el)
			}
			if cfg.CheckpointEvery > 0 && t.step%cfg.CheckpointEvery == 0 && t.batch < nb {
				t.epochSeconds += time.Since(start).Seconds()
				start = time.Now()
				if err := t.saveCheckpoint(); err != nil {
					return &t.hist, err
				}
			}
			if cfg.MaxSteps > 0 && t.step >= cfg.MaxSteps {
				stop = true
				break
			}
		}
		t.epochSeconds += time.Since(start).Seconds()
		if stop && t.batch < nb {
			t.hist.Stopped = fmt.Sprintf("reached %d steps", cfg.MaxSteps)
			if cfg.Progress != nil {
				fmt.Fprintln(cfg.Progress)
			}
			return &t.hist, t.saveCheckpoint()
		}
		if err := t.endEpoch(ctx); err != nil {
			return &t.hist, err
		}
		if stop {
			t.hist.Stopped = fmt.Sprintf("reached %d steps", cfg.MaxSteps)
			return &t.hist, nil
		}
		if t.hist.Stopped != "" {
			return &t.hist, nil
		}
	}
	return &t.hist, nil
}

// endEpoch validates, records and logs the finished epoch, applies the
// schedule and early stopping, and writes the checkpoint.
func (t *Trainer) endEpoch(ctx context.Context) error {
	cfg := t.cfg
	st := EpochStats{Epoch: t.epoch, TrainLoss: t.lossSum / float64(max(t.seen, 1)), ValLoss: math.NaN(),
		TrainAcc: math.NaN(), ValAcc: math.NaN(), LR: cfg.Optimizer.LR(), Seconds: t.epochSeconds}
	if t.epochSeconds > 0 {
		st.SamplesPerSecond = float64(t.seen) / t.epochSeconds
	}
	if t.classified && t.seen > 0 {
		st.TrainAcc = float64(t.correct) / float64(t.seen)
	}
	monitored := st.TrainLoss
	if cfg.Val != nil {
		vl, va, err := t.Evaluate(ctx, cfg.Val)
		if err != nil {
			return fmt.Errorf("train: validation: %w", err)
		}
		st.ValLoss, st.ValAcc, monitored = vl, va, vl
	}
	t.hist.Epochs = append(t.hist.Epochs, st)
	if o, ok := cfg.Schedule.(Observer); ok {
		o.Observe(monitored)
	}
	if monitored < t.hist.Best {
		t.hist.Best, t.hist.BestEpoch, t.bad = monitored, t.epoch, 0
		if cfg.CheckpointDir != "" {
			if err := os.MkdirAll(cfg.CheckpointDir, 0o755); err != nil {
				return err
			}
			if err := nn.SaveWeights(cfg.Model, filepath.Join(cfg.CheckpointDir, "best.safetensors")); err != nil {
				return err
			}
		}
	} else {
		t.bad++
	}
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "\repoch %d/%d  loss %.4f", t.epoch+1, cfg.Epochs, st.TrainLoss)
		if !math.IsNaN(st.TrainAcc) {
			fmt.Fprintf(cfg.Progress, "  acc %.4f", st.TrainAcc)
		}
		if cfg.Val != nil {
			fmt.Fprintf(cfg.Progress, "  val_loss %.4f", st.ValLoss)
			if !math.IsNaN(st.ValAcc) {
				fmt.Fprintf(cfg.Progress, "  val_acc %.4f", st.ValAcc)
			}
		}
		fmt.Fprintf(cfg.Progress, "  %.1fs  %.0f samples/s\n", st.Seconds, st.SamplesPerSecond)
	}
	if err := t.writeLogs(st); err != nil {
		return err
	}
	t.epoch++
	t.batch = 0
	if cfg.Patience > 0 && t.bad >= cfg.Patience && t.epoch < cfg.Epochs {
		t.hist.Stopped = fmt.Sprintf("early stopping after epoch %d: no improvement for %d epochs", t.epoch, t.bad)
	}
	return t.saveCheckpoint()
}

func (t *Trainer) writeLogs(st EpochStats) error {
	dir := t.cfg.LogDir
	if dir == "" {
		return nil
	}
	if t.events != nil {
		now := time.Now()
		step := int64(st.Epoch + 1)
		for _, s := range []struct {
			tag string
			v   float64
		}{{"loss/train", st.TrainLoss}, {"loss/val", st.ValLoss}, {"accuracy/train", st.TrainAcc},
			{"accuracy/val", st.ValAcc}, {"lr", st.LR}, {"samples_per_second", st.SamplesPerSecond}} {
			if math.IsNaN(s.v) {
				continue
			}
			if err := t.events.Scalar(s.tag, step, s.v, now); err != nil {
				return err
			}
		}
	}
	if err := WriteCSV(&t.hist, filepath.Join(dir, "metrics.csv")); err != nil {
		return err
	}
	return SavePlot(&t.hist, filepath.Join(dir, "curves.png"))
}

// WriteCSV writes one row per epoch to path, atomically.
func WriteCSV(h *History, path string) error {
	return nn.WriteFileAtomic(path, func(w io.Writer) error {
		if _, err := fmt.Fprintln(w, "epoch,train_loss,val_loss,train_acc,val_acc,lr,seconds,samples_per_second"); err != nil {
			return err
		}
		for _, e := range h.Epochs {
			if _, err := fmt.Fprintf(w, "%d,%s,%s,%s,%s,%s,%.3f,%.1f\n", e.Epoch+1, num(e.TrainLoss), num(e.ValLoss),
				num(e.TrainAcc), num(e.ValAcc), num(e.LR), e.Seconds, e.SamplesPerSecond); err != nil {
				return err
			}
		}
		return nil
	})
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%.6g", v)
}

// IsNaN reports whether err is (or wraps) a NaNError.
func IsNaN(err error) bool {
	var n *NaNError
	return errors.As(err, &n)
}
