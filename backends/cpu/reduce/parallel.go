package reduce

import (
	"runtime"
	"sync"
)

// parMin is the work (in elements touched) above which a kernel splits
// over goroutines.
const parMin = 1 << 16

// parallelUnits runs fn over [0, units) split into contiguous ranges, one
// per goroutine (up to GOMAXPROCS), when units*unitWork exceeds parMin,
// and as one call otherwise. fn gets the worker's number and is called
// once per worker, so that it may allocate its scratch buffers itself. A
// panic in fn is re-raised in the caller.
func parallelUnits(units, unitWork int, fn func(w, lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), units)
	if workers <= 1 || units*max(unitWork, 1) <= parMin {
		if units > 0 {
			fn(0, 0, units)
		}
		return
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		panicked any
	)
	run := func(w, lo, hi int) {
		defer func() {
			if r := recover(); r != nil {
				mu.Lock()
				if panicked == nil {
					panicked = r
				}
				mu.Unlock()
			}
		}()
		fn(w, lo, hi)
	}
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			run(w, units*w/workers, units*(w+1)/workers)
		}(w)
	}
	run(0, 0, units/workers)
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
