package seqmodels

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(kernels.KernelDef{Op: "RotaryEmbedding", Since: 23, Run: kernels.Tensors(rotaryEmbedding)})
}

// rotaryEmbedding rotates the first rotary_embedding_dim features of each
// head by position-dependent angles: pairs (x1, x2) become
// (x1 cos - x2 sin, x2 cos + x1 sin). The pairs are the two halves of the
// rotated features, or adjacent features when interleaved.
//
// X is (batch, heads, seq, head_size), or (batch, seq, heads*head_size)
// with num_heads. With position_ids (batch, seq) the caches are
// (max_position, >= rotary_dim/2) tables indexed by position; without,
// they are (batch, seq, >= rotary_dim/2).
func rotaryEmbedding(c *kernels.Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error) {
	x, cosC, sinC, pos := input(in, 0), input(in, 1), input(in, 2), input(in, 3)
	for i, name := range []string{"X", "cos_cache", "sin_cache"} {
		if err := requireFloat(input(in, i), name); err != nil {
			return nil, err
		}
	}
	if cosC.DType() != x.DType() || sinC.DType() != x.DType() {
		return nil, fmt.Errorf("cos_cache (%s) and sin_cache (%s) must have X's type %s", cosC.DType(), sinC.DType(), x.DType())
	}
	var batch, heads, seq, head int
	// xAt(b, h, s) is the offset of the head vector in X's elements.
	var xAt func(b, h, s int) int
	switch x.Rank() {
	case 4:
		batch, heads, seq, head = x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
		xAt = func(b, h, s int) int { return ((b*heads+h)*seq + s) * head }
	case 3:
		nh := c.Node.IntOr("num_heads", 0)
		if nh <= 0 {
			return nil, fmt.Errorf("3-D input needs a positive num_heads attribute")
		}
		batch, seq, heads = x.Dim(0), x.Dim(1), int(nh)
		if x.Dim(2)%heads != 0 {
			return nil, fmt.Errorf("hidden size %d is not divisible by num_heads %d", x.Dim(2), heads)
		}
		head = x.Dim(2) / heads
		xAt = func(b, h, s int) int { return ((b*seq+s)*heads + h) * head }
	default:
		return nil, fmt.Errorf("X must have rank 3 or 4, got shape %v", x.Shape())
	}
	rot := int(c.Int("rotary_embedding_dim"))
	if rot == 0 {
		rot = head
	}
	if rot < 0 || rot%2 != 0 || rot > head {
		return nil, fmt.Errorf("rotary_embedding_dim %d must be even and at most the head size %d", rot, head)
	}
	half := rot / 2
	if cosC.Rank() != sinC.Rank() || cosC.Rank() < 1 || sinC.Dim(sinC.Rank()-1) != cosC.Dim(cosC.Rank()-1) {
		return nil, fmt.Errorf("cos_cache %v and sin_cache %v must have the same shape", cosC.Shape(), sinC.Shape())
	}
	for i := 0; i < cosC.Rank(); i++ {
		if cosC.Dim(i) != sinC.Dim(i) {
			return nil, fmt.Errorf("cos_cache %v and sin_cache %v must have the same shape", cosC.Shape(), sinC.Shape())
		}
	}
	width := cosC.Dim(cosC.Rank() - 1)
	if width < half {
		return nil, fmt.Errorf("the caches' last dim %d is less than rotary_embedding_dim/2 = %d", width, half)
	}
	// row(b, s) is the offset of the cache row for batch b, position s.
	var row func(b, s int) int
	if pos != nil {
		if !pos.DType().IsInt() {
			return nil, fmt.Errorf("position_ids must be int64, got %s", pos.DType())
		}
		if err := requireShape(pos, "position_ids", batch, seq); err != nil {
			return nil, err
		}
		if err := requireRank(cosC, "cos_cache", 2); err != nil {
			return nil, err
		}
		ids := ints(pos)
		for i, p := range ids {
			if p < 0 || p >= int64(cosC.Dim(0)) {
				return nil, fmt.Errorf("position_ids[%d] = %d is outside the cache's %d positions", i, p, cosC.Dim(0))
			}
		}
		row = func(b, s int) int { return int(ids[b*seq+s]) * width }
	} else {
		if err := requireShape(cosC, "cos_cache", batch, seq, width); err != nil {
			return nil, fmt.Errorf("without position_ids, %v", err)
		}
		row = func(b, s int) int { return (b*seq + s) * width }
	}
	interleaved := c.Int("interleaved") != 0
	xs, cs, ss := floats(x), floats(cosC), floats(sinC)
	out := append([]float64(nil), xs...)
	for b := 0; b < batch; b++ {
		for s := 0; s < seq; s++ {
			r := row(b, s)
			cosR, sinR := cs[r:r+half], ss[r:r+half]
			for h := 0; h < heads; h++ {
				off := xAt(b, h, s)
				src, dst := xs[off:off+rot], out[off:off+rot]
				for i := 0; i < half; i++ {
					i1, i2 := i, i+half
					if interleaved {
						i1, i2 = 2*i, 2*i+1
					}
					x1, x2 := src[i1], src[i2]
					dst[i1] = x1*cosR[i] - x2*sinR[i]
					dst[i2] = x2*cosR[i] + x1*sinR[i]
				}
			}
		}
	}
	y, err := fromFloats(x.DType(), x.Shape(), out)
	return []*tensor.Tensor{y}, err
}
