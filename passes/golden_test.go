package passes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
)

var update = flag.Bool("update", false, "rewrite the expected output of the golden tests")

// archive is a txtar file: a comment, then files introduced by "-- name --"
// lines.
type archive struct {
	comment string
	files   []archiveFile
}

type archiveFile struct {
	name string
	data string
}

func parseArchive(s string) archive {
	var a archive
	lines := strings.SplitAfter(s, "\n")
	cur := -1
	var b strings.Builder
	flush := func() {
		if cur < 0 {
			a.comment = b.String()
		} else {
			a.files[cur].data = b.String()
		}
		b.Reset()
	}
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			a.files = append(a.files, archiveFile{name: strings.TrimSpace(t[3 : len(t)-3])})
			cur = len(a.files) - 1
			continue
		}
		b.WriteString(l)
	}
	flush()
	return a
}

func (a archive) format() string {
	var b strings.Builder
	b.WriteString(a.comment)
	for _, f := range a.files {
		b.WriteString("-- " + f.name + " --\n")
		b.WriteString(f.data)
		if f.data != "" && !strings.HasSuffix(f.data, "\n") {
			b.WriteString("\n")
		}
	}
	return b.String()
}

func (a archive) file(name string) (string, bool) {
	for _, f := range a.files {
		if f.name == name {
			return f.data, true
		}
	}
	return "", false
}

// TestGolden runs each pass on the "input" model of every
// testdata/<pass>/*.txtar file (the pass alone, with the verifier after it)
// and compares the printed result with the file's "output" section.
// go test ./passes -update rewrites the outputs.
func TestGolden(t *testing.T) {
	for _, p := range Pipeline {
		files, _ := filepath.Glob(filepath.Join("testdata", p.Name, "*.txtar"))
		for _, path := range files {
			t.Run(p.Name+"/"+filepath.Base(path), func(t *testing.T) {
				raw, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				a := parseArchive(string(raw))
				in, ok := a.file("input")
				if !ok {
					t.Fatal("no input section")
				}
				m, err := ir.ParseModel(in)
				if err != nil {
					t.Fatalf("input: %v", err)
				}
				only := []string{p.Name}
				if p.Name != "infer-shapes" {
					only = append(only, "infer-shapes")
				}
				if p.Name == "fold-batchnorm" {
					only = append(only, "fold-constants", "eliminate-dead-code")
				}
				if _, err := Run(m, Options{Only: only, Check: true}); err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := ir.PrintModel(&got, m); err != nil {
					t.Fatal(err)
				}
				want, ok := a.file("output")
				if *update {
					if ok {
						for i := range a.files {
							if a.files[i].name == "output" {
								a.files[i].data = got.String()
							}
						}
					} else {
						a.files = append(a.files, archiveFile{name: "output", data: got.String()})
					}
					if err := os.WriteFile(path, []byte(a.format()), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				if strings.TrimSpace(got.String()) != strings.TrimSpace(want) {
					t.Errorf("output differs:\n%s\nwant:\n%s", got.String(), want)
				}
			})
		}
	}
}

func TestPipelineConstraintsHold(t *testing.T) {
	if err := CheckPipeline(); err != nil {
		t.Fatal(err)
	}
}
