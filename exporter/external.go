package exporter

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/onyxgo/onyx/internal/onnxpb"
	"github.com/onyxgo/onyx/ir"
)

// maxProtoBytes is the largest message protobuf can encode (2 GiB). A
// model whose encoding would pass it (less a margin for the graph itself)
// is saved with its large tensors in an external data file.
const maxProtoBytes = 2<<30 - 64<<20

// ExternalOptions say how SaveExternal moves tensor data out of the model
// file.
type ExternalOptions struct {
	// Threshold is the smallest tensor, in bytes, that goes to the data
	// file; 0 means 1 KiB.
	Threshold int
	// DataFile names the data file, relative to the model's folder; ""
	// means the model's file name with ".data" appended.
	DataFile string
}

// SaveExternal writes m to path with the data of its large initializers
// in a separate file beside it (ONNX external data: location, offset and
// length per tensor, each tensor aligned to 64 bytes). Both files are
// written atomically: the data file first, then the model that refers to
// it. Models of any size can be saved this way.
func SaveExternal(m *ir.Model, path string, o ExternalOptions) error {
	mp, err := ModelProto(m)
	if err != nil {
		return err
	}
	if o.Threshold <= 0 {
		o.Threshold = 1 << 10
	}
	if o.DataFile == "" {
		o.DataFile = filepath.Base(path) + ".data"
	}
	if filepath.IsAbs(o.DataFile) || filepath.Base(o.DataFile) != o.DataFile {
		return fmt.Errorf("exporter: data file %q must be a plain file name beside the model", o.DataFile)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+o.DataFile+".tmp*")
	if err != nil {
		return fmt.Errorf("exporter: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("exporter: %s: %w", filepath.Join(dir, o.DataFile), err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var offset int64
	var place func(g *onnxpb.GraphProto) error
	place = func(g *onnxpb.GraphProto) error {
		for _, t := range g.Initializer {
			if len(t.RawData) < o.Threshold {
				continue
			}
			if pad := (64 - offset%64) % 64; pad > 0 {
				if _, err := w.Write(make([]byte, pad)); err != nil {
					return err
				}
				offset += pad
			}
			if _, err := w.Write(t.RawData); err != nil {
				return err
			}
			t.ExternalData = []*onnxpb.StringStringEntryProto{
				{Key: proto.String("location"), Value: proto.String(o.DataFile)},
				{Key: proto.String("offset"), Value: proto.String(strconv.FormatInt(offset, 10))},
				{Key: proto.String("length"), Value: proto.String(strconv.Itoa(len(t.RawData)))},
			}
			t.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			offset += int64(len(t.RawData))
			t.RawData = nil
		}
		for _, n := range g.Node {
			for _, a := range n.Attribute {
				if a.G != nil {
					if err := place(a.G); err != nil {
						return err
					}
				}
				for _, sg := range a.Graphs {
					if err := place(sg); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := place(mp.Graph); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("exporter: %s: %w", path, err)
	}
	if len(data) > maxProtoBytes {
		os.Remove(tmp)
		return fmt.Errorf("exporter: %s: the graph alone is %d bytes, past protobuf's 2 GiB limit", path, len(data))
	}
	if err := os.Rename(tmp, filepath.Join(dir, o.DataFile)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("exporter: %w", err)
	}
	return writeAtomic(path, data)
}

// constBytes estimates the bytes of tensor data a model's encoding holds.
func constBytes(m *ir.Model) int64 {
	var n int64
	var walk func(f *ir.Func)
	walk = func(f *ir.Func) {
		for _, c := range f.Consts {
			if c.Const != nil {
				n += int64(len(c.Const.Bytes()))
			}
		}
		for _, p := range f.Params {
			if p.Const != nil {
				n += int64(len(p.Const.Bytes()))
			}
		}
		for _, nd := range f.Nodes {
			for _, g := range nd.Subgraphs() {
				walk(g)
			}
		}
	}
	if m.Graph != nil {
		walk(m.Graph)
	}
	return n
}
