package web

import (
	"net/http"

	"github.com/assurehq/assure/internal/model"
)

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
var areas = map[string]area{}

// Area renders the page of a product area that has no content yet.
func (h *Handlers) Area(key string) PageFunc {
	a := areas[key]
	return func(w http.ResponseWriter, r *http.Request, p model.Principal) error {
		return h.render(w, r, http.StatusOK, "area", a.title, a.key, map[string]string{"Empty": a.empty, "Next": a.next})
	}
}
