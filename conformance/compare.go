package conformance

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strconv"

	"github.com/onyxgo/onyx/tensor"
)

// Mismatch describes how an output differs from its expected value.
type Mismatch struct {
	// Output names the output, with the path into a sequence or optional
	// when the difference is inside one ("y", "y[2]" for element 2 of a
	// sequence).
	Output string
	// Index is the flat index of the first differing element, -1 when the
	// difference is not about elements (kind, type, shape, length).
	Index int
	// Got and Want are the first differing elements, or the differing
	// property, formatted.
	Got, Want string
	// Count is the number of differing elements, Total the element count.
	Count, Total int
	// What names the property that differs when Index is -1: "kind",
	// "dtype", "shape", "length", "presence".
	What string
}

func (m *Mismatch) Error() string {
	if m.Index < 0 {
		return fmt.Sprintf("mismatch output %s: %s got %s want %s", m.Output, m.What, m.Got, m.Want)
	}
	return fmt.Sprintf("mismatch output %s[%d]: got %s want %s (%d of %d differ)", m.Output, m.Index, m.Got, m.Want, m.Count, m.Total)
}

// Compare checks got against want as the official runner does: the same
// kind of value; for tensors the same element type and shape, strings and
// booleans exactly equal, numbers within |got-want| <= atol + rtol*|want|,
// NaNs in the same places and infinities equal. Sequences compare element
// by element, optionals by presence and then their value. It returns nil
// when they agree, else a *Mismatch for the first difference.
func Compare(name string, got, want tensor.Value, rtol, atol float64) *Mismatch {
	switch w := want.(type) {
	case *tensor.Tensor:
		g, ok := got.(*tensor.Tensor)
		if !ok {
			return kindMismatch(name, got, want)
		}
		return compareTensors(name, g, w, rtol, atol)
	case *tensor.Sequence:
		g, ok := got.(*tensor.Sequence)
		if !ok {
			return kindMismatch(name, got, want)
		}
		if len(g.Tensors) != len(w.Tensors) {
			return &Mismatch{Output: name, Index: -1, What: "length", Got: strconv.Itoa(len(g.Tensors)), Want: strconv.Itoa(len(w.Tensors))}
		}
		for i := range w.Tensors {
			if m := Compare(fmt.Sprintf("%s[%d]", name, i), g.Tensors[i], w.Tensors[i], rtol, atol); m != nil {
				return m
			}
		}
		return nil
	case *tensor.Optional:
		g, ok := got.(*tensor.Optional)
		if !ok {
			return kindMismatch(name, got, want)
		}
		if (g.Value == nil) != (w.Value == nil) {
			return &Mismatch{Output: name, Index: -1, What: "presence", Got: presence(g.Value), Want: presence(w.Value)}
		}
		if w.Value == nil {
			return nil
		}
		return Compare(name, g.Value, w.Value, rtol, atol)
	case *tensor.Map:
		g, ok := got.(*tensor.Map)
		if !ok {
			return kindMismatch(name, got, want)
		}
		if m := Compare(name+".keys", g.Keys, w.Keys, 0, 0); m != nil {
			return m
		}
		return Compare(name+".values", g.Values, w.Values, rtol, atol)
	case nil:
		if got != nil {
			return kindMismatch(name, got, want)
		}
		return nil
	}
	return &Mismatch{Output: name, Index: -1, What: "kind", Got: kindName(got), Want: kindName(want)}
}

func presence(v tensor.Value) string {
	if v == nil {
		return "empty"
	}
	return "a value"
}

func kindMismatch(name string, got, want tensor.Value) *Mismatch {
	return &Mismatch{Output: name, Index: -1, What: "kind", Got: kindName(got), Want: kindName(want)}
}

func kindName(v tensor.Value) string {
	switch v.(type) {
	case *tensor.Tensor:
		return "tensor"
	case *tensor.Sequence:
		return "sequence"
	case *tensor.Optional:
		return "optional"
	case *tensor.Map:
		return "map"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

func compareTensors(name string, g, w *tensor.Tensor, rtol, atol float64) *Mismatch {
	if g.DType() != w.DType() {
		return &Mismatch{Output: name, Index: -1, What: "dtype", Got: g.DType().String(), Want: w.DType().String()}
	}
	if !slices.Equal(g.Shape(), w.Shape()) {
		return &Mismatch{Output: name, Index: -1, What: "shape", Got: fmt.Sprint(g.Shape()), Want: fmt.Sprint(w.Shape())}
	}
	n := w.Len()
	if g.Len() != n {
		return &Mismatch{Output: name, Index: -1, What: "length", Got: strconv.Itoa(g.Len()), Want: strconv.Itoa(n)}
	}
	var eq func(i int) bool
	var show func(t *tensor.Tensor, i int) string
	dt := w.DType()
	switch {
	case dt == tensor.String:
		gs, ws := g.Strings(), w.Strings()
		eq = func(i int) bool { return gs[i] == ws[i] }
		show = func(t *tensor.Tensor, i int) string { return strconv.Quote(t.Strings()[i]) }
	case dt == tensor.Bool:
		gb, wb := g.Bytes(), w.Bytes()
		eq = func(i int) bool { return (gb[i] != 0) == (wb[i] != 0) }
		show = func(t *tensor.Tensor, i int) string { return strconv.FormatBool(t.Bytes()[i] != 0) }
	case dt.IsComplex():
		eq = func(i int) bool { return closeComplex(complexAt(g, i), complexAt(w, i), rtol, atol) }
		show = func(t *tensor.Tensor, i int) string { return fmt.Sprint(complexAt(t, i)) }
	case dt.IsInt():
		eq = func(i int) bool {
			a, b := g.Int64At(i), w.Int64At(i)
			return a == b || within(g.Float64At(i), w.Float64At(i), rtol, atol)
		}
		show = func(t *tensor.Tensor, i int) string {
			if t.DType() == tensor.Uint64 {
				return strconv.FormatUint(uint64(t.Int64At(i)), 10)
			}
			return strconv.FormatInt(t.Int64At(i), 10)
		}
	default:
		eq = func(i int) bool { return within(g.Float64At(i), w.Float64At(i), rtol, atol) }
		show = func(t *tensor.Tensor, i int) string { return strconv.FormatFloat(t.Float64At(i), 'g', -1, 64) }
	}
	first, count := -1, 0
	for i := 0; i < n; i++ {
		if !eq(i) {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if count == 0 {
		return nil
	}
	return &Mismatch{Output: name, Index: first, Got: show(g, first), Want: show(w, first), Count: count, Total: n}
}

// within reports whether got is within atol + rtol*|want| of want, with
// NaN equal only to NaN and infinities equal only to themselves.
func within(got, want, rtol, atol float64) bool {
	switch {
	case math.IsNaN(want) || math.IsNaN(got):
		return math.IsNaN(want) && math.IsNaN(got)
	case math.IsInf(want, 0) || math.IsInf(got, 0):
		return got == want
	}
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

func closeComplex(got, want complex128, rtol, atol float64) bool {
	if cmplx.IsNaN(want) || cmplx.IsNaN(got) {
		return cmplx.IsNaN(want) && cmplx.IsNaN(got)
	}
	if cmplx.IsInf(want) || cmplx.IsInf(got) {
		return got == want
	}
	return cmplx.Abs(got-want) <= atol+rtol*cmplx.Abs(want)
}

func complexAt(t *tensor.Tensor, i int) complex128 {
	if t.DType() == tensor.Complex64 {
		return complex128(tensor.Data[complex64](t)[i])
	}
	return tensor.Data[complex128](t)[i]
}
