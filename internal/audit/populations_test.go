package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

func person(id, start, end string) map[string]any {
	return map[string]any{"employee_id": id, "email": id + "@acme.test", "name": "Person " + id, "start_date": start, "manager": "boss@acme.test",
		"termination_date": end, "status": "active", "active": end == "", "terminated": end != ""}
}

func pr(repo string, n int, merged string, intoDefault bool) map[string]any {
	return map[string]any{"repository": repo, "number": n, "title": fmt.Sprintf("Change %d", n), "author": "dev", "base_branch": "main",
		"into_default_branch": intoDefault, "merged_at": merged, "merged_by": "lead", "approved": true, "approvers": []any{"lead"}}
}

func oktaUser(id, status, created, changed string) map[string]any {
	return map[string]any{"id": id, "login": id + "@acme.test", "email": id + "@acme.test", "status": status, "created": created,
		"status_changed": changed, "enabled": status == "ACTIVE"}
}

func TestPopulations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, day("2026-01-05"))
		hr := w.integration("hr_csv", "roster")
		gh := w.integration("github", "acme-gh")
		okta := w.integration("okta", "acme-okta")
		w.collect(hr, map[string]map[string]map[string]any{"hr.person": {
			"E1": person("E1", "2025-06-01", ""),           // before the period
			"E2": person("E2", "2026-02-01", ""),           // hired in the period
			"E3": person("E3", "2024-01-01", "2026-03-15"), // left in the period
			"E4": person("E4", "2026-07-01", ""),           // hired after it
		}})
		w.collect(gh, map[string]map[string]map[string]any{"github.pull_request": {
			"acme/api#1": pr("acme/api", 1, "2026-01-20T10:00:00Z", true),
			"acme/api#2": pr("acme/api", 2, "2026-02-20T10:00:00Z", false), // into a release branch
			"acme/web#7": pr("acme/web", 7, "2025-12-30T10:00:00Z", true),  // before the period
		}})
		w.collect(okta, map[string]map[string]map[string]any{"okta.user": {
			"u1": oktaUser("u1", "ACTIVE", "2025-01-01T00:00:00Z", ""),
			"u2": oktaUser("u2", "ACTIVE", "2025-01-01T00:00:00Z", ""),
			"u3": oktaUser("u3", "ACTIVE", "2025-01-01T00:00:00Z", ""),
		}})
		// Later in the period: a pull request ages out of the lookback
		// window (removed, but merged in the period: still counted), a new
		// account, one deactivated, one deleted.
		w.now = day("2026-04-10")
		w.collect(gh, map[string]map[string]map[string]any{"github.pull_request": {
			"acme/api#2": pr("acme/api", 2, "2026-02-20T10:00:00Z", false),
			"acme/api#9": pr("acme/api", 9, "2026-04-09T10:00:00Z", true),
		}})
		w.collect(okta, map[string]map[string]map[string]any{"okta.user": {
			"u1": oktaUser("u1", "DEPROVISIONED", "2025-01-01T00:00:00Z", "2026-04-02T08:00:00Z"),
			"u2": oktaUser("u2", "ACTIVE", "2025-01-01T00:00:00Z", ""),
			"u4": oktaUser("u4", "ACTIVE", "2026-04-01T09:00:00Z", ""),
		}})
		w.now = day("2026-07-10")
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30"})

		keys := func(p model.Population) []string {
			_, f, err := w.svc.Population(ctx, w.owner, a.ID, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, it := range f.Items {
				out = append(out, it.Key)
			}
			return out
		}
		pull := func(kind model.PopulationKind) model.Population {
			p, err := w.svc.ProducePopulation(ctx, w.owner, a.ID, PopulationInput{Kind: kind})
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			return p
		}
		changes := pull(model.PopulationProductionChanges)
		if got := keys(changes); !slices.Equal(got, []string{"github.pull_request:acme/api#1", "github.pull_request:acme/api#9"}) || changes.Count != 2 {
			t.Fatalf("production changes: %v", got)
		}
		if len(changes.Source.Integrations) != 1 || changes.Source.Integrations[0].Name != "acme-gh" || changes.Source.DataThrough == nil ||
			changes.Query.Parameters["condition"] == "" || !strings.Contains(changes.Query.Description, "merged_at") ||
			!slices.Contains(changes.Controls, "CHG-01") {
			t.Fatalf("provenance: %+v", changes)
		}
		if got := keys(pull(model.PopulationNewHires)); !slices.Equal(got, []string{"hr.person:E2"}) {
			t.Fatalf("new hires: %v", got)
		}
		terms := pull(model.PopulationTerminations)
		if got := keys(terms); !slices.Equal(got, []string{"hr.person:E3"}) || !slices.Contains(terms.Controls, "IAM-07") {
			t.Fatalf("terminations: %v %v", got, terms.Controls)
		}
		if got := keys(pull(model.PopulationNewAccounts)); !slices.Equal(got, []string{"okta.user:u4"}) {
			t.Fatalf("new accounts: %v", got)
		}
		removed := pull(model.PopulationRemovedAccounts)
		_, rf, _ := w.svc.Population(ctx, w.owner, a.ID, removed.ID)
		if len(rf.Items) != 2 || !strings.HasPrefix(rf.Items[0].Key, "okta.user:u1@") || !rf.Items[0].OccurredAt.Equal(day("2026-04-02").Add(8*3600e9)) ||
			!strings.HasPrefix(rf.Items[1].Key, "okta.user:u3@") || !strings.Contains(rf.Items[1].Label, "deleted") {
			t.Fatalf("removed accounts: %+v", rf.Items)
		}

		// Completeness and accuracy: the hash is the stored file's, the
		// file is evidence on the ledger.
		pop, body, err := w.svc.PopulationBytes(ctx, w.owner, a.ID, terms.ID)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != pop.SHA256 || pop.Size != int64(len(body)) || !strings.Contains(string(body), `"kind":"terminations"`) {
			t.Fatalf("hash %s of %d bytes vs %s", hex.EncodeToString(sum[:]), len(body), pop.SHA256)
		}
		it, err := w.o.EvidenceItem(ctx, pop.EvidenceID)
		if err != nil || it.Kind != model.EvidenceAutomated || it.Current == nil || it.Current.SHA256 != pop.SHA256 ||
			it.Current.EffectiveFrom != "2026-01-01" || it.Current.EffectiveTo != "2026-06-30" || it.SourceKey != fmt.Sprintf("population:%d", pop.ID) {
			t.Fatalf("evidence: %+v %v", it, err)
		}
		entries, _ := w.o.LedgerEntriesFor(ctx, fmt.Sprintf("evidence:%d", it.ID))
		auditEntries, _ := w.o.LedgerEntriesFor(ctx, subject(a.ID))
		if len(entries) != 1 || entries[0].Kind != "evidence.added" || countKind(auditEntries, KindPopulationProduced) != 5 {
			t.Fatalf("ledger: %d evidence entries, audit entries %+v", len(entries), auditEntries)
		}
		// A population is not evidence that a control operated: it leaves
		// the live status and the occurrence counts alone.
		if len(it.Controls) != 0 {
			t.Fatalf("the population is linked as evidence of %v", it.Controls)
		}

		// Sampling an event-driven control uses its population.
		sm, err := w.svc.DrawSample(ctx, w.owner, a.ID, SampleInput{Control: "IAM-07"})
		if err != nil || sm.Basis != model.SamplePopulation || sm.PopulationID == 0 || sm.PopulationSize == 0 || sm.PopulationSHA256 == "" {
			t.Fatalf("event-driven sample: %+v %v", sm, err)
		}

		// Test failures come from the monitor's status changes.
		host := w.integration("host", "web-1")
		w.now = day("2026-05-01")
		w.collect(host, sshd(true))
		w.now = day("2026-07-10")
		fails := pull(model.PopulationTestFailures)
		_, ff, _ := w.svc.Population(ctx, w.owner, a.ID, fails.ID)
		// Other built-in tests also judge this world's fixtures (and fail on
		// their missing fields); the SSH failure is among them, and every item
		// is a change to a failing status inside the period.
		sawSSH := false
		for _, it := range ff.Items {
			if to := it.Attributes["to"]; to != string(model.TestFail) && to != string(model.TestError) {
				t.Fatalf("a population item is not a failure: %+v", it)
			}
			sawSSH = sawSSH || it.Attributes["test"] == pwTest
		}
		if fails.Count != len(ff.Items) || !sawSSH || !slices.Contains(fails.Controls, "IAM-04") {
			t.Fatalf("test failures: %d %+v %v", fails.Count, ff.Items, fails.Controls)
		}

		// A kind no integration collects is refused with the way out.
		t1 := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType1, AsOf: "2026-06-30"})
		if _, err := w.svc.ProducePopulation(ctx, w.owner, t1.ID, PopulationInput{Kind: model.PopulationNewHires}); !model.IsValidation(err) {
			t.Fatalf("population of a Type 1: %v", err)
		}
	})
}

func TestPopulationWithoutSourceIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st, day("2026-07-10"))
		a := w.create(CreateInput{Framework: model.SOC2, Type: model.AuditType2, From: "2026-01-01", To: "2026-06-30"})
		_, err := w.svc.ProducePopulation(context.Background(), w.owner, a.ID, PopulationInput{Kind: model.PopulationProductionChanges})
		if !model.IsValidation(err) || !strings.Contains(err.Error(), "--connector github") {
			t.Fatalf("no github integration: %v", err)
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
