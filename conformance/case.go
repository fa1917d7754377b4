// Package conformance runs the ONNX backend test suite against onyx's
// backends: it discovers test cases on disk, runs each one on a backend,
// compares the outputs with the expected values the way the official
// runner does, and summarizes the results per case, per category and per
// op. expected/<backend>.txt is the manifest of cases each backend is
// known to pass; TestConformanceCPU fails when one of them regresses.
package conformance

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Default tolerances of the official runner, used unless a data.json
// overrides them.
const (
	DefaultRTol = 1e-3
	DefaultATol = 1e-7
)

// Case is one test: a model and the data sets to run it on.
type Case struct {
	// Name is "category/case", e.g. "node/test_abs" or
	// "light/light_resnet50".
	Name string
	// Category is the folder the case lies in: node, simple,
	// pytorch-converted, pytorch-operator, light, ...
	Category string
	// Model is the path of the .onnx file.
	Model string
	// DataSets are the test_data_set_* folders, sorted. Light cases have
	// none: their input is generated and Output holds the expected value.
	DataSets []string
	// Output is the expected output file of a light case.
	Output string
	// RTol and ATol are the comparison tolerances.
	RTol, ATol float64
}

// Generated reports whether the case's input is made by the runner
// (float32 arange(n)/n of each declared input shape) rather than read.
func (c Case) Generated() bool { return c.Output != "" }

// Discover finds the test cases under dirs. A folder holding model.onnx
// and test_data_set_* folders is one case; a light_<net>.onnx file with a
// light_<net>_output_0.pb beside it is another; a dir given that is itself
// a case folder is that case. Cases are returned sorted by name, each once.
func Discover(dirs ...string) ([]Case, error) {
	seen := map[string]bool{}
	var cases []Case
	add := func(c Case) {
		if !seen[c.Model] {
			seen[c.Model] = true
			cases = append(cases, c)
		}
	}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("conformance: %s is not a folder", dir)
		}
		err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			c, ok, err := caseAt(path)
			if err != nil {
				return err
			}
			if ok {
				add(c)
				return filepath.SkipDir
			}
			light, err := lightCases(path)
			if err != nil {
				return err
			}
			for _, c := range light {
				add(c)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("conformance: discovering %s: %w", dir, err)
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

// caseAt reports whether dir is a case folder (model.onnx plus at least
// one test_data_set_* folder) and describes it.
func caseAt(dir string) (Case, bool, error) {
	model := filepath.Join(dir, "model.onnx")
	if st, err := os.Stat(model); err != nil || st.IsDir() {
		return Case{}, false, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Case{}, false, err
	}
	var sets []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "test_data_set_") {
			sets = append(sets, filepath.Join(dir, e.Name()))
		}
	}
	if len(sets) == 0 {
		return Case{}, false, nil
	}
	sortNumbered(sets, "test_data_set_")
	cat := categoryOf(dir)
	c := Case{Name: cat + "/" + filepath.Base(absOr(dir)), Category: cat, Model: model,
		DataSets: sets, RTol: DefaultRTol, ATol: DefaultATol}
	if err := readTolerances(filepath.Join(dir, "data.json"), &c); err != nil {
		return Case{}, false, err
	}
	return c, true, nil
}

// lightCases lists the light_<net>.onnx models in dir that have an
// expected output beside them.
func lightCases(dir string) ([]Case, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasPrefix(name, "light_") || !strings.HasSuffix(name, ".onnx") {
			continue
		}
		base := strings.TrimSuffix(name, ".onnx")
		out := filepath.Join(dir, base+"_output_0.pb")
		if _, err := os.Stat(out); err != nil {
			continue
		}
		cat := filepath.Base(absOr(dir))
		c := Case{Name: cat + "/" + base, Category: cat, Model: filepath.Join(dir, name), Output: out,
			RTol: DefaultRTol, ATol: DefaultATol}
		net := strings.TrimPrefix(base, "light_")
		tol := filepath.Join(dir, "..", "real", "test_"+net, "data.json")
		if err := readTolerances(tol, &c); err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

// readTolerances applies the rtol and atol of a data.json file, when it
// exists.
func readTolerances(path string, c *Case) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var meta struct {
		RTol *float64 `json:"rtol"`
		ATol *float64 `json:"atol"`
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if meta.RTol != nil {
		c.RTol = *meta.RTol
	}
	if meta.ATol != nil {
		c.ATol = *meta.ATol
	}
	return nil
}

func categoryOf(caseDir string) string {
	return filepath.Base(filepath.Dir(absOr(caseDir)))
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// sortNumbered sorts paths by the number that follows prefix in their base
// names (input_2 before input_10), then by name.
func sortNumbered(paths []string, prefix string) {
	num := func(p string) int {
		s := strings.TrimPrefix(filepath.Base(p), prefix)
		s = strings.TrimSuffix(s, filepath.Ext(s))
		n, err := strconv.Atoi(s)
		if err != nil {
			return 1 << 30
		}
		return n
	}
	sort.SliceStable(paths, func(i, j int) bool {
		a, b := num(paths[i]), num(paths[j])
		if a != b {
			return a < b
		}
		return paths[i] < paths[j]
	})
}

// numberedFiles returns the files prefix<K>.pb in dir, sorted by K. It
// reports an error when the numbers do not run 0, 1, 2, ...
func numberedFiles(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".pb") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	sortNumbered(files, prefix)
	for i, f := range files {
		if want := fmt.Sprintf("%s%d.pb", prefix, i); filepath.Base(f) != want {
			return nil, fmt.Errorf("%s: expected %s, found %s", dir, want, filepath.Base(f))
		}
	}
	return files, nil
}
