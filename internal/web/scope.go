package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/model"
)

// ScopeEditor shows and edits the system description elements (DC 200) of
// a framework's scope.
func (h *Handlers) ScopeEditor(fw model.Framework) PageFunc {
	return func(w http.ResponseWriter, r *http.Request, p model.Principal) error {
		sc, err := h.Catalog.Scope(r.Context(), p, fw)
		if err != nil {
			return err
		}
		yaml, err := h.Catalog.ExportScope(r.Context(), p, fw)
		if err != nil {
			return err
		}
		return h.render(w, r, http.StatusOK, "scope", "Scope", "frameworks", map[string]any{
			"Tab": "scope", "FW": fw, "S": sc, "YAML": string(yaml),
			"Commitments":  strings.Join(sc.System.Commitments, "\n"),
			"Requirements": strings.Join(sc.System.SystemRequirements, "\n"),
		})
	}
}

// lines splits a textarea into trimmed, non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ids splits "CC6.1, CC6.2 CC7.1" into ids.
func ids(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\t' })
}

// ScopeChange saves one part of the scope editor: system, subservice,
// cuecs, incidents, changes or yaml.
func (h *Handlers) ScopeChange(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	fw, err := pathFramework(r)
	if err != nil {
		return err
	}
	to := "/frameworks/" + string(fw) + "/scope"
	f := func(n string) string { return strings.ReplaceAll(r.PostFormValue(n), "\r\n", "\n") }
	part := r.PathValue("part")
	if part == "yaml" {
		_, err := h.Catalog.ImportScope(r.Context(), p, fw, []byte(f("yaml")))
		return h.formDone(w, r, err, "Scope imported.", to)
	}
	var msg string
	_, err = h.Catalog.UpdateScope(r.Context(), p, fw, func(sc *model.Scope) error {
		switch part {
		case "system":
			sc.System.Services, sc.System.Boundary = f("services"), f("boundary")
			sc.System.Commitments, sc.System.SystemRequirements = lines(f("commitments")), lines(f("system_requirements"))
			sc.System.Components = model.Components{Infrastructure: f("infrastructure"), Software: f("software"), People: f("people"),
				Procedures: f("procedures"), Data: f("data")}
			msg = "System description saved."
		case "subservice":
			so := model.SubserviceOrg{Name: f("name"), Services: f("services"), Method: model.SubserviceMethod(f("method"))}
			// One CSOC per line; criteria after a "|": "Physical access is restricted | CC6.4 CC6.5".
			for _, l := range lines(f("csocs")) {
				text, refs, _ := strings.Cut(l, "|")
				so.CSOCs = append(so.CSOCs, model.CSOC{Control: text, Criteria: ids(refs)})
			}
			sc.Subservice = append(sc.Subservice, so)
			msg = "Subservice organization " + strings.TrimSpace(so.Name) + " added."
		case "cuecs":
			sc.CUECs = append(sc.CUECs, model.CUEC{Control: f("control"), Criteria: ids(f("criteria"))})
			msg = "CUEC added."
		case "incidents":
			sc.System.Incidents = append(sc.System.Incidents, model.Incident{Date: f("date"), Description: f("description"), Resolution: f("resolution")})
			msg = "Incident added."
		case "changes":
			sc.System.Changes = append(sc.System.Changes, model.Change{Date: f("date"), Description: f("description")})
			msg = "Significant change added."
		default:
			return fmt.Errorf("scope part %q: %w", part, model.ErrNotFound)
		}
		return nil
	})
	return h.formDone(w, r, err, msg, to)
}

// ScopeRemove removes one entry (by position) from a list of the scope.
func (h *Handlers) ScopeRemove(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	fw, err := pathFramework(r)
	if err != nil {
		return err
	}
	i, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || i < 0 {
		return fmt.Errorf("entry %q: %w", r.PathValue("id"), model.ErrNotFound)
	}
	gone := fmt.Errorf("that entry is no longer there (someone else changed the scope): reload the page: %w", model.ErrNotFound)
	_, err = h.Catalog.UpdateScope(r.Context(), p, fw, func(sc *model.Scope) error {
		switch r.PathValue("part") {
		case "subservice":
			if i >= len(sc.Subservice) {
				return gone
			}
			sc.Subservice = slices.Delete(sc.Subservice, i, i+1)
		case "cuecs":
			if i >= len(sc.CUECs) {
				return gone
			}
			sc.CUECs = slices.Delete(sc.CUECs, i, i+1)
		case "incidents":
			if i >= len(sc.System.Incidents) {
				return gone
			}
			sc.System.Incidents = slices.Delete(sc.System.Incidents, i, i+1)
		case "changes":
			if i >= len(sc.System.Changes) {
				return gone
			}
			sc.System.Changes = slices.Delete(sc.System.Changes, i, i+1)
		default:
			return fmt.Errorf("scope part %q: %w", r.PathValue("part"), model.ErrNotFound)
		}
		return nil
	})
	return h.formDone(w, r, err, "Removed.", "/frameworks/"+string(fw)+"/scope")
}

// ScopingForm shows the scoping assistant's questions.
func (h *Handlers) ScopingForm(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.render(w, r, http.StatusOK, "scoping", "Scoping assistant", "frameworks", map[string]any{"Tab": "scoping", "A": catalog.Answers{}})
}

// ScopingResult runs the scoping assistant on the form's answers.
func (h *Handlers) ScopingResult(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	f := r.PostFormValue
	a := catalog.Answers{Services: f("services"), AffectsCustomerFinancialReporting: f("affects_customer_financial_reporting") == "yes",
		PreviouslyAudited: f("previously_audited") == "yes", ControlsRecentlyChanged: f("controls_recently_changed") == "yes",
		ReportNeededBy: f("report_needed_by")}
	for _, c := range r.PostForm["commitments"] {
		a.Commitments = append(a.Commitments, model.Category(c))
	}
	data := map[string]any{"Tab": "scoping", "A": a}
	rec, err := h.Catalog.Catalog().Scoping.Recommend(a, h.Now())
	if model.IsValidation(err) {
		data["Error"] = err.Error()
		return h.render(w, r, http.StatusBadRequest, "scoping", "Scoping assistant", "frameworks", data)
	}
	if err != nil {
		return err
	}
	data["Rec"] = &rec
	return h.render(w, r, http.StatusOK, "scoping", "Scoping assistant", "frameworks", data)
}
