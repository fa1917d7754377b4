package cpu

import (
	"strings"
	"testing"

	"github.com/onyxgo/onyx/backends/cpu/kernels"
	"github.com/onyxgo/onyx/ir"
)

// TestEveryOpHasAKernel ties the op table to the reference kernels: every
// op declared in ir must have a CPU kernel, and every kernel must belong to
// a declared op.
func TestEveryOpHasAKernel(t *testing.T) {
	declared := map[string]bool{}
	for _, s := range ir.Schemas() {
		k := s.Domain + ":" + s.Name
		declared[k] = true
		if !kernels.HasKernel(s.Domain, s.Name) {
			t.Errorf("op %s has a schema but no reference kernel", k)
		}
	}
	for _, k := range kernels.KernelOps() {
		if !declared[k] {
			t.Errorf("kernel %s has no op table entry", strings.TrimPrefix(k, ":"))
		}
	}
}
