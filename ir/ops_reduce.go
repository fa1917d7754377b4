package ir

import (
	"fmt"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// Reductions, arg-reductions, TopK, CumSum, the softmax family,
// normalizations, losses and linear algebra.
func init() {
	reduceAttrs := []AttrDef{AttrOpt("axes", AttrInts), AttrI("keepdims", 1), AttrI("noop_with_empty_axes", 0)}
	reduce := func(name string, versions []int, inputAxesSince int, types, doc string) OpSchema {
		return OpSchema{Name: name, Versions: versions,
			Inputs: "data:T axes?:I", Outputs: "reduced:T",
			Types: "T=" + types + " I=i64", Attrs: reduceAttrs,
			Infer: inferReduce(inputAxesSince), Doc: doc}
	}
	v18 := []int{1, 11, 13, 18}
	argAttrs := []AttrDef{AttrI("axis", 0), AttrI("keepdims", 1), AttrI("select_last_index", 0)}
	softmaxLike := func(name, doc string) OpSchema {
		return OpSchema{Name: name, Versions: []int{1, 11, 13},
			Inputs: "input:T", Outputs: "output:T", Types: "T=float",
			Attrs: []AttrDef{AttrOpt("axis", AttrInt)}, Infer: InferUnary, Doc: doc}
	}
	lossAttrs := []AttrDef{AttrS("reduction", "mean"), AttrOpt("ignore_index", AttrInt)}
	Register(
		reduce("ReduceSum", []int{1, 11, 13}, 13, "numeric", "sum over axes"),
		reduce("ReduceMean", v18, 18, "numeric", "mean over axes"),
		reduce("ReduceMax", []int{1, 11, 12, 13, 18, 20}, 18, "numeric,bool", "maximum over axes"),
		reduce("ReduceMin", []int{1, 11, 12, 13, 18, 20}, 18, "numeric,bool", "minimum over axes"),
		reduce("ReduceProd", v18, 18, "numeric", "product over axes"),
		reduce("ReduceL1", v18, 18, "numeric", "sum of absolute values over axes"),
		reduce("ReduceL2", v18, 18, "numeric", "Euclidean norm over axes"),
		reduce("ReduceLogSum", v18, 18, "numeric", "log of the sum over axes"),
		reduce("ReduceLogSumExp", v18, 18, "numeric", "log of the sum of exponentials over axes"),
		reduce("ReduceSumSquare", v18, 18, "numeric", "sum of squares over axes"),

		OpSchema{Name: "ArgMax", Versions: []int{1, 11, 12, 13}, Inputs: "data:T", Outputs: "reduced:I",
			Types: "T=numeric I=i64", Attrs: argAttrs, Infer: inferArg, Doc: "index of the maximum along an axis"},
		OpSchema{Name: "ArgMin", Versions: []int{1, 11, 12, 13}, Inputs: "data:T", Outputs: "reduced:I",
			Types: "T=numeric I=i64", Attrs: argAttrs, Infer: inferArg, Doc: "index of the minimum along an axis"},
		OpSchema{Name: "TopK", Versions: []int{1, 10, 11, 24}, Inputs: "X:T K?:I", Outputs: "Values:T Indices:I",
			Types: "T=numeric I=i64",
			Attrs: []AttrDef{AttrI("axis", -1), AttrI("largest", 1), AttrI("sorted", 1), AttrOpt("k", AttrInt)},
			Infer: inferTopK, Doc: "the k largest or smallest elements along an axis and their indices"},
		OpSchema{Name: "CumSum", Versions: []int{11, 14}, Inputs: "x:T axis:T2", Outputs: "y:T",
			Types: "T=numeric T2=i32,i64", Attrs: []AttrDef{AttrI("exclusive", 0), AttrI("reverse", 0)},
			Infer: InferUnary, Doc: "cumulative sum along an axis"},

		softmaxLike("Softmax", "normalized exponentials along an axis"),
		softmaxLike("LogSoftmax", "log of Softmax along an axis"),
		softmaxLike("Hardmax", "one at the first maximum along an axis, zero elsewhere"),

		OpSchema{Name: "BatchNormalization", Versions: []int{1, 6, 7, 9, 14, 15},
			Inputs:  "X:T scale:T1 B:T1 input_mean:T2 input_var:T2",
			Outputs: "Y:T running_mean?:T2 running_var?:T2 saved_mean?:T2 saved_var?:T2",
			Types:   "T=float T1=float T2=float",
			Attrs: []AttrDef{AttrF("epsilon", 1e-5), AttrF("momentum", 0.9), AttrI("training_mode", 0),
				AttrI("spatial", 1), AttrI("is_test", 0), AttrOpt("consumed_inputs", AttrInts)},
			Infer: inferBatchNorm, Doc: "normalization by per-channel mean and variance"},
		OpSchema{Name: "InstanceNormalization", Versions: []int{1, 6, 22}, Inputs: "input:T scale:T B:T",
			Outputs: "output:T", Types: "T=float",
			Attrs: []AttrDef{AttrF("epsilon", 1e-5), AttrOpt("consumed_inputs", AttrInts)},
			Infer: InferUnary, Doc: "normalization over the spatial dims of each instance and channel"},
		OpSchema{Name: "LayerNormalization", Versions: []int{17}, Inputs: "X:T Scale:T B?:T",
			Outputs: "Y:T Mean?:U InvStdDev?:U", Types: "T=float U=float",
			Attrs: []AttrDef{AttrI("axis", -1), AttrF("epsilon", 1e-5), AttrI("stash_type", 1)},
			Infer: inferLayerNorm, Doc: "normalization over the trailing dims from axis"},
		OpSchema{Name: "GroupNormalization", Versions: []int{18, 21}, Inputs: "X:T scale:T bias:T",
			Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrF("epsilon", 1e-5), AttrReq("num_groups", AttrInt), AttrI("stash_type", 1)},
			Infer: InferUnary, Doc: "normalization over groups of channels"},
		OpSchema{Name: "RMSNormalization", Versions: []int{23}, Inputs: "X:T scale:V",
			Outputs: "Y:V", Types: "T=float V=float",
			Attrs: []AttrDef{AttrI("axis", -1), AttrF("epsilon", 1e-5), AttrI("stash_type", 1)},
			Infer: inferRMSNorm, Doc: "division by the root mean square over the trailing dims from axis"},
		OpSchema{Name: "LpNormalization", Versions: []int{1, 22}, Inputs: "input:T", Outputs: "output:T",
			Types: "T=float", Attrs: []AttrDef{AttrI("axis", -1), AttrI("p", 2)},
			Infer: InferUnary, Doc: "division by the Lp norm along an axis"},
		OpSchema{Name: "LRN", Versions: []int{1, 13}, Inputs: "X:T", Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrF("alpha", 1e-4), AttrF("beta", 0.75), AttrF("bias", 1), AttrReq("size", AttrInt)},
			Infer: InferUnary, Doc: "local response normalization across channels"},
		OpSchema{Name: "MeanVarianceNormalization", Versions: []int{1, 9, 13}, Inputs: "X:T", Outputs: "Y:T",
			Types: "T=float",
			Attrs: []AttrDef{AttrDef{Name: "axes", Type: AttrInts, Default: []int64{0, 2, 3}},
				AttrI("across_channels", 0), AttrI("normalize_variance", 1)},
			Infer: InferUnary, Doc: "normalization to zero mean and unit variance over axes"},

		OpSchema{Name: "MatMul", Versions: []int{1, 9, 13}, Inputs: "A:T B:T", Outputs: "Y:T",
			Types: "T=float,i32,i64,u32,u64", Infer: inferMatMul(tensor.Undefined),
			Doc: "matrix product with numpy semantics"},
		OpSchema{Name: "MatMulInteger", Versions: []int{10},
			Inputs: "A:T1 B:T2 a_zero_point?:T1 b_zero_point?:T2", Outputs: "Y:T3",
			Types: "T1=i8,u8 T2=i8,u8 T3=i32", Infer: inferMatMul(tensor.Int32),
			Doc: "integer matrix product after subtracting zero points"},
		OpSchema{Name: "Gemm", Versions: []int{1, 6, 7, 9, 11, 13}, Inputs: "A:T B:T C?:T", Outputs: "Y:T",
			Types: "T=float,i32,i64,u32,u64",
			Attrs: []AttrDef{AttrF("alpha", 1), AttrF("beta", 1), AttrI("transA", 0), AttrI("transB", 0),
				AttrI("broadcast", 0)},
			Infer: inferGemm, Doc: "alpha·A'·B' + beta·C"},
		OpSchema{Name: "Einsum", Versions: []int{12}, Inputs: "Inputs...:T", Outputs: "Output:T",
			Types: "T=numeric", Attrs: []AttrDef{AttrReq("equation", AttrString)},
			Infer: inferEinsum, Doc: "Einstein summation"},
		OpSchema{Name: "Det", Versions: []int{11, 22}, Inputs: "X:T", Outputs: "Y:T", Types: "T=float",
			Infer: inferDet, Doc: "determinant of square matrices"},

		OpSchema{Name: "NegativeLogLikelihoodLoss", Versions: []int{12, 13, 22},
			Inputs: "input:T target:Tind weight?:T", Outputs: "loss:T", Types: "T=float Tind=i32,i64",
			Attrs: lossAttrs, Infer: inferLoss, Doc: "negative log likelihood loss"},
		OpSchema{Name: "SoftmaxCrossEntropyLoss", Versions: []int{12, 13},
			Inputs: "scores:T labels:Tind weights?:T", Outputs: "output:T log_prob?:T", Types: "T=float Tind=i32,i64",
			Attrs: lossAttrs, Infer: inferLoss, Doc: "cross entropy of softmax scores and labels"},
	)
}

// reduceAxesOf returns the axes a Reduce* node reduces, normalized and
// sorted, when they can be known from its attributes and constant inputs.
// inputSince is the opset from which axes is an input rather than an
// attribute. all is true when every axis is reduced and noop when the node
// is an identity (empty axes with noop_with_empty_axes).
func reduceAxesOf(c *InferCtx, rank, inputSince int) (axes []int, all, noop, known bool, err error) {
	var raw []int64
	if c.Node.Opset < inputSince {
		if a := c.Node.Attr("axes"); a != nil {
			raw = a.Ints
		}
	} else if c.Has(1) {
		t := c.Const(1)
		if t == nil {
			return nil, false, false, false, nil
		}
		if t.Rank() > 1 {
			return nil, false, false, false, fmt.Errorf("axes must be a 1-D tensor, got shape %v", t.Shape())
		}
		raw = t.Int64sOf()
	}
	if len(raw) == 0 {
		if c.Node.Opset >= inputSince && c.Node.Int("noop_with_empty_axes") != 0 {
			return nil, false, true, true, nil
		}
		return nil, true, false, true, nil
	}
	axes, err = reduceNormAxes(raw, rank)
	return axes, false, false, true, err
}

// reduceNormAxes normalizes axes against rank, rejecting duplicates and axes out
// of range, and sorts them.
func reduceNormAxes(raw []int64, rank int) ([]int, error) {
	seen := map[int]bool{}
	out := make([]int, 0, len(raw))
	for _, a := range raw {
		ax, err := NormAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[ax] {
			return nil, fmt.Errorf("axis %d appears twice in axes %v", a, raw)
		}
		seen[ax] = true
		out = append(out, ax)
	}
	sort.Ints(out)
	return out, nil
}

func inferReduce(inputSince int) InferFunc {
	return func(c *InferCtx) error {
		if err := reduceNeedInputs(c, 1); err != nil {
			return err
		}
		x := c.In[0]
		keep := c.Node.Int("keepdims") != 0
		if c.Node.Opset >= inputSince && c.Node.HasAttr("axes") {
			return fmt.Errorf("%s takes axes as an input from opset %d, not as an attribute", c.Node.Op, inputSince)
		}
		if !x.HasShape {
			c.Set(0, UnrankedTensor(x.Elem))
			return nil
		}
		rank := len(x.Shape)
		axes, all, noop, known, err := reduceAxesOf(c, rank, inputSince)
		if err != nil {
			return err
		}
		switch {
		case noop:
			c.Set(0, x.Clone())
			return nil
		case !known && keep:
			dims := make([]Dim, rank)
			for i := range dims {
				dims[i] = Unknown()
			}
			c.Set(0, TensorOf(x.Elem, dims))
			return nil
		case !known:
			// Without keepdims, as many dims go as axes has entries (when
			// it has some).
			if a := c.In[1]; a.HasShape && len(a.Shape) == 1 && a.Shape[0].IsKnown() && a.Shape[0].Size > 0 &&
				a.Shape[0].Size <= int64(rank) {
				c.Set(0, TensorOf(x.Elem, shpUnknownDims(rank-int(a.Shape[0].Size))))
				return nil
			}
			c.Set(0, UnrankedTensor(x.Elem))
			return nil
		}
		red := make([]bool, rank)
		for i := range red {
			red[i] = all
		}
		for _, a := range axes {
			red[a] = true
		}
		c.Set(0, TensorOf(x.Elem, reducedDims(x.Shape, red, keep)))
		return nil
	}
}

func reducedDims(shape []Dim, red []bool, keep bool) []Dim {
	var dims []Dim
	for i, d := range shape {
		switch {
		case !red[i]:
			dims = append(dims, d)
		case keep:
			dims = append(dims, Known(1))
		}
	}
	if dims == nil {
		dims = []Dim{}
	}
	return dims
}

func inferArg(c *InferCtx) error {
	if err := reduceNeedInputs(c, 1); err != nil {
		return err
	}
	x := c.In[0]
	if !x.HasShape {
		c.Set(0, UnrankedTensor(tensor.Int64))
		return nil
	}
	axis, err := NormAxis(c.Node.Int("axis"), len(x.Shape))
	if err != nil {
		return err
	}
	red := make([]bool, len(x.Shape))
	red[axis] = true
	c.Set(0, TensorOf(tensor.Int64, reducedDims(x.Shape, red, c.Node.Int("keepdims") != 0)))
	return nil
}

func inferTopK(c *InferCtx) error {
	if err := reduceNeedInputs(c, 1); err != nil {
		return err
	}
	x := c.In[0]
	if !x.HasShape {
		c.Set(0, UnrankedTensor(x.Elem))
		c.Set(1, UnrankedTensor(tensor.Int64))
		return nil
	}
	axis, err := NormAxis(c.Node.Int("axis"), len(x.Shape))
	if err != nil {
		return err
	}
	k := Unknown()
	if c.Node.Opset < 10 {
		if !c.Node.HasAttr("k") {
			return fmt.Errorf("TopK before opset 10 needs the attribute k")
		}
		k = Known(c.Node.Int("k"))
	} else if v, ok := c.Partial(1); ok {
		if len(v) != 1 {
			return fmt.Errorf("K must hold exactly one value, got %d", len(v))
		}
		if v[0].Known && v[0].Val < 0 {
			return fmt.Errorf("k must not be negative, got %d", v[0].Val)
		}
		k = v[0].Dim()
	}
	if k.IsKnown() {
		if k.Size < 0 {
			return fmt.Errorf("k must not be negative, got %d", k.Size)
		}
		if d := x.Shape[axis]; d.IsKnown() && k.Size > d.Size {
			return fmt.Errorf("k = %d exceeds dim %d of size %d", k.Size, axis, d.Size)
		}
	}
	dims := append([]Dim{}, x.Shape...)
	dims[axis] = k
	c.Set(0, TensorOf(x.Elem, dims))
	c.Set(1, TensorOf(tensor.Int64, dims))
	return nil
}

func inferBatchNorm(c *InferCtx) error {
	if err := reduceNeedInputs(c, 5); err != nil {
		return err
	}
	c.Set(0, c.In[0].Clone())
	for o := 1; o < len(c.Out); o++ {
		c.Set(o, c.In[3].Clone())
	}
	return nil
}

func inferLayerNorm(c *InferCtx) error {
	if err := reduceNeedInputs(c, 1); err != nil {
		return err
	}
	x := c.In[0]
	c.Set(0, x.Clone())
	stash := tensor.DType(c.Node.Int("stash_type"))
	if !stash.IsFloat() {
		return fmt.Errorf("stash_type %d is not a floating-point type", c.Node.Int("stash_type"))
	}
	if !x.HasShape {
		c.Set(1, UnrankedTensor(stash))
		c.Set(2, UnrankedTensor(stash))
		return nil
	}
	axis, err := NormAxis(c.Node.Int("axis"), len(x.Shape))
	if err != nil {
		return err
	}
	dims := append([]Dim{}, x.Shape...)
	for i := axis; i < len(dims); i++ {
		dims[i] = Known(1)
	}
	c.Set(1, TensorOf(stash, dims))
	c.Set(2, TensorOf(stash, dims))
	return nil
}

func inferRMSNorm(c *InferCtx) error {
	if err := reduceNeedInputs(c, 2); err != nil {
		return err
	}
	x := c.In[0]
	out := x.Clone()
	if c.In[1].Elem != tensor.Undefined {
		out.Elem = c.In[1].Elem
	}
	if x.HasShape {
		if _, err := NormAxis(c.Node.Int("axis"), len(x.Shape)); err != nil {
			return err
		}
	}
	c.Set(0, out)
	return nil
}

// inferMatMul gives the numpy matmul shape; elem overrides the output
// element type when set.
func inferMatMul(elem tensor.DType) InferFunc {
	return func(c *InferCtx) error {
		if err := reduceNeedInputs(c, 2); err != nil {
			return err
		}
		a, b := c.In[0], c.In[1]
		elem := elem
		if elem == tensor.Undefined {
			elem = a.Elem
		}
		if elem == tensor.Undefined {
			elem = b.Elem
		}
		if !a.HasShape || !b.HasShape {
			c.Set(0, UnrankedTensor(elem))
			return nil
		}
		dims, err := MatMulDims(a.Shape, b.Shape)
		if err != nil {
			return err
		}
		c.Set(0, TensorOf(elem, dims))
		return nil
	}
}

// MatMulDims returns the shape numpy's matmul gives operands of shapes a
// and b, or an error when they do not fit.
func MatMulDims(a, b []Dim) ([]Dim, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("MatMul operands must have rank at least 1, got ranks %d and %d", len(a), len(b))
	}
	a1, b1 := len(a) == 1, len(b) == 1
	if a1 {
		a = []Dim{Known(1), a[0]}
	}
	if b1 {
		b = []Dim{b[0], Known(1)}
	}
	ka, kb := a[len(a)-1], b[len(b)-2]
	if ka.IsKnown() && kb.IsKnown() && ka.Size != kb.Size {
		return nil, fmt.Errorf("MatMul inner dims differ: %s×%s times %s×%s", a[len(a)-2], ka, kb, b[len(b)-1])
	}
	batch, _, err := BroadcastDims(Type{Kind: KindTensor, Shape: a[:len(a)-2], HasShape: true},
		Type{Kind: KindTensor, Shape: b[:len(b)-2], HasShape: true})
	if err != nil {
		return nil, fmt.Errorf("MatMul batch dims: %w", err)
	}
	dims := append([]Dim{}, batch...)
	if !a1 {
		dims = append(dims, a[len(a)-2])
	}
	if !b1 {
		dims = append(dims, b[len(b)-1])
	}
	return dims, nil
}

func inferGemm(c *InferCtx) error {
	if err := reduceNeedInputs(c, 2); err != nil {
		return err
	}
	a, b := c.In[0], c.In[1]
	if !a.HasShape || !b.HasShape {
		c.Set(0, UnrankedTensor(a.Elem))
		return nil
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return fmt.Errorf("Gemm needs 2-D A and B, got ranks %d and %d", len(a.Shape), len(b.Shape))
	}
	m, ka := a.Shape[0], a.Shape[1]
	if c.Node.Int("transA") != 0 {
		m, ka = ka, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if c.Node.Int("transB") != 0 {
		kb, n = n, kb
	}
	if ka.IsKnown() && kb.IsKnown() && ka.Size != kb.Size {
		return fmt.Errorf("Gemm inner dims differ: A' is %s×%s, B' is %s×%s", m, ka, kb, n)
	}
	c.Set(0, TensorOf(a.Elem, []Dim{m, n}))
	return nil
}

func inferDet(c *InferCtx) error {
	if err := reduceNeedInputs(c, 1); err != nil {
		return err
	}
	x := c.In[0]
	if !x.HasShape {
		c.Set(0, UnrankedTensor(x.Elem))
		return nil
	}
	r := len(x.Shape)
	if r < 2 {
		return fmt.Errorf("Det needs rank at least 2, got %d", r)
	}
	m, n := x.Shape[r-2], x.Shape[r-1]
	if m.IsKnown() && n.IsKnown() && m.Size != n.Size {
		return fmt.Errorf("Det needs square matrices, got %s×%s", m, n)
	}
	c.Set(0, TensorOf(x.Elem, x.Shape[:r-2]))
	return nil
}

func inferLoss(c *InferCtx) error {
	if err := reduceNeedInputs(c, 2); err != nil {
		return err
	}
	x, t := c.In[0], c.In[1]
	red := c.Node.Str("reduction")
	switch red {
	case "none":
		if t.HasShape {
			c.Set(0, TensorOf(x.Elem, t.Shape))
		} else {
			c.Set(0, UnrankedTensor(x.Elem))
		}
	case "sum", "mean":
		c.Set(0, TensorOf(x.Elem, []Dim{}))
	default:
		return fmt.Errorf("reduction must be none, sum or mean, got %q", red)
	}
	if x.HasShape && len(x.Shape) < 2 {
		return fmt.Errorf("%s needs input of rank at least 2 (N, C, ...), got rank %d", c.Node.Op, len(x.Shape))
	}
	c.Set(1, x.Clone())
	return nil
}

// EinsumSpec is a parsed Einsum equation. Each term lists its labels; the
// label '.' stands for the ellipsis, which occurs at most once per term.
type EinsumSpec struct {
	Inputs [][]byte
	Output []byte
}

// ParseEinsum parses an Einsum equation such as "bij,bjk->bik" or
// "...ii->...i". Without "->", the output is the ellipsis (when an input
// has one) followed by the labels that occur exactly once, in alphabetical
// order.
func ParseEinsum(eq string) (*EinsumSpec, error) {
	eq = strings.ReplaceAll(eq, " ", "")
	lhs, rhs, explicit := strings.Cut(eq, "->")
	term := func(s string) ([]byte, error) {
		var out []byte
		ell := false
		for i := 0; i < len(s); i++ {
			ch := s[i]
			switch {
			case ch == '.':
				if !strings.HasPrefix(s[i:], "...") {
					return nil, fmt.Errorf("einsum equation %q: '.' outside an ellipsis", eq)
				}
				if ell {
					return nil, fmt.Errorf("einsum equation %q: more than one ellipsis in term %q", eq, s)
				}
				ell = true
				out = append(out, '.')
				i += 2
			case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
				out = append(out, ch)
			default:
				return nil, fmt.Errorf("einsum equation %q: invalid character %q", eq, ch)
			}
		}
		return out, nil
	}
	sp := &EinsumSpec{}
	count := map[byte]int{}
	hasEll := false
	for _, s := range strings.Split(lhs, ",") {
		t, err := term(s)
		if err != nil {
			return nil, err
		}
		for _, l := range t {
			if l == '.' {
				hasEll = true
			} else {
				count[l]++
			}
		}
		sp.Inputs = append(sp.Inputs, t)
	}
	if explicit {
		if strings.Contains(rhs, "->") || strings.Contains(rhs, ",") {
			return nil, fmt.Errorf("einsum equation %q: malformed output term", eq)
		}
		out, err := term(rhs)
		if err != nil {
			return nil, err
		}
		seen := map[byte]bool{}
		for _, l := range out {
			if seen[l] {
				return nil, fmt.Errorf("einsum equation %q: label %q repeated in the output", eq, l)
			}
			seen[l] = true
			if l == '.' {
				if !hasEll {
					return nil, fmt.Errorf("einsum equation %q: ellipsis in the output but in no input", eq)
				}
			} else if count[l] == 0 {
				return nil, fmt.Errorf("einsum equation %q: output label %q is in no input", eq, l)
			}
		}
		sp.Output = out
	} else {
		if hasEll {
			sp.Output = append(sp.Output, '.')
		}
		var once []byte
		for l, n := range count {
			if n == 1 {
				once = append(once, l)
			}
		}
		sort.Slice(once, func(i, j int) bool { return once[i] < once[j] })
		sp.Output = append(sp.Output, once...)
	}
	return sp, nil
}

// EinsumDims resolves the size of every label and of the broadcast
// ellipsis dims for inputs of the given shapes, and returns the output
// shape. A size of -1 is unknown. Dims of size 1 broadcast, as in numpy.
func (sp *EinsumSpec) EinsumDims(shapes [][]int64) (labels map[byte]int64, ell []int64, out []int64, err error) {
	if len(shapes) != len(sp.Inputs) {
		return nil, nil, nil, fmt.Errorf("einsum equation has %d input terms, node has %d inputs", len(sp.Inputs), len(shapes))
	}
	// merge combines two sizes of one dim: 1 broadcasts, -1 is unknown.
	merge := func(cur, d int64) (int64, bool) {
		switch {
		case cur == d || d == 1:
			return cur, true
		case cur == 1:
			return d, true
		case d == -1:
			return cur, true
		case cur == -1:
			return d, true
		}
		return cur, false
	}
	labels = map[byte]int64{}
	for i, t := range sp.Inputs {
		s := shapes[i]
		nl := len(t)
		hasEll := einsumHas(t, '.')
		if hasEll {
			nl--
		}
		if len(s) < nl || (!hasEll && len(s) != nl) {
			return nil, nil, nil, fmt.Errorf("einsum input %d has rank %d, term %q needs %d", i, len(s), t, nl)
		}
		p := 0
		for _, l := range t {
			if l == '.' {
				e := s[p : p+len(s)-nl]
				p += len(e)
				if len(e) > len(ell) {
					pad := make([]int64, len(e)-len(ell))
					for j := range pad {
						pad[j] = 1
					}
					ell = append(pad, ell...)
				}
				off := len(ell) - len(e)
				for j, d := range e {
					cur := ell[off+j]
					m, ok := merge(cur, d)
					if !ok {
						return nil, nil, nil, fmt.Errorf("einsum ellipsis dims of input %d (%v) do not broadcast with %v", i, e, ell)
					}
					ell[off+j] = m
				}
				continue
			}
			cur, seen := labels[l]
			if !seen {
				labels[l] = s[p]
			} else {
				m, ok := merge(cur, s[p])
				if !ok {
					return nil, nil, nil, fmt.Errorf("einsum label %q has sizes %d and %d", l, cur, s[p])
				}
				labels[l] = m
			}
			p++
		}
	}
	for _, l := range sp.Output {
		if l == '.' {
			out = append(out, ell...)
		} else {
			out = append(out, labels[l])
		}
	}
	if out == nil {
		out = []int64{}
	}
	return labels, ell, out, nil
}

func inferEinsum(c *InferCtx) error {
	sp, err := ParseEinsum(c.Node.Str("equation"))
	if err != nil {
		return err
	}
	if len(sp.Inputs) != len(c.In) {
		return fmt.Errorf("einsum equation has %d input terms, node has %d inputs", len(sp.Inputs), len(c.In))
	}
	elem := c.In[0].Elem
	shapes := make([][]int64, len(c.In))
	for i, t := range c.In {
		if !t.HasShape {
			if einsumHas(sp.Output, '.') {
				c.Set(0, UnrankedTensor(elem))
				return nil
			}
			dims := make([]Dim, len(sp.Output))
			for j := range dims {
				dims[j] = Unknown()
			}
			c.Set(0, TensorOf(elem, dims))
			return nil
		}
		for _, d := range t.Shape {
			shapes[i] = append(shapes[i], d.Size)
		}
	}
	_, _, out, err := sp.EinsumDims(shapes)
	if err != nil {
		return err
	}
	// Unknown sizes keep a symbolic name when an input gives one for the
	// label (or the ellipsis dim, counted from the right).
	names := map[byte]string{}
	var ellNames []string // from the right
	for i, term := range sp.Inputs {
		dims := c.In[i].Shape
		nEll := len(dims) - len(term) + 1
		p := 0
		for _, l := range term {
			if l == '.' {
				for j := 0; j < nEll; j++ {
					r := nEll - 1 - j
					for len(ellNames) <= r {
						ellNames = append(ellNames, "")
					}
					if ellNames[r] == "" {
						ellNames[r] = dims[p].Param
					}
					p++
				}
				continue
			}
			if names[l] == "" {
				names[l] = dims[p].Param
			}
			p++
		}
	}
	var params []string
	for _, l := range sp.Output {
		if l != '.' {
			params = append(params, names[l])
			continue
		}
		nEll := len(out) - len(sp.Output) + 1
		for j := 0; j < nEll; j++ {
			r := nEll - 1 - j
			if r < len(ellNames) {
				params = append(params, ellNames[r])
			} else {
				params = append(params, "")
			}
		}
	}
	dims := make([]Dim, len(out))
	for i, d := range out {
		switch {
		case d >= 0:
			dims[i] = Known(d)
		case i < len(params) && params[i] != "":
			dims[i] = Sym(params[i])
		default:
			dims[i] = Unknown()
		}
	}
	c.Set(0, TensorOf(elem, dims))
	return nil
}

func einsumHas(b []byte, x byte) bool {
	for _, c := range b {
		if c == x {
			return true
		}
	}
	return false
}

// reduceNeedInputs returns an error when the node has fewer than n inputs.
func reduceNeedInputs(c *InferCtx, n int) error {
	if len(c.In) < n {
		return fmt.Errorf("%s needs at least %d inputs, got %d", c.Node.Op, n, len(c.In))
	}
	return nil
}
