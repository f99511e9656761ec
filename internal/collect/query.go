package collect

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// ObservationView is an observation with where to fetch its raw body.
type ObservationView struct {
	model.Observation
	// BodyURL is the API path of the raw body (GET, bearer token).
	BodyURL string `json:"body_url"`
}

func observationViews(obs []model.Observation) []ObservationView {
	out := make([]ObservationView, 0, len(obs))
	for _, o := range obs {
		out = append(out, ObservationView{Observation: o, BodyURL: BodyURL(o.ID)})
	}
	return out
}

// BodyURL is the API path of an observation's raw body.
func BodyURL(id int64) string { return "/api/v1/observations/" + strconv.FormatInt(id, 10) + "/body" }

// RunDetail is a run with every observation it made.
type RunDetail struct {
	RunView
	Observations []ObservationView `json:"observations"`
}

// RunView reads a run with its integration and listings.
func (s *Service) RunView(ctx context.Context, p model.Principal, id int64) (RunView, error) {
	if err := need(p, model.PermView, "reading a run"); err != nil {
		return RunView{}, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	r, err := ost.Run(ctx, id)
	if err != nil {
		return RunView{}, err
	}
	return s.runView(ctx, ost, r, nil)
}

func (s *Service) runView(ctx context.Context, ost *store.OrgStore, r model.Run, in *model.Integration) (RunView, error) {
	if in == nil {
		got, _, err := ost.Integration(ctx, r.IntegrationID)
		if err != nil {
			return RunView{}, err
		}
		in = &got
	}
	ls, err := ost.Listings(ctx, r.ID)
	if err != nil {
		return RunView{}, err
	}
	if ls == nil {
		ls = []model.Listing{}
	}
	if r.Status == model.RunRunning {
		// Totals are written at the end; show progress meanwhile.
		if n, err := ost.CountObservations(ctx, r.ID); err == nil {
			r.Calls = n
		}
		for _, l := range ls {
			r.Resources += l.Resources
			r.Added += l.Added
			r.Changed += l.Changed
			r.Removed += l.Removed
		}
	}
	return RunView{Run: r, Integration: RunIntegration{ID: in.ID, Name: in.Name, Connector: in.Connector}, Listings: ls}, nil
}

// RunDetail reads a run with its listings and observations.
func (s *Service) RunDetail(ctx context.Context, p model.Principal, id int64) (RunDetail, error) {
	rv, err := s.RunView(ctx, p, id)
	if err != nil {
		return RunDetail{}, err
	}
	obs, err := s.opts.Store.Org(p.Org.ID).Observations(ctx, id, "*")
	if err != nil {
		return RunDetail{}, err
	}
	return RunDetail{RunView: rv, Observations: observationViews(obs)}, nil
}

// Runs lists runs (of one integration when integrationID is not 0), newest first.
func (s *Service) Runs(ctx context.Context, p model.Principal, integrationID int64, limit int) ([]RunView, error) {
	if err := need(p, model.PermView, "listing runs"); err != nil {
		return nil, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	runs, err := ost.Runs(ctx, store.RunFilter{IntegrationID: integrationID, Limit: limit})
	if err != nil {
		return nil, err
	}
	ins := map[int64]*model.Integration{}
	out := []RunView{}
	for _, r := range runs {
		in, ok := ins[r.IntegrationID]
		if !ok {
			got, _, err := ost.Integration(ctx, r.IntegrationID)
			if err != nil {
				return nil, err
			}
			in = &got
			ins[r.IntegrationID] = in
		}
		rv, err := s.runView(ctx, ost, r, in)
		if err != nil {
			return nil, err
		}
		out = append(out, rv)
	}
	return out, nil
}

// ResourceQuery selects resources. Integration is a name; Status is
// present (default), removed or all.
type ResourceQuery struct {
	Type          string
	Integration   string
	IntegrationID int64
	Status        string
	Query         string
	Limit, Offset int
}

// ResourcePage is one page of resources.
type ResourcePage struct {
	Resources []model.Resource `json:"resources"`
	Total     int              `json:"total"`
	Limit     int              `json:"limit"`
	Offset    int              `json:"offset"`
}

// Resources lists resources; Limit 0 means 100, -1 all of them.
func (s *Service) Resources(ctx context.Context, p model.Principal, q ResourceQuery) (ResourcePage, error) {
	if err := need(p, model.PermView, "listing resources"); err != nil {
		return ResourcePage{}, err
	}
	switch q.Status {
	case "", "present", "removed", "all":
	default:
		return ResourcePage{}, model.Invalid("status", "must be present, removed or all, got %q", q.Status)
	}
	if q.Limit > 1000 {
		return ResourcePage{}, model.Invalid("limit", "must be at most 1000")
	}
	if q.Offset < 0 {
		return ResourcePage{}, model.Invalid("offset", "must not be negative")
	}
	ost := s.opts.Store.Org(p.Org.ID)
	f := store.ResourceFilter{Type: strings.TrimSpace(q.Type), IntegrationID: q.IntegrationID, Status: q.Status, Query: q.Query, Limit: q.Limit, Offset: q.Offset}
	if q.Integration != "" {
		in, err := ost.IntegrationByName(ctx, q.Integration)
		if err != nil {
			return ResourcePage{}, err
		}
		f.IntegrationID = in.ID
	}
	list, total, err := ost.Resources(ctx, f)
	if err != nil {
		return ResourcePage{}, err
	}
	if list == nil {
		list = []model.Resource{}
	}
	limit := q.Limit
	if limit == 0 {
		limit = 100
	}
	return ResourcePage{Resources: list, Total: total, Limit: limit, Offset: q.Offset}, nil
}

// TypeCount is how many resources of a type are present and removed.
type TypeCount struct {
	Type    string `json:"type"`
	Present int    `json:"present"`
	Removed int    `json:"removed"`
}

// TypeCounts counts the organization's resources per type.
func (s *Service) TypeCounts(ctx context.Context, p model.Principal) ([]TypeCount, error) {
	if err := need(p, model.PermView, "listing resources"); err != nil {
		return nil, err
	}
	counts, err := s.opts.Store.Org(p.Org.ID).ResourceTypeCounts(ctx)
	if err != nil {
		return nil, err
	}
	out := []TypeCount{}
	for _, c := range counts {
		out = append(out, TypeCount{Type: c.Type, Present: c.Present, Removed: c.Removed})
	}
	return out, nil
}

// VersionView is a resource version with the observations behind it.
type VersionView struct {
	model.ResourceVersion
	Observations []ObservationView `json:"observations"`
}

// ResourceDetail is a resource with every version and its provenance.
type ResourceDetail struct {
	model.Resource
	Versions []VersionView `json:"versions"`
}

// Resource reads a resource with its versions, each with the observations
// (and raw bodies) it was built from.
func (s *Service) Resource(ctx context.Context, p model.Principal, id int64) (ResourceDetail, error) {
	if err := need(p, model.PermView, "reading a resource"); err != nil {
		return ResourceDetail{}, err
	}
	ost := s.opts.Store.Org(p.Org.ID)
	r, err := ost.Resource(ctx, id)
	if err != nil {
		return ResourceDetail{}, err
	}
	vs, err := ost.ResourceVersions(ctx, id)
	if err != nil {
		return ResourceDetail{}, err
	}
	d := ResourceDetail{Resource: r, Versions: []VersionView{}}
	for _, v := range vs {
		obs, err := ost.VersionObservations(ctx, v, r.Type)
		if err != nil {
			return ResourceDetail{}, err
		}
		d.Versions = append(d.Versions, VersionView{ResourceVersion: v, Observations: observationViews(obs)})
	}
	return d, nil
}

// Observation reads one observation.
func (s *Service) Observation(ctx context.Context, p model.Principal, id int64) (ObservationView, error) {
	if err := need(p, model.PermView, "reading an observation"); err != nil {
		return ObservationView{}, err
	}
	ob, err := s.opts.Store.Org(p.Org.ID).Observation(ctx, id)
	if err != nil {
		return ObservationView{}, err
	}
	return ObservationView{Observation: ob, BodyURL: BodyURL(ob.ID)}, nil
}

// ObservationBody opens an observation's raw body (as stored: secrets
// replaced). The caller closes it.
func (s *Service) ObservationBody(ctx context.Context, p model.Principal, id int64) (model.Observation, io.ReadCloser, error) {
	ov, err := s.Observation(ctx, p, id)
	if err != nil {
		return model.Observation{}, nil, err
	}
	rc, err := s.opts.Blobs.Open(ctx, ov.SHA256)
	if err != nil {
		return ov.Observation, nil, fmt.Errorf("cannot open the raw body of observation %d: %w", id, err)
	}
	return ov.Observation, rc, nil
}
