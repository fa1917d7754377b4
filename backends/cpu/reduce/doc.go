// Package reduce holds the CPU kernels of the reductions (ReduceSum,
// ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2,
// ReduceLogSum, ReduceLogSumExp, ReduceSumSquare), ArgMax and ArgMin, TopK
// and CumSum; of Softmax, LogSoftmax and Hardmax; of the normalizations
// (BatchNormalization, InstanceNormalization, LayerNormalization,
// GroupNormalization, RMSNormalization, LpNormalization, LRN,
// MeanVarianceNormalization); of the losses NegativeLogLikelihoodLoss and
// SoftmaxCrossEntropyLoss; and of the linear algebra ops MatMul, Gemm,
// MatMulInteger, Einsum and Det.
//
// Kernels are written once for every element type: floating-point data is
// computed in float64 (float32 matrices are read in place) and rounded back
// to its type at the end, integer data in exact int64 arithmetic that
// wraps to the type's width. Float32 tensors take fast paths for the
// reductions, Softmax, LogSoftmax, LayerNormalization and
// BatchNormalization that read them in place and give the same results
// (fast32.go, norm32.go). Reductions over an empty set give the
// identity of the operation. Where an op's meaning changed between opset
// versions (the axes attribute becoming an input, Softmax's 2-D coercion
// before opset 13, GroupNormalization's per-group scale before opset 21)
// the kernel follows the node's opset.
package reduce
