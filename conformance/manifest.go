package conformance

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ReadManifest reads a manifest: one case name ("category/case") per line;
// blank lines and lines starting with # are ignored.
func ReadManifest(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names = append(names, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return names, nil
}

// WriteManifest writes the sorted case names to path with a header
// comment, replacing the file atomically.
func WriteManifest(path, backend string, names []string) error {
	names = append([]string{}, names...)
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "# Conformance cases the %s backend is expected to pass, one per line.\n", backend)
	fmt.Fprintf(&b, "# TestConformance%s fails when one of them does not; regenerate with\n", strings.ToUpper(backend))
	b.WriteString("# go test ./conformance -update\n")
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writeFileAtomic(path, []byte(b.String()))
}

// writeFileAtomic writes data to a temporary file beside path and renames
// it over path.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadKnownFailures reads a known-failures file: one "category/case<TAB>
// reason" line per case that is expected to fail, with # comments and
// blank lines ignored. Every case must have a reason.
func ReadKnownFailures(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, ok := strings.Cut(line, "\t")
		if !ok || strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: %q has no reason", path, i+1, name)
		}
		out[strings.TrimSpace(name)] = strings.TrimSpace(reason)
	}
	return out, nil
}
