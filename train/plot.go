package train

import (
	"fmt"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/onyxgo/onyx/nn"
)

// SavePlot draws the curves of a history (losses, and accuracies when
// there are any, against the epoch) and writes them to path as a PNG,
// atomically.
func SavePlot(h *History, path string) error {
	p := plot.New()
	p.Title.Text = "training"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "value"
	series := []struct {
		name string
		get  func(e EpochStats) float64
	}{
		{"train loss", func(e EpochStats) float64 { return e.TrainLoss }},
		{"val loss", func(e EpochStats) float64 { return e.ValLoss }},
		{"train acc", func(e EpochStats) float64 { return e.TrainAcc }},
		{"val acc", func(e EpochStats) float64 { return e.ValAcc }},
	}
	var args []any
	for _, s := range series {
		var pts plotter.XYs
		for _, e := range h.Epochs {
			if v := s.get(e); !math.IsNaN(v) && !math.IsInf(v, 0) {
				pts = append(pts, plotter.XY{X: float64(e.Epoch + 1), Y: v})
			}
		}
		if len(pts) > 0 {
			args = append(args, s.name, pts)
		}
	}
	if len(args) == 0 {
		return fmt.Errorf("train: nothing to plot")
	}
	if err := plotutil.AddLinePoints(p, args...); err != nil {
		return err
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	return nn.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := wt.WriteTo(w)
		return err
	})
}
