package elementwise

import (
	"runtime"
	"sync"
)

// Tensors above these element counts are split over goroutines:
// parCheap for memory-bound loops (a few operations per element),
// parCostly for loops that call exp, tanh, erf and the like per element.
const (
	parCheap  = 1 << 16
	parCostly = 1 << 13
)

// parallelRange runs fn over [0, n) split into contiguous chunks, one per
// goroutine (up to GOMAXPROCS), when n exceeds minPar, and as one call
// otherwise. Chunk bounds are multiples of 64 elements. A panic in fn is
// re-raised in the caller, where the interpreter turns it into an error.
func parallelRange(n, minPar int, fn func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n <= minPar || workers <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	workers = min(workers, (n+minPar/2-1)/(minPar/2))
	chunk := ((n+workers-1)/workers + 63) &^ 63
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		panicked any
	)
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = r
					}
					mu.Unlock()
				}
			}()
			fn(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if panicked == nil {
					panicked = r
				}
				mu.Unlock()
			}
		}()
		fn(0, min(chunk, n))
	}()
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
