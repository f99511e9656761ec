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

// ErrBadCredentials is returned for any failed sign-in: the message never
// says whether the e-mail or the password was wrong.
var ErrBadCredentials = fmt.Errorf("the e-mail or password is not right: %w", model.ErrUnauthenticated)

// SignIn checks credentials and opens a session in the user's first
// organization. It returns the cookie secret (shown to the browser only).
func (s *Service) SignIn(ctx context.Context, email, password string) (secret string, p model.Principal, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	u, hash, err := s.st.UserByEmail(ctx, email)
	if errors.Is(err, model.ErrNotFound) {
		VerifyPassword(dummyHash, password) // same time as a known user
		return "", p, ErrBadCredentials
	}
	if err != nil {
		return "", p, err
	}
	if !VerifyPassword(hash, password) || u.DisabledAt != nil {
		return "", p, ErrBadCredentials
	}
	orgs, roles, err := s.st.UserOrganizations(ctx, u.ID)
	if err != nil {
		return "", p, err
	}
	if len(orgs) == 0 {
		return "", p, fmt.Errorf("your account is not a member of any organization: ask an administrator to add you: %w", model.ErrForbidden)
	}
	now := s.now()
	secret = randomSecret(32)
	sess := model.Session{UserID: u.ID, OrgID: orgs[0].ID, CSRFToken: randomSecret(24), CreatedAt: now, ExpiresAt: now.Add(SessionIdle)}
	if err := s.st.CreateSession(ctx, hashSecret(secret), sess); err != nil {
		return "", p, err
	}
	return secret, model.Principal{User: u, Org: orgs[0], Role: roles[0], Via: "session"}, nil
}

// SessionPrincipal resolves a session cookie secret into the principal and
// the session, sliding the expiry forward (never past SessionMax).
func (s *Service) SessionPrincipal(ctx context.Context, secret string) (model.Principal, model.Session, error) {
	if secret == "" {
		return model.Principal{}, model.Session{}, model.ErrUnauthenticated
	}
	now := s.now()
	h := hashSecret(secret)
	sess, err := s.st.Session(ctx, h, now)
	if err != nil {
		if errors.Is(err, model.ErrNotFound) {
			err = model.ErrUnauthenticated
		}
		return model.Principal{}, sess, err
	}
	p, err := s.principal(ctx, sess.UserID, sess.OrgID, "session")
	if err != nil {
		return p, sess, err
	}
	// Slide the expiry at most once a minute, so a busy page costs no writes.
	next := now.Add(SessionIdle)
	if limit := sess.CreatedAt.Add(SessionMax); next.After(limit) {
		next = limit
	}
	if next.Sub(sess.ExpiresAt) > time.Minute {
		if err := s.st.ExtendSession(ctx, h, next); err != nil {
			return p, sess, err
		}
	}
	return p, sess, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, secret string) error {
	return s.st.DeleteSession(ctx, hashSecret(secret))
}

// SetFlash stores a one-time message for the session's next page.
func (s *Service) SetFlash(ctx context.Context, secret, msg string) error {
	return s.st.SetSessionFlash(ctx, hashSecret(secret), msg)
}

// SwitchOrg moves a session to another organization the user belongs to.
func (s *Service) SwitchOrg(ctx context.Context, secret string, p model.Principal, slug string) (model.Organization, error) {
	orgs, _, err := s.st.UserOrganizations(ctx, p.User.ID)
	if err != nil {
		return model.Organization{}, err
	}
	for _, o := range orgs {
		if o.Slug == slug {
			return o, s.st.SetSessionOrg(ctx, hashSecret(secret), o.ID)
		}
	}
	return model.Organization{}, fmt.Errorf("organization %q: %w", slug, model.ErrNotFound)
}

// UserOrganizations lists the organizations p's user belongs to.
func (s *Service) UserOrganizations(ctx context.Context, p model.Principal) ([]model.Organization, error) {
	orgs, _, err := s.st.UserOrganizations(ctx, p.User.ID)
	return orgs, err
}

// principal loads a user's membership in an organization; a removed member
// or disabled user is no longer a principal.
func (s *Service) principal(ctx context.Context, userID, orgID int64, via string) (model.Principal, error) {
	os := s.st.Org(orgID)
	m, err := os.Member(ctx, userID)
	if errors.Is(err, model.ErrNotFound) {
		return model.Principal{}, model.ErrUnauthenticated
	}
	if err != nil {
		return model.Principal{}, err
	}
	if m.DisabledAt != nil {
		return model.Principal{}, model.ErrUnauthenticated
	}
	org, err := os.Organization(ctx)
	if err != nil {
		return model.Principal{}, err
	}
	return model.Principal{User: m.User, Org: org, Role: m.Role, Via: via}, nil
}

// OperatorPrincipal is the principal of someone running the CLI against the
// data directory or database: they hold the data, so they act as owner.
func (s *Service) OperatorPrincipal(org model.Organization) model.Principal {
	return model.Principal{Org: org, Role: model.RoleOwner, Via: "cli"}
}

// tokenPrefix starts every API token so it is recognizable in a leak scan.
const tokenPrefix = "assure_"

// NewToken is a created token: Secret is shown once and never stored.
type NewToken struct {
	Token  model.APIToken `json:"token"`
	Secret string         `json:"secret"`
}

// CreateToken creates an API token for user userID in p's organization. A
// member creates their own; an admin may create one for another member (the
// CLI does, as operator). ttl 0 means no expiry.
func (s *Service) CreateToken(ctx context.Context, p model.Principal, userID int64, name string, ttl time.Duration) (NewToken, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return NewToken{}, model.Invalid("name", "is required (say what the token is for, e.g. \"CI scan\")")
	}
	if len(name) > 100 {
		return NewToken{}, model.Invalid("name", "must be at most 100 characters")
	}
	if ttl < 0 {
		return NewToken{}, model.Invalid("expires", "must be in the future")
	}
	if userID != p.User.ID && !p.Can(model.PermManage) {
		return NewToken{}, fmt.Errorf("creating a token for someone else needs the admin role: %w", model.ErrForbidden)
	}
	os := s.st.Org(p.Org.ID)
	if _, err := os.Member(ctx, userID); err != nil {
		return NewToken{}, err
	}
	secret := tokenPrefix + randomSecret(32)
	now := s.now()
	var expires *time.Time
	if ttl > 0 {
		e := now.Add(ttl)
		expires = &e
	}
	var t model.APIToken
	err := os.InTx(ctx, func(tx *store.OrgStore) error {
		var err error
		t, err = tx.CreateToken(ctx, userID, name, secret[:len(tokenPrefix)+6], hashSecret(secret), now, expires)
		if err != nil {
			return err
		}
		payload := map[string]any{"token_id": t.ID, "user_id": userID, "name": name, "expires_at": nil}
		if expires != nil {
			payload["expires_at"] = expires.UTC().Format(time.RFC3339)
		}
		return s.record(ctx, tx.Store(), tx.ID(), p.Actor(), ledger.KindTokenCreated, "token:"+strconv.FormatInt(t.ID, 10), payload)
	})
	if err != nil {
		return NewToken{}, err
	}
	return NewToken{Token: t, Secret: secret}, nil
}

// Tokens lists p's own tokens, or everyone's for an admin who asks for all.
func (s *Service) Tokens(ctx context.Context, p model.Principal, all bool) ([]model.APIToken, error) {
	uid := p.User.ID
	if all {
		if !p.Can(model.PermManage) {
			return nil, fmt.Errorf("listing everyone's tokens needs the admin role: %w", model.ErrForbidden)
		}
		uid = 0
	}
	return s.st.Org(p.Org.ID).Tokens(ctx, uid)
}

// RevokeToken revokes a token: one's own, or anyone's for an admin.
func (s *Service) RevokeToken(ctx context.Context, p model.Principal, id int64) error {
	os := s.st.Org(p.Org.ID)
	t, err := os.Token(ctx, id)
	if err != nil {
		return err
	}
	if t.UserID != p.User.ID && !p.Can(model.PermManage) {
		return fmt.Errorf("token: %w", model.ErrNotFound) // do not reveal others' tokens
	}
	return os.InTx(ctx, func(tx *store.OrgStore) error {
		if err := tx.RevokeToken(ctx, id, s.now()); err != nil {
			return err
		}
		return s.record(ctx, tx.Store(), tx.ID(), p.Actor(), ledger.KindTokenRevoked, "token:"+strconv.FormatInt(id, 10),
			map[string]any{"token_id": id, "user_id": t.UserID, "name": t.Name})
	})
}

// TokenPrincipal resolves a bearer token into the principal it acts as: the
// token's user, in the token's organization, with the user's current role.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (model.Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return model.Principal{}, model.ErrUnauthenticated
	}
	t, err := s.st.TokenByHash(ctx, hashSecret(secret))
	if errors.Is(err, model.ErrNotFound) {
		return model.Principal{}, model.ErrUnauthenticated
	}
	if err != nil {
		return model.Principal{}, err
	}
	now := s.now()
	if !t.Active(now) {
		return model.Principal{}, model.ErrUnauthenticated
	}
	p, err := s.principal(ctx, t.UserID, t.OrgID, "token")
	if err != nil {
		return p, err
	}
	p.TokenID = t.ID
	// Record use at most once a minute per token.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if err := s.st.TouchToken(ctx, t.ID, now); err != nil {
			return p, err
		}
	}
	return p, nil
}

// MemberByEmail finds a member of p's organization by e-mail (for the CLI).
func (s *Service) MemberByEmail(ctx context.Context, p model.Principal, email string) (model.Member, error) {
	email, err := model.NormalizeEmail(email)
	if err != nil {
		return model.Member{}, err
	}
	u, _, err := s.st.UserByEmail(ctx, email)
	if err != nil {
		return model.Member{}, err
	}
	m, err := s.st.Org(p.Org.ID).Member(ctx, u.ID)
	if errors.Is(err, model.ErrNotFound) {
		return m, fmt.Errorf("%s is not a member of %s: %w", email, p.Org.Slug, model.ErrNotFound)
	}
	return m, err
}
