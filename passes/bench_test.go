package passes

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/backends/cpu"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/tensor"
)

// BenchmarkFixture measures the CPU latency of each fixture model before
// and after optimization (converted to opset 23 so that every fusion can
// fire), in one process: compare the original and optimized sub-benchmarks
// of a model, e.g. with
//
//	go test ./passes -run XXX -bench Fixture/bert -count 10 | benchstat -
func BenchmarkFixture(b *testing.B) {
	for _, fc := range fixtureCases {
		for _, optimized := range []bool{false, true} {
			name := fc.name + "/original"
			if optimized {
				name = fc.name + "/optimized"
			}
			b.Run(name, func(b *testing.B) {
				dir := filepath.Join("testdata", "fixtures")
				m, err := importer.Load(filepath.Join(dir, fc.name+".onnx"), importer.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if optimized {
					if _, err := Run(m, Options{TargetOpset: 23}); err != nil {
						b.Fatal(err)
					}
				}
				paths, _ := filepath.Glob(filepath.Join(dir, fc.name+".in.*.npy"))
				inputs := map[string]*tensor.Tensor{}
				for _, p := range paths {
					x, err := tensor.LoadNpy(p)
					if err != nil {
						b.Fatal(err)
					}
					base := filepath.Base(p)
					base = base[len(fc.name)+4 : len(base)-4]
					inputs[base] = x
				}
				p, err := cpu.Compile(m.Graph, backends.Options{})
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := p.Run(ctx, inputs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
