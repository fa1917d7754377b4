package nn

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/tensor"
)

// stFile assembles a safetensors file from a header string and data.
func stFile(header string, data []byte) []byte {
	var b bytes.Buffer
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	b.Write(n[:])
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func TestSafetensorsKnownBytes(t *testing.T) {
	// Two tensors laid out by hand: an F32 [2] of 1.0, -2.0 and an I64
	// scalar 7, in reverse order of offsets in the header.
	data := []byte{
		0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // 1.0, -2.0
		7, 0, 0, 0, 0, 0, 0, 0,
	}
	h := `{"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	ts, meta, err := DecodeSafetensors(stFile(h, data))
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].Name != "a" || ts[1].Name != "b" || meta["k"] != "v" {
		t.Fatalf("got %v %v", ts, meta)
	}
	if a := ts[0].T.Float32s(); a[0] != 1 || a[1] != -2 {
		t.Fatalf("a = %v", a)
	}
	if ts[1].T.Rank() != 0 || ts[1].T.Int64s()[0] != 7 {
		t.Fatalf("b = %v", ts[1].T)
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	ts := []Tensor{
		{"w", tensor.FromSlice([]float32{1.5, -2, 3, 4, 5, 6}, 2, 3)},
		{"d", tensor.FromSlice([]float64{1e300, -0.25})},
		{"i", tensor.FromSlice([]int64{-1, 1 << 40}, 2, 1)},
		{"s", tensor.Scalar(int32(-9))},
		{"u", tensor.FromSlice([]uint8{0, 255})},
		{"b", tensor.FromSlice([]bool{true, false, true})},
		{"e", tensor.New(tensor.Float32, 0, 4)},
	}
	path := filepath.Join(t.TempDir(), "x.safetensors")
	meta := map[string]string{"epoch": "3", "note": "quoted \" and\nnewline"}
	if err := WriteSafetensors(path, ts, meta); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if n := binary.LittleEndian.Uint64(raw); n%8 != 0 {
		t.Fatalf("header length %d is not a multiple of 8", n)
	}
	got, gm, err := ReadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if gm["note"] != meta["note"] || gm["epoch"] != "3" {
		t.Fatalf("metadata %v", gm)
	}
	if len(got) != len(ts) {
		t.Fatalf("%d tensors, want %d", len(got), len(ts))
	}
	for i := range ts {
		if got[i].Name != ts[i].Name || got[i].T.DType() != ts[i].T.DType() || !sameShape(got[i].T.Shape(), ts[i].T.Shape()) ||
			!bytes.Equal(got[i].T.Bytes(), ts[i].T.Bytes()) {
			t.Fatalf("tensor %d: got %s %v, want %s %v", i, got[i].Name, got[i].T, ts[i].Name, ts[i].T)
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries", len(entries))
	}
}

func TestSafetensorsRejects(t *testing.T) {
	f32 := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "too short"},
		{"huge header", stFile("", nil)[:0:0], "too short"},
		{"header past end", append([]byte{0xff, 0, 0, 0, 0, 0, 0, 0}, '{', '}'), "exceeds"},
		{"not an object", stFile(`[]`, nil), "'{'"},
		{"bad json", stFile(`{"a":`, nil), "header"},
		{"unknown dtype", stFile(`{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}`, f32), "unknown dtype"},
		{"missing field", stFile(`{"a":{"dtype":"F32","shape":[2]}}`, f32), "required"},
		{"unknown field", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, f32), "unknown field"},
		{"duplicate", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32), "twice"},
		{"size mismatch", stFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32), "needs 12 bytes"},
		{"gap", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32), "tile"},
		{"overlap", stFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32), "tile"},
		{"past data", stFile(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, f32), "past the data"},
		{"trailing", stFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32), "after the last"},
		{"negative dim", stFile(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, f32), "invalid dimension"},
		{"reversed offsets", stFile(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, f32), "begin"},
		{"bad bool", stFile(`{"a":{"dtype":"BOOL","shape":[8],"data_offsets":[0,8]}}`, []byte{0, 1, 2, 0, 0, 0, 0, 0}), "bool"},
		{"bad metadata", stFile(`{"__metadata__":{"a":1}}`, nil), "metadata"},
		{"two objects", stFile(`{}{}`, nil), "after the header"},
		{"overflow", stFile(`{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, f32), "too large"},
	}
	for _, c := range cases {
		_, _, err := DecodeSafetensors(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, []byte{1}, 0o644)
	if _, _, err := ReadSafetensors(path); err == nil || !strings.Contains(err.Error(), "bad.safetensors") {
		t.Errorf("file error does not name the file: %v", err)
	}
}

func FuzzReadSafetensors(f *testing.F) {
	var b bytes.Buffer
	EncodeSafetensors(&b, []Tensor{{"w", tensor.FromSlice([]float32{1, 2}, 2)}, {"n", tensor.Scalar(int64(3))}}, map[string]string{"a": "b"})
	f.Add(b.Bytes())
	f.Add(stFile(`{"a":{"dtype":"BOOL","shape":[1],"data_offsets":[0,1]}}`, []byte{1}))
	f.Add(stFile(`{}`, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, meta, err := DecodeSafetensors(data)
		if err != nil {
			return
		}
		// What decodes re-encodes to a file that decodes the same.
		var out bytes.Buffer
		if err := EncodeSafetensors(&out, ts, meta); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		ts2, _, err := DecodeSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("decode of re-encoded file: %v", err)
		}
		if len(ts2) != len(ts) {
			t.Fatalf("%d tensors after round trip, had %d", len(ts2), len(ts))
		}
		for i := range ts {
			if ts[i].Name != ts2[i].Name || !bytes.Equal(ts[i].T.Bytes(), ts2[i].T.Bytes()) {
				t.Fatalf("tensor %q changed in the round trip", ts[i].Name)
			}
		}
	})
}
