package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// The audit pages: the list, an audit's overview (Type 1 state or Type 2
// operation per control, criteria, members, sampling table), the
// per-control view with its timeline, populations, samples and requests.
// The audit service decides what the caller may see and do; the pages
// only hide the forms it would refuse.

// auditPage is what every audit page passes to its template.
type auditPage struct {
	Audit model.Audit
	Tab   string
	// CanRun: owners and admins (create, invite, status); CanWork: anyone
	// in an audit not issued; CanAttach: who answers requests for the
	// organization.
	CanRun, CanWork, CanAttach bool
	// V holds the page's own values.
	V map[string]any
}

func canRunAudits(p model.Principal) bool { return p.Can(model.PermAudit) && p.Can(model.PermManage) }

func (h *Handlers) auditOf(r *http.Request, p model.Principal, tab string) (auditPage, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return auditPage{}, err
	}
	a, err := h.Audits.Audit(r.Context(), p, id)
	if err != nil {
		return auditPage{}, err
	}
	open := !a.Status.Closed()
	return auditPage{Audit: a, Tab: tab, CanRun: canRunAudits(p) && open, CanWork: open, CanAttach: open && p.Can(model.PermEdit),
		V: map[string]any{}}, nil
}

func auditURL(id int64, rest ...string) string {
	return "/audits/" + strconv.FormatInt(id, 10) + strings.Join(rest, "")
}

// done answers a form post: an error the user can fix goes back to the
// page as a message; success says what happened.
func (h *Handlers) done(w http.ResponseWriter, r *http.Request, err error, ok, back string) error {
	if err != nil {
		if s := httpx.Status(err); s != http.StatusBadRequest && s != http.StatusConflict {
			return err
		}
		return h.flashAndRedirect(w, r, "Not done: "+httpx.PublicMessage(r, err), back)
	}
	return h.flashAndRedirect(w, r, ok, back)
}

// AuditList lists the audits the caller may see, with the form to open one.
func (h *Handlers) AuditList(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	list, err := h.Audits.List(r.Context(), p)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, a := range list {
		counts[string(a.Status)]++
	}
	today := h.Now().UTC()
	return h.render(w, r, http.StatusOK, "audits", "Audits", "audits", map[string]any{
		"Audits": list, "Counts": counts, "CanRun": canRunAudits(p), "Frameworks": model.Frameworks(),
		"DefaultFrom": today.AddDate(0, -6, 0).Format("2006-01") + "-01", "DefaultTo": today.Format(model.DateLayout),
	})
}

// CreateAudit opens an audit from the list page's form.
func (h *Handlers) CreateAudit(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	v := r.PostFormValue
	typ, err := model.ParseAuditType(v("type"))
	if err != nil {
		return h.done(w, r, err, "", "/audits")
	}
	in := audit.CreateInput{Name: v("name"), Framework: model.Framework(v("framework")), Type: typ, Firm: v("firm")}
	if typ == model.AuditType1 {
		in.AsOf = v("as_of")
	} else {
		in.From, in.To = v("from"), v("to")
	}
	a, err := h.Audits.Create(r.Context(), p, in)
	if err != nil {
		return h.done(w, r, err, "", "/audits")
	}
	msg := fmt.Sprintf("Audit %d opened: %d controls frozen with the scope.", a.ID, len(a.Controls))
	if len(a.Warnings) > 0 {
		msg += " Note: " + strings.Join(a.Warnings, "; ") + "."
	}
	return h.flashAndRedirect(w, r, msg, auditURL(a.ID))
}

// overviewRow is one control on the overview.
type overviewRow struct {
	audit.ControlResult
	TimeFailing string
}

// AuditOverview shows an audit: per control its Type 1 state or Type 2
// operation, the criteria roll-up, changes, members and the sample table.
func (h *Handlers) AuditOverview(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "overview")
	if err != nil {
		return err
	}
	ctx := r.Context()
	results, err := h.Audits.Controls(ctx, p, pg.Audit.ID)
	if err != nil {
		return err
	}
	crit, err := h.Audits.Criteria(ctx, p, pg.Audit.ID)
	if err != nil {
		return err
	}
	changes, err := h.Audits.Changes(ctx, p, pg.Audit.ID)
	if err != nil {
		return err
	}
	comments, err := h.Audits.Comments(ctx, p, pg.Audit.ID, "audit")
	if err != nil {
		return err
	}
	rank := map[string]int{"failing": 0, "exceptions": 0, "gaps": 1, "needs_evidence": 1, "not_tested": 2, "passing": 3, "no_exceptions": 3}
	rows := make([]overviewRow, 0, len(results))
	counts := map[string]int{}
	for _, res := range results {
		row := overviewRow{ControlResult: res}
		if res.Operation != nil {
			row.TimeFailing = audit.HumanDuration(res.Operation.TimeFailing)
		}
		counts[res.Result]++
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rank[rows[i].Result] < rank[rows[j].Result] })
	var critCounts = map[string]int{}
	for _, c := range crit {
		critCounts[c.Result]++
	}
	pg.V = map[string]any{"Rows": rows, "Counts": counts, "Criteria": crit, "CritCounts": critCounts, "Changes": changes,
		"Comments": comments, "Statuses": model.AuditStatuses(), "Frequencies": model.SampledFrequencies(),
		"Subject": "audit", "Back": auditURL(pg.Audit.ID)}
	return h.render(w, r, http.StatusOK, "audit", pg.Audit.Name, "audits", pg)
}

// UpdateAudit changes the name, firm or status.
func (h *Handlers) UpdateAudit(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	var u audit.Update
	if v, ok := r.PostForm["name"]; ok {
		u.Name = &v[0]
	}
	if v, ok := r.PostForm["firm"]; ok {
		u.Firm = &v[0]
	}
	if v := r.PostFormValue("status"); v != "" {
		st := model.AuditStatus(v)
		u.Status = &st
	}
	a, err := h.Audits.UpdateAudit(r.Context(), p, id, u)
	return h.done(w, r, err, fmt.Sprintf("Audit saved: %s, %s.", a.Name, a.Status), auditURL(id))
}

// InviteToAudit invites a person.
func (h *Handlers) InviteToAudit(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	inv, err := h.Audits.Invite(r.Context(), p, id, r.PostFormValue("email"), r.PostFormValue("name"))
	msg := fmt.Sprintf("%s is invited to this audit.", inv.Member.Email)
	if inv.InitialPassword != "" {
		msg += fmt.Sprintf(" Their account was created with the password %s — give it to them now; it is not shown again.", inv.InitialPassword)
	}
	return h.done(w, r, err, msg, auditURL(id, "#members"))
}

// RemoveFromAudit withdraws an invitation.
func (h *Handlers) RemoveFromAudit(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	user, err := httpx.PathID(r, "user")
	if err != nil {
		return err
	}
	err = h.Audits.Uninvite(r.Context(), p, id, user)
	return h.done(w, r, err, "The invitation was withdrawn.", auditURL(id, "#members"))
}

// SetAuditSampling saves the sample size table.
func (h *Handlers) SetAuditSampling(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue(k))); return n }
	t := model.SampleTable{Sizes: map[model.Frequency]int{}, EventDriven: model.EventSampleRule{Percent: num("event_percent"), Min: num("event_min"), Max: num("event_max")}}
	for _, f := range model.SampledFrequencies() {
		t.Sizes[f] = num("size_" + string(f))
	}
	_, err = h.Audits.SetSampling(r.Context(), p, id, t)
	return h.done(w, r, err, "Sample sizes saved: new samples follow them; samples already drawn keep theirs.", auditURL(id, "#sampling"))
}

// AuditControl shows one control: its frozen design, its state as of the
// Type 1 date, or its operation over the Type 2 period with the timeline
// chart, candidate exceptions and occurrences.
func (h *Handlers) AuditControl(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "overview")
	if err != nil {
		return err
	}
	ctx := r.Context()
	key := r.PathValue("key")
	res, err := h.Audits.Control(ctx, p, pg.Audit.ID, key)
	if err != nil {
		return err
	}
	samples, err := h.Audits.SamplesOf(ctx, p, pg.Audit.ID, key)
	if err != nil {
		return err
	}
	comments, err := h.Audits.Comments(ctx, p, pg.Audit.ID, "control:"+key)
	if err != nil {
		return err
	}
	pg.V = map[string]any{"R": res, "Samples": samples, "Comments": comments, "Subject": "control:" + key, "Back": auditURL(pg.Audit.ID, "/controls/", key)}
	if res.Operation != nil {
		pg.V["Chart"] = operationChart(*res.Operation, p.Org.Location())
		pg.V["TimeFailing"] = audit.HumanDuration(res.Operation.TimeFailing)
		pg.V["TimeFailingAny"] = audit.HumanDuration(res.Operation.TimeFailingAny)
	}
	return h.render(w, r, http.StatusOK, "audit_control", key+" · "+pg.Audit.Name, "audits", pg)
}

// AuditPopulations lists the populations with the form to pull one.
func (h *Handlers) AuditPopulations(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "populations")
	if err != nil {
		return err
	}
	pops, err := h.Audits.Populations(r.Context(), p, pg.Audit.ID)
	if err != nil {
		return err
	}
	pg.V = map[string]any{"Populations": pops, "Kinds": model.PopulationKinds()}
	return h.render(w, r, http.StatusOK, "audit_populations", "Populations · "+pg.Audit.Name, "audits", pg)
}

// CreatePopulation pulls a population.
func (h *Handlers) CreatePopulation(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	pop, err := h.Audits.ProducePopulation(r.Context(), p, id, audit.PopulationInput{Kind: model.PopulationKind(r.PostFormValue("kind")),
		Controls: splitControls(r.PostFormValue("controls"))})
	if err != nil {
		return h.done(w, r, err, "", auditURL(id, "/populations"))
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Population %d pulled: %d item(s), SHA-256 %s…, stored as evidence %d.", pop.ID, pop.Count, pop.SHA256[:12], pop.EvidenceID),
		auditURL(id, "/populations/", strconv.FormatInt(pop.ID, 10)))
}

// AuditPopulation shows a population's provenance and items.
func (h *Handlers) AuditPopulation(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "populations")
	if err != nil {
		return err
	}
	pid, err := httpx.PathID(r, "pop")
	if err != nil {
		return err
	}
	pop, f, err := h.Audits.Population(r.Context(), p, pg.Audit.ID, pid)
	if err != nil {
		return err
	}
	pg.V = map[string]any{"P": pop, "Items": f.Items, "Params": sortedParams(pop.Query.Parameters)}
	return h.render(w, r, http.StatusOK, "audit_population", pop.Title, "audits", pg)
}

type param struct{ Key, Value string }

func sortedParams(m map[string]string) []param {
	out := []param{}
	for k, v := range m {
		out = append(out, param{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// DownloadPopulation sends the population file.
func (h *Handlers) DownloadPopulation(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	pid, err := httpx.PathID(r, "pop")
	if err != nil {
		return err
	}
	pop, body, err := h.Audits.PopulationBytes(r.Context(), p, id, pid)
	if err != nil {
		return err
	}
	httpx.WriteFile(w, httpx.File{Name: fmt.Sprintf("population-%d-%s.json", pop.ID, pop.Kind), MediaType: "application/json", Size: pop.Size,
		SHA256: pop.SHA256, Body: io.NopCloser(bytes.NewReader(body))})
	return nil
}

// AuditSamples lists the samples with the form to draw one.
func (h *Handlers) AuditSamples(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "samples")
	if err != nil {
		return err
	}
	ctx := r.Context()
	samples, err := h.Audits.Samples(ctx, p, pg.Audit.ID)
	if err != nil {
		return err
	}
	pops, err := h.Audits.Populations(ctx, p, pg.Audit.ID)
	if err != nil {
		return err
	}
	type row struct {
		S                  model.Sample
		Tested, Exceptions int
	}
	rows := []row{}
	for _, sm := range samples {
		t, e := sm.Counts()
		rows = append(rows, row{sm, t, e})
	}
	pg.V = map[string]any{"Samples": rows, "Populations": pops, "Control": r.URL.Query().Get("control")}
	return h.render(w, r, http.StatusOK, "audit_samples", "Samples · "+pg.Audit.Name, "audits", pg)
}

// CreateSample draws a sample.
func (h *Handlers) CreateSample(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	in := audit.SampleInput{Control: r.PostFormValue("control")}
	if v := strings.TrimSpace(r.PostFormValue("seed")); v != "" {
		seed, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return h.done(w, r, model.Invalid("seed", "%q is not a whole number", v), "", auditURL(id, "/samples"))
		}
		in.Seed = &seed
	}
	if v := strings.TrimSpace(r.PostFormValue("population")); v != "" {
		in.PopulationID, _ = strconv.ParseInt(v, 10, 64)
	}
	sm, err := h.Audits.DrawSample(r.Context(), p, id, in)
	if err != nil {
		return h.done(w, r, err, "", auditURL(id, "/samples"))
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Sample %d drawn for %s: %d of %d with seed %d.", sm.ID, sm.ControlKey, sm.Size, sm.PopulationSize, sm.Seed),
		auditURL(id, "/samples/", strconv.FormatInt(sm.ID, 10)))
}

// AuditSample shows a sample's items with a result form for each.
func (h *Handlers) AuditSample(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "samples")
	if err != nil {
		return err
	}
	sid, err := httpx.PathID(r, "sample")
	if err != nil {
		return err
	}
	sm, err := h.Audits.Sample(r.Context(), p, pg.Audit.ID, sid)
	if err != nil {
		return err
	}
	comments, err := h.Audits.Comments(r.Context(), p, pg.Audit.ID, "sample:"+strconv.FormatInt(sid, 10))
	if err != nil {
		return err
	}
	tested, exceptions := sm.Counts()
	// A window or a day is named by its UTC days (the last one included).
	when := map[int]string{}
	for _, it := range sm.Items {
		if it.To != nil {
			first, last := it.At.UTC().Format(model.DateLayout), it.To.UTC().Add(-time.Nanosecond).Format(model.DateLayout)
			when[it.Position] = first
			if last != first {
				when[it.Position] = first + " – " + last
			}
		}
	}
	pg.V = map[string]any{"S": sm, "Tested": tested, "Exceptions": exceptions, "Comments": comments, "When": when,
		"Subject": "sample:" + strconv.FormatInt(sid, 10), "Back": auditURL(pg.Audit.ID, "/samples/", strconv.FormatInt(sid, 10))}
	return h.render(w, r, http.StatusOK, "audit_sample", fmt.Sprintf("Sample %d · %s", sm.ID, sm.ControlKey), "audits", pg)
}

// SetSampleResult records one item's result.
func (h *Handlers) SetSampleResult(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	sid, err := httpx.PathID(r, "sample")
	if err != nil {
		return err
	}
	pos, err := strconv.Atoi(r.PathValue("position"))
	if err != nil {
		return model.ErrNotFound
	}
	_, err = h.Audits.RecordResult(r.Context(), p, id, sid, pos, audit.ResultInput{Result: model.SampleResult(r.PostFormValue("result")),
		Note: r.PostFormValue("note")})
	return h.done(w, r, err, fmt.Sprintf("Item %d: %s recorded.", pos, r.PostFormValue("result")),
		auditURL(id, "/samples/", strconv.FormatInt(sid, 10), "#item-", strconv.Itoa(pos)))
}

// AuditRequests shows the request list, overdue and open first.
func (h *Handlers) AuditRequests(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "requests")
	if err != nil {
		return err
	}
	rs, err := h.Audits.Requests(r.Context(), p, pg.Audit.ID)
	if err != nil {
		return err
	}
	today := h.Now().UTC().Format(model.DateLayout)
	rank := func(q model.Request) int {
		switch {
		case q.Overdue(today):
			return 0
		case q.Status == model.RequestOpen:
			return 1
		case q.Status == model.RequestSubmitted:
			return 2
		}
		return 3
	}
	sort.SliceStable(rs, func(i, j int) bool { return rank(rs[i]) < rank(rs[j]) })
	counts := map[string]int{}
	for _, q := range rs {
		counts[string(q.Status)]++
		if q.Overdue(today) {
			counts["overdue"]++
		}
	}
	pg.V = map[string]any{"Requests": rs, "Counts": counts, "Today": today, "Control": r.URL.Query().Get("control")}
	return h.render(w, r, http.StatusOK, "audit_requests", "Requests · "+pg.Audit.Name, "audits", pg)
}

// CreateRequest adds a request.
func (h *Handlers) CreateRequest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	v := r.PostFormValue
	in := audit.RequestInput{Title: v("title"), Description: v("description"), Control: v("control"), Owner: v("owner"), Due: v("due")}
	if s := strings.TrimSpace(v("sample_id")); s != "" {
		in.SampleID, _ = strconv.ParseInt(s, 10, 64)
	}
	req, err := h.Audits.CreateRequest(r.Context(), p, id, in)
	if err != nil {
		return h.done(w, r, err, "", auditURL(id, "/requests"))
	}
	return h.flashAndRedirect(w, r, fmt.Sprintf("Request %d added: %s.", req.ID, req.Title), auditURL(id, "/requests/", strconv.FormatInt(req.ID, 10)))
}

// AuditRequest shows a request with its attachments and comments.
func (h *Handlers) AuditRequest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	pg, err := h.auditOf(r, p, "requests")
	if err != nil {
		return err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return err
	}
	req, err := h.Audits.Request(r.Context(), p, pg.Audit.ID, rid)
	if err != nil {
		return err
	}
	comments, err := h.Audits.Comments(r.Context(), p, pg.Audit.ID, "request:"+strconv.FormatInt(rid, 10))
	if err != nil {
		return err
	}
	pg.V = map[string]any{"Q": req, "Comments": comments, "Statuses": model.RequestStatuses(), "MaxUpload": evidence.HumanSize(h.MaxUpload),
		"Overdue": req.Overdue(h.Now().UTC().Format(model.DateLayout)),
		"Subject": "request:" + strconv.FormatInt(rid, 10), "Back": auditURL(pg.Audit.ID, "/requests/", strconv.FormatInt(rid, 10))}
	return h.render(w, r, http.StatusOK, "audit_request", req.Title, "audits", pg)
}

// UpdateRequest changes a request's fields or status.
func (h *Handlers) UpdateRequest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return err
	}
	var patch audit.RequestPatch
	field := func(k string) *string {
		if v, ok := r.PostForm[k]; ok {
			return &v[0]
		}
		return nil
	}
	patch.Title, patch.Description, patch.Control, patch.Owner, patch.Due = field("title"), field("description"), field("control"), field("owner"), field("due")
	if v := r.PostFormValue("status"); v != "" {
		st := model.RequestStatus(v)
		patch.Status = &st
	}
	_, err = h.Audits.UpdateRequest(r.Context(), p, id, rid, patch)
	return h.done(w, r, err, "Request saved.", auditURL(id, "/requests/", strconv.FormatInt(rid, 10)))
}

// AttachToRequest answers a request with an existing evidence item or a new one.
func (h *Handlers) AttachToRequest(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return err
	}
	back := auditURL(id, "/requests/", strconv.FormatInt(rid, 10))
	if v := strings.TrimSpace(r.PostFormValue("evidence_id")); v != "" {
		ev, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			return h.done(w, r, model.Invalid("evidence_id", "%q is not an evidence id (see the Evidence page)", v), "", back)
		}
		_, err = h.Audits.AttachEvidence(r.Context(), p, id, rid, ev)
		return h.done(w, r, err, fmt.Sprintf("Evidence %d attached.", ev), back)
	}
	f := evidenceFormOf(r)
	file, name, err := formFile(r)
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	kind := model.EvidenceAttestation
	switch {
	case file != nil:
		kind = model.EvidenceFile
	case strings.TrimSpace(f.URL) != "":
		kind = model.EvidenceLink
	}
	_, err = h.Audits.UploadToRequest(r.Context(), p, id, rid, evidence.NewItem{Kind: kind, Title: f.Title, Description: f.Description,
		Controls: splitControls(f.Controls), Content: f.content(file, name)})
	return h.done(w, r, err, "Evidence added and attached: the request is submitted.", back)
}

// CreateComment adds a comment and returns to where it was written.
func (h *Handlers) CreateComment(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	back := r.PostFormValue("back")
	if !strings.HasPrefix(back, auditURL(id)) {
		back = auditURL(id)
	}
	_, err = h.Audits.Comment(r.Context(), p, id, r.PostFormValue("subject"), r.PostFormValue("body"))
	return h.done(w, r, err, "Comment added.", back+"#comments")
}

// DownloadAuditEvidence downloads an in-scope evidence version.
func (h *Handlers) DownloadAuditEvidence(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	ev, err := httpx.PathID(r, "ev")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(r.URL.Query().Get("version"))
	f, err := h.Audits.OpenEvidence(r.Context(), p, id, ev, version)
	if err != nil {
		return err
	}
	httpx.WriteFile(w, httpx.File{Name: f.Name, MediaType: f.Version.MediaType, Size: f.Version.Size, SHA256: f.Version.SHA256, Body: f.Body})
	return nil
}

// auditBadge shows an audit's, a control result's, a candidate exception's,
// a request's or a sampled item's state: colour, symbol and word.
func auditBadge(s any) badge {
	switch v := fmt.Sprint(s); v {
	case "planning":
		return badge{"off", "◔ planning"}
	case "fieldwork":
		return badge{"warn", "⚙ fieldwork"}
	case "review":
		return badge{"warn", "◑ review"}
	case "issued":
		return badge{"ok", "✓ issued"}
	case "no_exceptions":
		return badge{"ok", "✓ no exceptions"}
	case "exceptions":
		return badge{"bad", "✕ exceptions"}
	case "gaps":
		return badge{"warn", "◔ gaps"}
	case "no_controls":
		return badge{"bad", "✕ no controls"}
	case "candidate":
		return badge{"bad", "✕ candidate exception"}
	case "accepted":
		return badge{"warn", "⚑ accepted"}
	case "partly_accepted":
		return badge{"warn", "⚑ partly accepted"}
	case "open":
		return badge{"warn", "○ open"}
	case "submitted":
		return badge{"off", "◑ submitted"}
	case "pending":
		return badge{"off", "○ pending"}
	case "pass":
		return badge{"ok", "✓ no exception"}
	case "exception":
		return badge{"bad", "✕ exception"}
	default:
		return stateBadge(v)
	}
}
