package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// checkFixture makes an organization with one integration, a run and two
// resources.
func checkFixture(t *testing.T, st *store.Store) (*store.OrgStore, int64, int64, int64) {
	t.Helper()
	ctx := context.Background()
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
	if err != nil {
		t.Fatal(err)
	}
	o := st.Org(org.ID)
	in, err := o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "web-1", Enabled: true, Interval: time.Hour}, t0)
	if err != nil {
		t.Fatal(err)
	}
	run, err := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0)
	if err != nil {
		t.Fatal(err)
	}
	v := store.NewVersion{Name: "sshd", ContentHash: "h1", Attributes: []byte(`{"password_authentication":true}`), RunID: run.ID, ObservedAt: t0}
	r1, err := o.InsertResource(ctx, in.ID, "host.sshd", "sshd", v)
	if err != nil {
		t.Fatal(err)
	}
	v.Name = "root"
	r2, err := o.InsertResource(ctx, in.ID, "host.user", "root", v)
	if err != nil {
		t.Fatal(err)
	}
	return o, in.ID, r1, r2
}

func TestStatusIntervals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o, inID, r1, r2 := checkFixture(t, st)
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		id1, err := o.OpenStatus(ctx, "t.one", r1, model.TestFail, "not met", at(0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.OpenStatus(ctx, "t.one", r1, model.TestPass, "", at(1)); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("a second open interval: %v", err)
		}
		if err := o.CloseStatus(ctx, id1, at(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := o.OpenStatus(ctx, "t.one", r1, model.TestPass, "", at(3)); err != nil {
			t.Fatal(err)
		}
		if _, err := o.OpenStatus(ctx, "t.one", r2, model.TestPass, "", at(0)); err != nil {
			t.Fatal(err)
		}
		open, err := o.OpenStatusesOfIntegration(ctx, inID)
		if err != nil || len(open) != 2 {
			t.Fatalf("open of integration: %+v %v", open, err)
		}
		if open, _ := o.OpenStatusesOfTest(ctx, "t.one"); len(open) != 2 {
			t.Fatalf("open of test: %+v", open)
		}
		// Status at T: the interval overlapping [T, T+1µs).
		statusAt := func(h float64) model.TestStatus {
			T := t0.Add(time.Duration(h * float64(time.Hour)))
			ivs, err := o.Intervals(ctx, store.IntervalFilter{TestID: "t.one", ResourceID: r1, From: T, To: T.Add(time.Microsecond)})
			if err != nil {
				t.Fatal(err)
			}
			if len(ivs) != 1 {
				t.Fatalf("at %v: %d intervals", h, len(ivs))
			}
			return ivs[0].Status
		}
		if statusAt(2.5) != model.TestFail || statusAt(3) != model.TestPass || statusAt(100) != model.TestPass {
			t.Fatal("status at T is wrong")
		}
		// Time failing in [1h, 10h): 2 hours.
		ivs, err := o.Intervals(ctx, store.IntervalFilter{TestID: "t.one", Status: model.TestFail, From: at(1), To: at(10)})
		if err != nil || len(ivs) != 1 || ivs[0].Overlap(at(1), at(10)) != 2*time.Hour || ivs[0].ResourceType != "host.sshd" {
			t.Fatalf("failing intervals: %+v %v", ivs, err)
		}
		if ivs, _ := o.Intervals(ctx, store.IntervalFilter{From: at(4), To: at(5)}); len(ivs) != 2 {
			t.Fatalf("intervals overlapping a later period: %+v", ivs)
		}
		if ivs, _ := o.Intervals(ctx, store.IntervalFilter{}); len(ivs) != 3 {
			t.Fatalf("every interval: %+v", ivs)
		}
		counts, err := o.CurrentStatusCounts(ctx)
		if err != nil || len(counts) != 1 || counts[0].Count != 2 || counts[0].Status != model.TestPass {
			t.Fatalf("counts: %+v %v", counts, err)
		}
		cur, err := o.CurrentResults(ctx, "t.one")
		if err != nil || len(cur) != 2 || cur[0].Integration != "web-1" {
			t.Fatalf("current: %+v %v", cur, err)
		}
	})
}

func TestStatusChangesOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o, inID, r1, _ := checkFixture(t, st)
		var ids []int64
		for i, to := range []model.TestStatus{model.TestFail, model.TestPass, model.TestFail} {
			c, err := o.InsertStatusChange(ctx, model.StatusChange{TestID: "t.one", TestTitle: "One", Severity: model.SeverityHigh,
				ResourceID: r1, ResourceType: "host.sshd", ResourceName: "sshd", IntegrationID: inID, Integration: "web-1",
				To: to, Message: "m", At: t0.Add(time.Duration(i) * time.Minute), Controls: []string{"IAM-04"}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		got, err := o.StatusChangesAfter(ctx, ids[0], 10)
		if err != nil || len(got) != 2 || got[0].ID != ids[1] || got[0].To != model.TestPass || got[1].Controls[0] != "IAM-04" {
			t.Fatalf("after first: %+v %v", got, err)
		}
		if all, _ := st.StatusChangesAfter(ctx, 0, 2); len(all) != 2 || all[0].OrgID != o.ID() {
			t.Fatalf("store-wide: %+v", all)
		}
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		if got, _ := st.Org(other.ID).StatusChangesAfter(ctx, 0, 10); len(got) != 0 {
			t.Fatalf("another organization sees changes: %+v", got)
		}
		recent, err := o.StatusChanges(ctx, store.StatusChangeFilter{TestID: "t.one", From: t0.Add(time.Minute)})
		if err != nil || len(recent) != 2 || recent[0].ID != ids[2] {
			t.Fatalf("filtered: %+v %v", recent, err)
		}
	})
}

func TestExceptionsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o, _, r1, _ := checkFixture(t, st)
		e, err := o.InsertException(ctx, model.Exception{TestID: "t.one", ResourceID: r1, Reason: "legacy box", Approver: "ciso@acme.test",
			ExpiresAt: t0.Add(48 * time.Hour), CreatedBy: "me@acme.test", CreatedAt: t0})
		if err != nil || e.ID == 0 || e.ResourceName != "sshd" || !e.ActiveAt(t0.Add(time.Hour)) || e.ActiveAt(t0.Add(49*time.Hour)) {
			t.Fatalf("inserted: %+v %v", e, err)
		}
		all, err := o.InsertException(ctx, model.Exception{TestID: "t.two", Reason: "all of them", Approver: "ciso", ExpiresAt: t0.Add(time.Hour), CreatedBy: "me", CreatedAt: t0})
		if err != nil || all.ResourceID != 0 || !all.Covers("t.two", 12345) {
			t.Fatalf("per test: %+v %v", all, err)
		}
		if list, _ := o.Exceptions(ctx, store.ExceptionFilter{ResourceID: r1}); len(list) != 2 {
			t.Fatalf("for a resource (its own and every-resource ones): %+v", list)
		}
		first, err := o.RecordExceptionExpiry(ctx, all.ID, t0.Add(2*time.Hour))
		again, _ := o.RecordExceptionExpiry(ctx, all.ID, t0.Add(3*time.Hour))
		if err != nil || !first || again {
			t.Fatalf("expiry recorded once: %v %v %v", first, again, err)
		}
		if err := o.RevokeException(ctx, e.ID, "ciso", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := o.RevokeException(ctx, e.ID, "ciso", t0.Add(time.Hour)); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("revoked twice: %v", err)
		}
		got, _ := o.Exception(ctx, e.ID)
		if got.State(t0.Add(2*time.Hour)) != "revoked" || got.RevokedBy != "ciso" {
			t.Fatalf("revoked: %+v", got)
		}
	})
}

func TestCustomTestsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		o, _, _, _ := checkFixture(t, st)
		if err := o.SaveCustomTest(ctx, "acme.one", "tests: []", "me", t0); err != nil {
			t.Fatal(err)
		}
		if err := o.SaveCustomTest(ctx, "acme.one", "tests: [1]", "you", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		list, err := o.CustomTests(ctx)
		if err != nil || len(list) != 1 || list[0].Source != "tests: [1]" || list[0].CreatedBy != "me" || list[0].UpdatedBy != "you" {
			t.Fatalf("saved: %+v %v", list, err)
		}
		if err := o.RemoveCustomTest(ctx, "acme.one", "me", t0.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if list, _ := o.CustomTests(ctx); len(list) != 0 {
			t.Fatalf("removed test listed: %+v", list)
		}
		if err := o.RemoveCustomTest(ctx, "acme.one", "me", t0); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("removed twice: %v", err)
		}
	})
}
