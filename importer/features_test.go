package importer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func decodeOK(t *testing.T, m *onnxpb.ModelProto, o Options) *ir.Model {
	t.Helper()
	im, err := Decode(marshal(t, m), o)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestModelHeader(t *testing.T) {
	m := reluModel()
	m.OpsetImport = []*onnxpb.OperatorSetIdProto{opset("ai.onnx", 17), opset("ai.onnx.ml", 3)}
	m.ProducerName = proto.String("prod")
	m.ProducerVersion = proto.String("1.2")
	m.Domain = proto.String("org.example")
	m.ModelVersion = proto.Int64(42)
	m.DocString = proto.String("doc")
	m.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: proto.String("k"), Value: proto.String("v")}}
	im := decodeOK(t, m, Options{})
	if im.Opsets[""] != 17 || im.Opsets["ai.onnx.ml"] != 3 || len(im.Opsets) != 2 {
		t.Errorf("opsets = %v", im.Opsets)
	}
	if im.IRVersion != 8 || im.ProducerName != "prod" || im.ProducerVersion != "1.2" || im.Domain != "org.example" ||
		im.ModelVersion != 42 || im.Doc != "doc" || len(im.Metadata) != 1 || im.Metadata[0] != (ir.KV{Key: "k", Value: "v"}) {
		t.Errorf("header not kept: %+v", im)
	}
	n := im.Graph.Nodes[0]
	if n.Schema == nil || n.Opset != 17 || n.Name != "relu" {
		t.Errorf("node = %+v", n)
	}
}

func TestNodesSortedAndWired(t *testing.T) {
	// Nodes listed consumers first.
	m := model(graph("g",
		[]*onnxpb.NodeProto{
			named(node("Add", []string{"b", "w"}, []string{"y"}), "third"),
			named(node("Neg", []string{"a"}, []string{"b"}), "second"),
			named(node("Relu", []string{"x"}, []string{"a"}), "first"),
		},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)},
		floatTensor("w", []int64{2}, 1, 2)))
	m.Graph.ValueInfo = []*onnxpb.ValueInfoProto{tensorVI("a", tensor.Float32, 2)}
	im := decodeOK(t, m, Options{})
	g := im.Graph
	var order []string
	for _, n := range g.Nodes {
		order = append(order, n.Name)
	}
	if got := order; len(got) != 3 || got[0] != "first" || got[1] != "second" || got[2] != "third" {
		t.Fatalf("order = %v", got)
	}
	a := g.Nodes[0].Outputs[0]
	if a.Name != "a" || a.Def != g.Nodes[0] || !a.Type.Equal(ir.TensorType(tensor.Float32, 2)) {
		t.Errorf("a = %+v", a)
	}
	if len(a.Uses) != 1 || a.Uses[0] != g.Nodes[1] {
		t.Errorf("uses of a = %v", a.Uses)
	}
	if len(g.Consts) != 1 || g.Consts[0].Name != "w" || g.Consts[0].Param || g.Nodes[2].Inputs[1] != g.Consts[0] {
		t.Errorf("const w not wired")
	}
	if y := g.Results[0]; y != g.Nodes[2].Outputs[0] || !y.Type.Equal(ir.TensorType(tensor.Float32, 2)) {
		t.Errorf("result = %+v", y)
	}
}

func TestInitializerAsInput(t *testing.T) {
	m := model(graph("g",
		[]*onnxpb.NodeProto{node("Add", []string{"x", "w"}, []string{"y"})},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2), tensorVI("w", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)},
		floatTensor("w", []int64{2}, 3, 4)))
	g := decodeOK(t, m, Options{}).Graph
	if len(g.Params) != 2 || len(g.Consts) != 0 {
		t.Fatalf("params %d consts %d", len(g.Params), len(g.Consts))
	}
	w := g.Params[1]
	if !w.Param || w.Const == nil || w.IsConst() || w.Const.Float32s()[1] != 4 {
		t.Errorf("w = %+v", w)
	}
}

func TestOmittedInputsAndOutputs(t *testing.T) {
	m := model(graph("g",
		[]*onnxpb.NodeProto{node("Clip", []string{"x", "", "hi"}, []string{"y"}),
			node("Dropout", []string{"y"}, []string{"z", ""})},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("z", tensor.Float32, 2)},
		floatTensor("hi", nil, 6)))
	g := decodeOK(t, m, Options{}).Graph
	clip := g.Nodes[0]
	if len(clip.Inputs) != 3 || clip.Inputs[1] != nil || clip.Inputs[2] == nil {
		t.Errorf("clip inputs = %v", clip.Inputs)
	}
	if d := g.Nodes[1]; len(d.Outputs) != 2 || d.Outputs[1] != nil {
		t.Errorf("dropout outputs = %v", d.Outputs)
	}
}

func TestSubgraphCapturesOuterValues(t *testing.T) {
	then := graph("then", []*onnxpb.NodeProto{named(node("Add", []string{"a", "w"}, []string{"t"}), "inner")}, nil,
		[]*onnxpb.ValueInfoProto{tensorVI("t", tensor.Float32, 2)})
	els := graph("else", nil, nil, []*onnxpb.ValueInfoProto{tensorVI("a", tensor.Float32, 2)})
	// The If is listed before the node defining a, which it reads only
	// from inside its branches.
	m := model(graph("g",
		[]*onnxpb.NodeProto{
			named(node("If", []string{"c"}, []string{"y"}, graphAttr("then_branch", then), graphAttr("else_branch", els)), "if"),
			named(node("Relu", []string{"x"}, []string{"a"}), "relu"),
		},
		[]*onnxpb.ValueInfoProto{tensorVI("c", tensor.Bool), tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)},
		floatTensor("w", []int64{2}, 1, 2)))
	g := decodeOK(t, m, Options{}).Graph
	if g.Nodes[0].Name != "relu" || g.Nodes[1].Name != "if" {
		t.Fatalf("If not moved after the node it captures from")
	}
	a := g.Nodes[0].Outputs[0]
	thenG := g.Nodes[1].Graph("then_branch")
	elseG := g.Nodes[1].Graph("else_branch")
	if thenG.Outer != g || elseG.Outer != g {
		t.Errorf("Outer not set")
	}
	inner := thenG.Nodes[0]
	if inner.Inputs[0] != a || inner.Inputs[1] != g.Consts[0] {
		t.Errorf("captured values not resolved")
	}
	if elseG.Results[0] != a {
		t.Errorf("else branch result is not the outer value")
	}
	for _, u := range a.Uses {
		if u == inner {
			t.Errorf("a capture recorded a use in the outer value")
		}
	}
}

func TestSparseInitializer(t *testing.T) {
	m := sparseModel([]int64{1, 3}, []int64{4})
	g := decodeOK(t, m, Options{}).Graph
	if len(g.Consts) != 1 || len(g.SparseConsts) != 1 {
		t.Fatalf("consts %d sparse %d", len(g.Consts), len(g.SparseConsts))
	}
	c := g.Consts[0]
	if got := c.Const.Float32s(); len(got) != 4 || got[0] != 0 || got[1] != 1 || got[3] != 2 {
		t.Errorf("dense form = %v", got)
	}
	if g.SparseConsts[0].Value != c || g.SparseConsts[0].Sparse.Values.Len() != 2 {
		t.Errorf("sparse form not kept")
	}
}

func TestUnknownOpsAllowed(t *testing.T) {
	m := model(graph("g",
		[]*onnxpb.NodeProto{inDomain(node("Custom", []string{"x"}, []string{"y"}), "com.example")},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}), opset("", 17), opset("com.example", 3))
	g := decodeOK(t, m, Options{AllowUnknownOps: true}).Graph
	if n := g.Nodes[0]; n.Schema != nil || n.Domain != "com.example" || n.Opset != 3 {
		t.Errorf("node = %+v", n)
	}
}

// TestFunctionInlining covers attribute references, defaults, nested
// calls, an output that is an input, and omitted optional inputs.
func TestFunctionInlining(t *testing.T) {
	// Inner(a) -> (b) = LeakyRelu(a, alpha=@alpha)
	inner := &onnxpb.FunctionProto{
		Name: proto.String("Inner"), Domain: proto.String("local"),
		Input: []string{"a"}, Output: []string{"b"}, Attribute: []string{"alpha"},
		OpsetImport: []*onnxpb.OperatorSetIdProto{opset("", 17)},
		Node:        []*onnxpb.NodeProto{named(node("LeakyRelu", []string{"a"}, []string{"b"}, refAttr("alpha", "alpha", onnxpb.AttributeProto_FLOAT)), "lr")},
	}
	// Outer(p, q) -> (r, p2, s): t = Inner(p, alpha=@k); r = Add(t, q); p2 = p;
	// s = Clip(t, q2?) with the optional q2 omitted by the call.
	outer := &onnxpb.FunctionProto{
		Name: proto.String("Outer"), Domain: proto.String("local"),
		Input: []string{"p", "q", "q2"}, Output: []string{"r", "p", "s"},
		AttributeProto: []*onnxpb.AttributeProto{floatAttr("k", 0.25)},
		OpsetImport:    []*onnxpb.OperatorSetIdProto{opset("", 17), opset("local", 1)},
		Node: []*onnxpb.NodeProto{
			node("Add", []string{"t", "q"}, []string{"r"}),
			inDomain(node("Inner", []string{"p"}, []string{"t"}, refAttr("alpha", "k", onnxpb.AttributeProto_FLOAT)), "local"),
			node("Clip", []string{"t", "q2"}, []string{"s"}),
		},
	}
	m := model(graph("g",
		[]*onnxpb.NodeProto{
			named(inDomain(node("Outer", []string{"x", "y"}, []string{"o1", "o2", "o3"}), "local"), "call1"),
			named(inDomain(node("Outer", []string{"o1", "y"}, []string{"o4"}, floatAttr("k", 0.5)), "local"), "call2"),
		},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2), tensorVI("y", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("o2", tensor.Float32, 2), tensorVI("o3", tensor.Float32, 2), tensorVI("o4", tensor.Float32, 2)}),
		opset("", 17), opset("local", 1))
	m.Functions = []*onnxpb.FunctionProto{outer, inner}
	im := decodeOK(t, m, Options{})
	g := im.Graph
	if len(im.Functions) != 2 || im.Functions[0].Name != "Outer" || im.Functions[0].Body == nil {
		t.Fatalf("functions not kept: %v", im.Functions)
	}
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
		if n.Domain == "local" {
			t.Errorf("call %s not inlined", n)
		}
		if n.Schema == nil {
			t.Errorf("node %s not resolved", n)
		}
	}
	// call1: LeakyRelu, Add, Identity (o2 = x), Clip; call2: LeakyRelu, Add, Clip.
	want := []string{"LeakyRelu", "Add", "Clip", "Identity", "LeakyRelu", "Add", "Clip"}
	if len(ops) != len(want) {
		t.Fatalf("ops = %v, want %v", ops, want)
	}
	counts := map[string]int{}
	for _, op := range ops {
		counts[op]++
	}
	if counts["LeakyRelu"] != 2 || counts["Add"] != 2 || counts["Clip"] != 2 || counts["Identity"] != 1 {
		t.Errorf("ops = %v", ops)
	}
	var alphas []float32
	for _, n := range g.Nodes {
		switch n.Op {
		case "LeakyRelu":
			alphas = append(alphas, n.Attr("alpha").F)
		case "Clip":
			if len(n.Inputs) != 2 || n.Inputs[1] != nil {
				t.Errorf("omitted function input is not an omitted node input: %v", n.Inputs)
			}
		case "Identity":
			if n.Inputs[0] != g.Params[0] || n.Outputs[0].Name != "o2" {
				t.Errorf("identity = %v -> %v", n.Inputs, n.Outputs)
			}
		}
	}
	nodeNames := map[string]bool{}
	for _, n := range g.Nodes {
		if n.Op == "LeakyRelu" {
			if n.Name == "" || nodeNames[n.Name] {
				t.Errorf("inlined node name %q is not unique", n.Name)
			}
			nodeNames[n.Name] = true
		}
	}
	if len(alphas) != 2 || alphas[0] != 0.25 || alphas[1] != 0.5 {
		t.Errorf("alphas = %v (default then bound)", alphas)
	}
	// Results: o2, o3, o4 by their call-site names.
	for i, name := range []string{"o2", "o3", "o4"} {
		if g.Results[i].Name != name || g.Results[i].Def == nil {
			t.Errorf("result %d = %v", i, g.Results[i])
		}
	}
	// call2 reads call1's first output.
	var o1 *ir.Value
	for _, n := range g.Nodes {
		for _, o := range n.Outputs {
			if o != nil && o.Name == "o1" {
				o1 = o
			}
		}
	}
	if o1 == nil || len(o1.Uses) == 0 {
		t.Errorf("o1 missing or unused")
	}
	// Fresh names are unique.
	seen := map[string]bool{}
	for _, v := range g.Values() {
		if seen[v.Name] {
			t.Errorf("name %q used twice", v.Name)
		}
		seen[v.Name] = true
	}
	body := im.Functions[0].Body
	if len(body.Params) != 3 || len(body.Results) != 3 || body.Results[1] != body.Params[0] {
		t.Errorf("function body = %+v", body)
	}
	if body.Nodes[0].Op != "Inner" {
		t.Fatalf("function body not sorted: first node %s", body.Nodes[0])
	}
	if a := body.Nodes[0].Attr("alpha"); a == nil || a.Ref != "k" || a.Type != ir.AttrFloat {
		t.Errorf("attribute reference not kept in the body: %+v", body.Nodes[0].Attrs)
	}
}

// TestTypedFields decodes every element type from its typed field and
// from raw_data and checks both give the same tensor.
func TestTypedFields(t *testing.T) {
	le := binary.LittleEndian
	cases := []struct {
		dt    tensor.DType
		typed func(tp *onnxpb.TensorProto)
		raw   []byte
	}{
		{tensor.Float32, func(tp *onnxpb.TensorProto) { tp.FloatData = []float32{1.5, -2} },
			le.AppendUint32(le.AppendUint32(nil, math.Float32bits(1.5)), math.Float32bits(-2))},
		{tensor.Complex64, func(tp *onnxpb.TensorProto) { tp.FloatData = []float32{1, 2, 3, 4} },
			le.AppendUint32(le.AppendUint32(le.AppendUint32(le.AppendUint32(nil, math.Float32bits(1)), math.Float32bits(2)), math.Float32bits(3)), math.Float32bits(4))},
		{tensor.Float64, func(tp *onnxpb.TensorProto) { tp.DoubleData = []float64{1.5, -2} },
			le.AppendUint64(le.AppendUint64(nil, math.Float64bits(1.5)), math.Float64bits(-2))},
		{tensor.Complex128, func(tp *onnxpb.TensorProto) { tp.DoubleData = []float64{1, 2, 3, 4} },
			le.AppendUint64(le.AppendUint64(le.AppendUint64(le.AppendUint64(nil, math.Float64bits(1)), math.Float64bits(2)), math.Float64bits(3)), math.Float64bits(4))},
		{tensor.Int64, func(tp *onnxpb.TensorProto) { tp.Int64Data = []int64{-1, 1 << 40} },
			le.AppendUint64(le.AppendUint64(nil, math.MaxUint64), 1<<40)},
		{tensor.Uint64, func(tp *onnxpb.TensorProto) { tp.Uint64Data = []uint64{math.MaxUint64, 7} },
			le.AppendUint64(le.AppendUint64(nil, math.MaxUint64), 7)},
		{tensor.Uint32, func(tp *onnxpb.TensorProto) { tp.Uint64Data = []uint64{math.MaxUint32, 7} },
			le.AppendUint32(le.AppendUint32(nil, math.MaxUint32), 7)},
		{tensor.Int32, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{-5, 9} },
			le.AppendUint32(le.AppendUint32(nil, 0xfffffffb), 9)},
		{tensor.Int16, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{-5, 9} }, []byte{0xfb, 0xff, 9, 0}},
		{tensor.Uint16, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{65535, 9} }, []byte{0xff, 0xff, 9, 0}},
		{tensor.Float16, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x3c00, 0xc000} }, []byte{0x00, 0x3c, 0x00, 0xc0}},
		{tensor.BFloat16, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x3f80, 0xc000} }, []byte{0x80, 0x3f, 0x00, 0xc0}},
		{tensor.Int8, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{-5, 9} }, []byte{0xfb, 9}},
		{tensor.Uint8, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{255, 9} }, []byte{255, 9}},
		{tensor.Bool, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{1, 0} }, []byte{1, 0}},
		{tensor.Float8E4M3FN, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x38, 0x7e} }, []byte{0x38, 0x7e}},
		{tensor.Float8E4M3FNUZ, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x40, 0x80} }, []byte{0x40, 0x80}},
		{tensor.Float8E5M2, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x3c, 0x7c} }, []byte{0x3c, 0x7c}},
		{tensor.Float8E5M2FNUZ, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x40, 0x80} }, []byte{0x40, 0x80}},
		{tensor.Float8E8M0, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{127, 128} }, []byte{127, 128}},
		// Sub-byte types: 3 elements, packed in both forms.
		{tensor.Int4, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x7f, 0x08} }, []byte{0x7f, 0x08}},
		{tensor.Uint4, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x21, 0x0f} }, []byte{0x21, 0x0f}},
		{tensor.Float4E2M1, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x21, 0x0f} }, []byte{0x21, 0x0f}},
		{tensor.Int2, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x1b} }, []byte{0x1b}},
		{tensor.Uint2, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{0x1b} }, []byte{0x1b}},
	}
	for _, c := range cases {
		t.Run(c.dt.String(), func(t *testing.T) {
			n := int64(2)
			if isSubByte(c.dt) {
				n = 3
			}
			typed := &onnxpb.TensorProto{DataType: proto.Int32(int32(c.dt)), Dims: []int64{n}}
			c.typed(typed)
			a, err := decodeTensor(typed, "")
			if err != nil {
				t.Fatal(err)
			}
			b, err := decodeTensor(rawTensor("", c.dt, []int64{n}, c.raw), "")
			if err != nil {
				t.Fatal(err)
			}
			if a.DType() != c.dt || a.Len() != int(n) || !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Errorf("typed %v vs raw %v", a.Bytes(), b.Bytes())
			}
		})
	}
	// Spot checks of unpacking.
	i4, _ := decodeTensor(rawTensor("", tensor.Int4, []int64{3}, []byte{0x7f, 0x08}), "")
	if got := i4.Bytes(); int8(got[0]) != -1 || got[1] != 7 || int8(got[2]) != -8 {
		t.Errorf("int4 = %v", got)
	}
	u2, _ := decodeTensor(rawTensor("", tensor.Uint2, []int64{3}, []byte{0x1b}), "")
	if got := u2.Bytes(); got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Errorf("uint2 = %v", got)
	}
	s, err := decodeTensor(&onnxpb.TensorProto{DataType: proto.Int32(int32(tensor.String)), Dims: []int64{2}, StringData: [][]byte{[]byte("a"), []byte("bc")}}, "")
	if err != nil || s.Strings()[1] != "bc" {
		t.Errorf("string tensor: %v %v", s, err)
	}
	z, err := decodeTensor(&onnxpb.TensorProto{DataType: proto.Int32(int32(tensor.Float32)), Dims: []int64{0, 3}}, "")
	if err != nil || z.Len() != 0 || z.Rank() != 2 {
		t.Errorf("zero-element tensor: %v %v", z, err)
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	// A small region at an offset, and a large one (memory-mapped).
	small := []float32{1, 2, 3}
	bigN := (mmapThreshold / 4) + 1000
	var buf bytes.Buffer
	buf.Write(make([]byte, 5))
	for _, v := range small {
		binary.Write(&buf, binary.LittleEndian, v)
	}
	buf.Write(make([]byte, 3)) // align the large region for a no-copy wrap
	bigOff := buf.Len()
	for i := 0; i < bigN; i++ {
		binary.Write(&buf, binary.LittleEndian, float32(i))
	}
	if err := os.MkdirAll(filepath.Join(dir, "weights"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "weights", "w.bin"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A symbolic link that stays inside the folder is fine.
	if err := os.Symlink(filepath.Join("weights", "w.bin"), filepath.Join(dir, "alias.bin")); err != nil {
		t.Fatal(err)
	}
	ext := func(name, loc string, off, length int, dims ...int64) *onnxpb.TensorProto {
		return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(1), Dims: dims,
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: []*onnxpb.StringStringEntryProto{
				{Key: proto.String("location"), Value: proto.String(loc)},
				{Key: proto.String("offset"), Value: proto.String(strconv.Itoa(off))},
				{Key: proto.String("length"), Value: proto.String(strconv.Itoa(length))},
			}}
	}
	m := model(graph("g",
		[]*onnxpb.NodeProto{node("Add", []string{"x", "s"}, []string{"y"}), node("Relu", []string{"big"}, []string{"z"})},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 3)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 3), tensorVI("z", tensor.Float32, int64(bigN))},
		ext("s", "weights/w.bin", 5, 12, 3), ext("big", "alias.bin", bigOff, 4*bigN, int64(bigN))))
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, marshal(t, m), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := im.Graph.Consts[0].Const.Float32s()
	if len(s) != 3 || s[0] != 1 || s[2] != 3 {
		t.Errorf("small = %v", s)
	}
	big := im.Graph.Consts[1].Const.Float32s()
	if len(big) != bigN || big[0] != 0 || big[bigN-1] != float32(bigN-1) {
		t.Errorf("big tensor wrong: len %d", len(big))
	}
	if im.Path != path {
		t.Errorf("Path = %q", im.Path)
	}
	// On Linux, the large tensor lies in a mapping of the weights file.
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil && runtime.GOOS == "linux" {
		addr := uint64(uintptr(unsafe.Pointer(&big[0])))
		found := false
		for _, line := range strings.Split(string(maps), "\n") {
			var lo, hi uint64
			if _, err := fmt.Sscanf(line, "%x-%x", &lo, &hi); err == nil && addr >= lo && addr < hi {
				found = strings.HasSuffix(line, "w.bin")
			}
		}
		if !found {
			t.Errorf("large external tensor is not memory-mapped")
		}
	}
}

func TestAllAttributeTypes(t *testing.T) {
	sub := graph("body", []*onnxpb.NodeProto{node("Identity", []string{"x"}, []string{"o"})}, nil,
		[]*onnxpb.ValueInfoProto{tensorVI("o", tensor.Float32, 2)})
	sp := &onnxpb.SparseTensorProto{Values: floatTensor("", []int64{1}, 5),
		Indices: &onnxpb.TensorProto{DataType: proto.Int32(7), Dims: []int64{1}, Int64Data: []int64{2}}, Dims: []int64{3}}
	tp := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{
		ElemType: tensorVI("", tensor.Int64, 4).Type}}}
	attrs := []*onnxpb.AttributeProto{
		floatAttr("f", 1.5), intAttr("i", -3),
		{Name: proto.String("s"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("hello")},
		{Name: proto.String("t"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: floatTensor("", []int64{2}, 1, 2)},
		graphAttr("g", sub),
		{Name: proto.String("fs"), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 2}},
		{Name: proto.String("is"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: []int64{4, 5}},
		{Name: proto.String("ss"), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: [][]byte{[]byte("a"), []byte("b")}},
		{Name: proto.String("ts"), Type: onnxpb.AttributeProto_TENSORS.Enum(), Tensors: []*onnxpb.TensorProto{floatTensor("", nil, 7)}},
		{Name: proto.String("gs"), Type: onnxpb.AttributeProto_GRAPHS.Enum(), Graphs: []*onnxpb.GraphProto{sub}},
		{Name: proto.String("sp"), Type: onnxpb.AttributeProto_SPARSE_TENSOR.Enum(), SparseTensor: sp},
		{Name: proto.String("sps"), Type: onnxpb.AttributeProto_SPARSE_TENSORS.Enum(), SparseTensors: []*onnxpb.SparseTensorProto{sp}},
		{Name: proto.String("tp"), Type: onnxpb.AttributeProto_TYPE_PROTO.Enum(), Tp: tp},
		{Name: proto.String("tps"), Type: onnxpb.AttributeProto_TYPE_PROTOS.Enum(), TypeProtos: []*onnxpb.TypeProto{tp, tp}},
		// No type field: inferred from the value (old models).
		{Name: proto.String("old"), I: proto.Int64(9)},
	}
	m := model(graph("g",
		[]*onnxpb.NodeProto{inDomain(node("Everything", []string{"x"}, []string{"y"}, attrs...), "com.example")},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}), opset("", 17), opset("com.example", 1))
	n := decodeOK(t, m, Options{AllowUnknownOps: true}).Graph.Nodes[0]
	if len(n.Attrs) != len(attrs) {
		t.Fatalf("%d attributes, want %d", len(n.Attrs), len(attrs))
	}
	check := func(name string, ok bool) {
		if !ok {
			t.Errorf("attribute %s wrong: %+v", name, n.Attr(name))
		}
	}
	check("f", n.Float("f") == 1.5)
	check("i", n.Int("i") == -3)
	check("s", n.Str("s") == "hello")
	check("t", n.Tensor("t").Float32s()[1] == 2)
	check("g", n.Graph("g").Nodes[0].Inputs[0].Name == "x" && n.Graph("g").Outer != nil)
	check("fs", len(n.Floats("fs")) == 2)
	check("is", n.Ints("is")[1] == 5)
	check("ss", n.Strings("ss")[1] == "b")
	check("ts", n.Attr("ts").Tensors[0].Float32s()[0] == 7)
	check("gs", len(n.Attr("gs").Graphs) == 1)
	check("sp", n.Attr("sp").Sparse.Dims[0] == 3)
	check("sps", len(n.Attr("sps").Sparses) == 1)
	check("tp", n.Attr("tp").TP.String() == "seq<i64[4]>")
	check("tps", len(n.Attr("tps").TPs) == 2)
	check("old", n.Attr("old").Type == ir.AttrInt && n.Int("old") == 9)
}

// TestLargeInitializerOwnsItsData checks that a large initializer decoded
// without a copy does not alias the caller's bytes.
func TestLargeInitializerOwnsItsData(t *testing.T) {
	raw := make([]byte, 4*wrapThreshold)
	for i := range raw {
		raw[i] = byte(i)
	}
	m := reluModel()
	m.Graph.Initializer = append(m.Graph.Initializer, rawTensor("w", tensor.Float32, []int64{wrapThreshold}, raw))
	data := marshal(t, m)
	im, err := Decode(data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		data[i] = 0
	}
	got := im.Graph.Consts[0].Const.Bytes()
	if !bytes.Equal(got, raw) {
		t.Errorf("initializer data changed with the input buffer")
	}
}
