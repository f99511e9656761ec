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

func TestScopeRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		os := st.Org(org.ID)
		if _, ok, err := os.Scope(ctx, model.SOC2); ok || err != nil {
			t.Fatalf("a fresh organization has a scope: %v %v", ok, err)
		}
		want := model.Scope{
			Framework:  model.SOC2,
			Categories: []model.Category{model.CategorySecurity, model.CategoryAvailability},
			System: model.System{Services: "Acme Tasks", Commitments: []string{"99.9% uptime"},
				Components: model.Components{Infrastructure: "AWS"},
				Incidents:  []model.Incident{{Date: "2026-02-01", Description: "Outage", Resolution: "Fixed"}}},
			Subservice: []model.SubserviceOrg{{Name: "AWS", Services: "Hosting", Method: model.CarveOut,
				CSOCs: []model.CSOC{{Control: "Data center access restricted", Criteria: []string{"CC6.4"}}}},
				{Name: "Okta", Method: model.Inclusive, CSOCs: []model.CSOC{}}},
			CUECs:       []model.CUEC{{Control: "Customers manage their users", Criteria: []string{"CC6.2"}}},
			NotRelevant: []model.NotRelevant{{Criterion: "CC6.4", Reason: "No offices"}},
		}
		err := os.InTx(ctx, func(tx *store.OrgStore) error { return tx.SaveScope(ctx, want, "a@example.com", t0) })
		if err != nil {
			t.Fatal(err)
		}
		got, ok, err := os.Scope(ctx, model.SOC2)
		if err != nil || !ok {
			t.Fatal(err)
		}
		if got.UpdatedBy != "a@example.com" || got.UpdatedAt == nil || !got.UpdatedAt.Equal(t0) {
			t.Fatalf("updated %v %v", got.UpdatedBy, got.UpdatedAt)
		}
		if got.Subservice[0].ID == 0 || got.Subservice[0].CSOCs[0].ID == 0 || got.CUECs[0].ID == 0 {
			t.Fatal("list items have no ids")
		}
		clear := func(s *model.Scope) {
			s.UpdatedAt, s.UpdatedBy = nil, ""
			for i := range s.Subservice {
				s.Subservice[i].ID = 0
				for j := range s.Subservice[i].CSOCs {
					s.Subservice[i].CSOCs[j].ID = 0
				}
			}
			for i := range s.CUECs {
				s.CUECs[i].ID = 0
			}
		}
		clear(&got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
		// Saving again replaces the lists.
		want.Subservice, want.CUECs = want.Subservice[:1], []model.CUEC{}
		if err := os.SaveScope(ctx, want, "b", t0); err != nil {
			t.Fatal(err)
		}
		got, _, _ = os.Scope(ctx, model.SOC2)
		if len(got.Subservice) != 1 || len(got.CUECs) != 0 || len(got.Subservice[0].CSOCs) != 1 {
			t.Fatalf("after replace: %+v", got)
		}
		// Duplicate names are a conflict, and the other organization sees nothing.
		want.Subservice = append(want.Subservice, want.Subservice[0])
		if err := os.InTx(ctx, func(tx *store.OrgStore) error { return tx.SaveScope(ctx, want, "b", t0) }); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate subservice: %v", err)
		}
		if _, ok, _ := st.Org(other.ID).Scope(ctx, model.SOC2); ok {
			t.Fatal("scope leaks across organizations")
		}
		if _, ok, _ := os.Scope(ctx, model.SOC1); ok {
			t.Fatal("scope leaks across frameworks")
		}
	})
}

func TestControlsAndObjectives(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		os := st.Org(org.ID)
		ob, err := os.CreateObjective(ctx, model.Objective{Key: "ITGC-LA-1", Kind: model.ObjectiveITGC, Family: "logical_access",
			Title: "Access", Objective: "Controls provide reasonable assurance that…", TemplateKey: "ITGC-LA-1"}, t0)
		if err != nil || ob.ID == 0 || ob.RetiredAt != nil {
			t.Fatalf("objective: %+v %v", ob, err)
		}
		if _, err := os.CreateObjective(ctx, model.Objective{Key: "ITGC-LA-1", Kind: model.ObjectiveITGC, Title: "x", Objective: "y"}, t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate objective: %v", err)
		}
		c := model.Control{Key: "IAM-01", Title: "MFA", Description: "d", Owner: "Security lead", Frequency: model.FrequencyContinuous,
			Nature: model.NatureAutomated, Status: model.ControlPlanned, Evidence: []string{"export"}, LibraryKey: "IAM-01", LibraryVersion: "1",
			Criteria:   []model.CriterionMapping{{CriterionID: "CC6.1", Rationale: "r1"}, {CriterionID: "CC6.6", Rationale: "r2"}},
			Objectives: []model.ObjectiveMapping{{ObjectiveKey: "ITGC-LA-1", Rationale: "r3"}}}
		var got model.Control
		err = os.InTx(ctx, func(tx *store.OrgStore) error { got, err = tx.CreateControl(ctx, c, t0); return err })
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 0 || len(got.Criteria) != 2 || got.Criteria[1].Rationale != "r2" || len(got.Objectives) != 1 || got.Objectives[0].ObjectiveKey != "ITGC-LA-1" {
			t.Fatalf("created %+v", got)
		}
		if _, err := os.CreateControl(ctx, c, t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate key: %v", err)
		}
		bad := c
		bad.Key, bad.Objectives = "IAM-09", []model.ObjectiveMapping{{ObjectiveKey: "NOPE", Rationale: "x"}}
		if err := os.InTx(ctx, func(tx *store.OrgStore) error { _, err := tx.CreateControl(ctx, bad, t0); return err }); !model.IsValidation(err) {
			t.Fatalf("mapping to an unknown objective: %v", err)
		}
		if _, err := os.Control(ctx, "IAM-09"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("the failed create left a row: %v", err)
		}
		c.Title, c.Edited = "MFA everywhere", []model.ControlField{model.FieldTitle}
		c.Criteria = c.Criteria[:1]
		err = os.InTx(ctx, func(tx *store.OrgStore) error { got, err = tx.UpdateControl(ctx, c, t0.Add(time.Second)); return err })
		if err != nil || got.Title != "MFA everywhere" || !got.IsEdited(model.FieldTitle) || len(got.Criteria) != 1 || !got.UpdatedAt.Equal(t0.Add(time.Second)) {
			t.Fatalf("updated %+v %v", got, err)
		}
		list, err := os.Controls(ctx)
		if err != nil || len(list) != 1 || len(list[0].Criteria) != 1 || len(list[0].Objectives) != 1 || list[0].Evidence[0] != "export" {
			t.Fatalf("list %+v %v", list, err)
		}
		if l, _ := st.Org(other.ID).Controls(ctx); len(l) != 0 {
			t.Fatal("controls leak across organizations")
		}
		if _, err := st.Org(other.ID).Control(ctx, "IAM-01"); !errors.Is(err, model.ErrNotFound) {
			t.Fatal("a control is readable from another organization")
		}
		if err := os.RetireObjective(ctx, "ITGC-LA-1", "a@example.com", t0); err != nil {
			t.Fatal(err)
		}
		if err := os.RetireObjective(ctx, "ITGC-LA-1", "a@example.com", t0); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("retiring twice: %v", err)
		}
		if l, _ := os.Objectives(ctx, false); len(l) != 0 {
			t.Fatal("retired objective listed as active")
		}
		if l, _ := os.Objectives(ctx, true); len(l) != 1 || l[0].RetiredAt == nil {
			t.Fatal("retired objective lost")
		}
	})
}
