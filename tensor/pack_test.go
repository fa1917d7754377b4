package tensor

import (
	"bytes"
	"math/rand"
	"testing"
)

func TestPackSubByte(t *testing.T) {
	tests := []struct {
		dt       DType
		vals     []int8 // unpacked, as a Tensor holds them
		packed   []byte
		unpacked []byte // what UnpackSubByte gives back
	}{
		// Two per byte, first in the low nibble; odd counts pad with zero.
		{Int4, []int8{1, -1, 7, -8, 3}, []byte{0xf1, 0x87, 0x03}, []byte{1, 0xff, 7, 0xf8, 3}},
		{Uint4, []int8{1, 2, 3}, []byte{0x21, 0x03}, []byte{1, 2, 3}},
		{Uint4, []int8{15, 0}, []byte{0x0f}, []byte{15, 0}},
		{Float4E2M1, []int8{0x7, 0xf, 0x8, 0x1}, []byte{0xf7, 0x18}, []byte{0x7, 0xf, 0x8, 0x1}},
		// Four per byte, first in the lowest two bits.
		{Int2, []int8{1, -1, -2, 0, 1}, []byte{0x01 | 0x3<<2 | 0x2<<4, 0x01}, []byte{1, 0xff, 0xfe, 0, 1}},
		{Uint2, []int8{3, 2, 1, 0, 3, 3}, []byte{0x1b, 0x0f}, []byte{3, 2, 1, 0, 3, 3}},
		{Int4, []int8{}, []byte{}, []byte{}},
	}
	for _, tc := range tests {
		vals := make([]byte, len(tc.vals))
		for i, v := range tc.vals {
			vals[i] = byte(v)
		}
		got := PackSubByte(tc.dt, vals)
		if !bytes.Equal(got, tc.packed) {
			t.Errorf("PackSubByte(%s, %v) = %x, want %x", tc.dt, tc.vals, got, tc.packed)
		}
		if n := PackedLen(tc.dt, len(vals)); n != len(tc.packed) {
			t.Errorf("PackedLen(%s, %d) = %d, want %d", tc.dt, len(vals), n, len(tc.packed))
		}
		un, err := UnpackSubByte(tc.dt, tc.packed, len(tc.vals))
		if err != nil {
			t.Errorf("UnpackSubByte(%s, %x): %v", tc.dt, tc.packed, err)
		} else if !bytes.Equal(un, tc.unpacked) {
			t.Errorf("UnpackSubByte(%s, %x) = %x, want %x", tc.dt, tc.packed, un, tc.unpacked)
		}
	}
}

func TestUnpackSubByteErrors(t *testing.T) {
	if _, err := UnpackSubByte(Int4, []byte{0x11}, 3); err == nil {
		t.Error("3 int4 from 1 byte: no error")
	}
	if _, err := UnpackSubByte(Uint2, []byte{0x11}, 5); err == nil {
		t.Error("5 uint2 from 1 byte: no error")
	}
	if _, err := UnpackSubByte(Int4, nil, -1); err == nil {
		t.Error("negative count: no error")
	}
	if _, err := UnpackSubByte(Int8, []byte{1}, 1); err == nil {
		t.Error("INT8: no error")
	}
	if _, err := UnpackSubByte(Int4, nil, 1<<62); err == nil {
		t.Error("huge count: no error")
	}
	// Longer input is fine: the extra bytes are ignored.
	if got, err := UnpackSubByte(Uint4, []byte{0x21, 0x43}, 2); err != nil || !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("UnpackSubByte with spare bytes = %x, %v", got, err)
	}
}

func TestPackSubByteRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, dt := range []DType{Int4, Uint4, Float4E2M1, Int2, Uint2} {
		for n := range 40 {
			vals := make([]byte, n)
			for i := range vals {
				switch dt {
				case Int4:
					vals[i] = byte(int8(rng.Intn(16) - 8))
				case Int2:
					vals[i] = byte(int8(rng.Intn(4) - 2))
				case Uint2:
					vals[i] = byte(rng.Intn(4))
				default:
					vals[i] = byte(rng.Intn(16))
				}
			}
			packed := PackSubByte(dt, vals)
			un, err := UnpackSubByte(dt, packed, n)
			if err != nil || !bytes.Equal(un, vals) {
				t.Fatalf("%s n=%d: %x -> %x -> %x (%v)", dt, n, vals, packed, un, err)
			}
		}
	}
	if got := PackSubByte(Uint8, []byte{1, 2}); !bytes.Equal(got, []byte{1, 2}) {
		t.Errorf("PackSubByte(UINT8) = %x", got)
	}
}
