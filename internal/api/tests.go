package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// TestSource is a test written by the organization: YAML with one test
// under "tests" (docs/tests.md).
type TestSource struct {
	Source string `json:"source"`
}

// EvaluationSummary is what evaluating everything now did.
type EvaluationSummary struct {
	At      time.Time     `json:"at"`
	Summary check.Summary `json:"summary"`
}

// ListTests lists the tests with their current results, failing first.
func (h *Handlers) ListTests(r *http.Request, p model.Principal) (any, error) {
	q := r.URL.Query()
	f := check.TestFilter{State: q.Get("state"), Control: q.Get("control"), ResourceType: q.Get("type"), Query: q.Get("q")}
	if s := q.Get("severity"); s != "" {
		sev, err := model.ParseSeverity(s)
		if err != nil {
			return nil, err
		}
		f.Severity = sev
	}
	return h.Checks.Tests(r.Context(), p, f)
}

// GetTest reads a test: its definition, each resource's status since when,
// the 90-day timeline, exceptions and recent changes.
func (h *Handlers) GetTest(r *http.Request, p model.Principal) (any, error) {
	return h.Checks.TestDetail(r.Context(), p, r.PathValue("id"))
}

// CreateTest stores a test of the organization's own.
func (h *Handlers) CreateTest(r *http.Request, p model.Principal) (any, error) {
	var in TestSource
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	t, err := h.Checks.SaveTest(r.Context(), p, in.Source)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: t}, nil
}

// DeleteTest removes a test of the organization's own and ends its results.
func (h *Handlers) DeleteTest(r *http.Request, p model.Principal) (any, error) {
	if err := h.Checks.RemoveTest(r.Context(), p, r.PathValue("id")); err != nil {
		return nil, err
	}
	if _, err := h.Checks.EvaluateOrg(r.Context(), p.Org.ID); err != nil {
		return nil, err
	}
	return httpx.NoContent{}, nil
}

// EvaluateTests evaluates every test on every resource now.
func (h *Handlers) EvaluateTests(r *http.Request, p model.Principal) (any, error) {
	if !p.Can(model.PermEdit) {
		return nil, model.ErrForbidden
	}
	ev, err := h.Checks.EvaluateOrg(r.Context(), p.Org.ID)
	if err != nil {
		return nil, err
	}
	return EvaluationSummary{At: ev.At, Summary: ev.Summary}, nil
}

// ListIntervals lists a test's status intervals overlapping ?from=&to=
// (RFC 3339; default: the last 90 days), of one ?resource= id or all.
func (h *Handlers) ListIntervals(r *http.Request, p model.Principal) (any, error) {
	if _, err := h.Checks.Definition(r.Context(), p, r.PathValue("id")); err != nil {
		return nil, err
	}
	q := r.URL.Query()
	to, err := queryTime(q.Get("to"), h.Now())
	if err != nil {
		return nil, model.Invalid("to", "%v", err)
	}
	from, err := queryTime(q.Get("from"), to.AddDate(0, 0, -check.TimelineDays))
	if err != nil {
		return nil, model.Invalid("from", "%v", err)
	}
	res, err := queryInt(r, "resource", 0)
	if err != nil {
		return nil, err
	}
	return h.Checks.Intervals(r.Context(), p.Org.ID, r.PathValue("id"), int64(res), from, to)
}

func queryTime(s string, def time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(model.DateLayout, s)
}

// ListStatusChanges lists status changes after ?after=ID, oldest first
// (?limit=, default 100).
func (h *Handlers) ListStatusChanges(r *http.Request, p model.Principal) (any, error) {
	after, err := queryInt(r, "after", 0)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return nil, err
	}
	return h.Checks.StatusChangesAfter(r.Context(), p, int64(after), limit)
}

// ListExceptions lists exceptions, active first (?test=ID).
func (h *Handlers) ListExceptions(r *http.Request, p model.Principal) (any, error) {
	return h.Checks.Exceptions(r.Context(), p, r.URL.Query().Get("test"))
}

// CreateException accepts a test's failure until a date.
func (h *Handlers) CreateException(r *http.Request, p model.Principal) (any, error) {
	var in check.ExceptionInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	x, err := h.Checks.AddException(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: x}, nil
}

// GetException reads one exception.
func (h *Handlers) GetException(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Checks.Exception(r.Context(), p, id)
}

// RevokeException ends an exception now.
func (h *Handlers) RevokeException(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Checks.RevokeException(r.Context(), p, id)
}

// ListControlStatus rolls every control up from its tests and evidence.
func (h *Handlers) ListControlStatus(r *http.Request, p model.Principal) (any, error) {
	return h.Checks.ControlStatuses(r.Context(), p)
}

// GetControlStatus rolls one control up.
func (h *Handlers) GetControlStatus(r *http.Request, p model.Principal) (any, error) {
	return h.Checks.ControlStatus(r.Context(), p, r.PathValue("id"))
}

// GetReadiness reports readiness per framework and category.
func (h *Handlers) GetReadiness(r *http.Request, p model.Principal) (any, error) {
	return h.Checks.Readiness(r.Context(), p)
}
