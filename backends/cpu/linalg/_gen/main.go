// Command _gen writes the amd64 assembly of package linalg: the SGEMM
// micro-kernels for AVX2+FMA and AVX-512, and the vector kernels.
//
// Usage (from backends/cpu/linalg): go run ./_gen [-dir DIR]
//
// It writes kernels_amd64.s and kernels_amd64.go (into DIR, default the
// current folder). Each micro-kernel family
// is described by its register tile (rows MR, vectors per row NV of VL
// lanes each); the generator emits one function per row count r in
// [1, MR], all reading A panels packed MR rows wide.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"strings"
)

// family is one micro-kernel shape for one instruction set.
type family struct {
	name   string // Go name prefix, e.g. "sgemmAVX512"
	isa    string // "avx2" or "avx512"
	mr     int    // rows of the register tile (and of a packed A panel)
	nv     int    // vectors per row
	vl     int    // lanes (float32) per vector
	unroll int    // k steps per loop iteration
	prefA  int    // bytes ahead of AX to prefetch per iteration (0: none)
	bcst   bool   // broadcast A inside each FMA (AVX-512 embedded broadcast)
}

func (f family) nr() int { return f.nv * f.vl }

// reg names vector register i.
func (f family) reg(i int) string {
	if f.isa == "avx512" {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

var families = []family{
	{name: "sgemmAVX512", isa: "avx512", mr: 12, nv: 2, vl: 16, unroll: 4},
	{name: "sgemmAVX2", isa: "avx2", mr: 6, nv: 2, vl: 8, unroll: 4},
}

type writer struct{ bytes.Buffer }

func (w *writer) p(format string, args ...any) {
	fmt.Fprintf(&w.Buffer, format, args...)
	w.WriteByte('\n')
}

// i emits one instruction line, indented.
func (w *writer) i(format string, args ...any) { w.p("\t"+format, args...) }

func kernelName(f family, r int) string { return fmt.Sprintf("%s_%dx%d_%d", f.name, f.mr, f.nr(), r) }

// genKernel emits the micro-kernel of family f computing r rows:
//
//	for i < r, j < NR: c[i*ldc+j] = alpha*Σ_p a[p*MR+i]*b[p*NR+j] + beta*c[i*ldc+j]
//
// where the beta term is left out (c is not read) when beta == 0.
func genKernel(w *writer, f family, r int) {
	nr := f.nr()
	vbytes := f.vl * 4
	nacc := r * f.nv
	// Registers: accumulators first, then NV for B, then broadcasts.
	bReg := func(v int) string { return f.reg(nacc + v) }
	nregs := map[string]int{"avx2": 16, "avx512": 32}[f.isa]
	nb := min(4, nregs-nacc-f.nv) // broadcast registers, used in turn
	if nb < 1 && !f.bcst || nacc+2 > nregs {
		log.Fatalf("%s: %d rows need too many registers", f.name, r)
	}
	tReg := func(t int) string { return f.reg(nacc + f.nv + t%nb) }
	acc := func(i, v int) string { return f.reg(i*f.nv + v) }

	name := kernelName(f, r)
	w.p("// func %s(kc int, a, b, c *float32, ldc int, alpha, beta float32)", name)
	w.p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	w.i("MOVQ kc+0(FP), CX")
	w.i("MOVQ a+8(FP), AX")
	w.i("MOVQ b+16(FP), BX")
	w.i("MOVQ c+24(FP), DI")
	w.i("MOVQ ldc+32(FP), SI")
	w.i("SHLQ $2, SI")
	// Prefetch the C tile while the loop runs.
	w.i("MOVQ DI, R8")
	for i := 0; i < r; i++ {
		for off := 0; off < nr*4; off += 64 {
			w.i("PREFETCHT0 %d(R8)", off)
		}
		if i < r-1 {
			w.i("ADDQ SI, R8")
		}
	}
	for i := 0; i < r; i++ {
		for v := 0; v < f.nv; v++ {
			if f.isa == "avx512" {
				w.i("VPXORD %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
			} else {
				w.i("VXORPS %s, %s, %s", acc(i, v), acc(i, v), acc(i, v))
			}
		}
	}
	step := func(u int) {
		for v := 0; v < f.nv; v++ {
			w.i("VMOVUPS %d(BX), %s", u*nr*4+v*vbytes, bReg(v))
		}
		for i := 0; i < r; i++ {
			if f.bcst {
				for v := 0; v < f.nv; v++ {
					w.i("VFMADD231PS.BCST %d(AX), %s, %s", (u*f.mr+i)*4, bReg(v), acc(i, v))
				}
				continue
			}
			t := tReg(u*r + i)
			w.i("VBROADCASTSS %d(AX), %s", (u*f.mr+i)*4, t)
			for v := 0; v < f.nv; v++ {
				w.i("VFMADD231PS %s, %s, %s", bReg(v), t, acc(i, v))
			}
		}
	}
	w.i("MOVQ CX, DX")
	w.i("SHRQ $%d, CX", log2(f.unroll))
	w.i("ANDQ $%d, DX", f.unroll-1)
	w.i("TESTQ CX, CX")
	w.i("JZ tail")
	w.p("loop:")
	if f.prefA > 0 {
		w.i("PREFETCHT0 %d(AX)", f.prefA)
	}
	for u := 0; u < f.unroll; u++ {
		step(u)
	}
	w.i("ADDQ $%d, AX", f.unroll*f.mr*4)
	w.i("ADDQ $%d, BX", f.unroll*nr*4)
	w.i("DECQ CX")
	w.i("JNZ loop")
	w.p("tail:")
	w.i("TESTQ DX, DX")
	w.i("JZ store")
	w.p("tailloop:")
	step(0)
	w.i("ADDQ $%d, AX", f.mr*4)
	w.i("ADDQ $%d, BX", nr*4)
	w.i("DECQ DX")
	w.i("JNZ tailloop")
	w.p("store:")
	alpha, beta := f.reg(nacc), f.reg(nacc+1)
	w.i("VBROADCASTSS alpha+40(FP), %s", alpha)
	w.i("MOVL beta+44(FP), R9")
	w.i("ANDL $0x7fffffff, R9")
	w.i("JZ nobeta")
	w.i("VBROADCASTSS beta+44(FP), %s", beta)
	for i := 0; i < r; i++ {
		for v := 0; v < f.nv; v++ {
			w.i("VMULPS %s, %s, %s", alpha, acc(i, v), acc(i, v))
			w.i("VFMADD231PS %d(DI), %s, %s", v*vbytes, beta, acc(i, v))
			w.i("VMOVUPS %s, %d(DI)", acc(i, v), v*vbytes)
		}
		if i < r-1 {
			w.i("ADDQ SI, DI")
		}
	}
	w.i("VZEROUPPER")
	w.i("RET")
	w.p("nobeta:")
	for i := 0; i < r; i++ {
		for v := 0; v < f.nv; v++ {
			w.i("VMULPS %s, %s, %s", alpha, acc(i, v), acc(i, v))
			w.i("VMOVUPS %s, %d(DI)", acc(i, v), v*vbytes)
		}
		if i < r-1 {
			w.i("ADDQ SI, DI")
		}
	}
	w.i("VZEROUPPER")
	w.i("RET")
	w.p("")
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	if 1<<l != n {
		log.Fatalf("%d is not a power of two", n)
	}
	return l
}

// genVector emits the AVX2+FMA vector kernels: axpy and dot over n
// float32s, 32 lanes per iteration, with a scalar tail.
func genVector(w *writer) {
	// axpyAVX2(n int, alpha float32, x, y *float32): y[i] += alpha*x[i].
	w.p("// func axpyAVX2(n int, alpha float32, x, y *float32)")
	w.p("TEXT ·axpyAVX2(SB), NOSPLIT, $0-32")
	w.i("MOVQ n+0(FP), CX")
	w.i("VBROADCASTSS alpha+8(FP), Y15")
	w.i("MOVQ x+16(FP), SI")
	w.i("MOVQ y+24(FP), DI")
	w.i("CMPQ CX, $32")
	w.i("JLT axpy8")
	w.p("axpy32:")
	for v := 0; v < 4; v++ {
		w.i("VMOVUPS %d(DI), Y%d", v*32, v)
	}
	for v := 0; v < 4; v++ {
		w.i("VFMADD231PS %d(SI), Y15, Y%d", v*32, v)
	}
	for v := 0; v < 4; v++ {
		w.i("VMOVUPS Y%d, %d(DI)", v, v*32)
	}
	w.i("ADDQ $128, SI")
	w.i("ADDQ $128, DI")
	w.i("SUBQ $32, CX")
	w.i("CMPQ CX, $32")
	w.i("JGE axpy32")
	w.p("axpy8:")
	w.i("CMPQ CX, $8")
	w.i("JLT axpy1")
	w.i("VMOVUPS (DI), Y0")
	w.i("VFMADD231PS (SI), Y15, Y0")
	w.i("VMOVUPS Y0, (DI)")
	w.i("ADDQ $32, SI")
	w.i("ADDQ $32, DI")
	w.i("SUBQ $8, CX")
	w.i("JMP axpy8")
	w.p("axpy1:")
	w.i("TESTQ CX, CX")
	w.i("JZ axpydone")
	w.i("VMOVSS (DI), X0")
	w.i("VFMADD231SS (SI), X15, X0")
	w.i("VMOVSS X0, (DI)")
	w.i("ADDQ $4, SI")
	w.i("ADDQ $4, DI")
	w.i("DECQ CX")
	w.i("JMP axpy1")
	w.p("axpydone:")
	w.i("VZEROUPPER")
	w.i("RET")
	w.p("")

	// dotAVX2(n int, x, y *float32) float32.
	w.p("// func dotAVX2(n int, x, y *float32) float32")
	w.p("TEXT ·dotAVX2(SB), NOSPLIT, $0-28")
	w.i("MOVQ n+0(FP), CX")
	w.i("MOVQ x+8(FP), SI")
	w.i("MOVQ y+16(FP), DI")
	for v := 0; v < 4; v++ {
		w.i("VXORPS Y%d, Y%d, Y%d", v, v, v)
	}
	w.i("CMPQ CX, $32")
	w.i("JLT dot8")
	w.p("dot32:")
	for v := 0; v < 4; v++ {
		w.i("VMOVUPS %d(SI), Y%d", v*32, 4+v)
	}
	for v := 0; v < 4; v++ {
		w.i("VFMADD231PS %d(DI), Y%d, Y%d", v*32, 4+v, v)
	}
	w.i("ADDQ $128, SI")
	w.i("ADDQ $128, DI")
	w.i("SUBQ $32, CX")
	w.i("CMPQ CX, $32")
	w.i("JGE dot32")
	w.p("dot8:")
	w.i("CMPQ CX, $8")
	w.i("JLT dotsum")
	w.i("VMOVUPS (SI), Y4")
	w.i("VFMADD231PS (DI), Y4, Y0")
	w.i("ADDQ $32, SI")
	w.i("ADDQ $32, DI")
	w.i("SUBQ $8, CX")
	w.i("JMP dot8")
	w.p("dotsum:")
	w.i("VADDPS Y1, Y0, Y0")
	w.i("VADDPS Y3, Y2, Y2")
	w.i("VADDPS Y2, Y0, Y0")
	w.i("VEXTRACTF128 $1, Y0, X1")
	w.i("VADDPS X1, X0, X0")
	w.i("VHADDPS X0, X0, X0")
	w.i("VHADDPS X0, X0, X0")
	w.p("dot1:")
	w.i("TESTQ CX, CX")
	w.i("JZ dotdone")
	w.i("VMOVSS (SI), X1")
	w.i("VFMADD231SS (DI), X1, X0")
	w.i("ADDQ $4, SI")
	w.i("ADDQ $4, DI")
	w.i("DECQ CX")
	w.i("JMP dot1")
	w.p("dotdone:")
	w.i("VMOVSS X0, ret+24(FP)")
	w.i("VZEROUPPER")
	w.i("RET")
	w.p("")
}

// genPackB emits packB<isa>(rows, panels int, src *float32, ldb int, dst
// *float32, kc int): for p < rows and q < panels, the nr floats at
// src[p*ldb+q*nr] go to dst[q*kc*nr+p*nr], nr being two vectors.
func genPackB(w *writer, name, isa string) {
	reg := func(i int) string { return fmt.Sprintf("Y%d", i) }
	vb := 32
	if isa == "avx512" {
		reg = func(i int) string { return fmt.Sprintf("Z%d", i) }
		vb = 64
	}
	w.p("// func %s(rows, panels int, src *float32, ldb int, dst *float32, kc int)", name)
	w.p("TEXT ·%s(SB), NOSPLIT, $0-48", name)
	w.i("MOVQ rows+0(FP), CX")
	w.i("MOVQ src+16(FP), SI")
	w.i("MOVQ ldb+24(FP), R8")
	w.i("SHLQ $2, R8")
	w.i("MOVQ dst+32(FP), DI")
	w.i("MOVQ kc+40(FP), R9")
	w.i("SHLQ $%d, R9", log2(2*vb)) // panel stride in bytes: kc*nr*4
	w.i("TESTQ CX, CX")
	w.i("JZ done")
	w.p("row:")
	w.i("MOVQ panels+8(FP), DX")
	w.i("MOVQ SI, R10")
	w.i("MOVQ DI, R11")
	w.i("TESTQ DX, DX")
	w.i("JZ next")
	w.p("panel:")
	w.i("VMOVUPS (R10), %s", reg(0))
	w.i("VMOVUPS %d(R10), %s", vb, reg(1))
	w.i("VMOVUPS %s, (R11)", reg(0))
	w.i("VMOVUPS %s, %d(R11)", reg(1), vb)
	w.i("ADDQ $%d, R10", 2*vb)
	w.i("ADDQ R9, R11")
	w.i("DECQ DX")
	w.i("JNZ panel")
	w.p("next:")
	w.i("ADDQ R8, SI")
	w.i("ADDQ $%d, DI", 2*vb)
	w.i("DECQ CX")
	w.i("JNZ row")
	w.p("done:")
	w.i("VZEROUPPER")
	w.i("RET")
	w.p("")
}

const header = "// Code generated by go run ./_gen; DO NOT EDIT.\n\n"

func main() {
	dir := flag.String("dir", ".", "write the files into `DIR`")
	flag.Parse()
	var s writer
	s.WriteString(header)
	s.p("//go:build !purego")
	s.p("")
	s.p("#include \"textflag.h\"")
	s.p("")
	for _, f := range families {
		for r := 1; r <= f.mr; r++ {
			genKernel(&s, f, r)
		}
	}
	genVector(&s)
	genPackB(&s, "packBAVX512", "avx512")
	genPackB(&s, "packBAVX2", "avx2")

	var g writer
	g.WriteString(header)
	g.p("//go:build !purego")
	g.p("")
	g.p("package linalg")
	g.p("")
	for _, f := range families {
		for r := 1; r <= f.mr; r++ {
			n := kernelName(f, r)
			g.p("// %s computes %d rows of a %d×%d tile; see kernelGo.", n, r, f.mr, f.nr())
			g.p("//")
			g.p("//go:noescape")
			g.p("func %s(kc int, a, b, c *float32, ldc int, alpha, beta float32)", n)
			g.p("")
		}
		var names []string
		for r := 1; r <= f.mr; r++ {
			names = append(names, kernelName(f, r))
		}
		g.p("// %sKernels holds the %d×%d kernels by row count minus one.", f.name, f.mr, f.nr())
		g.p("var %sKernels = []microKernel{%s}", f.name, strings.Join(names, ", "))
		g.p("")
	}
	g.p("// axpyAVX2 is y[i] += alpha*x[i] for i < n.")
	g.p("//")
	g.p("//go:noescape")
	g.p("func axpyAVX2(n int, alpha float32, x, y *float32)")
	g.p("")
	for _, n := range []string{"packBAVX512", "packBAVX2"} {
		g.p("// %s copies rows×panels chunks of two vectors from a row-major", n)
		g.p("// matrix into packed B panels; see kernelSet.packB.")
		g.p("//")
		g.p("//go:noescape")
		g.p("func %s(rows, panels int, src *float32, ldb int, dst *float32, kc int)", n)
		g.p("")
	}
	g.p("// dotAVX2 returns Σ x[i]*y[i] for i < n.")
	g.p("//")
	g.p("//go:noescape")
	g.p("func dotAVX2(n int, x, y *float32) float32")
	src, err := format.Source(g.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "kernels_amd64.s"), s.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*dir, "kernels_amd64.go"), src, 0o644); err != nil {
		log.Fatal(err)
	}
}
