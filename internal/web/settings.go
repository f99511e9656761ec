package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
)

// Settings sends /settings to the first tab.
func (h *Handlers) Settings(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	http.Redirect(w, r, "/settings/account", http.StatusSeeOther)
	return nil
}

// Account shows the signed-in user's account and the password form.
func (h *Handlers) Account(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.render(w, r, http.StatusOK, "settings_account", "Account", "settings", map[string]any{"Tab": "account"})
}

// ChangePassword replaces the user's password; they must sign in again.
func (h *Handlers) ChangePassword(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	err := h.Accounts.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if model.IsValidation(err) {
		return h.render(w, r, http.StatusBadRequest, "settings_account", "Account", "settings", map[string]any{"Tab": "account", "Error": err.Error()})
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, h.sessionCookie("", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

type tokensData struct {
	Tab     string
	Tokens  []model.APIToken
	New     *account.NewToken
	Error   string
	Expired func(model.APIToken) bool
}

func (h *Handlers) tokensPage(w http.ResponseWriter, r *http.Request, p model.Principal, status int, d tokensData) error {
	tokens, err := h.Accounts.Tokens(r.Context(), p, false)
	if err != nil {
		return err
	}
	now := h.Now()
	d.Tab, d.Tokens = "tokens", tokens
	d.Expired = func(t model.APIToken) bool { return !t.Active(now) }
	return h.render(w, r, status, "settings_tokens", "API tokens", "settings", d)
}

// Tokens lists the user's API tokens.
func (h *Handlers) Tokens(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.tokensPage(w, r, p, http.StatusOK, tokensData{})
}

// CreateToken creates a token and shows its secret once, on this response
// only (it is never stored in a flash message or anywhere else).
func (h *Handlers) CreateToken(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < 0 || days > 3650 {
		return h.tokensPage(w, r, p, http.StatusBadRequest, tokensData{Error: "Choose how long the token should last."})
	}
	nt, err := h.Accounts.CreateToken(r.Context(), p, p.User.ID, r.PostFormValue("name"), time.Duration(days)*24*time.Hour)
	if model.IsValidation(err) {
		return h.tokensPage(w, r, p, http.StatusBadRequest, tokensData{Error: err.Error()})
	}
	if err != nil {
		return err
	}
	return h.tokensPage(w, r, p, http.StatusCreated, tokensData{New: &nt})
}

// RevokeToken revokes one of the user's tokens.
func (h *Handlers) RevokeToken(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.Accounts.RevokeToken(r.Context(), p, id); err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Token revoked.", "/settings/tokens")
}

// commonZones are offered as suggestions; any IANA name is accepted.
var commonZones = []string{"UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo",
	"Europe/London", "Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney"}

// Organization shows the organization settings (editable by admins).
func (h *Handlers) Organization(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.render(w, r, http.StatusOK, "settings_organization", "Organization", "settings", map[string]any{"Tab": "organization", "Zones": commonZones})
}

// UpdateOrganization saves the organization's name and time zone.
func (h *Handlers) UpdateOrganization(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	_, err := h.Accounts.UpdateOrganization(r.Context(), p, r.PostFormValue("name"), r.PostFormValue("time_zone"))
	if model.IsValidation(err) {
		return h.render(w, r, http.StatusBadRequest, "settings_organization", "Organization", "settings", map[string]any{"Tab": "organization", "Zones": commonZones, "Error": err.Error()})
	}
	if err != nil {
		return err
	}
	return h.flashAndRedirect(w, r, "Organization saved.", "/settings/organization")
}

type membersData struct {
	Tab     string
	Members []model.Member
	Roles   []model.Role
	New     *account.NewMember
	Error   string
}

func (h *Handlers) membersPage(w http.ResponseWriter, r *http.Request, p model.Principal, status int, d membersData) error {
	ms, err := h.Accounts.Members(r.Context(), p)
	if err != nil {
		return err
	}
	d.Tab, d.Members = "members", ms
	for _, role := range model.Roles() {
		if model.CheckGrant(p.Role, role) == nil {
			d.Roles = append(d.Roles, role)
		}
	}
	return h.render(w, r, status, "settings_members", "Members", "settings", d)
}

// Members lists the organization's members with their roles.
func (h *Handlers) Members(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	return h.membersPage(w, r, p, http.StatusOK, membersData{})
}

// AddMember adds a member and, for a new account, shows its first password once.
func (h *Handlers) AddMember(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	role, err := model.ParseRole(r.PostFormValue("role"))
	if err == nil {
		var nm account.NewMember
		nm, err = h.Accounts.AddMember(r.Context(), p, r.PostFormValue("email"), r.PostFormValue("name"), role)
		if err == nil {
			return h.membersPage(w, r, p, http.StatusCreated, membersData{New: &nm})
		}
	}
	if s := httpx.Status(err); s < 500 {
		return h.membersPage(w, r, p, s, membersData{Error: err.Error()})
	}
	return err
}

// SetMemberRole changes a member's role.
func (h *Handlers) SetMemberRole(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	role, err := model.ParseRole(r.PostFormValue("role"))
	if err == nil {
		var m model.Member
		if m, err = h.Accounts.SetRole(r.Context(), p, id, role); err == nil {
			return h.flashAndRedirect(w, r, m.Email+" is now "+string(m.Role)+".", "/settings/members")
		}
	}
	if s := httpx.Status(err); s < 500 {
		return h.membersPage(w, r, p, s, membersData{Error: err.Error()})
	}
	return err
}

// RemoveMember ends a membership.
func (h *Handlers) RemoveMember(w http.ResponseWriter, r *http.Request, p model.Principal) error {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := h.Accounts.RemoveMember(r.Context(), p, id); err != nil {
		if s := httpx.Status(err); s < 500 {
			return h.membersPage(w, r, p, s, membersData{Error: err.Error()})
		}
		return err
	}
	return h.flashAndRedirect(w, r, "Member removed.", "/settings/members")
}
