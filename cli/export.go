package cli

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/onyxgo/onyx/exporter"
	"github.com/onyxgo/onyx/nn"
	"github.com/onyxgo/onyx/zoo"
)

func init() { commands = append(commands, exportCmd) }

var exportCmd = &command{
	name:  "export",
	args:  "ZOO-MODEL -o FILE.onnx [--classes N] [--input-size S] [flags] | --list",
	short: "write a model of the zoo as an .onnx file",
	long: `
Export builds ZOO-MODEL (onyx export --list lists them) with fresh
weights drawn from --seed, or with the weights of --weights FILE (a
.safetensors or .onnx file whose tensors carry the model's parameter
names, such as best.safetensors from onyx train --checkpoint-dir), and
writes its inference graph to FILE.onnx: one input "input", one output
"output" (the scores of --classes classes), the weights as initializers
named as in PyTorch. The file is written atomically.

--input-size S sets the input's spatial size to S×S (for models without
spatial axes, such as linear-regression, the number of input features);
--input-size C,H,W or N,C,H,W also sets the channels and the batch (H
and W must be equal). The batch is symbolic ("N") unless --batch or
--input-size gives it.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		out := fs.String("o", "", "write the model to `FILE`.onnx")
		list := fs.Bool("list", false, "list the zoo's models and exit")
		classes := fs.Int("classes", 0, "`number` of outputs (0: the model's default, 1000 for the ImageNet models, 10 for the others)")
		inputSize := fs.String("input-size", "", "input `size`: S, C,H,W or N,C,H,W")
		batch := fs.Int("batch", 0, "fixed batch `size` (0: symbolic)")
		seed := fs.Uint64("seed", 1, "`seed` of the fresh weights")
		weights := fs.String("weights", "", "load the weights from `FILE` (.safetensors or .onnx)")
		return func(e *env, args []string) int {
			if *list {
				if len(args) > 0 {
					fmt.Fprintf(e.stderr, "onyx export: --list takes no model\n")
					return exitUsage
				}
				listZoo(e)
				return exitOK
			}
			if len(args) != 1 || *out == "" {
				fmt.Fprintf(e.stderr, "onyx export: need one ZOO-MODEL and -o FILE.onnx (onyx export --list lists the models)\nusage: onyx export %s\n", "ZOO-MODEL -o FILE.onnx [flags]")
				return exitUsage
			}
			if *classes < 0 || *batch < 0 {
				fmt.Fprintf(e.stderr, "onyx export: --classes and --batch must be at least 0\n")
				return exitUsage
			}
			if err := exportZoo(e, args[0], *out, *classes, *inputSize, *batch, *seed, *weights); err != nil {
				return e.errorf("export: %v", err)
			}
			return exitOK
		}
	},
}

func listZoo(e *env) {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "MODEL\tINPUT\tSIZES\n")
	for _, name := range zoo.Names() {
		spec, err := zoo.Spec(name, zoo.Options{})
		if err != nil {
			continue
		}
		sizes := "fixed"
		switch {
		case len(spec.Shape) != 4:
			sizes = "-"
		case spec.MinSize > 0:
			sizes = fmt.Sprintf("%d×%d and up", spec.MinSize, spec.MinSize)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, shapeString(spec.WithBatchAndSize(-1, 0)), sizes)
	}
	tw.Flush()
}

func shapeString(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.FormatInt(d, 10)
		if d < 0 {
			parts[i] = "N"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// parseInputSize reads --input-size: S, C,H,W or N,C,H,W (commas or x).
// It returns the batch (0: not given), the channels (0: not given) and the
// size (0: not given).
func parseInputSize(s string) (batch, channels, size int, err error) {
	if s == "" {
		return 0, 0, 0, nil
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == 'x' || r == 'X' || r == '×' })
	vals := make([]int, len(fields))
	for i, f := range fields {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return 0, 0, 0, fmt.Errorf("--input-size %q: want S, C,H,W or N,C,H,W of positive integers", s)
		}
		vals[i] = v
	}
	switch len(vals) {
	case 1:
		return 0, 0, vals[0], nil
	case 2:
		if vals[0] != vals[1] {
			return 0, 0, 0, fmt.Errorf("--input-size %q: the zoo's models take square images", s)
		}
		return 0, 0, vals[0], nil
	case 3:
		if vals[1] != vals[2] {
			return 0, 0, 0, fmt.Errorf("--input-size %q: the zoo's models take square images", s)
		}
		return 0, vals[0], vals[1], nil
	case 4:
		if vals[2] != vals[3] {
			return 0, 0, 0, fmt.Errorf("--input-size %q: the zoo's models take square images", s)
		}
		return vals[0], vals[1], vals[2], nil
	}
	return 0, 0, 0, fmt.Errorf("--input-size %q: want S, C,H,W or N,C,H,W", s)
}

// zooInput works out a zoo model's options and input shape from the flags.
func zooInput(name string, classes int, inputSize string, batch int, seed uint64) (zoo.Options, []int64, error) {
	b, c, size, err := parseInputSize(inputSize)
	if err != nil {
		return zoo.Options{}, nil, err
	}
	if b > 0 && batch > 0 && b != batch {
		return zoo.Options{}, nil, fmt.Errorf("--batch %d and --input-size %s disagree on the batch", batch, inputSize)
	}
	if b == 0 {
		b = batch
	}
	zo := zoo.Options{NumClasses: classes, InChannels: c, Seed: seed}
	spec, err := zoo.Spec(name, zo)
	if err != nil {
		return zo, nil, err
	}
	if len(spec.Shape) != 4 {
		// Features, not images: S is the number of features.
		if c > 0 {
			return zo, nil, fmt.Errorf("%s takes inputs %s, not images: give --input-size FEATURES", name, shapeString(spec.WithBatchAndSize(-1, 0)))
		}
		if size > 0 {
			zo.InChannels = size
			if spec, err = zoo.Spec(name, zo); err != nil {
				return zo, nil, err
			}
		}
		size = 0
	} else if size > 0 && int64(size) != spec.Shape[2] {
		switch {
		case spec.MinSize == 0:
			return zo, nil, fmt.Errorf("%s takes only %d×%d images", name, spec.Shape[2], spec.Shape[3])
		case size < spec.MinSize:
			return zo, nil, fmt.Errorf("%s needs images of at least %d×%d, not %d×%d", name, spec.MinSize, spec.MinSize, size, size)
		}
	}
	n := -1
	if b > 0 {
		n = b
	}
	return zo, spec.WithBatchAndSize(n, size), nil
}

func exportZoo(e *env, name, out string, classes int, inputSize string, batch int, seed uint64, weights string) error {
	zo, shape, err := zooInput(name, classes, inputSize, batch, seed)
	if err != nil {
		return err
	}
	if weights != "" {
		zo.SkipInit = true
	}
	m, _, err := zoo.New(name, zo)
	if err != nil {
		return err
	}
	if weights != "" {
		if err := nn.LoadWeights(m, weights); err != nil {
			return err
		}
	}
	model, err := nn.Inference(m, shape)
	if err != nil {
		return fmt.Errorf("%s at input %s: %w", name, shapeString(shape), err)
	}
	model.ProducerName, model.ProducerVersion = "onyx", Version
	if err := exporter.Save(model, out); err != nil {
		return err
	}
	var n int64
	for _, p := range m.Params() {
		n += int64(p.T.Len())
	}
	g := model.Graph
	from := fmt.Sprintf("fresh weights (seed %d)", seed)
	if weights != "" {
		from = "weights from " + weights
	}
	fmt.Fprintf(e.stdout, "wrote %s (%s): %s, %s parameters, %s; %d nodes, opset %d\n  input  %s %s\n  output %s %s\n",
		out, fileSize(out), name, commas(n), from, len(g.Nodes), model.Opset(""), g.Params[0].Name, g.Params[0].Type, g.Results[0].Name, g.Results[0].Type)
	return nil
}
