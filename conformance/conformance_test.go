package conformance

import (
	"context"
	"flag"
	"hash/fnv"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/onyxgo/onyx/backends/cpu"
)

var update = flag.Bool("update", false, "rewrite expected/<backend>.txt with the cases that pass")

// lightTimeout bounds one case in the suite tests. It is generous: the
// light cases are whole CNNs on 224×224 inputs, slow on a busy machine,
// and a timeout would read as a regression.
const lightTimeout = 10 * time.Minute

// testData returns the folder of the ONNX backend test data: $ONNX_TESTDATA,
// else ../shared/onnx-tests beside the repository.
func testData(t *testing.T) string {
	dir := os.Getenv("ONNX_TESTDATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "onnx-tests")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("no ONNX test data at %s (set ONNX_TESTDATA): %v", dir, err)
	}
	return dir
}

// inShortSubset picks about one case in eight, by a hash of its name, so
// that -short runs a stable sample of every category but light.
func inShortSubset(name string) bool {
	h := fnv.New32a()
	h.Write([]byte(name))
	return h.Sum32()%8 == 0
}

func TestConformanceCPU(t *testing.T) { runConformance(t, "cpu") }

// runConformance runs the suite on backend and checks it against the
// manifest expected/<backend>.txt: a listed case that does not pass is a
// regression and fails the test; a passing case not listed is logged.
// With -update the manifest is rewritten from the run instead.
func runConformance(t *testing.T, backend string) {
	root := testData(t)
	if *update && testing.Short() {
		t.Fatal("-update needs the whole suite; drop -short")
	}
	cases, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		kept := cases[:0]
		for _, c := range cases {
			if c.Category != "light" && inShortSubset(c.Name) {
				kept = append(kept, c)
			}
		}
		cases = kept
	}
	manifest := filepath.Join("expected", backend+".txt")
	expected := map[string]bool{}
	if !*update {
		names, err := ReadManifest(manifest)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, n := range names {
			expected[n] = true
		}
	}

	start := time.Now()
	// Light cases go first so that the long ones overlap the many short.
	sort.SliceStable(cases, func(i, j int) bool { return cases[i].Category == "light" && cases[j].Category != "light" })
	o := Options{Backend: backend, Timeout: lightTimeout}
	results := RunAll(context.Background(), cases, o, runtime.GOMAXPROCS(0), nil)
	rep := NewReport(backend, results)
	t.Logf("%s: %d cases in %s: %s", backend, len(cases), time.Since(start).Round(time.Millisecond), rep.Summary())
	for _, c := range rep.Categories() {
		t.Logf("  %-18s %4d passed of %4d", c.Category, c.Passed, c.Total())
	}

	if *update {
		if err := WriteManifest(manifest, backend, rep.PassedNames()); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d cases", manifest, rep.Passed)
		return
	}
	known, err := ReadKnownFailures(filepath.Join("expected", backend+".known-failures.txt"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	ran := map[string]bool{}
	var newly []string
	for _, r := range results {
		ran[r.Name] = true
		switch {
		case expected[r.Name] && r.Status != Pass:
			t.Errorf("regression: %s: %s", r.Name, r.Reason)
		case !expected[r.Name] && r.Status == Pass:
			newly = append(newly, r.Name)
			if known[r.Name] != "" {
				t.Errorf("%s passes now: remove it from expected/%s.known-failures.txt", r.Name, backend)
			}
		case r.Status == Fail && known[r.Name] == "":
			t.Errorf("%s fails and is not listed with a reason in expected/%s.known-failures.txt: %s", r.Name, backend, r.Reason)
		}
	}
	if !testing.Short() {
		for n := range expected {
			if !ran[n] {
				t.Errorf("%s lists %s, which is not in the test data", manifest, n)
			}
		}
	}
	if len(newly) > 0 {
		t.Logf("%d cases pass that %s does not list yet (go test ./conformance -update adds them):\n  %s",
			len(newly), manifest, strings.Join(newly, "\n  "))
	}
}
