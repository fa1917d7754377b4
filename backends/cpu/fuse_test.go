package cpu

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// TestActivationFusionMatchesSeparateKernels runs Producer→Activation once
// fused (the producer's output read by the activation alone) and once
// unfused (the producer's output also a result), and requires identical
// outputs.
func TestActivationFusionMatchesSeparateKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := tensor.New(tensor.Float32, 1, 2, 5, 5)
	for i := range x.Float32s() {
		x.Float32s()[i] = float32(r.NormFloat64())
	}
	w := tensor.New(tensor.Float32, 3, 2, 3, 3)
	for i := range w.Float32s() {
		w.Float32s()[i] = float32(r.NormFloat64())
	}
	acts := []struct {
		op    string
		attrs []ir.Attr
		extra []*tensor.Tensor
	}{
		{op: "Relu"},
		{op: "LeakyRelu", attrs: []ir.Attr{ir.AFloat("alpha", 0.2)}},
		{op: "Sigmoid"},
		{op: "Tanh"},
		{op: "Clip", extra: []*tensor.Tensor{tensor.Scalar(float32(-0.5)), tensor.Scalar(float32(0.7))}},
	}
	for _, a := range acts {
		build := func(pin bool) (*Program, *ir.Func) {
			f := ir.NewFunc("g")
			xv := f.AddParam("x", ir.TensorType(tensor.Float32, 1, 2, 5, 5))
			wv := f.AddConst("w", w)
			conv := f.NewNode("Conv", "", 17, []*ir.Value{xv, wv}, []string{"c"})
			ins := []*ir.Value{conv.Outputs[0]}
			for i, e := range a.extra {
				ins = append(ins, f.AddConst(string(rune('p'+i)), e))
			}
			act := f.NewNode(a.op, "", 17, ins, []string{"y"}, a.attrs...)
			f.Results = []*ir.Value{act.Outputs[0]}
			if pin {
				f.Results = append(f.Results, conv.Outputs[0])
			}
			p, err := Compile(f, backends.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return p, f
		}
		fused, _ := build(false)
		plain, _ := build(true)
		if fused.fused[0] == nil {
			t.Errorf("%s: Conv and %s were not fused", a.op, a.op)
		}
		if plain.fused[0] != nil {
			t.Errorf("%s: fused although the Conv output is a result", a.op)
		}
		in := map[string]*tensor.Tensor{"x": x}
		got, err := fused.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := plain.Run(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		g, wv := got["y"].Float32s(), want["y"].Float32s()
		for i := range wv {
			if g[i] != wv[i] {
				t.Fatalf("%s: element %d: fused %v, separate %v", a.op, i, g[i], wv[i])
			}
		}
	}
}
