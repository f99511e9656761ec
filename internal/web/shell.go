package web

import (
	"net/http"

	"github.com/assurehq/assure/internal/model"
)

type step struct{ Title, Text, Href, Action string }

// Dashboard is the home page. Auditors, who see only their audits, go there.
func (h *Handlers) Dashboard(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	steps := []step{
		{"Choose your report", "Pick SOC 1 or SOC 2, the categories in scope, and Type 1 or Type 2.", "/frameworks", "Open frameworks"},
		{"Adopt controls", "Start from the control library and map each control to criteria.", "/controls", "Open controls"},
		{"Connect your systems", "Add integrations so evidence is collected and tested continuously.", "/integrations", "Open integrations"},
		{"Invite your team", "Give colleagues a role; invite your auditor when the audit starts.", "/settings/members", "Open members"},
	}
	return h.render(w, r, http.StatusOK, "dashboard", "Dashboard", "dashboard", map[string]any{"Steps": steps})
}

// Home is "/": the dashboard, or the audits for auditors (who cannot see the dashboard).
func (h *Handlers) Home(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if !p.Can(model.PermView) {
		http.Redirect(w, r, "/audits", http.StatusSeeOther)
		return nil
	}
	return h.Dashboard(w, r, p)
}

type area struct {
	key, title, empty, next string
}

// areas are the parts of the product whose pages are not built yet: the
// rail links to them and each says what it will hold.
var areas = map[string]area{
	"tests":  {"tests", "Tests", "No tests are running yet.", "Automated tests over your integrations' resources, with their pass and fail history, appear here."},
	"audits": {"audits", "Audits", "No audits yet.", "Type 1 and Type 2 audits, populations, samples and the auditor's requests appear here."},
}

// Area renders the page of a product area that has no content yet.
func (h *Handlers) Area(key string) PageFunc {
	a := areas[key]
	return func(w http.ResponseWriter, r *http.Request, p model.Principal) error {
		return h.render(w, r, http.StatusOK, "area", a.title, a.key, map[string]string{"Empty": a.empty, "Next": a.next})
	}
}
