// Package audit runs audits: Type 1 (a control's design and state as of a
// date) and Type 2 (how each control operated over a period), with the
// scope and the control set frozen when the audit is created, populations
// pulled from collected data and stored as evidence, reproducible samples,
// and the auditor's workspace (requests, comments, sample results).
//
// Everything "as of T" is computed from what the other services keep over
// time — test status intervals, exception lifetimes, evidence effective
// periods and versions, resource versions — never from copies taken for
// the audit. Only what the audit itself decides is stored here: the frozen
// scope and controls, members, populations (as evidence files), samples
// with their results, requests and comments.
//
// Access: owners and admins (model.PermManage) run every audit of their
// organization; an auditor sees only the audits it is invited to, and
// inside them may draw populations and samples, record sample results,
// request items and comment — nothing else. Every method checks this, so
// the CLI, the API and the pages follow one rule.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Ledger entry kinds written by audits.
const (
	KindAuditCreated       = "audit.created"
	KindAuditUpdated       = "audit.updated"
	KindAuditMemberAdded   = "audit.member_added"
	KindAuditMemberRemoved = "audit.member_removed"
	KindPopulationProduced = "audit.population_produced"
	KindSampleDrawn        = "audit.sample_drawn"
	KindSampleResult       = "audit.sample_result"
	KindRequestCreated     = "audit.request_created"
	KindRequestUpdated     = "audit.request_updated"
	KindRequestAttached    = "audit.request_attached"
	KindCommentAdded       = "audit.comment_added"
)

// Deps are what the service needs.
type Deps struct {
	Store    *store.Store
	Blobs    blob.Store
	Catalog  *catalog.Service
	Checks   *check.Service
	Evidence *evidence.Service
	Accounts *account.Service
	Now      func() time.Time
}

// Service is the audit service.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	return &Service{Deps: d}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

func actorName(a model.Actor) string {
	if a.Email != "" {
		return a.Email
	}
	return a.Via
}

func subject(id int64) string { return "audit:" + strconv.FormatInt(id, 10) }

// canRun reports whether p runs audits (creates them, invites, changes
// their status): owners and admins.
func canRun(p model.Principal) bool { return p.Can(model.PermAudit) && p.Can(model.PermManage) }

func needRun(p model.Principal, what string) error {
	if !canRun(p) {
		return fmt.Errorf("%s needs the owner or admin role: %w", what, model.ErrForbidden)
	}
	return nil
}

// access reads an audit p may see: every audit of the organization for
// those who run audits, the audits it is invited to for anyone else with
// the audit permission (auditors). An audit p may not see is not found, so
// an auditor cannot even learn that other audits exist.
func (s *Service) access(ctx context.Context, p model.Principal, id int64) (model.Audit, error) {
	if !p.Can(model.PermAudit) {
		return model.Audit{}, fmt.Errorf("audits need the owner, admin or auditor role: %w", model.ErrForbidden)
	}
	a, err := s.Store.Org(p.Org.ID).Audit(ctx, id)
	if err != nil {
		return model.Audit{}, err
	}
	if !canRun(p) && !a.IsMember(p.User.ID) {
		return model.Audit{}, fmt.Errorf("audit %d: %w", id, model.ErrNotFound)
	}
	return a, nil
}

// work reads an audit p may work in (requests, comments, samples,
// populations): it must be visible to p and not issued.
func (s *Service) work(ctx context.Context, p model.Principal, id int64) (model.Audit, error) {
	a, err := s.access(ctx, p, id)
	if err != nil {
		return a, err
	}
	if a.Status.Closed() {
		return a, fmt.Errorf("audit %d is issued: it is a closed record and nothing in it changes: %w", id, model.ErrConflict)
	}
	return a, nil
}

func (s *Service) record(ctx context.Context, tx *store.Store, orgID int64, p model.Principal, kind string, auditID int64, at time.Time, payload map[string]any) error {
	payload["audit_id"] = auditID
	_, err := ledger.Append(ctx, tx, orgID, ledger.Record{Kind: kind, Actor: p.Actor(), Subject: subject(auditID), Payload: payload, Time: at})
	return err
}

// ---- Creating and listing ---------------------------------------------------

// CreateInput is a new audit.
type CreateInput struct {
	Name      string          `json:"name,omitempty"`
	Framework model.Framework `json:"framework"`
	Type      model.AuditType `json:"type"`
	// AsOf (Type 1) is a day, YYYY-MM-DD.
	AsOf string `json:"as_of,omitempty"`
	// From and To (Type 2) are the first and last day of the period, both included.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Firm string `json:"firm,omitempty"`
}

// Created is a new audit with what is unusual about it.
type Created struct {
	model.Audit
	Warnings []string `json:"warnings"`
}

// Create opens an audit: it validates the type and date or period, and
// freezes the framework's scope and the active controls mapped into it.
func (s *Service) Create(ctx context.Context, p model.Principal, in CreateInput) (Created, error) {
	if err := needRun(p, "creating an audit"); err != nil {
		return Created{}, err
	}
	fw, err := model.ParseFramework(string(in.Framework))
	if err != nil {
		return Created{}, err
	}
	if !in.Type.Valid() {
		return Created{}, model.Invalid("type", "choose type 1 (as of a date) or 2 (over a period)")
	}
	now := s.now()
	a := model.Audit{Framework: fw, Type: in.Type, Status: model.AuditPlanning, Firm: strings.TrimSpace(in.Firm),
		Sampling: model.DefaultSampleTable(), CreatedAt: now, CreatedBy: actorName(p.Actor()), UpdatedAt: now, UpdatedBy: actorName(p.Actor())}
	var warnings []string
	today := now.Format(model.DateLayout)
	switch in.Type {
	case model.AuditType1:
		if in.From != "" || in.To != "" {
			return Created{}, model.Invalid("period", "a Type 1 audit is as of one date: give --as-of, not a period (or choose --type 2)")
		}
		d, err := model.ParseDate("as_of", in.AsOf)
		if err != nil || strings.TrimSpace(in.AsOf) == "" {
			return Created{}, model.Invalid("as_of", "a Type 1 audit needs the date its design is examined at: --as-of YYYY-MM-DD")
		}
		a.AsOf = d.Format(model.DateLayout)
		if a.AsOf > today {
			warnings = append(warnings, "the as-of date is in the future: until then the view shows the state so far")
		}
	case model.AuditType2:
		if in.AsOf != "" {
			return Created{}, model.Invalid("as_of", "a Type 2 audit covers a period: give --from and --to, not --as-of (or choose --type 1)")
		}
		if strings.TrimSpace(in.From) == "" || strings.TrimSpace(in.To) == "" {
			return Created{}, model.Invalid("period", "a Type 2 audit needs its period: --from YYYY-MM-DD --to YYYY-MM-DD (the first and the last day, both included)")
		}
		f, err := model.ParseDate("from", in.From)
		if err != nil {
			return Created{}, err
		}
		t, err := model.ParseDate("to", in.To)
		if err != nil {
			return Created{}, err
		}
		if !t.After(f) {
			return Created{}, model.Invalid("period", "the period %s – %s is empty or inverted: --to must come after --from (for one day, create a Type 1 as of that day)", in.From, in.To)
		}
		a.PeriodFrom, a.PeriodTo = f.Format(model.DateLayout), t.Format(model.DateLayout)
		if w := model.AuditPeriodWarning(f, t); w != "" {
			warnings = append(warnings, w)
		}
		if a.PeriodTo > today {
			warnings = append(warnings, "the period has not ended: the operation view covers it up to now")
		}
	}
	a.Name = strings.TrimSpace(in.Name)
	if a.Name == "" {
		label := "SOC 2"
		if fw == model.SOC1 {
			label = "SOC 1"
		}
		a.Name = fmt.Sprintf("%s %s, %s", label, a.Type, a.PeriodLabel())
	}
	if len(a.Name) > 200 {
		return Created{}, model.Invalid("name", "must be at most 200 characters")
	}
	if len(a.Firm) > 200 {
		return Created{}, model.Invalid("firm", "must be at most 200 characters")
	}
	if a.Scope, err = s.Catalog.Scope(ctx, p, fw); err != nil {
		return Created{}, err
	}
	a.Scope.UpdatedAt, a.Scope.UpdatedBy = nil, ""
	controls, err := s.Store.Org(p.Org.ID).Controls(ctx)
	if err != nil {
		return Created{}, err
	}
	a.Controls, err = s.controlSet(ctx, p.Org.ID, fw, a.Scope, controls)
	if err != nil {
		return Created{}, err
	}
	if len(a.Controls) == 0 {
		warnings = append(warnings, "no active control is mapped into this scope: adopt or map controls first (assure controls adopt), or the audit has nothing to test")
	}
	v := s.Catalog.Catalog().Versions()
	a.CatalogVersion = v.Criteria
	if fw == model.SOC1 {
		a.CatalogVersion = v.Objectives
	}
	err = s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		if a.ID, err = tx.CreateAudit(ctx, a); err != nil {
			return err
		}
		keys := []string{}
		for _, c := range a.Controls {
			keys = append(keys, c.Key)
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindAuditCreated, a.ID, now, map[string]any{
			"name": a.Name, "framework": string(fw), "type": int(a.Type), "as_of": a.AsOf, "period_from": a.PeriodFrom, "period_to": a.PeriodTo,
			"controls": keys, "categories": a.Scope.Categories, "catalog_version": a.CatalogVersion,
		})
	})
	if err != nil {
		return Created{}, err
	}
	out, err := s.Store.Org(p.Org.ID).Audit(ctx, a.ID)
	if warnings == nil {
		warnings = []string{}
	}
	return Created{Audit: out, Warnings: warnings}, err
}

// controlSet is the frozen control set: the organization's active (not
// retired) controls mapped into the scope — to a criterion of a category
// in scope (SOC 2) or to an active objective (SOC 1).
func (s *Service) controlSet(ctx context.Context, orgID int64, fw model.Framework, sc model.Scope, controls []model.Control) ([]model.AuditControl, error) {
	in := map[string]bool{}
	if fw == model.SOC2 {
		for _, cr := range s.Catalog.Catalog().CriteriaIn(sc.Categories) {
			in[cr.ID] = true
		}
	} else {
		obs, err := s.Store.Org(orgID).Objectives(ctx, false)
		if err != nil {
			return nil, err
		}
		for _, ob := range obs {
			in[ob.Key] = true
		}
	}
	out := []model.AuditControl{}
	for _, c := range controls {
		if c.Status == model.ControlRetired {
			continue
		}
		mapped := false
		if fw == model.SOC2 {
			for _, m := range c.Criteria {
				mapped = mapped || in[m.CriterionID]
			}
		} else {
			for _, m := range c.Objectives {
				mapped = mapped || in[m.ObjectiveKey]
			}
		}
		if mapped {
			out = append(out, model.FreezeControl(c))
		}
	}
	return out, nil
}

// List lists the audits p may see, newest first.
func (s *Service) List(ctx context.Context, p model.Principal) ([]model.Audit, error) {
	if !p.Can(model.PermAudit) {
		return nil, fmt.Errorf("audits need the owner, admin or auditor role: %w", model.ErrForbidden)
	}
	var member int64
	if !canRun(p) {
		member = p.User.ID
		if member == 0 {
			return []model.Audit{}, nil
		}
	}
	return s.Store.Org(p.Org.ID).Audits(ctx, member)
}

// Audit reads one audit p may see.
func (s *Service) Audit(ctx context.Context, p model.Principal, id int64) (model.Audit, error) {
	return s.access(ctx, p, id)
}

// Update changes an audit's name, firm or status. Issued is final.
type Update struct {
	Name   *string            `json:"name,omitempty"`
	Firm   *string            `json:"firm,omitempty"`
	Status *model.AuditStatus `json:"status,omitempty"`
}

// UpdateAudit applies an update (owners and admins).
func (s *Service) UpdateAudit(ctx context.Context, p model.Principal, id int64, u Update) (model.Audit, error) {
	if err := needRun(p, "changing an audit"); err != nil {
		return model.Audit{}, err
	}
	now := s.now()
	err := s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockAudit(ctx, id); err != nil {
			return err
		}
		a, err := tx.Audit(ctx, id)
		if err != nil {
			return err
		}
		if a.Status.Closed() {
			return fmt.Errorf("audit %d is issued: it is a closed record and cannot change: %w", id, model.ErrConflict)
		}
		changed := map[string]any{}
		if u.Name != nil {
			n := strings.TrimSpace(*u.Name)
			if n == "" || len(n) > 200 {
				return model.Invalid("name", "give a name of 1 to 200 characters")
			}
			a.Name, changed["name"] = n, n
		}
		if u.Firm != nil {
			f := strings.TrimSpace(*u.Firm)
			if len(f) > 200 {
				return model.Invalid("firm", "must be at most 200 characters")
			}
			a.Firm, changed["firm"] = f, f
		}
		if u.Status != nil {
			st, err := model.ParseAuditStatus(string(*u.Status))
			if err != nil {
				return err
			}
			changed["status"], changed["previous_status"] = string(st), string(a.Status)
			a.Status = st
		}
		if len(changed) == 0 {
			return model.Invalid("update", "nothing to change: give a name, firm or status")
		}
		if err := tx.UpdateAudit(ctx, a, actorName(p.Actor()), now); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindAuditUpdated, id, now, changed)
	})
	if err != nil {
		return model.Audit{}, err
	}
	return s.Store.Org(p.Org.ID).Audit(ctx, id)
}

// SetSampling replaces the audit's sample size table. The audit firm's
// auditors may set it, as may those who run the audit; samples already
// drawn keep the size they were drawn with.
func (s *Service) SetSampling(ctx context.Context, p model.Principal, id int64, t model.SampleTable) (model.Audit, error) {
	if _, err := s.work(ctx, p, id); err != nil {
		return model.Audit{}, err
	}
	if err := t.Validate(); err != nil {
		return model.Audit{}, err
	}
	now := s.now()
	err := s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.LockAudit(ctx, id); err != nil {
			return err
		}
		a, err := tx.Audit(ctx, id)
		if err != nil {
			return err
		}
		a.Sampling = t
		if err := tx.UpdateAudit(ctx, a, actorName(p.Actor()), now); err != nil {
			return err
		}
		sizes := map[string]any{}
		for f, n := range t.Sizes {
			sizes[string(f)] = n
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindAuditUpdated, id, now, map[string]any{"sampling": map[string]any{
			"sizes": sizes, "event_driven": map[string]any{"percent": t.EventDriven.Percent, "min": t.EventDriven.Min, "max": t.EventDriven.Max}}})
	})
	if err != nil {
		return model.Audit{}, err
	}
	return s.Store.Org(p.Org.ID).Audit(ctx, id)
}

// ---- Members ----------------------------------------------------------------

// Invitation is the result of inviting someone to an audit.
type Invitation struct {
	Member model.AuditMember `json:"member"`
	// InitialPassword is set when the invitation created the user's account
	// (shown once, never stored).
	InitialPassword string `json:"initial_password,omitempty"`
	// AddedToOrganization is true when the person became an auditor of the
	// organization with this invitation.
	AddedToOrganization bool `json:"added_to_organization"`
}

// Invite makes a person a member of an audit. Someone who is not yet in
// the organization is added with the auditor role (creating their user
// account if needed); a member with another role keeps it. Auditors see
// only the audits they are invited to.
func (s *Service) Invite(ctx context.Context, p model.Principal, auditID int64, email, name string) (Invitation, error) {
	if err := needRun(p, "inviting to an audit"); err != nil {
		return Invitation{}, err
	}
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return Invitation{}, err
	}
	if a.Status.Closed() {
		return Invitation{}, fmt.Errorf("audit %d is issued: nobody new can be invited: %w", auditID, model.ErrConflict)
	}
	var inv Invitation
	m, err := s.Accounts.MemberByEmail(ctx, p, email)
	switch {
	case err == nil:
	case errors.Is(err, model.ErrNotFound):
		nm, err := s.Accounts.AddMember(ctx, p, email, name, model.RoleAuditor)
		if err != nil {
			return Invitation{}, err
		}
		m, inv.InitialPassword, inv.AddedToOrganization = nm.Member, nm.InitialPassword, true
	default:
		return Invitation{}, err
	}
	if !m.Role.Can(model.PermAudit) {
		return Invitation{}, model.Invalid("email", "%s is a %s of the organization, a role that cannot open audits: make them an auditor (or admin) first", m.Email, m.Role)
	}
	now := s.now()
	err = s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.AddAuditMember(ctx, auditID, m.ID, actorName(p.Actor()), now); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindAuditMemberAdded, auditID, now, map[string]any{"user_id": m.ID, "email": m.Email, "role": string(m.Role)})
	})
	if err != nil {
		return Invitation{}, err
	}
	ms, err := s.Store.Org(p.Org.ID).AuditMembers(ctx, auditID)
	if err != nil {
		return Invitation{}, err
	}
	for _, am := range ms {
		if am.UserID == m.ID {
			inv.Member = am
		}
	}
	return inv, nil
}

// Uninvite withdraws a member's invitation to an audit (the person stays
// in the organization).
func (s *Service) Uninvite(ctx context.Context, p model.Principal, auditID, userID int64) error {
	if err := needRun(p, "removing a member from an audit"); err != nil {
		return err
	}
	a, err := s.access(ctx, p, auditID)
	if err != nil {
		return err
	}
	if !a.IsMember(userID) {
		return fmt.Errorf("user %d is not a member of audit %d: %w", userID, auditID, model.ErrNotFound)
	}
	now := s.now()
	return s.Store.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.RemoveAuditMember(ctx, auditID, userID); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p, KindAuditMemberRemoved, auditID, now, map[string]any{"user_id": userID})
	})
}

// ---- Helpers ----------------------------------------------------------------

// viewer is p acting with read-only organization access for a read the
// audit service has already decided p may make (an in-scope evidence item
// for an auditor, who otherwise cannot read evidence).
func viewer(p model.Principal) model.Principal {
	v := p
	if !v.Can(model.PermView) {
		v.Role = model.RoleViewer
	}
	return v
}
