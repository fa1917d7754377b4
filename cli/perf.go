package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/onyxgo/onyx/bench"
)

// The file is named so that its init runs after cli.go's, which sets the
// command table.
func init() { commands = append(commands, benchCmd) }

var benchCmd = &command{
	name:  "bench",
	args:  "MODEL [--runs N] [--warmup N] [--threads N] [--input name=FILE]... [flags]",
	short: "time a model: median and p90 latency, throughput",
	long: `
Bench loads MODEL, makes its inputs (random values for every input
without a default, symbolic dims taken as 1; --input name=FILE reads one
from a .pb or .npy file instead), runs the model --warmup times untimed,
then --runs times timed, and prints the median, p90, min and mean
latency and the throughput in runs per second.

--compare-optimized also runs the model after the optimizer's passes, in
the same process, the two taking turns run by run, and prints both rows
and the ratio of the medians.

--threads N sets how many goroutines the run may use (GOMAXPROCS and the
threads of one matrix product); 0 keeps GOMAXPROCS.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		var inputs inputFlags
		fs.Var(&inputs, "input", "feed input `name=FILE` (.pb or .npy); repeat for each input")
		runs := fs.Int("runs", 10, "timed runs")
		warmup := fs.Int("warmup", 2, "untimed runs before the timed ones")
		threads := fs.Int("threads", 0, "goroutines to run on (0: GOMAXPROCS)")
		compare := fs.Bool("compare-optimized", false, "also time the model after the optimizer's passes")
		backend := fs.String("backend", "cpu", "`name` of the backend to run on")
		seed := fs.Uint64("seed", 1, "seed of the random inputs")
		return func(e *env, args []string) int {
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "onyx bench: want one MODEL, got %d arguments\nusage: onyx bench %s\n", len(args), "MODEL [--runs N] [--warmup N] [--threads N] [flags]")
				return exitUsage
			}
			if *runs < 1 || *warmup < 0 || *threads < 0 {
				fmt.Fprintf(e.stderr, "onyx bench: --runs must be at least 1, --warmup and --threads at least 0\n")
				return exitUsage
			}
			o := bench.Options{Runs: *runs, Warmup: *warmup, Threads: *threads, CompareOptimized: *compare,
				Backend: *backend, Seed: *seed, Inputs: map[string]string{}}
			if o.Warmup == 0 {
				o.Warmup = -1 // bench.Options: 0 means the default
			}
			for _, in := range inputs {
				if _, dup := o.Inputs[in.name]; dup {
					return e.errorf("bench: input %q given twice", in.name)
				}
				o.Inputs[in.name] = in.file
			}
			rep, err := bench.Run(context.Background(), args[0], o)
			if err != nil {
				return e.errorf("bench: %v", err)
			}
			rep.Write(e.stdout)
			return exitOK
		}
	},
}
