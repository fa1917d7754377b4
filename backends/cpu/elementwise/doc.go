// Package elementwise holds the CPU kernels of the elementwise math, activations, comparisons, logic, bitwise ops and Cast.
package elementwise
