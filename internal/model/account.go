package model

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// Organization is the tenant: every other row belongs to exactly one.
type Organization struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"time_zone"`
	CreatedAt time.Time `json:"created_at"`
}

// Location is the organization's time zone, UTC when unset or unknown.
func (o Organization) Location() *time.Location {
	if loc, err := time.LoadLocation(o.TimeZone); err == nil && o.TimeZone != "" {
		return loc
	}
	return time.UTC
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateSlug checks an organization slug (lower-case letters, digits, dashes).
func ValidateSlug(slug string) error {
	if !slugPattern.MatchString(slug) {
		return Invalid("slug", "%q is not a valid organization slug: use 1–63 lower-case letters, digits and dashes, starting with a letter or digit", slug)
	}
	return nil
}

// ValidateTimeZone checks an IANA time zone name.
func ValidateTimeZone(tz string) error {
	if tz == "" {
		return Invalid("time_zone", "is required (an IANA name such as Europe/Berlin or UTC)")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return Invalid("time_zone", "%q is not a known IANA time zone (e.g. America/New_York, UTC)", tz)
	}
	return nil
}

// User is a person who can sign in. Users exist once per installation and
// join organizations through memberships.
type User struct {
	ID         int64      `json:"id"`
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

// NormalizeEmail lower-cases and checks an e-mail address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", Invalid("email", "%q is not a valid e-mail address", s)
	}
	return s, nil
}

// Member is a user's membership in an organization, with the user's details.
type Member struct {
	User
	OrgID    int64     `json:"org_id"`
	Role     Role      `json:"role"`
	JoinedAt time.Time `json:"joined_at"`
}

// APIToken is a personal access token for /api/v1, bound to one user in one
// organization. Only a hash of the secret is stored; Prefix identifies it.
type APIToken struct {
	ID         int64      `json:"id"`
	OrgID      int64      `json:"org_id"`
	UserID     int64      `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// Active reports whether the token can still be used at now.
func (t APIToken) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Session is a signed-in browser. The cookie carries a random secret; the
// store keeps only its hash.
type Session struct {
	UserID    int64
	OrgID     int64
	CSRFToken string
	Flash     string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Principal is who is calling: a user acting in one organization with a role,
// through a session, an API token, or the command line.
type Principal struct {
	User    User
	Org     Organization
	Role    Role
	Via     string // "session", "token", "cli"
	TokenID int64  // set when Via == "token"
}

// Can reports whether the principal's role grants p.
func (p Principal) Can(perm Permission) bool { return p.Role.Can(perm) }

// Actor names who made a change, for the record of user actions.
func (p Principal) Actor() Actor {
	return Actor{UserID: p.User.ID, Email: p.User.Email, Via: p.Via}
}

// Actor is who made a change: a user (through a session, token or the CLI) or
// the system itself (scheduler, bootstrap).
type Actor struct {
	UserID int64  `json:"user_id,omitempty"`
	Email  string `json:"email,omitempty"`
	Via    string `json:"via"`
}

// SystemActor is the actor for changes Assure makes on its own.
func SystemActor(what string) Actor { return Actor{Via: "system:" + what} }
