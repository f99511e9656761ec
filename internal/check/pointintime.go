package check

import (
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
)

// What audits (internal/audit) need to judge a control at another time
// than now with the same rules as ControlStatuses: which tests support a
// control, and the roll-up rules themselves.

// TestsFor lists the tests of eng that support control c: those naming its
// key or the library key it was adopted from.
func TestsFor(eng *Engine, c model.Control) []Test { return testsFor(eng, c) }

// ControlState applies the control roll-up rules (see controlState) to
// results counted at some moment: total is the counts over the control's
// tests, tests how many tests support it, fresh whether evidence was
// current then, f that evidence's freshness (may be nil).
func ControlState(c model.Control, total Counts, tests int, fresh bool, f *evidence.Freshness) (state, reason string) {
	return controlState(c, total, tests, fresh, f)
}
