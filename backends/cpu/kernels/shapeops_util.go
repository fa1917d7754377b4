package kernels

import (
	"fmt"

	"github.com/onyxgo/onyx/tensor"
)

// Index-map helpers of the data-movement ops. Most of those ops move
// elements without looking at them: each output element is one element of
// the input, or a fill value. They build the map from output position to
// input position once and let GatherFill copy the elements, so every op is
// written once for every element type.

// SeparableIndex returns, for each element of a tensor of shape out in
// row-major order, the sum over dims d of tables[d][coordinate on d]. A
// negative table entry marks a coordinate that reads no input element (a
// padding position); every output element with such a coordinate gets -1.
// tables[d] must hold out[d] entries.
//
// Transpose, Slice, Expand, Tile, Pad and their kin are all separable:
// the input offset of an output element is a sum of one term per dim.
func SeparableIndex(out []int, tables [][]int) []int {
	n := 1
	for _, d := range out {
		n *= d
	}
	idx := make([]int, n)
	if n == 0 {
		return idx
	}
	r := len(out)
	ctr := make([]int, r)
	pos, neg := 0, 0
	for d := 0; d < r; d++ {
		if v := tables[d][0]; v < 0 {
			neg++
		} else {
			pos += v
		}
	}
	for k := 0; k < n; k++ {
		if neg > 0 {
			idx[k] = -1
		} else {
			idx[k] = pos
		}
		for d := r - 1; d >= 0; d-- {
			t := tables[d]
			if old := t[ctr[d]]; old < 0 {
				neg--
			} else {
				pos -= old
			}
			ctr[d]++
			wrapped := ctr[d] == out[d]
			if wrapped {
				ctr[d] = 0
			}
			if v := t[ctr[d]]; v < 0 {
				neg++
			} else {
				pos += v
			}
			if !wrapped {
				break
			}
		}
	}
	return idx
}

// StridedTable returns the table of one dim for SeparableIndex: entry k is
// (start + k*step) * stride.
func StridedTable(n, start, step, stride int) []int {
	t := make([]int, n)
	for k := range t {
		t[k] = (start + k*step) * stride
	}
	return t
}

// GatherFill builds a tensor of the given shape and src's element type
// whose element i is src's element idx[i], or element 0 of fill where
// idx[i] is negative (the zero value when fill is nil or empty). It
// returns an error, instead of panicking, when the shape is too large;
// indices must be in range.
func GatherFill(src *tensor.Tensor, idx []int, shape []int, fill *tensor.Tensor) (*tensor.Tensor, error) {
	out, err := tensor.Alloc(src.DType(), shape)
	if err != nil {
		return nil, err
	}
	if out.Len() != len(idx) {
		return nil, fmt.Errorf("index map of %d entries for shape %v", len(idx), shape)
	}
	if fill != nil && fill.DType() != src.DType() {
		return nil, fmt.Errorf("fill value of type %s for a %s tensor", fill.DType(), src.DType())
	}
	hasFill := fill != nil && fill.Len() > 0
	if src.DType() == tensor.String {
		s, d := src.Strings(), out.Strings()
		var f string
		if hasFill {
			f = fill.Strings()[0]
		}
		for i, j := range idx {
			if j < 0 {
				d[i] = f
			} else {
				d[i] = s[j]
			}
		}
		return out, nil
	}
	switch src.DType().Size() {
	case 1:
		gatherFill(src.Bytes(), out.Bytes(), idx, fill, hasFill)
	case 2:
		gatherFill(tensor.Data[uint16](src), tensor.Data[uint16](out), idx, fill, hasFill)
	case 4:
		gatherFill(tensor.Data[uint32](src), tensor.Data[uint32](out), idx, fill, hasFill)
	case 8:
		gatherFill(tensor.Data[uint64](src), tensor.Data[uint64](out), idx, fill, hasFill)
	case 16:
		gatherFill(tensor.Data[complex128](src), tensor.Data[complex128](out), idx, fill, hasFill)
	default:
		return nil, fmt.Errorf("cannot move elements of type %s", src.DType())
	}
	return out, nil
}

func gatherFill[T tensor.Elem](s, d []T, idx []int, fill *tensor.Tensor, hasFill bool) {
	var f T
	if hasFill {
		f = tensor.Data[T](fill)[0]
	}
	for i, j := range idx {
		if j < 0 {
			d[i] = f
		} else {
			d[i] = s[j]
		}
	}
}

// CopyElems copies n consecutive elements of src, from srcOff, into dst at
// dstOff. Both tensors must have the same element type.
func CopyElems(dst *tensor.Tensor, dstOff int, src *tensor.Tensor, srcOff, n int) {
	if n <= 0 {
		return
	}
	if src.DType() == tensor.String {
		copy(dst.Strings()[dstOff:dstOff+n], src.Strings()[srcOff:srcOff+n])
		return
	}
	sz := src.DType().Size()
	copy(dst.Bytes()[dstOff*sz:(dstOff+n)*sz], src.Bytes()[srcOff*sz:(srcOff+n)*sz])
}

// Product returns the product of dims (1 for none).
func Product(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// GatherSeparable builds a tensor of the given shape and src's element
// type whose element at coordinates (c0, c1, ...) is src's element
// tables[0][c0] + tables[1][c1] + ..., or element 0 of fill (zero when fill
// is nil or empty) where some table entry is negative. It computes the same
// result as GatherFill(src, SeparableIndex(shape, tables), shape, fill)
// without building the index map, and copies runs along the last dim
// whole when they are contiguous in src.
func GatherSeparable(src *tensor.Tensor, shape []int, tables [][]int, fill *tensor.Tensor) (*tensor.Tensor, error) {
	out, err := tensor.Alloc(src.DType(), shape)
	if err != nil {
		return nil, err
	}
	if len(tables) != len(shape) {
		return nil, fmt.Errorf("%d index tables for shape %v", len(tables), shape)
	}
	if fill != nil && fill.DType() != src.DType() {
		return nil, fmt.Errorf("fill value of type %s for a %s tensor", fill.DType(), src.DType())
	}
	if out.Len() == 0 {
		return out, nil
	}
	hasFill := fill != nil && fill.Len() > 0
	var run func(base, pos int, last []int, contiguous bool)
	if src.DType() == tensor.String {
		var f string
		if hasFill {
			f = fill.Strings()[0]
		}
		run = runFunc(src.Strings(), out.Strings(), f)
	} else {
		switch src.DType().Size() {
		case 1:
			run = runFunc(src.Bytes(), out.Bytes(), fillValue[uint8](fill, hasFill))
		case 2:
			run = runFunc(tensor.Data[uint16](src), tensor.Data[uint16](out), fillValue[uint16](fill, hasFill))
		case 4:
			run = runFunc(tensor.Data[uint32](src), tensor.Data[uint32](out), fillValue[uint32](fill, hasFill))
		case 8:
			run = runFunc(tensor.Data[uint64](src), tensor.Data[uint64](out), fillValue[uint64](fill, hasFill))
		case 16:
			run = runFunc(tensor.Data[complex128](src), tensor.Data[complex128](out), fillValue[complex128](fill, hasFill))
		default:
			return nil, fmt.Errorf("cannot move elements of type %s", src.DType())
		}
	}
	r := len(shape)
	if r == 0 {
		run(0, 0, []int{0}, true)
		return out, nil
	}
	last := tables[r-1]
	contiguous := last[0] >= 0
	for k := range last {
		if last[k] != last[0]+k {
			contiguous = false
			break
		}
	}
	L := shape[r-1]
	outer := out.Len() / L
	ctr := make([]int, r-1)
	pos, neg := 0, 0
	for d := 0; d < r-1; d++ {
		if v := tables[d][0]; v < 0 {
			neg++
		} else {
			pos += v
		}
	}
	for o := 0; o < outer; o++ {
		if neg > 0 {
			run(o*L, -1, last, false)
		} else {
			run(o*L, pos, last, contiguous)
		}
		for d := r - 2; d >= 0; d-- {
			t := tables[d]
			if old := t[ctr[d]]; old < 0 {
				neg--
			} else {
				pos -= old
			}
			ctr[d]++
			wrapped := ctr[d] == shape[d]
			if wrapped {
				ctr[d] = 0
			}
			if v := t[ctr[d]]; v < 0 {
				neg++
			} else {
				pos += v
			}
			if !wrapped {
				break
			}
		}
	}
	return out, nil
}

func fillValue[T tensor.Elem](fill *tensor.Tensor, hasFill bool) T {
	var f T
	if hasFill {
		f = tensor.Data[T](fill)[0]
	}
	return f
}

// runFunc returns the inner loop of GatherSeparable for one element type:
// it writes len(last) elements of d from base on, reading s at pos +
// last[k]; pos < 0 (or a negative last[k]) writes the fill value f.
func runFunc[T any](s, d []T, f T) func(base, pos int, last []int, contiguous bool) {
	return func(base, pos int, last []int, contiguous bool) {
		row := d[base : base+len(last)]
		switch {
		case pos < 0:
			for k := range row {
				row[k] = f
			}
		case contiguous:
			copy(row, s[pos+last[0]:])
		default:
			for k, j := range last {
				if j < 0 {
					row[k] = f
				} else {
					row[k] = s[pos+j]
				}
			}
		}
	}
}
