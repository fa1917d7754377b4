package tensor

import "fmt"

// subBytePerByte returns how many elements of dt one packed byte holds: 2
// for the 4-bit types, 4 for the 2-bit ones, 0 for any other type.
func subBytePerByte(dt DType) int {
	switch dt {
	case Int4, Uint4, Float4E2M1:
		return 2
	case Int2, Uint2:
		return 4
	}
	return 0
}

// PackedLen returns the number of bytes n elements of dt take packed:
// ceil(n/2) for the 4-bit types, ceil(n/4) for the 2-bit ones, n for the
// others (String excepted).
func PackedLen(dt DType, n int) int {
	k := subBytePerByte(dt)
	if k == 0 {
		return n * dt.Size()
	}
	return n/k + min(n%k, 1)
}

// PackSubByte packs unpacked sub-byte elements (one per byte, as a Tensor
// holds them) into ONNX's wire form: two 4-bit values per byte for INT4,
// UINT4 and FLOAT4E2M1, the first element in the low nibble; four 2-bit
// values per byte for INT2 and UINT2, the first element in the lowest two
// bits. Only the low bits of each value are used; unused bits of the last
// byte are zero. For other types it returns a copy of vals.
func PackSubByte(dt DType, vals []byte) []byte {
	k := subBytePerByte(dt)
	if k == 0 {
		return append([]byte{}, vals...)
	}
	bits := 8 / k
	mask := byte(1)<<bits - 1
	out := make([]byte, PackedLen(dt, len(vals)))
	for i, v := range vals {
		out[i/k] |= (v & mask) << (bits * (i % k))
	}
	return out
}

// UnpackSubByte unpacks n elements of sub-byte type dt from ONNX's packed
// wire form (see PackSubByte), one element per byte, sign-extending INT4
// and INT2 values (so INT4 0xf becomes 0xff, -1). Bytes past the ones the n
// elements need are ignored. It fails when dt is not a sub-byte type, n is
// negative or packed is too short.
func UnpackSubByte(dt DType, packed []byte, n int) ([]byte, error) {
	k := subBytePerByte(dt)
	if k == 0 {
		return nil, fmt.Errorf("tensor: UnpackSubByte: %s is not a sub-byte type", dt)
	}
	if n < 0 {
		return nil, fmt.Errorf("tensor: UnpackSubByte: negative count %d", n)
	}
	if need := PackedLen(dt, n); len(packed) < need {
		return nil, fmt.Errorf("tensor: UnpackSubByte: %d %s elements need %d bytes, got %d", n, dt, need, len(packed))
	}
	bits := 8 / k
	mask := byte(1)<<bits - 1
	signed := dt == Int4 || dt == Int2
	out := make([]byte, n)
	for i := range out {
		v := packed[i/k] >> (bits * (i % k)) & mask
		if signed {
			v = byte(WrapSubByte(dt, int64(v)))
		}
		out[i] = v
	}
	return out, nil
}
