package tensor

// Value is what flows along a graph edge at run time: a *Tensor, a
// *Sequence, an *Optional or a *Map.
type Value interface{ isValue() }

func (*Tensor) isValue() {}

// Sequence is an ordered list of tensors of one element type. Elem records
// that type so that an empty sequence still has one.
type Sequence struct {
	Elem    DType
	Tensors []*Tensor
}

func (*Sequence) isValue() {}

// Optional holds one value or none. A nil Value is the empty optional.
type Optional struct {
	Value Value
}

func (*Optional) isValue() {}

// Map is a map from keys (an integer or STRING tensor of rank 1) to values
// (a tensor of the same length, or a sequence). Entry i maps Keys[i] to
// element i of Values.
type Map struct {
	Keys   *Tensor
	Values Value
}

func (*Map) isValue() {}
