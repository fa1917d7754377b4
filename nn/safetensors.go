package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/onyxgo/onyx/tensor"
)

// The safetensors format: an 8-byte little-endian header length n, n bytes
// of JSON (an object mapping each tensor name to its dtype, shape and
// [begin, end) byte offsets into the data, plus an optional
// "__metadata__" object of strings), then the raw little-endian data. The
// offsets must tile the data exactly: no gaps, no overlaps.

// maxSafetensorsHeader bounds the JSON header, as the reference reader
// does.
const maxSafetensorsHeader = 100 << 20

var stDTypes = map[string]tensor.DType{
	"F64": tensor.Float64, "F32": tensor.Float32, "F16": tensor.Float16, "BF16": tensor.BFloat16,
	"I64": tensor.Int64, "I32": tensor.Int32, "I16": tensor.Int16, "I8": tensor.Int8,
	"U64": tensor.Uint64, "U32": tensor.Uint32, "U16": tensor.Uint16, "U8": tensor.Uint8,
	"BOOL": tensor.Bool, "F8_E4M3": tensor.Float8E4M3FN, "F8_E5M2": tensor.Float8E5M2,
}

func stName(dt tensor.DType) (string, bool) {
	for k, v := range stDTypes {
		if v == dt {
			return k, true
		}
	}
	return "", false
}

// EncodeSafetensors writes tensors, in the given order, and metadata in
// the safetensors format.
func EncodeSafetensors(w io.Writer, ts []Tensor, meta map[string]string) error {
	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if len(meta) > 0 {
		comma()
		m, err := json.Marshal(meta)
		if err != nil {
			return fmt.Errorf("safetensors: metadata: %w", err)
		}
		h.WriteString(`"__metadata__":`)
		h.Write(m)
	}
	seen := map[string]bool{}
	var off int
	for _, t := range ts {
		if t.Name == "" || t.Name == "__metadata__" || seen[t.Name] {
			return fmt.Errorf("safetensors: invalid or repeated tensor name %q", t.Name)
		}
		seen[t.Name] = true
		dt, ok := stName(t.T.DType())
		if !ok {
			return fmt.Errorf("safetensors: tensor %q: element type %s has no safetensors name", t.Name, t.T.DType())
		}
		comma()
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(t.T.Shape())
		if t.T.Rank() == 0 {
			shape = []byte("[]")
		}
		n := len(t.T.Bytes())
		fmt.Fprintf(&h, `%s:{"dtype":"%s","shape":%s,"data_offsets":[%d,%d]}`, name, dt, shape, off, off+n)
		off += n
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(h.Len()))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(h.Bytes()); err != nil {
		return err
	}
	for _, t := range ts {
		if _, err := w.Write(t.T.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// WriteSafetensors writes a safetensors file atomically: to a temporary
// file in the same folder, then renamed over path.
func WriteSafetensors(path string, ts []Tensor, meta map[string]string) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return EncodeSafetensors(w, ts, meta) })
}

// WriteFileAtomic writes a file through write into a temporary file beside
// path, syncs it and renames it over path, so that path holds either the
// old or the new content, never a part.
func WriteFileAtomic(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

type stEntry struct {
	name       string
	dtype      tensor.DType
	shape      []int
	begin, end uint64
}

// DecodeSafetensors parses and validates a safetensors file held in data:
// the header length, the JSON (no repeated names, no unknown fields, known
// dtypes, sizes matching shapes) and offsets that tile the data exactly.
// Tensors come back in the order of their offsets.
func DecodeSafetensors(data []byte) ([]Tensor, map[string]string, error) {
	if len(data) < 8 {
		return nil, nil, fmt.Errorf("safetensors: %d bytes is too short for the header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxSafetensorsHeader || n > uint64(len(data)-8) {
		return nil, nil, fmt.Errorf("safetensors: header length %d exceeds the file (%d bytes) or the %d-byte limit", n, len(data), maxSafetensorsHeader)
	}
	header := data[8 : 8+n]
	body := data[8+n:]
	if len(header) == 0 || header[0] != '{' {
		return nil, nil, fmt.Errorf("safetensors: header does not start with '{'")
	}
	entries, meta, err := parseSTHeader(header)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: header: %w", err)
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].begin != entries[j].begin {
			return entries[i].begin < entries[j].begin
		}
		return entries[i].end < entries[j].end
	})
	var pos uint64
	out := make([]Tensor, 0, len(entries))
	for _, e := range entries {
		if e.begin != pos {
			return nil, nil, fmt.Errorf("safetensors: tensor %q starts at byte %d, expected %d (offsets must tile the data)", e.name, e.begin, pos)
		}
		if e.end > uint64(len(body)) {
			return nil, nil, fmt.Errorf("safetensors: tensor %q ends at byte %d, past the data (%d bytes)", e.name, e.end, len(body))
		}
		if err := tensor.CheckSize(e.dtype, e.shape); err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", e.name, err)
		}
		count, _ := tensor.NumElements(e.shape)
		if want := uint64(count) * uint64(e.dtype.Size()); e.end-e.begin != want {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %s%v needs %d bytes, offsets give %d", e.name, e.dtype, e.shape, want, e.end-e.begin)
		}
		raw := body[e.begin:e.end]
		if e.dtype == tensor.Bool {
			for _, b := range raw {
				if b > 1 {
					return nil, nil, fmt.Errorf("safetensors: tensor %q: bool byte %d is neither 0 nor 1", e.name, b)
				}
			}
		}
		t, err := tensor.FromBytes(e.dtype, e.shape, raw)
		if err != nil {
			return nil, nil, fmt.Errorf("safetensors: tensor %q: %w", e.name, err)
		}
		out = append(out, Tensor{Name: e.name, T: t})
		pos = e.end
	}
	if pos != uint64(len(body)) {
		return nil, nil, fmt.Errorf("safetensors: %d bytes of data after the last tensor", uint64(len(body))-pos)
	}
	return out, meta, nil
}

// parseSTHeader reads the header object token by token, so that repeated
// keys are caught (a map would silently keep the last).
func parseSTHeader(h []byte) ([]stEntry, map[string]string, error) {
	d := json.NewDecoder(bytes.NewReader(h))
	d.UseNumber()
	if err := expectDelim(d, '{'); err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	var entries []stEntry
	var meta map[string]string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, nil, fmt.Errorf("expected a name, found %v", tok)
		}
		if seen[name] {
			return nil, nil, fmt.Errorf("name %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return nil, nil, fmt.Errorf("__metadata__: %w", err)
			}
			if err := decodeStrict(raw, &meta); err != nil {
				return nil, nil, fmt.Errorf("__metadata__ must map strings to strings: %w", err)
			}
			continue
		}
		if name == "" {
			return nil, nil, fmt.Errorf("empty tensor name")
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		var info struct {
			DType       *string   `json:"dtype"`
			Shape       *[]int64  `json:"shape"`
			DataOffsets *[]uint64 `json:"data_offsets"`
		}
		if err := decodeStrict(raw, &info); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if info.DType == nil || info.Shape == nil || info.DataOffsets == nil {
			return nil, nil, fmt.Errorf("tensor %q: dtype, shape and data_offsets are all required", name)
		}
		dt, ok := stDTypes[*info.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q: unknown dtype %q", name, *info.DType)
		}
		shape := make([]int, len(*info.Shape))
		for i, s := range *info.Shape {
			if s < 0 || s > tensor.MaxElements {
				return nil, nil, fmt.Errorf("tensor %q: invalid dimension %d", name, s)
			}
			shape[i] = int(s)
		}
		offs := *info.DataOffsets
		if len(offs) != 2 || offs[0] > offs[1] {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets %v must be [begin, end] with begin ≤ end", name, offs)
		}
		entries = append(entries, stEntry{name: name, dtype: dt, shape: shape, begin: offs[0], end: offs[1]})
	}
	if err := expectDelim(d, '}'); err != nil {
		return nil, nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("data after the header object")
	}
	return entries, meta, nil
}

func expectDelim(d *json.Decoder, c json.Delim) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != c {
		return fmt.Errorf("expected %v, found %v", c, tok)
	}
	return nil
}

func decodeStrict(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

// ReadSafetensors reads and validates a safetensors file.
func ReadSafetensors(path string) ([]Tensor, map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	ts, meta, err := DecodeSafetensors(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, meta, nil
}
