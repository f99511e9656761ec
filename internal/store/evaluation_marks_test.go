package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// Each change to a resource records its run, and the changed resources of
// runs after a given one are read with their intervals; marks round-trip.
func TestChangedResourcesAndMarks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		o := st.Org(org.ID)
		in, _ := o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "h", Enabled: true, Interval: time.Hour}, t0)
		finish := func(r model.Run) {
			t.Helper()
			end := t0
			r.FinishedAt, r.Status = &end, model.RunSucceeded
			if err := o.FinishRun(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		run1, _ := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0)
		v := store.NewVersion{Name: "a", ContentHash: "h1", Attributes: []byte(`{"x":1}`), RunID: run1.ID, ObservedAt: t0}
		a, _ := o.InsertResource(ctx, in.ID, "host.user", "a", v)
		v.Name = "b"
		b, _ := o.InsertResource(ctx, in.ID, "host.user", "b", v)
		v.Name = "c"
		c, _ := o.InsertResource(ctx, in.ID, "host.user", "c", v)
		finish(run1)
		if _, err := o.OpenStatus(ctx, "t", a, model.TestFail, "m", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := o.OpenStatus(ctx, "t", c, model.TestPass, "", t0); err != nil {
			t.Fatal(err)
		}
		runs, err := o.FinishedRuns(ctx)
		if err != nil || runs[in.ID] != run1.ID {
			t.Fatalf("finished runs: %v %v", runs, err)
		}
		// Run 2 relabels a, changes b and removes c.
		run2, _ := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0)
		if err := o.RelabelResource(ctx, a, "a2", "", run2.ID, t0); err != nil {
			t.Fatal(err)
		}
		v2 := store.NewVersion{Name: "b", ContentHash: "h2", Attributes: []byte(`{"x":2}`), RunID: run2.ID, ObservedAt: t0}
		if _, err := o.AddVersion(ctx, b, v2); err != nil {
			t.Fatal(err)
		}
		if err := o.MarkResourceRemoved(ctx, c, run2.ID, t0); err != nil {
			t.Fatal(err)
		}
		got := map[int64]store.EvalResource{}
		err = o.ChangedEvalResources(ctx, in.ID, run1.ID, func(r store.EvalResource) error { got[r.ID] = r; return nil })
		if err != nil || len(got) != 3 || got[a].Name != "a2" || string(got[b].Attributes) != `{"x":2}` && string(got[b].Attributes) != `{"x": 2}` ||
			!got[c].Removed || got[c].Attributes != nil || got[b].VersionID == 0 {
			t.Fatalf("changed since run 1: %+v %v", got, err)
		}
		n := 0
		if err := o.ChangedEvalResources(ctx, in.ID, run2.ID, func(store.EvalResource) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("changed since run 2: %d %v", n, err)
		}
		open, err := o.OpenStatusesOfChanged(ctx, in.ID, run1.ID)
		if err != nil || len(open) != 2 {
			t.Fatalf("open intervals of changed resources: %+v %v", open, err)
		}
		if open, _ := o.OpenStatusesOfType(ctx, in.ID, "host.user"); len(open) != 2 {
			t.Fatalf("open intervals of the type: %+v", open)
		}
		if open, _ := o.OpenStatusesOfTestIn(ctx, "t", in.ID+1); len(open) != 0 {
			t.Fatalf("open intervals of another integration: %+v", open)
		}
		// Marks.
		if _, ok, err := o.EvaluationMark(ctx, in.ID); ok || err != nil {
			t.Fatalf("mark before any: %v %v", ok, err)
		}
		m := store.EvaluationMark{IntegrationID: in.ID, Tests: "sig", Integration: "h", RunID: run1.ID, Holds: map[string]string{"host.user": "none"}, EvaluatedAt: t0}
		if err := o.SaveEvaluationMark(ctx, m); err != nil {
			t.Fatal(err)
		}
		m.RunID, m.Holds = run2.ID, map[string]string{"host.user": "mixed"}
		if err := o.SaveEvaluationMark(ctx, m); err != nil {
			t.Fatal(err)
		}
		back, ok, err := o.EvaluationMark(ctx, in.ID)
		all, _ := o.EvaluationMarks(ctx)
		if err != nil || !ok || back.RunID != run2.ID || back.Holds["host.user"] != "mixed" || back.Tests != "sig" || !back.EvaluatedAt.Equal(t0) || len(all) != 1 {
			t.Fatalf("mark: %+v %v %v (%d marks)", back, ok, err, len(all))
		}
	})
}
