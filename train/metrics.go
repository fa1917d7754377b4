package train

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/tensor"
)

// Regression holds the usual regression metrics.
type Regression struct {
	MSE, RMSE, MAE, MAPE, R2 float64
}

// RegressionMetrics compares predictions with targets. MAPE skips zero
// targets; R² is 1 - SS_res/SS_tot (NaN when the targets are constant).
func RegressionMetrics(pred, target []float64) (Regression, error) {
	if len(pred) != len(target) || len(pred) == 0 {
		return Regression{}, fmt.Errorf("train: %d predictions for %d targets", len(pred), len(target))
	}
	var r Regression
	var mean float64
	for _, t := range target {
		mean += t
	}
	mean /= float64(len(target))
	var ssTot float64
	nm := 0
	for i, p := range pred {
		d := p - target[i]
		r.MSE += d * d
		r.MAE += math.Abs(d)
		if target[i] != 0 {
			r.MAPE += math.Abs(d / target[i])
			nm++
		}
		ssTot += (target[i] - mean) * (target[i] - mean)
	}
	n := float64(len(pred))
	ssRes := r.MSE
	r.MSE /= n
	r.MAE /= n
	r.RMSE = math.Sqrt(r.MSE)
	if nm > 0 {
		r.MAPE /= float64(nm)
	}
	r.R2 = 1 - ssRes/ssTot
	if ssTot == 0 {
		r.R2 = math.NaN()
	}
	return r, nil
}

// Argmax returns the index of the largest value of each row of a float
// tensor [N, C].
func Argmax(t *tensor.Tensor) []int {
	if t.Rank() != 2 {
		return nil
	}
	n, c := t.Dim(0), t.Dim(1)
	out := make([]int, n)
	for i := 0; i < n; i++ {
		best := math.Inf(-1)
		for j := 0; j < c; j++ {
			if v := t.Float64At(i*c + j); v > best {
				best, out[i] = v, j
			}
		}
	}
	return out
}

// Accuracy is the fraction of predictions equal to their labels.
func Accuracy(pred, label []int) float64 {
	if len(pred) == 0 || len(pred) != len(label) {
		return math.NaN()
	}
	ok := 0
	for i := range pred {
		if pred[i] == label[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(pred))
}

// ConfusionMatrix counts m[label][pred] over classes 0..classes-1; values
// outside that range are an error.
func ConfusionMatrix(pred, label []int, classes int) ([][]int, error) {
	if len(pred) != len(label) {
		return nil, fmt.Errorf("train: %d predictions for %d labels", len(pred), len(label))
	}
	m := make([][]int, classes)
	for i := range m {
		m[i] = make([]int, classes)
	}
	for i := range pred {
		if pred[i] < 0 || pred[i] >= classes || label[i] < 0 || label[i] >= classes {
			return nil, fmt.Errorf("train: sample %d: class %d or %d outside [0, %d)", i, pred[i], label[i], classes)
		}
		m[label[i]][pred[i]]++
	}
	return m, nil
}

// Averaging says how per-class scores combine.
type Averaging int

const (
	// Macro averages the per-class scores, each class counting the same.
	Macro Averaging = iota
	// Micro pools the counts of all classes first.
	Micro
)

// PRF holds precision, recall and F1.
type PRF struct{ Precision, Recall, F1 float64 }

// PrecisionRecallF1 computes the scores from predictions and labels. A
// class with no predictions (or no samples) scores 0 where the ratio is
// undefined, as scikit-learn's zero_division=0 does.
func PrecisionRecallF1(pred, label []int, classes int, avg Averaging) (PRF, error) {
	m, err := ConfusionMatrix(pred, label, classes)
	if err != nil {
		return PRF{}, err
	}
	ratio := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	f1 := func(p, r float64) float64 {
		if p+r == 0 {
			return 0
		}
		return 2 * p * r / (p + r)
	}
	var tpAll, fpAll, fnAll int
	var out PRF
	for c := 0; c < classes; c++ {
		tp, fp, fn := m[c][c], 0, 0
		for k := 0; k < classes; k++ {
			if k != c {
				fp += m[k][c]
				fn += m[c][k]
			}
		}
		tpAll, fpAll, fnAll = tpAll+tp, fpAll+fp, fnAll+fn
		p, r := ratio(tp, tp+fp), ratio(tp, tp+fn)
		out.Precision += p / float64(classes)
		out.Recall += r / float64(classes)
		out.F1 += f1(p, r) / float64(classes)
	}
	if avg == Micro {
		p, r := ratio(tpAll, tpAll+fpAll), ratio(tpAll, tpAll+fnAll)
		return PRF{p, r, f1(p, r)}, nil
	}
	return out, nil
}

// ROCAUC is the area under the ROC curve of scores for binary labels: the
// probability that a random positive scores above a random negative, ties
// counting one half (the Mann–Whitney statistic).
func ROCAUC(scores []float64, positive []bool) (float64, error) {
	if len(scores) != len(positive) {
		return 0, fmt.Errorf("train: %d scores for %d labels", len(scores), len(positive))
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Average ranks over ties, then the positives' rank sum.
	var rankSum float64
	var pos, neg int
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1 .. j
		for k := i; k < j; k++ {
			if positive[idx[k]] {
				rankSum += avg
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("train: ROC-AUC needs both classes (have %d positive, %d negative)", pos, neg)
	}
	return (rankSum - float64(pos)*float64(pos+1)/2) / (float64(pos) * float64(neg)), nil
}
