package quant

import (
	"reflect"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

func TestScaleIndex(t *testing.T) {
	x := tensor.New(tensor.Float32, 2, 4)
	// Per axis 1: the column picks the scale.
	idx, err := scaleIndex(x, tensor.New(tensor.Float32, 4), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 3, 0, 1, 2, 3}; !reflect.DeepEqual(idx, want) {
		t.Errorf("per-axis index %v, want %v", idx, want)
	}
	// Blocks of 2 along axis 1: scale shape [2, 2].
	idx, err = scaleIndex(x, tensor.New(tensor.Float32, 2, 2), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 1, 1, 2, 2, 3, 3}; !reflect.DeepEqual(idx, want) {
		t.Errorf("blocked index %v, want %v", idx, want)
	}
	if _, err := scaleIndex(x, tensor.New(tensor.Float32, 3), 1, 0); err == nil {
		t.Error("a scale of the wrong length was accepted")
	}
}

func TestIntRanges(t *testing.T) {
	for dt, want := range map[tensor.DType][2]float64{
		tensor.Uint8: {0, 255}, tensor.Int8: {-128, 127}, tensor.Int4: {-8, 7},
		tensor.Uint4: {0, 15}, tensor.Int2: {-2, 1}, tensor.Uint2: {0, 3}, tensor.Int16: {-32768, 32767},
	} {
		lo, hi, ok := intRange(dt)
		if !ok || lo != want[0] || hi != want[1] {
			t.Errorf("%s: range %g..%g (%v), want %g..%g", dt, lo, hi, ok, want[0], want[1])
		}
	}
	if _, _, ok := intRange(tensor.Float32); ok {
		t.Error("float32 has an integer range")
	}
}
