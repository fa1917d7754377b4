//go:build !(linux || darwin || freebsd)

package reduce

// cpuTime reports no CPU time where the process's usage is not read.
func cpuTime() int64 { return 0 }
