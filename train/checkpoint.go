package train

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/nn"
)

// A checkpoint is a safetensors file: the parameters as "param/<name>",
// the buffers as "buffer/<name>", the optimizer's state as
// "optim/<slot>/<name>", and in the metadata the position (epoch, batch,
// step), the random generator's state, the learning rate, the schedule's
// state, the history and the early-stopping counter. It is written
// atomically, so that a crash leaves the previous one whole.

const checkpointFormat = "onyx-train-checkpoint/1"

// fl writes a float so that NaN and infinities survive (JSON has no
// spelling for them).
func fl(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type savedEpoch [8]string

func (t *Trainer) metadata() (map[string]string, error) {
	rng, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	epochs := make([]savedEpoch, len(t.hist.Epochs))
	for i, e := range t.hist.Epochs {
		epochs[i] = savedEpoch{strconv.Itoa(e.Epoch), fl(e.TrainLoss), fl(e.ValLoss), fl(e.TrainAcc), fl(e.ValAcc),
			fl(e.LR), fl(e.Seconds), fl(e.SamplesPerSecond)}
	}
	hist, err := json.Marshal(epochs)
	if err != nil {
		return nil, err
	}
	m := map[string]string{
		"format":     checkpointFormat,
		"epoch":      strconv.Itoa(t.epoch),
		"batch":      strconv.Itoa(t.batch),
		"step":       strconv.FormatInt(t.step, 10),
		"rng":        hex.EncodeToString(rng),
		"lr":         fl(t.cfg.Optimizer.LR()),
		"history":    string(hist),
		"best":       fl(t.hist.Best),
		"best_epoch": strconv.Itoa(t.hist.BestEpoch),
		"bad":        strconv.Itoa(t.bad),
		"loss_sum":   fl(t.lossSum),
		"seen":       strconv.Itoa(t.seen),
		"correct":    strconv.Itoa(t.correct),
		"classified": strconv.FormatBool(t.classified),
		"seconds":    fl(t.epochSeconds),
		"batch_size": strconv.Itoa(t.cfg.BatchSize),
		"seed":       strconv.FormatUint(t.cfg.Seed, 10),
		"optimizer":  fmt.Sprintf("%T", t.cfg.Optimizer),
	}
	if s, ok := t.cfg.Schedule.(Stateful); ok {
		b, err := s.MarshalState()
		if err != nil {
			return nil, err
		}
		m["schedule"] = string(b)
	}
	return m, nil
}

// SaveCheckpoint writes the trainer's whole state to path, atomically.
func (t *Trainer) SaveCheckpoint(path string) error {
	var ts []nn.Tensor
	for _, p := range t.cfg.Model.Params() {
		ts = append(ts, nn.Tensor{Name: "param/" + p.Name, T: p.T})
	}
	for _, b := range t.cfg.Model.Buffers() {
		ts = append(ts, nn.Tensor{Name: "buffer/" + b.Name, T: b.T})
	}
	for _, s := range t.cfg.Optimizer.State() {
		ts = append(ts, nn.Tensor{Name: "optim/" + s.Name, T: s.T})
	}
	meta, err := t.metadata()
	if err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	if err := nn.WriteSafetensors(path, ts, meta); err != nil {
		return fmt.Errorf("train: checkpoint %s: %w", path, err)
	}
	return nil
}

// LoadCheckpoint restores a state saved by SaveCheckpoint: the model's
// tensors, the optimizer's state, the position, the random generator, the
// schedule and the history; Fit then goes on exactly as the saved run
// would have. The file must match the model tensor by tensor and the
// configuration's batch size and seed; nothing changes when it does not.
func (t *Trainer) LoadCheckpoint(path string) error {
	ts, meta, err := nn.ReadSafetensors(path)
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: checkpoint %s: %s", path, fmt.Sprintf(format, args...))
	}
	if meta["format"] != checkpointFormat {
		return bad("format %q, want %q", meta["format"], checkpointFormat)
	}
	if meta["batch_size"] != strconv.Itoa(t.cfg.BatchSize) || meta["seed"] != strconv.FormatUint(t.cfg.Seed, 10) {
		return bad("saved with batch size %s and seed %s, the configuration has %d and %d",
			meta["batch_size"], meta["seed"], t.cfg.BatchSize, t.cfg.Seed)
	}
	if want := fmt.Sprintf("%T", t.cfg.Optimizer); meta["optimizer"] != want {
		return bad("saved with optimizer %s, the configuration has %s", meta["optimizer"], want)
	}
	var params, bufs, opt []nn.Tensor
	for _, x := range ts {
		kind, name, ok := strings.Cut(x.Name, "/")
		switch {
		case ok && kind == "param":
			params = append(params, nn.Tensor{Name: name, T: x.T})
		case ok && kind == "buffer":
			bufs = append(bufs, nn.Tensor{Name: name, T: x.T})
		case ok && kind == "optim":
			opt = append(opt, nn.Tensor{Name: name, T: x.T})
		default:
			return bad("unexpected tensor %q", x.Name)
		}
	}
	// Parse everything before changing anything.
	ints := map[string]int{}
	for _, k := range []string{"epoch", "batch", "best_epoch", "bad", "seen", "correct"} {
		v, err := strconv.Atoi(meta[k])
		if err != nil {
			return bad("field %q: %v", k, err)
		}
		ints[k] = v
	}
	floats := map[string]float64{}
	for _, k := range []string{"lr", "best", "loss_sum", "seconds"} {
		v, err := strconv.ParseFloat(meta[k], 64)
		if err != nil {
			return bad("field %q: %v", k, err)
		}
		floats[k] = v
	}
	step, err := strconv.ParseInt(meta["step"], 10, 64)
	if err != nil || step < 0 {
		return bad("field \"step\": %q", meta["step"])
	}
	classified, err := strconv.ParseBool(meta["classified"])
	if err != nil {
		return bad("field \"classified\": %v", err)
	}
	rng, err := hex.DecodeString(meta["rng"])
	if err != nil {
		return bad("field \"rng\": %v", err)
	}
	var saved []savedEpoch
	if err := json.Unmarshal([]byte(meta["history"]), &saved); err != nil {
		return bad("field \"history\": %v", err)
	}
	epochs := make([]EpochStats, len(saved))
	for i, s := range saved {
		var v [8]float64
		for j := 1; j < 8; j++ {
			if v[j], err = strconv.ParseFloat(s[j], 64); err != nil {
				return bad("history entry %d: %v", i, err)
			}
		}
		e, err := strconv.Atoi(s[0])
		if err != nil {
			return bad("history entry %d: %v", i, err)
		}
		epochs[i] = EpochStats{Epoch: e, TrainLoss: v[1], ValLoss: v[2], TrainAcc: v[3], ValAcc: v[4], LR: v[5], Seconds: v[6], SamplesPerSecond: v[7]}
	}
	if ints["epoch"] < 0 || ints["batch"] < 0 || ints["batch"] > t.loader.NumBatches() {
		return bad("position epoch %d batch %d is outside the run", ints["epoch"], ints["batch"])
	}
	pcg := rand.NewPCG(0, 0)
	if err := pcg.UnmarshalBinary(rng); err != nil {
		return bad("field \"rng\": %v", err)
	}
	// Check the model's tensors by assigning into copies first.
	state := nn.State(t.cfg.Model)
	scratch := make([]nn.Tensor, len(state))
	for i, s := range state {
		scratch[i] = nn.Tensor{Name: s.Name, T: s.T.Clone()}
	}
	if _, err := nn.Assign(scratch[:len(t.cfg.Model.Params())], params, true, path); err != nil {
		return err
	}
	if _, err := nn.Assign(scratch[len(t.cfg.Model.Params()):], bufs, true, path); err != nil {
		return err
	}
	if err := t.cfg.Optimizer.SetState(opt); err != nil {
		return bad("%v", err)
	}
	if s, ok := t.cfg.Schedule.(Stateful); ok {
		if err := s.UnmarshalState([]byte(meta["schedule"])); err != nil {
			return bad("schedule state: %v", err)
		}
	}
	for i, s := range state {
		copy(s.T.Bytes(), scratch[i].T.Bytes())
	}
	t.cfg.Optimizer.SetLR(floats["lr"])
	*t.pcg = *pcg
	t.epoch, t.batch, t.step = ints["epoch"], ints["batch"], step
	t.hist = History{Epochs: epochs, Best: floats["best"], BestEpoch: ints["best_epoch"]}
	t.bad = ints["bad"]
	t.lossSum, t.seen, t.correct, t.classified = floats["loss_sum"], ints["seen"], ints["correct"], classified
	t.epochSeconds = floats["seconds"]
	return nil
}
