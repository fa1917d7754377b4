//go:build !unix

package linalg

// cpuSeconds is unknown here: benchmarks then report no CPU-time metric.
func cpuSeconds() float64 { return 0 }
