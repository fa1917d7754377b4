package cli

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/onyxgo/onyx/tensor"
)

// The .npy format (numpy's own array file): a magic string, a version, a
// header that is a Python dict literal with 'descr', 'fortran_order' and
// 'shape', padded so the data starts 64-byte aligned, then the elements in
// C order.

const npyMagic = "\x93NUMPY"

var npyDescr = map[string]tensor.DType{
	"<f4": tensor.Float32, "<f8": tensor.Float64, "<f2": tensor.Float16,
	"|i1": tensor.Int8, "|u1": tensor.Uint8, "<i2": tensor.Int16, "<u2": tensor.Uint16,
	"<i4": tensor.Int32, "<u4": tensor.Uint32, "<i8": tensor.Int64, "<u8": tensor.Uint64,
	"|b1": tensor.Bool, "<c8": tensor.Complex64, "<c16": tensor.Complex128,
}

// readNpy decodes a .npy file holding one little-endian, C-ordered array.
func readNpy(data []byte) (*tensor.Tensor, error) {
	if len(data) < 10 || string(data[:6]) != npyMagic {
		return nil, fmt.Errorf("not a .npy file (bad magic)")
	}
	major := data[6]
	var hlen, off int
	switch major {
	case 1:
		hlen, off = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, fmt.Errorf(".npy header truncated")
		}
		hlen, off = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return nil, fmt.Errorf(".npy version %d.%d not supported", major, data[7])
	}
	if hlen < 0 || off+hlen > len(data) {
		return nil, fmt.Errorf(".npy header of %d bytes runs past the end of the file", hlen)
	}
	descr, fortran, shape, err := parseNpyHeader(string(data[off : off+hlen]))
	if err != nil {
		return nil, err
	}
	body := data[off+hlen:]
	// Single-byte types may be written with either byte-order mark.
	switch descr {
	case "<i1", "=i1", "|i1":
		descr = "|i1"
	case "<u1", "=u1", "|u1":
		descr = "|u1"
	case "<b1", "=b1", "|b1":
		descr = "|b1"
	}
	dt, ok := npyDescr[descr]
	if !ok {
		return nil, fmt.Errorf(".npy element type %q not supported (want a little-endian numeric or bool type)", descr)
	}
	if fortran {
		return nil, fmt.Errorf(".npy arrays in Fortran order are not supported; save with numpy.ascontiguousarray")
	}
	n, err := tensor.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if err := tensor.CheckSize(dt, shape); err != nil {
		return nil, err
	}
	if len(body) != n*dt.Size() {
		return nil, fmt.Errorf(".npy data holds %d bytes, %s%v needs %d", len(body), dt, shape, n*dt.Size())
	}
	return tensor.FromBytes(dt, shape, body)
}

// parseNpyHeader reads the dict literal of a .npy header, e.g.
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
func parseNpyHeader(h string) (descr string, fortran bool, shape []int, err error) {
	h = strings.TrimSpace(h)
	if !strings.HasPrefix(h, "{") || !strings.HasSuffix(h, "}") {
		return "", false, nil, fmt.Errorf(".npy header is not a dict: %q", h)
	}
	field := func(key string) (string, bool) {
		i := strings.Index(h, "'"+key+"'")
		if i < 0 {
			return "", false
		}
		rest := strings.TrimSpace(h[i+len(key)+2:])
		if !strings.HasPrefix(rest, ":") {
			return "", false
		}
		return strings.TrimSpace(rest[1:]), true
	}
	d, ok := field("descr")
	if !ok || !strings.HasPrefix(d, "'") {
		return "", false, nil, fmt.Errorf(".npy header lacks 'descr': %q", h)
	}
	end := strings.IndexByte(d[1:], '\'')
	if end < 0 {
		return "", false, nil, fmt.Errorf(".npy header: bad 'descr': %q", h)
	}
	descr = d[1 : 1+end]
	if f, ok := field("fortran_order"); ok {
		fortran = strings.HasPrefix(f, "True")
	}
	s, ok := field("shape")
	if !ok || !strings.HasPrefix(s, "(") {
		return "", false, nil, fmt.Errorf(".npy header lacks 'shape': %q", h)
	}
	rp := strings.IndexByte(s, ')')
	if rp < 0 {
		return "", false, nil, fmt.Errorf(".npy header: bad 'shape': %q", h)
	}
	shape = []int{}
	for _, p := range strings.Split(s[1:rp], ",") {
		p = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p), "L"))
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return "", false, nil, fmt.Errorf(".npy header: bad dim %q in shape", p)
		}
		shape = append(shape, v)
	}
	return descr, fortran, shape, nil
}

// writeNpy encodes a tensor as a version 1.0 .npy file.
func writeNpy(w io.Writer, t *tensor.Tensor) error {
	descr := ""
	for d, dt := range npyDescr {
		if dt == t.DType() {
			descr = d
		}
	}
	if descr == "" {
		return fmt.Errorf("element type %s has no .npy equivalent", t.DType())
	}
	var shape strings.Builder
	shape.WriteByte('(')
	for i, d := range t.Shape() {
		if i > 0 {
			shape.WriteString(", ")
		}
		shape.WriteString(strconv.Itoa(d))
	}
	if t.Rank() == 1 {
		shape.WriteByte(',')
	}
	shape.WriteByte(')')
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape.String())
	// Pad with spaces and a newline so that magic+version+len+header is a
	// multiple of 64 bytes.
	total := len(npyMagic) + 2 + 2 + len(header) + 1
	pad := (64 - total%64) % 64
	header += strings.Repeat(" ", pad) + "\n"
	if len(header) > 0xffff {
		return fmt.Errorf(".npy header too long")
	}
	var buf bytes.Buffer
	buf.WriteString(npyMagic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	buf.Write(t.Bytes())
	_, err := w.Write(buf.Bytes())
	return err
}
