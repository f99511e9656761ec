package api

import (
	"net/http"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// ListFrameworks lists the frameworks with the organization's scope.
func (h *Handlers) ListFrameworks(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.Frameworks(r.Context(), p)
}

// GetFramework returns every SOC 2 criterion (soc2) or the organization's
// SOC 1 objectives and the templates (soc1).
func (h *Handlers) GetFramework(r *http.Request, p model.Principal) (any, error) {
	fw, err := model.ParseFramework(r.PathValue("id"))
	if err != nil {
		return nil, notFoundInstead(err)
	}
	if fw == model.SOC1 {
		return h.Catalog.SOC1(r.Context(), p)
	}
	return h.Catalog.SOC2(r.Context(), p)
}

// notFoundInstead turns an unknown path value into 404.
func notFoundInstead(err error) error {
	return &notFound{err}
}

type notFound struct{ error }

func (n *notFound) Unwrap() error { return model.ErrNotFound }

// queryFramework reads ?framework= (soc2 when absent).
func queryFramework(r *http.Request) (model.Framework, error) {
	v := r.URL.Query().Get("framework")
	if v == "" {
		return model.SOC2, nil
	}
	return model.ParseFramework(v)
}

// GetScope returns the scope of ?framework= (soc2 by default).
func (h *Handlers) GetScope(r *http.Request, p model.Principal) (any, error) {
	fw, err := queryFramework(r)
	if err != nil {
		return nil, err
	}
	return h.Catalog.Scope(r.Context(), p, fw)
}

// PutScope replaces a framework's scope with the body.
func (h *Handlers) PutScope(r *http.Request, p model.Principal) (any, error) {
	var in model.Scope
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Catalog.ReplaceScope(r.Context(), p, in)
}

// CategoriesUpdate is the body of PUT /scope/categories.
type CategoriesUpdate struct {
	Categories []model.Category `json:"categories"`
}

// PutCategories sets the SOC 2 categories (Security cannot be removed).
func (h *Handlers) PutCategories(r *http.Request, p model.Principal) (any, error) {
	var in CategoriesUpdate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Catalog.SetCategories(r.Context(), p, in.Categories)
}

// NotRelevantMark is the body of PUT /scope/not-relevant/{id}.
type NotRelevantMark struct {
	// Framework: soc2 (default) or soc1.
	Framework model.Framework `json:"framework,omitempty"`
	Reason    string          `json:"reason"`
}

// PutNotRelevant marks a criterion or objective not relevant, with a reason.
func (h *Handlers) PutNotRelevant(r *http.Request, p model.Principal) (any, error) {
	var in NotRelevantMark
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	fw := in.Framework
	if fw == "" {
		fw = model.SOC2
	}
	return h.Catalog.MarkNotRelevant(r.Context(), p, fw, r.PathValue("id"), in.Reason)
}

// DeleteNotRelevant removes a not-relevant mark (?framework=, soc2 by default).
func (h *Handlers) DeleteNotRelevant(r *http.Request, p model.Principal) (any, error) {
	fw, err := queryFramework(r)
	if err != nil {
		return nil, err
	}
	return h.Catalog.MarkRelevant(r.Context(), p, fw, r.PathValue("id"))
}

// Recommend runs the scoping assistant over the answers in the body.
func (h *Handlers) Recommend(r *http.Request, p model.Principal) (any, error) {
	var in catalog.Answers
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Catalog.Catalog().Scoping.Recommend(in, h.Now())
}

// GetCoverage returns the gap analysis of ?framework= (soc2 by default).
func (h *Handlers) GetCoverage(r *http.Request, p model.Principal) (any, error) {
	fw, err := queryFramework(r)
	if err != nil {
		return nil, err
	}
	return h.Catalog.Coverage(r.Context(), p, fw)
}

// ListControls lists the organization's controls.
func (h *Handlers) ListControls(r *http.Request, p model.Principal) (any, error) {
	cs, err := h.Catalog.Controls(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return catalog.Views(cs), nil
}

// GetControl returns one control by key.
func (h *Handlers) GetControl(r *http.Request, p model.Principal) (any, error) {
	c, err := h.Catalog.Control(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return catalog.View(c), nil
}

// CreateControl adds one of the organization's own controls.
func (h *Handlers) CreateControl(r *http.Request, p model.Principal) (any, error) {
	var in catalog.ControlInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := h.Catalog.AddControl(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: catalog.View(c)}, nil
}

// UpdateControl edits a control.
func (h *Handlers) UpdateControl(r *http.Request, p model.Principal) (any, error) {
	var in catalog.ControlPatch
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := h.Catalog.EditControl(r.Context(), p, r.PathValue("id"), in)
	if err != nil {
		return nil, err
	}
	return catalog.View(c), nil
}

// AdoptRequest is the body of POST /controls/adopt.
type AdoptRequest struct {
	Keys []string `json:"keys"`
	All  bool     `json:"all"`
}

// AdoptControls adopts library controls.
func (h *Handlers) AdoptControls(r *http.Request, p model.Principal) (any, error) {
	var in AdoptRequest
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.All && len(in.Keys) > 0 {
		return nil, model.Invalid("keys", "give keys or all, not both")
	}
	return h.Catalog.Adopt(r.Context(), p, in.Keys, in.All)
}

// UpgradeControls brings adopted controls to the library's version.
func (h *Handlers) UpgradeControls(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.UpgradeLibrary(r.Context(), p)
}

// GetLibrary returns the control library.
func (h *Handlers) GetLibrary(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.Catalog().Library, nil
}

// GetObjectiveTemplates returns the SOC 1 objective templates.
func (h *Handlers) GetObjectiveTemplates(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.Catalog().Objectives, nil
}

// ListObjectives lists the organization's SOC 1 objectives (?all=true includes retired ones).
func (h *Handlers) ListObjectives(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.Objectives(r.Context(), p, r.URL.Query().Get("all") == "true")
}

// CreateObjective adds a SOC 1 objective.
func (h *Handlers) CreateObjective(r *http.Request, p model.Principal) (any, error) {
	var in catalog.ObjectiveInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	ob, err := h.Catalog.AddObjective(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: ob}, nil
}

// UpdateObjective edits an objective.
func (h *Handlers) UpdateObjective(r *http.Request, p model.Principal) (any, error) {
	var in catalog.ObjectivePatch
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Catalog.EditObjective(r.Context(), p, r.PathValue("id"), in)
}

// RetireObjective retires an objective (it stays for the record).
func (h *Handlers) RetireObjective(r *http.Request, p model.Principal) (any, error) {
	return h.Catalog.RetireObjective(r.Context(), p, r.PathValue("id"))
}
