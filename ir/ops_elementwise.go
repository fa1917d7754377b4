package ir

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/tensor"
)

// Elementwise ops: unary math, activations, binary arithmetic with
// broadcasting, comparisons, logic, bitwise ops, the variadic Max, Min,
// Sum and Mean, Where, and Cast/CastLike.

// legacyAttrs are the attributes of the binary ops before opset 7, whose
// second input broadcast to the first only when broadcast was 1, aligned
// at axis (suffix-aligned when axis is unset).
var legacyAttrs = []AttrDef{AttrI("broadcast", 0), AttrOpt("axis", AttrInt)}

// consumed is the legacy optimization attribute of many opset-1 ops; it
// has no effect.
var consumed = AttrOpt("consumed_inputs", AttrInts)

// Selu's default coefficients, as the ONNX spec states them.
const (
	seluAlpha = 1.67326319217681884765625
	seluGamma = 1.05070102214813232421875
)

func unaryOp(name string, versions []int, types, doc string, attrs ...AttrDef) OpSchema {
	return OpSchema{Name: name, Versions: versions, Inputs: "X:T", Outputs: "Y:T", Types: types,
		Attrs: attrs, Infer: InferUnary, Doc: doc}
}

func binaryOp(name string, versions []int, types, doc string, attrs ...AttrDef) OpSchema {
	return OpSchema{Name: name, Versions: versions, Inputs: "A:T B:T", Outputs: "C:T", Types: types,
		Attrs: attrs, Infer: inferArith, Doc: doc}
}

func compareOp(name string, versions []int, types, doc string, attrs ...AttrDef) OpSchema {
	return OpSchema{Name: name, Versions: versions, Inputs: "A:T B:T", Outputs: "C:T1", Types: types + " T1=bool",
		Attrs: attrs, Infer: inferCompare, Doc: doc}
}

func variadicOp(name, out string, versions []int, types, doc string) OpSchema {
	return OpSchema{Name: name, Versions: versions, Inputs: "data_0...:T", Outputs: out + ":T", Types: types,
		Attrs: []AttrDef{consumed}, Infer: inferArith, Doc: doc}
}

func init() {
	v := func(xs ...int) []int { return xs }
	Register(
		// Unary math.
		withPartial(unaryOp("Abs", v(1, 6, 13), "T=float,uint,sint", "absolute value", consumed)),
		withPartial(unaryOp("Neg", v(1, 6, 13), "T=float,sint", "negation", consumed)),
		unaryOp("Reciprocal", v(1, 6, 13), "T=float", "1/x", consumed),
		unaryOp("Floor", v(1, 6, 13), "T=float", "round toward negative infinity", consumed),
		unaryOp("Ceil", v(1, 6, 13), "T=float", "round toward positive infinity", consumed),
		unaryOp("Round", v(11, 22), "T=float", "round to nearest, halves to even"),
		unaryOp("Sqrt", v(1, 6, 13), "T=float", "square root", consumed),
		unaryOp("Exp", v(1, 6, 13), "T=float", "e to the power x", consumed),
		unaryOp("Log", v(1, 6, 13), "T=float", "natural logarithm", consumed),
		unaryOp("Sin", v(7, 22), "T=float", "sine"),
		unaryOp("Cos", v(7, 22), "T=float", "cosine"),
		unaryOp("Tan", v(7, 22), "T=float", "tangent"),
		unaryOp("Asin", v(7, 22), "T=float", "arcsine"),
		unaryOp("Acos", v(7, 22), "T=float", "arccosine"),
		unaryOp("Atan", v(7, 22), "T=float", "arctangent"),
		unaryOp("Sinh", v(9, 22), "T=float", "hyperbolic sine"),
		unaryOp("Cosh", v(9, 22), "T=float", "hyperbolic cosine"),
		unaryOp("Asinh", v(9, 22), "T=float", "inverse hyperbolic sine"),
		unaryOp("Acosh", v(9, 22), "T=float", "inverse hyperbolic cosine"),
		unaryOp("Atanh", v(9, 22), "T=float", "inverse hyperbolic tangent"),
		unaryOp("Erf", v(9, 13), "T=float,uint,sint", "the error function"),
		unaryOp("Sign", v(9, 13), "T=float,uint,sint", "-1, 0 or 1 by the sign of x"),
		OpSchema{Name: "IsNaN", Versions: v(9, 13, 20), Inputs: "X:T1", Outputs: "Y:T2",
			Types: "T1=float,f8 T2=bool", Infer: inferUnaryBool, Doc: "whether x is NaN"},
		OpSchema{Name: "IsInf", Versions: v(10, 20), Inputs: "X:T1", Outputs: "Y:T2",
			Types: "T1=float,f8 T2=bool", Attrs: []AttrDef{AttrI("detect_negative", 1), AttrI("detect_positive", 1)},
			Infer: inferUnaryBool, Doc: "whether x is an infinity (of the selected signs)"},
		withPartial(unaryOp("Not", v(1), "T=bool", "logical not")),
		unaryOp("BitwiseNot", v(18), "T=uint,sint", "bitwise complement"),

		// Activations.
		unaryOp("Relu", v(1, 6, 13, 14), "T=float,sint", "max(0, x)", consumed),
		unaryOp("LeakyRelu", v(1, 6, 16), "T=float", "x, or alpha*x for x < 0", AttrF("alpha", 0.01), consumed),
		OpSchema{Name: "PRelu", Versions: v(1, 6, 7, 9, 16), Inputs: "X:T slope:T", Outputs: "Y:T",
			Types: "T=float,i32,i64,u32,u64", Attrs: []AttrDef{consumed}, Infer: InferUnary,
			Doc: "x, or slope*x for x < 0 (slope broadcasts to x)"},
		unaryOp("Elu", v(1, 6, 22), "T=float", "x, or alpha*(exp(x)-1) for x < 0", AttrF("alpha", 1), consumed),
		unaryOp("Selu", v(1, 6, 22), "T=float", "gamma*x, or gamma*alpha*(exp(x)-1) for x <= 0",
			AttrF("alpha", seluAlpha), AttrF("gamma", seluGamma), consumed),
		unaryOp("Celu", v(12, 28), "T=float", "max(0,x) + min(0, alpha*(exp(x/alpha)-1))", AttrF("alpha", 1)),
		unaryOp("ThresholdedRelu", v(10, 22), "T=float", "x for x > alpha, else 0", AttrF("alpha", 1)),
		unaryOp("HardSigmoid", v(1, 6, 22), "T=float", "max(0, min(1, alpha*x + beta))",
			AttrF("alpha", 0.2), AttrF("beta", 0.5), consumed),
		unaryOp("HardSwish", v(14, 22), "T=float", "x * max(0, min(1, x/6 + 1/2))"),
		unaryOp("Sigmoid", v(1, 6, 13), "T=float", "1/(1+exp(-x))", consumed),
		unaryOp("Softplus", v(1, 22), "T=float", "log(exp(x)+1)"),
		unaryOp("Softsign", v(1, 22), "T=float", "x/(1+|x|)"),
		unaryOp("Tanh", v(1, 6, 13), "T=float", "hyperbolic tangent", consumed),
		unaryOp("Mish", v(18, 22), "T=float", "x * tanh(softplus(x))"),
		unaryOp("Gelu", v(20), "T=float", "Gaussian error linear unit, exact or tanh-approximated",
			AttrS("approximate", "none")),
		unaryOp("Swish", v(24), "T=float", "x * sigmoid(alpha*x)", AttrF("alpha", 1)),
		OpSchema{Name: "SwiGLU", Versions: v(28), Inputs: "A:T B:T", Outputs: "Y:T", Types: "T=float",
			Attrs: []AttrDef{AttrF("alpha", 1)}, Infer: inferSwiGLU,
			Doc: "swish(A) * B for A and B of the same shape"},
		unaryOp("Shrink", v(9), "T=float,uint,sint", "x+bias below -lambd, x-bias above lambd, else 0",
			AttrF("bias", 0), AttrF("lambd", 0.5)),
		OpSchema{Name: "Clip", Versions: v(1, 6, 11, 12, 13), Inputs: "input:T min?:T max?:T", Outputs: "output:T",
			Types: "T=float,uint,sint", Attrs: []AttrDef{AttrOpt("min", AttrFloat), AttrOpt("max", AttrFloat), consumed},
			Infer: InferUnary, Doc: "x limited to [min, max] (attributes before opset 11, inputs after)"},

		// Binary arithmetic.
		binaryOp("Add", v(1, 6, 7, 13, 14), "T=float,uint,sint", "A + B", append(legacyAttrs, consumed)...),
		binaryOp("Sub", v(1, 6, 7, 13, 14), "T=float,uint,sint", "A - B", append(legacyAttrs, consumed)...),
		binaryOp("Mul", v(1, 6, 7, 13, 14), "T=float,uint,sint", "A * B", append(legacyAttrs, consumed)...),
		binaryOp("Div", v(1, 6, 7, 13, 14), "T=float,uint,sint", "A / B (integers truncate toward zero)",
			append(legacyAttrs, consumed)...),
		OpSchema{Name: "Pow", Versions: v(1, 7, 12, 13, 15), Inputs: "X:T Y:T1", Outputs: "Z:T",
			Types: "T=i32,i64,float T1=float,uint,sint", Attrs: legacyAttrs, Infer: inferPow,
			Doc: "X to the power Y, in the type of X"},
		binaryOp("Mod", v(10, 13), "T=float,uint,sint", "remainder; sign of the divisor unless fmod=1", AttrI("fmod", 0)),
		OpSchema{Name: "BitShift", Versions: v(11), Inputs: "X:T Y:T", Outputs: "Z:T", Types: "T=uint",
			Attrs: []AttrDef{AttrReq("direction", AttrString)}, Infer: InferBroadcast,
			Doc: "X shifted LEFT or RIGHT by Y bits"},
		binaryOp("BitwiseAnd", v(18), "T=uint,sint", "bitwise and"),
		binaryOp("BitwiseOr", v(18), "T=uint,sint", "bitwise or"),
		binaryOp("BitwiseXor", v(18), "T=uint,sint", "bitwise exclusive or"),

		// Logic and comparisons.
		compareOp("And", v(1, 7), "T=bool", "logical and", legacyAttrs...),
		compareOp("Or", v(1, 7), "T=bool", "logical or", legacyAttrs...),
		compareOp("Xor", v(1, 7), "T=bool", "logical exclusive or", legacyAttrs...),
		compareOp("Equal", v(1, 7, 11, 13, 19), "T=bool,float,uint,sint,string", "A == B", legacyAttrs...),
		compareOp("Less", v(1, 7, 9, 13), "T=float,uint,sint", "A < B", legacyAttrs...),
		compareOp("LessOrEqual", v(12, 16), "T=float,uint,sint", "A <= B"),
		compareOp("Greater", v(1, 7, 9, 13), "T=float,uint,sint", "A > B", legacyAttrs...),
		compareOp("GreaterOrEqual", v(12, 16), "T=float,uint,sint", "A >= B"),
		OpSchema{Name: "Where", Versions: v(9, 16), Inputs: "condition:B X:T Y:T", Outputs: "output:T",
			Types: "B=bool", Infer: inferWhere, Doc: "X where condition holds, else Y, with broadcasting"},

		// Variadic.
		variadicOp("Max", "max", v(1, 6, 8, 12, 13), "T=float,uint,sint", "elementwise maximum, with broadcasting"),
		variadicOp("Min", "min", v(1, 6, 8, 12, 13), "T=float,uint,sint", "elementwise minimum, with broadcasting"),
		variadicOp("Sum", "sum", v(1, 6, 8, 13), "T=float", "elementwise sum, with broadcasting"),
		variadicOp("Mean", "mean", v(1, 6, 8, 13), "T=float", "elementwise mean, with broadcasting"),

		// Type conversion.
		OpSchema{Name: "Cast", Versions: v(1, 6, 9, 13, 19, 21, 23, 24, 25), Inputs: "input:T1", Outputs: "output:T2",
			Attrs: []AttrDef{AttrReq("to", AttrInt), AttrI("saturate", 1), AttrS("round_mode", "up")},
			Infer: inferCast, Doc: "the input converted to element type 'to'"},
		OpSchema{Name: "CastLike", Versions: v(15, 19, 21, 23, 24, 25), Inputs: "input:T1 target_type:T2",
			Outputs: "output:T2", Attrs: []AttrDef{AttrI("saturate", 1), AttrS("round_mode", "up")},
			Infer: inferCastLike, Doc: "the input converted to the element type of target_type"},
	)
}

// LegacyBroadcast reports whether a binary op node follows the rules
// before opset 7: with broadcast=1 the second input broadcasts to the
// first, aligned at axis; with broadcast=0 both must have the same shape.
// It returns false for nodes at opset 7 and later (numpy broadcasting).
func LegacyBroadcast(n *Node) bool {
	return n.Opset < 7 && (n.Domain == "" || n.Domain == "ai.onnx") && n.Schema != nil && n.Schema.AttrDef("broadcast") != nil
}

// InferLegacyBroadcast is InferBroadcast for ops that had the broadcast
// attribute before opset 7: there the result has the shape of input 0.
func InferLegacyBroadcast(c *InferCtx) error {
	if LegacyBroadcast(c.Node) {
		return inferLegacy(c, c.In[0].Elem)
	}
	return InferBroadcast(c)
}

// InferLegacyBroadcastBool is InferLegacyBroadcast with a BOOL result.
func InferLegacyBroadcastBool(c *InferCtx) error {
	if LegacyBroadcast(c.Node) {
		return inferLegacy(c, tensor.Bool)
	}
	return InferBroadcastBool(c)
}

func inferLegacy(c *InferCtx, elem tensor.DType) error {
	a, b := c.In[0], c.In[1]
	out := Type{Kind: KindTensor, Elem: elem}
	if a.HasShape {
		out.Shape, out.HasShape = append([]Dim{}, a.Shape...), true
	}
	if a.HasShape && b.HasShape {
		if _, err := LegacyBroadcastShape(dimSizes(a.Shape), dimSizes(b.Shape), c.Node.Int("broadcast") != 0,
			c.Node.HasAttr("axis"), c.Node.Int("axis")); err != nil {
			return err
		}
	}
	c.Set(0, out)
	return nil
}

// dimSizes returns the sizes of dims, -1 for those not known.
func dimSizes(ds []Dim) []int {
	s := make([]int, len(ds))
	for i, d := range ds {
		s[i] = int(d.Size)
		if !d.IsKnown() {
			s[i] = -1
		}
	}
	return s
}

// LegacyBroadcastShape returns the shape, of the same rank as a, to which
// the second input of shape b is reshaped (with 1s) so that it broadcasts
// to a under the rules before opset 7. Dims of -1 are unknown and match
// anything. With broadcast false the shapes must be equal; with it true b
// must have one element or be a contiguous run of a's dims starting at
// axis (negative counts from the end; suffix-aligned when hasAxis is
// false).
func LegacyBroadcastShape(a, b []int, broadcast, hasAxis bool, axis int64) ([]int, error) {
	if !broadcast {
		if !sameDims(a, b) {
			return nil, fmt.Errorf("shapes %v and %v differ and broadcast is 0 (before opset 7 broadcasting must be enabled by the broadcast attribute)", a, b)
		}
		return append([]int{}, b...), nil
	}
	out := make([]int, len(a))
	for i := range out {
		out[i] = 1
	}
	n := 1
	for _, d := range b {
		n *= d
	}
	if n == 1 && len(b) <= len(a) {
		return out, nil
	}
	if len(b) > len(a) {
		return nil, fmt.Errorf("legacy broadcast: second input has rank %d, more than the first's %d", len(b), len(a))
	}
	start := len(a) - len(b)
	if hasAxis {
		ax := axis
		if ax < 0 {
			ax += int64(len(a))
		}
		if ax < 0 || ax+int64(len(b)) > int64(len(a)) {
			return nil, fmt.Errorf("legacy broadcast: axis %d does not place shape %v inside shape %v", axis, b, a)
		}
		start = int(ax)
	}
	for i, d := range b {
		ad := a[start+i]
		if d != ad && d != 1 && d >= 0 && ad >= 0 {
			return nil, fmt.Errorf("legacy broadcast: shape %v does not match shape %v at axis %d", b, a, start)
		}
		out[start+i] = d
	}
	return out, nil
}

func sameDims(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && a[i] >= 0 && b[i] >= 0 {
			return false
		}
	}
	return true
}

func inferUnaryBool(c *InferCtx) error {
	t := c.In[0].Clone()
	t.Kind, t.Elem = KindTensor, tensor.Bool
	c.Set(0, t)
	return nil
}

func inferSwiGLU(c *InferCtx) error {
	a, b := c.In[0], c.In[1]
	if a.HasShape && b.HasShape {
		if !sameDims(dimSizes(a.Shape), dimSizes(b.Shape)) {
			return fmt.Errorf("SwiGLU inputs must have identical shapes, got %s and %s", a, b)
		}
	}
	c.Set(0, a.Clone())
	return nil
}

func inferWhere(c *InferCtx) error {
	var types []Type
	for i, t := range c.In {
		if c.Has(i) {
			types = append(types, t)
		}
	}
	shape, ok, err := BroadcastDims(types...)
	if err != nil {
		return err
	}
	out := Type{Kind: KindTensor, Elem: c.In[1].Elem}
	if out.Elem == tensor.Undefined && len(c.In) > 2 {
		out.Elem = c.In[2].Elem
	}
	if ok {
		out.Shape, out.HasShape = shape, true
	}
	c.Set(0, out)
	// Selecting between known vectors.
	cond, ok0 := c.Partial(0)
	x, ok1 := c.Partial(1)
	y, ok2 := c.Partial(2)
	if ok0 && ok1 && ok2 {
		n := max(len(cond), len(x), len(y))
		res := make([]SymInt, n)
		for k := range res {
			cv := cond[min(k, len(cond)-1)]
			switch {
			case len(cond) != n && len(cond) != 1, len(x) != n && len(x) != 1, len(y) != n && len(y) != 1:
				return nil
			case !cv.Known:
				if xv, yv := x[min(k, len(x)-1)], y[min(k, len(y)-1)]; xv.Same(yv) {
					res[k] = xv
				}
			case cv.Val != 0:
				res[k] = x[min(k, len(x)-1)]
			default:
				res[k] = y[min(k, len(y)-1)]
			}
		}
		c.SetPartial(0, res)
	}
	return nil
}

// CastTarget returns the element type named by a Cast node's 'to'
// attribute: an ONNX DataType number, or (Cast-1) a type name such as
// "FLOAT".
func CastTarget(n *Node) (tensor.DType, error) {
	a := n.Attr("to")
	if a == nil {
		return tensor.Undefined, fmt.Errorf("Cast needs the 'to' attribute")
	}
	if a.Type == AttrString {
		if d, ok := tensor.DTypeByName(a.S); ok {
			return d, nil
		}
		return tensor.Undefined, fmt.Errorf("Cast: 'to' names unknown type %q", a.S)
	}
	if a.I <= 0 || a.I > math.MaxUint8 || !tensor.DType(a.I).Valid() {
		return tensor.Undefined, fmt.Errorf("Cast: 'to' is %d, not a known element type", a.I)
	}
	return tensor.DType(a.I), nil
}

func inferCast(c *InferCtx) error {
	to, err := CastTarget(c.Node)
	if err != nil {
		return err
	}
	t := c.In[0].Clone()
	t.Kind, t.Elem = KindTensor, to
	c.Set(0, t)
	if v, ok := c.Partial(0); ok && partialElem(to) && partialElem(c.In[0].Elem) {
		c.SetPartial(0, castPartial(v, to))
	}
	return nil
}

// castPartial converts integers to element type to: BOOL makes non-zero
// 1, narrower integer types wrap (symbolic sizes are kept only by types of
// 32 bits and more).
func castPartial(v []SymInt, to tensor.DType) []SymInt {
	out := make([]SymInt, len(v))
	cell := tensor.New(to, 1)
	for i, x := range v {
		switch {
		case !x.Known:
			if to != tensor.Bool && to.Bits() >= 32 {
				out[i] = x
			}
		case to == tensor.Bool:
			out[i] = KnownInt(0)
			if x.Val != 0 {
				out[i] = KnownInt(1)
			}
		default:
			cell.SetInt64At(0, x.Val)
			out[i] = KnownInt(cell.Int64At(0))
		}
	}
	return out
}

func inferCastLike(c *InferCtx) error {
	t := c.In[0].Clone()
	t.Kind, t.Elem = KindTensor, c.In[1].Elem
	c.Set(0, t)
	if v, ok := c.Partial(0); ok && partialElem(t.Elem) && partialElem(c.In[0].Elem) {
		c.SetPartial(0, castPartial(v, t.Elem))
	}
	return nil
}

// inferPow: the result has the element type of the base.
func inferPow(c *InferCtx) error {
	if LegacyBroadcast(c.Node) {
		return inferLegacy(c, c.In[0].Elem)
	}
	return inferBroadcastTo(c, c.In[0].Elem)
}

// withPartial makes a unary op's shape function also compute the partial
// value of its output (for Neg, Abs and Not).
func withPartial(s OpSchema) OpSchema {
	infer := s.Infer
	s.Infer = func(c *InferCtx) error {
		if err := infer(c); err != nil {
			return err
		}
		v, ok := c.Partial(0)
		if !ok {
			return nil
		}
		out := make([]SymInt, len(v))
		for i, x := range v {
			switch {
			case !x.Known:
				if c.Node.Op == "Abs" && x.Sym != "" {
					out[i] = x // a size is not negative
				}
			case c.Node.Op == "Neg":
				out[i] = KnownInt(-x.Val)
			case c.Node.Op == "Not":
				out[i] = KnownInt(1 - x.Val)
			case c.Node.Op == "Abs":
				out[i] = KnownInt(max(x.Val, -x.Val))
			}
		}
		c.SetPartial(0, out)
		return nil
	}
	return s
}

// inferArith is the shape function of the binary and variadic
// arithmetic ops. On small integer vectors it also computes the partial
// value of the result: exactly where the operands are known, and for the
// identities x+0, x-0, x*1, x/1, max(x, x) and min(x, x) on symbolic
// dims.
func inferArith(c *InferCtx) error {
	if err := InferLegacyBroadcast(c); err != nil {
		return err
	}
	if LegacyBroadcast(c.Node) || !c.Out[0].Elem.IsInt() {
		return nil
	}
	foldPartial(c, func(a, b SymInt) SymInt { return arithInt(c.Node, a, b) })
	return nil
}

// inferCompare is the shape function of the comparisons and logical
// ops, which also compute the partial value of their result.
func inferCompare(c *InferCtx) error {
	if err := InferLegacyBroadcastBool(c); err != nil {
		return err
	}
	if LegacyBroadcast(c.Node) {
		return nil
	}
	foldPartial(c, func(a, b SymInt) SymInt { return compareInt(c.Node.Op, a, b) })
	return nil
}

// compareInt compares two integers (or BOOLs, as 0 and 1).
func compareInt(op string, a, b SymInt) SymInt {
	bit := func(x bool) SymInt {
		if x {
			return KnownInt(1)
		}
		return KnownInt(0)
	}
	if !a.Known || !b.Known {
		if a.Same(b) {
			switch op {
			case "Equal", "LessOrEqual", "GreaterOrEqual":
				return KnownInt(1)
			case "Less", "Greater":
				return KnownInt(0)
			}
		}
		return SymInt{}
	}
	switch op {
	case "Equal":
		return bit(a.Val == b.Val)
	case "Less":
		return bit(a.Val < b.Val)
	case "LessOrEqual":
		return bit(a.Val <= b.Val)
	case "Greater":
		return bit(a.Val > b.Val)
	case "GreaterOrEqual":
		return bit(a.Val >= b.Val)
	case "And":
		return bit(a.Val != 0 && b.Val != 0)
	case "Or":
		return bit(a.Val != 0 || b.Val != 0)
	case "Xor":
		return bit((a.Val != 0) != (b.Val != 0))
	}
	return SymInt{}
}

// foldPartial sets the partial value of output 0 to the elementwise,
// broadcast combination of the partial values of the inputs.
func foldPartial(c *InferCtx, f func(a, b SymInt) SymInt) {
	var acc []SymInt
	for i := range c.In {
		v, ok := c.Partial(i)
		if !ok {
			return
		}
		if i == 0 {
			acc = v
			continue
		}
		n := max(len(acc), len(v))
		if (len(acc) != n && len(acc) != 1) || (len(v) != n && len(v) != 1) {
			return
		}
		res := make([]SymInt, n)
		for k := range res {
			res[k] = f(acc[min(k, len(acc)-1)], v[min(k, len(v)-1)])
		}
		acc = res
	}
	if acc != nil {
		c.SetPartial(0, acc)
	}
}

// arithInt applies n's op to two integers: division truncates toward
// zero, Mod takes the sign of the divisor unless fmod is set.
func arithInt(n *Node, a, b SymInt) SymInt {
	op := n.Op
	if a.Known && b.Known {
		switch op {
		case "Add", "Sum":
			return KnownInt(a.Val + b.Val)
		case "Sub":
			return KnownInt(a.Val - b.Val)
		case "Mul":
			return KnownInt(a.Val * b.Val)
		case "Div":
			if b.Val != 0 {
				return KnownInt(a.Val / b.Val)
			}
		case "Max":
			return KnownInt(max(a.Val, b.Val))
		case "Min":
			return KnownInt(min(a.Val, b.Val))
		case "Mod":
			if b.Val == 0 {
				return SymInt{}
			}
			r := a.Val % b.Val
			if n.Int("fmod") == 0 && r != 0 && (r < 0) != (b.Val < 0) {
				r += b.Val
			}
			return KnownInt(r)
		}
		return SymInt{}
	}
	isVal := func(x SymInt, v int64) bool { return x.Known && x.Val == v }
	switch op {
	case "Add", "Sum":
		if isVal(b, 0) {
			return a
		}
		if isVal(a, 0) {
			return b
		}
	case "Sub":
		if isVal(b, 0) {
			return a
		}
		if a.Same(b) {
			return KnownInt(0)
		}
	case "Mul":
		if isVal(b, 1) {
			return a
		}
		if isVal(a, 1) {
			return b
		}
		if isVal(a, 0) || isVal(b, 0) {
			return KnownInt(0)
		}
	case "Div":
		if isVal(b, 1) {
			return a
		}
		if a.Same(b) && a.Sym != "" {
			return KnownInt(1) // sizes are taken as non-zero
		}
	case "Mod":
		if isVal(b, 1) || a.Same(b) {
			return KnownInt(0)
		}
	case "Max", "Min":
		if a.Same(b) {
			return a
		}
	}
	return SymInt{}
}
