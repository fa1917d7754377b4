package zoo

import (
	"fmt"

	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/nn"
)

// ResNet is torchvision's ResNet: a 7×7 stem ("conv1", "bn1") with max
// pooling, four stages of residual blocks ("layer1" … "layer4"), global
// average pooling and a linear classifier ("fc"). ResNet-18, 34 and 50
// have 11,689,512, 21,797,672 and 25,557,032 parameters at 1000 classes.
type ResNet struct {
	nn.Container
	Conv1                          *nn.Conv
	BN1                            *nn.BatchNorm
	MaxPool                        nn.Module
	Layer1, Layer2, Layer3, Layer4 *nn.Sequential
	AvgPool                        *AdaptiveAvgPool2d
	FC                             *nn.Linear
}

// resnetLayers are the blocks per stage and whether they are bottlenecks.
var resnetLayers = map[int]struct {
	blocks     [4]int
	bottleneck bool
}{
	18:  {[4]int{2, 2, 2, 2}, false},
	34:  {[4]int{3, 4, 6, 3}, false},
	50:  {[4]int{3, 4, 6, 3}, true},
	101: {[4]int{3, 4, 23, 3}, true},
	152: {[4]int{3, 8, 36, 3}, true},
}

// NewResNet returns ResNet-depth (18, 34, 50, 101 or 152; it panics
// otherwise). Weights start as torchvision's: Kaiming-normal convolutions
// over the fan-out, BatchNorm at identity, the classifier with PyTorch's
// default initialisation.
func NewResNet(depth int, o Options) *ResNet {
	cfg, ok := resnetLayers[depth]
	if !ok {
		panic(fmt.Sprintf("zoo: ResNet-%d does not exist (18, 34, 50, 101 or 152)", depth))
	}
	r := newIniter(o)
	conv := func(in, out, k, stride, pad int) *nn.Conv {
		c := conv2d(in, out, k, stride, pad, false)
		r.kaimingNormal(c.Weight, true)
		return c
	}
	m := &ResNet{Conv1: conv(o.channels(3), 64, 7, 2, 3), BN1: nn.NewBatchNorm2d(64),
		MaxPool: nn.NewMaxPool2d(3, 2, 1), AvgPool: &AdaptiveAvgPool2d{OutH: 1, OutW: 1}}
	in := 64
	stage := func(planes, blocks, stride int) *nn.Sequential {
		s := nn.NewSequential()
		for i := 0; i < blocks; i++ {
			st := 1
			if i == 0 {
				st = stride
			}
			var b *Block
			if cfg.bottleneck {
				b = newBottleneck(conv, in, planes, st)
			} else {
				b = newBasicBlock(conv, in, planes, st)
			}
			s.Append(b)
			in = b.OutChannels
		}
		return s
	}
	m.Layer1 = stage(64, cfg.blocks[0], 1)
	m.Layer2 = stage(128, cfg.blocks[1], 2)
	m.Layer3 = stage(256, cfg.blocks[2], 2)
	m.Layer4 = stage(512, cfg.blocks[3], 2)
	m.FC = r.linear(in, o.classes(1000))
	m.Add("conv1", m.Conv1)
	m.Add("bn1", m.BN1)
	m.Add("maxpool", m.MaxPool)
	m.Add("layer1", m.Layer1)
	m.Add("layer2", m.Layer2)
	m.Add("layer3", m.Layer3)
	m.Add("layer4", m.Layer4)
	m.Add("avgpool", m.AvgPool)
	m.Add("fc", m.FC)
	return m
}

// Forward emits the logits.
func (m *ResNet) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	x = relu(g, m.BN1.Forward(g, m.Conv1.Forward(g, x)))
	for _, s := range []nn.Module{m.MaxPool, m.Layer1, m.Layer2, m.Layer3, m.Layer4, m.AvgPool, flatten, m.FC} {
		x = s.Forward(g, x)
	}
	return x
}

// Block is a residual block: torchvision's BasicBlock (conv1 3×3, conv2
// 3×3) or Bottleneck (conv1 1×1, conv2 3×3 carrying the stride, as in
// ResNet v1.5, conv3 1×1 to 4× the width), each convolution followed by
// its BatchNorm (bn1, bn2, bn3) and the block by relu(out + identity).
// Downsample ("downsample.0" a strided 1×1 convolution, "downsample.1"
// its BatchNorm) maps the identity when the shape changes.
type Block struct {
	nn.Container
	Convs       []*nn.Conv
	BNs         []*nn.BatchNorm
	Downsample  *nn.Sequential // nil when the identity passes unchanged
	OutChannels int
}

type convFunc func(in, out, k, stride, pad int) *nn.Conv

func newBlock(conv convFunc, in, out, stride int, specs [][4]int) *Block {
	b := &Block{OutChannels: out}
	for i, s := range specs {
		c := conv(s[0], s[1], s[2], s[3], s[2]/2)
		bn := nn.NewBatchNorm2d(s[1])
		b.Convs = append(b.Convs, c)
		b.BNs = append(b.BNs, bn)
		b.Add(fmt.Sprintf("conv%d", i+1), c)
		b.Add(fmt.Sprintf("bn%d", i+1), bn)
	}
	if stride != 1 || in != out {
		b.Downsample = nn.NewSequential(conv(in, out, 1, stride, 0), nn.NewBatchNorm2d(out))
		b.Add("downsample", b.Downsample)
	}
	return b
}

func newBasicBlock(conv convFunc, in, planes, stride int) *Block {
	return newBlock(conv, in, planes, stride, [][4]int{{in, planes, 3, stride}, {planes, planes, 3, 1}})
}

func newBottleneck(conv convFunc, in, planes, stride int) *Block {
	return newBlock(conv, in, 4*planes, stride,
		[][4]int{{in, planes, 1, 1}, {planes, planes, 3, stride}, {planes, 4 * planes, 1, 1}})
}

// Forward emits relu(bn_n(conv_n(… relu(bn1(conv1(x))) …)) + identity).
func (b *Block) Forward(g *nn.Graph, x *ir.Value) *ir.Value {
	y := x
	for i, c := range b.Convs {
		y = b.BNs[i].Forward(g, c.Forward(g, y))
		if i < len(b.Convs)-1 {
			y = relu(g, y)
		}
	}
	id := x
	if b.Downsample != nil {
		id = b.Downsample.Forward(g, x)
	}
	return relu(g, nn.Add(g, y, id))
}
