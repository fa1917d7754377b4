// Package backends defines what executes a graph: a Backend compiles an
// ir.Func into a Program, and a Program runs it on tensors. Backends
// register themselves by name; callers look them up.
package backends

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Backend lowers graphs for one kind of device.
type Backend interface {
	// Name is the name users select the backend by ("cpu", "vulkan").
	Name() string
	// Supports reports whether the node can run on this backend.
	Supports(n *ir.Node) bool
	// Compile lowers f into a Program.
	Compile(f *ir.Func, o Options) (Program, error)
}

// Program is a compiled graph. It is immutable and safe for concurrent
// Run calls.
type Program interface {
	// Run executes the graph on tensor inputs, keyed by parameter name,
	// and returns the tensor results keyed by result name.
	Run(ctx context.Context, in map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error)
	// RunValues is Run for graphs whose inputs or outputs include
	// sequences, optionals or maps.
	RunValues(ctx context.Context, in map[string]tensor.Value) (map[string]tensor.Value, error)
}

// Options tune compilation.
type Options struct {
	// Threads bounds the worker goroutines one Run may use; 0 means
	// GOMAXPROCS.
	Threads int
	// Seed seeds the random ops (RandomNormal, Dropout, ...) whose nodes
	// set no seed of their own, so that runs are reproducible.
	Seed int64
	// ModelName names the model in error messages.
	ModelName string
}

var (
	mu       sync.RWMutex
	registry = map[string]Backend{}
)

// Register makes a backend available under its name.
func Register(b Backend) {
	mu.Lock()
	defer mu.Unlock()
	registry[b.Name()] = b
}

// Lookup returns the backend called name.
func Lookup(name string) (Backend, error) {
	mu.RLock()
	defer mu.RUnlock()
	b, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("backends: no backend %q (have %v)", name, namesLocked())
	}
	return b, nil
}

// Names lists the registered backends.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	return namesLocked()
}

func namesLocked() []string {
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}
