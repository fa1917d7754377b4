package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/ir"
)

var inspectCmd = &command{
	name:  "inspect",
	args:  "MODEL [--json] [--shapes]",
	short: "describe a model: opsets, inputs, outputs, ops, parameters",
	long: `
Inspect loads MODEL and prints its IR version, producer, imported opsets,
inputs and outputs with their types (symbolic dims by name, ? for unknown
ones), the number of nodes, a histogram of its ops (subgraphs included),
and the number and size of its parameters (the elements of its constants).

Shape inference runs over the model; its errors are reported, not fatal.
--shapes lists the inferred type of every value.`,
	flags: func(fs *flag.FlagSet) func(*env, []string) int {
		asJSON := fs.Bool("json", false, "print the description as JSON")
		shapes := fs.Bool("shapes", false, "list every value's inferred type")
		return func(e *env, args []string) int {
			if len(args) != 1 {
				fmt.Fprintf(e.stderr, "onyx inspect: want one MODEL, got %d arguments\nusage: onyx inspect MODEL [--json] [--shapes]\n", len(args))
				return exitUsage
			}
			m, err := importer.Load(args[0], importer.Options{AllowUnknownOps: true})
			if err != nil {
				return e.errorf("inspect: %v", err)
			}
			d := describe(m, *shapes)
			d.Path = args[0]
			if *asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(d); err != nil {
					return e.errorf("inspect: %v", err)
				}
				return exitOK
			}
			d.print(e.stdout)
			return exitOK
		}
	},
}

// modelInfo is what inspect reports about a model.
type modelInfo struct {
	Path            string         `json:"path"`
	IRVersion       int64          `json:"ir_version"`
	Producer        string         `json:"producer,omitempty"`
	ProducerVersion string         `json:"producer_version,omitempty"`
	Domain          string         `json:"domain,omitempty"`
	ModelVersion    int64          `json:"model_version,omitempty"`
	Opsets          []opsetInfo    `json:"opsets"`
	Inputs          []valueInfo    `json:"inputs"`
	Outputs         []valueInfo    `json:"outputs"`
	Nodes           int            `json:"nodes"`
	NodesAll        int            `json:"nodes_with_subgraphs"`
	Ops             map[string]int `json:"ops"`
	Constants       int            `json:"constants"`
	Parameters      int64          `json:"parameters"`
	ParameterBytes  int64          `json:"parameter_bytes"`
	ShapeError      string         `json:"shape_inference_error,omitempty"`
	Values          []valueInfo    `json:"values,omitempty"`
}

type opsetInfo struct {
	Domain  string `json:"domain"`
	Version int    `json:"version"`
}

type valueInfo struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Default bool   `json:"has_default,omitempty"`
	Graph   string `json:"graph,omitempty"`
}

func describe(m *ir.Model, shapes bool) *modelInfo {
	g := m.Graph
	d := &modelInfo{IRVersion: m.IRVersion, Producer: m.ProducerName, ProducerVersion: m.ProducerVersion,
		Domain: m.Domain, ModelVersion: m.ModelVersion, Ops: map[string]int{}, Nodes: len(g.Nodes)}
	for dom, v := range m.Opsets {
		if dom == "" {
			dom = "ai.onnx"
		}
		d.Opsets = append(d.Opsets, opsetInfo{dom, v})
	}
	sort.Slice(d.Opsets, func(i, j int) bool { return d.Opsets[i].Domain < d.Opsets[j].Domain })
	for _, p := range g.Params {
		d.Inputs = append(d.Inputs, valueInfo{Name: p.Name, Type: p.Type.String(), Default: p.Const != nil})
	}
	for _, r := range g.Results {
		d.Outputs = append(d.Outputs, valueInfo{Name: r.Name, Type: r.Type.String()})
	}
	// Inputs and outputs are shown as the file declares them; shape
	// inference then fills in the types of the other values.
	if err := inferShapes(m); err != nil {
		d.ShapeError = err.Error()
	}
	g.Walk(func(_ *ir.Func, n *ir.Node) {
		d.NodesAll++
		d.Ops[n.OpName()]++
	})
	for _, c := range append(append([]*ir.Value{}, g.Consts...), g.Params...) {
		if c.Const == nil {
			continue
		}
		d.Constants++
		d.Parameters += int64(c.Const.Len())
		if strs := c.Const.Strings(); strs != nil {
			for _, s := range strs {
				d.ParameterBytes += int64(len(s))
			}
		} else {
			d.ParameterBytes += int64(len(c.Const.Bytes()))
		}
	}
	if shapes {
		d.Values = []valueInfo{}
		var visit func(f *ir.Func, path string)
		visit = func(f *ir.Func, path string) {
			for _, v := range f.Values() {
				d.Values = append(d.Values, valueInfo{Name: v.Name, Type: v.Type.String(), Graph: path})
			}
			for _, n := range f.Nodes {
				for _, a := range n.Attrs {
					subs := a.Graphs
					if a.G != nil {
						subs = append([]*ir.Func{a.G}, subs...)
					}
					for i, s := range subs {
						p := fmt.Sprintf("%s/%s.%s", path, nodeName(n), a.Name)
						if len(subs) > 1 {
							p += fmt.Sprintf("[%d]", i)
						}
						visit(s, p)
					}
				}
			}
		}
		visit(g, "")
	}
	return d
}

// inferShapes runs ir.InferModelShapes (which, for IR-3 models, reads
// initializers listed as inputs as the constants they are), turning a
// panic into an error.
func inferShapes(m *ir.Model) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return ir.InferModelShapes(m)
}

func nodeName(n *ir.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if len(n.Outputs) > 0 && n.Outputs[0] != nil {
		return n.Op + "->" + n.Outputs[0].Name
	}
	return n.Op
}

func (d *modelInfo) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "model:\t%s\n", d.Path)
	fmt.Fprintf(tw, "ir version:\t%d\n", d.IRVersion)
	prod := strings.TrimSpace(d.Producer + " " + d.ProducerVersion)
	if prod == "" {
		prod = "(none)"
	}
	fmt.Fprintf(tw, "producer:\t%s\n", prod)
	if d.Domain != "" {
		fmt.Fprintf(tw, "domain:\t%s\n", d.Domain)
	}
	if d.ModelVersion != 0 {
		fmt.Fprintf(tw, "model version:\t%d\n", d.ModelVersion)
	}
	var ops []string
	for _, o := range d.Opsets {
		ops = append(ops, fmt.Sprintf("%s %d", o.Domain, o.Version))
	}
	fmt.Fprintf(tw, "opsets:\t%s\n", strings.Join(ops, ", "))
	fmt.Fprintf(tw, "nodes:\t%d (%d with subgraphs)\n", d.Nodes, d.NodesAll)
	fmt.Fprintf(tw, "parameters:\t%d in %d constants (%s)\n", d.Parameters, d.Constants, byteSize(d.ParameterBytes))
	tw.Flush()
	fmt.Fprintf(w, "inputs:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range d.Inputs {
		def := ""
		if v.Default {
			def = "\t(has a default)"
		}
		fmt.Fprintf(tw, "  %s\t%s%s\n", v.Name, v.Type, def)
	}
	tw.Flush()
	fmt.Fprintf(w, "outputs:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range d.Outputs {
		fmt.Fprintf(tw, "  %s\t%s\n", v.Name, v.Type)
	}
	tw.Flush()
	fmt.Fprintf(w, "ops:\n")
	names := sortedKeys(d.Ops)
	sort.SliceStable(names, func(i, j int) bool { return d.Ops[names[i]] > d.Ops[names[j]] })
	wName, wCount := 0, 0
	for _, op := range names {
		wName = max(wName, len(op))
		wCount = max(wCount, len(fmt.Sprint(d.Ops[op])))
	}
	for _, op := range names {
		fmt.Fprintf(w, "  %-*s  %*d\n", wName, op, wCount, d.Ops[op])
	}
	if d.ShapeError != "" {
		fmt.Fprintf(w, "shape inference: %s\n", firstLine(d.ShapeError))
	}
	if d.Values != nil {
		fmt.Fprintf(w, "values:\n")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, v := range d.Values {
			fmt.Fprintf(tw, "  %s%s\t%s\n", graphPrefix(v.Graph), v.Name, v.Type)
		}
		tw.Flush()
	}
}

func graphPrefix(g string) string {
	if g == "" {
		return ""
	}
	return strings.TrimPrefix(g, "/") + ": "
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
