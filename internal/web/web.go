// Package web renders the server-side pages: one file per page or area,
// templates and static assets embedded in the binary, no JavaScript build.
// Handlers receive an authenticated principal from the server's middleware
// and call services; they never touch the store.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// PageFunc is a page handler: the server has already checked the route's
// permission and put the principal in the context.
type PageFunc func(w http.ResponseWriter, r *http.Request, p model.Principal) error

// Deps are the services the pages use.
type Deps struct {
	Accounts *account.Service
	Catalog  *catalog.Service
	Collect  *collect.Service
	Evidence *evidence.Service
	Checks   *check.Service
	Monitor  *monitor.Service
	Audits   *audit.Service
	Exports  *export.Service
	Ledger   *ledger.Log
	// MaxUpload is the largest evidence file accepted, in bytes.
	MaxUpload int64
	Now       func() time.Time
	// SecureCookies marks the session cookie Secure.
	SecureCookies bool
	// SignInLimiter and EmailLimiter bound sign-in attempts per client
	// address and per e-mail address.
	SignInLimiter, EmailLimiter *httpx.Limiter
}

// Handlers serves the pages.
type Handlers struct {
	Deps
	pages map[string]*template.Template
}

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "assure_session"

// New parses every template once; a broken template is a start-up error.
func New(d Deps) (*Handlers, error) {
	h := &Handlers{Deps: d, pages: map[string]*template.Template{}}
	base := template.New("base").Funcs(template.FuncMap{
		"utc":    func(t any) string { return fmtTime(t, time.UTC, time.RFC3339) },
		"local":  func(t any) string { return "" }, // replaced per request with the org's zone
		"join":   strings.Join,
		"label":  label,
		"has":    has,
		"status": statusBadge,
		"show":   show,
		// short shortens s to n characters, with an ellipsis when cut.
		"short": func(s string, n int) string {
			if r := []rune(s); len(r) > n {
				return string(r[:n]) + "…"
			}
			return s
		},
		"size":   evidence.HumanSize,
		"result": resultBadge,
		"list":   func(v ...string) []string { return v },
		"state":  stateBadge,
		"dur":    audit.HumanDuration,
		"audit":  auditBadge,
	})
	// The layout, every *_nav.html (an area's tabs) and every *_part.html (a
	// fragment several pages use) are shared by all pages.
	navs, err := fs.Glob(templateFS, "templates/*_nav.html")
	if err != nil {
		return nil, err
	}
	parts, err := fs.Glob(templateFS, "templates/*_part.html")
	if err != nil {
		return nil, err
	}
	shared := append(append([]string{"templates/layout.html"}, navs...), parts...)
	base, err = base.ParseFS(templateFS, shared...)
	if err != nil {
		return nil, fmt.Errorf("cannot parse layout templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if slices.Contains(shared, f) {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, f)
		if err != nil {
			return nil, fmt.Errorf("cannot parse template %s: %w", f, err)
		}
		h.pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return h, nil
}

// Static serves the embedded assets under /static/.
func (h *Handlers) Static() http.Handler {
	sub, _ := fs.Sub(staticFS, "static")
	fsrv := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fsrv.ServeHTTP(w, r)
	})
}

// NavItem is one entry of the left rail.
type NavItem struct {
	Key, Label, Href string
	Perm             model.Permission
}

// Nav lists the areas of the product, in rail order.
func Nav() []NavItem {
	return []NavItem{
		{"dashboard", "Dashboard", "/", model.PermView},
		{"frameworks", "Frameworks", "/frameworks", model.PermView},
		{"controls", "Controls", "/controls", model.PermView},
		{"tests", "Tests", "/tests", model.PermView},
		{"integrations", "Integrations", "/integrations", model.PermView},
		{"resources", "Resources", "/resources", model.PermView},
		{"evidence", "Evidence", "/evidence", model.PermView},
		{"audits", "Audits", "/audits", model.PermAudit},
		{"settings", "Settings", "/settings/account", model.PermSelf},
	}
}

// view is what every page template receives.
type view struct {
	Title    string
	Nav      string
	P        model.Principal
	CSRF     string
	Flash    string
	Orgs     []model.Organization
	NavItems []NavItem
	Data     any
}

// render writes a page inside the application shell.
func (h *Handlers) render(w http.ResponseWriter, r *http.Request, status int, page, title, nav string, data any) error {
	p, _ := httpx.PrincipalFrom(r.Context())
	sess, _ := httpx.SessionFrom(r.Context())
	v := view{Title: title, Nav: nav, P: p, CSRF: sess.CSRF, Flash: sess.Flash, Data: data}
	for _, n := range Nav() {
		if p.Can(n.Perm) {
			v.NavItems = append(v.NavItems, n)
		}
	}
	if orgs, err := h.Accounts.UserOrganizations(r.Context(), p); err == nil {
		v.Orgs = orgs
	}
	return h.execute(w, status, page, "layout", p.Org.Location(), v)
}

// renderBare writes a page without the shell (sign-in).
func (h *Handlers) renderBare(w http.ResponseWriter, status int, page, title string, data any) error {
	return h.execute(w, status, page, "bare", time.UTC, view{Title: title, Data: data})
}

func (h *Handlers) execute(w http.ResponseWriter, status int, page, layout string, loc *time.Location, v view) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	t, err := t.Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{"local": func(x any) string { return fmtTime(x, loc, "2006-01-02 15:04 MST") }})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layout, v); err != nil {
		return fmt.Errorf("cannot render %s: %w", page, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = buf.WriteTo(w)
	return err
}

func fmtTime(x any, loc *time.Location, layout string) string {
	switch t := x.(type) {
	case time.Time:
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format(layout)
	case *time.Time:
		if t == nil {
			return ""
		}
		return t.In(loc).Format(layout)
	}
	return ""
}

// badge is a status shown with a colour and, always, a word and a symbol.
type badge struct{ Class, Text string }

// statusBadge turns a run, listing or integration status into a badge.
func statusBadge(s any) badge {
	switch fmt.Sprint(s) {
	case "succeeded":
		return badge{"ok", "✓ succeeded"}
	case "partial":
		return badge{"warn", "! partial"}
	case "failed":
		return badge{"bad", "✕ failed"}
	case "running":
		return badge{"off", "… running"}
	case "disabled":
		return badge{"off", "⏸ disabled"}
	case "removed":
		return badge{"off", "✕ removed"}
	case "present":
		return badge{"ok", "● present"}
	default:
		return badge{"off", "○ " + fmt.Sprint(s)}
	}
}

// resultBadge shows a test result: colour, symbol and word.
func resultBadge(s any) badge {
	switch fmt.Sprint(s) {
	case "pass":
		return badge{"ok", "✓ pass"}
	case "fail":
		return badge{"bad", "✕ fail"}
	case "error":
		return badge{"warn", "! error"}
	case "skipped":
		return badge{"off", "○ skipped"}
	case "":
		return badge{"off", "— none"}
	}
	return badge{"off", fmt.Sprint(s)}
}

// stateBadge shows a test's, control's or exception's state.
func stateBadge(s any) badge {
	switch fmt.Sprint(s) {
	case "passing":
		return badge{"ok", "✓ passing"}
	case "failing":
		return badge{"bad", "✕ failing"}
	case "needs_evidence":
		return badge{"warn", "◔ needs evidence"}
	case "not_tested", "not_run":
		return badge{"off", "○ not tested"}
	case "active":
		return badge{"warn", "⚑ active"}
	case "expired":
		return badge{"off", "⌛ expired"}
	case "revoked":
		return badge{"off", "✕ revoked"}
	}
	return badge{"off", fmt.Sprint(s)}
}

// Error renders an error page for err with its status; the server calls it
// when a page handler fails or a permission check refuses.
func (h *Handlers) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.Status(err)
	title := http.StatusText(status)
	msg := httpx.PublicMessage(r, err)
	switch status {
	case http.StatusForbidden:
		title, msg = "Not allowed", "Your role in this organization does not allow this page or action. Ask an administrator if you need it."
	case http.StatusNotFound:
		title, msg = "Not found", "There is nothing at this address in your organization."
	}
	if _, ok := httpx.PrincipalFrom(r.Context()); !ok {
		if rerr := h.renderBare(w, status, "error", title, map[string]string{"Message": msg}); rerr != nil {
			httpx.Logger(r.Context()).ErrorContext(r.Context(), "cannot render error page", "err", rerr)
		}
		return
	}
	if rerr := h.render(w, r, status, "error", title, "", map[string]string{"Message": msg}); rerr != nil {
		httpx.Logger(r.Context()).ErrorContext(r.Context(), "cannot render error page", "err", rerr)
	}
}

// flashAndRedirect stores a one-time message for the next page and redirects
// (post/redirect/get).
func (h *Handlers) flashAndRedirect(w http.ResponseWriter, r *http.Request, msg, to string) error {
	if sess, ok := httpx.SessionFrom(r.Context()); ok && msg != "" {
		if err := h.Accounts.SetFlash(r.Context(), sess.Secret, msg); err != nil {
			return err
		}
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
