package misc

import (
	"math"
	"reflect"
	"testing"
)

// numpy: np.random.seed(0); np.random.random_sample(5)
func TestMT19937MatchesNumpyLegacy(t *testing.T) {
	want := []float64{0.5488135039273248, 0.7151893663724195, 0.6027633760716439, 0.5448831829968969, 0.4236547993389047}
	m := newMT19937(0)
	for i, w := range want {
		if got := m.Float64(); math.Abs(got-w) > 1e-15 {
			t.Fatalf("draw %d = %.16g, want %.16g", i, got, w)
		}
	}
	// np.random.seed(0); np.random.randn(2)
	g := &legacyGauss{m: newMT19937(0)}
	for i, w := range []float64{1.764052345967664, 0.4001572083672233} {
		if got := g.NormFloat64(); math.Abs(got-w) > 1e-14 {
			t.Fatalf("normal draw %d = %.16g, want %.16g", i, got, w)
		}
	}
}

func TestSplitSpace(t *testing.T) {
	tests := []struct {
		in    string
		limit int
		want  []string
	}{
		{"  a  b c ", -1, []string{"a", "b", "c"}},
		{"", -1, nil},
		{"a b c d", 2, []string{"a", "b", "c d"}},
		{"\ta\n", -1, []string{"a"}},
	}
	for _, tc := range tests {
		if got := splitSpace(tc.in, tc.limit); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitSpace(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

func TestDecodePNM(t *testing.T) {
	img, err := decodePNM([]byte("P6\n# comment\n2 1\n255\n\x01\x02\x03\x04\x05\x06"))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b := rgb8(img.At(1, 0)); r != 4 || g != 5 || b != 6 {
		t.Errorf("pixel (1,0) = %d,%d,%d, want 4,5,6", r, g, b)
	}
	if _, err := decodePNM([]byte("P6\n99999 99999\n255\n")); err == nil {
		t.Error("a PNM of 10^10 pixels was accepted")
	}
	if _, err := decodePNM([]byte("P6\n2 2\n255\n\x01")); err == nil {
		t.Error("truncated pixels were accepted")
	}
}
