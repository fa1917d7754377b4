package control

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "SequenceConstruct", Since: 11, Run: seqConstruct},
		kernels.KernelDef{Op: "SequenceEmpty", Since: 11, Run: func(c *kernels.Ctx, _ []tensor.Value) ([]tensor.Value, error) {
			dt := tensor.DType(c.Node.IntOr("dtype", int64(tensor.Float32)))
			if !dt.Valid() {
				return nil, fmt.Errorf("dtype %d is not an element type", dt)
			}
			return []tensor.Value{&tensor.Sequence{Elem: dt}}, nil
		}},
		kernels.KernelDef{Op: "SequenceAt", Since: 11, Run: seqAt},
		kernels.KernelDef{Op: "SequenceErase", Since: 11, Run: seqErase},
		kernels.KernelDef{Op: "SequenceInsert", Since: 11, Run: seqInsert},
		kernels.KernelDef{Op: "SequenceLength", Since: 11, Run: func(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
			s, err := asSeq(in[0])
			if err != nil {
				return nil, err
			}
			return []tensor.Value{tensor.Scalar(int64(len(s.Tensors)))}, nil
		}},
		kernels.KernelDef{Op: "SplitToSequence", Since: 11, Run: splitToSequence},
		kernels.KernelDef{Op: "ConcatFromSequence", Since: 11, Run: concatFromSequence},
		kernels.KernelDef{Op: "SequenceMap", Since: 17, Run: sequenceMap},
	)
}

func asSeq(v tensor.Value) (*tensor.Sequence, error) {
	s, ok := v.(*tensor.Sequence)
	if !ok {
		return nil, fmt.Errorf("input is a %T, want a sequence", v)
	}
	return s, nil
}

func seqConstruct(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	s := &tensor.Sequence{}
	for i, v := range in {
		t, err := asTensor(v, fmt.Sprintf("input %d", i))
		if err != nil {
			return nil, err
		}
		if i > 0 && t.DType() != s.Elem {
			return nil, fmt.Errorf("input %d has element type %s, input 0 has %s", i, t.DType(), s.Elem)
		}
		s.Elem = t.DType()
		s.Tensors = append(s.Tensors, t)
	}
	return []tensor.Value{s}, nil
}

// position reads a position input and maps it into [0, n) (or [0, n] when
// inclusive, for insertion).
func position(v tensor.Value, n int, inclusive bool) (int, error) {
	t, err := asTensor(v, "position")
	if err != nil {
		return 0, err
	}
	if t.Len() != 1 {
		return 0, fmt.Errorf("position must hold one element, has shape %v", t.Shape())
	}
	p := t.Int64At(0)
	hi := int64(n)
	if !inclusive {
		hi--
	}
	if p < -int64(n) || p > hi {
		return 0, fmt.Errorf("position %d out of range for a sequence of %d", p, n)
	}
	if p < 0 {
		p += int64(n)
	}
	return int(p), nil
}

func seqAt(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	s, err := asSeq(in[0])
	if err != nil {
		return nil, err
	}
	p, err := position(in[1], len(s.Tensors), false)
	if err != nil {
		return nil, err
	}
	return []tensor.Value{s.Tensors[p]}, nil
}

func seqErase(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	s, err := asSeq(in[0])
	if err != nil {
		return nil, err
	}
	p := len(s.Tensors) - 1
	if len(in) > 1 && in[1] != nil {
		if p, err = position(in[1], len(s.Tensors), false); err != nil {
			return nil, err
		}
	}
	if p < 0 {
		return nil, fmt.Errorf("cannot erase from an empty sequence")
	}
	out := &tensor.Sequence{Elem: s.Elem}
	out.Tensors = append(append(out.Tensors, s.Tensors[:p]...), s.Tensors[p+1:]...)
	return []tensor.Value{out}, nil
}

func seqInsert(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	s, err := asSeq(in[0])
	if err != nil {
		return nil, err
	}
	t, err := asTensor(in[1], "tensor")
	if err != nil {
		return nil, err
	}
	if len(s.Tensors) > 0 && t.DType() != s.Elem {
		return nil, fmt.Errorf("cannot insert a %s tensor into a sequence of %s", t.DType(), s.Elem)
	}
	p := len(s.Tensors)
	if len(in) > 2 && in[2] != nil {
		if p, err = position(in[2], len(s.Tensors), true); err != nil {
			return nil, err
		}
	}
	out := &tensor.Sequence{Elem: t.DType()}
	out.Tensors = append(append(append(out.Tensors, s.Tensors[:p]...), t), s.Tensors[p:]...)
	return []tensor.Value{out}, nil
}

// sliceRange returns t restricted to [lo, hi) along axis.
func sliceRange(t *tensor.Tensor, axis, lo, hi int) *tensor.Tensor {
	s := t.Shape()
	outer := 1
	for _, d := range s[:axis] {
		outer *= d
	}
	inner := 1
	for _, d := range s[axis+1:] {
		inner *= d
	}
	shape := append([]int{}, s...)
	shape[axis] = hi - lo
	out := tensor.New(t.DType(), shape...)
	w := (hi - lo) * inner
	for o := 0; o < outer; o++ {
		copyElems(out, o*w, t, (o*s[axis]+lo)*inner, w)
	}
	return out
}

func splitToSequence(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	t, err := asTensor(in[0], "input")
	if err != nil {
		return nil, err
	}
	axis, err := kernels.NormAxis(c.Int("axis"), t.Rank())
	if err != nil {
		return nil, err
	}
	dim := t.Dim(axis)
	var sizes []int
	keep := true
	switch {
	case len(in) < 2 || in[1] == nil:
		for i := 0; i < dim; i++ {
			sizes = append(sizes, 1)
		}
		keep = c.Int("keepdims") != 0
	default:
		sp, err := asTensor(in[1], "split")
		if err != nil {
			return nil, err
		}
		if sp.Rank() == 0 {
			k := int(sp.Int64At(0))
			if k <= 0 {
				return nil, fmt.Errorf("split size %d must be positive", k)
			}
			for r := dim; r > 0; r -= k {
				sizes = append(sizes, min(k, r))
			}
		} else {
			total := 0
			for _, v := range sp.Int64sOf() {
				if v < 0 {
					return nil, fmt.Errorf("split size %d is negative", v)
				}
				sizes = append(sizes, int(v))
				total += int(v)
			}
			if total != dim {
				return nil, fmt.Errorf("split sizes sum to %d, axis %d has %d", total, axis, dim)
			}
		}
	}
	out := &tensor.Sequence{Elem: t.DType()}
	lo := 0
	for _, n := range sizes {
		part := sliceRange(t, axis, lo, lo+n)
		if !keep {
			part = sliceAt(part, axis, 0)
		}
		out.Tensors = append(out.Tensors, part)
		lo += n
	}
	return []tensor.Value{out}, nil
}

func concatFromSequence(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	s, err := asSeq(in[0])
	if err != nil {
		return nil, err
	}
	if len(s.Tensors) == 0 {
		return nil, fmt.Errorf("cannot concatenate an empty sequence")
	}
	rank := s.Tensors[0].Rank()
	if c.Int("new_axis") != 0 {
		axis, err := kernels.NormAxis(c.Int("axis"), rank+1)
		if err != nil {
			return nil, err
		}
		t, err := stack(s.Tensors, axis, ir0)
		if err != nil {
			return nil, err
		}
		return []tensor.Value{t}, nil
	}
	axis, err := kernels.NormAxis(c.Int("axis"), rank)
	if err != nil {
		return nil, err
	}
	t, err := concat(s.Tensors, axis)
	if err != nil {
		return nil, err
	}
	return []tensor.Value{t}, nil
}

// concat joins tensors along an existing axis; other dims must agree.
func concat(ts []*tensor.Tensor, axis int) (*tensor.Tensor, error) {
	first := ts[0]
	shape := append([]int{}, first.Shape()...)
	total := 0
	for i, t := range ts {
		if t.Rank() != len(shape) || t.DType() != first.DType() {
			return nil, fmt.Errorf("element %d is %s%v, element 0 is %s%v", i, t.DType(), t.Shape(), first.DType(), first.Shape())
		}
		for d := range shape {
			if d != axis && t.Dim(d) != shape[d] {
				return nil, fmt.Errorf("element %d has shape %v, element 0 has %v (dim %d differs)", i, t.Shape(), first.Shape(), d)
			}
		}
		total += t.Dim(axis)
	}
	shape[axis] = total
	out := tensor.New(first.DType(), shape...)
	outer := 1
	for _, d := range shape[:axis] {
		outer *= d
	}
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	pos := 0
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			w := t.Dim(axis) * inner
			copyElems(out, pos, t, o*w, w)
			pos += w
		}
	}
	return out, nil
}

func sequenceMap(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	body := c.Node.Graph("body")
	if body == nil {
		return nil, fmt.Errorf("missing body graph")
	}
	s, err := asSeq(in[0])
	if err != nil {
		return nil, err
	}
	n := len(s.Tensors)
	for i, v := range in[1:] {
		if o, ok := v.(*tensor.Sequence); ok && len(o.Tensors) != n {
			return nil, fmt.Errorf("additional input %d has %d elements, the sequence has %d", i+1, len(o.Tensors), n)
		}
	}
	outs := make([]*tensor.Sequence, len(body.Results))
	for j, r := range body.Results {
		outs[j] = &tensor.Sequence{Elem: r.Type.Elem}
	}
	for i := 0; i < n; i++ {
		args := []tensor.Value{s.Tensors[i]}
		for _, v := range in[1:] {
			if o, ok := v.(*tensor.Sequence); ok {
				args = append(args, o.Tensors[i])
			} else {
				args = append(args, v)
			}
		}
		res, err := c.RunGraph(body, args)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		for j, r := range res {
			t, err := asTensor(r, "body output")
			if err != nil {
				return nil, err
			}
			outs[j].Elem = t.DType()
			outs[j].Tensors = append(outs[j].Tensors, t)
		}
	}
	vs := make([]tensor.Value, len(outs))
	for j, o := range outs {
		vs[j] = o
	}
	return vs, nil
}
