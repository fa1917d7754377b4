package shapeops

import (
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// TestGatherSeparable checks the direct separable gather against the
// index-map path on random shapes and tables (fill positions included) for
// element types of every size.
func TestGatherSeparable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []tensor.DType{tensor.Uint8, tensor.Float16, tensor.Float32, tensor.Int64, tensor.Complex128, tensor.String}
	for iter := 0; iter < 300; iter++ {
		dt := types[iter%len(types)]
		src := tensor.New(dt, 24)
		for i := 0; i < 24; i++ {
			if dt == tensor.String {
				src.Strings()[i] = string(rune('a' + i))
			} else {
				src.SetInt64At(i, int64(i+1))
			}
		}
		fill := tensor.New(dt, 1)
		if dt == tensor.String {
			fill.Strings()[0] = "_"
		} else {
			fill.SetInt64At(0, 99)
		}
		r := rng.IntN(4)
		shape := make([]int, r)
		tables := make([][]int, r)
		for d := range shape {
			shape[d] = rng.IntN(4)
			tables[d] = make([]int, shape[d])
			contiguous := rng.IntN(2) == 0
			start := rng.IntN(3)
			for k := range tables[d] {
				switch {
				case contiguous:
					tables[d][k] = start + k
				case rng.IntN(5) == 0:
					tables[d][k] = -1
				default:
					tables[d][k] = rng.IntN(3)
				}
			}
		}
		want, err := kernels.GatherFill(src, kernels.SeparableIndex(shape, tables), shape, fill)
		if err != nil {
			t.Fatal(err)
		}
		got, err := kernels.GatherSeparable(src, shape, tables, fill)
		if err != nil {
			t.Fatal(err)
		}
		if d := sameTensor(got, want); d != "" {
			t.Fatalf("%s shape %v tables %v: %s", dt, shape, tables, d)
		}
	}
}
