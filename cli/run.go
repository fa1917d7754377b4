package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/onyxgo/onyx/backends"
	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

// inputFlags collects repeated --input name=FILE flags.
type inputFlags []inputFlag

type inputFlag struct{ name, file string }

func (f *inputFlags) String() string {
	var parts []string
	for _, x := range *f {
		parts = append(parts, x.name+"="+x.file)
	}
	return strings.Join(parts, ",")
}

func (f *inputFlags) Set(s string) error {
	name, file, ok := strings.Cut(s, "=")
	if !ok || name == "" || file == "" {
		return fmt.Errorf("want name=FILE, got %q", s)
	}
	*f = append(*f, inputFlag{name, file})
	return nil
}

var runCmd = &command{
	name:  "run",
	args:  "MODEL [--input name=FILE]... [flags]",
	short: "run a model on inputs read from .pb or .npy files",
	long: `
Run loads MODEL (an .onnx file), reads each input from a file (.pb: an
ONNX TensorProto, SequenceProto or OptionalProto, as the input's type
says; .npy: a numpy array), runs the model on the backend and either
writes each output to DIR/<name>.pb (or .npy with --format npy) or, with
no --output-dir, prints a summary of each output: element type, shape,
first values, min, max and mean.

Every model input needs a file unless the model gives it a default.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		var inputs inputFlags
		fs.Var(&inputs, "input", "feed input `name=FILE` (.pb or .npy); repeat for each input")
		outDir := fs.String("output-dir", "", "write each output to `DIR`/<name>.pb instead of printing a summary")
		format := fs.String("format", "pb", "file `format` of the outputs written to --output-dir: pb or npy")
		backend := fs.String("backend", "cpu", "`name` of the backend to run on")
		return func(e *env, args []string) int {
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "onyx run: want one MODEL, got %d arguments\nusage: onyx run %s\n", len(args), "MODEL [--input name=FILE]... [flags]")
				return exitUsage
			}
			if *format != "pb" && *format != "npy" {
				fmt.Fprintf(e.stderr, "onyx run: --format must be pb or npy, not %q\n", *format)
				return exitUsage
			}
			if err := runModel(e, args[0], inputs, *outDir, *format, *backend); err != nil {
				return e.errorf("run: %v", err)
			}
			return exitOK
		}
	},
}

func runModel(e *env, path string, inputs inputFlags, outDir, format, backend string) error {
	m, err := importer.Load(path, importer.Options{})
	if err != nil {
		return err
	}
	g := m.Graph
	params := map[string]*ir.Value{}
	for _, p := range g.Params {
		params[p.Name] = p
	}
	feed := map[string]tensor.Value{}
	for _, in := range inputs {
		p := params[in.name]
		if p == nil {
			return fmt.Errorf("model %s has no input %q (inputs: %s)", filepath.Base(path), in.name, describeParams(g))
		}
		if _, dup := feed[in.name]; dup {
			return fmt.Errorf("input %q given twice", in.name)
		}
		v, err := readInput(in.file, p.Type)
		if err != nil {
			return fmt.Errorf("input %q (%s): %w", in.name, p.Type, err)
		}
		feed[in.name] = v
	}
	var missing []string
	for _, p := range g.Params {
		if _, ok := feed[p.Name]; !ok && p.Const == nil && p.Type.Kind != ir.KindOptional {
			missing = append(missing, fmt.Sprintf("%s (%s)", p.Name, p.Type))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("model %s: missing inputs: %s; give each with --input name=FILE", filepath.Base(path), strings.Join(missing, ", "))
	}
	b, err := backends.Lookup(backend)
	if err != nil {
		return err
	}
	prog, err := b.Compile(g, backends.Options{ModelName: filepath.Base(path)})
	if err != nil {
		return err
	}
	outs, err := prog.RunValues(context.Background(), feed)
	if err != nil {
		return err
	}
	if outDir == "" {
		for _, r := range g.Results {
			printValue(e.stdout, r.Name, outs[r.Name], "")
		}
		return nil
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	for _, r := range g.Results {
		v := outs[r.Name]
		file := filepath.Join(outDir, fileName(r.Name)+"."+format)
		if format == "npy" {
			t, ok := v.(*tensor.Tensor)
			if !ok {
				return fmt.Errorf("output %q is not a tensor; write it with --format pb", r.Name)
			}
			if err := tensor.SaveNpy(file, t); err != nil {
				return fmt.Errorf("output %q: %w", r.Name, err)
			}
		} else if err := exporter.SaveValue(v, r.Name, file); err != nil {
			return fmt.Errorf("output %q: %w", r.Name, err)
		}
		fmt.Fprintf(e.stdout, "wrote %s\n", file)
	}
	return nil
}

// readInput reads one input file: .npy as a numpy array, anything else as
// a serialized ONNX value of the input's type.
func readInput(file string, want ir.Type) (tensor.Value, error) {
	if strings.EqualFold(filepath.Ext(file), ".npy") {
		return tensor.LoadNpy(file)
	}
	if _, err := os.Stat(file); err != nil {
		return nil, err
	}
	if want.Kind == ir.KindUnknown {
		want = ir.Type{Kind: ir.KindTensor}
	}
	v, err := importer.ReadValue(file, want)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return v, nil
}

func describeParams(g *ir.Func) string {
	var parts []string
	for _, p := range g.Params {
		parts = append(parts, fmt.Sprintf("%s %s", p.Name, p.Type))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printValue writes a summary of an output value.
func printValue(w io.Writer, name string, v tensor.Value, indent string) {
	switch x := v.(type) {
	case *tensor.Tensor:
		fmt.Fprintf(w, "%s%s: %s\n", indent, name, tensorSummary(x))
	case *tensor.Sequence:
		fmt.Fprintf(w, "%s%s: sequence of %d %s tensors\n", indent, name, len(x.Tensors), x.Elem)
		for i, t := range x.Tensors {
			printValue(w, fmt.Sprintf("[%d]", i), t, indent+"  ")
		}
	case *tensor.Optional:
		if x.Value == nil {
			fmt.Fprintf(w, "%s%s: empty optional\n", indent, name)
			return
		}
		printValue(w, name+" (optional)", x.Value, indent)
	case *tensor.Map:
		fmt.Fprintf(w, "%s%s: map\n", indent, name)
		printValue(w, "keys", x.Keys, indent+"  ")
		printValue(w, "values", x.Values, indent+"  ")
	case nil:
		fmt.Fprintf(w, "%s%s: no value\n", indent, name)
	default:
		fmt.Fprintf(w, "%s%s: %T\n", indent, name, v)
	}
}

// tensorSummary describes a tensor: element type, shape, first values and,
// for real numbers, min, max and mean.
func tensorSummary(t *tensor.Tensor) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %v", t.DType(), t.Shape())
	const show = 6
	n := t.Len()
	b.WriteString(" [")
	for i := 0; i < n && i < show; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(elemString(t, i))
	}
	if n > show {
		b.WriteString(" ...")
	}
	b.WriteByte(']')
	dt := t.DType()
	if n > 0 && (dt.IsFloat() || dt.IsInt() || dt == tensor.Bool) {
		lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
		for i := 0; i < n; i++ {
			v := t.Float64At(i)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			sum += v
		}
		fmt.Fprintf(&b, " min %.6g max %.6g mean %.6g", lo, hi, sum/float64(n))
	}
	return b.String()
}

func elemString(t *tensor.Tensor, i int) string {
	dt := t.DType()
	switch {
	case dt == tensor.String:
		return fmt.Sprintf("%q", t.Strings()[i])
	case dt == tensor.Bool:
		return fmt.Sprint(t.Bytes()[i] != 0)
	case dt == tensor.Complex64:
		return fmt.Sprint(tensor.Data[complex64](t)[i])
	case dt == tensor.Complex128:
		return fmt.Sprint(tensor.Data[complex128](t)[i])
	case dt.IsFloat():
		return fmt.Sprintf("%.6g", t.Float64At(i))
	case dt == tensor.Uint64:
		return fmt.Sprint(uint64(t.Int64At(i)))
	}
	return fmt.Sprint(t.Int64At(i))
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
