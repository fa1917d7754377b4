package nnops

import (
	"runtime"
	"sync"

	"github.com/onyxgo/onyx/tensor"
)

// Float is the element type kernels compute in: float64 for DOUBLE
// tensors, float32 for every other type (float16 and bfloat16 are widened).
type Float interface{ ~float32 | ~float64 }

// floatsOf returns t's elements as []F: a view of t's buffer when t already
// holds F, else a converted copy.
func floatsOf[F Float](t *tensor.Tensor) []F {
	var z F
	switch any(z).(type) {
	case float32:
		if t.DType() == tensor.Float32 {
			return any(tensor.Data[float32](t)).([]F)
		}
	case float64:
		if t.DType() == tensor.Float64 {
			return any(tensor.Data[float64](t)).([]F)
		}
	}
	out := make([]F, t.Len())
	switch t.DType() {
	case tensor.Float16:
		for i, h := range tensor.Data[uint16](t) {
			out[i] = F(tensor.Float16ToFloat32(h))
		}
	case tensor.BFloat16:
		for i, h := range tensor.Data[uint16](t) {
			out[i] = F(tensor.BFloat16ToFloat32(h))
		}
	case tensor.Float32:
		for i, v := range tensor.Data[float32](t) {
			out[i] = F(v)
		}
	case tensor.Float64:
		for i, v := range tensor.Data[float64](t) {
			out[i] = F(v)
		}
	default:
		for i := range out {
			out[i] = F(t.Float64At(i))
		}
	}
	return out
}

// outFloats is an output tensor being computed in F.
type outFloats[F Float] struct {
	t    *tensor.Tensor
	data []F
	view bool
}

// newOut allocates an output of element type dt and the given shape, with
// a []F to compute into.
func newOut[F Float](dt tensor.DType, shape []int) (*outFloats[F], error) {
	t, err := tensor.Alloc(dt, shape)
	if err != nil {
		return nil, err
	}
	o := &outFloats[F]{t: t}
	var z F
	switch any(z).(type) {
	case float32:
		if dt == tensor.Float32 {
			o.data, o.view = any(tensor.Data[float32](t)).([]F), true
		}
	case float64:
		if dt == tensor.Float64 {
			o.data, o.view = any(tensor.Data[float64](t)).([]F), true
		}
	}
	if !o.view {
		o.data = make([]F, t.Len())
	}
	return o, nil
}

// finish stores the computed values into the tensor and returns it.
func (o *outFloats[F]) finish() *tensor.Tensor {
	if o.view {
		return o.t
	}
	switch o.t.DType() {
	case tensor.Float16:
		d := tensor.Data[uint16](o.t)
		for i, v := range o.data {
			d[i] = tensor.Float32ToFloat16(float32(v))
		}
	case tensor.BFloat16:
		d := tensor.Data[uint16](o.t)
		for i, v := range o.data {
			d[i] = tensor.Float32ToBFloat16(float32(v))
		}
	default:
		for i, v := range o.data {
			o.t.SetFloat64At(i, float64(v))
		}
	}
	return o.t
}

// useF64 reports whether a kernel over dt computes in float64.
func useF64(dt tensor.DType) bool { return dt == tensor.Float64 }

// parallel runs fn(i) for i in [0, n) on up to GOMAXPROCS goroutines. A
// panic in fn is re-raised in the caller, where the interpreter turns it
// into an error.
func parallel(n int, fn func(i int)) {
	parallelW(n, func(_, i int) { fn(i) })
}

// numWorkers returns how many goroutines parallelW uses for n items.
func numWorkers(n int) int { return max(1, min(runtime.GOMAXPROCS(0), n)) }

// parallelW is parallel with the worker's number in [0, numWorkers(n))
// passed to fn, for per-worker scratch buffers.
func parallelW(n int, fn func(w, i int)) {
	workers := numWorkers(n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		next     int
		panicked any
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = r
					}
					next = n
					mu.Unlock()
				}
			}()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(w, i)
			}
		}(w)
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}

// prod returns the product of s.
func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}
