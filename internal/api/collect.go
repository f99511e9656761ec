package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// ListConnectors describes every connector: configuration fields and
// resource types.
func (h *Handlers) ListConnectors(r *http.Request, p model.Principal) (any, error) {
	return h.Collect.Connectors(), nil
}

// ListIntegrations lists the organization's integrations with their health.
func (h *Handlers) ListIntegrations(r *http.Request, p model.Principal) (any, error) {
	return h.Collect.Integrations(r.Context(), p)
}

// CreateIntegration adds an integration. Secret fields go in config like the
// others; they are sealed and never returned.
func (h *Handlers) CreateIntegration(r *http.Request, p model.Principal) (any, error) {
	var in collect.IntegrationInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	v, err := h.Collect.CreateIntegration(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: v}, nil
}

// GetIntegration reads one integration.
func (h *Handlers) GetIntegration(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Collect.Integration(r.Context(), p, id)
}

// UpdateIntegration changes an integration: absent fields stay, a config
// field set to null is cleared.
func (h *Handlers) UpdateIntegration(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var up collect.IntegrationUpdate
	if err := decode(r, &up); err != nil {
		return nil, err
	}
	return h.Collect.UpdateIntegration(r.Context(), p, id, up)
}

// RemoveIntegration removes an integration; its history stays.
func (h *Handlers) RemoveIntegration(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return httpx.NoContent{}, h.Collect.RemoveIntegration(r.Context(), p, id)
}

// TestIntegration runs the connection probe.
func (h *Handlers) TestIntegration(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Collect.TestIntegration(r.Context(), p, id)
}

// StartRun collects an integration now: in the background (the run is
// returned running), or to the end with ?wait=true.
func (h *Handlers) StartRun(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var rv collect.RunView
	if r.URL.Query().Get("wait") == "true" {
		rv, err = h.Collect.Run(r.Context(), p, id, model.TriggerAPI)
	} else {
		rv, err = h.Collect.Start(r.Context(), p, id, model.TriggerAPI)
	}
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: rv}, nil
}

func queryInt(r *http.Request, name string, def int) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, model.Invalid(name, "must be a whole number, got %q", v)
	}
	return n, nil
}

// ListIntegrationRuns lists an integration's runs, newest first.
func (h *Handlers) ListIntegrationRuns(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	if _, err := h.Collect.Integration(r.Context(), p, id); err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return nil, err
	}
	return h.Collect.Runs(r.Context(), p, id, limit)
}

// ListRuns lists the organization's runs, newest first.
func (h *Handlers) ListRuns(r *http.Request, p model.Principal) (any, error) {
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return nil, err
	}
	return h.Collect.Runs(r.Context(), p, 0, limit)
}

// GetRun reads a run with its listings and observations.
func (h *Handlers) GetRun(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Collect.RunDetail(r.Context(), p, id)
}

// ListResources lists resources: ?type=, ?integration= (name), ?status=
// present|removed|all, ?q= (name or external id), ?limit= (≤ 1000), ?offset=.
func (h *Handlers) ListResources(r *http.Request, p model.Principal) (any, error) {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, model.Invalid("limit", "must be between 1 and 1000")
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return nil, err
	}
	return h.Collect.Resources(r.Context(), p, collect.ResourceQuery{
		Type: q.Get("type"), Integration: q.Get("integration"), Status: q.Get("status"), Query: q.Get("q"), Limit: limit, Offset: offset,
	})
}

// GetResource reads a resource with its versions and provenance.
func (h *Handlers) GetResource(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Collect.Resource(r.Context(), p, id)
}

// GetObservation reads one observation.
func (h *Handlers) GetObservation(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return h.Collect.Observation(r.Context(), p, id)
}

// GetObservationBody streams an observation's raw body as stored.
func (h *Handlers) GetObservationBody(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	ob, rc, err := h.Collect.ObservationBody(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	return httpx.ObservationFile(ob, rc), nil
}
