package ir

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// Structural equality of funcs, used by the round-trip tests. Values, nodes
// and funcs of a are paired with those of b; references (inputs, results,
// Def, Uses, Outer) must follow the pairing.

type graphCmp struct {
	vmap map[*Value]*Value
	nmap map[*Node]*Node
	fmap map[*Func]*Func
	refs [][2]*Value // value references to verify once everything is paired
	errs []string
}

func newGraphCmp() *graphCmp {
	return &graphCmp{vmap: map[*Value]*Value{}, nmap: map[*Node]*Node{}, fmap: map[*Func]*Func{}}
}

func (c *graphCmp) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *graphCmp) result() error {
	for _, r := range c.refs {
		if r[0] == nil || r[1] == nil {
			if r[0] != r[1] {
				c.errorf("reference %v vs %v", r[0], r[1])
			}
			continue
		}
		if c.vmap[r[0]] != r[1] {
			c.errorf("reference to %s does not pair with %s", r[0], r[1])
		}
	}
	for a, b := range c.vmap {
		count := map[*Node]int{}
		for _, u := range a.Uses {
			count[c.nmap[u]]++
		}
		for _, u := range b.Uses {
			count[u]--
		}
		for _, k := range count {
			if k != 0 {
				c.errorf("uses of %s differ: %v vs %v", a, a.Uses, b.Uses)
				break
			}
		}
		if a.Def == nil && b.Def != nil || a.Def != nil && c.nmap[a.Def] != b.Def {
			c.errorf("Def of %s differs", a)
		}
	}
	if len(c.errs) > 0 {
		if len(c.errs) > 10 {
			c.errs = c.errs[:10]
		}
		return fmt.Errorf("%s", strings.Join(c.errs, "\n"))
	}
	return nil
}

func graphsEqual(a, b *Func) error {
	c := newGraphCmp()
	c.fn(a, b, "")
	return c.result()
}

func tensorsEqual(a, b *tensor.Tensor) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.DType() != b.DType() || fmt.Sprint(a.Shape()) != fmt.Sprint(b.Shape()) {
		return false
	}
	if a.DType() == tensor.String {
		return fmt.Sprintf("%q", a.Strings()) == fmt.Sprintf("%q", b.Strings())
	}
	return bytes.Equal(a.Bytes(), b.Bytes())
}

func sparseEqual(a, b *SparseTensor) bool {
	if a == nil || b == nil {
		return a == b
	}
	return tensorsEqual(a.Values, b.Values) && tensorsEqual(a.Indices, b.Indices) && fmt.Sprint(a.Dims) == fmt.Sprint(b.Dims)
}

func (c *graphCmp) decl(a, b *Value, where string) {
	if a == nil || b == nil {
		if a != b {
			c.errorf("%s: %v vs %v", where, a, b)
		}
		return
	}
	c.vmap[a] = b
	if a.Name != b.Name || !a.Type.Equal(b.Type) || a.Param != b.Param || a.Doc != b.Doc {
		c.errorf("%s: value %s %s param=%v doc=%q vs %s %s param=%v doc=%q", where,
			a, typeText(a.Type), a.Param, a.Doc, b, typeText(b.Type), b.Param, b.Doc)
	}
	if !tensorsEqual(a.Const, b.Const) {
		c.errorf("%s: value %s: constant %v vs %v", where, a, a.Const, b.Const)
	}
}

func (c *graphCmp) fn(a, b *Func, where string) {
	if a == nil || b == nil {
		if a != b {
			c.errorf("%s: func %v vs %v", where, a, b)
		}
		return
	}
	where += "/" + a.Name
	c.fmap[a] = b
	if a.Name != b.Name || a.Doc != b.Doc {
		c.errorf("%s: name or doc %q %q vs %q %q", where, a.Name, a.Doc, b.Name, b.Doc)
	}
	if a.Outer == nil && b.Outer != nil || a.Outer != nil && c.fmap[a.Outer] != b.Outer {
		c.errorf("%s: Outer differs", where)
	}
	if fmt.Sprint(a.Metadata) != fmt.Sprint(b.Metadata) || fmt.Sprintf("%q", a.QuantAnnotations) != fmt.Sprintf("%q", b.QuantAnnotations) {
		c.errorf("%s: metadata or annotations differ", where)
	}
	if len(a.Params) != len(b.Params) || len(a.Consts) != len(b.Consts) || len(a.Nodes) != len(b.Nodes) ||
		len(a.Results) != len(b.Results) || len(a.SparseConsts) != len(b.SparseConsts) {
		c.errorf("%s: counts differ: %d/%d/%d/%d/%d vs %d/%d/%d/%d/%d", where,
			len(a.Params), len(a.Consts), len(a.Nodes), len(a.Results), len(a.SparseConsts),
			len(b.Params), len(b.Consts), len(b.Nodes), len(b.Results), len(b.SparseConsts))
		return
	}
	for i := range a.Params {
		c.decl(a.Params[i], b.Params[i], where)
	}
	for i := range a.Consts {
		c.decl(a.Consts[i], b.Consts[i], where)
	}
	for i, sa := range a.SparseConsts {
		sb := b.SparseConsts[i]
		if _, paired := c.vmap[sa.Value]; !paired && sa.Value != nil {
			c.decl(sa.Value, sb.Value, where)
		}
		c.refs = append(c.refs, [2]*Value{sa.Value, sb.Value})
		if !sparseEqual(sa.Sparse, sb.Sparse) {
			c.errorf("%s: sparse constant %d differs", where, i)
		}
	}
	for i := range a.Nodes {
		c.node(a.Nodes[i], b.Nodes[i], where)
	}
	for i := range a.Results {
		c.refs = append(c.refs, [2]*Value{a.Results[i], b.Results[i]})
	}
}

func (c *graphCmp) node(a, b *Node, where string) {
	c.nmap[a] = b
	where += ": node " + a.String()
	if a.Name != b.Name || a.Op != b.Op || a.Domain != b.Domain || a.Opset != b.Opset || a.Doc != b.Doc || a.Schema != b.Schema {
		c.errorf("%s: %q %s:%s@%d doc=%q schema=%p vs %q %s:%s@%d doc=%q schema=%p", where,
			a.Name, a.Domain, a.Op, a.Opset, a.Doc, a.Schema, b.Name, b.Domain, b.Op, b.Opset, b.Doc, b.Schema)
	}
	if len(a.Inputs) != len(b.Inputs) || len(a.Outputs) != len(b.Outputs) || len(a.Attrs) != len(b.Attrs) {
		c.errorf("%s: arity differs", where)
		return
	}
	for i := range a.Inputs {
		c.refs = append(c.refs, [2]*Value{a.Inputs[i], b.Inputs[i]})
	}
	for i := range a.Attrs {
		c.attr(&a.Attrs[i], &b.Attrs[i], where)
	}
	for i := range a.Outputs {
		c.decl(a.Outputs[i], b.Outputs[i], where)
	}
}

func f32sEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func (c *graphCmp) attr(a, b *Attr, where string) {
	where += ": attribute " + a.Name
	if a.Name != b.Name || a.Type != b.Type || a.Ref != b.Ref || a.Doc != b.Doc {
		c.errorf("%s: %s %s ref=%q doc=%q vs %s %s ref=%q doc=%q", where, a.Name, a.Type, a.Ref, a.Doc, b.Name, b.Type, b.Ref, b.Doc)
		return
	}
	if a.Ref != "" {
		return
	}
	ok := true
	switch a.Type {
	case AttrFloat:
		ok = math.Float32bits(a.F) == math.Float32bits(b.F)
	case AttrInt:
		ok = a.I == b.I
	case AttrString:
		ok = a.S == b.S
	case AttrTensor:
		ok = tensorsEqual(a.T, b.T)
	case AttrGraph:
		c.fn(a.G, b.G, where)
	case AttrFloats:
		ok = f32sEqual(a.Floats, b.Floats)
	case AttrInts:
		ok = fmt.Sprint(a.Ints) == fmt.Sprint(b.Ints)
	case AttrStrings:
		ok = fmt.Sprintf("%q", a.Strings) == fmt.Sprintf("%q", b.Strings)
	case AttrTensors:
		ok = len(a.Tensors) == len(b.Tensors)
		for i := 0; ok && i < len(a.Tensors); i++ {
			ok = tensorsEqual(a.Tensors[i], b.Tensors[i])
		}
	case AttrGraphs:
		ok = len(a.Graphs) == len(b.Graphs)
		for i := 0; ok && i < len(a.Graphs); i++ {
			c.fn(a.Graphs[i], b.Graphs[i], where)
		}
	case AttrSparseTensor:
		ok = sparseEqual(a.Sparse, b.Sparse)
	case AttrSparseTensors:
		ok = len(a.Sparses) == len(b.Sparses)
		for i := 0; ok && i < len(a.Sparses); i++ {
			ok = sparseEqual(a.Sparses[i], b.Sparses[i])
		}
	case AttrTypeProto:
		ok = (a.TP == nil) == (b.TP == nil) && (a.TP == nil || a.TP.Equal(*b.TP))
	case AttrTypeProtos:
		ok = len(a.TPs) == len(b.TPs)
		for i := 0; ok && i < len(a.TPs); i++ {
			ok = a.TPs[i].Equal(b.TPs[i])
		}
	}
	if !ok {
		c.errorf("%s: values differ", where)
	}
}

func modelsEqual(a, b *Model) error {
	if a.IRVersion != b.IRVersion || a.ProducerName != b.ProducerName || a.ProducerVersion != b.ProducerVersion ||
		a.Domain != b.Domain || a.ModelVersion != b.ModelVersion || a.Doc != b.Doc ||
		fmt.Sprint(a.Metadata) != fmt.Sprint(b.Metadata) || fmt.Sprint(a.Opsets) != fmt.Sprint(b.Opsets) {
		return fmt.Errorf("model headers differ:\n%+v\n%+v", a, b)
	}
	if len(a.Functions) != len(b.Functions) {
		return fmt.Errorf("%d functions vs %d", len(a.Functions), len(b.Functions))
	}
	for i, fa := range a.Functions {
		fb := b.Functions[i]
		if fa.Name != fb.Name || fa.Domain != fb.Domain || fa.Overload != fb.Overload || fa.Doc != fb.Doc ||
			fmt.Sprintf("%q", fa.Inputs) != fmt.Sprintf("%q", fb.Inputs) ||
			fmt.Sprintf("%q", fa.Outputs) != fmt.Sprintf("%q", fb.Outputs) ||
			fmt.Sprintf("%q", fa.Attrs) != fmt.Sprintf("%q", fb.Attrs) || fmt.Sprint(fa.Opsets) != fmt.Sprint(fb.Opsets) {
			return fmt.Errorf("function %d differs:\n%+v\n%+v", i, fa, fb)
		}
		c := newGraphCmp()
		if len(fa.AttrDefaults) != len(fb.AttrDefaults) {
			return fmt.Errorf("function %s: attribute defaults differ", fa.Name)
		}
		for k := range fa.AttrDefaults {
			c.attr(&fa.AttrDefaults[k], &fb.AttrDefaults[k], fa.Name)
		}
		c.fn(fa.Body, fb.Body, fa.Name)
		if err := c.result(); err != nil {
			return fmt.Errorf("function %s: %v", fa.Name, err)
		}
	}
	if a.Graph == nil || b.Graph == nil {
		if a.Graph != b.Graph {
			return fmt.Errorf("graph %v vs %v", a.Graph, b.Graph)
		}
		return nil
	}
	return graphsEqual(a.Graph, b.Graph)
}

// Hand-built funcs covering the text form.

func setTypes(n *Node, ts ...Type) *Node {
	for i, t := range ts {
		if n.Outputs[i] != nil {
			n.Outputs[i].Type = t
		}
	}
	return n
}

func f32(dims ...int64) Type { return TensorType(tensor.Float32, dims...) }

func basicFunc() *Func {
	f := NewFunc("main")
	f.Doc = "a small \"model\"\nwith two lines"
	x := f.AddParam("x", TensorOf(tensor.Float32, []Dim{Sym("N"), Known(3)}))
	x.Doc = "the input"
	w := f.AddParam("w", f32(3, 4))
	w.Const = tensor.FromSlice([]float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2}, 3, 4)
	b := f.AddConst("b", tensor.FromSlice([]float32{1, 2, 3, 4}))
	b.Doc = "bias"
	odd := f.AddConst("odd name:0", tensor.Scalar(int64(7)))
	odd.Type = TensorOf(tensor.Int64, nil) // rank 0
	empty := f.AddConst("", tensor.FromSlice([]float32{}))
	empty.Type = UnrankedTensor(tensor.Float32) // not the tensor's own type
	t := setTypes(f.NewNode("MatMul", "", 17, []*Value{x, w}, []string{"t"}), TensorOf(tensor.Float32, []Dim{Sym("N"), Known(4)})).Outputs[0]
	t.Def.Name = "mm"
	t.Def.Doc = "matrix product"
	y := setTypes(f.NewNode("Add", "", 17, []*Value{t, b}, []string{"y"}), TensorOf(tensor.Float32, []Dim{Sym("N"), Known(4)})).Outputs[0]
	y.Doc = "sum"
	d := f.NewNode("Dropout", "", 13, []*Value{y, nil}, []string{"a", ""}, AFloat("ratio", 0.25))
	d.Name = "drop out/1"
	f.NewNode("Identity", "", 17, []*Value{odd}, []string{"id/0.x"})
	f.NewNode("Identity", "", 17, []*Value{empty}, []string{"e"})
	f.NewNode("Custom", "my.domain", 2, nil, nil)
	f.NewNode("LabelEncoder", "ai.onnx.ml", 2, []*Value{x}, []string{"q"},
		AStrings("keys_strings", "a", "b"), AInts("values_int64s", 1, 2))
	f.Results = []*Value{d.Outputs[0], y}
	return f
}

func allDTypesFunc() *Func {
	f := NewFunc("dtypes")
	add := func(name string, t *tensor.Tensor) { f.AddConst(name, t) }
	nan32 := math.Float32frombits(0x7fc00001)
	negNaN32 := math.Float32frombits(0xffc00000)
	add("f32", tensor.FromSlice([]float32{0, float32(math.Copysign(0, -1)), 1, -1.5, 0.1, 1e-45, math.MaxFloat32,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), nan32, negNaN32, 3.4028235e+38, 1.17549435e-38, 16777217}))
	add("f64", tensor.FromSlice([]float64{0, math.Copysign(0, -1), 0.1, 1.0 / 3, math.SmallestNonzeroFloat64, math.MaxFloat64,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0x7ff8000000000002), 1e300}))
	add("i8", tensor.FromSlice([]int8{-128, -1, 0, 127}))
	add("i16", tensor.FromSlice([]int16{-32768, 0, 32767}))
	add("i32", tensor.FromSlice([]int32{math.MinInt32, 0, math.MaxInt32}))
	add("i64", tensor.FromSlice([]int64{math.MinInt64, -1, 0, math.MaxInt64}, 2, 2))
	add("u8", tensor.FromSlice([]uint8{0, 1, 255}))
	add("u16", tensor.FromSlice([]uint16{0, 65535}))
	add("u32", tensor.FromSlice([]uint32{0, math.MaxUint32}))
	add("u64", tensor.FromSlice([]uint64{0, math.MaxUint64}))
	add("bool", tensor.FromSlice([]bool{true, false, true}))
	weird := tensor.FromSlice([]bool{true, false})
	weird.Bytes()[1] = 2
	add("bool_odd", weird)
	add("c64", tensor.FromSlice([]complex64{complex(1, -2), complex(float32(math.NaN()), float32(math.Inf(1))), complex(nan32, 0.1)}))
	add("c128", tensor.FromSlice([]complex128{complex(1.0/3, -2), complex(math.Inf(-1), math.NaN())}))
	s, _ := tensor.FromStrings([]int{2, 2}, []string{"", "a b", "quote \" and \\ and \n", "\xff\x00ü"})
	add("string", s)
	scalarStr, _ := tensor.FromStrings([]int{}, []string{"x"})
	add("string0", scalarStr)
	// Narrow float types: every code of the 8- and 4-bit ones.
	for _, dt := range []tensor.DType{tensor.Float8E4M3FN, tensor.Float8E4M3FNUZ, tensor.Float8E5M2, tensor.Float8E5M2FNUZ, tensor.Float8E8M0} {
		t := tensor.New(dt, 256)
		for i := range t.Bytes() {
			t.Bytes()[i] = byte(i)
		}
		add(dt.Short(), t)
	}
	f4 := tensor.New(tensor.Float4E2M1, 17)
	for i := range f4.Bytes() {
		f4.Bytes()[i] = byte(i) // 16 is not a float4 code: written as bits
	}
	add("f4", f4)
	for _, dt := range []tensor.DType{tensor.Float16, tensor.BFloat16} {
		t := tensor.New(dt, 12)
		codes := []uint16{0, 0x8000, 0x3c00, 0x0001, 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x7e01, 0xfe00, 0x3555, 0x7f81}
		copy(tensor.Data[uint16](t), codes)
		add(dt.Short(), t)
	}
	for _, dt := range []tensor.DType{tensor.Int4, tensor.Uint4, tensor.Int2, tensor.Uint2} {
		t := tensor.New(dt, 4)
		for i := 0; i < 3; i++ {
			t.SetInt64At(i, int64(i)-1)
		}
		t.Bytes()[3] = 0x7f // out of range: written as bits
		add(dt.Short(), t)
	}
	add("empty", tensor.New(tensor.Int64, 0, 3))
	add("scalar", tensor.Scalar(float32(2.5)))
	var vals []*Value
	for _, c := range f.Consts {
		vals = append(vals, c)
	}
	f.Results = vals
	return f
}

func typesFunc() *Func {
	f := NewFunc("types")
	ts := []Type{
		{},
		UnrankedTensor(tensor.Float32),
		{Kind: KindTensor, HasShape: true, Shape: []Dim{Known(2)}},
		{Kind: KindTensor},
		TensorOf(tensor.Int64, nil),
		TensorOf(tensor.Float16, []Dim{Sym("batch"), Unknown(), Known(0), Sym("seq len"), Sym("3"), Sym("?"), Sym("_"), Sym("a.b")}),
		SequenceOf(f32(2)),
		{Kind: KindSequence},
		SequenceOf(SequenceOf(Type{})),
		OptionalOf(SequenceOf(TensorType(tensor.String))),
		{Kind: KindOptional},
		MapOf(tensor.Int64, f32()),
		MapOf(tensor.String, SequenceOf(MapOf(tensor.Int64, UnrankedTensor(tensor.Float64)))),
		{Kind: KindMap, Elem: tensor.String},
		{Kind: KindSparseTensor, Elem: tensor.Float32, HasShape: true, Shape: []Dim{Known(10), Sym("N")}},
		{Kind: KindSparseTensor, Elem: tensor.Bool},
	}
	for _, dt := range []tensor.DType{tensor.Complex128, tensor.Float8E5M2FNUZ, tensor.Int2, tensor.BFloat16} {
		ts = append(ts, TensorType(dt, 1))
	}
	for i, t := range ts {
		f.AddParam(fmt.Sprintf("p%d", i), t)
	}
	f.Results = append([]*Value{}, f.Params...)
	return f
}

func attrsFunc() *Func {
	f := NewFunc("attrs")
	x := f.AddParam("x", f32(2))
	c := f.AddConst("c", tensor.FromSlice([]float32{5, 6}))
	// A subgraph reading an outer parameter and constant.
	g := NewFunc("sub")
	g.Outer = f
	gp := g.AddParam("gp", f32(2))
	gn := g.NewNode("Add", "", 17, []*Value{gp, x}, []string{"gs"})
	inner := g.NewNode("Add", "", 17, []*Value{gn.Outputs[0], c}, []string{"gt"})
	g.Results = []*Value{inner.Outputs[0]}
	x.Uses, c.Uses = nil, nil // captures record no use
	g2 := NewFunc("other graph")
	g2.Outer = f
	g2.Results = []*Value{x}
	g3 := NewFunc("")
	g3.Outer = f
	sp := &SparseTensor{Values: tensor.FromSlice([]float32{1, 2}), Indices: tensor.FromSlice([]int64{0, 5}), Dims: []int{2, 3}}
	sp2 := &SparseTensor{Values: tensor.FromSlice([]int64{9}), Indices: tensor.FromSlice([]int64{1, 1}, 1, 2), Dims: []int{3, 3}}
	tp := SequenceOf(f32(3))
	attrs := []Attr{
		AFloat("f", 0.5),
		AFloat("f1", 1),
		AFloat("fneg0", float32(math.Copysign(0, -1))),
		AFloat("fbig", 1e20),
		AFloat("fnan", float32(math.NaN())),
		AFloat("fnanp", math.Float32frombits(0x7f800001)),
		AFloat("finf", float32(math.Inf(-1))),
		AInt("i", -3),
		AInt("imax", math.MaxInt64),
		AString("s", "hello \"world\"\n\t\\ \x00 é"),
		AString("empty string", ""),
		ATensor("t", tensor.FromSlice([]int32{1, 2, 3, 4}, 2, 2)),
		ATensor("t0", tensor.Scalar(true)),
		AGraph("g", g),
		AFloats("fs", 1, 2.5, -0.125),
		AFloats("fs_empty"),
		AInts("is", 1, -2, 3),
		AInts("is_empty"),
		AStrings("ss", "a", "", "c d"),
		{Name: "ss_empty", Type: AttrStrings},
		{Name: "ts", Type: AttrTensors, Tensors: []*tensor.Tensor{tensor.FromSlice([]float32{1}), tensor.FromSlice([]uint8{1, 2})}},
		{Name: "ts_empty", Type: AttrTensors},
		{Name: "gs", Type: AttrGraphs, Graphs: []*Func{g2, g3}},
		{Name: "gs_empty", Type: AttrGraphs},
		{Name: "sp", Type: AttrSparseTensor, Sparse: sp},
		{Name: "sps", Type: AttrSparseTensors, Sparses: []*SparseTensor{sp, sp2}},
		{Name: "sps_empty", Type: AttrSparseTensors},
		{Name: "tp", Type: AttrTypeProto, TP: &tp},
		{Name: "tps", Type: AttrTypeProtos, TPs: []Type{f32(1), {}, MapOf(tensor.Int64, f32())}},
		{Name: "tps_empty", Type: AttrTypeProtos},
		{Name: "nil_tensor", Type: AttrTensor},
		{Name: "nil_graph", Type: AttrGraph},
		{Name: "nil_sparse", Type: AttrSparseTensor},
		{Name: "nil_type", Type: AttrTypeProto},
		{Name: "ref", Type: AttrFloat, Ref: "alpha"},
		{Name: "ref_untyped", Ref: "weird ref"},
		{Name: "undefined"},
		{Name: "documented", Type: AttrInt, I: 4, Doc: "an int"},
		{Name: "a:b c", Type: AttrInt, I: 1},
	}
	n := f.NewNode("Everything", "test.domain", 1, []*Value{x, nil, c}, []string{"o1", "", "o3"}, attrs...)
	setTypes(n, f32(2), Type{}, SequenceOf(f32()))
	f.Results = []*Value{n.Outputs[0], n.Outputs[2]}
	return f
}

func subgraphFunc() *Func {
	f := NewFunc("control")
	cond := f.AddParam("cond", TensorType(tensor.Bool))
	x := f.AddParam("x", f32(3))
	pre := f.NewNode("Neg", "", 13, []*Value{x}, []string{"pre"})
	setTypes(pre, f32(3))

	then := NewFunc("then")
	then.Outer = f
	tn := then.NewNode("Add", "", 13, []*Value{x, pre.Outputs[0]}, []string{"tsum"})
	// Captures record no use on the outer value.
	x.Uses = x.Uses[:len(x.Uses)-1]
	pre.Outputs[0].Uses = nil
	then.Results = []*Value{tn.Outputs[0]}
	els := NewFunc("else")
	els.Outer = f
	els.Results = []*Value{pre.Outputs[0]}
	ifn := f.NewNode("If", "", 11, []*Value{cond}, []string{"r"}, AGraph("then_branch", then), AGraph("else_branch", els))
	setTypes(ifn, f32(3))

	// Loop whose body holds an If reading values of both enclosing funcs.
	body := NewFunc("body")
	body.Outer = f
	it := body.AddParam("i", TensorType(tensor.Int64))
	bc := body.AddParam("c", TensorType(tensor.Bool))
	acc := body.AddParam("acc", f32(3))
	inner := NewFunc("inner")
	nn := NewFunc("deep")
	nn.Outer = inner
	nn.Results = []*Value{x}
	inner.Outer = body
	in := inner.NewNode("Add", "", 13, []*Value{acc, ifn.Outputs[0]}, []string{"deep_sum"}, AGraph("unused", nn))
	acc.Uses, ifn.Outputs[0].Uses = nil, nil
	inner.Results = []*Value{in.Outputs[0]}
	inner2 := NewFunc("inner2")
	inner2.Outer = body
	inner2.Results = []*Value{acc}
	bif := body.NewNode("If", "", 13, []*Value{bc}, []string{"next"}, AGraph("then_branch", inner), AGraph("else_branch", inner2))
	cast := body.NewNode("Identity", "", 16, []*Value{it}, []string{"scan_out"})
	body.Results = []*Value{bc, bif.Outputs[0], cast.Outputs[0]}
	max := f.AddConst("max", tensor.Scalar(int64(4)))
	loop := f.NewNode("Loop", "", 13, []*Value{max, nil, x}, []string{"final", "scans"}, AGraph("body", body))
	f.Results = []*Value{ifn.Outputs[0], loop.Outputs[0], loop.Outputs[1]}
	return f
}

func miscFunc() *Func {
	f := NewFunc("misc")
	f.Metadata = []KV{{"k", "v"}, {"key 2", "value \"2\""}}
	f.QuantAnnotations = []QuantAnnotation{{Tensor: "w", Params: []KV{{"SCALE_TENSOR", "s"}, {"ZERO_POINT_TENSOR", "z"}}}, {Tensor: "none"}}
	w := f.AddConst("w", tensor.FromSlice([]float32{0, 1, 0, 0, 0, 2}, 2, 3))
	sp := &SparseTensor{Values: tensor.FromSlice([]float32{1, 2}), Indices: tensor.FromSlice([]int64{1, 5}), Dims: []int{2, 3}}
	f.SparseConsts = append(f.SparseConsts, &SparseConst{Value: w, Sparse: sp})
	loose := &Value{Name: "loose", Type: f32(2)}
	sp2 := &SparseTensor{Values: tensor.FromSlice([]float32{3}), Indices: tensor.FromSlice([]int64{0}), Dims: []int{2}}
	loose.Const, _ = sp2.Dense()
	f.SparseConsts = append(f.SparseConsts, &SparseConst{Value: loose, Sparse: sp2})
	// A node read before it is defined (a graph out of order), a node with
	// no outputs and a node with only omitted outputs.
	late := f.NewNode("Identity", "", 17, []*Value{w}, []string{"late"})
	early := f.NewNode("Identity", "", 17, []*Value{late.Outputs[0]}, []string{"early"})
	f.Nodes[0], f.Nodes[1] = early, late
	f.SparseConsts = append(f.SparseConsts, &SparseConst{Value: late.Outputs[0], Sparse: sp2})
	f.NewNode("Identity", "", 17, []*Value{loose}, nil)
	f.NewNode("Identity", "", 17, []*Value{w}, []string{""})
	f.NewNode("Identity", "", 9, []*Value{early.Outputs[0]}, []string{"old"})
	f.NewNode("Identity", "ai.onnx", 17, []*Value{early.Outputs[0]}, []string{"spelled"})
	f.NewNode("Op with space", "domain-with-dash", 3, nil, []string{"strange"})
	f.Results = []*Value{early.Outputs[0], nil}
	return f
}

func roundTripFuncs() []*Func {
	return []*Func{basicFunc(), allDTypesFunc(), typesFunc(), attrsFunc(), subgraphFunc(), miscFunc(), NewFunc("empty")}
}

func TestPrintParseRoundTrip(t *testing.T) {
	for _, f := range roundTripFuncs() {
		t.Run(f.Name, func(t *testing.T) {
			text := f.Text()
			var buf bytes.Buffer
			if err := Print(&buf, f); err != nil || buf.String() != text {
				t.Fatalf("Print and Text disagree (%v)", err)
			}
			g, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, numbered(text))
			}
			if err := graphsEqual(f, g); err != nil {
				t.Fatalf("parsed graph differs: %v\n%s", err, text)
			}
			if again := g.Text(); again != text {
				t.Fatalf("text differs after a round trip:\n%s\n---\n%s", text, again)
			}
		})
	}
}

func numbered(s string) string {
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		fmt.Fprintf(&b, "%3d %s\n", i+1, l)
	}
	return b.String()
}

func TestPrintBasic(t *testing.T) {
	got := basicFunc().Text()
	want := `func main(%x: f32[N,3] doc="the input", %w: f32[3,4] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1, 1.2]) -> (%a, %y) opset(""=17, "ai.onnx.ml"=2, "my.domain"=2) doc="a small \"model\"\nwith two lines" {
  const %b: f32[4] = [1, 2, 3, 4] doc="bias"
  const %"odd name:0": i64[] = [7]
  const %"": f32[*] = f32[0] []
  %t = MatMul(%x, %w) : f32[N,4] name="mm" doc="matrix product"
  %y doc="sum" = Add(%t, %b) : f32[N,4]
  %a, _ = Dropout@13(%y, _) {ratio = 0.25} name="drop out/1"
  %id/0.x = Identity(%"odd name:0")
  %e = Identity(%"")
  () = my.domain:Custom()
  %q = ai.onnx.ml:LabelEncoder(%x) {keys_strings = ["a", "b"], values_int64s = [1, 2]}
}
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestPrintTypesMatchTypeString(t *testing.T) {
	// The text form writes ordinary types as Type.String does.
	for _, ty := range []Type{{}, f32(2, 3), UnrankedTensor(tensor.Int64),
		TensorOf(tensor.Float32, []Dim{Sym("N"), Unknown()}), SequenceOf(f32()), OptionalOf(f32(1)),
		MapOf(tensor.String, f32()), {Kind: KindSparseTensor, Elem: tensor.Float32, HasShape: true, Shape: []Dim{Known(10)}}} {
		if typeText(ty) != ty.String() {
			t.Errorf("typeText %s, String %s", typeText(ty), ty.String())
		}
	}
}

func TestPrintMaxConstElems(t *testing.T) {
	f := NewFunc("big")
	f.AddConst("c", tensor.FromSlice(make([]float32, 100)))
	var buf bytes.Buffer
	if err := PrintWith(&buf, f, PrintOptions{MaxConstElems: 3}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "= [0, 0, 0, ...]") {
		t.Errorf("not elided:\n%s", buf.String())
	}
	if _, err := Parse(buf.String()); err == nil || !strings.Contains(err.Error(), "elided") {
		t.Errorf("parsing elided text: %v", err)
	}
}

func testModel() *Model {
	body := NewFunc("body")
	a := body.AddParam("a", Type{})
	n := body.NewNode("Mul", "", 13, []*Value{a, a}, []string{"y"}, Attr{Name: "unused", Type: AttrFloat, Ref: "alpha"})
	body.Results = []*Value{n.Outputs[0]}
	return &Model{
		Graph:           basicFunc(),
		Opsets:          map[string]int{"": 17, "ai.onnx.ml": 2, "my.domain": 1, "local": 1},
		IRVersion:       8,
		ProducerName:    "onyx",
		ProducerVersion: "0.1",
		Domain:          "org.example",
		ModelVersion:    3,
		Doc:             "a test model",
		Metadata:        []KV{{"author", "someone"}},
		Functions: []*Function{{
			Name: "Square", Domain: "local", Overload: "v2",
			Inputs: []string{"a"}, Outputs: []string{"y"}, Attrs: []string{"alpha"},
			AttrDefaults: []Attr{AFloat("beta", 2), AInts("axes")},
			Opsets:       map[string]int{"": 13},
			Body:         body, Doc: "squares its input",
		}, {Name: "Empty", Inputs: []string{"odd name"}}},
	}
}

func TestModelRoundTrip(t *testing.T) {
	for _, m := range []*Model{testModel(), {}, {Graph: subgraphFunc(), Opsets: map[string]int{"": 13}}} {
		text := m.Text()
		var buf bytes.Buffer
		if err := PrintModel(&buf, m); err != nil || buf.String() != text || ModelText(m) != text {
			t.Fatalf("PrintModel, Text and ModelText disagree (%v)", err)
		}
		got, err := ParseModel(text)
		if err != nil {
			t.Fatalf("ParseModel: %v\n%s", err, numbered(text))
		}
		if err := modelsEqual(m, got); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		if again := got.Text(); again != text {
			t.Fatalf("text differs after a round trip:\n%s\n---\n%s", text, again)
		}
	}
}

func TestModelTextOpsets(t *testing.T) {
	m := testModel()
	text := m.Text()
	// Nodes at the model's opset carry none; others do.
	for _, want := range []string{
		`model ir=8 opset(""=17, "ai.onnx.ml"=2, "local"=1, "my.domain"=1) producer="onyx"`,
		"%t = MatMul(%x, %w)",
		"() = my.domain:Custom@2()",
		`function local:Square(a) -> (y) attrs(alpha) {beta = 2.0, axes: ints = []} opset(""=13) overload="v2" doc="squares its input" = func body(%a: ?) -> (%y) {`,
		"  %y = Mul(%a, %a) {unused: float = @alpha}",
		`function Empty("odd name") -> ()`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
}

// Golden files: each testdata/*.txt is a func or model in canonical form
// that Parse reads, Check accepts and Print writes back unchanged.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			src := string(data)
			var got string
			if strings.HasPrefix(src, "model") {
				m, err := ParseModel(src)
				if err != nil {
					t.Fatal(err)
				}
				if err := CheckModel(m); err != nil {
					t.Errorf("CheckModel: %v", err)
				}
				got = m.Text()
			} else {
				f, err := Parse(src)
				if err != nil {
					t.Fatal(err)
				}
				if err := Check(f); err != nil {
					t.Errorf("Check: %v", err)
				}
				got = f.Text()
			}
			if got != src {
				if *updateGolden {
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				t.Errorf("printed text differs from %s:\n%s", file, got)
			}
		})
	}
}
