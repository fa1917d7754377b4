// Package shapeops holds the CPU kernels of the data-movement ops: Reshape, Transpose, Slice, Gather, Scatter, Pad, Concat and the like.
package shapeops
