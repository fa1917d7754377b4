package tensor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"
)

// The .npy format (numpy's NEP 1): the magic "\x93NUMPY", a major and minor
// version byte, the header length (2 bytes little-endian in version 1.0, 4
// in 2.0 and 3.0), then the header, a Python dict literal such as
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
// spaces to a multiple of 64 bytes overall and ending in '\n', then the raw
// elements.

const npyMagic = "\x93NUMPY"

// maxNpyHeader bounds the header length accepted on read; real headers of
// the types onyx reads are well under a kilobyte.
const maxNpyHeader = 1 << 16

// nativeBigEndian reports the byte order of this machine, which is the
// order of a Tensor's buffer.
var nativeBigEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 0
}()

// npyKinds maps numpy's kind letter and item size to a DType.
var npyKinds = map[string]DType{
	"f2": Float16, "f4": Float32, "f8": Float64,
	"i1": Int8, "i2": Int16, "i4": Int32, "i8": Int64,
	"u1": Uint8, "u2": Uint16, "u4": Uint32, "u8": Uint64,
	"b1": Bool, "c8": Complex64, "c16": Complex128,
}

// npyDescr returns numpy's descr of dt in native byte order.
func npyDescr(dt DType) (string, error) {
	if int(dt) >= len(dtypes) || dtypes[dt].npy == "" {
		return "", fmt.Errorf("tensor: numpy has no %s type", dt)
	}
	d := dtypes[dt].npy
	if nativeBigEndian && d[0] == '<' {
		d = ">" + d[1:]
	}
	return d, nil
}

// WriteNpy writes t in .npy format (version 1.0, or 2.0 when the header
// needs it), C order, in this machine's byte order. Types numpy lacks
// (BFLOAT16, float8, float4, 4- and 2-bit integers, STRING) are an error.
func WriteNpy(w io.Writer, t *Tensor) error {
	descr, err := npyDescr(t.dtype)
	if err != nil {
		return err
	}
	var shape strings.Builder
	shape.WriteByte('(')
	for i, d := range t.shape {
		if i > 0 {
			shape.WriteString(", ")
		}
		shape.WriteString(strconv.Itoa(d))
	}
	if len(t.shape) == 1 {
		shape.WriteByte(',')
	}
	shape.WriteByte(')')
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape.String())

	// Pad so that the data starts at a multiple of 64 bytes; switch to
	// version 2.0's 4-byte length when the header outgrows 2 bytes.
	version, lenBytes := byte(1), 2
	hlen := npyPaddedLen(len(dict), lenBytes)
	if hlen > 0xffff {
		version, lenBytes = 2, 4
		hlen = npyPaddedLen(len(dict), lenBytes)
	}
	pad := hlen - len(dict) - 1

	var head bytes.Buffer
	head.WriteString(npyMagic)
	head.WriteByte(version)
	head.WriteByte(0)
	if lenBytes == 2 {
		binary.Write(&head, binary.LittleEndian, uint16(hlen))
	} else {
		binary.Write(&head, binary.LittleEndian, uint32(hlen))
	}
	head.WriteString(dict)
	head.WriteString(strings.Repeat(" ", pad))
	head.WriteByte('\n')
	if _, err := w.Write(head.Bytes()); err != nil {
		return err
	}
	_, err = w.Write(t.buf)
	return err
}

// npyPaddedLen is the header length (dict, padding and '\n') that makes
// the preamble a multiple of 64 bytes.
func npyPaddedLen(dictLen, lenBytes int) int {
	total := len(npyMagic) + 2 + lenBytes + dictLen + 1
	return dictLen + 1 + (64-total%64)%64
}

// ReadNpy reads one array in .npy format, versions 1.0, 2.0 and 3.0, of
// types f2, f4, f8, i1-i8, u1-u8, b1, c8 and c16 in either byte order, in
// C or Fortran order (a Fortran-order array is transposed into C order).
// It reads exactly the header and the data, nothing past them.
//
// Hostile input gives an error, not a panic: the header length is bounded,
// the shape is checked with CheckSize, and the data is allocated only as
// it arrives (or after checking the remaining size, for readers that tell
// it), so a short file claiming a huge shape allocates little.
func ReadNpy(r io.Reader) (*Tensor, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("tensor: npy: reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != npyMagic {
		return nil, errors.New("tensor: npy: not a .npy file (bad magic)")
	}
	major, minor := pre[6], pre[7]
	var hlen int
	switch {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("tensor: npy: reading header length: %w", noEOF(err))
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("tensor: npy: reading header length: %w", noEOF(err))
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxNpyHeader {
			return nil, fmt.Errorf("tensor: npy: header of %d bytes exceeds the limit of %d", n, maxNpyHeader)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("tensor: npy: unsupported format version %d.%d", major, minor)
	}
	header := make([]byte, hlen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("tensor: npy: reading header: %w", noEOF(err))
	}
	h, err := parseNpyHeader(string(header))
	if err != nil {
		return nil, err
	}
	dt, swap, err := parseNpyDescr(h.descr)
	if err != nil {
		return nil, err
	}
	if err := CheckSize(dt, h.shape); err != nil {
		return nil, fmt.Errorf("tensor: npy: %w", err)
	}
	n, _ := NumElements(h.shape)
	size := int64(n) * int64(dt.Size())

	// Read the data: straight into the tensor when the reader tells how
	// much is left, otherwise in growing chunks so that only data actually
	// present is ever allocated.
	dataShape := h.shape
	if h.fortran {
		dataShape = reversed(h.shape)
	}
	var t *Tensor
	if left, ok := remaining(r); ok {
		if left < size {
			return nil, fmt.Errorf("tensor: npy: %s%v needs %d bytes of data, the file has %d", dt, h.shape, size, left)
		}
		if t, err = Alloc(dt, dataShape); err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(r, t.buf); err != nil {
			return nil, fmt.Errorf("tensor: npy: reading data: %w", noEOF(err))
		}
	} else {
		data, err := readGrowing(r, size)
		if err != nil {
			return nil, fmt.Errorf("tensor: npy: %s%v needs %d bytes of data: %w", dt, h.shape, size, err)
		}
		if t, err = FromBytes(dt, dataShape, data); err != nil {
			return nil, err
		}
	}
	if swap {
		swapBytes(t)
	}
	if dt == Bool {
		for i, b := range t.buf {
			t.buf[i] = boolByte(b != 0)
		}
	}
	if h.fortran && len(h.shape) > 1 {
		t = reverseAxes(t, h.shape)
	}
	return t, nil
}

// noEOF turns a clean EOF into ErrUnexpectedEOF: inside a file, running
// out of bytes is always a truncation.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// remaining reports how many bytes r has left, when r can tell.
func remaining(r io.Reader) (int64, bool) {
	switch v := r.(type) {
	case interface{ Len() int }: // bytes.Reader, bytes.Buffer, strings.Reader
		return int64(v.Len()), true
	case io.Seeker:
		cur, err := v.Seek(0, io.SeekCurrent)
		if err != nil {
			return 0, false
		}
		end, err := v.Seek(0, io.SeekEnd)
		if err != nil {
			return 0, false
		}
		if _, err := v.Seek(cur, io.SeekStart); err != nil {
			return 0, false
		}
		return end - cur, true
	}
	return 0, false
}

// readGrowing reads exactly size bytes, growing its buffer as data arrives.
func readGrowing(r io.Reader, size int64) ([]byte, error) {
	const chunk = 1 << 20
	buf := make([]byte, 0, min(size, chunk))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) < size {
				return nil, fmt.Errorf("file has %d: %w", len(buf), io.ErrUnexpectedEOF)
			}
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
}

// parseNpyHeader reads the header dict. It accepts exactly the keys descr,
// fortran_order and shape, in any order, with Python's literal syntax for
// their values.
func parseNpyHeader(s string) (*npyHeader, error) {
	p := &npyParser{s: s}
	h := &npyHeader{}
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return nil, p.errorf("expected '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, p.errorf("duplicate key %q", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return nil, p.errorf("expected ':'")
		}
		p.space()
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
				h.fortran = false
			default:
				return nil, p.errorf("fortran_order must be True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf("unexpected key %q", key)
		}
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat('}') {
			return nil, p.errorf("expected ',' or '}'")
		}
		break
	}
	p.space()
	if p.i != len(p.s) {
		return nil, p.errorf("unexpected text after the header dict")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return nil, errors.New("tensor: npy: header lacks descr, fortran_order or shape")
	}
	return h, nil
}

type npyParser struct {
	s string
	i int
}

func (p *npyParser) errorf(format string, args ...any) error {
	return fmt.Errorf("tensor: npy: header at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *npyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *npyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *npyParser) word(w string) bool {
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a quoted string without escapes.
func (p *npyParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("expected a string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", p.errorf("escapes in strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple reads a tuple of non-negative integers, such as (), (3,) or (2, 3).
func (p *npyParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errorf("shape must be a tuple")
	}
	shape := []int{}
	for {
		p.space()
		if p.eat(')') {
			return shape, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if p.i == start {
			return nil, p.errorf("shape dims must be non-negative integers")
		}
		d, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || d > MaxElements {
			return nil, p.errorf("shape dim %s is too large", p.s[start:p.i])
		}
		p.eat('L') // Python 2 long suffix, in files from old numpy
		shape = append(shape, int(d))
		p.space()
		if p.eat(',') {
			continue
		}
		p.space()
		if !p.eat(')') {
			return nil, p.errorf("expected ',' or ')' in shape")
		}
		return shape, nil
	}
}

// parseNpyDescr maps a numpy descr such as "<f4" to a DType, and reports
// whether the data's byte order differs from this machine's.
func parseNpyDescr(d string) (DType, bool, error) {
	order := byte('=')
	if d != "" && strings.IndexByte("<>|=", d[0]) >= 0 {
		order, d = d[0], d[1:]
	}
	dt, ok := npyKinds[d]
	if !ok {
		return Undefined, false, fmt.Errorf("tensor: npy: unsupported dtype %q", d)
	}
	big := nativeBigEndian
	switch order {
	case '<':
		big = false
	case '>':
		big = true
	}
	return dt, dt.Size() > 1 && big != nativeBigEndian, nil
}

// swapBytes reverses the bytes of each scalar in t's buffer (each part of
// a complex value separately).
func swapBytes(t *Tensor) {
	w := t.dtype.Size()
	if t.dtype.IsComplex() {
		w /= 2
	}
	b := t.buf
	for i := 0; i+w <= len(b); i += w {
		for l, r := i, i+w-1; l < r; l, r = l+1, r-1 {
			b[l], b[r] = b[r], b[l]
		}
	}
}

func reversed(s []int) []int {
	r := make([]int, len(s))
	for i, d := range s {
		r[len(s)-1-i] = d
	}
	return r
}

// reverseAxes turns t, of shape reversed(shape), into its transpose of
// shape shape: the C-order form of a Fortran-order array.
func reverseAxes(t *Tensor, shape []int) *Tensor {
	out := New(t.dtype, shape...)
	n := t.Len()
	if n == 0 {
		return out
	}
	es := t.dtype.Size()
	rank := len(shape)
	// Source strides: t is C-ordered with shape reversed, so axis k of the
	// output (size shape[k]) is axis rank-1-k of the source.
	srcStrides := Strides(t.shape)
	stride := make([]int, rank)
	for k := range rank {
		stride[k] = srcStrides[rank-1-k]
	}
	idx := make([]int, rank)
	src := 0
	for o := range n {
		copy(out.buf[o*es:(o+1)*es], t.buf[src*es:(src+1)*es])
		for k := rank - 1; k >= 0; k-- {
			idx[k]++
			src += stride[k]
			if idx[k] < shape[k] {
				break
			}
			src -= stride[k] * shape[k]
			idx[k] = 0
		}
	}
	return out
}

// LoadNpy reads a .npy file.
func LoadNpy(path string) (*Tensor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	t, err := ReadNpy(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// SaveNpy writes t to a .npy file atomically: it writes a temporary file in
// the same folder and renames it over path, so readers see either the old
// file or the whole new one.
func SaveNpy(path string, t *Tensor) (err error) {
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
	if err = WriteNpy(f, t); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
