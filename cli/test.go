package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/conformance"
)

var testCmd = &command{
	name:  "test",
	args:  "DIR... [flags]",
	short: "run ONNX backend test cases and report what passes",
	long: `
Test finds every ONNX backend test case under the DIRs (folders holding
model.onnx and test_data_set_*, and light/light_<net>.onnx models), runs
each on the backend and compares its outputs with the expected ones, as
the official ONNX runner does. It prints one line per failing case, then
a table of the ops with failing cases (every op with -v), and ends with
the line "N passed, M failed, K skipped".

The exit status is 1 when fewer than --min-pass cases pass.

--markdown FILE replaces the table between the lines
` + conformance.BeginMarker + `
` + conformance.EndMarker + `
in FILE with the per-category pass table of this run.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		backend := fs.String("backend", "cpu", "`name` of the backend to run on")
		jsonOut := fs.String("json", "", "write the full report as JSON to `FILE`")
		markdown := fs.String("markdown", "", "splice the per-category table into the Markdown `FILE`")
		var rtol, atol optFloat
		fs.Var(&rtol, "rtol", "relative tolerance `R` for every case (default: each case's own, usually 1e-3)")
		fs.Var(&atol, "atol", "absolute tolerance `A` for every case (default: each case's own, usually 1e-7)")
		minPass := fs.Int("min-pass", 0, "exit 1 when fewer than `N` cases pass")
		timeout := fs.Duration("timeout", conformance.DefaultTimeout, "abandon a case that runs longer than `D`")
		jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "run `N` cases at a time")
		run := fs.String("run", "", "run only the cases whose name (category/case) matches `REGEXP`")
		verbose := fs.Bool("v", false, "print every case and the whole op table")
		optimize := fs.Bool("optimize", false, "optimize each model (and write and reread it as ONNX) before running it")
		level := fs.Int("level", 0, "optimizer `level` with --optimize (default 2)")
		targetOpset := fs.Int("target-opset", 0, "with --optimize, first convert each model up to default-domain opset `N`")
		return func(e *env, dirs []string) int {
			if len(dirs) == 0 {
				fmt.Fprintf(e.stderr, "onyx test: no DIR given\nusage: onyx test DIR... [flags]\n")
				return exitUsage
			}
			if _, err := backends.Lookup(*backend); err != nil {
				return e.errorf("test: %v", err)
			}
			var filter *regexp.Regexp
			if *run != "" {
				re, err := regexp.Compile(*run)
				if err != nil {
					return e.errorf("test: --run: %v", err)
				}
				filter = re
			}
			cases, err := conformance.Discover(dirs...)
			if err != nil {
				return e.errorf("test: %v", err)
			}
			if filter != nil {
				kept := cases[:0]
				for _, c := range cases {
					if filter.MatchString(c.Name) {
						kept = append(kept, c)
					}
				}
				cases = kept
			}
			if len(cases) == 0 {
				return e.errorf("test: no test cases found under %s", strings.Join(dirs, " "))
			}
			o := conformance.Options{Backend: *backend, Timeout: *timeout, Optimize: *optimize, OptimizeLevel: *level, TargetOpset: *targetOpset}
			if rtol.set {
				o.RTol = &rtol.v
			}
			if atol.set {
				o.ATol = &atol.v
			}
			var mu sync.Mutex
			progress := func(r conformance.Result) {
				if !*verbose {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(e.stderr, "%-4s %s (%s)\n", strings.ToUpper(string(r.Status)), r.Name, r.Duration.Round(time.Millisecond))
			}
			results := conformance.RunAll(context.Background(), cases, o, *jobs, progress)
			rep := conformance.NewReport(*backend, results)
			for _, r := range results {
				switch {
				case r.Status == conformance.Fail:
					fmt.Fprintf(e.stdout, "FAIL %s: %s\n", r.Name, r.Reason)
				case r.Status == conformance.Skip && *verbose:
					fmt.Fprintf(e.stdout, "SKIP %s: %s\n", r.Name, r.Reason)
				}
			}
			var table bytes.Buffer
			rep.WriteOpTable(&table, *verbose)
			if table.Len() > 0 {
				fmt.Fprintf(e.stdout, "\n%s\n", table.String())
			}
			status := exitOK
			if *jsonOut != "" {
				var buf bytes.Buffer
				if err := rep.WriteJSON(&buf); err != nil {
					status = e.errorf("test: %v", err)
				} else if err := writeFileAtomic(*jsonOut, buf.Bytes()); err != nil {
					status = e.errorf("test: %v", err)
				}
			}
			if *markdown != "" {
				if err := spliceMarkdownFile(*markdown, rep); err != nil {
					status = e.errorf("test: %v", err)
				}
			}
			if rep.Passed < *minPass {
				fmt.Fprintf(e.stderr, "onyx test: %d cases passed, fewer than --min-pass %d\n", rep.Passed, *minPass)
				status = exitFail
			}
			fmt.Fprintln(e.stdout, rep.Summary())
			return status
		}
	},
}

// spliceMarkdownFile rewrites the conformance table in a Markdown file.
func spliceMarkdownFile(path string, rep *conformance.Report) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	table := fmt.Sprintf("Backend `%s`; generated by `go run ./tools/onyx test --markdown`.\n\n%s", rep.Backend, rep.Markdown())
	out, err := conformance.SpliceMarkdown(string(doc), table)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return writeFileAtomic(path, []byte(out))
}

// optFloat is a float flag that records whether it was given.
type optFloat struct {
	v   float64
	set bool
}

func (f *optFloat) String() string {
	if f == nil || !f.set {
		return ""
	}
	return strconv.FormatFloat(f.v, 'g', -1, 64)
}

func (f *optFloat) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || math.IsNaN(v) {
		return fmt.Errorf("want a number >= 0, got %q", s)
	}
	f.v, f.set = v, true
	return nil
}
