package train

import (
	"math"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

func TestRegressionMetrics(t *testing.T) {
	pred := []float64{2, 4, 5, 8}
	target := []float64{1, 4, 7, 8}
	r, err := RegressionMetrics(pred, target)
	if err != nil {
		t.Fatal(err)
	}
	// errors 1, 0, -2, 0: MSE 5/4, MAE 3/4, MAPE (1/1 + 2/7)/4; the target
	// mean is 5, SS_tot 16+1+4+9 = 30, SS_res 5.
	closeTo(t, "MSE", r.MSE, 1.25, 1e-12)
	closeTo(t, "RMSE", r.RMSE, math.Sqrt(1.25), 1e-12)
	closeTo(t, "MAE", r.MAE, 0.75, 1e-12)
	closeTo(t, "MAPE", r.MAPE, (1+2.0/7)/4, 1e-12)
	closeTo(t, "R2", r.R2, 1-5.0/30, 1e-12)
	if _, err := RegressionMetrics(pred, target[:2]); err == nil {
		t.Fatal("length mismatch accepted")
	}
}

func TestClassificationMetrics(t *testing.T) {
	label := []int{0, 0, 0, 1, 1, 2, 2, 2, 2, 2}
	pred := []int{0, 1, 0, 1, 2, 2, 2, 0, 2, 1}
	closeTo(t, "accuracy", Accuracy(pred, label), 0.6, 1e-12)
	m, err := ConfusionMatrix(pred, label, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 1, 0}, {0, 1, 1}, {1, 1, 3}}
	for i := range want {
		for j := range want[i] {
			if m[i][j] != want[i][j] {
				t.Fatalf("confusion matrix %v, want %v", m, want)
			}
		}
	}
	// Per class (tp, fp, fn): 0 → (2, 1, 1), 1 → (1, 2, 1), 2 → (3, 1, 2).
	p := []float64{2.0 / 3, 1.0 / 3, 3.0 / 4}
	r := []float64{2.0 / 3, 1.0 / 2, 3.0 / 5}
	var mp, mr, mf float64
	for i := range p {
		mp += p[i] / 3
		mr += r[i] / 3
		mf += 2 * p[i] * r[i] / (p[i] + r[i]) / 3
	}
	macro, err := PrecisionRecallF1(pred, label, 3, Macro)
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "macro precision", macro.Precision, mp, 1e-12)
	closeTo(t, "macro recall", macro.Recall, mr, 1e-12)
	closeTo(t, "macro F1", macro.F1, mf, 1e-12)
	micro, _ := PrecisionRecallF1(pred, label, 3, Micro)
	// Single-label micro averages all equal the accuracy.
	closeTo(t, "micro precision", micro.Precision, 0.6, 1e-12)
	closeTo(t, "micro recall", micro.Recall, 0.6, 1e-12)
	closeTo(t, "micro F1", micro.F1, 0.6, 1e-12)
	if _, err := ConfusionMatrix([]int{3}, []int{0}, 3); err == nil {
		t.Fatal("class 3 of 3 accepted")
	}
	x := tensor.FromSlice([]float32{0.1, 0.7, 0.2, 3, -1, 2}, 2, 3)
	if a := Argmax(x); a[0] != 1 || a[1] != 0 {
		t.Fatalf("argmax %v", a)
	}
}

func TestROCAUC(t *testing.T) {
	// Positives 0.8, 0.4, 0.35; negatives 0.7, 0.3, 0.1. Of the 9 pairs,
	// 0.8 beats all 3 negatives, 0.4 and 0.35 beat 2 each: 7/9.
	auc, err := ROCAUC([]float64{0.8, 0.7, 0.4, 0.35, 0.3, 0.1}, []bool{true, false, true, true, false, false})
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "AUC", auc, 7.0/9, 1e-12)
	// A tie between a positive and a negative counts one half.
	auc, _ = ROCAUC([]float64{0.5, 0.5, 0.9, 0.1}, []bool{true, false, true, false})
	closeTo(t, "AUC with tie", auc, (1+0.5+1+1)/4, 1e-12)
	if _, err := ROCAUC([]float64{1, 2}, []bool{true, true}); err == nil {
		t.Fatal("one class accepted")
	}
}
