package api

import (
	"net/http"
	"time"

	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Me is who the caller is.
type Me struct {
	User         model.User         `json:"user"`
	Organization model.Organization `json:"organization"`
	Role         model.Role         `json:"role"`
}

// GetMe returns the caller, their organization and role.
func (h *Handlers) GetMe(r *http.Request, p model.Principal) (any, error) {
	return Me{User: p.User, Organization: p.Org, Role: p.Role}, nil
}

// GetOrganization returns the caller's organization.
func (h *Handlers) GetOrganization(r *http.Request, p model.Principal) (any, error) {
	return p.Org, nil
}

// OrganizationUpdate is the body of PATCH /organization.
type OrganizationUpdate struct {
	Name     *string `json:"name"`
	TimeZone *string `json:"time_zone"`
}

// UpdateOrganization changes the organization's name or time zone.
func (h *Handlers) UpdateOrganization(r *http.Request, p model.Principal) (any, error) {
	var in OrganizationUpdate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, tz := p.Org.Name, p.Org.TimeZone
	if in.Name != nil {
		name = *in.Name
	}
	if in.TimeZone != nil {
		tz = *in.TimeZone
	}
	return h.Accounts.UpdateOrganization(r.Context(), p, name, tz)
}

// ListMembers lists the organization's members.
func (h *Handlers) ListMembers(r *http.Request, p model.Principal) (any, error) {
	ms, err := h.Accounts.Members(r.Context(), p)
	if ms == nil {
		ms = []model.Member{}
	}
	return ms, err
}

// MemberCreate is the body of POST /members.
type MemberCreate struct {
	Email string     `json:"email"`
	Name  string     `json:"name"`
	Role  model.Role `json:"role"`
}

// AddMember adds a member; for a new account the response carries its first
// password, once.
func (h *Handlers) AddMember(r *http.Request, p model.Principal) (any, error) {
	var in MemberCreate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if _, err := model.ParseRole(string(in.Role)); err != nil {
		return nil, err
	}
	nm, err := h.Accounts.AddMember(r.Context(), p, in.Email, in.Name, in.Role)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: nm}, nil
}

// MemberUpdate is the body of PATCH /members/{id}.
type MemberUpdate struct {
	Role model.Role `json:"role"`
}

// UpdateMember changes a member's role.
func (h *Handlers) UpdateMember(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	var in MemberUpdate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if _, err := model.ParseRole(string(in.Role)); err != nil {
		return nil, err
	}
	return h.Accounts.SetRole(r.Context(), p, id, in.Role)
}

// RemoveMember ends a membership.
func (h *Handlers) RemoveMember(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return httpx.NoContent{}, h.Accounts.RemoveMember(r.Context(), p, id)
}

// ListTokens lists the caller's API tokens (?all=true: everyone's, for admins).
func (h *Handlers) ListTokens(r *http.Request, p model.Principal) (any, error) {
	ts, err := h.Accounts.Tokens(r.Context(), p, r.URL.Query().Get("all") == "true")
	if ts == nil {
		ts = []model.APIToken{}
	}
	return ts, err
}

// TokenCreate is the body of POST /tokens.
type TokenCreate struct {
	Name string `json:"name"`
	// ExpiresInDays: 0 means the token never expires.
	ExpiresInDays int `json:"expires_in_days"`
}

// CreateToken creates a token for the caller; the secret is in this response only.
func (h *Handlers) CreateToken(r *http.Request, p model.Principal) (any, error) {
	var in TokenCreate
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
		return nil, model.Invalid("expires_in_days", "must be between 0 (never) and 3650")
	}
	nt, err := h.Accounts.CreateToken(r.Context(), p, p.User.ID, in.Name, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return nil, err
	}
	return httpx.Created{Body: nt}, nil
}

// RevokeToken revokes a token.
func (h *Handlers) RevokeToken(r *http.Request, p model.Principal) (any, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	return httpx.NoContent{}, h.Accounts.RevokeToken(r.Context(), p, id)
}
