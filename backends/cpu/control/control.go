// Package control holds the CPU kernels of control flow (If, Loop, Scan),
// sequences and optionals. Subgraphs run through the interpreter via
// kernels.Ctx.RunGraph, so they see the enclosing graph's values.
package control

import (
	"fmt"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func init() {
	kernels.Register(
		kernels.KernelDef{Op: "If", Since: 1, Run: runIf},
		kernels.KernelDef{Op: "Loop", Since: 1, Run: runLoop},
		kernels.KernelDef{Op: "Scan", Since: 8, Until: 8, Run: runScan8},
		kernels.KernelDef{Op: "Scan", Since: 9, Run: runScan},
	)
}

func asTensor(v tensor.Value, what string) (*tensor.Tensor, error) {
	t, ok := v.(*tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("%s is a %T, want a tensor", what, v)
	}
	return t, nil
}

// scalarBool reads a one-element boolean tensor.
func scalarBool(v tensor.Value, what string) (bool, error) {
	t, err := asTensor(v, what)
	if err != nil {
		return false, err
	}
	if t.Len() != 1 {
		return false, fmt.Errorf("%s must hold one element, has shape %v", what, t.Shape())
	}
	return t.Float64At(0) != 0, nil
}

func runIf(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	cond, err := scalarBool(in[0], "condition")
	if err != nil {
		return nil, err
	}
	g := c.Node.Graph("else_branch")
	if cond {
		g = c.Node.Graph("then_branch")
	}
	if g == nil {
		return nil, fmt.Errorf("missing branch graph")
	}
	return c.RunGraph(g, nil)
}

func runLoop(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	body := c.Node.Graph("body")
	if body == nil {
		return nil, fmt.Errorf("missing body graph")
	}
	trips := int64(-1) // no bound
	if len(in) > 0 && in[0] != nil {
		t, err := asTensor(in[0], "trip count M")
		if err != nil {
			return nil, err
		}
		if t.Len() != 1 {
			return nil, fmt.Errorf("trip count M must hold one element, has shape %v", t.Shape())
		}
		trips = t.Int64At(0)
		if trips < 0 {
			return nil, fmt.Errorf("trip count M is negative (%d)", trips)
		}
	}
	cond := true
	if len(in) > 1 && in[1] != nil {
		var err error
		if cond, err = scalarBool(in[1], "loop condition"); err != nil {
			return nil, err
		}
	}
	var carried []tensor.Value
	if len(in) > 2 {
		carried = append(carried, in[2:]...)
	}
	nc := len(carried)
	if len(body.Params) != nc+2 {
		return nil, fmt.Errorf("body takes %d inputs, want %d", len(body.Params), nc+2)
	}
	nScan := len(body.Results) - 1 - nc
	if nScan < 0 {
		return nil, fmt.Errorf("body returns %d values, want at least %d", len(body.Results), nc+1)
	}
	scans := make([][]*tensor.Tensor, nScan)
	for i := int64(0); cond && (trips < 0 || i < trips); i++ {
		if err := c.Context.Err(); err != nil {
			return nil, err
		}
		args := append([]tensor.Value{tensor.Scalar(i), tensor.Scalar(cond)}, carried...)
		outs, err := c.RunGraph(body, args)
		if err != nil {
			return nil, fmt.Errorf("iteration %d: %w", i, err)
		}
		if cond, err = scalarBool(outs[0], "body condition"); err != nil {
			return nil, err
		}
		carried = outs[1 : 1+nc]
		for j := range scans {
			t, err := asTensor(outs[1+nc+j], "scan output")
			if err != nil {
				return nil, err
			}
			scans[j] = append(scans[j], t)
		}
	}
	res := append([]tensor.Value{}, carried...)
	for j, ts := range scans {
		st, err := stack(ts, 0, body.Results[1+nc+j].Type)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		res = append(res, st)
	}
	return res, nil
}

// stack joins equally shaped tensors along a new axis. With no tensors it
// makes an empty tensor from the declared element type and shape.
func stack(ts []*tensor.Tensor, axis int, declared ir.Type) (*tensor.Tensor, error) {
	if len(ts) == 0 {
		shape := []int{0}
		if s, ok := declared.StaticShape(); ok {
			shape = append(append(append([]int{}, s[:min(axis, len(s))]...), 0), s[min(axis, len(s)):]...)
		}
		dt := declared.Elem
		if !dt.Valid() {
			dt = tensor.Float32
		}
		return tensor.New(dt, shape...), nil
	}
	first := ts[0]
	for i, t := range ts {
		if t.DType() != first.DType() || !sameShape(t.Shape(), first.Shape()) {
			return nil, fmt.Errorf("element %d is %s%v, element 0 is %s%v", i, t.DType(), t.Shape(), first.DType(), first.Shape())
		}
	}
	s := first.Shape()
	if axis < 0 || axis > len(s) {
		return nil, fmt.Errorf("stack axis %d out of range for rank %d", axis, len(s))
	}
	outer := 1
	for _, d := range s[:axis] {
		outer *= d
	}
	inner := first.Len() / max(outer, 1)
	if outer == 0 {
		inner = 0
	}
	shape := append(append(append([]int{}, s[:axis]...), len(ts)), s[axis:]...)
	out := tensor.New(first.DType(), shape...)
	for k, t := range ts {
		for o := 0; o < outer; o++ {
			copyElems(out, (o*len(ts)+k)*inner, t, o*inner, inner)
		}
	}
	return out, nil
}

// copyElems copies n elements of src from index si to dst from index di.
func copyElems(dst *tensor.Tensor, di int, src *tensor.Tensor, si, n int) {
	if src.DType() == tensor.String {
		copy(dst.Strings()[di:di+n], src.Strings()[si:si+n])
		return
	}
	sz := src.DType().Size()
	copy(dst.Bytes()[di*sz:(di+n)*sz], src.Bytes()[si*sz:(si+n)*sz])
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sliceAt returns t[..., i, ...] with axis removed.
func sliceAt(t *tensor.Tensor, axis, i int) *tensor.Tensor {
	s := t.Shape()
	outer := 1
	for _, d := range s[:axis] {
		outer *= d
	}
	inner := 1
	for _, d := range s[axis+1:] {
		inner *= d
	}
	shape := append(append([]int{}, s[:axis]...), s[axis+1:]...)
	out := tensor.New(t.DType(), shape...)
	for o := 0; o < outer; o++ {
		copyElems(out, o*inner, t, (o*s[axis]+i)*inner, inner)
	}
	return out
}

func axisList(c *kernels.Ctx, name string, n int) []int64 {
	v := c.Ints(name)
	out := make([]int64, n)
	copy(out, v)
	return out
}

func runScan(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	body := c.Node.Graph("body")
	m := int(c.Int("num_scan_inputs"))
	n := len(in) - m
	if body == nil || m < 1 || n < 0 {
		return nil, fmt.Errorf("num_scan_inputs %d does not fit %d inputs", m, len(in))
	}
	if len(body.Params) != n+m {
		return nil, fmt.Errorf("body takes %d inputs, want %d", len(body.Params), n+m)
	}
	k := len(body.Results) - n
	if k < 0 {
		return nil, fmt.Errorf("body returns %d values, want at least %d", len(body.Results), n)
	}
	inAxes, inDirs := axisList(c, "scan_input_axes", m), axisList(c, "scan_input_directions", m)
	outAxes, outDirs := axisList(c, "scan_output_axes", k), axisList(c, "scan_output_directions", k)
	scanIn := make([]*tensor.Tensor, m)
	axes := make([]int, m)
	steps := -1
	for j := 0; j < m; j++ {
		t, err := asTensor(in[n+j], fmt.Sprintf("scan input %d", j))
		if err != nil {
			return nil, err
		}
		a, err := kernels.NormAxis(inAxes[j], t.Rank())
		if err != nil {
			return nil, fmt.Errorf("scan input %d: %w", j, err)
		}
		if steps >= 0 && t.Dim(a) != steps {
			return nil, fmt.Errorf("scan input %d has %d steps along axis %d, others have %d", j, t.Dim(a), a, steps)
		}
		steps, scanIn[j], axes[j] = t.Dim(a), t, a
	}
	state := append([]tensor.Value{}, in[:n]...)
	outs := make([][]*tensor.Tensor, k)
	for s := 0; s < steps; s++ {
		args := append([]tensor.Value{}, state...)
		for j, t := range scanIn {
			i := s
			if inDirs[j] == 1 {
				i = steps - 1 - s
			}
			args = append(args, sliceAt(t, axes[j], i))
		}
		res, err := c.RunGraph(body, args)
		if err != nil {
			return nil, fmt.Errorf("step %d: %w", s, err)
		}
		state = res[:n]
		for j := 0; j < k; j++ {
			t, err := asTensor(res[n+j], "scan output")
			if err != nil {
				return nil, err
			}
			outs[j] = append(outs[j], t)
		}
	}
	result := append([]tensor.Value{}, state...)
	for j, ts := range outs {
		if outDirs[j] == 1 {
			for a, b := 0, len(ts)-1; a < b; a, b = a+1, b-1 {
				ts[a], ts[b] = ts[b], ts[a]
			}
		}
		rank := body.Results[n+j].Type.Rank()
		if len(ts) > 0 {
			rank = ts[0].Rank()
		}
		axis := int(outAxes[j])
		if axis < 0 {
			axis += rank + 1
		}
		st, err := stack(ts, axis, body.Results[n+j].Type)
		if err != nil {
			return nil, fmt.Errorf("scan output %d: %w", j, err)
		}
		result = append(result, st)
	}
	return result, nil
}

// runScan8 is Scan as defined in opset 8: every input has a leading batch
// axis, the optional first input holds per-batch sequence lengths, and
// scanning runs along axis 1.
func runScan8(c *kernels.Ctx, in []tensor.Value) ([]tensor.Value, error) {
	body := c.Node.Graph("body")
	m := int(c.Int("num_scan_inputs"))
	n := len(in) - 1 - m
	if body == nil || m < 1 || n < 0 {
		return nil, fmt.Errorf("num_scan_inputs %d does not fit %d inputs", m, len(in))
	}
	k := len(body.Results) - n
	if k < 0 || len(body.Params) != n+m {
		return nil, fmt.Errorf("body signature does not fit %d states and %d scan inputs", n, m)
	}
	dirs := axisList(c, "directions", m)
	ts := make([]*tensor.Tensor, n+m)
	for i := range ts {
		t, err := asTensor(in[1+i], fmt.Sprintf("input %d", 1+i))
		if err != nil {
			return nil, err
		}
		if t.Rank() < 1 || (i >= n && t.Rank() < 2) {
			return nil, fmt.Errorf("input %d has shape %v; Scan-8 inputs need a batch axis (and a sequence axis)", 1+i, t.Shape())
		}
		ts[i] = t
	}
	batch := ts[0].Dim(0)
	if n == 0 {
		batch = ts[n].Dim(0)
	}
	var seqLens []int64
	if in[0] != nil {
		t, err := asTensor(in[0], "sequence_lens")
		if err != nil {
			return nil, err
		}
		seqLens = t.Int64sOf()
	}
	perBatch := make([][]tensor.Value, batch)
	for b := 0; b < batch; b++ {
		state := make([]tensor.Value, n)
		for i := 0; i < n; i++ {
			state[i] = sliceAt(ts[i], 0, b)
		}
		steps := ts[n].Dim(1)
		if seqLens != nil {
			if b >= len(seqLens) || seqLens[b] < 0 || int(seqLens[b]) > steps {
				return nil, fmt.Errorf("sequence_lens[%d] out of range [0, %d]", b, steps)
			}
			steps = int(seqLens[b])
		}
		outs := make([][]*tensor.Tensor, k)
		for s := 0; s < steps; s++ {
			args := append([]tensor.Value{}, state...)
			for j := 0; j < m; j++ {
				seq := sliceAt(ts[n+j], 0, b)
				i := s
				if dirs[j] == 1 {
					i = steps - 1 - s
				}
				args = append(args, sliceAt(seq, 0, i))
			}
			res, err := c.RunGraph(body, args)
			if err != nil {
				return nil, fmt.Errorf("batch %d step %d: %w", b, s, err)
			}
			state = res[:n]
			for j := 0; j < k; j++ {
				t, err := asTensor(res[n+j], "scan output")
				if err != nil {
					return nil, err
				}
				outs[j] = append(outs[j], t)
			}
		}
		row := append([]tensor.Value{}, state...)
		for j, o := range outs {
			st, err := stack(o, 0, body.Results[n+j].Type)
			if err != nil {
				return nil, err
			}
			row = append(row, st)
		}
		perBatch[b] = row
	}
	result := make([]tensor.Value, n+k)
	for i := range result {
		var parts []*tensor.Tensor
		for b := 0; b < batch; b++ {
			parts = append(parts, perBatch[b][i].(*tensor.Tensor))
		}
		st, err := stack(parts, 0, ir.Type{})
		if err != nil {
			return nil, fmt.Errorf("output %d: %w", i, err)
		}
		result[i] = st
	}
	return result, nil
}
