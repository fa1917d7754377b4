package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// Report summarizes the results of a run.
type Report struct {
	Backend string   `json:"backend"`
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	Results []Result `json:"cases"`
}

// OpStat counts the cases that use an op and how many of them passed.
type OpStat struct {
	Op     string `json:"op"`
	Passed int    `json:"passed"`
	Total  int    `json:"total"`
}

// CategoryStat counts the cases of a category by outcome.
type CategoryStat struct {
	Category string `json:"category"`
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`
	Skipped  int    `json:"skipped"`
}

// Total is the number of cases of the category.
func (c CategoryStat) Total() int { return c.Passed + c.Failed + c.Skipped }

// NewReport builds the report of results run on backend.
func NewReport(backend string, results []Result) *Report {
	r := &Report{Backend: backend, Results: results}
	for _, res := range results {
		switch res.Status {
		case Pass:
			r.Passed++
		case Fail:
			r.Failed++
		default:
			r.Skipped++
		}
	}
	return r
}

// Summary is the closing line of a run: "N passed, M failed, K skipped".
func (r *Report) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", r.Passed, r.Failed, r.Skipped)
}

// Ops counts, for every op used by a passed or failed case, how many of
// those cases passed. Skipped cases are not counted. Sorted by op.
func (r *Report) Ops() []OpStat {
	m := map[string]*OpStat{}
	for _, res := range r.Results {
		if res.Status == Skip {
			continue
		}
		for _, op := range res.Ops {
			s := m[op]
			if s == nil {
				s = &OpStat{Op: op}
				m[op] = s
			}
			s.Total++
			if res.Status == Pass {
				s.Passed++
			}
		}
	}
	out := make([]OpStat, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Op < out[j].Op })
	return out
}

// Categories counts the results per category, sorted by category.
func (r *Report) Categories() []CategoryStat {
	m := map[string]*CategoryStat{}
	for _, res := range r.Results {
		s := m[res.Category]
		if s == nil {
			s = &CategoryStat{Category: res.Category}
			m[res.Category] = s
		}
		switch res.Status {
		case Pass:
			s.Passed++
		case Fail:
			s.Failed++
		default:
			s.Skipped++
		}
	}
	out := make([]CategoryStat, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}

// PassedNames returns the names of the passed cases, sorted.
func (r *Report) PassedNames() []string {
	var names []string
	for _, res := range r.Results {
		if res.Status == Pass {
			names = append(names, res.Name)
		}
	}
	sort.Strings(names)
	return names
}

// WriteJSON writes the report, with its per-op and per-category counts,
// as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	out := struct {
		*Report
		Categories []CategoryStat `json:"categories"`
		Ops        []OpStat       `json:"ops"`
	}{r, r.Categories(), r.Ops()}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteOpTable writes the per-op table: every op when all is set, else
// only the ops with a failing case.
func (r *Report) WriteOpTable(w io.Writer, all bool) error {
	var rows []OpStat
	for _, s := range r.Ops() {
		if all || s.Passed < s.Total {
			rows = append(rows, s)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tpassed\ttotal")
	for _, s := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", s.Op, s.Passed, s.Total)
	}
	return tw.Flush()
}

// Markdown returns the per-category pass table as a Markdown table.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| category | passed | failed | skipped | total |\n|---|---:|---:|---:|---:|\n")
	var p, f, s int
	for _, c := range r.Categories() {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", c.Category, c.Passed, c.Failed, c.Skipped, c.Total())
		p, f, s = p+c.Passed, f+c.Failed, s+c.Skipped
	}
	fmt.Fprintf(&b, "| **all** | **%d** | **%d** | **%d** | **%d** |\n", p, f, s, p+f+s)
	return b.String()
}

// Markers delimit the generated table in a Markdown file.
const (
	BeginMarker = "<!-- BEGIN CONFORMANCE TABLE -->"
	EndMarker   = "<!-- END CONFORMANCE TABLE -->"
)

// SpliceMarkdown replaces the text between BeginMarker and EndMarker in doc
// with table. It reports an error when the markers are missing.
func SpliceMarkdown(doc, table string) (string, error) {
	i := strings.Index(doc, BeginMarker)
	j := strings.Index(doc, EndMarker)
	if i < 0 || j < i {
		return "", fmt.Errorf("conformance: markers %q and %q not found", BeginMarker, EndMarker)
	}
	return doc[:i+len(BeginMarker)] + "\n" + table + doc[j:], nil
}
