package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// The auditor's workspace: the request list (PBC list) with attachments
// that are evidence items, and comments.

// RequestInput is a new request.
type RequestInput struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Control     string `json:"control,omitempty"`
	SampleID    int64  `json:"sample_id,omitempty"`
	Owner       string `json:"owner,omitempty"`
	// Due is a day, YYYY-MM-DD.
	Due string `json:"due,omitempty"`
}

// RequestPatch changes a request; nil fields stay.
type RequestPatch struct {
	Title       *string              `json:"title,omitempty"`
	Description *string              `json:"description,omitempty"`
	Control     *string              `json:"control,omitempty"`
	Owner       *string              `json:"owner,omitempty"`
	Due         *string              `json:"due,omitempty"`
	Status      *model.RequestStatus `json:"status,omitempty"`
}

func (s *Service) checkRequest(ctx context.Context, a model.Audit, r *model.Request) error {
	r.Title, r.Description, r.Owner = strings.TrimSpace(r.Title), strings.TrimSpace(r.Description), strings.TrimSpace(r.Owner)
	r.ControlKey, r.Due = strings.TrimSpace(r.ControlKey), strings.TrimSpace(r.Due)
	switch {
	case r.Title == "":
		return model.Invalid("title", "say what is requested (for example \"Q2 access review sign-off\")")
	case len(r.Title) > 300:
		return model.Invalid("title", "must be at most 300 characters")
	case len(r.Description) > 10000:
		return model.Invalid("description", "must be at most 10,000 characters")
	case len(r.Owner) > 200:
		return model.Invalid("owner", "must be at most 200 characters")
	}
	if r.ControlKey != "" {
		if _, ok := a.Control(r.ControlKey); !ok {
			return model.Invalid("control", "%q is not in the audit's control set", r.ControlKey)
		}
	}
	if r.Due != "" {
		d, err := model.ParseDate("due", r.Due)
		if err != nil {
			return err
		}
		r.Due = d.Format(model.DateLayout)
	}
	if r.SampleID != 0 {
		if _, err := s.Store.Org(a.OrgID).Sample(ctx, a.ID, r.SampleID); err != nil {
			return model.Invalid("sample_id", "sample %d is not one of this audit's samples", r.SampleID)
		}
	}
	return nil
}

// CreateRequest adds an item to the request list.
func (s *Service) CreateRequest(ctx context.Context, p model.Principal, auditID int64, in RequestInput) (model.Request, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Request{}, err
	}
	now := s.now()
	r := model.Request{AuditID: a.ID, Title: in.Title, Description: in.Description, ControlKey: in.Control, SampleID: in.SampleID,
		Owner: in.Owner, Due: in.Due, Status: model.RequestOpen, CreatedAt: now, CreatedBy: actorName(p.Actor())}
	if err := s.checkRequest(ctx, a, &r); err != nil {
		return model.Request{}, err
	}
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if r.ID, err = tx.InsertRequest(ctx, r); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindRequestCreated, a.ID, now, map[string]any{
			"request_id": r.ID, "title": r.Title, "control": r.ControlKey, "owner": r.Owner, "due": r.Due})
	})
	if err != nil {
		return model.Request{}, err
	}
	return s.request(ctx, a, r.ID)
}

// UpdateRequest changes a request: its text, owner, due day or status.
// Anyone working in the audit may; the ledger records who.
func (s *Service) UpdateRequest(ctx context.Context, p model.Principal, auditID, id int64, patch RequestPatch) (model.Request, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Request{}, err
	}
	now := s.now()
	var out model.Request
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockAudit(ctx, a.ID); err != nil {
			return err
		}
		r, err := tx.Request(ctx, a.ID, id)
		if err != nil {
			return err
		}
		changed := map[string]any{"request_id": id}
		set := func(dst *string, v *string, name string) {
			if v != nil {
				*dst, changed[name] = *v, strings.TrimSpace(*v)
			}
		}
		set(&r.Title, patch.Title, "title")
		set(&r.Description, patch.Description, "description")
		set(&r.ControlKey, patch.Control, "control")
		set(&r.Owner, patch.Owner, "owner")
		set(&r.Due, patch.Due, "due")
		if patch.Status != nil {
			st, err := model.ParseRequestStatus(string(*patch.Status))
			if err != nil {
				return err
			}
			changed["status"], changed["previous_status"] = string(st), string(r.Status)
			r.Status = st
		}
		if len(changed) == 1 {
			return model.Invalid("request", "nothing to change")
		}
		if err := s.checkRequest(ctx, a, &r); err != nil {
			return err
		}
		r.UpdatedAt, r.UpdatedBy = now, actorName(p.Actor())
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return s.record(ctx, tx.Store(), tx.ID(), p, KindRequestUpdated, a.ID, now, changed)
	})
	if err != nil {
		return model.Request{}, err
	}
	return s.request(ctx, a, out.ID)
}

// Requests lists an audit's requests, oldest first.
func (s *Service) Requests(ctx context.Context, p model.Principal, id int64) ([]model.Request, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return nil, err
	}
	rs, err := s.Store.Org(a.OrgID).Requests(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return rs, s.fillAttachments(ctx, a.OrgID, rs)
}

// Request reads one request.
func (s *Service) Request(ctx context.Context, p model.Principal, auditID, id int64) (model.Request, error) {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return model.Request{}, err
	}
	return s.request(ctx, a, id)
}

func (s *Service) request(ctx context.Context, a model.Audit, id int64) (model.Request, error) {
	r, err := s.Store.Org(a.OrgID).Request(ctx, a.ID, id)
	if err != nil {
		return r, err
	}
	rs := []model.Request{r}
	err = s.fillAttachments(ctx, a.OrgID, rs)
	return rs[0], err
}

// fillAttachments adds each attachment's current SHA-256.
func (s *Service) fillAttachments(ctx context.Context, orgID int64, rs []model.Request) error {
	for i := range rs {
		for j := range rs[i].Attachments {
			it, err := s.Store.Org(orgID).EvidenceItem(ctx, rs[i].Attachments[j].EvidenceID)
			if err != nil {
				return err
			}
			if it.Current != nil {
				rs[i].Attachments[j].SHA256 = it.Current.SHA256
			}
		}
	}
	return nil
}

// AttachEvidence attaches an existing evidence item to a request (the
// organization answering it: owners and admins) and marks an open request
// submitted.
func (s *Service) AttachEvidence(ctx context.Context, p model.Principal, auditID, requestID, evidenceID int64) (model.Request, error) {
	if !p.Can(model.PermEdit) {
		return model.Request{}, fmt.Errorf("attaching evidence answers a request for the organization: it needs the owner or admin role: %w", model.ErrForbidden)
	}
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Request{}, err
	}
	if _, err := s.Store.Org(a.OrgID).EvidenceItem(ctx, evidenceID); err != nil {
		return model.Request{}, err
	}
	now := s.now()
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		r, err := tx.Request(ctx, a.ID, requestID)
		if err != nil {
			return err
		}
		if err := tx.AttachToRequest(ctx, requestID, evidenceID, actorName(p.Actor()), now); err != nil {
			return err
		}
		if r.Status == model.RequestOpen {
			r.Status, r.UpdatedAt, r.UpdatedBy = model.RequestSubmitted, now, actorName(p.Actor())
			if err := tx.UpdateRequest(ctx, r); err != nil {
				return err
			}
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindRequestAttached, a.ID, now, map[string]any{
			"request_id": requestID, "evidence_id": evidenceID, "status": string(r.Status)})
	})
	if err != nil {
		return model.Request{}, err
	}
	return s.request(ctx, a, requestID)
}

// UploadToRequest adds new evidence (through the evidence service, so it is
// type-checked, stored by hash and on the ledger) and attaches it. Without
// controls it is linked to the request's control.
func (s *Service) UploadToRequest(ctx context.Context, p model.Principal, auditID, requestID int64, in evidence.NewItem) (model.Request, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Request{}, err
	}
	r, err := s.Store.Org(a.OrgID).Request(ctx, a.ID, requestID)
	if err != nil {
		return model.Request{}, err
	}
	if len(in.Controls) == 0 && r.ControlKey != "" {
		in.Controls = []string{r.ControlKey}
	}
	if len(in.Controls) == 0 {
		return model.Request{}, model.Invalid("controls", "the request names no control: say which control the evidence is for")
	}
	if strings.TrimSpace(in.Title) == "" {
		in.Title = r.Title
	}
	it, err := s.Evidence.Add(ctx, p, in)
	if err != nil {
		return model.Request{}, err
	}
	return s.AttachEvidence(ctx, p, auditID, requestID, it.ID)
}

// ---- Comments ---------------------------------------------------------------

// Comment adds a comment about the audit ("audit", or ""), one of its
// controls ("control:KEY"), requests ("request:ID"), samples ("sample:ID")
// or populations ("population:ID").
func (s *Service) Comment(ctx context.Context, p model.Principal, auditID int64, subject, body string) (model.Comment, error) {
	a, err := s.work(ctx, p, auditID)
	if err != nil {
		return model.Comment{}, err
	}
	subject, err = s.checkSubject(ctx, a, subject)
	if err != nil {
		return model.Comment{}, err
	}
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return model.Comment{}, model.Invalid("body", "write the comment")
	}
	if len(body) > 10000 {
		return model.Comment{}, model.Invalid("body", "must be at most 10,000 characters")
	}
	now := s.now()
	c := model.Comment{AuditID: a.ID, Subject: subject, Body: body, Author: actorName(p.Actor()), AuthorRole: p.Role, CreatedAt: now}
	err = s.Store.Org(a.OrgID).InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if c, err = tx.InsertComment(ctx, c); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindCommentAdded, a.ID, now, map[string]any{"comment_id": c.ID, "subject": subject, "body": body})
	})
	return c, err
}

func (s *Service) checkSubject(ctx context.Context, a model.Audit, subject string) (string, error) {
	subject = strings.TrimSpace(subject)
	if subject == "" || subject == "audit" {
		return "audit", nil
	}
	noun, id, ok := strings.Cut(subject, ":")
	bad := model.Invalid("subject", "%q is not something in this audit: use audit, control:KEY, request:ID, sample:ID or population:ID", subject)
	if !ok {
		return "", bad
	}
	if noun == "control" {
		if _, ok := a.Control(id); !ok {
			return "", bad
		}
		return subject, nil
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return "", bad
	}
	o := s.Store.Org(a.OrgID)
	switch noun {
	case "request":
		_, err = o.Request(ctx, a.ID, n)
	case "sample":
		_, err = o.Sample(ctx, a.ID, n)
	case "population":
		_, err = o.Population(ctx, a.ID, n)
	default:
		return "", bad
	}
	if errors.Is(err, model.ErrNotFound) {
		return "", bad
	}
	return noun + ":" + strconv.FormatInt(n, 10), err
}

// Comments lists an audit's comments (about one subject, or all for ""), oldest first.
func (s *Service) Comments(ctx context.Context, p model.Principal, auditID int64, subject string) ([]model.Comment, error) {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return nil, err
	}
	return s.Store.Org(a.OrgID).Comments(ctx, a.ID, strings.TrimSpace(subject))
}

// ---- Evidence in the audit's scope -------------------------------------------

// InScopeEvidence lists the evidence an audit's members may read: items
// linked to a control of the frozen set with a version effective within
// the period (Type 2) or on or before the as-of day (Type 1), items
// attached to its requests, and its population files.
func (s *Service) InScopeEvidence(ctx context.Context, p model.Principal, auditID int64) ([]model.EvidenceItem, error) {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return nil, err
	}
	ids, err := s.inScope(ctx, a)
	if err != nil {
		return nil, err
	}
	items, err := s.Store.Org(a.OrgID).ListEvidence(ctx, store.EvidenceFilter{})
	if err != nil {
		return nil, err
	}
	out := []model.EvidenceItem{}
	for _, it := range items {
		if ids[it.ID] {
			out = append(out, it)
		}
	}
	return out, nil
}

func (s *Service) inScope(ctx context.Context, a model.Audit) (map[int64]bool, error) {
	f, err := s.loadFacts(ctx, a.OrgID)
	if err != nil {
		return nil, err
	}
	from, to := a.Window()
	if a.Type == model.AuditType1 {
		from = time.Time{}
	}
	ids := map[int64]bool{}
	for _, c := range a.Controls {
		for _, es := range f.evidenceSpans(c.Key) {
			if es.to.After(from) && es.from.Before(to) {
				ids[es.ref.ItemID] = true
			}
		}
	}
	o := s.Store.Org(a.OrgID)
	rs, err := o.Requests(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		for _, at := range r.Attachments {
			ids[at.EvidenceID] = true
		}
	}
	pops, err := o.Populations(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	for _, pp := range pops {
		ids[pp.EvidenceID] = true
	}
	return ids, nil
}

// EvidenceDetail reads an in-scope evidence item with its versions, ledger
// entries and inclusion proofs.
func (s *Service) EvidenceDetail(ctx context.Context, p model.Principal, auditID, evidenceID int64) (evidence.Detail, error) {
	if err := s.checkInScope(ctx, p, auditID, evidenceID); err != nil {
		return evidence.Detail{}, err
	}
	return s.Evidence.Detail(ctx, viewer(p), evidenceID)
}

// OpenEvidence opens a version (0: the current one) of an in-scope item.
func (s *Service) OpenEvidence(ctx context.Context, p model.Principal, auditID, evidenceID int64, version int) (evidence.File, error) {
	if err := s.checkInScope(ctx, p, auditID, evidenceID); err != nil {
		return evidence.File{}, err
	}
	return s.Evidence.Open(ctx, viewer(p), evidenceID, version)
}

func (s *Service) checkInScope(ctx context.Context, p model.Principal, auditID, evidenceID int64) error {
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return err
	}
	ids, err := s.inScope(ctx, a)
	if err != nil {
		return err
	}
	if !ids[evidenceID] {
		return fmt.Errorf("evidence %d is not in the scope of audit %d: %w", evidenceID, auditID, model.ErrNotFound)
	}
	return nil
}
