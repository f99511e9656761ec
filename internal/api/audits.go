package api

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Audits: every handler passes the principal to the audit service, which
// decides what it may see (its audits only, for an auditor) and do.

// MemberInvite is the body of POST /audits/{id}/members.
type MemberInvite struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

// PopulationView is a population with its items.
type PopulationView struct {
	model.Population
	Items []model.PopulationItem `json:"items"`
}

// AttachmentCreate is the body of POST /audits/{id}/requests/{req}/attachments:
// an existing evidence item (JSON {"evidence_id": N}), or new evidence as
// for POST /evidence (multipart/form-data with a "file" part, or JSON for a
// link or an attestation).
type AttachmentCreate struct {
	EvidenceID int64 `json:"evidence_id,omitempty"`
	EvidenceCreate
}

// CommentCreate is the body of POST /audits/{id}/comments.
type CommentCreate struct {
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
}

// auditID reads the audit id of the path and checks that the caller may see
// that audit before anything else is read from the request, so that a
// caller outside it always gets "not found", whatever it sent.
func (h *Handlers) auditID(r *http.Request, p model.Principal) (int64, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return 0, err
	}
	if _, err := h.Audits.Audit(r.Context(), p, id); err != nil {
		return 0, err
	}
	return id, nil
}

// ListAudits lists the audits the caller may see.
func (h *Handlers) ListAudits(r *http.Request, p model.Principal) (any, error) {
	return h.Audits.List(r.Context(), p)
}

// CreateAudit opens an audit.
func (h *Handlers) CreateAudit(r *http.Request, p model.Principal) (any, error) {
	var in audit.CreateInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	a, err := h.Audits.Create(r.Context(), p, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: a}, nil
}

// GetAudit reads an audit.
func (h *Handlers) GetAudit(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Audit(r.Context(), p, id)
}

// UpdateAudit changes an audit's name, firm or status.
func (h *Handlers) UpdateAudit(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in audit.Update
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Audits.UpdateAudit(r.Context(), p, id, in)
}

// SetSampling replaces the audit's sample size table.
func (h *Handlers) SetSampling(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in model.SampleTable
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Audits.SetSampling(r.Context(), p, id, in)
}

// InviteAuditMember invites a person to the audit.
func (h *Handlers) InviteAuditMember(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in MemberInvite
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	inv, err := h.Audits.Invite(r.Context(), p, id, in.Email, in.Name)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: inv}, nil
}

// RemoveAuditMember withdraws an invitation.
func (h *Handlers) RemoveAuditMember(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	user, err := httpx.PathID(r, "user")
	if err != nil {
		return nil, err
	}
	if err := h.Audits.Uninvite(r.Context(), p, id, user); err != nil {
		return nil, err
	}
	return httpx.NoContent{}, nil
}

// ListAuditControls lists the audit's controls with their Type 1 state or
// Type 2 operation.
func (h *Handlers) ListAuditControls(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Controls(r.Context(), p, id)
}

// GetAuditControl reads one control of an audit.
func (h *Handlers) GetAuditControl(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Control(r.Context(), p, id, r.PathValue("key"))
}

// AuditControlAsOf judges one control of an audit at ?at=.
func (h *Handlers) AuditControlAsOf(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	at, err := audit.ParseMoment("at", r.URL.Query().Get("at"))
	if err != nil {
		return nil, err
	}
	return h.Audits.ControlAsOf(r.Context(), p, id, r.PathValue("key"), at)
}

// ListAuditCriteria rolls control results up to the criteria or objectives.
func (h *Handlers) ListAuditCriteria(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Criteria(r.Context(), p, id)
}

// ListAuditChanges lists how the live controls differ from the frozen set.
func (h *Handlers) ListAuditChanges(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Changes(r.Context(), p, id)
}

// ListPopulations lists the audit's populations.
func (h *Handlers) ListPopulations(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Populations(r.Context(), p, id)
}

// CreatePopulation pulls a population now.
func (h *Handlers) CreatePopulation(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in audit.PopulationInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	pop, err := h.Audits.ProducePopulation(r.Context(), p, id, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: pop}, nil
}

// GetPopulation reads a population with its items.
func (h *Handlers) GetPopulation(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	pid, err := httpx.PathID(r, "pop")
	if err != nil {
		return nil, err
	}
	pop, f, err := h.Audits.Population(r.Context(), p, id, pid)
	if err != nil {
		return nil, err
	}
	return PopulationView{Population: pop, Items: f.Items}, nil
}

// DownloadPopulation sends a population's file exactly as hashed.
func (h *Handlers) DownloadPopulation(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	pid, err := httpx.PathID(r, "pop")
	if err != nil {
		return nil, err
	}
	pop, body, err := h.Audits.PopulationBytes(r.Context(), p, id, pid)
	if err != nil {
		return nil, err
	}
	return httpx.File{Name: "population-" + strconv.FormatInt(pop.ID, 10) + "-" + string(pop.Kind) + ".json", MediaType: "application/json",
		Size: pop.Size, SHA256: pop.SHA256, Body: io.NopCloser(bytes.NewReader(body)), Inline: true}, nil
}

// ListSamples lists the audit's samples (?control=KEY).
func (h *Handlers) ListSamples(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.SamplesOf(r.Context(), p, id, r.URL.Query().Get("control"))
}

// CreateSample draws a sample.
func (h *Handlers) CreateSample(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in audit.SampleInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	sm, err := h.Audits.DrawSample(r.Context(), p, id, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: sm}, nil
}

// GetSample reads a sample.
func (h *Handlers) GetSample(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	sid, err := httpx.PathID(r, "sample")
	if err != nil {
		return nil, err
	}
	return h.Audits.Sample(r.Context(), p, id, sid)
}

// SetSampleResult records the result of one sampled item.
func (h *Handlers) SetSampleResult(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	sid, err := httpx.PathID(r, "sample")
	if err != nil {
		return nil, err
	}
	pos, err := strconv.Atoi(r.PathValue("position"))
	if err != nil {
		return nil, model.Invalid("position", "%q is not an item number", r.PathValue("position"))
	}
	var in audit.ResultInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Audits.RecordResult(r.Context(), p, id, sid, pos, in)
}

// ListRequests lists the audit's requests.
func (h *Handlers) ListRequests(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Requests(r.Context(), p, id)
}

// CreateRequest adds a request.
func (h *Handlers) CreateRequest(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in audit.RequestInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	req, err := h.Audits.CreateRequest(r.Context(), p, id, in)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: req}, nil
}

// GetRequest reads a request.
func (h *Handlers) GetRequest(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return nil, err
	}
	return h.Audits.Request(r.Context(), p, id, rid)
}

// UpdateRequest changes a request.
func (h *Handlers) UpdateRequest(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return nil, err
	}
	var in audit.RequestPatch
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return h.Audits.UpdateRequest(r.Context(), p, id, rid, in)
}

// AttachToRequest attaches existing or new evidence to a request.
func (h *Handlers) AttachToRequest(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	rid, err := httpx.PathID(r, "req")
	if err != nil {
		return nil, err
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		var in AttachmentCreate
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if in.EvidenceID != 0 {
			return h.Audits.AttachEvidence(r.Context(), p, id, rid, in.EvidenceID)
		}
		return h.Audits.UploadToRequest(r.Context(), p, id, rid, newItem(in.EvidenceCreate, nil, ""))
	}
	in, file, name, err := readEvidence(r)
	if err != nil {
		return nil, err
	}
	if file != nil {
		defer file.Close()
	}
	if v := r.MultipartForm.Value["evidence_id"]; len(v) > 0 && v[0] != "" {
		ev, err := strconv.ParseInt(v[0], 10, 64)
		if err != nil {
			return nil, model.Invalid("evidence_id", "%q is not an evidence id", v[0])
		}
		return h.Audits.AttachEvidence(r.Context(), p, id, rid, ev)
	}
	return h.Audits.UploadToRequest(r.Context(), p, id, rid, newItem(in, file, name))
}

// newItem turns an evidence body into a new item, guessing the kind as
// POST /evidence does.
func newItem(in EvidenceCreate, file io.Reader, name string) evidence.NewItem {
	kind := model.EvidenceKind(in.Kind)
	if in.Kind == "" {
		switch {
		case file != nil:
			kind = model.EvidenceFile
		case in.URL != "":
			kind = model.EvidenceLink
		case in.Text != "":
			kind = model.EvidenceAttestation
		default:
			kind = model.EvidenceFile
		}
	}
	c := evidence.Content{FileName: name, URL: in.URL, Text: in.Text, EffectiveFrom: in.EffectiveFrom, EffectiveTo: in.EffectiveTo, ExpiresOn: in.ExpiresOn}
	if file != nil {
		c.File = file
	}
	return evidence.NewItem{Kind: kind, Title: in.Title, Description: in.Description, Controls: in.Controls, Content: c}
}

// ListComments lists the audit's comments (?subject=).
func (h *Handlers) ListComments(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.Comments(r.Context(), p, id, r.URL.Query().Get("subject"))
}

// CreateComment adds a comment.
func (h *Handlers) CreateComment(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	var in CommentCreate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := h.Audits.Comment(r.Context(), p, id, in.Subject, in.Body)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: c}, nil
}

// ListAuditEvidence lists the evidence in the audit's scope.
func (h *Handlers) ListAuditEvidence(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	return h.Audits.InScopeEvidence(r.Context(), p, id)
}

// GetAuditEvidence reads an in-scope evidence item with its versions,
// ledger entries and inclusion proofs.
func (h *Handlers) GetAuditEvidence(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	ev, err := httpx.PathID(r, "ev")
	if err != nil {
		return nil, err
	}
	return h.Audits.EvidenceDetail(r.Context(), p, id, ev)
}

// DownloadAuditEvidence downloads a version (?version=N) of an in-scope item.
func (h *Handlers) DownloadAuditEvidence(r *http.Request, p model.Principal) (any, error) {
	id, err := h.auditID(r, p)
	if err != nil {
		return nil, err
	}
	ev, err := httpx.PathID(r, "ev")
	if err != nil {
		return nil, err
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return nil, model.Invalid("version", "%q is not a version number", v)
		}
	}
	f, err := h.Audits.OpenEvidence(r.Context(), p, id, ev, version)
	if err != nil {
		return nil, err
	}
	return httpx.File{Name: f.Name, MediaType: f.Version.MediaType, Size: f.Version.Size, SHA256: f.Version.SHA256, Body: f.Body}, nil
}

// GetAsOf rebuilds the organization's control status, test results and
// effective evidence at ?at= (?control=KEY for one control).
func (h *Handlers) GetAsOf(r *http.Request, p model.Principal) (any, error) {
	at := h.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		var err error
		if at, err = audit.ParseMoment("at", v); err != nil {
			return nil, err
		}
	}
	return h.Audits.AsOf(r.Context(), p, at, r.URL.Query().Get("control"))
}
