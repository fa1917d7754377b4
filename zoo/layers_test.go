package zoo

import (
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/tensor"
)

// TestAdaptiveAvgPool2d compares the pooling with PyTorch's definition,
// computed here with loops: output cell (i, j) averages rows
// ⌊i·H/OutH⌋ … ⌈(i+1)·H/OutH⌉ - 1 and the same columns. The cases
// cover each way the layer emits it: identity, global, AveragePool and
// the averaging matrices (shrinking, growing, one axis only).
func TestAdaptiveAvgPool2d(t *testing.T) {
	cases := [][4]int{ // H, W, OutH, OutW
		{6, 6, 6, 6}, {5, 7, 1, 1}, {12, 8, 6, 4}, {13, 13, 6, 6}, {1, 1, 6, 6}, {2, 3, 7, 7}, {5, 7, 3, 2}, {4, 9, 4, 5},
	}
	r := rand.New(rand.NewPCG(1, 1))
	for _, c := range cases {
		h, w, oh, ow := c[0], c[1], c[2], c[3]
		x := randImage(r, []int64{2, 3, int64(h), int64(w)})
		want := tensor.New(tensor.Float32, 2, 3, oh, ow)
		xs, ws := x.Float32s(), want.Float32s()
		for nc := 0; nc < 6; nc++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					h0, h1 := i*h/oh, ((i+1)*h+oh-1)/oh
					w0, w1 := j*w/ow, ((j+1)*w+ow-1)/ow
					sum := 0.0
					for y := h0; y < h1; y++ {
						for z := w0; z < w1; z++ {
							sum += float64(xs[(nc*h+y)*w+z])
						}
					}
					ws[(nc*oh+i)*ow+j] = float32(sum / float64((h1-h0)*(w1-w0)))
				}
			}
		}
		m := nn.NewSequential(&AdaptiveAvgPool2d{OutH: oh, OutW: ow})
		model, err := nn.Inference(m, []int64{2, 3, int64(h), int64(w)})
		if err != nil {
			t.Fatal(err)
		}
		got := runModel(t, model, map[string]*tensor.Tensor{"input": x})
		compare(t, "pool", got, want, 1e-6)
	}
}
