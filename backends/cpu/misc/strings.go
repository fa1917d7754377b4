package misc

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.Simple("BitCast", bitCast),
		kernels.Simple("StringConcat", stringConcat),
		kernels.Simple("StringSplit", stringSplit),
		kernels.Simple("RegexFullMatch", regexFullMatch),
		kernels.Simple("StringNormalizer", stringNormalizer),
	)
}

// bitCast reinterprets each element's bytes as the target type, which must
// have the same width.
func bitCast(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	to := tensor.DType(c.Int("to"))
	if !to.Valid() || to == tensor.String || x.DType() == tensor.String {
		return nil, fmt.Errorf("cannot bit-cast %s to %s", x.DType(), to)
	}
	if to.Bits() != x.DType().Bits() {
		return nil, fmt.Errorf("cannot bit-cast %s (%d bits) to %s (%d bits): widths differ", x.DType(), x.DType().Bits(), to, to.Bits())
	}
	out, err := tensor.FromBytes(to, x.Shape(), x.Bytes())
	if err != nil {
		return nil, err
	}
	if to == tensor.Bool {
		for i, b := range out.Bytes() {
			if b != 0 {
				out.Bytes()[i] = 1
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}

func needStrings(ts ...*tensor.Tensor) error {
	for i, t := range ts {
		if t.DType() != tensor.String {
			return fmt.Errorf("input %d has element type %s, want STRING", i, t.DType())
		}
	}
	return nil
}

func stringConcat(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := needStrings(in[0], in[1]); err != nil {
		return nil, err
	}
	shape, err := kernels.BroadcastShapes(in[0].Shape(), in[1].Shape())
	if err != nil {
		return nil, err
	}
	ai, bi := kernels.BroadcastIndex(in[0].Shape(), shape), kernels.BroadcastIndex(in[1].Shape(), shape)
	out := tensor.New(tensor.String, shape...)
	a, b, o := in[0].Strings(), in[1].Strings(), out.Strings()
	for i := range o {
		o[i] = a[ai[i]] + b[bi[i]]
	}
	return []*tensor.Tensor{out}, nil
}

// stringSplit splits each string: at every occurrence of the delimiter when
// one is given (so empty pieces appear), else at runs of whitespace with
// leading and trailing whitespace dropped. maxsplit bounds the splits.
func stringSplit(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := needStrings(in[0]); err != nil {
		return nil, err
	}
	delim := c.Str("delimiter")
	limit := -1
	if c.Has("maxsplit") {
		limit = int(c.Int("maxsplit"))
		if limit < 0 {
			return nil, fmt.Errorf("maxsplit %d is negative", limit)
		}
	}
	xs := in[0].Strings()
	parts := make([][]string, len(xs))
	width := 0
	for i, s := range xs {
		if delim == "" {
			parts[i] = splitSpace(s, limit)
		} else if limit >= 0 {
			parts[i] = strings.SplitN(s, delim, limit+1)
		} else {
			parts[i] = strings.Split(s, delim)
		}
		width = max(width, len(parts[i]))
	}
	shape := append(append([]int{}, in[0].Shape()...), width)
	y := tensor.New(tensor.String, shape...)
	z := tensor.New(tensor.Int64, in[0].Shape()...)
	for i, p := range parts {
		copy(y.Strings()[i*width:], p)
		z.Int64s()[i] = int64(len(p))
	}
	return []*tensor.Tensor{y, z}, nil
}

func splitSpace(s string, limit int) []string {
	var out []string
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	for s != "" {
		if limit >= 0 && len(out) == limit {
			out = append(out, strings.TrimRightFunc(s, unicode.IsSpace))
			break
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:end])
		s = strings.TrimLeftFunc(s[end:], unicode.IsSpace)
	}
	return out
}

func regexFullMatch(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	if err := needStrings(in[0]); err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`^(?:` + c.Str("pattern") + `)$`)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %v", c.Str("pattern"), err)
	}
	out := tensor.New(tensor.Bool, in[0].Shape()...)
	for i, s := range in[0].Strings() {
		out.Bools()[i] = re.MatchString(s)
	}
	return []*tensor.Tensor{out}, nil
}

// stringNormalizer drops stop words from a [C] or [1, C] tensor and then
// changes case. When every word is dropped the result holds one empty
// string.
func stringNormalizer(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	if err := needStrings(x); err != nil {
		return nil, err
	}
	if x.Rank() != 1 && !(x.Rank() == 2 && x.Dim(0) == 1) {
		return nil, fmt.Errorf("input must be [C] or [1, C], has shape %v", x.Shape())
	}
	sensitive := c.Int("is_case_sensitive") != 0
	stop := map[string]bool{}
	for _, w := range c.Strings("stopwords") {
		if !sensitive {
			w = strings.ToLower(w)
		}
		stop[w] = true
	}
	var kept []string
	for _, s := range x.Strings() {
		k := s
		if !sensitive {
			k = strings.ToLower(s)
		}
		if stop[k] {
			continue
		}
		switch action := c.Str("case_change_action"); action {
		case "LOWER":
			s = strings.ToLower(s)
		case "UPPER":
			s = strings.ToUpper(s)
		case "NONE", "":
		default:
			return nil, fmt.Errorf("case_change_action %q is not NONE, LOWER or UPPER", action)
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	shape := []int{len(kept)}
	if x.Rank() == 2 {
		shape = []int{1, len(kept)}
	}
	out, err := tensor.FromStrings(shape, kept)
	if err != nil {
		return nil, err
	}
	return []*tensor.Tensor{out}, nil
}
