package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

func mlp(seed uint64, in, hidden, out int, dropout float64) *nn.Sequential {
	r := nn.NewRand(seed)
	return nn.NewSequential(nn.NewLinear(r, in, hidden), nn.Tanh(), nn.NewDropout(dropout), nn.NewLinear(r, hidden, out))
}

func cnn(seed uint64) *nn.Sequential {
	r := nn.NewRand(seed)
	return nn.NewSequential(
		nn.NewConv2d(r, 1, 4, 3, nn.ConvOpts{Padding: 1}), nn.NewBatchNorm2d(4), nn.ReLU(), nn.NewMaxPool2d(2, 0, 0),
		nn.NewConv2d(r, 4, 8, 3, nn.ConvOpts{Padding: 1}), nn.ReLU(), nn.NewAdaptiveAvgPool2d(1, 1), nn.Flatten(),
		nn.NewLinear(r, 8, 3))
}

// blobs makes a classification set: n points in d dims around c centres.
func blobs(seed uint64, n, d, c int) *TensorDataset {
	r := rand.New(rand.NewPCG(seed, 1))
	centres := make([]float64, c*d)
	for i := range centres {
		centres[i] = r.NormFloat64() * 2
	}
	x := tensor.New(tensor.Float32, n, d)
	y := tensor.New(tensor.Int64, n)
	for i := 0; i < n; i++ {
		k := r.IntN(c)
		y.Int64s()[i] = int64(k)
		for j := 0; j < d; j++ {
			x.Float32s()[i*d+j] = float32(centres[k*d+j] + 0.5*r.NormFloat64())
		}
	}
	return &TensorDataset{x, y}
}

func TestOverfitMLP(t *testing.T) {
	ds := blobs(1, 16, 4, 3)
	tr, err := New(Config{Model: mlp(2, 4, 16, 3, 0), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(0.05),
		Train: ds, BatchSize: 16, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	var loss float64
	for i := 0; i < 150; i++ {
		if loss, err = tr.TrainStep(context.Background(), ds.X, ds.Y); err != nil {
			t.Fatal(err)
		}
	}
	if loss > 1e-3 {
		t.Fatalf("MLP did not overfit one batch: loss %g", loss)
	}
}

func TestOverfitCNN(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(tensor.Float32, 6, 1, 8, 8)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64())
	}
	y := tensor.FromSlice([]int64{0, 1, 2, 0, 1, 2}, 6)
	tr, err := New(Config{Model: cnn(5), Loss: CrossEntropyLoss(0), Optimizer: NewAdam(0.05),
		Train: &TensorDataset{x, y}, BatchSize: 6, Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.TrainStep(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	loss := first
	steps := 150
	if testing.Short() {
		steps = 100
	}
	i := 0
	for ; i < steps && loss > 0.01; i++ {
		if loss, err = tr.TrainStep(context.Background(), x, y); err != nil {
			t.Fatal(err)
		}
	}
	if loss > 0.01 {
		t.Fatalf("CNN did not overfit one batch: loss %g (first %g)", loss, first)
	}
	t.Logf("loss %g after %d steps (first %g)", loss, i+1, first)
}

// runLosses trains cfg from a fresh trainer (or from a checkpoint) and
// returns the per-step losses.
func runLosses(t *testing.T, cfg Config, resume string) ([]float64, *Trainer, error) {
	t.Helper()
	var losses []float64
	cfg.OnStep = func(s StepInfo) { losses = append(losses, s.Loss) }
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if resume != "" {
		if err := tr.LoadCheckpoint(resume); err != nil {
			t.Fatal(err)
		}
	}
	_, err = tr.Fit(context.Background())
	return losses, tr, err
}

func resumeConfig(modelSeed uint64) Config {
	return Config{Model: mlp(modelSeed, 4, 12, 3, 0.3), Loss: CrossEntropyLoss(0.1), Optimizer: NewAdam(0.02),
		Schedule: NewReduceOnPlateau(0.02, 0.5, 0), Train: blobs(3, 40, 4, 3), Val: blobs(4, 12, 4, 3),
		BatchSize: 8, Epochs: 3, Seed: 99}
}

func TestResumeReproducesLossCurve(t *testing.T) {
	full, ref, err := runLosses(t, resumeConfig(1), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 15 {
		t.Fatalf("%d steps, want 15", len(full))
	}
	dir := t.TempDir()
	// Stop mid-epoch (epoch 2, batch 3), then resume into a model that
	// starts from other weights.
	cfg := resumeConfig(1)
	cfg.MaxSteps, cfg.CheckpointDir = 8, dir
	first, _, err := runLosses(t, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg = resumeConfig(1234)
	rest, tr, err := runLosses(t, cfg, filepath.Join(dir, "checkpoint.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	got := append(first, rest...)
	if len(got) != len(full) {
		t.Fatalf("interrupted run made %d steps, uninterrupted %d", len(got), len(full))
	}
	for i := range full {
		if got[i] != full[i] {
			t.Fatalf("step %d: loss %v after resuming, %v uninterrupted", i+1, got[i], full[i])
		}
	}
	for i, p := range ref.cfg.Model.Params() {
		if !bytes.Equal(p.T.Bytes(), tr.cfg.Model.Params()[i].T.Bytes()) {
			t.Fatalf("parameter %s differs after resuming", p.Name)
		}
	}
	hr, hg := ref.History().Epochs, tr.History().Epochs
	if len(hr) != 3 || len(hg) != 3 {
		t.Fatalf("histories of %d and %d epochs", len(hr), len(hg))
	}
	for i := range hr {
		if hr[i].TrainLoss != hg[i].TrainLoss || hr[i].ValLoss != hg[i].ValLoss || hr[i].LR != hg[i].LR {
			t.Fatalf("epoch %d: %+v vs %+v", i, hr[i], hg[i])
		}
	}
}

func TestCheckpointRefusesMismatch(t *testing.T) {
	dir := t.TempDir()
	cfg := resumeConfig(1)
	cfg.MaxSteps, cfg.CheckpointDir = 2, dir
	if _, _, err := runLosses(t, cfg, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "checkpoint.safetensors")
	other := resumeConfig(1)
	other.Model = mlp(1, 4, 10, 3, 0.3)
	tr, _ := New(other)
	before := other.Model.Params()[0].T.Clone()
	err := tr.LoadCheckpoint(path)
	if err == nil || !strings.Contains(err.Error(), "0.weight") || !strings.Contains(err.Error(), "checkpoint.safetensors") {
		t.Fatalf("mismatched model: %v", err)
	}
	if !bytes.Equal(before.Bytes(), other.Model.Params()[0].T.Bytes()) {
		t.Fatal("a refused checkpoint changed the model")
	}
	raw, _ := os.ReadFile(path)
	bad := filepath.Join(dir, "bad.safetensors")
	os.WriteFile(bad, raw[:len(raw)-3], 0o644)
	tr, _ = New(resumeConfig(1))
	if err := tr.LoadCheckpoint(bad); err == nil || !strings.Contains(err.Error(), "bad.safetensors") {
		t.Fatalf("truncated checkpoint: %v", err)
	}
}

func TestDataParallelMatchesSingleWorker(t *testing.T) {
	run := func(workers int) ([]float64, *Trainer) {
		cfg := Config{Model: mlp(5, 4, 10, 3, 0.2), Loss: CrossEntropyLoss(0), Optimizer: NewMomentum(0.1, 0.9, false),
			Train: blobs(6, 30, 4, 3), BatchSize: 10, Epochs: 2, Seed: 5, Workers: workers}
		losses, tr, err := runLosses(t, cfg, "")
		if err != nil {
			t.Fatal(err)
		}
		return losses, tr
	}
	one, t1 := run(1)
	for _, w := range []int{2, 3} {
		many, tw := run(w)
		for i := range one {
			closeTo(t, "loss", many[i], one[i], 1e-5)
		}
		for i, p := range t1.cfg.Model.Params() {
			a, b := p.T.Float32s(), tw.cfg.Model.Params()[i].T.Float32s()
			for j := range a {
				closeTo(t, p.Name, float64(b[j]), float64(a[j]), 1e-4)
			}
		}
	}
}

func TestNaNStopsTraining(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	x := tensor.New(tensor.Float32, 16, 3)
	y := tensor.New(tensor.Float32, 16, 1)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64() * 10)
	}
	for i := range y.Float32s() {
		y.Float32s()[i] = float32(r.NormFloat64() * 100)
	}
	cfg := Config{Model: mlp(2, 3, 8, 1, 0), Loss: MSELoss(), Optimizer: NewSGD(5), Train: &TensorDataset{x, y},
		BatchSize: 4, Epochs: 50, CheckpointDir: dir, CheckpointEvery: 1}
	_, tr, err := runLosses(t, cfg, "")
	var ne *NaNError
	if !errors.As(err, &ne) {
		t.Fatalf("diverging run returned %v", err)
	}
	if ne.Param == "" || ne.Step < 2 || !strings.Contains(err.Error(), ne.Param) {
		t.Fatalf("NaN error %+v: %v", ne, err)
	}
	if tr.StepCount() != ne.Step-1 {
		t.Fatalf("%d steps done, failing step %d", tr.StepCount(), ne.Step)
	}
	for _, p := range tr.cfg.Model.Params() {
		if !allFinite(p.T) {
			t.Fatalf("parameter %s was updated from a non-finite gradient", p.Name)
		}
	}
	// The last checkpoint is the state before the failing step.
	back, _ := New(Config{Model: mlp(9, 3, 8, 1, 0), Loss: MSELoss(), Optimizer: NewSGD(5), Train: &TensorDataset{x, y}, BatchSize: 4, Epochs: 50})
	if err := back.LoadCheckpoint(filepath.Join(dir, "checkpoint.safetensors")); err != nil {
		t.Fatal(err)
	}
	if back.StepCount() != ne.Step-1 {
		t.Fatalf("checkpoint at step %d, failing step %d", back.StepCount(), ne.Step)
	}
	for i, p := range back.cfg.Model.Params() {
		if !bytes.Equal(p.T.Bytes(), tr.cfg.Model.Params()[i].T.Bytes()) {
			t.Fatalf("checkpoint parameter %s is not the last good value", p.Name)
		}
	}
}

func TestEarlyStoppingAndLogs(t *testing.T) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	var progress bytes.Buffer
	cfg := Config{Model: mlp(2, 4, 8, 3, 0), Loss: CrossEntropyLoss(0), Optimizer: NewSGD(0),
		Train: blobs(1, 20, 4, 3), Val: blobs(2, 10, 4, 3), BatchSize: 5, Epochs: 10, Patience: 2,
		LogDir: logs, CheckpointDir: dir, Progress: &progress}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h, err := tr.Fit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The rate is 0, so the validation loss never improves after epoch 1.
	if len(h.Epochs) != 3 || !strings.Contains(h.Stopped, "early stopping") || h.BestEpoch != 0 {
		t.Fatalf("history %+v", h)
	}
	if !strings.Contains(progress.String(), "val_acc") || !strings.Contains(progress.String(), "samples/s") {
		t.Fatalf("progress output %q", progress.String())
	}
	csv, err := os.ReadFile(filepath.Join(logs, "metrics.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "epoch,train_loss,val_loss") || !strings.HasPrefix(lines[3], "3,") {
		t.Fatalf("metrics.csv:\n%s", csv)
	}
	png, err := os.ReadFile(filepath.Join(logs, "curves.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("curves.png: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "best.safetensors")); err != nil {
		t.Fatal(err)
	}
	events, _ := filepath.Glob(filepath.Join(logs, "events.out.tfevents.*"))
	if len(events) != 1 {
		t.Fatalf("event files %v", events)
	}
	recs := readEvents(t, events[0])
	if recs[0].version != "brain.Event:2" {
		t.Fatalf("first event %+v", recs[0])
	}
	tags := map[string]int{}
	for _, r := range recs[1:] {
		tags[r.tag]++
		if r.tag == "loss/val" && r.step == 1 && math.Abs(r.value-h.Epochs[0].ValLoss) > 1e-6 {
			t.Fatalf("loss/val at epoch 1 is %g, history says %g", r.value, h.Epochs[0].ValLoss)
		}
	}
	if tags["loss/step"] != 12 || tags["loss/train"] != 3 || tags["accuracy/val"] != 3 {
		t.Fatalf("event tags %v", tags)
	}
}

type event struct {
	version string
	step    int64
	tag     string
	value   float64
	wall    float64
}

// readEvents decodes a TFRecord file of Event protos with protowire,
// checking both CRCs of every record.
func readEvents(t *testing.T, path string) []event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mask := func(b []byte) uint32 {
		c := crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli))
		return ((c >> 15) | (c << 17)) + 0xa282ead8
	}
	var out []event
	for len(data) > 0 {
		if len(data) < 12 {
			t.Fatalf("truncated record header")
		}
		n := binary.LittleEndian.Uint64(data)
		if binary.LittleEndian.Uint32(data[8:]) != mask(data[:8]) {
			t.Fatal("length CRC mismatch")
		}
		body := data[12 : 12+n]
		if binary.LittleEndian.Uint32(data[12+n:]) != mask(body) {
			t.Fatal("data CRC mismatch")
		}
		data = data[16+n:]
		var e event
		fields(t, body, func(num protowire.Number, v any) {
			switch num {
			case 1:
				e.wall = math.Float64frombits(v.(uint64))
			case 2:
				e.step = int64(v.(uint64))
			case 3:
				e.version = string(v.([]byte))
			case 5:
				fields(t, v.([]byte), func(_ protowire.Number, val any) {
					fields(t, val.([]byte), func(k protowire.Number, x any) {
						if k == 1 {
							e.tag = string(x.([]byte))
						} else if k == 2 {
							e.value = float64(math.Float32frombits(x.(uint32)))
						}
					})
				})
			}
		})
		if e.wall < 1e9 {
			t.Fatalf("wall time %g", e.wall)
		}
		out = append(out, e)
	}
	return out
}

func fields(t *testing.T, b []byte, fn func(protowire.Number, any)) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal("bad tag")
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			fn(num, v)
			b = b[n:]
		case protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			fn(num, v)
			b = b[n:]
		case protowire.Fixed32Type:
			v, n := protowire.ConsumeFixed32(b)
			fn(num, v)
			b = b[n:]
		case protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			fn(num, v)
			b = b[n:]
		default:
			t.Fatalf("wire type %d", typ)
		}
	}
}

func TestTrainedModelExports(t *testing.T) {
	ds := blobs(8, 24, 4, 3)
	m := nn.NewSequential(nn.NewLinear(nn.NewRand(1), 4, 6), nn.NewBatchNorm1d(6), nn.ReLU(), nn.NewLinear(nn.NewRand(2), 6, 3))
	tr, err := New(Config{Model: m, Loss: CrossEntropyLoss(0), Optimizer: NewAdam(0.05), Train: ds, BatchSize: 8, Epochs: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	bn := m.Children()[1].(*nn.BatchNorm)
	if bn.NumBatches.Int64s()[0] != 24 || bn.RunningVar.Float32s()[0] == 1 {
		t.Fatalf("BatchNorm statistics were not written back: %v %v", bn.NumBatches, bn.RunningVar)
	}
	want, err := tr.Predict(context.Background(), ds.X)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := nn.Export(m, []int64{24, 4}, path); err != nil {
		t.Fatal(err)
	}
	model, err := importer.Load(path, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	prog, err := cpu.Compile(model.Graph, backends.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.Run(context.Background(), map[string]*tensor.Tensor{"input": ds.X})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out["output"].Float32s() {
		closeTo(t, "exported output", float64(v), float64(want.Float32s()[i]), 1e-5)
	}
	if _, acc, err := tr.Evaluate(context.Background(), ds); err != nil || acc < 0.9 {
		t.Fatalf("accuracy %g: %v", acc, err)
	}
}

func TestFrozenParameters(t *testing.T) {
	m := mlp(3, 4, 6, 3, 0)
	frozen := m.Params()[0].T.Clone()
	trainable := m.Params()[2].T.Clone()
	tr, err := New(Config{Model: m, Loss: CrossEntropyLoss(0), Optimizer: NewSGD(0.1), Train: blobs(1, 8, 4, 3),
		BatchSize: 4, Epochs: 2, Frozen: func(name string) bool { return strings.HasPrefix(name, "0.") }})
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Trainable()) != 2 {
		t.Fatalf("trainable %v", tr.Trainable())
	}
	if _, err := tr.Fit(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(frozen.Bytes(), m.Params()[0].T.Bytes()) {
		t.Fatal("a frozen parameter changed")
	}
	if bytes.Equal(trainable.Bytes(), m.Params()[2].T.Bytes()) {
		t.Fatal("a trainable parameter did not change")
	}
}
