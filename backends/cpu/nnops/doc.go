// Package nnops holds the CPU kernels of the convolution, pooling, Resize and the other spatial ops.
package nnops
