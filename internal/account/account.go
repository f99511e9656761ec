// Package account manages organizations, users, memberships, sign-in,
// sessions and API tokens. Every change names the principal making it and is
// checked against that principal's role here, not only in the HTTP layer, so
// the CLI, the API and the pages follow the same rules.
package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Service is the account service.
type Service struct {
	st  *store.Store
	now func() time.Time
}

// New returns the service over a store; now is the clock (time.Now in production).
func New(st *store.Store, now func() time.Time) *Service {
	return &Service{st: st, now: now}
}

// Session lifetimes: a session ends after SessionIdle without use, and in any
// case SessionMax after sign-in.
const (
	SessionIdle = 12 * time.Hour
	SessionMax  = 7 * 24 * time.Hour
)

// DefaultOrgSlug is the slug of the organization created on first start.
const DefaultOrgSlug = "default"

// DefaultOwnerEmail is the owner account created on first start.
const DefaultOwnerEmail = "owner@assure.localhost"

// Bootstrap is what first start created: shown once to the operator.
type Bootstrap struct {
	Org      model.Organization
	Email    string
	Password string
}

// EnsureBootstrap creates the default organization and its owner when the
// installation has no organization yet. It returns nil when there was
// nothing to do.
func (s *Service) EnsureBootstrap(ctx context.Context) (*Bootstrap, error) {
	var out *Bootstrap
	err := s.st.InTx(ctx, func(tx *store.Store) error {
		orgs, err := tx.Organizations(ctx)
		if err != nil || len(orgs) > 0 {
			return err
		}
		now := s.now()
		org, err := tx.CreateOrganization(ctx, DefaultOrgSlug, "My organization", "UTC", now)
		if err != nil {
			return err
		}
		password := GeneratePassword()
		hash, err := HashPassword(password)
		if err != nil {
			return err
		}
		u, err := tx.CreateUser(ctx, DefaultOwnerEmail, "Owner", hash, now)
		if err != nil {
			return err
		}
		if err := tx.Org(org.ID).AddMember(ctx, u.ID, model.RoleOwner, now); err != nil {
			return err
		}
		actor := model.SystemActor("bootstrap")
		if err := s.record(ctx, tx, org.ID, actor, ledger.KindOrgCreated, orgSubject(org.ID), orgPayload(org)); err != nil {
			return err
		}
		if err := s.record(ctx, tx, org.ID, actor, ledger.KindMemberAdded, memberSubject(u.ID),
			map[string]any{"user_id": u.ID, "email": u.Email, "role": model.RoleOwner, "account_created": true}); err != nil {
			return err
		}
		out = &Bootstrap{Org: org, Email: u.Email, Password: password}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot set up the first organization: %w", err)
	}
	return out, nil
}

// ResolveOrg finds the organization named by slug, or the installation's
// first organization when slug is empty.
func (s *Service) ResolveOrg(ctx context.Context, slug string) (model.Organization, error) {
	if slug != "" {
		return s.st.OrganizationBySlug(ctx, slug)
	}
	orgs, err := s.st.Organizations(ctx)
	if err != nil {
		return model.Organization{}, err
	}
	if len(orgs) == 0 {
		return model.Organization{}, fmt.Errorf("the installation has no organization yet: %w", model.ErrNotFound)
	}
	return orgs[0], nil
}

// Organizations lists every organization (an operator's view, for the CLI).
func (s *Service) Organizations(ctx context.Context) ([]model.Organization, error) {
	return s.st.Organizations(ctx)
}

// NewMember is the result of adding someone: InitialPassword is set (and
// shown once) only when the user account was created by this call.
type NewMember struct {
	Member          model.Member `json:"member"`
	InitialPassword string       `json:"initial_password,omitempty"`
}

// CreateOrganization creates an organization with ownerEmail as its owner
// (creating that user if needed). Only the operator (CLI) does this.
func (s *Service) CreateOrganization(ctx context.Context, slug, name, ownerEmail string) (model.Organization, NewMember, error) {
	var org model.Organization
	var nm NewMember
	if err := model.ValidateSlug(slug); err != nil {
		return org, nm, err
	}
	if strings.TrimSpace(name) == "" {
		name = slug
	}
	email, err := model.NormalizeEmail(ownerEmail)
	if err != nil {
		return org, nm, err
	}
	err = s.st.InTx(ctx, func(tx *store.Store) error {
		org, err = tx.CreateOrganization(ctx, slug, strings.TrimSpace(name), "UTC", s.now())
		if err != nil {
			return err
		}
		actor := model.Actor{Via: "cli"}
		if err := s.record(ctx, tx, org.ID, actor, ledger.KindOrgCreated, orgSubject(org.ID), orgPayload(org)); err != nil {
			return err
		}
		nm, err = s.addMember(ctx, tx.Org(org.ID), actor, email, "", model.RoleOwner)
		return err
	})
	return org, nm, err
}

// AddMember gives a person a role in p's organization, creating their user
// account (with a generated password, returned once) if they have none.
func (s *Service) AddMember(ctx context.Context, p model.Principal, email, name string, role model.Role) (NewMember, error) {
	if !role.Valid() {
		return NewMember{}, model.Invalid("role", "unknown role %q", role)
	}
	if err := model.CheckGrant(p.Role, role); err != nil {
		return NewMember{}, err
	}
	email, err := model.NormalizeEmail(email)
	if err != nil {
		return NewMember{}, err
	}
	var nm NewMember
	err = s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		nm, err = s.addMember(ctx, tx, p.Actor(), email, strings.TrimSpace(name), role)
		return err
	})
	return nm, err
}

func (s *Service) addMember(ctx context.Context, tx *store.OrgStore, actor model.Actor, email, name string, role model.Role) (NewMember, error) {
	var nm NewMember
	now := s.now()
	u, _, err := tx.Store().UserByEmail(ctx, email)
	switch {
	case errors.Is(err, model.ErrNotFound):
		nm.InitialPassword = GeneratePassword()
		hash, herr := HashPassword(nm.InitialPassword)
		if herr != nil {
			return nm, herr
		}
		if u, err = tx.Store().CreateUser(ctx, email, name, hash, now); err != nil {
			return nm, err
		}
	case err != nil:
		return nm, err
	}
	if err := tx.AddMember(ctx, u.ID, role, now); err != nil {
		return nm, fmt.Errorf("%s: %w", email, err)
	}
	if err := s.record(ctx, tx.Store(), tx.ID(), actor, ledger.KindMemberAdded, memberSubject(u.ID),
		map[string]any{"user_id": u.ID, "email": email, "role": role, "account_created": nm.InitialPassword != ""}); err != nil {
		return nm, err
	}
	nm.Member, err = tx.Member(ctx, u.ID)
	return nm, err
}

// Members lists the members of p's organization.
func (s *Service) Members(ctx context.Context, p model.Principal) ([]model.Member, error) {
	if !p.Can(model.PermManage) {
		return nil, fmt.Errorf("listing members needs the admin role: %w", model.ErrForbidden)
	}
	return s.st.Org(p.Org.ID).Members(ctx)
}

// SetRole changes a member's role. Only owners touch the owner role, and the
// last owner cannot be demoted.
func (s *Service) SetRole(ctx context.Context, p model.Principal, userID int64, role model.Role) (model.Member, error) {
	if !role.Valid() {
		return model.Member{}, model.Invalid("role", "unknown role %q", role)
	}
	var m model.Member
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		cur, err := tx.Member(ctx, userID)
		if err != nil {
			return err
		}
		if err := model.CheckGrant(p.Role, role); err != nil {
			return err
		}
		if err := model.CheckGrant(p.Role, cur.Role); err != nil {
			return err
		}
		if cur.Role == model.RoleOwner && role != model.RoleOwner {
			if err := s.keepAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.SetMemberRole(ctx, userID, role); err != nil {
			return err
		}
		if err := s.record(ctx, tx.Store(), tx.ID(), p.Actor(), ledger.KindRoleChanged, memberSubject(userID),
			map[string]any{"user_id": userID, "email": cur.Email, "from": cur.Role, "to": role}); err != nil {
			return err
		}
		m, err = tx.Member(ctx, userID)
		return err
	})
	return m, err
}

// RemoveMember ends a membership (the user account stays, for the record).
func (s *Service) RemoveMember(ctx context.Context, p model.Principal, userID int64) error {
	return s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		cur, err := tx.Member(ctx, userID)
		if err != nil {
			return err
		}
		if err := model.CheckGrant(p.Role, cur.Role); err != nil {
			return err
		}
		if cur.Role == model.RoleOwner {
			if err := s.keepAnOwner(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.RemoveMember(ctx, userID, s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p.Actor(), ledger.KindMemberRemoved, memberSubject(userID),
			map[string]any{"user_id": userID, "email": cur.Email, "role": cur.Role})
	})
}

func (s *Service) keepAnOwner(ctx context.Context, tx *store.OrgStore) error {
	n, err := tx.CountOwners(ctx)
	if err != nil {
		return err
	}
	if n <= 1 {
		return fmt.Errorf("the organization must keep at least one owner: make someone else owner first: %w", model.ErrConflict)
	}
	return nil
}

// UpdateOrganization changes the organization's name and time zone.
func (s *Service) UpdateOrganization(ctx context.Context, p model.Principal, name, timeZone string) (model.Organization, error) {
	if !p.Can(model.PermManage) {
		return model.Organization{}, fmt.Errorf("changing the organization needs the admin role: %w", model.ErrForbidden)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return model.Organization{}, model.Invalid("name", "is required")
	}
	if err := model.ValidateTimeZone(timeZone); err != nil {
		return model.Organization{}, err
	}
	var org model.Organization
	err := s.st.Org(p.Org.ID).InTx(ctx, func(tx *store.OrgStore) error {
		before, err := tx.Organization(ctx)
		if err != nil {
			return err
		}
		if err := tx.UpdateOrganization(ctx, name, timeZone); err != nil {
			return err
		}
		if org, err = tx.Organization(ctx); err != nil {
			return err
		}
		payload := orgPayload(org)
		payload["previous_name"], payload["previous_time_zone"] = before.Name, before.TimeZone
		return s.record(ctx, tx.Store(), tx.ID(), p.Actor(), ledger.KindOrgUpdated, orgSubject(org.ID), payload)
	})
	return org, err
}

// SetPassword sets a user's password (operator recovery from the CLI) and
// signs them out everywhere. An empty password generates one, returned once.
func (s *Service) SetPassword(ctx context.Context, email, password string) (string, error) {
	email, err := model.NormalizeEmail(email)
	if err != nil {
		return "", err
	}
	if password == "" {
		password = GeneratePassword()
	} else if err := ValidateNewPassword(password); err != nil {
		return "", err
	}
	u, _, err := s.st.UserByEmail(ctx, email)
	if err != nil {
		return "", err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	err = s.st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.SetPasswordHash(ctx, u.ID, hash); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return s.recordForUser(ctx, tx, u, model.Actor{Via: "cli"}, ledger.KindPasswordReset)
	})
	return password, err
}

// ChangePassword lets a signed-in user replace their own password. Their
// other sessions end.
func (s *Service) ChangePassword(ctx context.Context, p model.Principal, current, next string) error {
	_, hash, err := s.st.UserByEmail(ctx, p.User.Email)
	if err != nil {
		return err
	}
	if !VerifyPassword(hash, current) {
		return model.Invalid("current_password", "is not your current password")
	}
	if err := ValidateNewPassword(next); err != nil {
		return err
	}
	newHash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.SetPasswordHash(ctx, p.User.ID, newHash); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, p.User.ID); err != nil {
			return err
		}
		return s.recordForUser(ctx, tx, p.User, p.Actor(), ledger.KindPasswordChanged)
	})
}

// record appends a user action to the organization's ledger inside the
// transaction that makes the change.
func (s *Service) record(ctx context.Context, tx *store.Store, orgID int64, actor model.Actor, kind, subject string, payload map[string]any) error {
	_, err := ledger.Append(ctx, tx, orgID, ledger.Record{Kind: kind, Actor: actor, Subject: subject, Payload: payload, Time: s.now()})
	return err
}

// recordForUser records a change to a user account (which spans
// organizations) in the ledger of every organization the user belongs to.
// The password itself never goes into the ledger.
func (s *Service) recordForUser(ctx context.Context, tx *store.Store, u model.User, actor model.Actor, kind string) error {
	orgs, _, err := tx.UserOrganizations(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if err := s.record(ctx, tx, o.ID, actor, kind, "user:"+strconv.FormatInt(u.ID, 10), map[string]any{"user_id": u.ID, "email": u.Email}); err != nil {
			return err
		}
	}
	return nil
}

func orgSubject(id int64) string    { return "org:" + strconv.FormatInt(id, 10) }
func memberSubject(id int64) string { return "member:" + strconv.FormatInt(id, 10) }

func orgPayload(o model.Organization) map[string]any {
	return map[string]any{"org_id": o.ID, "slug": o.Slug, "name": o.Name, "time_zone": o.TimeZone}
}
