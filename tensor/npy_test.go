package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var npyTypes = []DType{Float16, Float32, Float64, Int8, Int16, Int32, Int64,
	Uint8, Uint16, Uint32, Uint64, Bool, Complex64, Complex128}

// randomTensor fills a tensor with random bytes (0/1 for BOOL).
func randomTensor(rng *rand.Rand, dt DType, shape ...int) *Tensor {
	t := New(dt, shape...)
	rng.Read(t.Bytes())
	if dt == Bool {
		for i, b := range t.Bytes() {
			t.Bytes()[i] = b & 1
		}
	}
	return t
}

func sameTensor(a, b *Tensor) bool {
	return a.DType() == b.DType() && reflect.DeepEqual(a.Shape(), b.Shape()) && bytes.Equal(a.Bytes(), b.Bytes())
}

// onlyReader hides everything but Read, so ReadNpy cannot learn the size.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestNpyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, dt := range npyTypes {
		for _, shape := range [][]int{{2, 3}, {}, {0}, {5}, {2, 0, 3}, {1, 2, 3, 4}} {
			src := randomTensor(rng, dt, shape...)
			var buf bytes.Buffer
			if err := WriteNpy(&buf, src); err != nil {
				t.Fatalf("WriteNpy %s%v: %v", dt, shape, err)
			}
			data := buf.Bytes()
			if !bytes.HasPrefix(data, []byte("\x93NUMPY\x01\x00")) {
				t.Fatalf("%s%v: bad preamble %q", dt, shape, data[:8])
			}
			hlen := int(binary.LittleEndian.Uint16(data[8:10]))
			if (10+hlen)%64 != 0 || data[10+hlen-1] != '\n' {
				t.Errorf("%s%v: header of %d bytes is not padded to 64 with a final newline", dt, shape, hlen)
			}
			if len(data) != 10+hlen+len(src.Bytes()) {
				t.Errorf("%s%v: file of %d bytes", dt, shape, len(data))
			}
			for _, r := range []io.Reader{bytes.NewReader(data), onlyReader{bytes.NewReader(data)}} {
				got, err := ReadNpy(r)
				if err != nil {
					t.Fatalf("ReadNpy %s%v: %v", dt, shape, err)
				}
				if !sameTensor(got, src) {
					t.Errorf("%s%v: round trip gave %v", dt, shape, got)
				}
			}
		}
	}
}

// The header numpy writes for np.array([1, 2, 3], dtype='<i4').
func TestNpyHeaderLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteNpy(&buf, FromSlice([]int32{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	dict := "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }"
	want := "\x93NUMPY\x01\x00\x76\x00" + dict + strings.Repeat(" ", 118-len(dict)-1) + "\n" +
		"\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00"
	if buf.String() != want {
		t.Errorf("WriteNpy =\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	if err := WriteNpy(&buf, Scalar(3.5)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'descr': '<f8', 'fortran_order': False, 'shape': (), }") {
		t.Errorf("scalar header: %q", buf.String())
	}
	buf.Reset()
	if err := WriteNpy(&buf, New(Uint8, 2, 3)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }") {
		t.Errorf("2-d header: %q", buf.String())
	}
}

func TestWriteNpyUnsupported(t *testing.T) {
	for _, dt := range []DType{BFloat16, Float8E4M3FN, Float8E5M2, Float8E8M0, Float4E2M1, Int4, Uint4, Int2, Uint2} {
		if err := WriteNpy(io.Discard, New(dt, 2)); err == nil {
			t.Errorf("WriteNpy(%s): no error", dt)
		}
	}
	s, _ := FromStrings([]int{1}, []string{"a"})
	if err := WriteNpy(io.Discard, s); err == nil {
		t.Error("WriteNpy(STRING): no error")
	}
}

// npyFile builds a file by hand: version, header dict (padded here) and data.
func npyFile(major byte, dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	lenBytes := 2
	if major > 1 {
		lenBytes = 4
	}
	total := 8 + lenBytes + len(dict) + 1
	pad := (64 - total%64) % 64
	hlen := len(dict) + pad + 1
	if lenBytes == 2 {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	}
	b.WriteString(dict)
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

func readNpyBytes(t *testing.T, data []byte) *Tensor {
	t.Helper()
	got, err := ReadNpy(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ReadNpy: %v", err)
	}
	got2, err := ReadNpy(onlyReader{bytes.NewReader(data)})
	if err != nil {
		t.Fatalf("ReadNpy (plain reader): %v", err)
	}
	if !sameTensor(got, got2) {
		t.Fatalf("readers disagree: %v vs %v", got, got2)
	}
	return got
}

func TestReadNpyVariants(t *testing.T) {
	// Big-endian data.
	got := readNpyBytes(t, npyFile(1, "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }",
		[]byte{0, 0, 0, 1, 0, 0, 1, 0}))
	if !reflect.DeepEqual(got.Int32s(), []int32{1, 256}) {
		t.Errorf(">i4 = %v", got.Int32s())
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",
		[]byte{0x3f, 0xf8, 0, 0, 0, 0, 0, 0}))
	if !reflect.DeepEqual(got.Float64s(), []float64{1.5}) {
		t.Errorf(">f8 = %v", got.Float64s())
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '>c8', 'fortran_order': False, 'shape': (1,), }",
		[]byte{0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0}))
	if !reflect.DeepEqual(Data[complex64](got), []complex64{1 - 2i}) {
		t.Errorf(">c8 = %v", Data[complex64](got))
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '>u2', 'fortran_order': False, 'shape': (2,), }",
		[]byte{0x12, 0x34, 0xab, 0xcd}))
	if !reflect.DeepEqual(Data[uint16](got), []uint16{0x1234, 0xabcd}) {
		t.Errorf(">u2 = %x", Data[uint16](got))
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }",
		[]byte{0x3c, 0x00}))
	if got.DType() != Float16 || Data[uint16](got)[0] != 0x3c00 {
		t.Errorf(">f2 = %v", got)
	}
	// Version 2.0 and 3.0 headers, double quotes, other key order, no
	// trailing comma, Python 2 long suffixes, '|' and '=' byte orders.
	got = readNpyBytes(t, npyFile(2, `{"shape": (2L, 1L), "fortran_order": False, "descr": "<i2"}`,
		[]byte{1, 0, 2, 0}))
	if !reflect.DeepEqual(got.Shape(), []int{2, 1}) || !reflect.DeepEqual(Data[int16](got), []int16{1, 2}) {
		t.Errorf("v2 = %v", got)
	}
	got = readNpyBytes(t, npyFile(3, "{'descr':'|i1','fortran_order':False,'shape':(3,)}", []byte{0xff, 1, 0x80}))
	if !reflect.DeepEqual(Data[int8](got), []int8{-1, 1, -128}) {
		t.Errorf("v3 = %v", got)
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{0, 1, 7}))
	if !reflect.DeepEqual(got.Bools(), []bool{false, true, true}) || got.Bytes()[2] != 1 {
		t.Errorf("b1 = %v", got.Bytes())
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '<u8', 'fortran_order': False, 'shape': ( ), }", make([]byte, 8)))
	if got.Rank() != 0 || got.Len() != 1 {
		t.Errorf("scalar = %v", got)
	}
}

func TestReadNpyFortran(t *testing.T) {
	// A 2×3 array [[1 2 3] [4 5 6]] stored column by column.
	var data []byte
	for _, v := range []int16{1, 4, 2, 5, 3, 6} {
		data = binary.LittleEndian.AppendUint16(data, uint16(v))
	}
	got := readNpyBytes(t, npyFile(1, "{'descr': '<i2', 'fortran_order': True, 'shape': (2, 3), }", data))
	if !reflect.DeepEqual(got.Shape(), []int{2, 3}) || !reflect.DeepEqual(Data[int16](got), []int16{1, 2, 3, 4, 5, 6}) {
		t.Errorf("fortran 2x3 = %v", got)
	}
	// 2×3×4 with value 100i+10j+k, first index fastest in the file.
	data = nil
	for k := range 4 {
		for j := range 3 {
			for i := range 2 {
				data = binary.BigEndian.AppendUint32(data, uint32(100*i+10*j+k))
			}
		}
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3, 4), }", data))
	var want []int32
	for i := range 2 {
		for j := range 3 {
			for k := range 4 {
				want = append(want, int32(100*i+10*j+k))
			}
		}
	}
	if !reflect.DeepEqual(got.Shape(), []int{2, 3, 4}) || !reflect.DeepEqual(got.Int32s(), want) {
		t.Errorf("fortran 2x3x4 = %v", got.Int32s())
	}
	got = readNpyBytes(t, npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (0, 3), }", nil))
	if !reflect.DeepEqual(got.Shape(), []int{0, 3}) {
		t.Errorf("fortran empty = %v", got)
	}
}

func TestReadNpyErrors(t *testing.T) {
	ok := "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
	data8 := make([]byte, 8)
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"bad magic", append([]byte("\x93NUMPZ\x01\x00"), npyFile(1, ok, data8)[8:]...)},
		{"version 4", append([]byte("\x93NUMPY\x04\x00"), npyFile(1, ok, data8)[8:]...)},
		{"version 1.1", append([]byte("\x93NUMPY\x01\x01"), npyFile(1, ok, data8)[8:]...)},
		{"short header length", []byte("\x93NUMPY\x01\x00\x10")},
		{"truncated header", npyFile(1, ok, nil)[:40]},
		{"huge v2 header", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f{")},
		{"truncated data", npyFile(1, ok, data8[:7])},
		{"no data", npyFile(1, ok, nil)},
		{"not a dict", npyFile(1, "['descr', '<f4']", data8)},
		{"unterminated string", npyFile(1, "{'descr: '<f4'}", data8)},
		{"missing shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False, }", data8)},
		{"missing descr", npyFile(1, "{'fortran_order': False, 'shape': (2,), }", data8)},
		{"extra key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", data8)},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data8)},
		{"bad fortran", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data8)},
		{"negative dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data8)},
		{"float dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", data8)},
		{"list shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", data8)},
		{"unclosed shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", data8)},
		{"huge dim", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", data8)},
		{"too many elements", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", data8)},
		{"too many bytes", npyFile(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (17179869184,), }", data8)},
		{"huge shape, short data", npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8589934592,), }", data8)},
		{"string dtype", npyFile(1, "{'descr': '<U5', 'fortran_order': False, 'shape': (2,), }", data8)},
		{"void dtype", npyFile(1, "{'descr': '<V2', 'fortran_order': False, 'shape': (2,), }", data8)},
		{"bfloat16 dtype", npyFile(1, "{'descr': 'bfloat16', 'fortran_order': False, 'shape': (2,), }", data8)},
		{"structured dtype", npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", data8)},
		{"escape", npyFile(1, "{'descr': '<f\\4', 'fortran_order': False, 'shape': (2,), }", data8)},
		{"trailing text", npyFile(1, ok+" x", data8)},
	}
	for _, tc := range tests {
		for _, r := range []io.Reader{bytes.NewReader(tc.data), onlyReader{bytes.NewReader(tc.data)}} {
			if got, err := ReadNpy(r); err == nil {
				t.Errorf("%s: no error, got %v", tc.name, got)
			}
		}
	}
	// Truncation is reported as such.
	_, err := ReadNpy(onlyReader{bytes.NewReader(npyFile(1, ok, data8[:7]))})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated data: %v, want ErrUnexpectedEOF", err)
	}
	_, err = ReadNpy(bytes.NewReader(npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (8589934592,), }", data8)))
	if err == nil || !strings.Contains(err.Error(), "needs") {
		t.Errorf("huge shape: %v", err)
	}
	_, err = ReadNpy(bytes.NewReader(npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536, 65536), }", data8)))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("too many elements: %v, want ErrTooLarge", err)
	}
}

// ReadNpy stops at the end of the array: what follows stays in the reader.
func TestReadNpyLeavesTrailingData(t *testing.T) {
	var buf bytes.Buffer
	WriteNpy(&buf, FromSlice([]float32{1, 2}))
	WriteNpy(&buf, FromSlice([]int64{7}))
	r := onlyReader{&buf}
	a, err := ReadNpy(r)
	if err != nil || !reflect.DeepEqual(a.Float32s(), []float32{1, 2}) {
		t.Fatalf("first array: %v, %v", a, err)
	}
	b, err := ReadNpy(r)
	if err != nil || !reflect.DeepEqual(b.Int64s(), []int64{7}) {
		t.Fatalf("second array: %v, %v", b, err)
	}
}

func TestSaveLoadNpy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	a := FromSlice([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	if err := SaveNpy(path, a); err != nil {
		t.Fatal(err)
	}
	got, err := LoadNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameTensor(got, a) {
		t.Errorf("LoadNpy = %v", got)
	}
	// Saving again replaces the file and leaves no temporary behind.
	b := FromSlice([]int8{-1, 2})
	if err := SaveNpy(path, b); err != nil {
		t.Fatal(err)
	}
	if got, err = LoadNpy(path); err != nil || !sameTensor(got, b) {
		t.Errorf("LoadNpy after overwrite = %v, %v", got, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "x.npy" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v", names)
	}
	// A failed save leaves the old file alone and no temporary.
	if err := SaveNpy(path, New(BFloat16, 1)); err == nil {
		t.Error("SaveNpy(BFLOAT16): no error")
	}
	if got, err = LoadNpy(path); err != nil || !sameTensor(got, b) {
		t.Errorf("LoadNpy after failed save = %v, %v", got, err)
	}
	if entries, _ = os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed save left %d files", len(entries))
	}
	if _, err := LoadNpy(filepath.Join(dir, "missing.npy")); err == nil {
		t.Error("LoadNpy(missing): no error")
	}
	if err := SaveNpy(filepath.Join(dir, "no", "such", "dir.npy"), a); err == nil {
		t.Error("SaveNpy into a missing folder: no error")
	}
	// A truncated file on disk fails before allocating its claimed size.
	trunc := filepath.Join(dir, "t.npy")
	os.WriteFile(trunc, npyFile(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }", make([]byte, 16)), 0o644)
	if _, err := LoadNpy(trunc); err == nil {
		t.Error("LoadNpy(truncated): no error")
	}
}

func FuzzReadNpy(f *testing.F) {
	rng := rand.New(rand.NewSource(2))
	for _, tc := range []struct {
		dt    DType
		shape []int
	}{{Float32, []int{2, 3}}, {Int64, []int{}}, {Bool, []int{4}}, {Complex128, []int{1, 2}}, {Float16, []int{0}}, {Uint16, []int{3, 1}}} {
		var buf bytes.Buffer
		if err := WriteNpy(&buf, randomTensor(rng, tc.dt, tc.shape...)); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add(npyFile(2, `{"shape": (2L, 1L), "fortran_order": True, "descr": ">i2"}`, []byte{1, 0, 2, 0}))
	f.Add(npyFile(3, "{'descr':'>c8','fortran_order':True,'shape':(1, 2)}", make([]byte, 16)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, errA := ReadNpy(bytes.NewReader(data))
		b, errB := ReadNpy(onlyReader{bytes.NewReader(data)})
		if (errA == nil) != (errB == nil) {
			t.Fatalf("readers disagree: %v vs %v", errA, errB)
		}
		if errA != nil {
			return
		}
		if !sameTensor(a, b) {
			t.Fatalf("readers disagree: %v vs %v", a, b)
		}
		var buf bytes.Buffer
		if err := WriteNpy(&buf, a); err != nil {
			t.Fatalf("WriteNpy of a read array: %v", err)
		}
		c, err := ReadNpy(&buf)
		if err != nil {
			t.Fatalf("re-reading: %v", err)
		}
		if !sameTensor(a, c) {
			t.Fatalf("re-read differs: %v vs %v", a, c)
		}
	})
}
