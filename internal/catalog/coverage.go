package catalog

import (
	"context"

	"github.com/assurehq/assure/internal/model"
)

// Coverage is the gap analysis of one framework for the organization's
// scope: which criteria (SOC 2) or objectives (SOC 1) no active control
// covers, which controls have neither a test nor evidence yet, and which
// criteria are marked not relevant and why.
type Coverage struct {
	Framework  model.Framework  `json:"framework"`
	Categories []model.Category `json:"categories"`
	Summary    CoverageSummary  `json:"summary"`
	// Items lists every criterion or objective in scope with the active
	// controls that cover it.
	Items []CoverageItem `json:"items"`
	// Uncovered: in scope, relevant, and no active control maps to it.
	Uncovered   []CoverageItem      `json:"uncovered"`
	NotRelevant []model.NotRelevant `json:"not_relevant"`
	// Unproven: active controls mapped to this framework with neither a test
	// nor evidence yet.
	Unproven []ControlActivity `json:"controls_without_tests_or_evidence"`
	// Unmapped: active controls that map to nothing in this framework's scope.
	Unmapped []string `json:"controls_without_mapping"`
}

// CoverageSummary counts the coverage.
type CoverageSummary struct {
	InScope     int `json:"in_scope"`
	Covered     int `json:"covered"`
	Uncovered   int `json:"uncovered"`
	NotRelevant int `json:"not_relevant"`
	Controls    int `json:"controls"`
	Unproven    int `json:"controls_without_tests_or_evidence"`
}

// CoverageItem is one criterion or objective.
type CoverageItem struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Category model.Category `json:"category,omitempty"`
	Group    string         `json:"group,omitempty"`
	Controls []string       `json:"controls"`
	// NotRelevant holds the reason when marked not relevant.
	NotRelevant string `json:"not_relevant,omitempty"`
}

// ControlActivity is a control with its tests and evidence counts.
type ControlActivity struct {
	Key      string              `json:"key"`
	Title    string              `json:"title"`
	Status   model.ControlStatus `json:"status"`
	Tests    int                 `json:"tests"`
	Evidence int                 `json:"evidence"`
}

// Coverage computes the gap analysis for a framework.
func (s *Service) Coverage(ctx context.Context, p model.Principal, fw model.Framework) (Coverage, error) {
	if err := canView(p); err != nil {
		return Coverage{}, err
	}
	if _, err := model.ParseFramework(string(fw)); err != nil {
		return Coverage{}, err
	}
	os := s.st.Org(p.Org.ID)
	sc, err := s.scope(ctx, os, fw)
	if err != nil {
		return Coverage{}, err
	}
	controls, err := os.Controls(ctx)
	if err != nil {
		return Coverage{}, err
	}
	cov := Coverage{Framework: fw, Categories: sc.Categories, Items: []CoverageItem{}, Uncovered: []CoverageItem{},
		NotRelevant: sc.NotRelevant, Unproven: []ControlActivity{}, Unmapped: []string{}}
	nr := map[string]string{}
	for _, n := range sc.NotRelevant {
		nr[n.Criterion] = n.Reason
	}
	var items []CoverageItem
	if fw == model.SOC2 {
		for _, cr := range s.cat.CriteriaIn(sc.Categories) {
			items = append(items, CoverageItem{ID: cr.ID, Title: cr.Title, Category: cr.Category, Group: cr.Group})
		}
	} else {
		obs, err := os.Objectives(ctx, false)
		if err != nil {
			return Coverage{}, err
		}
		for _, ob := range obs {
			items = append(items, CoverageItem{ID: ob.Key, Title: ob.Title, Group: ob.Family})
		}
	}
	index := map[string]int{}
	for i := range items {
		items[i].Controls = []string{}
		items[i].NotRelevant = nr[items[i].ID]
		index[items[i].ID] = i
	}
	for _, c := range controls {
		if c.Status == model.ControlRetired {
			continue
		}
		var ids []string
		if fw == model.SOC2 {
			ids = c.CriterionIDs()
		} else {
			for _, m := range c.Objectives {
				ids = append(ids, m.ObjectiveKey)
			}
		}
		mapped := false
		for _, id := range ids {
			if i, ok := index[id]; ok {
				items[i].Controls = append(items[i].Controls, c.Key)
				mapped = true
			}
		}
		if !mapped {
			cov.Unmapped = append(cov.Unmapped, c.Key)
			continue
		}
		cov.Summary.Controls++
		tests, evidence, err := s.activity(ctx, p.Org.ID, c.Key)
		if err != nil {
			return Coverage{}, err
		}
		if tests == 0 && evidence == 0 {
			cov.Unproven = append(cov.Unproven, ControlActivity{Key: c.Key, Title: c.Title, Status: c.Status, Tests: tests, Evidence: evidence})
		}
	}
	for _, it := range items {
		cov.Items = append(cov.Items, it)
		cov.Summary.InScope++
		switch {
		case it.NotRelevant != "":
			cov.Summary.NotRelevant++
		case len(it.Controls) == 0:
			cov.Uncovered = append(cov.Uncovered, it)
		default:
			cov.Summary.Covered++
		}
	}
	cov.Summary.Uncovered = len(cov.Uncovered)
	cov.Summary.Unproven = len(cov.Unproven)
	return cov, nil
}
