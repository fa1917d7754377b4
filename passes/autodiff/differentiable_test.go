package autodiff

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/ir"
)

func key(s *ir.OpSchema) string { return s.Domain + ":" + s.Name }

// TestEveryOpIsClassified fails when an op of the op table has no gradient
// rule and is listed neither as not differentiable nor as pending, or
// when it is listed although it has a rule.
func TestEveryOpIsClassified(t *testing.T) {
	for _, s := range ir.Schemas() {
		k := key(s)
		_, nd := notDifferentiable[k]
		_, ny := notYet[k]
		has := HasRule(s.Domain, s.Name)
		switch {
		case nd && ny:
			t.Errorf("%s is listed both as not differentiable and as pending", k)
		case has && (nd || ny):
			t.Errorf("%s has a gradient rule but is listed as without one", k)
		case !has && !nd && !ny:
			t.Errorf("%s has no gradient rule: write one, or list it in differentiable.go with the reason", k)
		}
		if d, r, why := Differentiability(s.Domain, s.Name); why == "unclassified" || (d && !r && !ny) || (!d && !nd) {
			t.Errorf("Differentiability(%s) = %v, %v, %q", k, d, r, why)
		}
	}
}

// TestListsNameRealOps keeps the lists free of ops the table does not have.
func TestListsNameRealOps(t *testing.T) {
	known := map[string]bool{}
	for _, s := range ir.Schemas() {
		known[key(s)] = true
	}
	for _, m := range []map[string]string{notDifferentiable, notYet} {
		for k := range m {
			if !known[k] {
				t.Errorf("%s is listed but is not in the op table", k)
			}
		}
	}
	for k := range rules {
		if !known[k] {
			t.Errorf("rule for %s, which is not in the op table", k)
		}
	}
}

// floatTypes reports whether a formal of fs may be a float tensor by the
// signature. unconstrained says what a type variable without constraint
// counts as.
func floatTypes(s *ir.OpSchema, fs []ir.Formal, unconstrained bool) (anyFloat bool) {
	for _, f := range fs {
		allowed := s.Allowed(f.TypeVar)
		if allowed == nil {
			if unconstrained {
				return true
			}
			continue
		}
		for _, d := range allowed {
			if d.IsFloat() {
				return true
			}
		}
	}
	return false
}

// TestReasonsMatchSignatures checks the reasons that can be read off an
// op's signature, where it constrains the types: an op said to have a
// boolean or integer output can give no float output, one said to work on integers takes no float input, and
// an op with a rule can give a float output.
func TestReasonsMatchSignatures(t *testing.T) {
	for _, s := range ir.Schemas() {
		k := key(s)
		switch r := notDifferentiable[k]; {
		case r == reasonBool || r == reasonInt:
			if floatTypes(s, s.FormalOutputs(), false) {
				t.Errorf("%s is listed with %q but may give a float output", k, r)
			}
		case r == reasonIntOnly:
			if floatTypes(s, s.FormalOutputs(), false) || floatTypes(s, s.FormalInputs(), false) {
				t.Errorf("%s is listed with %q but may take or give floats", k, r)
			}
		case strings.HasPrefix(r, reasonQuant):
			if floatTypes(s, s.FormalOutputs()[:1], false) {
				t.Errorf("%s is listed with %q but its first output may be float", k, r)
			}
		}
		if HasRule(s.Domain, s.Name) && !floatTypes(s, s.FormalOutputs(), true) {
			t.Errorf("%s has a rule but gives no float output", k)
		}
	}
}
