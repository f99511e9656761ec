package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// world is an organization with a host integration, a controllable clock
// and the tests service.
type world struct {
	t     *testing.T
	st    *store.Store
	o     *store.OrgStore
	p     model.Principal
	in    model.Integration
	now   time.Time
	svc   *Service
	cat   *catalog.Service
	count int
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, now: t0}
	clock := func() time.Time { return w.now }
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
	if err != nil {
		t.Fatal(err)
	}
	w.o = st.Org(org.ID)
	w.p = model.Principal{Org: org, Role: model.RoleOwner, Via: "cli", User: model.User{Email: "owner@acme.test"}}
	if w.in, err = w.o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "web-1", Enabled: true, Interval: time.Hour}, t0); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	w.cat = catalog.NewService(st, cat, clock, nil)
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if w.svc, err = New(Deps{Store: st, Registry: reg, Catalog: w.cat, Now: clock}); err != nil {
		t.Fatal(err)
	}
	return w
}

// collect stores one run of the integration: the resources given by type
// and external id (nil attributes: absent, so removed), and the listing
// status per type.
func (w *world) collect(resources map[string]map[string]map[string]any, failed map[string]string) model.Run {
	w.t.Helper()
	ctx := context.Background()
	run, err := w.o.StartRun(ctx, w.in.ID, model.TriggerCLI, "test", w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	for typ, byID := range resources {
		status := model.RunSucceeded
		if failed[typ] != "" {
			status = model.RunFailed
		}
		if status == model.RunSucceeded {
			states, err := w.o.ResourceStates(ctx, w.in.ID, typ)
			if err != nil {
				w.t.Fatal(err)
			}
			for ext, attrs := range byID {
				b, _ := json.Marshal(attrs)
				sum := sha256.Sum256(b)
				v := store.NewVersion{Name: ext, ContentHash: hex.EncodeToString(sum[:]), Attributes: b, RunID: run.ID, ObservedAt: w.now}
				st, ok := states[ext]
				switch {
				case !ok:
					_, err = w.o.InsertResource(ctx, w.in.ID, typ, ext, v)
				case st.Removed || st.ContentHash != v.ContentHash:
					_, err = w.o.AddVersion(ctx, st.ID, v)
				}
				if err != nil {
					w.t.Fatal(err)
				}
			}
			for ext, st := range states {
				if _, there := byID[ext]; !there && !st.Removed {
					if err := w.o.MarkResourceRemoved(ctx, st.ID, run.ID, w.now); err != nil {
						w.t.Fatal(err)
					}
				}
			}
		}
		l := model.Listing{RunID: run.ID, ResourceType: typ, Status: status, Error: failed[typ], StartedAt: w.now, FinishedAt: w.now}
		if err := w.o.InsertListing(ctx, l); err != nil {
			w.t.Fatal(err)
		}
		var complete *time.Time
		if status == model.RunSucceeded {
			c := w.now
			complete = &c
		}
		if err := w.o.RecordFreshness(ctx, w.in.ID, typ, run.ID, status, w.now, complete); err != nil {
			w.t.Fatal(err)
		}
	}
	fin := w.now
	run.FinishedAt, run.Status = &fin, model.RunSucceeded
	if err := w.o.FinishRun(ctx, run); err != nil {
		w.t.Fatal(err)
	}
	return run
}

// evaluate judges every resource of the run's integration (the results are
// what these tests look at; incremental_test.go checks that incremental
// evaluation writes the same).
func (w *world) evaluate(run model.Run) Evaluation {
	w.t.Helper()
	ev, err := w.svc.EvaluateRunFull(context.Background(), w.o.ID(), run.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

func resultOf(ev Evaluation, test, resource string) Result {
	for _, r := range ev.Results {
		if r.Test == test && r.Resource == resource {
			return r
		}
	}
	return Result{}
}

func sshd(password bool) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{"host.sshd": {"sshd": {"installed": true, "password_authentication": password,
		"permit_root_login": "no", "permit_empty_passwords": false, "kbd_interactive_authentication": false, "max_auth_tries": 3, "caveats": []any{}}}}
}

const pwTest = "host.sshd.password_authentication_disabled"

func TestEvaluationStoresOnlyChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		ev := w.evaluate(w.collect(sshd(true), nil))
		if r := resultOf(ev, pwTest, "sshd"); r.Status != model.TestFail || !strings.Contains(r.Message, "password_authentication = true") {
			t.Fatalf("first run: %+v", r)
		}
		// One change: the new failure (first passes are not news).
		if len(ev.Changes) != 1 || ev.Changes[0].TestID != pwTest || ev.Changes[0].From != "" || ev.Changes[0].To != model.TestFail ||
			ev.Changes[0].Integration != "web-1" || ev.Changes[0].Severity != model.SeverityHigh || ev.Changes[0].Controls[0] != "IAM-04" {
			t.Fatalf("changes: %+v", ev.Changes)
		}
		if ev.Summary.Fail != 1 || ev.Summary.Pass != 4 || ev.Summary.Changes != 1 {
			t.Fatalf("summary: %+v", ev.Summary)
		}
		entries, _ := w.o.LedgerEntries(ctx, 0, 100)
		if n := countKind(entries, ledger.KindTestStatusChanged); n != 1 {
			t.Fatalf("ledger entries for the change: %d", n)
		}
		// The same system again: nothing is written.
		before, _ := w.o.Intervals(ctx, store.IntervalFilter{})
		w.now = w.now.Add(time.Hour)
		ev = w.evaluate(w.collect(sshd(true), nil))
		after, _ := w.o.Intervals(ctx, store.IntervalFilter{})
		entries2, _ := w.o.LedgerEntries(ctx, 0, 100)
		if len(ev.Changes) != 0 || len(after) != len(before) || countKind(entries2, ledger.KindTestStatusChanged) != 1 {
			t.Fatalf("an unchanged run wrote: %d changes, %d → %d intervals", len(ev.Changes), len(before), len(after))
		}
		// Fixed: one change fail → pass, and the interval history says when.
		w.now = w.now.Add(time.Hour)
		ev = w.evaluate(w.collect(sshd(false), nil))
		if len(ev.Changes) != 1 || ev.Changes[0].From != model.TestFail || ev.Changes[0].To != model.TestPass {
			t.Fatalf("fixed: %+v", ev.Changes)
		}
		res, _, _ := w.o.Resources(ctx, store.ResourceFilter{Type: "host.sshd"})
		failed, err := w.svc.TimeFailing(ctx, w.o.ID(), pwTest, res[0].ID, t0, w.now.Add(time.Hour))
		if err != nil || failed != 2*time.Hour {
			t.Fatalf("time failing: %v %v", failed, err)
		}
		at, ok, _ := w.svc.StatusAt(ctx, w.o.ID(), pwTest, res[0].ID, t0.Add(90*time.Minute))
		if !ok || at.Status != model.TestFail {
			t.Fatalf("status at T: %+v", at)
		}
		// Changes are readable once, in order, from the outbox.
		all, _ := w.o.StatusChangesAfter(ctx, 0, 10)
		if len(all) != 2 || all[0].To != model.TestFail || all[1].To != model.TestPass {
			t.Fatalf("outbox: %+v", all)
		}
	})
}

func countKind(es []model.LedgerEntry, kind string) int {
	n := 0
	for _, e := range es {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func TestUntrustedDataNeverPasses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.evaluate(w.collect(sshd(false), nil))
		// The listing fails: the resource keeps its old attributes, but the
		// test says error, not pass.
		w.now = w.now.Add(time.Hour)
		ev := w.evaluate(w.collect(sshd(false), map[string]string{"host.sshd": "permission denied"}))
		r := resultOf(ev, pwTest, "sshd")
		if r.Status != model.TestError || !strings.Contains(r.Message, "permission denied") {
			t.Fatalf("failed listing: %+v", r)
		}
		if len(ev.Changes) != 5 || ev.Changes[0].From != model.TestPass || ev.Changes[0].To != model.TestError {
			t.Fatalf("changes: %+v", ev.Changes)
		}
		// Recovered, then nothing collected for three hours (interval 1h):
		// evaluating by the clock makes it skipped.
		w.now = w.now.Add(time.Hour)
		w.evaluate(w.collect(sshd(false), nil))
		w.now = w.now.Add(3 * time.Hour)
		ev, err := w.svc.EvaluateOrg(ctx, w.o.ID())
		if err != nil {
			t.Fatal(err)
		}
		if r := resultOf(ev, pwTest, "sshd"); r.Status != model.TestSkipped || !strings.Contains(r.Message, "stale") {
			t.Fatalf("stale: %+v", r)
		}
	})
}

func TestRemovedResourceClosesItsIntervals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.evaluate(w.collect(sshd(true), nil))
		w.now = w.now.Add(time.Hour)
		ev := w.evaluate(w.collect(map[string]map[string]map[string]any{"host.sshd": {}}, nil))
		if len(ev.Results) != 0 {
			t.Fatalf("results for a removed resource: %+v", ev.Results)
		}
		// Only the failing test's end is news.
		if len(ev.Changes) != 1 || ev.Changes[0].From != model.TestFail || ev.Changes[0].To != "" || ev.Changes[0].ResourceName != "sshd" {
			t.Fatalf("changes: %+v", ev.Changes)
		}
		if open, _ := w.o.OpenStatuses(ctx); len(open) != 0 {
			t.Fatalf("open intervals left: %+v", open)
		}
	})
}

func TestExceptionHidesFailureUntilExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		if _, err := w.cat.Adopt(ctx, w.p, []string{"IAM-04"}, false); err != nil {
			t.Fatal(err)
		}
		w.evaluate(w.collect(sshd(true), nil))
		if cs, _ := w.svc.ControlStatus(ctx, w.p, "IAM-04"); cs.Status != ControlFailing {
			t.Fatalf("control before the exception: %+v", cs)
		}
		if _, err := w.svc.AddException(ctx, w.p, ExceptionInput{Test: pwTest, Resource: "sshd", Reason: "legacy jump host", Approver: "ciso@acme.test", Expires: "2026-03-05"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []ExceptionInput{
			{Test: "nope", Reason: "r", Approver: "a", Expires: "2026-03-05"},
			{Test: pwTest, Approver: "a", Expires: "2026-03-05"},
			{Test: pwTest, Reason: "r", Approver: "a", Expires: "2026-01-01"},
			{Test: pwTest, Reason: "r", Approver: "a", Expires: "2028-01-01"},
			{Test: pwTest, Resource: "nothing", Reason: "r", Approver: "a", Expires: "2026-03-05"},
		} {
			if _, err := w.svc.AddException(ctx, w.p, bad); !model.IsValidation(err) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		viewer := w.p
		viewer.Role = model.RoleViewer
		if _, err := w.svc.AddException(ctx, viewer, ExceptionInput{Test: pwTest, Reason: "r", Approver: "a", Expires: "2026-03-05"}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("viewer: %v", err)
		}
		w.now = w.now.Add(time.Hour)
		ev := w.evaluate(w.collect(sshd(true), nil))
		if r := resultOf(ev, pwTest, "sshd"); r.Status != model.TestFail || r.ExceptionID == 0 || ev.FailingAtLeast(model.SeverityLow) {
			t.Fatalf("under the exception: %+v", r)
		}
		cs, _ := w.svc.ControlStatus(ctx, w.p, "IAM-04")
		if cs.Status == ControlFailing || len(cs.Exceptions) != 1 {
			t.Fatalf("control under the exception: %+v", cs)
		}
		// The day it expires, the failure counts again, and the expiry is on the ledger once.
		w.now = time.Date(2026, 3, 5, 0, 0, 1, 0, time.UTC)
		ev = w.evaluate(w.collect(sshd(true), nil))
		if r := resultOf(ev, pwTest, "sshd"); r.ExceptionID != 0 || !ev.FailingAtLeast(model.SeverityHigh) {
			t.Fatalf("after expiry: %+v", r)
		}
		if cs, _ := w.svc.ControlStatus(ctx, w.p, "IAM-04"); cs.Status != ControlFailing || cs.Exceptions[0].State != "expired" {
			t.Fatalf("control after expiry: %+v", cs)
		}
		w.evaluate(w.collect(sshd(true), nil))
		entries, _ := w.o.LedgerEntries(ctx, 0, 100)
		if countKind(entries, ledger.KindExceptionCreated) != 1 || countKind(entries, ledger.KindExceptionClosed) != 1 {
			t.Fatalf("ledger: created %d, closed %d", countKind(entries, ledger.KindExceptionCreated), countKind(entries, ledger.KindExceptionClosed))
		}
	})
}
