// Package ir is onyx's intermediate representation: a graph of operations
// in static single-assignment form. A Func holds parameters, constants,
// nodes in topological order and results; every Value is defined exactly
// once. The package also holds the op table (the one declaration of every
// operator: arity, attributes, types, shape function), the verifier Check,
// shape inference, and a text form that Print writes and Parse reads back.
//
// The package knows nothing of protobuf or of kernels.
package ir

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// Dim is one dimension of a shape: a known size, a named symbolic size
// ("batch", "seq"), or unknown (Size < 0 and Param == "").
type Dim struct {
	Size  int64  // the size, or -1 when not known
	Param string // the symbolic name when Size is not known; may be empty
}

// Known returns a dim of fixed size n.
func Known(n int64) Dim { return Dim{Size: n} }

// Sym returns a symbolic dim.
func Sym(name string) Dim { return Dim{Size: -1, Param: name} }

// Unknown returns a dim that is neither known nor named.
func Unknown() Dim { return Dim{Size: -1} }

// IsKnown reports whether d has a fixed size.
func (d Dim) IsKnown() bool { return d.Size >= 0 }

func (d Dim) String() string {
	switch {
	case d.Size >= 0:
		return strconv.FormatInt(d.Size, 10)
	case d.Param != "":
		return d.Param
	}
	return "?"
}

// Kind says what sort of value a Type describes.
type Kind uint8

// The kinds of value.
const (
	KindUnknown Kind = iota // type not known (not yet inferred)
	KindTensor
	KindSequence
	KindMap
	KindOptional
	KindSparseTensor
)

// Type is the type of a Value: a tensor (element type and shape), a
// sequence or optional of an inner type, a map from a key element type to a
// value type, or a sparse tensor.
type Type struct {
	Kind  Kind
	Elem  tensor.DType // tensor and sparse-tensor element type; map key type
	Shape []Dim        // dims of a tensor; meaningful when HasShape
	// HasShape is false when not even the rank is known.
	HasShape bool
	Inner    *Type // element type of a sequence or optional; value type of a map
}

// TensorType returns the type of a tensor with the given element type and
// known dims.
func TensorType(dt tensor.DType, dims ...int64) Type {
	s := make([]Dim, len(dims))
	for i, d := range dims {
		s[i] = Known(d)
	}
	return Type{Kind: KindTensor, Elem: dt, Shape: s, HasShape: true}
}

// TensorOf returns a tensor type with the given dims.
func TensorOf(dt tensor.DType, dims []Dim) Type {
	return Type{Kind: KindTensor, Elem: dt, Shape: append([]Dim{}, dims...), HasShape: true}
}

// UnrankedTensor returns the type of a tensor of unknown rank.
func UnrankedTensor(dt tensor.DType) Type { return Type{Kind: KindTensor, Elem: dt} }

// SequenceOf returns the type of a sequence of t.
func SequenceOf(t Type) Type { return Type{Kind: KindSequence, Inner: &t} }

// OptionalOf returns the type of an optional t.
func OptionalOf(t Type) Type { return Type{Kind: KindOptional, Inner: &t} }

// MapOf returns the type of a map from key to value.
func MapOf(key tensor.DType, value Type) Type { return Type{Kind: KindMap, Elem: key, Inner: &value} }

// IsTensor reports whether t is a tensor type.
func (t Type) IsTensor() bool { return t.Kind == KindTensor }

// Rank returns the rank, or -1 when it is not known.
func (t Type) Rank() int {
	if !t.HasShape {
		return -1
	}
	return len(t.Shape)
}

// StaticShape returns the dims as ints when all are known.
func (t Type) StaticShape() ([]int, bool) {
	if !t.HasShape {
		return nil, false
	}
	s := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		if !d.IsKnown() {
			return nil, false
		}
		s[i] = int(d.Size)
	}
	return s, true
}

// Equal reports whether two types are the same.
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.Elem != u.Elem || t.HasShape != u.HasShape || len(t.Shape) != len(u.Shape) {
		return false
	}
	for i := range t.Shape {
		if t.Shape[i] != u.Shape[i] {
			return false
		}
	}
	if (t.Inner == nil) != (u.Inner == nil) {
		return false
	}
	return t.Inner == nil || t.Inner.Equal(*u.Inner)
}

// Clone returns a deep copy of t.
func (t Type) Clone() Type {
	c := t
	c.Shape = append([]Dim(nil), t.Shape...)
	if t.Inner != nil {
		in := t.Inner.Clone()
		c.Inner = &in
	}
	return c
}

// String writes the type in the text IR's syntax: f32[batch,3,224,224],
// f32[*] (unknown rank), seq<f32[?]>, opt<...>, map<i64,f32[?]>,
// sparse<f32[10]>, and ? for an unknown type.
func (t Type) String() string {
	switch t.Kind {
	case KindTensor, KindSparseTensor:
		var b strings.Builder
		if t.Kind == KindSparseTensor {
			b.WriteString("sparse<")
		}
		b.WriteString(t.Elem.Short())
		if !t.HasShape {
			b.WriteString("[*]")
		} else {
			b.WriteByte('[')
			for i, d := range t.Shape {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(d.String())
			}
			b.WriteByte(']')
		}
		if t.Kind == KindSparseTensor {
			b.WriteString(">")
		}
		return b.String()
	case KindSequence:
		return "seq<" + innerString(t.Inner) + ">"
	case KindOptional:
		return "opt<" + innerString(t.Inner) + ">"
	case KindMap:
		return fmt.Sprintf("map<%s,%s>", t.Elem.Short(), innerString(t.Inner))
	}
	return "?"
}

func innerString(t *Type) string {
	if t == nil {
		return "?"
	}
	return t.String()
}
