// Package passes holds the optimizer: the pass manager, the pipeline
// (declared once, in pipeline.go, with its ordering constraints) and the
// passes themselves, one file each. A pass rewrites an ir.Func in place and
// reports whether it changed anything; passes that cannot handle a graph
// leave it unchanged and say why in the report.
package passes

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/onyxgo/onyx/ir"
)

// Pass is one named rewrite of a Func.
type Pass struct {
	Name string
	// Level is the lowest optimization level that runs the pass (1:
	// basic cleanups, 2: fusions into standard ops, 3: execution-only
	// rewrites).
	Level int
	Doc   string
	Run   func(c *Context, f *ir.Func) (changed bool, err error)
}

// Options select and tune the pipeline.
type Options struct {
	// Level is the optimization level; 0 means 2.
	Level int
	// Only, when set, runs just the named passes (in pipeline order).
	Only []string
	// Disable names passes not to run.
	Disable []string
	// Dump, when set, receives the IR after each pass that changed it.
	Dump io.Writer
	// FoldLimit bounds the bytes of a constant made by folding; 0 means
	// the default (the larger of the inputs' size and 1 KiB).
	FoldLimit int
	// Check runs ir.Check after every pass (tests set it).
	Check bool
	// TargetOpset, when above the model's default-domain opset, converts
	// the model to it first (ConvertOpset), so that fusions into newer
	// standard ops can fire.
	TargetOpset int
}

// Context is what a pass sees besides the Func: the model's opsets, the
// options, and a place to count hits and leave notes.
type Context struct {
	Model   *ir.Model
	Options Options
	pass    string
	report  *Report
}

// Hit counts one rewrite of the current pass.
func (c *Context) Hit() { c.report.Hits[c.pass]++ }

// Note records why the current pass left something unchanged.
func (c *Context) Note(format string, args ...any) {
	c.report.Notes = append(c.report.Notes, c.pass+": "+fmt.Sprintf(format, args...))
}

// Opset returns the model's opset for a domain ("" for ai.onnx).
func (c *Context) Opset(domain string) int {
	if c.Model == nil {
		return 0
	}
	return c.Model.Opset(domain)
}

// Report says what a run of the pipeline did.
type Report struct {
	// Before and After count nodes per op.
	Before, After map[string]int
	// Hits counts rewrites per pass.
	Hits map[string]int
	// Times holds the time each pass took.
	Times map[string]time.Duration
	// Order lists the passes that ran.
	Order []string
	Notes []string
}

// OpCounts counts the nodes of f and its subgraphs per op.
func OpCounts(f *ir.Func) map[string]int {
	m := map[string]int{}
	f.Walk(func(_ *ir.Func, n *ir.Node) { m[n.OpName()]++ })
	return m
}

// NodeCount returns the total number of nodes in f and its subgraphs.
func NodeCount(f *ir.Func) int {
	n := 0
	f.Walk(func(*ir.Func, *ir.Node) { n++ })
	return n
}

// Write prints the report: node counts per op before and after, then the
// hits of each pass.
func (r *Report) Write(w io.Writer) {
	ops := map[string]bool{}
	for k := range r.Before {
		ops[k] = true
	}
	for k := range r.After {
		ops[k] = true
	}
	var names []string
	for k := range ops {
		names = append(names, k)
	}
	sort.Strings(names)
	tb, ta := 0, 0
	fmt.Fprintf(w, "%-32s %8s %8s\n", "op", "before", "after")
	for _, k := range names {
		fmt.Fprintf(w, "%-32s %8d %8d\n", k, r.Before[k], r.After[k])
		tb += r.Before[k]
		ta += r.After[k]
	}
	fmt.Fprintf(w, "%-32s %8d %8d\n", "total", tb, ta)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-32s %8s %10s\n", "pass", "hits", "time")
	for _, p := range r.Order {
		fmt.Fprintf(w, "%-32s %8d %10s\n", p, r.Hits[p], r.Times[p].Round(time.Microsecond))
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}
