// Package shapeops holds the CPU kernels of the shape and data-movement
// ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split,
// Slice, Gather, GatherElements, GatherND, Scatter, ScatterElements,
// ScatterND, Expand, Tile, Pad, CenterCropPad, Shape, Size,
// ConstantOfShape, Range, EyeLike, Compress, NonZero, Unique, Trilu,
// OneHot, DepthToSpace, SpaceToDepth and ReverseSequence.
//
// Most of them move elements without looking at them. Each such kernel
// computes, per output dim, a table of input offsets and lets
// kernels.GatherSeparable copy the elements, so one kernel serves every
// element type, strings included. Sizes and indices that come from input
// data are checked before anything is allocated; bad ones are errors that
// name the broken rule.
package shapeops
