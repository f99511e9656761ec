package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ActivityFunc reports how many tests and evidence items a control has.
// Tests and evidence belong to later parts of the product; until they exist
// the application passes NoActivity, and coverage lists every control as
// having neither.
type ActivityFunc func(ctx context.Context, orgID int64, controlKey string) (tests, evidence int, err error)

// NoActivity is the ActivityFunc for a product without tests and evidence.
func NoActivity(context.Context, int64, string) (int, int, error) { return 0, 0, nil }

// Service keeps each organization's scope, SOC 1 objectives and controls,
// checked against the Catalog, and computes coverage. Every method takes the
// principal acting; reads need the view permission, changes the edit
// permission, checked here so the CLI, API and pages follow one rule.
type Service struct {
	st       *store.Store
	cat      *Catalog
	now      func() time.Time
	activity ActivityFunc
}

// NewService returns the service over a store and a loaded catalog. now is
// the clock; activity may be nil (NoActivity).
func NewService(st *store.Store, cat *Catalog, now func() time.Time, activity ActivityFunc) *Service {
	if activity == nil {
		activity = NoActivity
	}
	return &Service{st: st, cat: cat, now: now, activity: activity}
}

// Catalog is the catalog the service checks against.
func (s *Service) Catalog() *Catalog { return s.cat }

func canView(p model.Principal) error {
	if !p.Can(model.PermView) {
		return fmt.Errorf("reading the catalog and scope needs the viewer role or higher: %w", model.ErrForbidden)
	}
	return nil
}

func canEdit(p model.Principal, what string) error {
	if !p.Can(model.PermEdit) {
		return fmt.Errorf("%s needs the editor role or higher: %w", what, model.ErrForbidden)
	}
	return nil
}

// actorName is what the store records as the author of a change.
func actorName(a model.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	return a.Via
}

// FrameworkSummary is one line of `frameworks list`.
type FrameworkSummary struct {
	ID          model.Framework  `json:"id"`
	Title       string           `json:"title"`
	Version     string           `json:"version"`
	Description string           `json:"description"`
	Categories  []model.Category `json:"categories"`
	// Criteria (SOC 2) or the organization's active objectives (SOC 1) in scope.
	InScope int `json:"in_scope"`
	// Templates: SOC 1 objective templates available.
	Templates int `json:"templates,omitempty"`
}

// Frameworks lists the frameworks with the organization's scope.
func (s *Service) Frameworks(ctx context.Context, p model.Principal) ([]FrameworkSummary, error) {
	if err := canView(p); err != nil {
		return nil, err
	}
	sc, err := s.Scope(ctx, p, model.SOC2)
	if err != nil {
		return nil, err
	}
	obs, err := s.st.Org(p.Org.ID).Objectives(ctx, false)
	if err != nil {
		return nil, err
	}
	return []FrameworkSummary{
		{ID: model.SOC2, Title: s.cat.SOC2.Title, Version: s.cat.SOC2.Version, Categories: sc.Categories,
			Description: "The AICPA Trust Services Criteria: 61 criteria in five categories; Security is always in scope.",
			InScope:     len(s.cat.CriteriaIn(sc.Categories))},
		{ID: model.SOC1, Title: "SOC 1: control objectives over financial reporting", Version: s.cat.Objectives.Version,
			Categories:  []model.Category{},
			Description: "Control objectives the organization writes itself, started from templates for IT general controls and business processes.",
			InScope:     len(obs), Templates: len(s.cat.Objectives.Objectives)},
	}, nil
}

// CriterionView is a criterion as the organization sees it: the catalog's
// text, points of focus that apply to its scope, whether it is in scope,
// marked not relevant, and which controls cover it.
type CriterionView struct {
	Criterion
	GroupName string `json:"group_name"`
	InScope   bool   `json:"in_scope"`
	// NotRelevant holds the reason when the organization marked it not relevant.
	NotRelevant string `json:"not_relevant,omitempty"`
	// Controls lists the keys of active (not retired) controls mapped to it.
	Controls []string `json:"controls"`
}

// CategoryView is a category with whether it is in scope.
type CategoryView struct {
	CategoryDef
	InScope bool `json:"in_scope"`
}

// SOC2View is `frameworks show soc2`: all 61 criteria.
type SOC2View struct {
	Framework  model.Framework `json:"framework"`
	Title      string          `json:"title"`
	Version    string          `json:"version"`
	Categories []CategoryView  `json:"categories"`
	Groups     []Group         `json:"groups"`
	Criteria   []CriterionView `json:"criteria"`
}

// SOC2 returns every criterion with the organization's scope applied:
// points of focus tagged for a category appear only when that category is
// in scope.
func (s *Service) SOC2(ctx context.Context, p model.Principal) (SOC2View, error) {
	if err := canView(p); err != nil {
		return SOC2View{}, err
	}
	sc, err := s.Scope(ctx, p, model.SOC2)
	if err != nil {
		return SOC2View{}, err
	}
	controls, err := s.st.Org(p.Org.ID).Controls(ctx)
	if err != nil {
		return SOC2View{}, err
	}
	byCriterion := map[string][]string{}
	for _, c := range controls {
		if c.Status == model.ControlRetired {
			continue
		}
		for _, m := range c.Criteria {
			byCriterion[m.CriterionID] = append(byCriterion[m.CriterionID], c.Key)
		}
	}
	nr := map[string]string{}
	for _, n := range sc.NotRelevant {
		nr[n.Criterion] = n.Reason
	}
	v := SOC2View{Framework: model.SOC2, Title: s.cat.SOC2.Title, Version: s.cat.SOC2.Version, Groups: s.cat.SOC2.Groups}
	inScope := map[model.Category]bool{}
	for _, c := range sc.Categories {
		inScope[c] = true
	}
	for _, cd := range s.cat.SOC2.Categories {
		v.Categories = append(v.Categories, CategoryView{CategoryDef: cd, InScope: inScope[cd.ID]})
	}
	for _, cr := range s.cat.SOC2.Criteria {
		cv := CriterionView{Criterion: cr, InScope: inScope[cr.Category], NotRelevant: nr[cr.ID], Controls: byCriterion[cr.ID]}
		if cv.Controls == nil {
			cv.Controls = []string{}
		}
		if g, ok := s.cat.Group(cr.Group); ok {
			cv.GroupName = g.Name
		}
		cv.PointsOfFocus = nil
		for _, pf := range cr.PointsOfFocus {
			if pf.AppliesTo(sc.Categories) {
				cv.PointsOfFocus = append(cv.PointsOfFocus, pf)
			}
		}
		if cv.PointsOfFocus == nil {
			cv.PointsOfFocus = []PointOfFocus{}
		}
		v.Criteria = append(v.Criteria, cv)
	}
	return v, nil
}

// ObjectiveView is one of the organization's objectives with its controls.
type ObjectiveView struct {
	model.Objective
	NotRelevant string   `json:"not_relevant,omitempty"`
	Controls    []string `json:"controls"`
}

// SOC1View is `frameworks show soc1`: the organization's objectives and the
// templates it can start from.
type SOC1View struct {
	Framework  model.Framework     `json:"framework"`
	Title      string              `json:"title"`
	Version    string              `json:"version"`
	Objectives []ObjectiveView     `json:"objectives"`
	Templates  []ObjectiveTemplate `json:"templates"`
}

// SOC1 returns the organization's SOC 1 objectives (retired ones too, marked)
// and the template library.
func (s *Service) SOC1(ctx context.Context, p model.Principal) (SOC1View, error) {
	if err := canView(p); err != nil {
		return SOC1View{}, err
	}
	os := s.st.Org(p.Org.ID)
	obs, err := os.Objectives(ctx, true)
	if err != nil {
		return SOC1View{}, err
	}
	controls, err := os.Controls(ctx)
	if err != nil {
		return SOC1View{}, err
	}
	sc, err := s.Scope(ctx, p, model.SOC1)
	if err != nil {
		return SOC1View{}, err
	}
	nr := map[string]string{}
	for _, n := range sc.NotRelevant {
		nr[n.Criterion] = n.Reason
	}
	v := SOC1View{Framework: model.SOC1, Title: "SOC 1: control objectives over financial reporting", Version: s.cat.Objectives.Version,
		Objectives: []ObjectiveView{}, Templates: s.cat.Objectives.Objectives}
	for _, ob := range obs {
		ov := ObjectiveView{Objective: ob, NotRelevant: nr[ob.Key], Controls: []string{}}
		for _, c := range controls {
			if c.Status == model.ControlRetired {
				continue
			}
			for _, m := range c.Objectives {
				if m.ObjectiveKey == ob.Key {
					ov.Controls = append(ov.Controls, c.Key)
				}
			}
		}
		v.Objectives = append(v.Objectives, ov)
	}
	return v, nil
}
