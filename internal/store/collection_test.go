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

func TestIntegrationsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		o := st.Org(org.ID)
		rec := store.IntegrationRecord{Connector: "host", Name: "web-1", Config: map[string]string{"run_commands": "true"},
			Secrets: map[string]string{"token": "sealed:abc"}, Enabled: true, Interval: time.Hour, RateLimit: 5}
		in, err := o.CreateIntegration(ctx, rec, t0)
		if err != nil {
			t.Fatal(err)
		}
		if in.ID == 0 || !in.Enabled || in.Interval.Std() != time.Hour || in.Config["run_commands"] != "true" ||
			len(in.SecretFields) != 1 || in.SecretFields[0] != "token" || in.RateLimit != 5 {
			t.Fatalf("created %+v", in)
		}
		if _, err := o.CreateIntegration(ctx, rec, t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("same name twice: %v", err)
		}
		if _, err := st.Org(other.ID).CreateIntegration(ctx, rec, t0); err != nil {
			t.Fatalf("same name in another organization: %v", err)
		}
		if _, _, err := st.Org(other.ID).Integration(ctx, in.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("integration visible from another organization: %v", err)
		}
		_, sealed, err := o.Integration(ctx, in.ID)
		if err != nil || sealed["token"] != "sealed:abc" {
			t.Fatalf("sealed secrets: %v %v", sealed, err)
		}
		rec.Name, rec.Enabled, rec.Interval = "web-one", false, 30*time.Minute
		if err := o.UpdateIntegration(ctx, in.ID, rec, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := o.IntegrationByName(ctx, "web-one")
		if err != nil || got.Enabled || got.Interval.Std() != 30*time.Minute || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
			t.Fatalf("updated: %+v %v", got, err)
		}
		if err := o.RemoveIntegration(ctx, in.ID, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := o.IntegrationByName(ctx, "web-one"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("removed integration found by name: %v", err)
		}
		if list, _ := o.Integrations(ctx, false); len(list) != 0 {
			t.Fatalf("removed integration listed: %+v", list)
		}
		if list, _ := o.Integrations(ctx, true); len(list) != 1 || list[0].RemovedAt == nil {
			t.Fatalf("removed integration not kept: %+v", list)
		}
		// The name is free again once removed.
		if _, err := o.CreateIntegration(ctx, rec, t0); err != nil {
			t.Fatalf("name of a removed integration: %v", err)
		}
	})
}

func TestRunsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		o := st.Org(org.ID)
		in, _ := o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "h", Enabled: true, Interval: time.Hour}, t0)
		run, err := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0)
		if err != nil || run.Status != model.RunRunning {
			t.Fatalf("start: %+v %v", run, err)
		}
		// The database refuses a second running run of the same integration.
		if _, err := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("second running run: %v", err)
		}
		// A fresh heartbeat keeps it; a stale one marks it interrupted.
		if n, err := st.InterruptStaleRuns(ctx, t0.Add(-time.Minute), t0.Add(time.Minute)); err != nil || n != 0 {
			t.Fatalf("live run interrupted: %d %v", n, err)
		}
		if n, err := st.InterruptStaleRuns(ctx, t0.Add(time.Minute), t0.Add(time.Minute)); err != nil || n != 1 {
			t.Fatalf("stale run not interrupted: %d %v", n, err)
		}
		got, _ := o.Run(ctx, run.ID)
		if got.Status != model.RunFailed || got.FinishedAt == nil || got.Error == "" {
			t.Fatalf("interrupted run: %+v", got)
		}
		// Finishing an interrupted run is refused: it stays failed.
		got.Status = model.RunSucceeded
		if err := o.FinishRun(ctx, got); err == nil {
			t.Fatal("an interrupted run was finished")
		}
		run2, err := o.StartRun(ctx, in.ID, model.TriggerAPI, "test", t0.Add(2*time.Minute))
		if err != nil {
			t.Fatalf("start after interruption: %v", err)
		}
		fin := t0.Add(3 * time.Minute)
		run2.Status, run2.FinishedAt, run2.Resources, run2.Calls = model.RunPartial, &fin, 3, 7
		if err := o.FinishRun(ctx, run2); err != nil {
			t.Fatal(err)
		}
		if err := o.InsertListing(ctx, model.Listing{RunID: run2.ID, ResourceType: "host.user", Status: model.RunPartial, Resources: 3,
			FailedScopes: map[string]string{"eu": "timeout"}, StartedAt: t0, FinishedAt: fin}); err != nil {
			t.Fatal(err)
		}
		ls, err := o.Listings(ctx, run2.ID)
		if err != nil || len(ls) != 1 || ls[0].FailedScopes["eu"] != "timeout" || ls[0].Status != model.RunPartial {
			t.Fatalf("listings: %+v %v", ls, err)
		}
		latest, _ := o.LatestRuns(ctx)
		if latest[in.ID].ID != run2.ID || latest[in.ID].Calls != 7 {
			t.Fatalf("latest: %+v", latest)
		}
		runs, _ := o.Runs(ctx, store.RunFilter{IntegrationID: in.ID})
		if len(runs) != 2 || runs[0].ID != run2.ID {
			t.Fatalf("runs newest first: %+v", runs)
		}
		id, err := o.InsertObservation(ctx, model.Observation{RunID: run2.ID, ResourceType: "host.user", Method: "READ", Host: "localhost",
			Path: "/etc/passwd", StartedAt: t0, DurationMS: 1.5, Size: 10, SHA256: "ab", Redacted: true})
		if err != nil {
			t.Fatal(err)
		}
		ob, err := o.Observation(ctx, id)
		if err != nil || ob.DurationMS != 1.5 || !ob.Redacted || ob.Path != "/etc/passwd" {
			t.Fatalf("observation: %+v %v", ob, err)
		}
		if obs, _ := o.Observations(ctx, run2.ID, "*"); len(obs) != 1 {
			t.Fatalf("observations: %+v", obs)
		}
		if obs, _ := o.Observations(ctx, run2.ID, "host.other"); len(obs) != 0 {
			t.Fatalf("observations of another listing: %+v", obs)
		}
	})
}

func TestResourcesStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		o := st.Org(org.ID)
		in, _ := o.CreateIntegration(ctx, store.IntegrationRecord{Connector: "host", Name: "h", Enabled: true, Interval: time.Hour}, t0)
		run, _ := o.StartRun(ctx, in.ID, model.TriggerCLI, "test", t0)
		obID, _ := o.InsertObservation(ctx, model.Observation{RunID: run.ID, ResourceType: "host.user", Method: "READ", Host: "localhost", Path: "/etc/passwd", StartedAt: t0, SHA256: "ab"})
		v := store.NewVersion{Name: "root", ContentHash: "h1", Attributes: []byte(`{"uid":0,"big":12345678901234567}`), RunID: run.ID, ObservedAt: t0, ObservationIDs: []int64{obID, obID}}
		id, err := o.InsertResource(ctx, in.ID, "host.user", "root", v)
		if err != nil {
			t.Fatal(err)
		}
		states, err := o.ResourceStates(ctx, in.ID, "host.user")
		if err != nil || states["root"].ID != id || states["root"].ContentHash != "h1" || states["root"].Removed {
			t.Fatalf("states: %+v %v", states, err)
		}
		r, err := o.Resource(ctx, id)
		if err != nil || r.Integration != "h" || r.Connector != "host" || r.Attributes["big"].(interface{ String() string }).String() != "12345678901234567" {
			t.Fatalf("resource: %+v %v", r, err)
		}
		// Freshness: a later complete listing moves "last seen" without touching the resource.
		later := t0.Add(time.Hour)
		if err := o.RecordFreshness(ctx, in.ID, "host.user", run.ID, model.RunSucceeded, later, &later); err != nil {
			t.Fatal(err)
		}
		if err := o.RecordFreshness(ctx, in.ID, "host.user", run.ID, model.RunFailed, later.Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
		r, _ = o.Resource(ctx, id)
		if !r.LastSeenAt.Equal(later) || !r.FirstSeenAt.Equal(t0) {
			t.Fatalf("last seen %v, want %v (a failed listing must not move it)", r.LastSeenAt, later)
		}
		v2 := v
		v2.ContentHash, v2.Attributes, v2.ObservedAt, v2.ObservationIDs = "h2", []byte(`{"uid":1}`), later, nil
		if _, err := o.AddVersion(ctx, id, v2); err != nil {
			t.Fatal(err)
		}
		vs, err := o.ResourceVersions(ctx, id)
		if err != nil || len(vs) != 2 || vs[0].ContentHash != "h2" || len(vs[1].ObservationIDs) != 1 || vs[1].ObservationIDs[0] != obID {
			t.Fatalf("versions: %+v %v", vs, err)
		}
		obs, err := o.VersionObservations(ctx, vs[1], "host.user")
		if err != nil || len(obs) != 1 || obs[0].ID != obID {
			t.Fatalf("version observations: %+v %v", obs, err)
		}
		if err := o.MarkResourceRemoved(ctx, id, run.ID, later); err != nil {
			t.Fatal(err)
		}
		list, total, err := o.Resources(ctx, store.ResourceFilter{})
		if err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("present after removal: %d %v", total, err)
		}
		list, total, _ = o.Resources(ctx, store.ResourceFilter{Status: "removed", Type: "host.user", Query: "RO"})
		if total != 1 || list[0].RemovedAt == nil || list[0].Attributes["uid"] == nil {
			t.Fatalf("removed list: %d %+v", total, list)
		}
		if _, total, _ := o.Resources(ctx, store.ResourceFilter{Status: "all", Type: "host.other"}); total != 0 {
			t.Fatalf("type filter: %d", total)
		}
		counts, _ := o.ResourceTypeCounts(ctx)
		if len(counts) != 1 || counts[0].Removed != 1 || counts[0].Present != 0 {
			t.Fatalf("counts: %+v", counts)
		}
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		if _, err := st.Org(other.ID).Resource(ctx, id); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("resource visible from another organization: %v", err)
		}
	})
}
