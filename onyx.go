// Package onyx is the embedding API of onyx, a pure-Go ONNX runtime: load
// a model, compile it for a backend, run it on tensors.
//
//	m, err := onyx.Load("model.onnx")
//	s, err := m.Compile(onyx.WithThreads(4))
//	out, err := s.Run(ctx, map[string]*tensor.Tensor{"x": x})
//
// The CPU reference backend is always available. A Session is safe for
// concurrent use by many goroutines.
package onyx

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/onyxgo/onyx/backends"
	_ "github.com/onyxgo/onyx/backends/cpu" // the reference backend, always present
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Model is a loaded ONNX model.
type Model struct {
	m    *ir.Model
	name string
}

// Load reads an .onnx file. External data files are looked up beside it.
func Load(path string) (*Model, error) {
	m, err := importer.Load(path, importer.Options{BaseDir: filepath.Dir(path)})
	if err != nil {
		return nil, err
	}
	return &Model{m: m, name: filepath.Base(path)}, nil
}

// LoadBytes decodes a serialized ONNX model. A model with external data
// needs Load, which knows where to find the data files.
func LoadBytes(data []byte) (*Model, error) {
	m, err := importer.Decode(data, importer.Options{})
	if err != nil {
		return nil, err
	}
	return &Model{m: m, name: m.Graph.Name}, nil
}

// FromIR wraps a model built with package ir.
func FromIR(m *ir.Model) *Model { return &Model{m: m, name: m.Graph.Name} }

// IR returns the model's graph in onyx's intermediate representation.
func (m *Model) IR() *ir.Model { return m.m }

// Inputs describes the model's inputs in order.
func (m *Model) Inputs() []ValueInfo { return paramInfo(m.m.Graph) }

// Outputs describes the model's outputs in order.
func (m *Model) Outputs() []ValueInfo { return resultInfo(m.m.Graph) }

// ValueInfo names an input or output and gives its type.
type ValueInfo struct {
	Name string
	Type ir.Type
	// HasDefault is set for an input that the model gives a default value
	// to, so a caller need not feed it.
	HasDefault bool
}

func (v ValueInfo) String() string { return v.Name + " " + v.Type.String() }

func paramInfo(g *ir.Func) []ValueInfo {
	out := make([]ValueInfo, len(g.Params))
	for i, p := range g.Params {
		out[i] = ValueInfo{Name: p.Name, Type: p.Type, HasDefault: p.Const != nil}
	}
	return out
}

func resultInfo(g *ir.Func) []ValueInfo {
	out := make([]ValueInfo, len(g.Results))
	for i, r := range g.Results {
		out[i] = ValueInfo{Name: r.Name, Type: r.Type}
	}
	return out
}

// Option tunes Compile.
type Option func(*config)

type config struct {
	backend string
	opts    backends.Options
}

// WithBackend selects the backend by name ("cpu" is the default).
func WithBackend(name string) Option { return func(c *config) { c.backend = name } }

// WithThreads bounds the goroutines one Run may use; 0 means GOMAXPROCS.
func WithThreads(n int) Option { return func(c *config) { c.opts.Threads = n } }

// WithSeed seeds the random ops (RandomNormal, Dropout, ...) so that runs
// are reproducible.
func WithSeed(seed int64) Option { return func(c *config) { c.opts.Seed = seed } }

// Session is a model compiled for a backend, ready to run. It is safe for
// concurrent Run calls.
type Session struct {
	prog    backends.Program
	inputs  []ValueInfo
	outputs []ValueInfo
	backend string
}

// Compile prepares the model to run. The model must not be changed while
// sessions compiled from it run.
func (m *Model) Compile(opts ...Option) (*Session, error) {
	c := config{backend: "cpu"}
	c.opts.ModelName = m.name
	for _, o := range opts {
		o(&c)
	}
	if c.opts.Threads < 0 {
		return nil, fmt.Errorf("onyx: WithThreads(%d): want 0 or more", c.opts.Threads)
	}
	b, err := backends.Lookup(c.backend)
	if err != nil {
		return nil, fmt.Errorf("onyx: %w", err)
	}
	p, err := b.Compile(m.m.Graph, c.opts)
	if err != nil {
		return nil, fmt.Errorf("onyx: model %s: %w", m.name, err)
	}
	return &Session{prog: p, inputs: m.Inputs(), outputs: m.Outputs(), backend: c.backend}, nil
}

// Backend returns the name of the backend the session runs on.
func (s *Session) Backend() string { return s.backend }

// Inputs describes the session's inputs in order.
func (s *Session) Inputs() []ValueInfo { return append([]ValueInfo(nil), s.inputs...) }

// Outputs describes the session's outputs in order.
func (s *Session) Outputs() []ValueInfo { return append([]ValueInfo(nil), s.outputs...) }

// Run runs the model on tensors keyed by input name and returns the
// outputs keyed by output name. Inputs with defaults may be left out.
func (s *Session) Run(ctx context.Context, inputs map[string]*tensor.Tensor) (map[string]*tensor.Tensor, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return s.prog.Run(ctx, inputs)
}

// RunValues is Run for models whose inputs or outputs include sequences,
// optionals or maps.
func (s *Session) RunValues(ctx context.Context, inputs map[string]tensor.Value) (map[string]tensor.Value, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return s.prog.RunValues(ctx, inputs)
}
