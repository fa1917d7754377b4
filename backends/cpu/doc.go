// Package cpu is onyx's CPU backend: a reference interpreter over ir.Func.
// Its kernels live in one package per op family beside this one
// (elementwise, shapeops, reduce, nnops, ...) and register themselves in
// package kernels; families.go imports them all. They are plain Go, written
// to be obviously correct: the definition of each op, against which
// constant folding, fast kernels and other backends are tested.
package cpu
