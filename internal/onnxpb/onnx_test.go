package onnxpb

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// testdataDir returns the onnx-tests folder: $ONNX_TESTDATA when set,
// otherwise the checkout's shared copy next to the repository root.
func testdataDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ONNX_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "onnx-tests")
	}
	if _, err := os.Stat(filepath.Join(dir, "node")); err != nil {
		t.Skipf("ONNX test data not found at %s", dir)
	}
	return dir
}

func loadModel(t *testing.T, path string) *ModelProto {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := &ModelProto{}
	if err := (proto.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(b, m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestAbsModel(t *testing.T) {
	dir := testdataDir(t)
	m := loadModel(t, filepath.Join(dir, "node", "test_abs", "model.onnx"))

	if m.GetIrVersion() < 3 {
		t.Errorf("ir_version = %d, want >= 3", m.GetIrVersion())
	}
	nodes := m.GetGraph().GetNode()
	if len(nodes) != 1 || nodes[0].GetOpType() != "Abs" {
		t.Fatalf("graph nodes = %v, want a single Abs node", nodes)
	}
	if got := nodes[0].GetInput(); len(got) != 1 || got[0] != "x" {
		t.Errorf("Abs inputs = %q, want [x]", got)
	}
	var opset int64 = -1
	for _, imp := range m.GetOpsetImport() {
		if imp.GetDomain() == "" || imp.GetDomain() == "ai.onnx" {
			opset = imp.GetVersion()
		}
	}
	if opset < 1 {
		t.Errorf("default-domain opset = %d, want >= 1", opset)
	}
	in := m.GetGraph().GetInput()
	if len(in) != 1 || in[0].GetType().GetTensorType().GetElemType() != int32(TensorProto_FLOAT) {
		t.Errorf("graph input = %v, want one float tensor", in)
	}
}

// unknownPaths appends the field path of every message under msg that
// carries fields this schema does not know.
func unknownPaths(msg protoreflect.Message, path string, out []string) []string {
	if len(msg.GetUnknown()) > 0 {
		out = append(out, path)
	}
	msg.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		name := path + "." + string(fd.Name())
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				out = unknownPaths(l.Get(i).Message(), name, out)
			}
		} else if !fd.IsMap() {
			out = unknownPaths(v.Message(), name, out)
		}
		return true
	})
	return out
}

// TestNodeModelsDecodeCompletely decodes every node-test model and checks
// that no message anywhere holds unknown fields, which would reveal a
// missing or misnumbered field in onnx.proto.
func TestNodeModelsDecodeCompletely(t *testing.T) {
	dir := testdataDir(t)
	var files, withUnknown int
	err := filepath.WalkDir(filepath.Join(dir, "node"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "model.onnx" {
			return err
		}
		files++
		m := loadModel(t, p)
		if paths := unknownPaths(m.ProtoReflect(), "ModelProto", nil); len(paths) > 0 {
			withUnknown++
			t.Errorf("%s: unknown fields in %s", p, strings.Join(paths, ", "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files == 0 {
		t.Fatal("no model.onnx files found under node/")
	}
	t.Logf("decoded %d models, %d with unknown fields", files, withUnknown)
}

// TestUnknownPathsDetects makes sure the completeness check above is not
// vacuous: a field number absent from the schema must be reported.
func TestUnknownPathsDetects(t *testing.T) {
	node := &NodeProto{OpType: proto.String("Abs")}
	b, err := proto.Marshal(&ModelProto{Graph: &GraphProto{Node: []*NodeProto{node}}})
	if err != nil {
		t.Fatal(err)
	}
	if paths := unknownPaths(mustModel(t, b).ProtoReflect(), "ModelProto", nil); len(paths) != 0 {
		t.Fatalf("unexpected unknown fields in %v", paths)
	}
	// Field 99 (varint 1) is not part of NodeProto.
	node.ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01})
	b, err = proto.Marshal(&ModelProto{Graph: &GraphProto{Node: []*NodeProto{node}}})
	if err != nil {
		t.Fatal(err)
	}
	paths := unknownPaths(mustModel(t, b).ProtoReflect(), "ModelProto", nil)
	if len(paths) != 1 || paths[0] != "ModelProto.graph.node" {
		t.Fatalf("unknown field paths = %v, want [ModelProto.graph.node]", paths)
	}
}

func mustModel(t *testing.T, b []byte) *ModelProto {
	t.Helper()
	m := &ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	return m
}
