package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

func TestAuditsRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		o := st.Org(org.ID)
		u, err := st.CreateUser(ctx, "auditor@firm.test", "Ann Auditor", "x", t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.AddMember(ctx, u.ID, model.RoleAuditor, t0); err != nil {
			t.Fatal(err)
		}
		a := model.Audit{Name: "SOC 2 Type 2", Framework: model.SOC2, Type: model.AuditType2, PeriodFrom: "2026-01-01", PeriodTo: "2026-06-30",
			Status: model.AuditPlanning, Firm: "Firm LLP",
			Scope: model.Scope{Framework: model.SOC2, Categories: []model.Category{model.CategorySecurity}, CUECs: []model.CUEC{{Control: "Customers manage users", Criteria: []string{"CC6.2"}}}},
			Controls: []model.AuditControl{{Key: "IAM-08", Title: "Review access", Frequency: model.FrequencyQuarterly, Nature: model.NatureManual,
				Evidence: []string{}, Criteria: []model.CriterionMapping{{CriterionID: "CC6.2", Rationale: "reviews"}}, Objectives: []model.ObjectiveMapping{}}},
			Sampling: model.DefaultSampleTable(), CatalogVersion: "2017.2022.1", CreatedAt: t0, CreatedBy: "owner@acme.test"}
		if a.ID, err = o.CreateAudit(ctx, a); err != nil {
			t.Fatal(err)
		}
		if err := o.AddAuditMember(ctx, a.ID, u.ID, "owner@acme.test", t0); err != nil {
			t.Fatal(err)
		}
		if err := o.AddAuditMember(ctx, a.ID, u.ID, "owner@acme.test", t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("second invitation: %v", err)
		}
		got, err := o.Audit(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != model.AuditType2 || got.PeriodTo != "2026-06-30" || got.AsOf != "" || !got.CreatedAt.Equal(t0) ||
			!reflect.DeepEqual(got.Controls, a.Controls) || !reflect.DeepEqual(got.Sampling, a.Sampling) || got.Scope.CUECs[0].Criteria[0] != "CC6.2" {
			t.Fatalf("round trip: %+v", got)
		}
		if len(got.Members) != 1 || got.Members[0].Email != "auditor@firm.test" || got.Members[0].Role != model.RoleAuditor {
			t.Fatalf("members: %+v", got.Members)
		}
		// Scoped: another organization does not see it; an auditor's list is
		// its audits only.
		if _, err := st.Org(other.ID).Audit(ctx, a.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("other organization: %v", err)
		}
		second := a
		second.Type, second.AsOf, second.PeriodFrom, second.PeriodTo = model.AuditType1, "2026-06-30", "", ""
		if second.ID, err = o.CreateAudit(ctx, second); err != nil {
			t.Fatal(err)
		}
		all, _ := o.Audits(ctx, 0)
		mine, _ := o.Audits(ctx, u.ID)
		if len(all) != 2 || len(mine) != 1 || mine[0].ID != a.ID {
			t.Fatalf("lists: all %d, member's %d", len(all), len(mine))
		}
		// An inverted period is refused by the database too.
		bad := a
		bad.PeriodFrom, bad.PeriodTo = "2026-07-01", "2026-01-01"
		if _, err := o.CreateAudit(ctx, bad); err == nil {
			t.Fatal("an inverted period was stored")
		}

		// Populations, samples with results, requests, comments.
		popID, err := o.InsertPopulation(ctx, model.Population{AuditID: a.ID, Kind: model.PopulationNewHires, Title: "New hires",
			Source:     model.PopulationSource{Integrations: []model.PopulationIntegration{{ID: 1, Name: "roster", Connector: "hr_csv"}}, ResourceTypes: []string{"hr.person"}},
			Query:      model.PopulationQuery{Description: "start_date in period", Parameters: map[string]string{"from": "2026-01-01"}},
			PeriodFrom: "2026-01-01", PeriodTo: "2026-06-30", ProducedAt: t0, ProducedBy: "auditor@firm.test", Count: 3, SHA256: "ab", Size: 10,
			Controls: []string{"HR-02"}})
		if err != nil {
			t.Fatal(err)
		}
		pop, err := o.Population(ctx, a.ID, popID)
		if err != nil || pop.Count != 3 || pop.Source.Integrations[0].Connector != "hr_csv" || pop.Query.Parameters["from"] != "2026-01-01" || pop.EvidenceID != 0 {
			t.Fatalf("population: %+v %v", pop, err)
		}
		if _, err := o.Population(ctx, second.ID, popID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("population through another audit: %v", err)
		}
		end := t0.Add(24 * time.Hour)
		sm := model.Sample{AuditID: a.ID, ControlKey: "IAM-08", Frequency: model.FrequencyQuarterly, Basis: model.SampleOccurrences,
			PopulationSHA256: "cd", PopulationSize: 2, Seed: 1 << 52, Size: 1, Rule: "quarterly: 2", CreatedAt: t0, CreatedBy: "auditor@firm.test",
			Items: []model.SampleItem{{Position: 1, PopulationIndex: 1, Stratum: 0, Key: "k", Label: "2026-Q2", At: t0, To: &end, Result: model.ResultPending}}}
		if sm.ID, err = o.InsertSample(ctx, sm); err != nil {
			t.Fatal(err)
		}
		if err := o.SetSampleResult(ctx, sm.ID, 1, model.ResultException, "late", "auditor@firm.test", end); err != nil {
			t.Fatal(err)
		}
		if err := o.SetSampleResult(ctx, sm.ID, 2, model.ResultPass, "", "auditor@firm.test", end); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("result for an item the sample lacks: %v", err)
		}
		samples, err := o.Samples(ctx, a.ID, "IAM-08")
		if err != nil || len(samples) != 1 || samples[0].Seed != 1<<52 || len(samples[0].Items) != 1 {
			t.Fatalf("samples: %+v %v", samples, err)
		}
		it := samples[0].Items[0]
		if it.Result != model.ResultException || it.Note != "late" || it.TestedAt == nil || !it.TestedAt.Equal(end) || it.To == nil || !it.To.Equal(end) {
			t.Fatalf("item: %+v", it)
		}
		r := model.Request{AuditID: a.ID, Title: "Q2 review", ControlKey: "IAM-08", Owner: "it@acme.test", Due: "2026-07-15",
			Status: model.RequestOpen, CreatedAt: t0, CreatedBy: "auditor@firm.test"}
		if r.ID, err = o.InsertRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		evID, err := o.CreateEvidenceItem(ctx, model.EvidenceItem{Kind: model.EvidenceFile, Title: "review.pdf", CreatedAt: t0, CreatedBy: model.Actor{Via: "cli"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.AttachToRequest(ctx, r.ID, evID, "owner@acme.test", end); err != nil {
			t.Fatal(err)
		}
		if err := o.AttachToRequest(ctx, r.ID, evID, "owner@acme.test", end); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("attached twice: %v", err)
		}
		r.Status, r.UpdatedAt, r.UpdatedBy = model.RequestSubmitted, end, "owner@acme.test"
		if err := o.UpdateRequest(ctx, r); err != nil {
			t.Fatal(err)
		}
		rs, err := o.Requests(ctx, a.ID)
		if err != nil || len(rs) != 1 || rs[0].Status != model.RequestSubmitted || len(rs[0].Attachments) != 1 || rs[0].Attachments[0].Title != "review.pdf" ||
			rs[0].Due != "2026-07-15" {
			t.Fatalf("requests: %+v %v", rs, err)
		}
		if _, err := o.InsertComment(ctx, model.Comment{AuditID: a.ID, Subject: "request:1", Body: "Thanks", Author: "auditor@firm.test",
			AuthorRole: model.RoleAuditor, CreatedAt: end}); err != nil {
			t.Fatal(err)
		}
		cs, err := o.Comments(ctx, a.ID, "request:1")
		if err != nil || len(cs) != 1 || cs[0].AuthorRole != model.RoleAuditor {
			t.Fatalf("comments: %+v %v", cs, err)
		}
		got.Status, got.Name = model.AuditFieldwork, "Renamed"
		if err := o.UpdateAudit(ctx, got, "owner@acme.test", end); err != nil {
			t.Fatal(err)
		}
		if err := o.RemoveAuditMember(ctx, a.ID, u.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = o.Audit(ctx, a.ID)
		if got.Status != model.AuditFieldwork || got.Name != "Renamed" || len(got.Members) != 0 {
			t.Fatalf("after update: %+v", got)
		}
	})
}
