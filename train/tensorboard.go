package train

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"time"
)

// TensorBoard event files are TFRecord files: each record is the data
// length (uint64, little-endian), the masked CRC32C of those 8 bytes, the
// data, and the masked CRC32C of the data. The data is an Event protocol
// buffer; the few fields written here are encoded by hand:
//
//	Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//	Summary { repeated Value value = 1; }
//	Value   { string tag = 1; float simple_value = 2; }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// maskedCRC is TFRecord's masked CRC32C.
func maskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return (c>>15 | c<<17) + 0xa282ead8
}

// EventWriter appends scalar summaries to a TensorBoard event file.
type EventWriter struct {
	f    *os.File
	path string
}

// NewEventWriter creates an event file in dir, named as TensorBoard
// expects (events.out.tfevents.<seconds>.<host>), and writes the file
// version record.
func NewEventWriter(dir string) (*EventWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	now := time.Now()
	path := filepath.Join(dir, fmt.Sprintf("events.out.tfevents.%d.%s", now.Unix(), host))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	w := &EventWriter{f: f, path: path}
	ev := appendDouble(nil, 1, float64(now.UnixNano())/1e9)
	ev = appendBytes(ev, 3, []byte("brain.Event:2"))
	if err := w.record(ev); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Path returns the event file's path.
func (w *EventWriter) Path() string { return w.path }

// Scalar appends one scalar value of tag at step.
func (w *EventWriter) Scalar(tag string, step int64, v float64, wall time.Time) error {
	val := appendBytes(nil, 1, []byte(tag))
	val = appendFloat(val, 2, float32(v))
	summary := appendBytes(nil, 1, val)
	ev := appendDouble(nil, 1, float64(wall.UnixNano())/1e9)
	ev = appendVarintField(ev, 2, uint64(step))
	ev = appendBytes(ev, 5, summary)
	return w.record(ev)
}

// Close closes the file.
func (w *EventWriter) Close() error { return w.f.Close() }

func (w *EventWriter) record(data []byte) error {
	rec := make([]byte, 0, len(data)+16)
	rec = binary.LittleEndian.AppendUint64(rec, uint64(len(data)))
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(rec[:8]))
	rec = append(rec, data...)
	rec = binary.LittleEndian.AppendUint32(rec, maskedCRC(data))
	_, err := w.f.Write(rec)
	return err
}

func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// Protocol buffer wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited,
// 5 fixed 32-bit.
func appendVarintField(b []byte, field int, v uint64) []byte {
	return appendVarint(appendVarint(b, uint64(field)<<3), v)
}

func appendDouble(b []byte, field int, v float64) []byte {
	b = appendVarint(b, uint64(field)<<3|1)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
}

func appendFloat(b []byte, field int, v float32) []byte {
	b = appendVarint(b, uint64(field)<<3|5)
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}
