package ir

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Shape and data-movement ops: reshaping, transposition, slicing, gathers
// and scatters, padding, tiling, and the ops that generate index or shape
// tensors.
func init() {
	Register(
		OpSchema{Name: "Reshape", Versions: []int{1, 5, 13, 14, 19, 21, 23, 24, 25},
			Inputs: "data:T shape?:I", Outputs: "reshaped:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("allowzero", 0), AttrOpt("shape", AttrInts), AttrOpt("consumed_inputs", AttrInts)},
			Infer: shpChecked(inferReshape), Doc: "the same elements with a new shape (0 copies a dim, -1 is inferred)"},
		OpSchema{Name: "Flatten", Versions: []int{1, 9, 11, 13, 21, 23, 24, 25},
			Inputs: "input:T", Outputs: "output:T", Attrs: []AttrDef{AttrI("axis", 1)},
			Infer: shpChecked(inferFlatten), Doc: "a 2-D view: dims before axis times dims from axis on"},
		OpSchema{Name: "Squeeze", Versions: []int{1, 11, 13, 21, 23, 24, 25},
			Inputs: "data:T axes?:I", Outputs: "squeezed:T", Types: "I=i64",
			Attrs: []AttrDef{AttrOpt("axes", AttrInts)},
			Infer: shpChecked(inferSqueeze), Doc: "removes dims of size 1 (the given axes, or all)"},
		OpSchema{Name: "Unsqueeze", Versions: []int{1, 11, 13, 21, 23, 24, 25},
			Inputs: "data:T axes?:I", Outputs: "expanded:T", Types: "I=i64",
			Attrs: []AttrDef{AttrOpt("axes", AttrInts)},
			Infer: shpChecked(inferUnsqueeze), Doc: "inserts dims of size 1 at the given output axes"},
		OpSchema{Name: "Transpose", Versions: []int{1, 13, 21, 23, 24, 25},
			Inputs: "data:T", Outputs: "transposed:T", Attrs: []AttrDef{AttrOpt("perm", AttrInts)},
			Infer: shpChecked(inferTranspose), Doc: "permutes the dims (reverses them by default)"},
		OpSchema{Name: "Concat", Versions: []int{1, 4, 11, 13},
			Inputs: "inputs...:T", Outputs: "concat_result:T", Attrs: []AttrDef{AttrOpt("axis", AttrInt)},
			Infer: shpChecked(inferConcat), Doc: "joins tensors along an axis"},
		OpSchema{Name: "Split", Versions: []int{1, 2, 11, 13, 18},
			Inputs: "input:T split?:I", Outputs: "outputs...:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("axis", 0), AttrOpt("split", AttrInts), AttrOpt("num_outputs", AttrInt)},
			Infer: shpChecked(inferSplit), Doc: "cuts a tensor into parts along an axis"},
		OpSchema{Name: "Slice", Versions: []int{1, 10, 11, 13},
			Inputs: "data:T starts?:Tind ends?:Tind axes?:Tind steps?:Tind", Outputs: "output:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrOpt("starts", AttrInts), AttrOpt("ends", AttrInts), AttrOpt("axes", AttrInts)},
			Infer: shpChecked(inferSlice), Doc: "a strided sub-range along some axes"},
		OpSchema{Name: "Gather", Versions: []int{1, 11, 13},
			Inputs: "data:T indices:Tind", Outputs: "output:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrI("axis", 0)},
			Infer: shpChecked(inferGather), Doc: "takes entries of one axis at the given indices"},
		OpSchema{Name: "GatherElements", Versions: []int{11, 13},
			Inputs: "data:T indices:Tind", Outputs: "output:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrI("axis", 0)},
			Infer: shpChecked(inferGatherElements), Doc: "takes one element per index, the index replacing the coordinate on axis"},
		OpSchema{Name: "GatherND", Versions: []int{11, 12, 13},
			Inputs: "data:T indices:I", Outputs: "output:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("batch_dims", 0)},
			Infer: shpChecked(inferGatherND), Doc: "takes slices addressed by index tuples"},
		OpSchema{Name: "Scatter", Versions: []int{9}, Deprecated: 11,
			Inputs: "data:T indices:Tind updates:T", Outputs: "output:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrI("axis", 0)},
			Infer: shpChecked(InferUnary), Doc: "ScatterElements without reduction (deprecated from opset 11)"},
		OpSchema{Name: "ScatterElements", Versions: []int{11, 13, 16, 18},
			Inputs: "data:T indices:Tind updates:T", Outputs: "output:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrI("axis", 0), AttrS("reduction", "none")},
			Infer: shpChecked(InferUnary), Doc: "writes updates at per-element indices along an axis"},
		OpSchema{Name: "ScatterND", Versions: []int{11, 13, 16, 18},
			Inputs: "data:T indices:I updates:T", Outputs: "output:T", Types: "I=i64",
			Attrs: []AttrDef{AttrS("reduction", "none")},
			Infer: shpChecked(InferUnary), Doc: "writes slices addressed by index tuples"},
		OpSchema{Name: "Expand", Versions: []int{8, 13},
			Inputs: "input:T shape:I", Outputs: "output:T", Types: "I=i64",
			Infer: shpChecked(inferExpand), Doc: "broadcasts the input to a shape"},
		OpSchema{Name: "Tile", Versions: []int{1, 6, 13},
			Inputs: "input:T repeats:I axis?:I", Outputs: "output:T",
			Infer: shpChecked(inferTile), Doc: "repeats the input along each axis"},
		OpSchema{Name: "Pad", Versions: []int{1, 2, 11, 13, 18, 19, 21, 23, 24, 25},
			Inputs: "data:T pads?:I constant_value?:T axes?:Tind", Outputs: "output:T", Types: "I=i64 Tind=i32,i64",
			Attrs: []AttrDef{AttrS("mode", "constant"), AttrOpt("pads", AttrInts), AttrOpt("paddings", AttrInts), AttrF("value", 0)},
			Infer: shpChecked(inferPad), Doc: "pads (or crops, with negative pads) each axis: constant, reflect, edge or wrap"},
		OpSchema{Name: "Shape", Versions: []int{1, 13, 15, 19, 21, 23, 24, 25},
			Inputs: "data:T", Outputs: "shape:I", Types: "I=i64",
			Attrs: []AttrDef{AttrI("start", 0), AttrOpt("end", AttrInt)},
			Infer: shpChecked(inferShapeOp), Doc: "the dims of the input (from start to end) as an int64 vector"},
		OpSchema{Name: "Size", Versions: []int{1, 13, 19, 21, 23, 24, 25},
			Inputs: "data:T", Outputs: "size:I", Types: "I=i64",
			Infer: shpChecked(inferSize), Doc: "the element count of the input as an int64 scalar"},
		OpSchema{Name: "ConstantOfShape", Versions: []int{9, 20, 21, 23, 24, 25},
			Inputs: "input:I", Outputs: "output:T", Types: "I=i64",
			Attrs: []AttrDef{AttrOpt("value", AttrTensor)},
			Infer: shpChecked(inferConstantOfShape), Doc: "a tensor of the given shape filled with one value"},
		OpSchema{Name: "Range", Versions: []int{11, 27},
			Inputs: "start:T limit:T delta:T", Outputs: "output:T", Types: "T=numeric",
			Infer: shpChecked(inferRange), Doc: "start, start+delta, ... up to limit (exclusive)"},
		OpSchema{Name: "EyeLike", Versions: []int{9, 22},
			Inputs: "input:T1", Outputs: "output:T2",
			Attrs: []AttrDef{AttrOpt("dtype", AttrInt), AttrI("k", 0)},
			Infer: shpChecked(inferEyeLike), Doc: "a 2-D tensor with ones on the k-th diagonal"},
		OpSchema{Name: "Compress", Versions: []int{9, 11},
			Inputs: "input:T condition:B", Outputs: "output:T", Types: "B=bool",
			Attrs: []AttrDef{AttrOpt("axis", AttrInt)},
			Infer: shpChecked(inferCompress), Doc: "keeps the slices (or elements) whose condition is true"},
		OpSchema{Name: "NonZero", Versions: []int{9, 13},
			Inputs: "X:T", Outputs: "Y:I", Types: "I=i64",
			Infer: shpChecked(inferNonZero), Doc: "the coordinates of the non-zero elements, one column each"},
		OpSchema{Name: "Unique", Versions: []int{11},
			Inputs: "X:T", Outputs: "Y:T indices?:I inverse_indices?:I counts?:I", Types: "I=i64",
			Attrs: []AttrDef{AttrOpt("axis", AttrInt), AttrI("sorted", 1)},
			Infer: shpChecked(inferUnique), Doc: "the unique elements (or slices) with first indices, inverse indices and counts"},
		OpSchema{Name: "Trilu", Versions: []int{14},
			Inputs: "input:T k?:I", Outputs: "output:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("upper", 1)},
			Infer: shpChecked(InferUnary), Doc: "the upper or lower triangle of the last two dims"},
		OpSchema{Name: "OneHot", Versions: []int{9, 11},
			Inputs: "indices:T1 depth:T2 values:T3", Outputs: "output:T3", Types: "T1=numeric T2=numeric",
			Attrs: []AttrDef{AttrI("axis", -1)},
			Infer: shpChecked(inferOneHot), Doc: "one-hot encoding of indices along a new axis"},
		OpSchema{Name: "DepthToSpace", Versions: []int{1, 11, 13},
			Inputs: "input:T", Outputs: "output:T",
			Attrs: []AttrDef{AttrReq("blocksize", AttrInt), AttrS("mode", "DCR")},
			Infer: shpChecked(inferDepthToSpace), Doc: "moves channel blocks into spatial blocks (DCR or CRD order)"},
		OpSchema{Name: "SpaceToDepth", Versions: []int{1, 13},
			Inputs: "input:T", Outputs: "output:T",
			Attrs: []AttrDef{AttrReq("blocksize", AttrInt)},
			Infer: shpChecked(inferSpaceToDepth), Doc: "moves spatial blocks into channels"},
		OpSchema{Name: "CenterCropPad", Versions: []int{18},
			Inputs: "input_data:T shape:Tind", Outputs: "output_data:T", Types: "Tind=i32,i64",
			Attrs: []AttrDef{AttrOpt("axes", AttrInts)},
			Infer: shpChecked(inferCenterCropPad), Doc: "crops or zero-pads the given axes around their centre"},
		OpSchema{Name: "ReverseSequence", Versions: []int{10},
			Inputs: "input:T sequence_lens:I", Outputs: "Y:T", Types: "I=i64",
			Attrs: []AttrDef{AttrI("batch_axis", 1), AttrI("time_axis", 0)},
			Infer: shpChecked(InferUnary), Doc: "reverses the first sequence_lens[b] steps of each batch entry"},
	)
}

// Helpers of the shape functions below. Their names start with shp to keep
// them apart from other op families' helpers in this package.

// shpInts returns the values of input i when it is a known constant.
func shpInts(c *InferCtx, i int) ([]int64, bool) {
	if !c.Has(i) {
		return nil, false
	}
	t := c.Const(i)
	if t == nil || t.DType() == tensor.String || t.DType().IsFloat() || t.DType().IsComplex() {
		return nil, false
	}
	return t.Int64sOf(), true
}

// shpIntsFrom returns a list given by attribute name when the node's opset
// is below inputSince, else by input i; present is false when neither is
// given, known is false when it is given but not known here.
func shpIntsFrom(c *InferCtx, name string, inputSince, i int) (v []int64, present, known bool) {
	if c.Node.Opset < inputSince {
		if a := c.Node.Attr(name); a != nil {
			return a.Ints, true, true
		}
		if !c.Has(i) {
			return nil, false, true
		}
	}
	if !c.Has(i) {
		if a := c.Node.Attr(name); a != nil {
			return a.Ints, true, true
		}
		return nil, false, true
	}
	v, ok := shpInts(c, i)
	return v, true, ok
}

// shpChecked wraps a shape function with a check that the node has every
// input the op requires, so that the function itself may index them.
func shpChecked(fn InferFunc) InferFunc {
	return func(c *InferCtx) error {
		s := c.Node.Schema
		if s == nil {
			s = FindSchema(c.Node.Domain, c.Node.Op)
		}
		if s != nil {
			for i, f := range s.FormalInputs() {
				if f.Optional || (f.Variadic && i > 0) {
					break
				}
				if !c.Has(i) || i >= len(c.In) {
					return fmt.Errorf("%s needs input %d (%s)", c.Node.Op, i, f.Name)
				}
			}
		}
		return fn(c)
	}
}

func shpUnknownDims(n int) []Dim {
	d := make([]Dim, n)
	for i := range d {
		d[i] = Unknown()
	}
	return d
}

// shpProd multiplies dims; the result is unknown when any dim is, except
// that a known zero makes it zero and that a single symbolic dim times
// dims of 1 is that dim.
func shpProd(ds []Dim) Dim {
	p := int64(1)
	var unknown []Dim
	for _, d := range ds {
		if d.IsKnown() && d.Size == 0 {
			return Known(0)
		}
		if !d.IsKnown() {
			unknown = append(unknown, d)
			continue
		}
		p *= d.Size
	}
	switch {
	case len(unknown) == 0:
		return Known(p)
	case len(unknown) == 1 && p == 1:
		return unknown[0]
	}
	return Unknown()
}

func shpTensor(elem tensor.DType, dims []Dim) Type { return TensorOf(elem, dims) }

func shpUniqueAxes(axes []int64, rank int) ([]int, error) {
	seen := make(map[int]bool, len(axes))
	out := make([]int, len(axes))
	for i, a := range axes {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d given twice", a)
		}
		seen[ax] = true
		out[i] = ax
	}
	return out, nil
}

func inferReshape(c *InferCtx) error {
	in := c.In[0]
	var shape []SymInt
	var ok bool
	if c.Node.Opset < 5 {
		if ok = c.Node.HasAttr("shape"); ok {
			shape = shpSymInts(c.Node.Ints("shape"))
		}
	} else if shape, ok = c.Partial(1); ok && c.PartialRank(1) == 0 {
		return fmt.Errorf("Reshape: shape must be 1-D, got a scalar")
	}
	if !ok {
		if c.Has(1) && c.In[1].HasShape && len(c.In[1].Shape) == 1 && c.In[1].Shape[0].IsKnown() {
			c.Set(0, shpTensor(in.Elem, shpUnknownDims(int(c.In[1].Shape[0].Size))))
		} else {
			c.Set(0, UnrankedTensor(in.Elem))
		}
		return nil
	}
	allowZero := c.Node.Int("allowzero") != 0
	dims := make([]Dim, len(shape))
	infer := -1
	for i, s := range shape {
		switch {
		case !s.Known:
			dims[i] = s.Dim()
		case s.Val == -1:
			if infer >= 0 {
				return fmt.Errorf("Reshape: shape %v has more than one -1", shape)
			}
			infer = i
		case s.Val < -1:
			return fmt.Errorf("Reshape: shape %v has negative dim %d", shape, s.Val)
		case s.Val == 0 && !allowZero:
			if in.HasShape {
				if i >= len(in.Shape) {
					return fmt.Errorf("Reshape: shape %v copies dim %d of a rank-%d input", shape, i, len(in.Shape))
				}
				dims[i] = in.Shape[i]
			} else {
				dims[i] = Unknown()
			}
		default:
			dims[i] = Known(s.Val)
		}
	}
	if allowZero && infer >= 0 {
		for _, s := range shape {
			if s.Known && s.Val == 0 {
				return fmt.Errorf("Reshape: shape %v has both 0 and -1 with allowzero set", shape)
			}
		}
	}
	if infer >= 0 {
		dims[infer] = Unknown()
		if in.HasShape {
			rest := append(append([]Dim{}, dims[:infer]...), dims[infer+1:]...)
			d, err := shpQuotient(in.Shape, rest)
			if err != nil {
				return fmt.Errorf("Reshape: cannot reshape %s to %v: %v", in, shape, err)
			}
			dims[infer] = d
		}
	} else if in.HasShape {
		if total, p := shpProd(in.Shape), shpProd(dims); total.IsKnown() && p.IsKnown() && p.Size != total.Size {
			return fmt.Errorf("Reshape: cannot reshape %s (%d elements) to %v", in, total.Size, shape)
		}
	}
	c.Set(0, shpTensor(in.Elem, dims))
	if v, ok := c.Partial(0); ok && len(dims) <= 1 {
		c.SetPartial(0, v)
	}
	return nil
}

// shpSymInts returns known integers.
func shpSymInts(vs []int64) []SymInt {
	out := make([]SymInt, len(vs))
	for i, v := range vs {
		out[i] = KnownInt(v)
	}
	return out
}

// shpQuotient returns the dim q with prod(num) = q * prod(den): known
// when the known sizes divide and the symbolic dims of den all appear in
// num, symbolic when one symbolic dim of num is left over and the known
// sizes cancel. A known mismatch is an error.
func shpQuotient(num, den []Dim) (Dim, error) {
	pn, pd := int64(1), int64(1)
	syms := map[string]int{}
	left := 0
	for _, d := range num {
		switch {
		case d.IsKnown():
			pn *= d.Size
		case d.Param != "":
			syms[d.Param]++
			left++
		default:
			return Unknown(), nil
		}
	}
	if pn == 0 {
		for _, d := range den {
			if d.IsKnown() && d.Size == 0 {
				return Dim{}, fmt.Errorf("the other dims hold no elements")
			}
		}
		if left == 0 {
			return Known(0), nil
		}
		return Unknown(), nil
	}
	for _, d := range den {
		switch {
		case d.IsKnown():
			pd *= d.Size
		case d.Param != "" && syms[d.Param] > 0:
			syms[d.Param]--
			left--
		default:
			return Unknown(), nil
		}
	}
	if pd == 0 || pn%pd != 0 {
		if left == 0 {
			return Dim{}, fmt.Errorf("%d elements do not divide into parts of %d", pn, pd)
		}
		return Unknown(), nil
	}
	q := pn / pd
	switch {
	case left == 0:
		return Known(q), nil
	case left == 1 && q == 1:
		for name, k := range syms {
			if k > 0 {
				return Sym(name), nil
			}
		}
	}
	return Unknown(), nil
}

func inferFlatten(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(2)))
		return nil
	}
	r := len(in.Shape)
	axis := c.Node.Int("axis")
	if axis < -int64(r) || axis > int64(r) {
		return fmt.Errorf("Flatten: axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	c.Set(0, shpTensor(in.Elem, []Dim{shpProd(in.Shape[:axis]), shpProd(in.Shape[axis:])}))
	return nil
}

func inferSqueeze(c *InferCtx) error {
	in := c.In[0]
	axes, present, known := shpIntsFrom(c, "axes", 13, 1)
	if !in.HasShape || !known {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	drop := make([]bool, r)
	if present {
		ax, err := shpUniqueAxes(axes, r)
		if err != nil {
			return fmt.Errorf("Squeeze: %v", err)
		}
		for _, a := range ax {
			if d := in.Shape[a]; d.IsKnown() && d.Size != 1 {
				return fmt.Errorf("Squeeze: dim %d of %s is %d, not 1", a, in, d.Size)
			}
			drop[a] = true
		}
	} else {
		for i, d := range in.Shape {
			if !d.IsKnown() {
				c.Set(0, UnrankedTensor(in.Elem))
				return nil
			}
			drop[i] = d.Size == 1
		}
	}
	var out []Dim
	for i, d := range in.Shape {
		if !drop[i] {
			out = append(out, d)
		}
	}
	c.Set(0, shpTensor(in.Elem, out))
	if v, ok := c.Partial(0); ok && len(out) <= 1 {
		c.SetPartial(0, v)
	}
	return nil
}

func inferUnsqueeze(c *InferCtx) error {
	in := c.In[0]
	axes, present, known := shpIntsFrom(c, "axes", 13, 1)
	if !present {
		return fmt.Errorf("Unsqueeze needs axes")
	}
	if !in.HasShape || !known {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape) + len(axes)
	ax, err := shpUniqueAxes(axes, r)
	if err != nil {
		return fmt.Errorf("Unsqueeze: %v", err)
	}
	ins := make([]bool, r)
	for _, a := range ax {
		ins[a] = true
	}
	out := make([]Dim, r)
	j := 0
	for i := range out {
		if ins[i] {
			out[i] = Known(1)
		} else {
			out[i] = in.Shape[j]
			j++
		}
	}
	c.Set(0, shpTensor(in.Elem, out))
	if v, ok := c.Partial(0); ok && r <= 1 {
		c.SetPartial(0, v)
	}
	return nil
}

func inferTranspose(c *InferCtx) error {
	in := c.In[0]
	perm := c.Node.Ints("perm")
	if !in.HasShape {
		if perm != nil {
			c.Set(0, shpTensor(in.Elem, shpUnknownDims(len(perm))))
		} else {
			c.Set(0, UnrankedTensor(in.Elem))
		}
		return nil
	}
	r := len(in.Shape)
	if perm == nil {
		perm = make([]int64, r)
		for i := range perm {
			perm[i] = int64(r - 1 - i)
		}
	}
	if len(perm) != r {
		return fmt.Errorf("Transpose: perm %v does not fit rank %d", perm, r)
	}
	ax, err := shpUniqueAxes(perm, r)
	if err != nil {
		return fmt.Errorf("Transpose: perm %v: %v", perm, err)
	}
	out := make([]Dim, r)
	for i, a := range ax {
		out[i] = in.Shape[a]
	}
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}

func inferConcat(c *InferCtx) error {
	var elem tensor.DType
	rank := -1
	for i, t := range c.In {
		if !c.Has(i) {
			continue
		}
		if elem == tensor.Undefined {
			elem = t.Elem
		}
		if t.HasShape {
			if rank >= 0 && rank != len(t.Shape) {
				return fmt.Errorf("Concat: inputs have ranks %d and %d", rank, len(t.Shape))
			}
			rank = len(t.Shape)
		}
	}
	if rank < 0 {
		c.Set(0, UnrankedTensor(elem))
		return nil
	}
	axis := int64(1)
	if c.Node.HasAttr("axis") {
		axis = c.Node.Int("axis")
	} else if c.Node.Opset >= 4 {
		return fmt.Errorf("Concat needs an axis")
	}
	ax, err := NormAxis(axis, rank)
	if err != nil {
		return fmt.Errorf("Concat: %v", err)
	}
	out := shpUnknownDims(rank)
	sum := Known(0)
	for i, t := range c.In {
		if !c.Has(i) {
			continue
		}
		if !t.HasShape {
			sum = Unknown()
			continue
		}
		for d, x := range t.Shape {
			if d == ax {
				if sum.IsKnown() && x.IsKnown() {
					sum = Known(sum.Size + x.Size)
				} else {
					sum = Unknown()
				}
				continue
			}
			if x.IsKnown() {
				if out[d].IsKnown() && out[d].Size != x.Size {
					return fmt.Errorf("Concat: inputs differ in dim %d (%d and %d)", d, out[d].Size, x.Size)
				}
				out[d] = x
			} else if !out[d].IsKnown() && x.Param != "" {
				out[d] = x
			}
		}
	}
	out[ax] = sum
	c.Set(0, shpTensor(elem, out))
	// Joined vectors: an input of known length whose value is not known
	// adds unknown elements.
	if rank == 1 {
		var vals []SymInt
		for i, t := range c.In {
			if !c.Has(i) {
				continue
			}
			if v, ok := c.Partial(i); ok {
				vals = append(vals, v...)
			} else if t.HasShape && t.Shape[0].IsKnown() && t.Shape[0].Size <= MaxPartialLen {
				vals = append(vals, make([]SymInt, t.Shape[0].Size)...)
			} else {
				return nil
			}
		}
		c.SetPartial(0, vals)
	}
	return nil
}

func inferSplit(c *InferCtx) error {
	in := c.In[0]
	n := len(c.Out)
	if !in.HasShape {
		for i := 0; i < n; i++ {
			c.Set(i, UnrankedTensor(in.Elem))
		}
		return nil
	}
	r := len(in.Shape)
	ax, err := NormAxis(c.Node.Int("axis"), r)
	if err != nil {
		return fmt.Errorf("Split: %v", err)
	}
	split, present, known := shpIntsFrom(c, "split", 13, 1)
	dim := in.Shape[ax]
	sizes := make([]Dim, n)
	switch {
	case present && !known:
		for i := range sizes {
			sizes[i] = Unknown()
		}
	case present:
		if len(split) != n {
			return fmt.Errorf("Split: %d split sizes for %d outputs", len(split), n)
		}
		var sum int64
		for i, s := range split {
			if s < 0 {
				return fmt.Errorf("Split: negative split size %d", s)
			}
			sizes[i] = Known(s)
			sum += s
		}
		if dim.IsKnown() && sum != dim.Size {
			return fmt.Errorf("Split: split sizes %v do not add up to dim %d", split, dim.Size)
		}
	default:
		if c.Node.HasAttr("num_outputs") && c.Node.Int("num_outputs") != int64(n) {
			return fmt.Errorf("Split: num_outputs %d but %d outputs", c.Node.Int("num_outputs"), n)
		}
		if !dim.IsKnown() || n == 0 {
			for i := range sizes {
				sizes[i] = Unknown()
			}
			break
		}
		chunk := (dim.Size + int64(n) - 1) / int64(n)
		left := dim.Size
		for i := range sizes {
			s := min(chunk, left)
			sizes[i] = Known(s)
			left -= s
		}
	}
	for i := 0; i < n; i++ {
		out := append([]Dim{}, in.Shape...)
		out[ax] = sizes[i]
		c.Set(i, shpTensor(in.Elem, out))
	}
	return nil
}

// SliceBounds clamps a Slice start and end for a dim of size dim and a
// non-zero step as ONNX specifies, and returns the clamped start and the
// number of elements taken.
func SliceBounds(start, end, step, dim int64) (int64, int64) {
	if dim <= 0 {
		return 0, 0
	}
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	// A step longer than the dim takes at most one element; clamping it
	// keeps the arithmetic below from overflowing.
	if step > dim {
		step = max(dim, 1)
	} else if step < -dim {
		step = -max(dim, 1)
	}
	var n int64
	if step > 0 {
		start = max(0, min(start, dim))
		end = max(0, min(end, dim))
		if end > start {
			n = (end - start + step - 1) / step
		}
	} else {
		start = max(0, min(start, dim-1))
		end = max(-1, min(end, dim-1))
		if start > end {
			n = (start - end + (-step) - 1) / (-step)
		}
	}
	return start, n
}

func inferSlice(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	unknown := func() error {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(r)))
		return nil
	}
	var starts, ends, axes, steps []int64
	if c.Node.Opset < 10 {
		starts, ends, axes = c.Node.Ints("starts"), c.Node.Ints("ends"), c.Node.Ints("axes")
	} else {
		var ok bool
		if starts, ok = shpInts(c, 1); !ok {
			return unknown()
		}
		if ends, ok = shpInts(c, 2); !ok {
			return unknown()
		}
		if c.Has(3) {
			if axes, ok = shpInts(c, 3); !ok {
				return unknown()
			}
		}
		if c.Has(4) {
			if steps, ok = shpInts(c, 4); !ok {
				return unknown()
			}
		}
	}
	if len(starts) != len(ends) {
		return fmt.Errorf("Slice: %d starts and %d ends", len(starts), len(ends))
	}
	if axes == nil {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if steps == nil {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return fmt.Errorf("Slice: %d starts, %d axes and %d steps", len(starts), len(axes), len(steps))
	}
	ax, err := shpUniqueAxes(axes, r)
	if err != nil {
		return fmt.Errorf("Slice: %v", err)
	}
	out := append([]Dim{}, in.Shape...)
	for i, a := range ax {
		if steps[i] == 0 {
			return fmt.Errorf("Slice: step 0 on axis %d", axes[i])
		}
		if !in.Shape[a].IsKnown() {
			// The whole axis, forwards or backwards, keeps the dim.
			const big = math.MaxInt32
			whole := (steps[i] == 1 && starts[i] == 0 && ends[i] >= big) ||
				(steps[i] == -1 && starts[i] == -1 && ends[i] <= -big)
			if !whole {
				out[a] = Unknown()
			}
			continue
		}
		_, n := SliceBounds(starts[i], ends[i], steps[i], in.Shape[a].Size)
		out[a] = Known(n)
	}
	c.Set(0, shpTensor(in.Elem, out))
	if v, ok := c.Partial(0); ok && r == 1 && len(ax) == 1 {
		start, n := SliceBounds(starts[0], ends[0], steps[0], int64(len(v)))
		res := make([]SymInt, n)
		for k := range res {
			res[k] = v[start+int64(k)*steps[0]]
		}
		c.SetPartial(0, res)
	}
	return nil
}

func inferGather(c *InferCtx) error {
	data, idx := c.In[0], c.In[1]
	if !data.HasShape || !idx.HasShape {
		c.Set(0, UnrankedTensor(data.Elem))
		return nil
	}
	r := len(data.Shape)
	if r == 0 {
		return fmt.Errorf("Gather needs data of rank >= 1")
	}
	ax, err := NormAxis(c.Node.Int("axis"), r)
	if err != nil {
		return fmt.Errorf("Gather: %v", err)
	}
	out := append(append(append([]Dim{}, data.Shape[:ax]...), idx.Shape...), data.Shape[ax+1:]...)
	c.Set(0, shpTensor(data.Elem, out))
	// Elements of a known vector.
	vals, ok := c.Partial(0)
	is, iok := c.Partial(1)
	if ok && iok && r == 1 && len(idx.Shape) <= 1 {
		res := make([]SymInt, len(is))
		for k, i := range is {
			if !i.Known || i.Val < -int64(len(vals)) || i.Val >= int64(len(vals)) {
				return nil
			}
			if i.Val < 0 {
				i.Val += int64(len(vals))
			}
			res[k] = vals[i.Val]
		}
		c.SetPartial(0, res)
	}
	return nil
}

func inferGatherElements(c *InferCtx) error {
	data, idx := c.In[0], c.In[1]
	if data.HasShape && idx.HasShape && len(data.Shape) != len(idx.Shape) {
		return fmt.Errorf("GatherElements: data %s and indices %s differ in rank", data, idx)
	}
	if !idx.HasShape {
		c.Set(0, UnrankedTensor(data.Elem))
		return nil
	}
	c.Set(0, shpTensor(data.Elem, idx.Shape))
	return nil
}

func inferGatherND(c *InferCtx) error {
	data, idx := c.In[0], c.In[1]
	if !data.HasShape || !idx.HasShape || len(idx.Shape) == 0 || !idx.Shape[len(idx.Shape)-1].IsKnown() {
		c.Set(0, UnrankedTensor(data.Elem))
		return nil
	}
	b := int(c.Node.Int("batch_dims"))
	k := int(idx.Shape[len(idx.Shape)-1].Size)
	if b < 0 || b+k > len(data.Shape) || b >= len(idx.Shape) {
		return fmt.Errorf("GatherND: batch_dims %d and index length %d do not fit data %s and indices %s", b, k, data, idx)
	}
	out := append(append([]Dim{}, idx.Shape[:len(idx.Shape)-1]...), data.Shape[b+k:]...)
	c.Set(0, shpTensor(data.Elem, out))
	return nil
}

func inferExpand(c *InferCtx) error {
	in := c.In[0]
	shape, ok := c.Partial(1)
	if !ok {
		if c.In[1].HasShape && len(c.In[1].Shape) == 1 && c.In[1].Shape[0].IsKnown() && in.HasShape {
			n := max(int(c.In[1].Shape[0].Size), len(in.Shape))
			out := shpUnknownDims(n)
			for i, d := range in.Shape {
				if d.IsKnown() && d.Size != 1 {
					out[n-len(in.Shape)+i] = d
				}
			}
			c.Set(0, shpTensor(in.Elem, out))
		} else {
			c.Set(0, UnrankedTensor(in.Elem))
		}
		return nil
	}
	target := make([]Dim, len(shape))
	for i, s := range shape {
		if s.Known && s.Val < 0 {
			return fmt.Errorf("Expand: negative dim %d in shape %v", s.Val, shape)
		}
		target[i] = s.Dim()
	}
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	dims, _, err := BroadcastDims(in, Type{Kind: KindTensor, Shape: target, HasShape: true})
	if err != nil {
		return fmt.Errorf("Expand: %v", err)
	}
	c.Set(0, shpTensor(in.Elem, dims))
	if v, ok := c.Partial(0); ok && len(dims) <= 1 {
		if len(dims) == 0 || len(v) == 1 && dims[0].IsKnown() && dims[0].Size <= MaxPartialLen {
			n := 1
			if len(dims) == 1 {
				n = int(dims[0].Size)
			}
			res := make([]SymInt, n)
			for k := range res {
				res[k] = v[0]
			}
			c.SetPartial(0, res)
		} else if len(dims) == 1 && dims[0].IsKnown() && int64(len(v)) == dims[0].Size {
			c.SetPartial(0, v)
		}
	}
	return nil
}

func inferTile(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	out := shpUnknownDims(r)
	if c.Node.Opset < 6 {
		c.Set(0, shpTensor(in.Elem, out))
		return nil
	}
	reps, ok := c.Partial(1)
	if ok {
		if len(reps) != r {
			return fmt.Errorf("Tile: %d repeats for rank %d", len(reps), r)
		}
		for i, d := range in.Shape {
			rep := reps[i]
			switch {
			case !rep.Known:
				if d.IsKnown() && d.Size == 1 {
					out[i] = rep.Dim()
				} else if d.IsKnown() && d.Size == 0 {
					out[i] = Known(0)
				}
			case rep.Val < 0:
				return fmt.Errorf("Tile: negative repeat %d", rep.Val)
			case d.IsKnown():
				out[i] = Known(d.Size * rep.Val)
			case rep.Val == 1:
				out[i] = d
			case rep.Val == 0:
				out[i] = Known(0)
			}
		}
	}
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}

func inferPad(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	var pads []int64
	ok := true
	switch {
	case c.Node.Opset < 2:
		pads = c.Node.Ints("paddings")
	case c.Node.Opset < 11:
		pads = c.Node.Ints("pads")
	default:
		pads, ok = shpInts(c, 1)
	}
	axes := make([]int64, r)
	for i := range axes {
		axes[i] = int64(i)
	}
	if ok && c.Node.Opset >= 18 && c.Has(3) {
		axes, ok = shpInts(c, 3)
	}
	if !ok {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(r)))
		return nil
	}
	if len(pads) != 2*len(axes) {
		return fmt.Errorf("Pad: %d pads for %d axes", len(pads), len(axes))
	}
	ax, err := shpUniqueAxes(axes, r)
	if err != nil {
		return fmt.Errorf("Pad: %v", err)
	}
	out := append([]Dim{}, in.Shape...)
	for i, a := range ax {
		d := in.Shape[a]
		if !d.IsKnown() {
			if pads[i] != 0 || pads[i+len(ax)] != 0 {
				out[a] = Unknown()
			}
			continue
		}
		n := d.Size + pads[i] + pads[i+len(ax)]
		if n < 0 {
			return fmt.Errorf("Pad: pads %v make dim %d negative", pads, a)
		}
		out[a] = Known(n)
	}
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}

// ShapeRange clamps Shape's start and end attributes to [0, rank].
func ShapeRange(start int64, end *int64, rank int) (int, int) {
	r := int64(rank)
	e := r
	if end != nil {
		e = *end
	}
	clamp := func(x int64) int {
		if x < 0 {
			x += r
		}
		return int(max(0, min(x, r)))
	}
	s, en := clamp(start), clamp(e)
	if en < s {
		en = s
	}
	return s, en
}

func inferShapeOp(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, shpTensor(tensor.Int64, shpUnknownDims(1)))
		return nil
	}
	var end *int64
	if a := c.Node.Attr("end"); a != nil {
		end = &a.I
	}
	s, e := ShapeRange(c.Node.Int("start"), end, len(in.Shape))
	c.Set(0, TensorType(tensor.Int64, int64(e-s)))
	c.SetPartial(0, DimsInts(in.Shape[s:e]))
	return nil
}

func inferSize(c *InferCtx) error {
	c.Set(0, TensorType(tensor.Int64))
	if c.In[0].HasShape {
		if d := shpProd(c.In[0].Shape); d.IsKnown() || d.Param != "" {
			c.SetPartial(0, []SymInt{DimInt(d)})
		}
	}
	return nil
}

func inferConstantOfShape(c *InferCtx) error {
	elem := tensor.Float32
	v := c.Node.Tensor("value")
	if v != nil {
		elem = v.DType()
	}
	shape, ok := c.Partial(0)
	if !ok {
		if c.In[0].HasShape && len(c.In[0].Shape) == 1 && c.In[0].Shape[0].IsKnown() {
			c.Set(0, shpTensor(elem, shpUnknownDims(int(c.In[0].Shape[0].Size))))
		} else {
			c.Set(0, UnrankedTensor(elem))
		}
		return nil
	}
	dims := make([]Dim, len(shape))
	for i, s := range shape {
		if s.Known && s.Val < 0 {
			return fmt.Errorf("ConstantOfShape: negative dim %d", s.Val)
		}
		dims[i] = s.Dim()
	}
	c.Set(0, shpTensor(elem, dims))
	// A small integer vector of one value.
	fill := KnownInt(0)
	if v != nil {
		fv, ok := constPartial(v)
		if !ok || len(fv) != 1 {
			return nil
		}
		fill = fv[0]
	}
	if len(dims) <= 1 {
		n := int64(1)
		if len(dims) == 1 {
			if !dims[0].IsKnown() || dims[0].Size > MaxPartialLen {
				return nil
			}
			n = dims[0].Size
		}
		res := make([]SymInt, n)
		for k := range res {
			res[k] = fill
		}
		c.SetPartial(0, res)
	}
	return nil
}

// RangeCount returns the number of elements Range produces,
// max(ceil((limit-start)/delta), 0).
func RangeCount(start, limit, delta float64) (int64, error) {
	if delta == 0 {
		return 0, fmt.Errorf("Range: delta is 0")
	}
	n := (limit - start) / delta
	if n != n {
		return 0, fmt.Errorf("Range: count is NaN for start %g, limit %g, delta %g", start, limit, delta)
	}
	if n <= 0 {
		return 0, nil
	}
	if n > float64(tensor.MaxElements) {
		return 0, fmt.Errorf("Range: %g elements: %w", n, tensor.ErrTooLarge)
	}
	k := int64(n)
	if float64(k) < n {
		k++
	}
	return k, nil
}

func inferRange(c *InferCtx) error {
	elem := c.In[0].Elem
	var v [3]float64
	var iv [3]SymInt
	known := true
	for i := range v {
		if p, ok := c.Partial(i); ok && len(p) == 1 {
			iv[i] = p[0]
		}
		t := c.Const(i)
		if t == nil || t.Len() != 1 {
			known = false
			continue
		}
		v[i] = t.Float64At(0)
	}
	if !known {
		// Range(0, n, 1) has n elements.
		n := Unknown()
		if iv[0].Known && iv[0].Val == 0 && iv[2].Known && iv[2].Val == 1 {
			n = iv[1].Dim()
		}
		c.Set(0, shpTensor(elem, []Dim{n}))
		return nil
	}
	if elem.IsInt() {
		n, err := RangeCountInt(int64(v[0]), int64(v[1]), int64(v[2]))
		if err != nil {
			return err
		}
		c.Set(0, TensorType(elem, n))
		if n <= MaxPartialLen {
			res := make([]SymInt, n)
			for k := range res {
				res[k] = KnownInt(int64(v[0]) + int64(k)*int64(v[2]))
			}
			c.SetPartial(0, res)
		}
		return nil
	}
	n, err := RangeCount(v[0], v[1], v[2])
	if err != nil {
		return err
	}
	c.Set(0, TensorType(elem, n))
	return nil
}

// RangeCountInt is RangeCount in exact integer arithmetic.
func RangeCountInt(start, limit, delta int64) (int64, error) {
	if delta == 0 {
		return 0, fmt.Errorf("Range: delta is 0")
	}
	// The differences are taken in uint64, which holds any int64 span.
	if (delta > 0 && limit <= start) || (delta < 0 && limit >= start) {
		return 0, nil
	}
	var span, step uint64
	if delta > 0 {
		span, step = uint64(limit-start), uint64(delta)
	} else {
		span, step = uint64(start-limit), uint64(-delta)
	}
	n := (span + step - 1) / step
	if n > tensor.MaxElements {
		return 0, fmt.Errorf("Range: %d elements: %w", n, tensor.ErrTooLarge)
	}
	return int64(n), nil
}

func inferEyeLike(c *InferCtx) error {
	in := c.In[0]
	elem := in.Elem
	if a := c.Node.Attr("dtype"); a != nil {
		elem = tensor.DType(a.I)
		if !elem.Valid() {
			return fmt.Errorf("EyeLike: unknown dtype %d", a.I)
		}
	}
	if in.HasShape && len(in.Shape) != 2 {
		return fmt.Errorf("EyeLike needs a 2-D input, got %s", in)
	}
	if !in.HasShape {
		c.Set(0, shpTensor(elem, shpUnknownDims(2)))
		return nil
	}
	c.Set(0, shpTensor(elem, in.Shape))
	return nil
}

func inferCompress(c *InferCtx) error {
	in := c.In[0]
	if !c.Node.HasAttr("axis") {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(1)))
		return nil
	}
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	ax, err := NormAxis(c.Node.Int("axis"), len(in.Shape))
	if err != nil {
		return fmt.Errorf("Compress: %v", err)
	}
	out := append([]Dim{}, in.Shape...)
	out[ax] = Unknown()
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}

func inferNonZero(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, shpTensor(tensor.Int64, shpUnknownDims(2)))
		return nil
	}
	c.Set(0, shpTensor(tensor.Int64, []Dim{Known(int64(max(1, len(in.Shape)))), Unknown()}))
	return nil
}

func inferUnique(c *InferCtx) error {
	in := c.In[0]
	inv := Unknown()
	if !c.Node.HasAttr("axis") {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(1)))
		if in.HasShape {
			inv = shpProd(in.Shape)
		}
	} else if in.HasShape {
		ax, err := NormAxis(c.Node.Int("axis"), len(in.Shape))
		if err != nil {
			return fmt.Errorf("Unique: %v", err)
		}
		out := append([]Dim{}, in.Shape...)
		out[ax] = Unknown()
		inv = in.Shape[ax]
		c.Set(0, shpTensor(in.Elem, out))
	} else {
		c.Set(0, UnrankedTensor(in.Elem))
	}
	c.Set(1, shpTensor(tensor.Int64, shpUnknownDims(1)))
	c.Set(2, shpTensor(tensor.Int64, []Dim{inv}))
	c.Set(3, shpTensor(tensor.Int64, shpUnknownDims(1)))
	return nil
}

func inferOneHot(c *InferCtx) error {
	idx := c.In[0]
	elem := c.In[2].Elem
	if !idx.HasShape {
		c.Set(0, UnrankedTensor(elem))
		return nil
	}
	r := len(idx.Shape) + 1
	axis := c.Node.Int("axis")
	if axis < -int64(r) || axis >= int64(r) {
		return fmt.Errorf("OneHot: axis %d out of range for output rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	depth := Unknown()
	if t := c.Const(1); t != nil && t.Len() == 1 {
		d := int64(t.Float64At(0))
		if d < 1 {
			return fmt.Errorf("OneHot: depth %d is not positive", d)
		}
		depth = Known(d)
	}
	out := append(append(append([]Dim{}, idx.Shape[:axis]...), depth), idx.Shape[axis:]...)
	c.Set(0, shpTensor(elem, out))
	return nil
}

func inferDepthToSpace(c *InferCtx) error {
	return inferBlocks(c, false)
}

func inferSpaceToDepth(c *InferCtx) error {
	return inferBlocks(c, true)
}

// inferBlocks is the shape function of SpaceToDepth (toDepth) and
// DepthToSpace.
func inferBlocks(c *InferCtx, toDepth bool) error {
	in := c.In[0]
	b := c.Node.Int("blocksize")
	if b <= 0 {
		return fmt.Errorf("%s: blocksize %d is not positive", c.Node.Op, b)
	}
	if !in.HasShape {
		c.Set(0, shpTensor(in.Elem, shpUnknownDims(4)))
		return nil
	}
	if len(in.Shape) != 4 {
		return fmt.Errorf("%s needs a 4-D input, got %s", c.Node.Op, in)
	}
	out := append([]Dim{}, in.Shape...)
	scale := func(d Dim, mul bool, f int64) (Dim, error) {
		if !d.IsKnown() {
			return Unknown(), nil
		}
		if mul {
			return Known(d.Size * f), nil
		}
		if d.Size%f != 0 {
			return Dim{}, fmt.Errorf("%s: dim %d is not a multiple of %d", c.Node.Op, d.Size, f)
		}
		return Known(d.Size / f), nil
	}
	var err error
	if out[1], err = scale(in.Shape[1], toDepth, b*b); err != nil {
		return err
	}
	for i := 2; i < 4; i++ {
		if out[i], err = scale(in.Shape[i], !toDepth, b); err != nil {
			return err
		}
	}
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}

func inferCenterCropPad(c *InferCtx) error {
	in := c.In[0]
	if !in.HasShape {
		c.Set(0, UnrankedTensor(in.Elem))
		return nil
	}
	r := len(in.Shape)
	shape, ok := shpInts(c, 1)
	if !ok {
		out := append([]Dim{}, in.Shape...)
		if axes := c.Node.Ints("axes"); axes != nil {
			for _, a := range axes {
				if ax, err := NormAxis(a, r); err == nil {
					out[ax] = Unknown()
				}
			}
		} else {
			out = shpUnknownDims(r)
		}
		c.Set(0, shpTensor(in.Elem, out))
		return nil
	}
	axes := c.Node.Ints("axes")
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(axes) != len(shape) {
		return fmt.Errorf("CenterCropPad: %d sizes for %d axes", len(shape), len(axes))
	}
	ax, err := shpUniqueAxes(axes, r)
	if err != nil {
		return fmt.Errorf("CenterCropPad: %v", err)
	}
	out := append([]Dim{}, in.Shape...)
	for i, a := range ax {
		if shape[i] < 0 {
			return fmt.Errorf("CenterCropPad: negative size %d", shape[i])
		}
		out[a] = Known(shape[i])
	}
	c.Set(0, shpTensor(in.Elem, out))
	return nil
}
