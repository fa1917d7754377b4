// Package reduce holds the CPU kernels of the reductions, Softmax, normalizations, MatMul, Gemm and Einsum.
package reduce
