package misc

import (
	"math"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
)

// mt19937 is the Mersenne Twister as numpy's legacy RandomState runs it.
// The ONNX reference draws the random ops' values from a RandomState
// seeded with the node's seed attribute; drawing from the same generator
// in the same order makes seeded random nodes reproduce the reference's
// values exactly.
type mt19937 struct {
	state [624]uint32
	pos   int
}

// newMT19937 seeds the generator as RandomState(seed) does for an integer
// seed.
func newMT19937(seed uint32) *mt19937 {
	m := &mt19937{pos: 624}
	m.state[0] = seed
	for i := 1; i < 624; i++ {
		prev := m.state[i-1]
		m.state[i] = 1812433253*(prev^(prev>>30)) + uint32(i)
	}
	return m
}

func (m *mt19937) next() uint32 {
	if m.pos >= 624 {
		for k := 0; k < 624; k++ {
			y := m.state[k]&0x80000000 | m.state[(k+1)%624]&0x7fffffff
			v := m.state[(k+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			m.state[k] = v
		}
		m.pos = 0
	}
	y := m.state[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 returns a double in [0, 1) from 53 random bits, as numpy's
// random_sample does.
func (m *mt19937) Float64() float64 {
	a, b := m.next()>>5, m.next()>>6
	return (float64(a)*67108864.0 + float64(b)) / 9007199254740992.0
}

// NormFloat64 returns a standard normal draw by the polar method, as
// numpy's legacy gauss does (one pair of uniforms gives two draws; the
// second is kept for the next call).
type legacyGauss struct {
	m       *mt19937
	has     bool
	pending float64
}

func (g *legacyGauss) NormFloat64() float64 {
	if g.has {
		g.has = false
		return g.pending
	}
	for {
		x1 := 2*g.m.Float64() - 1
		x2 := 2*g.m.Float64() - 1
		r2 := x1*x1 + x2*x2
		if r2 < 1 && r2 != 0 {
			f := math.Sqrt(-2 * math.Log(r2) / r2)
			g.pending, g.has = f*x1, true
			return f * x2
		}
	}
}

// source is what the random kernels draw from.
type source interface {
	Float64() float64
	NormFloat64() float64
}

// randomSource returns numpy's legacy generator seeded by the node's seed
// attribute when it has one, so that seeded nodes match the ONNX
// reference, and otherwise the interpreter's seeded per-node source.
func randomSource(c *kernels.Ctx) source {
	if a := c.Node.Attr("seed"); a != nil {
		s := a.I
		if a.Type == ir.AttrFloat {
			s = int64(a.F)
		}
		m := newMT19937(uint32(s))
		return &legacyGauss{m: m}
	}
	return c.Rand()
}

func (g *legacyGauss) Float64() float64 { return g.m.Float64() }
