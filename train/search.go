package train

import (
	"fmt"
	"math"
	"sort"
)

// GridResult is one point of a grid search and its score.
type GridResult struct {
	Params map[string]float64
	Score  float64
}

// GridSearch scores every combination of the values in grid (keys in
// sorted order, values in the given order) and returns the one with the
// lowest score, and all results in the order they ran. A point whose
// score function fails stops the search.
func GridSearch(grid map[string][]float64, score func(p map[string]float64) (float64, error)) (GridResult, []GridResult, error) {
	keys := make([]string, 0, len(grid))
	for k, vs := range grid {
		if len(vs) == 0 {
			return GridResult{}, nil, fmt.Errorf("train: grid key %q has no values", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best := GridResult{Score: math.Inf(1)}
	var all []GridResult
	idx := make([]int, len(keys))
	for {
		p := make(map[string]float64, len(keys))
		for i, k := range keys {
			p[k] = grid[k][idx[i]]
		}
		s, err := score(p)
		if err != nil {
			return GridResult{}, all, fmt.Errorf("train: grid point %v: %w", p, err)
		}
		r := GridResult{Params: p, Score: s}
		all = append(all, r)
		if s < best.Score || best.Params == nil {
			best = r
		}
		// Advance the odometer, last key fastest.
		i := len(keys) - 1
		for i >= 0 {
			idx[i]++
			if idx[i] < len(grid[keys[i]]) {
				break
			}
			idx[i] = 0
			i--
		}
		if i < 0 {
			return best, all, nil
		}
	}
}

// CrossValidate runs fit on each of k folds of ds (see KFold) and returns
// the mean of the scores fit returns for the validation folds, and each
// score.
func CrossValidate(ds Dataset, k int, seed uint64, fit func(train, val Dataset) (float64, error)) (float64, []float64, error) {
	folds, err := KFold(ds.Len(), k, true, seed)
	if err != nil {
		return 0, nil, err
	}
	scores := make([]float64, len(folds))
	var sum float64
	for i, f := range folds {
		s, err := fit(Subset(ds, f[0]), Subset(ds, f[1]))
		if err != nil {
			return 0, nil, fmt.Errorf("train: fold %d: %w", i, err)
		}
		scores[i] = s
		sum += s
	}
	return sum / float64(len(folds)), scores, nil
}
