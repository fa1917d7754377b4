package autodiff

import "github.com/onyxgo/onyx/ir"

// Which ops are differentiable. An op is differentiable when some float
// output depends smoothly, or piecewise smoothly, on some float input;
// such an op should have a gradient rule. Every op of the op table
// without a rule is listed here with the reason: either it is not
// differentiable (notDifferentiable) or its rule is still to be written
// (notYet). A test keeps the lists in step with the op table and the rule
// table.
//
// Ops whose float outputs are piecewise constant in their inputs (Floor,
// Round, Sign, Hardmax) are differentiable with a zero gradient and have
// rules saying so, as they appear inside graphs that are trained.

// Reasons for an op not to be differentiable. The first two are checked
// against the op's signature.
const (
	reasonBool     = "boolean output"
	reasonInt      = "integer output"
	reasonIntOnly  = "integer inputs and outputs"
	reasonRandom   = "random"
	reasonShapeOf  = "depends only on the input's shape"
	reasonConst    = "constant: no tensor inputs to differentiate"
	reasonStrings  = "strings"
	reasonQuant    = "quantized: integer output"
	reasonML       = "classic ML op (table lookup or piecewise constant); not trained by gradients"
	reasonTraining = "training op: an optimizer update, not differentiated"
)

var notDifferentiable = map[string]string{
	":And": reasonBool, ":Or": reasonBool, ":Xor": reasonBool, ":Not": reasonBool,
	":Equal": reasonBool, ":Greater": reasonBool, ":GreaterOrEqual": reasonBool,
	":Less": reasonBool, ":LessOrEqual": reasonBool, ":IsInf": reasonBool, ":IsNaN": reasonBool,
	":OptionalHasElement": reasonBool,
	":ArgMax":             reasonInt, ":ArgMin": reasonInt, ":NonZero": reasonInt,
	":Shape": reasonInt, ":Size": reasonInt, ":NonMaxSuppression": reasonInt,
	":SequenceLength": reasonInt,
	":BitShift":       reasonIntOnly, ":BitwiseAnd": reasonIntOnly, ":BitwiseOr": reasonIntOnly,
	":BitwiseXor": reasonIntOnly, ":BitwiseNot": reasonIntOnly,
	":BitCast":   "reinterprets the bits of its input",
	":Bernoulli": reasonRandom, ":Multinomial": reasonRandom,
	":RandomNormal": reasonRandom, ":RandomUniform": reasonRandom,
	":RandomNormalLike": reasonRandom + "; " + reasonShapeOf, ":RandomUniformLike": reasonRandom + "; " + reasonShapeOf,
	":EyeLike": reasonShapeOf, ":ConstantOfShape": reasonShapeOf,
	":BlackmanWindow": reasonShapeOf, ":HammingWindow": reasonShapeOf, ":HannWindow": reasonShapeOf,
	":MelWeightMatrix": "a constant filter bank computed from its scalar parameters",
	":Constant":        reasonConst, ":SequenceEmpty": reasonConst,
	":StringConcat": reasonStrings, ":StringNormalizer": reasonStrings, ":StringSplit": reasonStrings,
	":RegexFullMatch": reasonStrings, ":TfIdfVectorizer": "counts of integer or string n-grams",
	":ImageDecoder": "decodes encoded image bytes",
	":ConvInteger":  reasonQuant, ":MatMulInteger": reasonQuant, ":QLinearConv": reasonQuant,
	":QLinearMatMul": reasonQuant, ":QuantizeLinear": reasonQuant, ":DynamicQuantizeLinear": reasonQuant,
	"ai.onnx.ml:ArrayFeatureExtractor": reasonML, "ai.onnx.ml:Binarizer": reasonML,
	"ai.onnx.ml:LabelEncoder": reasonML, "ai.onnx.ml:TreeEnsemble": reasonML,
	"ai.onnx.preview.training:Adagrad":  reasonTraining,
	"ai.onnx.preview.training:Adam":     reasonTraining,
	"ai.onnx.preview.training:Momentum": reasonTraining,
	"ai.onnx.preview.training:Gradient": "expanded into its backward graph before differentiation",
}

// notYet lists differentiable ops whose rules are still to be written.
var notYet = map[string]string{
	":If": "control flow", ":Loop": "control flow", ":Scan": "control flow",
	":SequenceMap": "control flow over sequences",
	":SequenceAt":  "sequence values", ":SequenceConstruct": "sequence values", ":SequenceErase": "sequence values",
	":SequenceInsert": "sequence values", ":SplitToSequence": "sequence values", ":ConcatFromSequence": "sequence values",
	":Optional": "optional values", ":OptionalGetElement": "optional values",
	":CumProd":                      "needs the products of the other elements where an input is zero",
	":Det":                          "needs a matrix inverse, which ONNX lacks",
	":MaxRoiPool":                   "not yet",
	":RoiAlign":                     "not yet",
	":GridSample":                   "not yet",
	":AffineGrid":                   "not yet",
	":DeformConv":                   "not yet",
	":Col2Im":                       "not yet (its adjoint is an im2col, which ONNX lacks)",
	":Upsample":                     "not yet (deprecated; routing gradients needs opset 11)",
	":Scatter":                      "not yet (deprecated; the updates' gradient needs GatherElements, opset 11)",
	":Unique":                       "not yet",
	":DFT":                          "not yet",
	":STFT":                         "not yet",
	":RNN":                          "not yet",
	":GRU":                          "not yet",
	":LSTM":                         "not yet",
	":Attention":                    "not yet",
	":RotaryEmbedding":              "not yet",
	":TensorScatter":                "not yet",
	":LinearAttention":              "not yet",
	":CausalConvWithState":          "not yet",
	"ai.onnx.preview:FlexAttention": "not yet",
}

// Differentiability says how op (in domain) stands: whether it is
// differentiable, whether it has a gradient rule, and for an op without a
// rule, why.
func Differentiability(domain, op string) (differentiable, hasRule bool, reason string) {
	k := ir.NormDomain(domain) + ":" + op
	if rules[k] != nil {
		return true, true, ""
	}
	if r, ok := notDifferentiable[k]; ok {
		return false, false, r
	}
	if r, ok := notYet[k]; ok {
		return true, false, r
	}
	return true, false, "unclassified"
}
