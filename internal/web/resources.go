package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

type resourcesData struct {
	Page         collect.ResourcePage
	Types        []collect.TypeCount
	Integrations []collect.IntegrationView
	Filter       map[string]string
	Prev, Next   string
	From, To     int
	Error        string
}

const resourcesPerPage = 100

// Resources lists resources with filters by type, integration, status and
// name.
func (h *Handlers) Resources(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	q := r.URL.Query()
	f := map[string]string{"type": q.Get("type"), "integration": q.Get("integration"), "status": q.Get("status"), "q": q.Get("q")}
	offset, _ := strconv.Atoi(q.Get("offset"))
	if offset < 0 {
		offset = 0
	}
	page, err := h.Collect.Resources(r.Context(), p, collect.ResourceQuery{Type: f["type"], Integration: f["integration"], Status: f["status"],
		Query: f["q"], Limit: resourcesPerPage, Offset: offset})
	if err != nil {
		if s := httpx.Status(err); s < 500 {
			return h.renderResourcesError(w, r, p, s, err)
		}
		return err
	}
	types, err := h.Collect.TypeCounts(r.Context(), p)
	if err != nil {
		return err
	}
	ins, err := h.Collect.Integrations(r.Context(), p)
	if err != nil {
		return err
	}
	d := resourcesData{Page: page, Types: types, Integrations: ins, Filter: f, From: offset + 1, To: offset + len(page.Resources)}
	with := func(off int) string {
		m := map[string]string{"offset": strconv.Itoa(off)}
		for k, v := range f {
			m[k] = v
		}
		return "/resources" + query(m)
	}
	if offset > 0 {
		d.Prev = with(max(0, offset-resourcesPerPage))
	}
	if offset+len(page.Resources) < page.Total {
		d.Next = with(offset + resourcesPerPage)
	}
	return h.render(w, r, http.StatusOK, "resources", "Resources", "resources", d)
}

func (h *Handlers) renderResourcesError(w http.ResponseWriter, r *http.Request, p model.Principal, status int, err error) error {
	return h.render(w, r, status, "resources", "Resources", "resources", resourcesData{Error: err.Error(), Filter: map[string]string{}})
}

// attrRow is one attribute on the resource page: its value and how it was
// determined, or why it is unknown.
type attrRow struct {
	Field   string
	Value   string
	Source  string
	Unknown string
}

func attrRows(attrs map[string]any) []attrRow {
	unknown, _ := attrs[connector.AttrUnknown].(map[string]any)
	sources, _ := attrs[connector.AttrSources].(map[string]any)
	var rows []attrRow
	for k, v := range attrs {
		if k == connector.AttrUnknown || k == connector.AttrSources {
			continue
		}
		row := attrRow{Field: k, Value: show(v)}
		row.Source, _ = sources[k].(string)
		row.Unknown, _ = unknown[k].(string)
		rows = append(rows, row)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Field < rows[j].Field })
	return rows
}

// show renders a value for people: strings as they are, the rest as JSON.
func show(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return string(bytes.TrimRight(buf.Bytes(), "\n"))
}

// change is one field that differs between a version and the one before.
type change struct {
	Field, Before, After string
}

type versionView struct {
	collect.VersionView
	Changes []change
	First   bool
}

type resourceData struct {
	R        collect.ResourceDetail
	Rows     []attrRow
	Versions []versionView
}

// Resource shows a resource: its attributes with their sources, its
// versions with what changed side by side, and the raw responses behind
// each version.
func (h *Handlers) Resource(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	res, err := h.Collect.Resource(r.Context(), p, id)
	if err != nil {
		return err
	}
	d := resourceData{R: res, Rows: attrRows(res.Attributes)}
	for i, v := range res.Versions {
		vv := versionView{VersionView: v}
		if i+1 < len(res.Versions) {
			vv.Changes = diff(res.Versions[i+1].Attributes, v.Attributes)
		} else {
			vv.First = true
		}
		d.Versions = append(d.Versions, vv)
	}
	return h.render(w, r, http.StatusOK, "resource", res.Name, "resources", d)
}

// diff lists the top-level fields whose values differ, "unknown" and
// "sources" included (a fact that became unknown is a change).
func diff(before, after map[string]any) []change {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		b, bok := before[k]
		a, aok := after[k]
		bs, as := show(b), show(a)
		if !bok {
			bs = "(absent)"
		}
		if !aok {
			as = "(absent)"
		}
		if bs != as {
			out = append(out, change{Field: k, Before: bs, After: as})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}
