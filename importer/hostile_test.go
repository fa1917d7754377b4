package importer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/tensor"
)

// TestHostileModels feeds malformed models to Decode: each must fail with
// an error naming the problem, never panic.
func TestHostileModels(t *testing.T) {
	ext := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.bin"), make([]byte, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.bin"), filepath.Join(ext, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ext, "short.bin"), make([]byte, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	externalInit := func(loc string, extra ...*onnxpb.StringStringEntryProto) *onnxpb.ModelProto {
		m := reluModel()
		tp := &onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{2},
			DataLocation: onnxpb.TensorProto_EXTERNAL.Enum(),
			ExternalData: append([]*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String(loc)}}, extra...)}
		m.Graph.Initializer = append(m.Graph.Initializer, tp)
		return m
	}
	withInit := func(tp *onnxpb.TensorProto) *onnxpb.ModelProto {
		m := reluModel()
		m.Graph.Initializer = append(m.Graph.Initializer, tp)
		return m
	}

	cases := []struct {
		name  string
		data  []byte
		model *onnxpb.ModelProto
		opts  Options
		want  []string // substrings the error must contain
	}{
		{name: "not protobuf", data: []byte("this is not an onnx file \xff\xff\xff"), want: []string{"bad protobuf"}},
		{name: "truncated", data: marshal(t, reluModel())[:20], want: []string{"bad protobuf"}},
		{name: "wrong wire type", data: []byte{0x3a, 0x02, 0x08, 0x01, 0x08}, want: []string{"protobuf"}},
		{name: "no graph", model: &onnxpb.ModelProto{IrVersion: proto.Int64(8)}, want: []string{"no graph"}},
		{name: "future opset", model: model(reluModel().Graph, opset("", 99)),
			want: []string{"opset from the future", `"ai.onnx"`, "99"}},
		{name: "future opset ml", model: model(reluModel().Graph, opset("", 17), opset("ai.onnx.ml", 77)),
			want: []string{"opset from the future", "ai.onnx.ml", "77"}},
		{name: "unknown domain", model: model(reluModel().Graph, opset("", 17), opset("com.example", 1)),
			want: []string{"unknown domain", "com.example"}},
		{name: "bad opset version", model: model(reluModel().Graph, opset("", 0)), want: []string{"invalid version"}},
		{name: "unknown op", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("FrobnicateXYZ", []string{"x"}, []string{"y"}), "frob")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"frob"`, "FrobnicateXYZ", "ai.onnx", "opset 17"}},
		{name: "op too new for opset", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("Gelu", []string{"x"}, []string{"y"}), "gelu")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}), opset("", 13)),
			want: []string{`"gelu"`, "Gelu", "opset 13"}},
		{name: "domain not imported", model: model(graph("g",
			[]*onnxpb.NodeProto{inDomain(node("LabelEncoder", []string{"x"}, []string{"y"}), "ai.onnx.ml")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Int64, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Int64, 2)})),
			want: []string{"ai.onnx.ml", "not imported"}},
		{name: "missing initializer", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("Add", []string{"x", "bias"}, []string{"y"}), "add")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"add"`, `"bias"`, "missing initializer"}},
		{name: "cycle", model: model(graph("g",
			[]*onnxpb.NodeProto{
				named(node("Add", []string{"x", "b"}, []string{"a"}), "n1"),
				named(node("Relu", []string{"a"}, []string{"b"}), "n2"),
			},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("b", tensor.Float32, 2)})),
			want: []string{"cycle"}},
		{name: "self loop", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("Add", []string{"x", "a"}, []string{"a"}), "n1")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("a", tensor.Float32, 2)})),
			want: []string{"cycle", `"n1"`}},
		{name: "defined twice by nodes", model: model(graph("g",
			[]*onnxpb.NodeProto{
				named(node("Relu", []string{"x"}, []string{"y"}), "n1"),
				named(node("Neg", []string{"x"}, []string{"y"}), "n2"),
			},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"y"`, "defined twice", `"n1"`, `"n2"`}},
		{name: "node redefines input", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("Relu", []string{"x"}, []string{"x"}), "n1")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)})),
			want: []string{`"x"`, "defined twice"}},
		{name: "input listed twice", model: model(graph("g",
			[]*onnxpb.NodeProto{node("Relu", []string{"x"}, []string{"y"})},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2), tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"x"`, "defined twice"}},
		{name: "initializer twice", model: withInit2(floatTensor("w", []int64{1}, 1), floatTensor("w", []int64{1}, 2)),
			want: []string{`"w"`, "defined twice"}},
		{name: "undefined output", model: model(graph("g",
			[]*onnxpb.NodeProto{node("Relu", []string{"x"}, []string{"y"})},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("zzz", tensor.Float32, 2)})),
			want: []string{`"zzz"`, "not defined"}},
		{name: "bad elem type", model: model(graph("g",
			[]*onnxpb.NodeProto{node("Relu", []string{"x"}, []string{"y"})},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.DType(77), 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"x"`, "unknown element type 77"}},
		{name: "bad data type", model: withInit(rawTensor("w", tensor.DType(200), []int64{1}, []byte{1})),
			want: []string{`"w"`, "data_type 200"}},
		{name: "undefined data type", model: withInit(rawTensor("w", tensor.Undefined, []int64{1}, []byte{1})),
			want: []string{`"w"`, "data_type 0"}},
		{name: "absurd dims", model: withInit(rawTensor("w", tensor.Float32, []int64{1 << 40, 1 << 40}, nil)),
			want: []string{`"w"`, "too large"}},
		{name: "absurd dims product", model: withInit(rawTensor("w", tensor.Float32, []int64{1 << 20, 1 << 20, 1 << 20}, nil)),
			want: []string{`"w"`, "too large"}},
		{name: "huge dims no data", model: withInit(rawTensor("w", tensor.Float32, []int64{1 << 32}, nil)),
			want: []string{`"w"`, "no data"}},
		{name: "negative dim", model: withInit(rawTensor("w", tensor.Float32, []int64{-3}, nil)),
			want: []string{`"w"`, "negative dimension -3"}},
		{name: "raw data too short", model: withInit(rawTensor("w", tensor.Float32, []int64{4}, make([]byte, 15))),
			want: []string{`"w"`, "16 bytes", "15"}},
		{name: "typed data count", model: withInit(floatTensor("w", []int64{3}, 1, 2)),
			want: []string{`"w"`, "3 values in float_data", "got 2"}},
		{name: "wrong typed field", model: withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{1}, Int64Data: []int64{1}}),
			want: []string{`"w"`, "int64_data"}},
		{name: "packed int4 too short", model: withInit(rawTensor("w", tensor.Int4, []int64{5}, []byte{1, 2})),
			want: []string{`"w"`, "3 bytes of packed"}},
		{name: "segment", model: withInit(&onnxpb.TensorProto{Name: proto.String("w"), DataType: proto.Int32(1), Dims: []int64{1},
			FloatData: []float32{1}, Segment: &onnxpb.TensorProto_Segment{Begin: proto.Int64(0), End: proto.Int64(1)}}),
			want: []string{`"w"`, "segment"}},
		{name: "external absolute", model: externalInit("/etc/passwd"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "absolute path"}},
		{name: "external escaping", model: externalInit("../../etc/passwd"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "escapes the model folder"}},
		{name: "external escaping inside", model: externalInit("a/../../x.bin"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "escapes the model folder"}},
		{name: "external symlink escaping", model: externalInit("link.bin"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "outside the model folder"}},
		{name: "external missing", model: externalInit("nope.bin"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "nope.bin"}},
		{name: "external short file", model: externalInit("short.bin"), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "past the end"}},
		{name: "external bad length", model: externalInit("short.bin", &onnxpb.StringStringEntryProto{Key: proto.String("length"), Value: proto.String("4")}),
			opts: Options{BaseDir: ext}, want: []string{`"w"`, "length 4", "8 bytes"}},
		{name: "external bad offset", model: externalInit("short.bin", &onnxpb.StringStringEntryProto{Key: proto.String("offset"), Value: proto.String("-1")}),
			opts: Options{BaseDir: ext}, want: []string{`"w"`, "bad offset"}},
		{name: "external no location", model: externalInit(""), opts: Options{BaseDir: ext},
			want: []string{`"w"`, "no location"}},
		{name: "attribute without value", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("Relu", []string{"x"}, []string{"y"}, &onnxpb.AttributeProto{Name: proto.String("alpha")}), "r")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"r"`, `"alpha"`, "no type"}},
		{name: "attribute of the wrong type", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("LeakyRelu", []string{"x"}, []string{"y"},
				&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_INT.Enum(), F: proto.Float32(0.5)}), "r")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"r"`, `"alpha"`, "declared int", "float"}},
		{name: "ref outside function", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("LeakyRelu", []string{"x"}, []string{"y"}, refAttr("alpha", "a", onnxpb.AttributeProto_FLOAT)), "r")},
			[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"r"`, "outside a function"}},
		{name: "subgraph missing outer value", model: model(graph("g",
			[]*onnxpb.NodeProto{named(node("If", []string{"c"}, []string{"y"},
				graphAttr("then_branch", graph("then", []*onnxpb.NodeProto{named(node("Relu", []string{"ghost"}, []string{"t"}), "inner")}, nil,
					[]*onnxpb.ValueInfoProto{tensorVI("t", tensor.Float32, 2)})),
				graphAttr("else_branch", graph("else", []*onnxpb.NodeProto{node("Relu", []string{"x"}, []string{"e"})}, nil,
					[]*onnxpb.ValueInfoProto{tensorVI("e", tensor.Float32, 2)}))), "if")},
			[]*onnxpb.ValueInfoProto{tensorVI("c", tensor.Bool), tensorVI("x", tensor.Float32, 2)},
			[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)})),
			want: []string{`"if"`, `"inner"`, `"ghost"`, "not defined"}},
		{name: "deeply nested subgraphs", model: deepModel(2000), want: []string{"nested too deeply"}},
		{name: "exponential inlining", model: explodingFunctionsModel(30), want: []string{"inlining", "more than"}},
		{name: "recursive function", model: recursiveFunctionModel(), want: []string{"calls itself"}},
		{name: "sparse index out of range", model: sparseModel([]int64{0, 7}, []int64{4}),
			want: []string{`"sp"`, "out of range"}},
		{name: "sparse too large", model: sparseModel([]int64{0}, []int64{1 << 30, 1 << 2}),
			want: []string{`"sp"`, "too large"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if c.model != nil {
				data = marshal(t, c.model)
			}
			m, err := Decode(data, c.opts)
			if err == nil {
				t.Fatalf("decoded without error: %v", m)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("error came from a recovered panic: %v", err)
			}
		})
	}
}

func withInit2(a, b *onnxpb.TensorProto) *onnxpb.ModelProto {
	m := reluModel()
	m.Graph.Initializer = append(m.Graph.Initializer, a, b)
	return m
}

func recursiveFunctionModel() *onnxpb.ModelProto {
	m := model(graph("g",
		[]*onnxpb.NodeProto{inDomain(node("F", []string{"x"}, []string{"y"}), "local")},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}), opset("", 17), opset("local", 1))
	m.Functions = []*onnxpb.FunctionProto{{
		Name: proto.String("F"), Domain: proto.String("local"), Input: []string{"a"}, Output: []string{"b"},
		OpsetImport: []*onnxpb.OperatorSetIdProto{opset("", 17), opset("local", 1)},
		Node:        []*onnxpb.NodeProto{inDomain(node("F", []string{"a"}, []string{"b"}), "local")},
	}}
	return m
}

func sparseModel(indices []int64, dims []int64) *onnxpb.ModelProto {
	m := model(graph("g",
		[]*onnxpb.NodeProto{node("Add", []string{"x", "sp"}, []string{"y"})},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 4)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 4)}))
	vals := make([]float32, len(indices))
	for i := range vals {
		vals[i] = float32(i + 1)
	}
	m.Graph.SparseInitializer = []*onnxpb.SparseTensorProto{{
		Values:  floatTensor("sp", []int64{int64(len(vals))}, vals...),
		Indices: &onnxpb.TensorProto{DataType: proto.Int32(int32(tensor.Int64)), Dims: []int64{int64(len(indices))}, Int64Data: indices},
		Dims:    dims,
	}}
	return m
}

// deepModel nests n If nodes, each in the then-branch of the one before.
func deepModel(n int) *onnxpb.ModelProto {
	leaf := graph("leaf", []*onnxpb.NodeProto{node("Identity", []string{"x"}, []string{"y0"})}, nil,
		[]*onnxpb.ValueInfoProto{tensorVI("y0", tensor.Float32, 2)})
	g := leaf
	for i := 1; i <= n; i++ {
		out := "y" + strconv.Itoa(i)
		g = graph("level", []*onnxpb.NodeProto{node("If", []string{"c"}, []string{out},
			graphAttr("then_branch", g), graphAttr("else_branch", leaf))}, nil,
			[]*onnxpb.ValueInfoProto{tensorVI(out, tensor.Float32, 2)})
	}
	g.Input = []*onnxpb.ValueInfoProto{tensorVI("c", tensor.Bool), tensorVI("x", tensor.Float32, 2)}
	return model(g)
}

// explodingFunctionsModel defines F0..Fn where each Fi calls Fi+1 twice.
func explodingFunctionsModel(n int) *onnxpb.ModelProto {
	m := model(graph("g",
		[]*onnxpb.NodeProto{inDomain(node("F0", []string{"x"}, []string{"y"}), "local")},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}), opset("", 17), opset("local", 1))
	for i := 0; i < n; i++ {
		next := "F" + strconv.Itoa(i+1)
		m.Functions = append(m.Functions, &onnxpb.FunctionProto{
			Name: proto.String("F" + strconv.Itoa(i)), Domain: proto.String("local"), Input: []string{"a"}, Output: []string{"c"},
			OpsetImport: []*onnxpb.OperatorSetIdProto{opset("", 17), opset("local", 1)},
			Node: []*onnxpb.NodeProto{
				inDomain(node(next, []string{"a"}, []string{"b"}), "local"),
				inDomain(node(next, []string{"b"}, []string{"c"}), "local"),
			},
		})
	}
	m.Functions = append(m.Functions, &onnxpb.FunctionProto{
		Name: proto.String("F" + strconv.Itoa(n)), Domain: proto.String("local"), Input: []string{"a"}, Output: []string{"c"},
		OpsetImport: []*onnxpb.OperatorSetIdProto{opset("", 17)},
		Node:        []*onnxpb.NodeProto{node("Relu", []string{"a"}, []string{"c"})},
	})
	return m
}
