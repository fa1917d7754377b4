package ml

import (
	"fmt"
	"strings"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// tfidf counts the n-grams of the pool in each row of the input, n from
// min_gram_length to max_gram_length, with up to max_skip_count tokens
// skipped between the items of an n-gram, then weights the counts as the
// mode says (TF: counts; IDF: weight where the count is non-zero; TFIDF:
// count × weight).
func tfidf(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x := in[0]
	minN, maxN, maxSkip := int(c.Int("min_gram_length")), int(c.Int("max_gram_length")), int(c.Int("max_skip_count"))
	counts, indexes := c.Ints("ngram_counts"), c.Ints("ngram_indexes")
	weights := c.Floats("weights")
	mode := c.Str("mode")
	if minN < 1 || maxN < minN || maxSkip < 0 || len(counts) < maxN {
		return nil, fmt.Errorf("gram lengths %d..%d, skip %d and %d ngram_counts are inconsistent", minN, maxN, maxSkip, len(counts))
	}
	strs := x.DType() == tensor.String
	var pool []string
	if strs {
		pool = c.Strings("pool_strings")
	} else {
		for _, v := range c.Ints("pool_int64s") {
			pool = append(pool, fmt.Sprint(v))
		}
	}
	// Map each pooled n-gram (items joined by \x00) to its output column.
	cols := map[string]int{}
	width := 0
	for _, i := range indexes {
		width = max(width, int(i)+1)
	}
	id := 0
	for g := 0; g < len(counts); g++ {
		n := g + 1
		start := int(counts[g])
		end := len(pool)
		if g+1 < len(counts) {
			end = int(counts[g+1])
		}
		if start < 0 || end > len(pool) || start > end || (end-start)%n != 0 {
			return nil, fmt.Errorf("ngram_counts %v do not fit a pool of %d", counts, len(pool))
		}
		for p := start; p < end; p += n {
			if id >= len(indexes) {
				return nil, fmt.Errorf("more n-grams in the pool than ngram_indexes (%d)", len(indexes))
			}
			cols[strings.Join(pool[p:p+n], "\x00")] = int(indexes[id])
			id++
		}
	}
	tok := func(i int) string {
		if strs {
			return x.Strings()[i]
		}
		return fmt.Sprint(x.Int64At(i))
	}
	rows, rowLen := 1, x.Len()
	outShape := []int{width}
	switch x.Rank() {
	case 1:
	case 2:
		rows, rowLen = x.Dim(0), x.Dim(1)
		outShape = []int{rows, width}
	default:
		return nil, fmt.Errorf("input must be [C] or [N, C], has shape %v", x.Shape())
	}
	out := tensor.New(tensor.Float32, outShape...)
	res := out.Float32s()
	for r := 0; r < rows; r++ {
		row := res[r*width : (r+1)*width]
		base := r * rowLen
		for n := minN; n <= maxN; n++ {
			for skip := 0; skip <= maxSkip; skip++ {
				if n == 1 && skip > 0 {
					break // unigrams do not depend on the skip
				}
				stride := skip + 1
				for p := 0; p+(n-1)*stride < rowLen; p++ {
					items := make([]string, n)
					for k := 0; k < n; k++ {
						items[k] = tok(base + p + k*stride)
					}
					if col, ok := cols[strings.Join(items, "\x00")]; ok {
						row[col]++
					}
				}
			}
		}
		for j := range row {
			w := float32(1)
			if j < len(weights) {
				w = weights[j]
			}
			switch mode {
			case "TF":
			case "IDF":
				if row[j] > 0 {
					row[j] = w
				}
			case "TFIDF":
				row[j] *= w
			default:
				return nil, fmt.Errorf("mode %q is not TF, IDF or TFIDF", mode)
			}
		}
	}
	return []*tensor.Tensor{out}, nil
}
