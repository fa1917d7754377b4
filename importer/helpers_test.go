package importer

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/tensor"
)

// Builders of small ModelProtos for the tests.

func opset(domain string, v int64) *onnxpb.OperatorSetIdProto {
	return &onnxpb.OperatorSetIdProto{Domain: proto.String(domain), Version: proto.Int64(v)}
}

func tensorVI(name string, dt tensor.DType, dims ...int64) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnxpb.TensorShapeProto_Dimension{
			Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(dt)), Shape: shape}}}}
}

func node(op string, in, out []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: proto.String(op), Input: in, Output: out, Attribute: attrs}
}

func named(n *onnxpb.NodeProto, name string) *onnxpb.NodeProto {
	n.Name = proto.String(name)
	return n
}

func inDomain(n *onnxpb.NodeProto, d string) *onnxpb.NodeProto {
	n.Domain = proto.String(d)
	return n
}

func intAttr(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func floatAttr(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func graphAttr(name string, g *onnxpb.GraphProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: g}
}

func refAttr(name, ref string, t onnxpb.AttributeProto_AttributeType) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: t.Enum(), RefAttrName: proto.String(ref)}
}

func rawTensor(name string, dt tensor.DType, dims []int64, raw []byte) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(dt)), Dims: dims, RawData: raw}
}

func floatTensor(name string, dims []int64, vals ...float32) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(tensor.Float32)), Dims: dims, FloatData: vals}
}

func graph(name string, nodes []*onnxpb.NodeProto, in, out []*onnxpb.ValueInfoProto, inits ...*onnxpb.TensorProto) *onnxpb.GraphProto {
	return &onnxpb.GraphProto{Name: proto.String(name), Node: nodes, Input: in, Output: out, Initializer: inits}
}

func model(g *onnxpb.GraphProto, opsets ...*onnxpb.OperatorSetIdProto) *onnxpb.ModelProto {
	if len(opsets) == 0 {
		opsets = []*onnxpb.OperatorSetIdProto{opset("", 17)}
	}
	return &onnxpb.ModelProto{IrVersion: proto.Int64(8), OpsetImport: opsets, Graph: g}
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reluModel is a valid one-node model: y = Relu(x).
func reluModel() *onnxpb.ModelProto {
	return model(graph("g",
		[]*onnxpb.NodeProto{named(node("Relu", []string{"x"}, []string{"y"}), "relu")},
		[]*onnxpb.ValueInfoProto{tensorVI("x", tensor.Float32, 2)},
		[]*onnxpb.ValueInfoProto{tensorVI("y", tensor.Float32, 2)}))
}
