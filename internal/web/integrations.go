package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// intervals offered on the forms; any Go duration works through the API.
var intervals = []struct {
	Value, Label string
}{{"15m0s", "every 15 minutes"}, {"1h0m0s", "every hour"}, {"6h0m0s", "every 6 hours"}, {"24h0m0s", "every day"}}

type integrationsData struct {
	Integrations []collect.IntegrationView
	Connectors   []collect.ConnectorInfo
	Attention    int
	CanEdit      bool
}

// Integrations lists the organization's integrations, those needing
// attention (failed, partial) first, and the connectors one can add.
func (h *Handlers) Integrations(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	list, err := h.Collect.Integrations(r.Context(), p)
	if err != nil {
		return err
	}
	rank := map[string]int{"failed": 0, "partial": 1, "running": 2, "never collected": 3, "succeeded": 4, "disabled": 5}
	sort.SliceStable(list, func(i, j int) bool { return rank[list[i].Health] < rank[list[j].Health] })
	d := integrationsData{Integrations: list, Connectors: h.Collect.Connectors(), CanEdit: p.Can(model.PermEdit)}
	for _, in := range list {
		if in.Health == "failed" || in.Health == "partial" {
			d.Attention++
		}
	}
	return h.render(w, r, http.StatusOK, "integrations", "Integrations", "integrations", d)
}

// formField is one configuration field on a form.
type formField struct {
	connector.ConfigField
	Value  string // never set for secret fields
	IsSet  bool   // a secret field has a stored value
	Choice []string
}

type integrationForm struct {
	Connector collect.ConnectorInfo
	Fields    []formField
	Name      string
	Interval  string
	RateLimit string
	Intervals any
	Error     string
	Field     string // the field the error is about
}

func (h *Handlers) formFor(ci collect.ConnectorInfo, values map[string]string, set []string) []formField {
	isSet := map[string]bool{}
	for _, s := range set {
		isSet[s] = true
	}
	var out []formField
	for _, f := range ci.Fields {
		ff := formField{ConfigField: f, IsSet: isSet[f.Name]}
		if !f.Secret {
			ff.Value = values[f.Name]
		}
		out = append(out, ff)
	}
	return out
}

// NewIntegration shows the form to add an integration of one connector,
// generated from its configuration fields.
func (h *Handlers) NewIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id := r.URL.Query().Get("connector")
	if id == "" {
		http.Redirect(w, r, "/integrations#add", http.StatusSeeOther)
		return nil
	}
	ci, err := h.Collect.Connector(id)
	if err != nil {
		return fmt.Errorf("no connector %q: %w", id, model.ErrNotFound)
	}
	d := integrationForm{Connector: ci, Fields: h.formFor(ci, nil, nil), Interval: "1h0m0s", Intervals: intervals}
	return h.render(w, r, http.StatusOK, "integration_new", "Add "+ci.Name, "integrations", d)
}

// CreateIntegration saves a new integration from the form.
func (h *Handlers) CreateIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	ci, err := h.Collect.Connector(r.PostFormValue("connector"))
	if err != nil {
		return err
	}
	cfg := map[string]string{}
	for _, f := range ci.Fields {
		if v := r.PostFormValue("cfg_" + f.Name); strings.TrimSpace(v) != "" {
			cfg[f.Name] = v
		}
	}
	in := collect.IntegrationInput{Connector: ci.ID, Name: r.PostFormValue("name"), Config: cfg}
	interval, ierr := time.ParseDuration(r.PostFormValue("interval"))
	if ierr == nil {
		d := model.Duration(interval)
		in.Interval = &d
	}
	v, err := h.Collect.CreateIntegration(r.Context(), p, in)
	if err != nil {
		if s := httpx.Status(err); s < 500 {
			d := integrationForm{Connector: ci, Fields: h.formFor(ci, cfg, nil), Name: in.Name, Interval: r.PostFormValue("interval"),
				Intervals: intervals, Error: err.Error(), Field: errField(err)}
			return h.render(w, r, s, "integration_new", "Add "+ci.Name, "integrations", d)
		}
		return err
	}
	return h.flashAndRedirect(w, r, "Integration “"+v.Name+"” added. Test the connection, then run a collection.", integrationURL(v.ID))
}

func errField(err error) string {
	var ve *model.ValidationError
	if errors.As(err, &ve) {
		return ve.Field
	}
	return ""
}

func integrationURL(id int64) string { return "/integrations/" + strconv.FormatInt(id, 10) }

type integrationData struct {
	In        collect.IntegrationView
	Connector collect.ConnectorInfo
	Fields    []formField
	Runs      []collect.RunView
	Counts    []typeCount
	Test      *collect.TestResult
	Error     string
	Field     string
	CanEdit   bool
	Intervals any
}

type typeCount struct {
	Type    string
	Present int
}

func (h *Handlers) integrationPage(w http.ResponseWriter, r *http.Request, p model.Principal, id int64, status int, d integrationData) error {
	in, err := h.Collect.Integration(r.Context(), p, id)
	if err != nil {
		return err
	}
	if in.RemovedAt != nil {
		return fmt.Errorf("integration %d was removed: %w", id, model.ErrNotFound)
	}
	ci, err := h.Collect.Connector(in.Connector)
	if err != nil {
		ci = collect.ConnectorInfo{ID: in.Connector, Name: in.Connector}
	}
	runs, err := h.Collect.Runs(r.Context(), p, id, 20)
	if err != nil {
		return err
	}
	page, err := h.Collect.Resources(r.Context(), p, collect.ResourceQuery{IntegrationID: id, Limit: -1})
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, res := range page.Resources {
		counts[res.Type]++
	}
	for _, t := range ci.ResourceTypes {
		d.Counts = append(d.Counts, typeCount{Type: t.Name, Present: counts[t.Name]})
	}
	d.In, d.Connector, d.Runs, d.CanEdit, d.Intervals = in, ci, runs, p.Can(model.PermEdit), intervals
	if d.Fields == nil {
		d.Fields = h.formFor(ci, in.Config, in.SecretFields)
	}
	return h.render(w, r, status, "integration", in.Name, "integrations", d)
}

// Integration shows an integration: health, configuration (secrets only as
// "set"), runs, and the actions.
func (h *Handlers) Integration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	return h.integrationPage(w, r, p, id, http.StatusOK, integrationData{})
}

// UpdateIntegration saves the edit form. A blank secret keeps the stored
// one; "clear" removes it.
func (h *Handlers) UpdateIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in, err := h.Collect.Integration(r.Context(), p, id)
	if err != nil {
		return err
	}
	ci, err := h.Collect.Connector(in.Connector)
	if err != nil {
		return err
	}
	name := r.PostFormValue("name")
	up := collect.IntegrationUpdate{Name: &name, Config: map[string]*string{}}
	for _, f := range ci.Fields {
		v := r.PostFormValue("cfg_" + f.Name)
		switch {
		case f.Secret && r.PostFormValue("clear_"+f.Name) == "on":
			up.Config[f.Name] = nil
		case f.Secret && strings.TrimSpace(v) == "":
			// keep the stored secret
		case strings.TrimSpace(v) == "":
			up.Config[f.Name] = nil
		default:
			up.Config[f.Name] = &v
		}
	}
	if iv, err := time.ParseDuration(r.PostFormValue("interval")); err == nil {
		d := model.Duration(iv)
		up.Interval = &d
	}
	if rl := strings.TrimSpace(r.PostFormValue("rate_limit")); rl != "" {
		n, err := strconv.ParseFloat(rl, 64)
		if err != nil {
			return h.integrationPage(w, r, p, id, http.StatusBadRequest, integrationData{Error: "rate_limit: must be a number of requests per second", Field: "rate_limit"})
		}
		up.RateLimit = &n
	}
	if _, err := h.Collect.UpdateIntegration(r.Context(), p, id, up); err != nil {
		if s := httpx.Status(err); s < 500 {
			return h.integrationPage(w, r, p, id, s, integrationData{Error: err.Error(), Field: errField(err)})
		}
		return err
	}
	return h.flashAndRedirect(w, r, "Integration saved.", integrationURL(id))
}

// TestIntegration runs the connection probe and shows the result.
func (h *Handlers) TestIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := h.Collect.TestIntegration(r.Context(), p, id)
	if err != nil {
		if s := httpx.Status(err); s < 500 {
			return h.integrationPage(w, r, p, id, s, integrationData{Error: err.Error()})
		}
		return err
	}
	return h.integrationPage(w, r, p, id, http.StatusOK, integrationData{Test: &res})
}

// RunIntegration starts a collection in the background and opens its run.
func (h *Handlers) RunIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	rv, err := h.Collect.Start(r.Context(), p, id, model.TriggerPage)
	if err != nil {
		if s := httpx.Status(err); s < 500 {
			return h.integrationPage(w, r, p, id, s, integrationData{Error: err.Error()})
		}
		return err
	}
	return h.flashAndRedirect(w, r, "Collection started.", runURL(rv.ID))
}

// EnableIntegration and DisableIntegration switch collection on and off.
func (h *Handlers) EnableIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setEnabled(w, r, p, true)
}

// DisableIntegration stops collecting an integration (manual and scheduled).
func (h *Handlers) DisableIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.setEnabled(w, r, p, false)
}

func (h *Handlers) setEnabled(w http.ResponseWriter, r *http.Request, p model.Principal, on bool) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	v, err := h.Collect.SetEnabled(r.Context(), p, id, on)
	if err != nil {
		return err
	}
	msg := "Integration “" + v.Name + "” disabled: it is not collected until enabled again."
	if on {
		msg = "Integration “" + v.Name + "” enabled."
	}
	return h.flashAndRedirect(w, r, msg, integrationURL(id))
}

// RemoveIntegration removes an integration; its runs and resource history stay.
func (h *Handlers) RemoveIntegration(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in, err := h.Collect.Integration(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := h.Collect.RemoveIntegration(r.Context(), p, id); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Integration “"+in.Name+"” removed. Its runs and the history of its resources are kept.", "/integrations")
}

func runURL(id int64) string { return "/runs/" + strconv.FormatInt(id, 10) }

// Run shows a run: status, counts and errors per resource type, and every
// observation with its raw body. A running run refreshes itself.
func (h *Handlers) Run(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	d, err := h.Collect.RunDetail(r.Context(), p, id)
	if err != nil {
		return err
	}
	if d.Status == model.RunRunning {
		w.Header().Set("Refresh", "3")
	}
	return h.render(w, r, http.StatusOK, "run", fmt.Sprintf("Run %d of %s", d.ID, d.Integration.Name), "integrations", d)
}

// ObservationBody streams an observation's raw body to the browser.
func (h *Handlers) ObservationBody(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	ob, rc, err := h.Collect.ObservationBody(r.Context(), p, id)
	if err != nil {
		return err
	}
	httpx.WriteFile(w, httpx.ObservationFile(ob, rc))
	return nil
}

func query(vals map[string]string) string {
	q := url.Values{}
	for k, v := range vals {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}
