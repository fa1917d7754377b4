package elementwise

// bcastPlan walks operands broadcast to an output shape block by block.
// Output dims of size 1 are dropped and adjacent dims along which every
// operand either varies or is broadcast alike are merged, so that the
// output is a sequence of blocks of inner contiguous elements in each of
// which every operand is either contiguous (inner stride 1) or a single
// repeated element (inner stride 0). Same-shape operands become one
// block; a bias over channels, a row or a column become blocks of the
// plane, row or column length.
type bcastPlan struct {
	n     int   // output elements
	inner int   // block length: the size of the innermost merged dim
	dims  []int // the outer merged dims, outermost first
	// st[d*nops+k] is operand k's stride along outer dim d (0 where it
	// broadcasts); in[k] its stride along the inner dim (0 or 1).
	st []int
	in []int
}

// newBcastPlan plans operands of the given shapes (each broadcasting to
// out by numpy rules) against out.
func newBcastPlan(out []int, shapes ...[]int) *bcastPlan {
	nops := len(shapes)
	p := &bcastPlan{n: count(out), in: make([]int, nops)}
	var sizes []int
	var masks []uint64 // bit k: operand k varies along the dim
	for d, od := range out {
		if od == 1 {
			continue
		}
		var m uint64
		for k, s := range shapes {
			if i := d - (len(out) - len(s)); i >= 0 && s[i] == od {
				m |= 1 << k
			}
		}
		if l := len(sizes) - 1; l >= 0 && masks[l] == m {
			sizes[l] *= od
			continue
		}
		sizes, masks = append(sizes, od), append(masks, m)
	}
	if len(sizes) == 0 {
		sizes, masks = []int{1}, []uint64{1<<nops - 1}
	}
	nd := len(sizes)
	st := make([]int, nd*nops)
	for k := 0; k < nops; k++ {
		acc := 1
		for d := nd - 1; d >= 0; d-- {
			if masks[d]&(1<<k) != 0 {
				st[d*nops+k] = acc
				acc *= sizes[d]
			}
		}
	}
	p.inner = sizes[nd-1]
	p.dims = sizes[:nd-1]
	p.st = st[:(nd-1)*nops]
	copy(p.in, st[(nd-1)*nops:])
	return p
}

// each calls fn for the blocks that cover the output elements [lo, hi)
// in order: o is the block's first output element, offs the offset of
// its first element in each operand (fn may not keep offs), and m its
// length (the first and last block may be partial).
func (p *bcastPlan) each(lo, hi int, fn func(o int, offs []int, m int)) {
	if lo >= hi {
		return
	}
	nops, nd, L := len(p.in), len(p.dims), p.inner
	ctr := make([]int, nd)
	base := make([]int, nops)
	cur := make([]int, nops)
	rem := lo / L
	for d := nd - 1; d >= 0; d-- {
		ctr[d] = rem % p.dims[d]
		rem /= p.dims[d]
		for k := range base {
			base[k] += ctr[d] * p.st[d*nops+k]
		}
	}
	j := lo % L
	for o := lo; o < hi; {
		m := min(L-j, hi-o)
		for k := range cur {
			cur[k] = base[k] + j*p.in[k]
		}
		fn(o, cur, m)
		o += m
		j = 0
		for d := nd - 1; d >= 0; d-- {
			ctr[d]++
			st := p.st[d*nops : (d+1)*nops]
			if ctr[d] < p.dims[d] {
				for k := range base {
					base[k] += st[k]
				}
				break
			}
			for k := range base {
				base[k] -= st[k] * (ctr[d] - 1)
			}
			ctr[d] = 0
		}
	}
}
