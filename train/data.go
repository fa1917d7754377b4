package train

import (
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"

	"github.com/onyxgo/onyx/tensor"
)

// Dataset is a sequence of examples, each an input and a target tensor.
// A Loader with several workers calls Example concurrently.
type Dataset interface {
	Len() int
	Example(i int) (x, y *tensor.Tensor, err error)
}

// Batcher is a Dataset that assembles a batch faster than example by
// example.
type Batcher interface {
	Batch(idx []int) (x, y *tensor.Tensor, err error)
}

// TensorDataset holds examples as the rows of two tensors (the first axis
// indexes examples).
type TensorDataset struct {
	X, Y *tensor.Tensor
}

// NewTensorDataset checks that x and y have the same number of rows.
func NewTensorDataset(x, y *tensor.Tensor) (*TensorDataset, error) {
	if x.Rank() == 0 || y.Rank() == 0 || x.Dim(0) != y.Dim(0) {
		return nil, fmt.Errorf("train: inputs %v and targets %v must have the same number of rows", x.Shape(), y.Shape())
	}
	return &TensorDataset{x, y}, nil
}

// Len returns the number of rows.
func (d *TensorDataset) Len() int { return d.X.Dim(0) }

// Example returns row i of X and Y.
func (d *TensorDataset) Example(i int) (*tensor.Tensor, *tensor.Tensor, error) {
	if i < 0 || i >= d.Len() {
		return nil, nil, fmt.Errorf("train: example %d out of range [0, %d)", i, d.Len())
	}
	return dropFirst(rows(d.X, i, i+1)), dropFirst(rows(d.Y, i, i+1)), nil
}

// Batch gathers rows idx of X and Y.
func (d *TensorDataset) Batch(idx []int) (*tensor.Tensor, *tensor.Tensor, error) {
	x, err := gather(d.X, idx)
	if err != nil {
		return nil, nil, err
	}
	y, err := gather(d.Y, idx)
	return x, y, err
}

func dropFirst(t *tensor.Tensor) *tensor.Tensor {
	r, _ := t.Reshape(t.Shape()[1:]...)
	return r
}

func gather(t *tensor.Tensor, idx []int) (*tensor.Tensor, error) {
	n := t.Dim(0)
	per := len(t.Bytes()) / max(n, 1)
	shape := append([]int{len(idx)}, t.Shape()[1:]...)
	out := tensor.New(t.DType(), shape...)
	src, dst := t.Bytes(), out.Bytes()
	for k, i := range idx {
		if i < 0 || i >= n {
			return nil, fmt.Errorf("train: example %d out of range [0, %d)", i, n)
		}
		copy(dst[k*per:(k+1)*per], src[i*per:(i+1)*per])
	}
	return out, nil
}

// stack joins example tensors of one shape into a batch [len, ...].
func stack(ts []*tensor.Tensor) (*tensor.Tensor, error) {
	first := ts[0]
	shape := append([]int{len(ts)}, first.Shape()...)
	out := tensor.New(first.DType(), shape...)
	per := len(first.Bytes())
	for k, t := range ts {
		if t.DType() != first.DType() || !equalInts(t.Shape(), first.Shape()) {
			return nil, fmt.Errorf("train: example %d is %s%v, the first of the batch is %s%v", k, t.DType(), t.Shape(), first.DType(), first.Shape())
		}
		copy(out.Bytes()[k*per:], t.Bytes())
	}
	return out, nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// batchOf assembles the examples idx of ds.
func batchOf(ds Dataset, idx []int) (*tensor.Tensor, *tensor.Tensor, error) {
	if b, ok := ds.(Batcher); ok {
		return b.Batch(idx)
	}
	xs, ys := make([]*tensor.Tensor, len(idx)), make([]*tensor.Tensor, len(idx))
	for k, i := range idx {
		x, y, err := ds.Example(i)
		if err != nil {
			return nil, nil, err
		}
		xs[k], ys[k] = x, y
	}
	x, err := stack(xs)
	if err != nil {
		return nil, nil, fmt.Errorf("train: inputs: %w", err)
	}
	y, err := stack(ys)
	if err != nil {
		return nil, nil, fmt.Errorf("train: targets: %w", err)
	}
	return x, y, nil
}

// subset is a view of some examples of a dataset.
type subset struct {
	ds  Dataset
	idx []int
}

// Subset returns the examples idx of ds, in that order.
func Subset(ds Dataset, idx []int) Dataset { return &subset{ds, idx} }

func (s *subset) Len() int { return len(s.idx) }
func (s *subset) Example(i int) (*tensor.Tensor, *tensor.Tensor, error) {
	if i < 0 || i >= len(s.idx) {
		return nil, nil, fmt.Errorf("train: example %d out of range [0, %d)", i, len(s.idx))
	}
	return s.ds.Example(s.idx[i])
}
func (s *subset) Batch(idx []int) (*tensor.Tensor, *tensor.Tensor, error) {
	m := make([]int, len(idx))
	for k, i := range idx {
		if i < 0 || i >= len(s.idx) {
			return nil, nil, fmt.Errorf("train: example %d out of range [0, %d)", i, len(s.idx))
		}
		m[k] = s.idx[i]
	}
	return batchOf(s.ds, m)
}

// cached remembers the examples of a dataset once computed.
type cached struct {
	ds Dataset
	mu sync.Mutex
	x  map[int][2]*tensor.Tensor
}

// Cache wraps a dataset whose examples are costly to make (decoded,
// augmented deterministically, preprocessed) so that each is made once and
// then served from memory.
func Cache(ds Dataset) Dataset { return &cached{ds: ds, x: map[int][2]*tensor.Tensor{}} }

func (c *cached) Len() int { return c.ds.Len() }
func (c *cached) Example(i int) (*tensor.Tensor, *tensor.Tensor, error) {
	c.mu.Lock()
	e, ok := c.x[i]
	c.mu.Unlock()
	if ok {
		return e[0], e[1], nil
	}
	x, y, err := c.ds.Example(i)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	c.x[i] = [2]*tensor.Tensor{x, y}
	c.mu.Unlock()
	return x, y, nil
}

// Loader cuts a dataset into batches: shuffled per epoch from Seed (the
// same order for the same seed and epoch, so that a resumed run sees the
// batches an uninterrupted one would), assembled ahead of use by Workers
// goroutines, at most Prefetch batches ahead.
type Loader struct {
	Data      Dataset
	BatchSize int
	Shuffle   bool
	Seed      uint64
	// DropLast drops a last batch smaller than BatchSize.
	DropLast bool
	// Workers assemble batches concurrently (1 when 0).
	Workers int
	// Prefetch bounds the batches made ahead (2 when 0).
	Prefetch int
}

// Batch is one batch of a loader.
type Batch struct {
	X, Y  *tensor.Tensor
	Index int // position in the epoch
}

// NumBatches returns the number of batches per epoch.
func (l *Loader) NumBatches() int {
	n, b := l.Data.Len(), max(l.BatchSize, 1)
	if l.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the order of the examples in epoch e.
func (l *Loader) Order(e int) []int {
	n := l.Data.Len()
	if !l.Shuffle {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rand.New(rand.NewPCG(l.Seed, uint64(e)+0x5eed)).Perm(n)
}

type batchResult struct {
	b   Batch
	err error
}

// Batches yields the batches of epoch e from batch skip on. Stopping the
// loop early, or cancelling ctx, stops the workers.
func (l *Loader) Batches(ctx context.Context, e, skip int) iter.Seq2[Batch, error] {
	return func(yield func(Batch, error) bool) {
		if l.BatchSize <= 0 {
			yield(Batch{}, fmt.Errorf("train: batch size %d", l.BatchSize))
			return
		}
		order := l.Order(e)
		nb := l.NumBatches()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ahead := make(chan chan batchResult, max(l.Prefetch, 2))
		sem := make(chan struct{}, max(l.Workers, 1))
		go func() {
			defer close(ahead)
			for j := skip; j < nb; j++ {
				ch := make(chan batchResult, 1)
				select {
				case ahead <- ch:
				case <-ctx.Done():
					return
				}
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				go func(j int) {
					defer func() { <-sem }()
					hi := min((j+1)*l.BatchSize, len(order))
					x, y, err := batchOf(l.Data, order[j*l.BatchSize:hi])
					ch <- batchResult{Batch{x, y, j}, err}
				}(j)
			}
		}()
		for ch := range ahead {
			var r batchResult
			select {
			case r = <-ch:
			case <-ctx.Done():
				yield(Batch{}, ctx.Err())
				return
			}
			if !yield(r.b, r.err) || r.err != nil {
				return
			}
		}
		if err := ctx.Err(); err != nil {
			yield(Batch{}, err)
		}
	}
}

// KFold splits n examples into k folds (shuffled from seed when shuffle)
// and returns, for each fold, the training and validation indices.
func KFold(n, k int, shuffle bool, seed uint64) ([][2][]int, error) {
	if k < 2 || k > n {
		return nil, fmt.Errorf("train: %d folds for %d examples", k, n)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if shuffle {
		idx = rand.New(rand.NewPCG(seed, 0xf01d)).Perm(n)
	}
	folds := make([][2][]int, k)
	lo := 0
	for f := 0; f < k; f++ {
		// The first n%k folds hold one more example, as scikit-learn's.
		size := n / k
		if f < n%k {
			size++
		}
		val := append([]int{}, idx[lo:lo+size]...)
		tr := append(append([]int{}, idx[:lo]...), idx[lo+size:]...)
		folds[f] = [2][]int{tr, val}
		lo += size
	}
	return folds, nil
}
