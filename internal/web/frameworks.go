package web

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Frameworks sends /frameworks to SOC 2.
func (h *Handlers) Frameworks(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	http.Redirect(w, r, "/frameworks/soc2", http.StatusSeeOther)
	return nil
}

// formDone flashes msg and redirects; a client error is flashed as "Not
// saved: …" (saying what to fix) and the user goes back to the form's page.
func (h *Handlers) formDone(w http.ResponseWriter, r *http.Request, err error, msg, to string) error {
	if err != nil {
		if httpx.Status(err) >= 500 {
			return err
		}
		msg = "Not saved: " + err.Error()
	}
	return h.flashAndRedirect(w, r, msg, to)
}

// criterionRow is a criterion on the SOC 2 page.
type criterionRow struct {
	catalog.CriterionView
	Covered bool
}

type groupRows struct {
	catalog.Group
	Rows []criterionRow
}

// SOC2 shows the categories (Security locked), every criterion in scope
// with its explanation, points of focus and covering controls, and the
// criteria of categories not in scope.
func (h *Handlers) SOC2(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	v, err := h.Catalog.SOC2(r.Context(), p)
	if err != nil {
		return err
	}
	var in, out []groupRows
	idx := map[string]int{}
	outIdx := map[string]int{}
	counts := map[string]int{}
	for _, cr := range v.Criteria {
		row := criterionRow{CriterionView: cr, Covered: len(cr.Controls) > 0}
		g, _ := h.Catalog.Catalog().Group(cr.Group)
		target, index := &in, idx
		if !cr.InScope {
			target, index = &out, outIdx
		} else {
			counts["in"]++
			switch {
			case cr.NotRelevant != "":
				counts["not_relevant"]++
			case row.Covered:
				counts["covered"]++
			default:
				counts["uncovered"]++
			}
		}
		i, ok := index[g.ID]
		if !ok {
			i = len(*target)
			index[g.ID] = i
			*target = append(*target, groupRows{Group: g})
		}
		(*target)[i].Rows = append((*target)[i].Rows, row)
	}
	return h.render(w, r, http.StatusOK, "frameworks_soc2", "SOC 2", "frameworks", map[string]any{
		"Tab": "soc2", "View": v, "InScope": in, "OutOfScope": out, "Counts": counts,
	})
}

// SetCategories saves the SOC 2 categories from the checkboxes.
func (h *Handlers) SetCategories(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	var cats []model.Category
	for _, c := range r.PostForm["category"] {
		cats = append(cats, model.Category(c))
	}
	sc, err := h.Catalog.SetCategories(r.Context(), p, cats)
	var names []string
	for _, c := range sc.Categories {
		if cd, ok := h.Catalog.Catalog().CategoryDef(c); ok {
			names = append(names, cd.Name)
		}
	}
	return h.formDone(w, r, err, "Categories in scope: "+strings.Join(names, ", ")+".", "/frameworks/soc2")
}

func pathFramework(r *http.Request) (model.Framework, error) {
	fw, err := model.ParseFramework(r.PathValue("fw"))
	if err != nil {
		return "", fmt.Errorf("framework %q: %w", r.PathValue("fw"), model.ErrNotFound)
	}
	return fw, nil
}

// back returns the local page a form came from, or def.
func back(r *http.Request, def string) string {
	if v := r.PostFormValue("back"); strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "//") {
		if u, err := url.Parse(v); err == nil && u.Host == "" {
			return v
		}
	}
	return def
}

// MarkNotRelevant marks a criterion or objective not relevant, with a reason.
func (h *Handlers) MarkNotRelevant(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	fw, err := pathFramework(r)
	if err != nil {
		return err
	}
	id := r.PostFormValue("criterion")
	_, err = h.Catalog.MarkNotRelevant(r.Context(), p, fw, id, r.PostFormValue("reason"))
	return h.formDone(w, r, err, id+" marked not relevant.", back(r, "/frameworks/"+string(fw)))
}

// MarkRelevant removes a not-relevant mark.
func (h *Handlers) MarkRelevant(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	fw, err := pathFramework(r)
	if err != nil {
		return err
	}
	id := r.PostFormValue("criterion")
	_, err = h.Catalog.MarkRelevant(r.Context(), p, fw, id)
	return h.formDone(w, r, err, id+" is relevant again.", back(r, "/frameworks/"+string(fw)))
}

// SOC1 shows the organization's objectives, the templates, and the forms to
// add objectives.
func (h *Handlers) SOC1(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	v, err := h.Catalog.SOC1(r.Context(), p)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	active := 0
	for _, o := range v.Objectives {
		if o.TemplateKey != "" && o.RetiredAt == nil {
			have[o.TemplateKey] = true
		}
		if o.RetiredAt == nil {
			active++
		}
	}
	return h.render(w, r, http.StatusOK, "frameworks_soc1", "SOC 1", "frameworks", map[string]any{
		"Tab": "soc1", "View": v, "Have": have, "Active": active, "Kinds": model.ObjectiveKinds(),
	})
}

// AddObjective creates an objective from a template or from the form.
func (h *Handlers) AddObjective(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	in := catalog.ObjectiveInput{Key: r.PostFormValue("key"), Template: r.PostFormValue("template"), Kind: model.ObjectiveKind(r.PostFormValue("kind")),
		Family: r.PostFormValue("family"), Title: r.PostFormValue("title"), Objective: r.PostFormValue("objective"), Description: r.PostFormValue("description")}
	ob, err := h.Catalog.AddObjective(r.Context(), p, in)
	return h.formDone(w, r, err, "Objective "+ob.Key+" added.", "/frameworks/soc1")
}

// ObjectiveForm shows one objective with its edit form.
func (h *Handlers) ObjectiveForm(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	v, err := h.Catalog.SOC1(r.Context(), p)
	if err != nil {
		return err
	}
	for _, o := range v.Objectives {
		if o.Key == r.PathValue("id") {
			return h.render(w, r, http.StatusOK, "objective", o.Key, "frameworks", map[string]any{"Tab": "soc1", "O": o, "Kinds": model.ObjectiveKinds()})
		}
	}
	return fmt.Errorf("objective %s: %w", r.PathValue("id"), model.ErrNotFound)
}

// EditObjective saves the objective form.
func (h *Handlers) EditObjective(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	key := r.PathValue("id")
	f := func(n string) *string { v := r.PostFormValue(n); return &v }
	kind := model.ObjectiveKind(r.PostFormValue("kind"))
	_, err := h.Catalog.EditObjective(r.Context(), p, key, catalog.ObjectivePatch{Kind: &kind, Family: f("family"), Title: f("title"), Objective: f("objective"), Description: f("description")})
	if err != nil && httpx.Status(err) < 500 {
		return h.formDone(w, r, err, "", "/frameworks/soc1/objectives/"+url.PathEscape(key))
	}
	return h.formDone(w, r, err, "Objective "+key+" saved.", "/frameworks/soc1")
}

// RetireObjective retires an objective.
func (h *Handlers) RetireObjective(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	key := r.PathValue("id")
	_, err := h.Catalog.RetireObjective(r.Context(), p, key)
	return h.formDone(w, r, err, "Objective "+key+" retired; it stays in the record.", "/frameworks/soc1")
}

// Coverage shows the criteria × controls view of a framework.
func (h *Handlers) Coverage(fw model.Framework) PageFunc {
	return func(w http.ResponseWriter, r *http.Request, p model.Principal) error {
		cov, err := h.Catalog.Coverage(r.Context(), p, fw)
		if err != nil {
			return err
		}
		s := cov.Summary
		bar := func(n int) int {
			if s.InScope == 0 {
				return 0
			}
			return n * 600 / s.InScope
		}
		return h.render(w, r, http.StatusOK, "coverage", "Coverage", "frameworks", map[string]any{
			"Tab": "coverage", "FW": fw, "Cov": cov,
			"Bar": map[string]int{"Covered": bar(s.Covered), "NotRelevant": bar(s.NotRelevant), "Uncovered": bar(s.Uncovered),
				"UncoveredX": bar(s.Covered) + bar(s.NotRelevant)},
		})
	}
}

// label turns an enum value into words ("semi_annual" → "semi-annual",
// "it_dependent_manual" → "IT-dependent manual").
func label(v any) string {
	s := fmt.Sprint(v)
	switch s {
	case "it_dependent_manual":
		return "IT-dependent manual"
	case "semi_annual":
		return "semi-annual"
	case "event_driven":
		return "event-driven"
	case "carve_out":
		return "carve-out"
	case "itgc":
		return "IT general control"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// has reports whether list (a slice) holds v, comparing as text.
func has(list any, v any) bool {
	rv := reflect.ValueOf(list)
	if rv.Kind() != reflect.Slice {
		return false
	}
	want := fmt.Sprint(v)
	for i := 0; i < rv.Len(); i++ {
		if fmt.Sprint(rv.Index(i).Interface()) == want {
			return true
		}
	}
	return false
}
