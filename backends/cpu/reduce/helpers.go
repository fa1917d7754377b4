package reduce

import (
	"fmt"
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

// num is the accumulator type of a kernel: float64 for floating-point
// data, int64 for exact integer arithmetic.
type num interface{ ~int64 | ~float64 }

// requireFloat returns an error unless t holds floating-point elements.
func requireFloat(name string, t *tensor.Tensor) error {
	if t == nil {
		return fmt.Errorf("input %s is missing", name)
	}
	if !t.DType().IsFloat() {
		return fmt.Errorf("input %s must be a floating-point tensor, got %s", name, t.DType())
	}
	return nil
}

// requireReal returns an error unless t holds real numbers (floats or
// integers).
func requireReal(name string, t *tensor.Tensor) error {
	if t == nil {
		return fmt.Errorf("input %s is missing", name)
	}
	if dt := t.DType(); !dt.IsFloat() && !dt.IsInt() {
		return fmt.Errorf("input %s must be a real numeric tensor, got %s", name, dt)
	}
	return nil
}

// input returns in[i], or nil when the input is absent.
func input(in []*tensor.Tensor, i int) *tensor.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// numOutputs returns how many output slots the node has.
func numOutputs(c *kernels.Ctx) int { return len(c.Node.Outputs) }

// channelParam returns the values of a per-channel parameter tensor (such
// as a scale or bias), which must hold exactly c elements.
func channelParam(name string, t *tensor.Tensor, c int) ([]float64, error) {
	if err := requireFloat(name, t); err != nil {
		return nil, err
	}
	if t.Len() != c {
		return nil, fmt.Errorf("input %s must hold one value per channel (%d), got shape %v", name, c, t.Shape())
	}
	return kernels.Float64s(t), nil
}

// broadcastTo returns the values of t expanded to shape, which t must
// broadcast to without changing it (unidirectional broadcasting).
func broadcastTo(name string, t *tensor.Tensor, shape []int) ([]float64, error) {
	if err := requireFloat(name, t); err != nil {
		return nil, err
	}
	bs, err := kernels.BroadcastShapes(t.Shape(), shape)
	if err != nil || !equalInts(bs, shape) {
		return nil, fmt.Errorf("input %s of shape %v does not broadcast to %v", name, t.Shape(), shape)
	}
	return kernels.Broadcast(kernels.Float64s(t), t.Shape(), shape), nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// product returns the product of dims.
func product(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// extremeIdentity fills t with the identity of max (the lowest value of its
// type) or of min (the highest).
func extremeIdentity(t *tensor.Tensor, isMax bool) {
	dt := t.DType()
	n := t.Len()
	switch {
	case dt.IsFloat():
		v := math.Inf(1)
		if isMax {
			v = math.Inf(-1)
		}
		for i := 0; i < n; i++ {
			t.SetFloat64At(i, v)
		}
	case dt == tensor.Bool:
		for i := 0; i < n; i++ {
			if isMax {
				t.SetInt64At(i, 0)
			} else {
				t.SetInt64At(i, 1)
			}
		}
	default:
		bits := uint(dt.Bits())
		var lo, hi int64
		if dt.IsSigned() {
			lo, hi = -1<<(bits-1), 1<<(bits-1)-1
		} else {
			lo, hi = 0, int64(uint64(1)<<bits-1) // wraps to -1 for 64 bits: all ones
		}
		v := hi
		if isMax {
			v = lo
		}
		for i := 0; i < n; i++ {
			t.SetInt64At(i, v)
		}
	}
}
