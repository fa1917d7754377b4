package nn

import (
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// Module is a layer or a model: it emits its computation into a Graph and
// lists the tensors it owns.
type Module interface {
	// Forward emits the module applied to x and returns the result.
	Forward(g *Graph, x *ir.Value) *ir.Value
	// Params lists the trainable tensors, named relative to the module.
	Params() []Tensor
	// Buffers lists the state that is saved but not trained (BatchNorm's
	// running statistics), named relative to the module.
	Buffers() []Tensor
	// SetTraining switches training behaviour (Dropout, BatchNorm) on or
	// off, for the module and everything inside it.
	SetTraining(on bool)
}

// Tensor is a named parameter or buffer. T is owned by its layer: the
// trainer updates it in place.
type Tensor struct {
	Name string
	T    *tensor.Tensor
}

// Container holds named child modules and implements Params, Buffers and
// SetTraining for a composite module that embeds it; the composite writes
// only Forward. Children's tensors are named "child.name".
type Container struct {
	names []string
	mods  []Module
}

// Add registers a child module under name and returns it.
func (c *Container) Add(name string, m Module) Module {
	c.names = append(c.names, name)
	c.mods = append(c.mods, m)
	return m
}

// Children returns the child modules in the order they were added.
func (c *Container) Children() []Module { return c.mods }

// Params lists the children's parameters with prefixed names.
func (c *Container) Params() []Tensor {
	var out []Tensor
	for i, m := range c.mods {
		out = append(out, prefixed(c.names[i], m.Params())...)
	}
	return out
}

// Buffers lists the children's buffers with prefixed names.
func (c *Container) Buffers() []Tensor {
	var out []Tensor
	for i, m := range c.mods {
		out = append(out, prefixed(c.names[i], m.Buffers())...)
	}
	return out
}

// SetTraining switches every child.
func (c *Container) SetTraining(on bool) {
	for _, m := range c.mods {
		m.SetTraining(on)
	}
}

func prefixed(prefix string, ts []Tensor) []Tensor {
	out := make([]Tensor, len(ts))
	for i, t := range ts {
		out[i] = Tensor{Name: prefix + "." + t.Name, T: t.T}
		if prefix == "" {
			out[i].Name = t.Name
		}
	}
	return out
}

// Sequential applies its children in order; they are named "0", "1", ...
// as in PyTorch.
type Sequential struct {
	Container
}

// NewSequential returns a Sequential of the given modules.
func NewSequential(ms ...Module) *Sequential {
	s := &Sequential{}
	for _, m := range ms {
		s.Append(m)
	}
	return s
}

// Append adds a module at the end.
func (s *Sequential) Append(m Module) {
	s.Add(itoa(len(s.mods)), m)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// Forward applies each child in turn.
func (s *Sequential) Forward(g *Graph, x *ir.Value) *ir.Value {
	for _, m := range s.mods {
		x = m.Forward(g, x)
	}
	return x
}

// stateless is embedded by layers without tensors.
type stateless struct{}

func (stateless) Params() []Tensor  { return nil }
func (stateless) Buffers() []Tensor { return nil }
func (stateless) SetTraining(bool)  {}

// Residual computes x + Body(x), with an optional Shortcut applied to x
// (a 1×1 convolution when the shapes differ, as in ResNet) and an optional
// activation after the sum. Tensors are named "body.*" and "shortcut.*".
type Residual struct {
	Container
	Body, Shortcut, After Module
}

// NewResidual returns x + body(x) (or shortcut(x) + body(x) when shortcut
// is not nil).
func NewResidual(body, shortcut Module) *Residual {
	r := &Residual{Body: body, Shortcut: shortcut}
	r.Add("body", body)
	if shortcut != nil {
		r.Add("shortcut", shortcut)
	}
	return r
}

// Forward emits body(x) + shortcut(x).
func (r *Residual) Forward(g *Graph, x *ir.Value) *ir.Value {
	y := r.Body.Forward(g, x)
	s := x
	if r.Shortcut != nil {
		s = r.Shortcut.Forward(g, x)
	}
	out := g.Op("Add", []*ir.Value{y, s})
	if r.After != nil {
		out = r.After.Forward(g, out)
	}
	return out
}

// Branches applies each branch to the same input and concatenates the
// results along Axis (1, the channels, by default), as Inception blocks
// do. Branches are named "0", "1", ...
type Branches struct {
	Container
	Axis int64
}

// NewBranches returns the concatenation of the branches along the
// channel axis.
func NewBranches(ms ...Module) *Branches {
	b := &Branches{Axis: 1}
	for i, m := range ms {
		b.Add(itoa(i), m)
	}
	return b
}

// Forward emits Concat(branch0(x), branch1(x), ...).
func (b *Branches) Forward(g *Graph, x *ir.Value) *ir.Value {
	outs := make([]*ir.Value, len(b.mods))
	for i, m := range b.mods {
		outs[i] = m.Forward(g, x)
	}
	return Concat(g, b.Axis, outs...)
}

// Add emits a + b, the residual sum.
func Add(g *Graph, a, b *ir.Value) *ir.Value { return g.Op("Add", []*ir.Value{a, b}) }

// Concat emits the concatenation of xs along axis.
func Concat(g *Graph, axis int64, xs ...*ir.Value) *ir.Value {
	return g.Op("Concat", xs, ir.AInt("axis", axis))
}
