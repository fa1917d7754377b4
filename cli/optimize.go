package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/passes"
)

var optimizeCmd = &command{
	name:  "optimize",
	args:  "IN -o OUT [flags]",
	short: "optimize a model and write it as standard ONNX",
	long: `
Optimize loads IN, runs the optimizer's pipeline over it and writes the
result to OUT as ONNX. The output uses standard ONNX ops only, so any
ONNX runtime can run it.

Level 1 runs the cleanups (shape inference, constant folding, no-op,
dead-code and common-subexpression elimination, batch-norm folding);
level 2 (the default) adds fusions into standard ops where the model's
opset has them. --passes runs only the named passes; --disable skips
some. --report prints node counts per op before and after, each pass's
hits and time, notes on what a pass left alone and why, and the file
sizes.

--target-opset N first converts the model to opset N of the default
domain (only upwards), so that fusions into newer ops (LayerNormalization
17, Gelu 20, Attention and RMSNormalization 23) can fire. Ops whose
revisions only widened their types carry over; those whose form changed
are rewritten (Reduce* axes and Squeeze/Unsqueeze/Split inputs, DFT's
axis, GridSample's modes); a model using a revision without such a
rewrite is refused, naming the ops.

Models with external data are read from beside IN; --external-data writes
OUT's weights to OUT.data (models past protobuf's 2 GiB limit always are).

OUT is written atomically (a temporary file renamed into place), so a
failure never leaves a half-written model. OUT may not be IN unless
--in-place is given.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		out := fs.String("o", "", "write the optimized model to `FILE`")
		level := fs.Int("level", 2, "optimization `level`: 1 cleanups, 2 fusions into standard ops")
		only := fs.String("passes", "", "run only these passes (comma-separated `names`)")
		disable := fs.String("disable", "", "skip these passes (comma-separated `names`)")
		report := fs.Bool("report", false, "print what the optimizer did")
		target := fs.Int("target-opset", 0, "write the model at default-domain opset `N`")
		inPlace := fs.Bool("in-place", false, "allow OUT to be IN")
		fs.Bool("allow-custom-ops", false, "allow ops of the onyx domain in OUT (no pass emits them yet)")
		list := fs.Bool("list", false, "list the passes of the pipeline and exit")
		external := fs.Bool("external-data", false, "write weights of 1 KiB or more to OUT.data beside OUT (always done past 2 GiB)")
		dump := fs.Bool("dump", false, "print the IR after each pass that changes it")
		return func(e *env, args []string) int {
			if *list {
				for _, p := range passes.Pipeline {
					fmt.Fprintf(e.stdout, "%-34s level %d  %s\n", p.Name, p.Level, p.Doc)
				}
				return exitOK
			}
			if len(args) != 1 || *out == "" {
				fmt.Fprintf(e.stderr, "onyx optimize: need one input model and -o OUT\nusage: onyx optimize IN -o OUT [flags]\n")
				return exitUsage
			}
			in := args[0]
			if same, err := samePath(in, *out); err != nil {
				return e.errorf("optimize: %v", err)
			} else if same && !*inPlace {
				return e.errorf("optimize: -o %s is the input model; pass --in-place to overwrite it", *out)
			}
			m, err := importer.Load(in, importer.Options{})
			if err != nil {
				return e.errorf("optimize: %v", err)
			}
			o := passes.Options{Level: *level, Only: splitList(*only), Disable: splitList(*disable), TargetOpset: *target}
			if *dump {
				o.Dump = e.stdout
			}
			if len(o.Only) > 0 {
				o.Only = append(o.Only, "infer-shapes")
			}
			rep, err := passes.Run(m, o)
			if err != nil {
				return e.errorf("optimize: %v", err)
			}
			save := exporter.Save
			if *external {
				save = func(m *ir.Model, path string) error {
					return exporter.SaveExternal(m, path, exporter.ExternalOptions{})
				}
			}
			if err := save(m, *out); err != nil {
				return e.errorf("optimize: %v", err)
			}
			if *report {
				rep.Write(e.stdout)
				fmt.Fprintf(e.stdout, "\nfile size: %s -> %s\n", fileSize(in), fileSize(*out))
			}
			return exitOK
		}
	},
}

func init() { commands = append(commands, optimizeCmd) }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// samePath reports whether a and b name the same file (b need not exist).
func samePath(a, b string) (bool, error) {
	ai, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	bi, err := os.Stat(b)
	if err != nil {
		aa, _ := filepath.Abs(a)
		bb, _ := filepath.Abs(b)
		return aa == bb, nil
	}
	return os.SameFile(ai, bi), nil
}

func fileSize(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	n := float64(fi.Size())
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", n/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", n/(1<<10))
	}
	return fmt.Sprintf("%d B", fi.Size())
}
