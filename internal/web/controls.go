package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// controlFilter is the Controls page's filter form.
type controlFilter struct {
	Q, Status, Owner, Frequency, Criterion string
}

func (f controlFilter) match(c model.Control) bool {
	q := strings.ToLower(f.Q)
	return (q == "" || strings.Contains(strings.ToLower(c.Key+" "+c.Title), q)) &&
		(f.Status == "" || string(c.Status) == f.Status) &&
		(f.Owner == "" || strings.Contains(strings.ToLower(c.Owner), strings.ToLower(f.Owner))) &&
		(f.Frequency == "" || string(c.Frequency) == f.Frequency) &&
		(f.Criterion == "" || slices.Contains(c.CriterionIDs(), f.Criterion))
}

// statusOrder puts what needs attention first: planned, then implemented,
// then retired.
var statusOrder = map[model.ControlStatus]int{model.ControlPlanned: 0, model.ControlImplemented: 1, model.ControlRetired: 2}

// Controls lists the organization's controls with filters, and offers the
// library.
func (h *Handlers) Controls(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	all, err := h.Catalog.Controls(r.Context(), p)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := controlFilter{Q: q.Get("q"), Status: q.Get("status"), Owner: q.Get("owner"), Frequency: q.Get("frequency"), Criterion: q.Get("criterion")}
	var shown []model.Control
	counts := map[string]int{}
	stale := 0
	lib := h.Catalog.Catalog().Library
	for _, c := range all {
		counts[string(c.Status)]++
		if c.LibraryKey != "" && c.LibraryVersion != lib.Version {
			stale++
		}
		if f.match(c) {
			shown = append(shown, c)
		}
	}
	slices.SortStableFunc(shown, func(a, b model.Control) int { return cmp.Compare(statusOrder[a.Status], statusOrder[b.Status]) })
	return h.render(w, r, http.StatusOK, "controls", "Controls", "controls", map[string]any{
		"All": len(all), "Shown": shown, "F": f, "Counts": counts, "Stale": stale, "Library": lib,
		"Statuses": model.ControlStatuses(), "Frequencies": model.Frequencies(),
	})
}

// AdoptControls adopts the whole library or the listed keys.
func (h *Handlers) AdoptControls(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	all := r.PostFormValue("all") == "true"
	res, err := h.Catalog.Adopt(r.Context(), p, ids(r.PostFormValue("keys")), all)
	msg := fmt.Sprintf("Adopted %d controls.", len(res.Adopted))
	if len(res.Skipped) > 0 {
		msg += fmt.Sprintf(" Skipped %d you already have.", len(res.Skipped))
	}
	return h.formDone(w, r, err, msg, "/controls")
}

// UpgradeControls brings adopted controls to the library version.
func (h *Handlers) UpgradeControls(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	rep, err := h.Catalog.UpgradeLibrary(r.Context(), p)
	msg := fmt.Sprintf("Library %s: %d controls updated.", rep.LibraryVersion, len(rep.Updated))
	if len(rep.Review) > 0 {
		var keys []string
		for _, rv := range rep.Review {
			keys = append(keys, rv.Key+" "+string(rv.Field))
		}
		msg += " Your edits were kept where the library also changed (review them on each control): " + strings.Join(keys, ", ") + "."
	}
	return h.formDone(w, r, err, msg, "/controls")
}

type controlForm struct {
	Key, Title, Description, Owner, Frequency, Nature, Status, Evidence, Criteria, Objectives string
}

func controlFormOf(c model.Control) controlForm {
	var crit, obj []string
	for _, m := range c.Criteria {
		crit = append(crit, m.CriterionID+": "+m.Rationale)
	}
	for _, m := range c.Objectives {
		obj = append(obj, m.ObjectiveKey+": "+m.Rationale)
	}
	return controlForm{Key: c.Key, Title: c.Title, Description: c.Description, Owner: c.Owner, Frequency: string(c.Frequency),
		Nature: string(c.Nature), Status: string(c.Status), Evidence: strings.Join(c.Evidence, "\n"),
		Criteria: strings.Join(crit, "\n"), Objectives: strings.Join(obj, "\n")}
}

func readControlForm(r *http.Request) controlForm {
	f := func(n string) string { return strings.ReplaceAll(r.PostFormValue(n), "\r\n", "\n") }
	return controlForm{Key: f("key"), Title: f("title"), Description: f("description"), Owner: f("owner"), Frequency: f("frequency"),
		Nature: f("nature"), Status: f("status"), Evidence: f("evidence"), Criteria: f("criteria"), Objectives: f("objectives")}
}

// mappings parses "ID: rationale" lines.
func (cf controlForm) mappings() ([]model.CriterionMapping, []model.ObjectiveMapping, error) {
	crit := []model.CriterionMapping{}
	for _, l := range lines(cf.Criteria) {
		id, why, ok := strings.Cut(l, ":")
		if !ok {
			return nil, nil, model.Invalid("criteria", "write each mapping as \"CC6.1: why this control addresses it\" (line %q)", l)
		}
		crit = append(crit, model.CriterionMapping{CriterionID: strings.TrimSpace(id), Rationale: strings.TrimSpace(why)})
	}
	obj := []model.ObjectiveMapping{}
	for _, l := range lines(cf.Objectives) {
		key, why, ok := strings.Cut(l, ":")
		if !ok {
			return nil, nil, model.Invalid("objectives", "write each mapping as \"ITGC-LA-1: why this control supports it\" (line %q)", l)
		}
		obj = append(obj, model.ObjectiveMapping{ObjectiveKey: strings.TrimSpace(key), Rationale: strings.TrimSpace(why)})
	}
	return crit, obj, nil
}

func (h *Handlers) controlFormData(data map[string]any) map[string]any {
	data["Frequencies"], data["Natures"], data["Statuses"] = model.Frequencies(), model.Natures(), model.ControlStatuses()
	return data
}

// NewControl shows the form for one of the organization's own controls.
func (h *Handlers) NewControl(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.render(w, r, http.StatusOK, "control_new", "New control", "controls",
		h.controlFormData(map[string]any{"F": controlForm{Frequency: "quarterly", Nature: "manual", Status: "planned"}}))
}

// AddControl creates a control from the form; a mistake re-shows the form
// with what was typed and what to fix.
func (h *Handlers) AddControl(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	cf := readControlForm(r)
	crit, obj, err := cf.mappings()
	if err == nil {
		var c model.Control
		c, err = h.Catalog.AddControl(r.Context(), p, catalog.ControlInput{Key: cf.Key, Title: cf.Title, Description: cf.Description,
			Owner: cf.Owner, Frequency: model.Frequency(cf.Frequency), Nature: model.Nature(cf.Nature), Status: model.ControlStatus(cf.Status),
			Evidence: lines(cf.Evidence), Criteria: crit, Objectives: obj})
		if err == nil {
			return h.flashAndRedirect(w, r, "Control "+c.Key+" added.", "/controls/"+url.PathEscape(c.Key))
		}
	}
	if s := httpx.Status(err); s < 500 {
		return h.render(w, r, s, "control_new", "New control", "controls", h.controlFormData(map[string]any{"F": cf, "Error": err.Error()}))
	}
	return err
}

// ControlDetail shows a control: description, mapped criteria with
// rationale, library provenance, and (for editors) the edit form.
func (h *Handlers) ControlDetail(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	c, err := h.Catalog.Control(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return h.controlPage(w, r, http.StatusOK, c, controlFormOf(c), "")
}

func (h *Handlers) controlPage(w http.ResponseWriter, r *http.Request, status int, c model.Control, cf controlForm, msg string) error {
	titles := map[string]string{}
	for _, m := range c.Criteria {
		if cr, ok := h.Catalog.Catalog().Criterion(m.CriterionID); ok {
			titles[m.CriterionID] = cr.Title
		}
	}
	var lib *catalog.LibraryControl
	if lc, ok := h.Catalog.Catalog().LibraryControl(c.LibraryKey); ok && c.LibraryKey != "" {
		lib = &lc
	}
	return h.render(w, r, status, "control", c.Key, "controls", h.controlFormData(map[string]any{
		"C": c, "F": cf, "Error": msg, "Titles": titles, "Lib": lib, "LibVersion": h.Catalog.Catalog().Library.Version,
		"Status": h.controlStatus(r, c.Key),
	}))
}

// EditControl saves the edit form.
func (h *Handlers) EditControl(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	key := r.PathValue("id")
	if err := r.ParseForm(); err != nil {
		return err
	}
	cf := readControlForm(r)
	cf.Key = key
	crit, obj, err := cf.mappings()
	if err == nil {
		freq, nat, st := model.Frequency(cf.Frequency), model.Nature(cf.Nature), model.ControlStatus(cf.Status)
		ev := lines(cf.Evidence)
		patch := catalog.ControlPatch{Title: &cf.Title, Description: &cf.Description, Owner: &cf.Owner, Frequency: &freq, Nature: &nat,
			Status: &st, Evidence: &ev, Criteria: &crit, Objectives: &obj}
		for _, f := range r.PostForm["reset"] {
			patch.Reset = append(patch.Reset, model.ControlField(f))
		}
		if _, err = h.Catalog.EditControl(r.Context(), p, key, patch); err == nil {
			return h.flashAndRedirect(w, r, "Control "+key+" saved.", "/controls/"+url.PathEscape(key))
		}
	}
	if s := httpx.Status(err); s < 500 && s != http.StatusNotFound {
		c, cerr := h.Catalog.Control(r.Context(), p, key)
		if cerr != nil {
			return cerr
		}
		return h.controlPage(w, r, s, c, cf, err.Error())
	}
	return err
}
