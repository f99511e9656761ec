package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ExceptionView is an exception with its state now.
type ExceptionView struct {
	model.Exception
	State string `json:"state"` // active, expired, revoked
}

func exceptionViews(es []model.Exception, now time.Time) []ExceptionView {
	out := make([]ExceptionView, 0, len(es))
	for _, e := range es {
		out = append(out, ExceptionView{Exception: e, State: e.State(now)})
	}
	return out
}

// ExceptionInput is a new exception. Resource names one resource by its
// store id, or by external id or name within the test's types; empty
// accepts the test's failure for every resource.
type ExceptionInput struct {
	Test       string `json:"test"`
	ResourceID int64  `json:"resource_id,omitempty"`
	Resource   string `json:"resource,omitempty"`
	Reason     string `json:"reason"`
	Approver   string `json:"approver"`
	// Expires is a day (YYYY-MM-DD: the exception ends at its start, UTC) or
	// an RFC 3339 time; at most a year ahead.
	Expires string `json:"expires"`
}

// MaxExceptionAge bounds how far ahead an exception may expire: accepted
// risks are looked at again at least yearly.
const MaxExceptionAge = 366 * 24 * time.Hour

// AddException accepts a test's failure until the expiry, and records it on
// the ledger.
func (s *Service) AddException(ctx context.Context, p model.Principal, in ExceptionInput) (ExceptionView, error) {
	if err := need(p, model.PermEdit, "adding an exception"); err != nil {
		return ExceptionView{}, err
	}
	eng, err := s.engine(ctx, p.Org.ID)
	if err != nil {
		return ExceptionView{}, err
	}
	t, ok := eng.Test(strings.TrimSpace(in.Test))
	if !ok {
		return ExceptionView{}, model.Invalid("test", "%q is not a test (see `assure tests list`)", in.Test)
	}
	now := s.Now().UTC()
	e := model.Exception{TestID: t.ID, Reason: strings.TrimSpace(in.Reason), Approver: strings.TrimSpace(in.Approver),
		CreatedBy: actorName(p.Actor()), CreatedAt: now}
	if e.Reason == "" {
		return ExceptionView{}, model.Invalid("reason", "say why the failure is accepted (a compensating control, a planned fix)")
	}
	if e.Approver == "" {
		return ExceptionView{}, model.Invalid("approver", "name who approved the exception (e.g. the CISO's e-mail)")
	}
	if e.ExpiresAt, err = parseExpiry(in.Expires, now); err != nil {
		return ExceptionView{}, err
	}
	ost := s.Store.Org(p.Org.ID)
	if in.ResourceID != 0 || strings.TrimSpace(in.Resource) != "" {
		r, err := s.findResource(ctx, ost, t, in.ResourceID, strings.TrimSpace(in.Resource))
		if err != nil {
			return ExceptionView{}, err
		}
		e.ResourceID = r.ID
	}
	var out model.Exception
	err = ost.InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if out, err = tx.InsertException(ctx, e); err != nil {
			return err
		}
		_, err = ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: ledger.KindExceptionCreated, Actor: p.Actor(),
			Subject: fmt.Sprintf("exception:%d", out.ID), Time: now,
			Payload: map[string]any{"test": out.TestID, "resource_id": out.ResourceID, "reason": out.Reason, "approver": out.Approver,
				"expires_at": out.ExpiresAt.UTC().Format(ledger.TimeLayout)}})
		return err
	})
	if err != nil {
		return ExceptionView{}, err
	}
	return ExceptionView{Exception: out, State: out.State(now)}, nil
}

func parseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, model.Invalid("expires", "give the day the exception ends (YYYY-MM-DD, at most a year ahead)")
	}
	t, err := time.Parse(model.DateLayout, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, s); err != nil {
			return time.Time{}, model.Invalid("expires", "%q is not a day (YYYY-MM-DD) or an RFC 3339 time", s)
		}
	}
	t = t.UTC()
	if !t.After(now) {
		return time.Time{}, model.Invalid("expires", "%s is not in the future", s)
	}
	if t.Sub(now) > MaxExceptionAge {
		return time.Time{}, model.Invalid("expires", "%s is more than a year ahead: accepted risks are reviewed at least yearly", s)
	}
	return t, nil
}

// findResource resolves the resource an exception names.
func (s *Service) findResource(ctx context.Context, ost *store.OrgStore, t Test, id int64, ref string) (model.Resource, error) {
	if id != 0 {
		r, err := ost.Resource(ctx, id)
		if err != nil {
			return r, err
		}
		if !containsString(t.ResourceTypes, r.Type) {
			return r, model.Invalid("resource", "resource %d is a %s; test %s applies to %s", id, r.Type, t.ID, strings.Join(t.ResourceTypes, ", "))
		}
		return r, nil
	}
	var found []model.Resource
	for _, typ := range t.ResourceTypes {
		page, _, err := ost.Resources(ctx, store.ResourceFilter{Type: typ, Status: "all", Query: ref, Limit: -1})
		if err != nil {
			return model.Resource{}, err
		}
		for _, r := range page {
			if r.ExternalID == ref || r.Name == ref {
				found = append(found, r)
			}
		}
	}
	switch len(found) {
	case 0:
		return model.Resource{}, model.Invalid("resource", "no %s named %q (give its external id, name or id)", strings.Join(t.ResourceTypes, " or "), ref)
	case 1:
		return found[0], nil
	}
	return model.Resource{}, model.Invalid("resource", "%d resources are named %q: give the resource id instead", len(found), ref)
}

// RevokeException ends an exception now; the failure counts again.
func (s *Service) RevokeException(ctx context.Context, p model.Principal, id int64) (ExceptionView, error) {
	if err := need(p, model.PermEdit, "revoking an exception"); err != nil {
		return ExceptionView{}, err
	}
	now := s.Now().UTC()
	ost := s.Store.Org(p.Org.ID)
	var out model.Exception
	err := ost.InTx(ctx, func(tx *store.OrgStore) error {
		e, err := tx.Exception(ctx, id)
		if err != nil {
			return err
		}
		if e.State(now) != "active" {
			return fmt.Errorf("exception %d is %s already: %w", id, e.State(now), model.ErrConflict)
		}
		if err := tx.RevokeException(ctx, id, actorName(p.Actor()), now); err != nil {
			return err
		}
		if out, err = tx.Exception(ctx, id); err != nil {
			return err
		}
		_, err = ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: ledger.KindExceptionClosed, Actor: p.Actor(),
			Subject: fmt.Sprintf("exception:%d", id), Time: now,
			Payload: map[string]any{"test": e.TestID, "resource_id": e.ResourceID, "reason": "revoked"}})
		return err
	})
	if err != nil {
		return ExceptionView{}, err
	}
	return ExceptionView{Exception: out, State: out.State(now)}, nil
}

// Exceptions lists exceptions (of one test when test is not ""), active
// first, then newest.
func (s *Service) Exceptions(ctx context.Context, p model.Principal, test string) ([]ExceptionView, error) {
	if err := need(p, model.PermView, "listing exceptions"); err != nil {
		return nil, err
	}
	es, err := s.Store.Org(p.Org.ID).Exceptions(ctx, store.ExceptionFilter{TestID: test})
	if err != nil {
		return nil, err
	}
	out := exceptionViews(es, s.Now())
	active := out[:0:0]
	var rest []ExceptionView
	for _, e := range out {
		if e.State == "active" {
			active = append(active, e)
		} else {
			rest = append(rest, e)
		}
	}
	return append(active, rest...), nil
}

// Exception reads one exception.
func (s *Service) Exception(ctx context.Context, p model.Principal, id int64) (ExceptionView, error) {
	if err := need(p, model.PermView, "reading an exception"); err != nil {
		return ExceptionView{}, err
	}
	e, err := s.Store.Org(p.Org.ID).Exception(ctx, id)
	if err != nil {
		return ExceptionView{}, err
	}
	return ExceptionView{Exception: e, State: e.State(s.Now())}, nil
}

// ---- The organization's own tests ---------------------------------------------

// Ledger kinds for an organization's own tests.
const (
	KindTestSaved   = "test.definition_saved"
	KindTestRemoved = "test.definition_removed"
)

// SaveTest stores a test the organization wrote (YAML: a "tests" list with
// one test), checked like a file in the tests directory; it replaces the
// organization's test of the same id. It runs from the next evaluation.
func (s *Service) SaveTest(ctx context.Context, p model.Principal, source string) (Test, error) {
	if err := need(p, model.PermEdit, "saving a test"); err != nil {
		return Test{}, err
	}
	chk, err := s.orgChecker(ctx, p.Org.ID)
	if err != nil {
		return Test{}, err
	}
	parsed, probs := ParseFile("custom test", []byte(source), OriginCustom)
	if len(probs) > 0 {
		return Test{}, definitionInvalid(&DefinitionError{Problems: probs})
	}
	if len(parsed) != 1 {
		return Test{}, model.Invalid("source", "write exactly one test under \"tests:\" (got %d)", len(parsed))
	}
	id := parsed[0].ID
	if _, builtin := s.base.Test(id); builtin {
		return Test{}, model.Invalid("source", "test id %q is a built-in (or directory) test: choose another id, such as acme.%s", id, id)
	}
	eng, err := s.base.With([]Source{{File: "custom test", Data: []byte(source), Origin: OriginCustom}}, chk)
	if err != nil {
		return Test{}, definitionInvalid(err)
	}
	t, _ := eng.Test(id)
	now := s.Now().UTC()
	err = s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.SaveCustomTest(ctx, id, source, actorName(p.Actor()), now); err != nil {
			return err
		}
		_, err := ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: KindTestSaved, Actor: p.Actor(), Subject: "test:" + id, Time: now,
			Payload: map[string]any{"source": source}})
		return err
	})
	return t, err
}

// RemoveTest removes one of the organization's own tests; its results end
// at the next evaluation of the whole organization.
func (s *Service) RemoveTest(ctx context.Context, p model.Principal, id string) error {
	if err := need(p, model.PermEdit, "removing a test"); err != nil {
		return err
	}
	if _, builtin := s.base.Test(id); builtin {
		return model.Invalid("test", "%q is a built-in or directory test, which cannot be removed here", id)
	}
	now := s.Now().UTC()
	return s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.RemoveCustomTest(ctx, id, actorName(p.Actor()), now); err != nil {
			return err
		}
		_, err := ledger.Append(ctx, tx.Store(), tx.ID(), ledger.Record{Kind: KindTestRemoved, Actor: p.Actor(), Subject: "test:" + id, Time: now})
		return err
	})
}

// TestSource returns the YAML of one of the organization's own tests.
func (s *Service) TestSource(ctx context.Context, p model.Principal, id string) (string, error) {
	if err := need(p, model.PermView, "reading a test"); err != nil {
		return "", err
	}
	list, err := s.Store.Org(p.Org.ID).CustomTests(ctx)
	if err != nil {
		return "", err
	}
	for _, c := range list {
		if c.TestID == id {
			return c.Source, nil
		}
	}
	return "", fmt.Errorf("custom test %q: %w", id, model.ErrNotFound)
}

// definitionInvalid turns definition problems into a validation error
// (HTTP 400) that keeps the line numbers.
func definitionInvalid(err error) error {
	var de *DefinitionError
	if errors.As(err, &de) {
		parts := make([]string, len(de.Problems))
		for i, p := range de.Problems {
			parts[i] = fmt.Sprintf("line %d: %s", p.Line, p.Message)
		}
		return model.Invalid("source", "%s", strings.Join(parts, "; "))
	}
	return err
}

// Tests returns the organization's test definitions (no results).
func (s *Service) Definitions(ctx context.Context, p model.Principal) ([]Test, error) {
	if err := need(p, model.PermView, "listing tests"); err != nil {
		return nil, err
	}
	eng, err := s.engine(ctx, p.Org.ID)
	if err != nil {
		return nil, err
	}
	return eng.Tests(), nil
}

// Definition returns one test definition.
func (s *Service) Definition(ctx context.Context, p model.Principal, id string) (Test, error) {
	if err := need(p, model.PermView, "reading a test"); err != nil {
		return Test{}, err
	}
	eng, err := s.engine(ctx, p.Org.ID)
	if err != nil {
		return Test{}, err
	}
	t, ok := eng.Test(id)
	if !ok {
		return Test{}, fmt.Errorf("test %q: %w", id, model.ErrNotFound)
	}
	return t, nil
}

// Engine returns the organization's compiled tests (for offline evaluation).
func (s *Service) Engine(ctx context.Context, orgID int64) (*Engine, error) {
	return s.engine(ctx, orgID)
}

func actorName(a model.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	return a.Via
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
