// Package kernels is the CPU backend's kernel registry: the Kernel type,
// the context a kernel runs in, registration keyed by op, domain, opset
// range and element type, and helpers shared by the op families
// (broadcasting, index gathers). The kernels themselves live in one
// package per op family beside this one.
package kernels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Kernel executes one node on its input values (nil for omitted optional
// inputs) and returns one value per node output (nil for an omitted one).
type Kernel func(c *Ctx, in []tensor.Value) ([]tensor.Value, error)

// TensorKernel is a Kernel whose inputs and outputs are all tensors.
type TensorKernel func(c *Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error)

// KernelDef registers a kernel for an op over a range of opset versions
// and element types.
type KernelDef struct {
	Domain string // "" for ai.onnx
	Op     string
	// Since and Until bound the opset versions the kernel implements;
	// Until 0 means no upper bound.
	Since, Until int
	// Types lists the element types accepted for input TypeInput; nil
	// accepts every type.
	Types     []tensor.DType
	TypeInput int
	Run       Kernel
}

var (
	kmu     sync.RWMutex
	kernels = map[string][]KernelDef{}
)

// Register adds kernels to the registry.
func Register(defs ...KernelDef) {
	kmu.Lock()
	defer kmu.Unlock()
	for _, d := range defs {
		d.Domain = ir.NormDomain(d.Domain)
		if d.Run == nil {
			panic("cpu: kernel " + d.Op + " has no Run")
		}
		k := d.Domain + ":" + d.Op
		kernels[k] = append(kernels[k], d)
	}
}

// Tensors adapts a TensorKernel to a Kernel; an input that is not a
// tensor is an error naming the input.
func Tensors(fn TensorKernel) Kernel {
	return func(c *Ctx, in []tensor.Value) ([]tensor.Value, error) {
		ts := make([]*tensor.Tensor, len(in))
		for i, v := range in {
			if v == nil {
				continue
			}
			t, ok := v.(*tensor.Tensor)
			if !ok {
				return nil, fmt.Errorf("input %d is a %T, want a tensor", i, v)
			}
			ts[i] = t
		}
		outs, err := fn(c, ts)
		if err != nil {
			return nil, err
		}
		vs := make([]tensor.Value, len(outs))
		for i, t := range outs {
			if t != nil {
				vs[i] = t
			}
		}
		return vs, nil
	}
}

// Simple registers a tensor kernel for an op at every opset.
func Simple(op string, fn TensorKernel) KernelDef {
	return KernelDef{Op: op, Since: 1, Run: Tensors(fn)}
}

// Lookup returns the kernels registered for the node's op whose
// opset range covers the node's opset.
func Lookup(n *ir.Node) []KernelDef {
	kmu.RLock()
	defer kmu.RUnlock()
	var out []KernelDef
	for _, d := range kernels[ir.NormDomain(n.Domain)+":"+n.Op] {
		if n.Opset >= d.Since && (d.Until == 0 || n.Opset <= d.Until) {
			out = append(out, d)
		}
	}
	return out
}

// HasKernel reports whether some kernel implements op in domain at any
// opset, for the op-table completeness test.
func HasKernel(domain, op string) bool {
	kmu.RLock()
	defer kmu.RUnlock()
	return len(kernels[ir.NormDomain(domain)+":"+op]) > 0
}

// KernelOps lists "domain:op" for every registered kernel.
func KernelOps() []string {
	kmu.RLock()
	defer kmu.RUnlock()
	var ks []string
	for k := range kernels {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Ctx is what a kernel sees of the node it runs and the run it is part of.
type Ctx struct {
	Node *ir.Node
	// Opset is the version of the node's domain the model imports.
	Opset   int
	Context context.Context
	// Seed seeds the random source of a node without a seed attribute.
	Seed uint64
	// Graphs runs subgraphs; set by the interpreter.
	Graphs GraphRunner
	// Stable marks the inputs whose values stay the same for the whole
	// life of the compiled program (constants, and values the interpreter
	// computed from constants ahead of the runs), so that a kernel may
	// cache work derived from them, such as packed weights.
	Stable []bool
}

// InputStable reports whether input i keeps its value for the program's
// life (see Ctx.Stable).
func (c *Ctx) InputStable(i int) bool { return c != nil && i < len(c.Stable) && c.Stable[i] }

// GraphRunner runs a subgraph of the current node in the current scope.
type GraphRunner interface {
	RunGraph(g *ir.Func, args []tensor.Value) ([]tensor.Value, error)
}

// Errorf returns an error; the interpreter adds the node's name and op.
func (c *Ctx) Errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// Attribute accessors; defaults come from the op table.

// Int returns an int attribute.
func (c *Ctx) Int(name string) int64 { return c.Node.Int(name) }

// Float returns a float attribute.
func (c *Ctx) Float(name string) float32 { return c.Node.Float(name) }

// Str returns a string attribute.
func (c *Ctx) Str(name string) string { return c.Node.Str(name) }

// Ints returns an ints attribute.
func (c *Ctx) Ints(name string) []int64 { return c.Node.Ints(name) }

// Floats returns a floats attribute.
func (c *Ctx) Floats(name string) []float32 { return c.Node.Floats(name) }

// Strings returns a strings attribute.
func (c *Ctx) Strings(name string) []string { return c.Node.Strings(name) }

// Has reports whether the node sets an attribute.
func (c *Ctx) Has(name string) bool { return c.Node.HasAttr(name) }

// Rand returns a random source for the node: seeded by the node's "seed"
// attribute when set, else by the program's seed and the node's position,
// so that runs are reproducible.
func (c *Ctx) Rand() *rand.Rand {
	if a := c.Node.Attr("seed"); a != nil {
		s := uint64(int64(a.F))
		if a.Type == ir.AttrInt {
			s = uint64(a.I)
		}
		return rand.New(rand.NewPCG(s, 0x9e3779b97f4a7c15))
	}
	return rand.New(rand.NewPCG(c.Seed, 0x2545f4914f6cdd1d))
}

// RunGraph runs subgraph g (an attribute of the current node) with the
// given parameter values; g may read any value visible to the node.
func (c *Ctx) RunGraph(g *ir.Func, args []tensor.Value) ([]tensor.Value, error) {
	if c.Graphs == nil {
		return nil, fmt.Errorf("no subgraph runner")
	}
	return c.Graphs.RunGraph(g, args)
}
