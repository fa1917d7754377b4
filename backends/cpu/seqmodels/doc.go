// Package seqmodels holds the CPU kernels of the sequence-model and
// attention ops: the recurrent networks RNN, GRU and LSTM; Attention,
// computed row by row with a streaming softmax over blocks of keys, and
// the preview FlexAttention with its modifier subgraphs; RotaryEmbedding;
// the KV-cache update TensorScatter; LinearAttention's matrix-state
// recurrences; CausalConvWithState; and CumProd.
//
// Every kernel computes in float64 and rounds its results once to the
// output element type.
package seqmodels
