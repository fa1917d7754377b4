// Package elementwise holds the CPU kernels of the elementwise math, activations, comparisons, logic, bitwise ops and Cast.
//
// Float data is computed in float64 and rounded once to its type; float32
// tensors take fast paths with the same results, which read and write
// them in place over broadcast blocks and split large tensors over
// goroutines (fast32.go).
package elementwise
