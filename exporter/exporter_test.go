package exporter

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/importer"
	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
	"github.com/onyxgo/onyx/tensor"
)

func vi(name string, dt tensor.DType, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			dim = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(dt)), Shape: shape}}}}
}

func pnode(op, domain string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Domain: proto.String(domain), Input: in, Output: out, Attribute: attrs}
}

func ftensor(name string, dims []int64, vals ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(1), Dims: dims, FloatData: vals}
}

func opsetID(d string, v int64) *onnxpb.OperatorSetIdProto {
	return &onnxpb.OperatorSetIdProto{Domain: proto.String(d), Version: proto.Int64(v)}
}

// featureModel uses most of what a model can hold: functions with
// attribute references and defaults, a sparse initializer, an initializer
// that is also an input, subgraphs reading outer values, every attribute
// type, value_info, docs, metadata and quantization annotations.
func featureModel() *onnxpb.ModelProto {
	then := &onnxpb.GraphProto{Name: proto.String("then"), DocString: proto.String("then doc"),
		Node:   []*onnxpb.NodeProto{pnode("Add", "", []string{"a", "w"}, []string{"t"})},
		Output: []*onnxpb.ValueInfoProto{vi("t", tensor.Float32, 2)}}
	els := &onnxpb.GraphProto{Name: proto.String("else"),
		Output: []*onnxpb.ValueInfoProto{vi("a", tensor.Float32, 2)}}
	sp := &onnxpb.SparseTensorProto{Values: ftensor("sp", []int64{2}, 5, 6),
		Indices: &onnxpb.TensorProto{DataType: proto.Int32(7), Dims: []int64{2, 1}, Int64Data: []int64{0, 1}}, Dims: []int64{2}}
	seqType := &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: vi("", tensor.Int64, -1, 4).Type}}}
	attrs := []*onnxpb.AttributeProto{
		{Name: proto.String("f"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(1.5), DocString: proto.String("a float")},
		{Name: proto.String("i"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(-3)},
		{Name: proto.String("s"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("hello")},
		{Name: proto.String("t"), Type: onnxpb.AttributeProto_TENSOR.Enum(), T: &onnxpb.TensorProto{DataType: proto.Int32(int32(tensor.Int4)), Dims: []int64{3}, RawData: []byte{0x7f, 0x08}}},
		{Name: proto.String("fs"), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1, 2}},
		{Name: proto.String("is"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: []int64{4, 5}},
		{Name: proto.String("ss"), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: [][]byte{[]byte("a"), []byte("b")}},
		{Name: proto.String("ts"), Type: onnxpb.AttributeProto_TENSORS.Enum(), Tensors: []*onnxpb.TensorProto{
			{DataType: proto.Int32(int32(tensor.String)), Dims: []int64{2}, StringData: [][]byte{[]byte("x"), []byte("")}}}},
		{Name: proto.String("sp"), Type: onnxpb.AttributeProto_SPARSE_TENSOR.Enum(), SparseTensor: sp},
		{Name: proto.String("sps"), Type: onnxpb.AttributeProto_SPARSE_TENSORS.Enum(), SparseTensors: []*onnxpb.SparseTensorProto{sp}},
		{Name: proto.String("tp"), Type: onnxpb.AttributeProto_TYPE_PROTO.Enum(), Tp: seqType},
		{Name: proto.String("tps"), Type: onnxpb.AttributeProto_TYPE_PROTOS.Enum(), TypeProtos: []*onnxpb.TypeProto{seqType, vi("", tensor.Bool).Type}},
		{Name: proto.String("gs"), Type: onnxpb.AttributeProto_GRAPHS.Enum(), Graphs: []*onnxpb.GraphProto{els}},
	}
	fn := &onnxpb.FunctionProto{
		Name: proto.String("Scale"), Domain: proto.String("local"), DocString: proto.String("scales"),
		Input: []string{"p"}, Output: []string{"r"}, Attribute: []string{"unused"},
		AttributeProto: []*onnxpb.AttributeProto{{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(0.1)}},
		OpsetImport:    []*onnxpb.OperatorSetIdProto{opsetID("", 17)},
		Node: []*onnxpb.NodeProto{pnode("LeakyRelu", "", []string{"p"}, []string{"r"},
			&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), RefAttrName: proto.String("alpha")})},
	}
	g := &onnxpb.GraphProto{
		Name:      proto.String("main"),
		DocString: proto.String("graph doc"),
		Node: []*onnxpb.NodeProto{
			{OpType: proto.String("If"), Name: proto.String("if"), DocString: proto.String("node doc"), Input: []string{"c"}, Output: []string{"y"},
				Attribute: []*onnxpb.AttributeProto{
					{Name: proto.String("then_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: then},
					{Name: proto.String("else_branch"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: els}}},
			pnode("Relu", "", []string{"x"}, []string{"a"}),
			pnode("Scale", "local", []string{"y"}, []string{"z"}),
			pnode("Everything", "com.example", []string{"z", "", "sp"}, []string{"q", ""}, attrs...),
			pnode("Dropout", "", []string{"q"}, []string{"d", ""}),
		},
		Input:             []*onnxpb.ValueInfoProto{vi("c", tensor.Bool), vi("x", tensor.Float32, -1, 2), vi("w", tensor.Float32, 2)},
		Output:            []*onnxpb.ValueInfoProto{vi("d", tensor.Float32, 2), vi("a", tensor.Float32, 2)},
		Initializer:       []*onnxpb.TensorProto{ftensor("w", []int64{2}, 1, 2), ftensor("k", nil, 3)},
		SparseInitializer: []*onnxpb.SparseTensorProto{sp},
		ValueInfo:         []*onnxpb.ValueInfoProto{vi("z", tensor.Float32, 2), {Name: proto.String("q"), DocString: proto.String("q doc")}},
		MetadataProps:     []*onnxpb.StringStringEntryProto{{Key: proto.String("gk"), Value: proto.String("gv")}},
		QuantizationAnnotation: []*onnxpb.TensorAnnotation{{TensorName: proto.String("a"),
			QuantParameterTensorNames: []*onnxpb.StringStringEntryProto{{Key: proto.String("SCALE_TENSOR"), Value: proto.String("k")}}}},
	}
	g.Input[0].DocString = proto.String("the condition")
	return &onnxpb.ModelProto{
		IrVersion: proto.Int64(9), ProducerName: proto.String("test"), ProducerVersion: proto.String("1"),
		Domain: proto.String("org.example"), ModelVersion: proto.Int64(3), DocString: proto.String("model doc"),
		OpsetImport:   []*onnxpb.OperatorSetIdProto{opsetID("", 17), opsetID("local", 1), opsetID("com.example", 2)},
		MetadataProps: []*onnxpb.StringStringEntryProto{{Key: proto.String("k"), Value: proto.String("v")}},
		Graph:         g,
		Functions:     []*onnxpb.FunctionProto{fn},
	}
}

func TestRoundTripFeatures(t *testing.T) {
	data, err := proto.Marshal(featureModel())
	if err != nil {
		t.Fatal(err)
	}
	m1, err := importer.Decode(data, importer.Options{AllowUnknownOps: true})
	if err != nil {
		t.Fatal(err)
	}
	m2 := roundTrip(t, m1)
	if d := modelDiff(m1, m2); d != "" {
		t.Fatalf("round trip differs: %s", d)
	}
	if a, b := ir.ModelText(m1), ir.ModelText(m2); a != b {
		t.Errorf("printed form differs:\n%s\n---\n%s", a, b)
	}
	// The written model keeps its parts where ONNX tools expect them.
	mp, err := ModelProto(m1)
	if err != nil {
		t.Fatal(err)
	}
	g := mp.Graph
	if len(g.Input) != 3 || len(g.Initializer) != 2 || g.Initializer[0].GetName() != "w" || len(g.SparseInitializer) != 1 {
		t.Errorf("inputs %d, initializers %v, sparse %d", len(g.Input), names(g.Initializer), len(g.SparseInitializer))
	}
	if len(mp.Functions) != 1 || mp.Functions[0].Node[0].Attribute[0].GetRefAttrName() != "alpha" {
		t.Errorf("function not written back with its attribute reference")
	}
	for _, tp := range g.Initializer {
		if tp.RawData == nil && tp.GetDataType() != int32(tensor.String) && len(tp.Dims) > 0 {
			t.Errorf("initializer %s not in raw_data", tp.GetName())
		}
	}
}

func names(ts []*onnxpb.TensorProto) []string {
	var s []string
	for _, t := range ts {
		s = append(s, t.GetName())
	}
	return s
}

// collectNames lists every value name a graph defines, subgraphs included.
func collectNames(g *onnxpb.GraphProto, out map[string]int) {
	for _, v := range g.Input {
		out[v.GetName()]++
	}
	for _, t := range g.Initializer {
		if !isInput(g, t.GetName()) {
			out[t.GetName()]++
		}
	}
	for _, n := range g.Node {
		for _, o := range n.Output {
			if o != "" {
				out[o]++
			}
		}
		for _, a := range n.Attribute {
			if a.G != nil {
				collectNames(a.G, out)
			}
		}
	}
}

func isInput(g *onnxpb.GraphProto, name string) bool {
	for _, v := range g.Input {
		if v.GetName() == name {
			return true
		}
	}
	return false
}

func TestNamesMadeUnique(t *testing.T) {
	f := ir.NewFunc("main")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	c := f.AddConst("x", tensor.FromSlice([]float32{1, 2})) // clashes with the parameter
	a := f.NewNode("Add", "", 17, []*ir.Value{x, c}, []string{"t"})
	b := f.NewNode("Neg", "", 17, []*ir.Value{a.Outputs[0]}, []string{"t"}) // same name again
	e := f.NewNode("Relu", "", 17, []*ir.Value{b.Outputs[0]}, []string{"e"})
	e.Outputs[0].Name = "" // no name at all
	// A subgraph that defines a value named like an outer one and reads one.
	sub := &ir.Func{Name: "body", Outer: f}
	sn := sub.NewNode("Identity", "", 17, []*ir.Value{e.Outputs[0]}, []string{"t"})
	sub.Results = []*ir.Value{sn.Outputs[0]}
	els := &ir.Func{Name: "else", Outer: f, Results: []*ir.Value{x}}
	cond := f.AddParam("c", ir.TensorType(tensor.Bool))
	iff := f.NewNode("If", "", 17, []*ir.Value{cond}, []string{"y"}, ir.AGraph("then_branch", sub), ir.AGraph("else_branch", els))
	f.Results = []*ir.Value{iff.Outputs[0], e.Outputs[0], e.Outputs[0]} // a repeated result
	m := &ir.Model{Graph: f, Opsets: map[string]int{"": 17}}

	mp, err := ModelProto(m)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	collectNames(mp.Graph, seen)
	for name, n := range seen {
		if n != 1 || name == "" {
			t.Errorf("name %q defined %d times", name, n)
		}
	}
	if got := mp.Graph.Input[0].GetName(); got != "x" {
		t.Errorf("the parameter lost its name: %q", got)
	}
	outs := mp.Graph.Output
	if len(outs) != 3 || outs[1].GetName() == outs[2].GetName() {
		t.Errorf("repeated result not copied: %v", outs)
	}
	if mp.GetIrVersion() != 8 {
		t.Errorf("ir_version = %d, want 8 for opset 17", mp.GetIrVersion())
	}
	// Deterministic, and readable by the importer.
	d1, _ := Encode(m)
	d2, _ := Encode(m)
	if !bytes.Equal(d1, d2) {
		t.Errorf("two encodings differ")
	}
	back, err := importer.Decode(d1, importer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Graph.Results) != 3 || back.Graph.Nodes[len(back.Graph.Nodes)-1].Op != "Identity" {
		t.Errorf("decoded graph: %d results", len(back.Graph.Results))
	}
}

func TestUndefinedValueIsAnError(t *testing.T) {
	f := ir.NewFunc("main")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	stray := &ir.Value{Name: "stray"}
	n := f.NewNode("Add", "", 17, []*ir.Value{x, stray}, []string{"y"})
	n.Name = "add"
	f.Results = []*ir.Value{n.Outputs[0]}
	_, err := Encode(&ir.Model{Graph: f, Opsets: map[string]int{"": 17}})
	if err == nil || !strings.Contains(err.Error(), "stray") || !strings.Contains(err.Error(), `"add"`) {
		t.Errorf("err = %v", err)
	}
	if _, err := Encode(&ir.Model{}); err == nil {
		t.Errorf("a model without a graph encoded")
	}
}

func TestOpsetsCompleted(t *testing.T) {
	f := ir.NewFunc("main")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	n := f.NewNode("Custom", "com.example", 4, []*ir.Value{x}, []string{"y"})
	f.Results = []*ir.Value{n.Outputs[0]}
	mp, err := ModelProto(&ir.Model{Graph: f, Opsets: map[string]int{"": 18}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, o := range mp.OpsetImport {
		got[o.GetDomain()] = o.GetVersion()
	}
	if got[""] != 18 || got["com.example"] != 4 {
		t.Errorf("opsets = %v", got)
	}
}

func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	data, _ := proto.Marshal(featureModel())
	m, err := importer.Decode(data, importer.Options{AllowUnknownOps: true})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "out.onnx")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Save(m, path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	back, err := importer.Load(path, importer.Options{AllowUnknownOps: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := modelDiff(m, back); d != "" {
		t.Errorf("saved model differs: %s", d)
	}
	if err := Save(m, filepath.Join(dir, "missing", "out.onnx")); err == nil {
		t.Errorf("saving into a missing folder succeeded")
	}
	// A model that cannot be encoded leaves the old file alone.
	if err := Save(&ir.Model{}, path); err == nil {
		t.Errorf("saved a model without a graph")
	}
	if _, err := importer.Load(path, importer.Options{AllowUnknownOps: true}); err != nil {
		t.Errorf("failed save damaged the file: %v", err)
	}
}

func TestEncodeValueKinds(t *testing.T) {
	i4, _ := tensor.FromBytes(tensor.Int4, []int{3}, []byte{0xff, 7, 0xf8})
	strs, _ := tensor.FromStrings([]int{2}, []string{"a", "b"})
	keys := tensor.FromSlice([]int64{3, 1})
	skeys, _ := tensor.FromStrings([]int{2}, []string{"k1", "k2"})
	seq := &tensor.Sequence{Elem: tensor.Float32, Tensors: []*tensor.Tensor{
		tensor.FromSlice([]float32{1, 2}), tensor.FromSlice([]float32{3})}}
	cases := []struct {
		name string
		v    tensor.Value
		want ir.Type
	}{
		{"int4", i4, ir.Type{}},
		{"strings", strs, ir.UnrankedTensor(tensor.String)},
		{"scalar", tensor.Scalar(float64(2.5)), ir.Type{}},
		{"sequence", seq, ir.SequenceOf(ir.UnrankedTensor(tensor.Float32))},
		{"empty sequence", &tensor.Sequence{Elem: tensor.Int64}, ir.SequenceOf(ir.UnrankedTensor(tensor.Int64))},
		{"empty optional", &tensor.Optional{}, ir.OptionalOf(ir.UnrankedTensor(tensor.Float32))},
		{"optional tensor", &tensor.Optional{Value: tensor.FromSlice([]int32{4})}, ir.OptionalOf(ir.UnrankedTensor(tensor.Int32))},
		{"optional sequence", &tensor.Optional{Value: seq}, ir.OptionalOf(ir.SequenceOf(ir.UnrankedTensor(tensor.Float32)))},
		{"map int64 to tensor", &tensor.Map{Keys: keys, Values: tensor.FromSlice([]float32{0.5, 0.25})},
			ir.MapOf(tensor.Int64, ir.UnrankedTensor(tensor.Float32))},
		{"map string to sequence", &tensor.Map{Keys: skeys, Values: seq},
			ir.MapOf(tensor.String, ir.SequenceOf(ir.UnrankedTensor(tensor.Float32)))},
	}
	dir := t.TempDir()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".pb")
			if err := SaveValue(c.v, "val", path); err != nil {
				t.Fatal(err)
			}
			back, err := importer.ReadValue(path, c.want)
			if err != nil {
				t.Fatal(err)
			}
			if d := valueDiff(c.v, back); d != "" {
				t.Errorf("differs after a round trip: %s", d)
			}
		})
	}
	if _, err := EncodeValue(nil, "x"); err == nil {
		t.Errorf("nil value encoded")
	}
	if _, err := EncodeValue(&tensor.Map{Keys: tensor.FromSlice([]float32{1}), Values: tensor.FromSlice([]float32{1})}, "m"); err == nil {
		t.Errorf("float map keys encoded")
	}
}

func TestIRVersionRaisedForNewParts(t *testing.T) {
	f := ir.NewFunc("main")
	x := f.AddParam("x", ir.TensorType(tensor.Float32, 2))
	w := f.AddConst("w", tensor.FromSlice([]float32{1, 2}))
	n := f.NewNode("Add", "", 6, []*ir.Value{x, w}, []string{"y"})
	f.Results = []*ir.Value{n.Outputs[0]}
	m := &ir.Model{Graph: f, Opsets: map[string]int{"": 6}, IRVersion: 3}
	mp, err := ModelProto(m)
	if err != nil {
		t.Fatal(err)
	}
	if mp.GetIrVersion() != 4 {
		t.Errorf("ir_version = %d, want 4: IR 3 lists every initializer as an input", mp.GetIrVersion())
	}
	w.Param = true
	f.Consts, f.Params = nil, append(f.Params, w)
	if mp, _ = ModelProto(m); mp.GetIrVersion() != 3 {
		t.Errorf("ir_version = %d, want 3 kept", mp.GetIrVersion())
	}
}
