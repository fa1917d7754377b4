package misc

import (
	"fmt"
	"math"
	"sort"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() { kernels.Register(kernels.Simple("NonMaxSuppression", nonMaxSuppression)) }

// nonMaxSuppression selects, per batch and class, boxes in decreasing score
// order whose score passes the threshold and whose IoU with every box
// already selected is at most iou_threshold.
func nonMaxSuppression(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	boxes, scores := in[0], in[1]
	if boxes.Rank() != 3 || boxes.Dim(2) != 4 {
		return nil, fmt.Errorf("boxes must be [batches, boxes, 4], has shape %v", boxes.Shape())
	}
	if scores.Rank() != 3 || scores.Dim(0) != boxes.Dim(0) || scores.Dim(2) != boxes.Dim(1) {
		return nil, fmt.Errorf("scores shape %v does not fit boxes shape %v", scores.Shape(), boxes.Shape())
	}
	scalar := func(i int, def float64) float64 {
		if len(in) > i && in[i] != nil && in[i].Len() > 0 {
			return in[i].Float64At(0)
		}
		return def
	}
	maxOut := int64(scalar(2, 0))
	iouTh := scalar(3, 0)
	scoreTh := scalar(4, math.Inf(-1))
	center := c.Int("center_point_box") != 0
	nb, nc, n := scores.Dim(0), scores.Dim(1), scores.Dim(2)
	corners := func(b, i int) (y1, x1, y2, x2 float64) {
		base := (b*n + i) * 4
		v := [4]float64{boxes.Float64At(base), boxes.Float64At(base + 1), boxes.Float64At(base + 2), boxes.Float64At(base + 3)}
		if center {
			xc, yc, w, h := v[0], v[1], v[2], v[3]
			return yc - h/2, xc - w/2, yc + h/2, xc + w/2
		}
		return math.Min(v[0], v[2]), math.Min(v[1], v[3]), math.Max(v[0], v[2]), math.Max(v[1], v[3])
	}
	iou := func(b, i, j int) float64 {
		ay1, ax1, ay2, ax2 := corners(b, i)
		by1, bx1, by2, bx2 := corners(b, j)
		ih := math.Max(0, math.Min(ay2, by2)-math.Max(ay1, by1))
		iw := math.Max(0, math.Min(ax2, bx2)-math.Max(ax1, bx1))
		inter := ih * iw
		union := (ay2-ay1)*(ax2-ax1) + (by2-by1)*(bx2-bx1) - inter
		if union <= 0 {
			return 0
		}
		return inter / union
	}
	var sel []int64
	for b := 0; b < nb; b++ {
		for k := 0; k < nc; k++ {
			var cand []int
			for i := 0; i < n; i++ {
				if scores.Float64At((b*nc+k)*n+i) > scoreTh {
					cand = append(cand, i)
				}
			}
			sort.SliceStable(cand, func(x, y int) bool {
				return scores.Float64At((b*nc+k)*n+cand[x]) > scores.Float64At((b*nc+k)*n+cand[y])
			})
			var kept []int
			for _, i := range cand {
				if int64(len(kept)) >= maxOut {
					break
				}
				ok := true
				for _, j := range kept {
					if iou(b, i, j) > iouTh {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, i)
					sel = append(sel, int64(b), int64(k), int64(i))
				}
			}
		}
	}
	return []*tensor.Tensor{tensor.FromSlice(sel, len(sel)/3, 3)}, nil
}
