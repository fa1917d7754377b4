package ir

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// AttrType is the type of a node attribute. The values are those of ONNX's
// AttributeProto.AttributeType.
type AttrType uint8

// The attribute types.
const (
	AttrUndefined     AttrType = 0
	AttrFloat         AttrType = 1
	AttrInt           AttrType = 2
	AttrString        AttrType = 3
	AttrTensor        AttrType = 4
	AttrGraph         AttrType = 5
	AttrFloats        AttrType = 6
	AttrInts          AttrType = 7
	AttrStrings       AttrType = 8
	AttrTensors       AttrType = 9
	AttrGraphs        AttrType = 10
	AttrSparseTensor  AttrType = 11
	AttrSparseTensors AttrType = 12
	AttrTypeProto     AttrType = 13
	AttrTypeProtos    AttrType = 14
)

var attrTypeNames = [...]string{"undefined", "float", "int", "string", "tensor", "graph",
	"floats", "ints", "strings", "tensors", "graphs", "sparse_tensor", "sparse_tensors",
	"type", "types"}

func (t AttrType) String() string {
	if int(t) < len(attrTypeNames) {
		return attrTypeNames[t]
	}
	return fmt.Sprintf("AttrType(%d)", uint8(t))
}

// SparseTensor is a sparse constant in ONNX's coordinate form: Values holds
// the non-zero values (rank 1), Indices their positions, either as [NNZ,
// rank] coordinates or as [NNZ] linear indices, and Dims the dense shape.
type SparseTensor struct {
	Values  *tensor.Tensor
	Indices *tensor.Tensor
	Dims    []int
}

// Dense expands s into an ordinary tensor.
func (s *SparseTensor) Dense() (*tensor.Tensor, error) {
	out, err := tensor.Alloc(s.Values.DType(), s.Dims)
	if err != nil {
		return nil, err
	}
	nnz := s.Values.Len()
	strides := tensor.Strides(s.Dims)
	rank := len(s.Dims)
	linear := s.Indices.Rank() == 1
	if !linear && (s.Indices.Rank() != 2 || s.Indices.Dim(0) != nnz || s.Indices.Dim(1) != rank) {
		return nil, fmt.Errorf("sparse tensor: indices shape %v does not fit %d values of rank %d", s.Indices.Shape(), nnz, rank)
	}
	if linear && s.Indices.Len() != nnz {
		return nil, fmt.Errorf("sparse tensor: %d indices for %d values", s.Indices.Len(), nnz)
	}
	for i := 0; i < nnz; i++ {
		pos := 0
		if linear {
			pos = int(s.Indices.Int64At(i))
		} else {
			for d := 0; d < rank; d++ {
				k := int(s.Indices.Int64At(i*rank + d))
				if k < 0 || k >= s.Dims[d] {
					return nil, fmt.Errorf("sparse tensor: index %d out of range for dim %d of size %d", k, d, s.Dims[d])
				}
				pos += k * strides[d]
			}
		}
		if pos < 0 || pos >= out.Len() {
			return nil, fmt.Errorf("sparse tensor: index %d out of range for %d elements", pos, out.Len())
		}
		if out.DType() == tensor.String {
			out.Strings()[pos] = s.Values.Strings()[i]
		} else {
			sz := out.DType().Size()
			copy(out.Bytes()[pos*sz:(pos+1)*sz], s.Values.Bytes()[i*sz:(i+1)*sz])
		}
	}
	return out, nil
}

// Attr is one attribute of a node. Exactly the field matching Type is set.
type Attr struct {
	Name string
	Type AttrType

	F       float32
	I       int64
	S       string
	T       *tensor.Tensor
	G       *Func
	Sparse  *SparseTensor
	TP      *Type
	Floats  []float32
	Ints    []int64
	Strings []string
	Tensors []*tensor.Tensor
	Graphs  []*Func
	Sparses []*SparseTensor
	TPs     []Type

	// Ref names an attribute of the enclosing function that supplies this
	// one's value (ONNX ref_attr_name). Only function bodies use it; the
	// importer resolves it when it inlines a function.
	Ref string
	// Doc is the attribute's doc string.
	Doc string
}

// Value returns the attribute's payload as an interface value.
func (a *Attr) Value() any {
	switch a.Type {
	case AttrFloat:
		return a.F
	case AttrInt:
		return a.I
	case AttrString:
		return a.S
	case AttrTensor:
		return a.T
	case AttrGraph:
		return a.G
	case AttrFloats:
		return a.Floats
	case AttrInts:
		return a.Ints
	case AttrStrings:
		return a.Strings
	case AttrTensors:
		return a.Tensors
	case AttrGraphs:
		return a.Graphs
	case AttrSparseTensor:
		return a.Sparse
	case AttrSparseTensors:
		return a.Sparses
	case AttrTypeProto:
		return a.TP
	case AttrTypeProtos:
		return a.TPs
	}
	return nil
}

// Convenience constructors for attributes, used by builders and tests.

// AInt makes an int attribute.
func AInt(name string, v int64) Attr { return Attr{Name: name, Type: AttrInt, I: v} }

// AFloat makes a float attribute.
func AFloat(name string, v float32) Attr { return Attr{Name: name, Type: AttrFloat, F: v} }

// AString makes a string attribute.
func AString(name, v string) Attr { return Attr{Name: name, Type: AttrString, S: v} }

// AInts makes an ints attribute.
func AInts(name string, v ...int64) Attr { return Attr{Name: name, Type: AttrInts, Ints: v} }

// AFloats makes a floats attribute.
func AFloats(name string, v ...float32) Attr { return Attr{Name: name, Type: AttrFloats, Floats: v} }

// AStrings makes a strings attribute.
func AStrings(name string, v ...string) Attr { return Attr{Name: name, Type: AttrStrings, Strings: v} }

// ATensor makes a tensor attribute.
func ATensor(name string, t *tensor.Tensor) Attr { return Attr{Name: name, Type: AttrTensor, T: t} }

// AGraph makes a graph attribute.
func AGraph(name string, g *Func) Attr { return Attr{Name: name, Type: AttrGraph, G: g} }
