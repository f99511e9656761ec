package account_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestPasswordHash(t *testing.T) {
	h, err := account.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("not a PHC argon2id hash: %s", h)
	}
	if !account.VerifyPassword(h, "correct horse battery") {
		t.Fatal("right password refused")
	}
	if account.VerifyPassword(h, "correct horse batterY") {
		t.Fatal("wrong password accepted")
	}
	h2, _ := account.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=999999999,t=1,p=1$AAAA$AAAA"} {
		if account.VerifyPassword(bad, "x") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}

func setup(t *testing.T, st *store.Store) (*account.Service, *clock, *account.Bootstrap) {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	svc := account.New(st, c.now)
	b, err := svc.EnsureBootstrap(context.Background())
	if err != nil || b == nil {
		t.Fatalf("bootstrap: %v %v", b, err)
	}
	return svc, c, b
}

func TestBootstrapOnceAndSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _, b := setup(t, st)
		if again, err := svc.EnsureBootstrap(ctx); err != nil || again != nil {
			t.Fatalf("second bootstrap created something: %v %v", again, err)
		}
		if _, _, err := svc.SignIn(ctx, b.Email, b.Password+"x"); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
		if _, _, err := svc.SignIn(ctx, "nobody@example.com", b.Password); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("unknown user: %v", err)
		}
		secret, p, err := svc.SignIn(ctx, strings.ToUpper(b.Email), b.Password)
		if err != nil {
			t.Fatal(err)
		}
		if p.Role != model.RoleOwner || p.Org.Slug != "default" {
			t.Fatalf("principal %+v", p)
		}
		p2, sess, err := svc.SessionPrincipal(ctx, secret)
		if err != nil || p2.User.ID != p.User.ID || sess.CSRFToken == "" {
			t.Fatalf("session: %+v %v", p2, err)
		}
		if _, _, err := svc.SessionPrincipal(ctx, secret+"x"); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("forged session: %v", err)
		}
		if err := svc.SignOut(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionPrincipal(ctx, secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("session survives sign-out: %v", err)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, c, b := setup(t, st)
		secret, _, err := svc.SignIn(ctx, b.Email, b.Password)
		if err != nil {
			t.Fatal(err)
		}
		// Used every 11 hours, the session slides…
		for range 10 {
			c.t = c.t.Add(11 * time.Hour)
			if _, _, err := svc.SessionPrincipal(ctx, secret); err != nil {
				t.Fatalf("active session expired at %v: %v", c.t, err)
			}
		}
		// …but never past the absolute limit.
		c.t = c.t.Add(account.SessionMax)
		if _, _, err := svc.SessionPrincipal(ctx, secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("session outlived SessionMax: %v", err)
		}
	})
}

func TestRolesAndOwners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _, b := setup(t, st)
		op := svc.OperatorPrincipal(b.Org)
		admin, err := svc.AddMember(ctx, op, "admin@example.com", "Ada", model.RoleAdmin)
		if err != nil || admin.InitialPassword == "" {
			t.Fatalf("add admin: %+v %v", admin, err)
		}
		_, ap, err := svc.SignIn(ctx, "admin@example.com", admin.InitialPassword)
		if err != nil {
			t.Fatal(err)
		}
		// An admin manages members but cannot create owners.
		if _, err := svc.AddMember(ctx, ap, "o2@example.com", "", model.RoleOwner); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("admin granted owner: %v", err)
		}
		viewer, err := svc.AddMember(ctx, ap, "v@example.com", "", model.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		_, vp, _ := svc.SignIn(ctx, "v@example.com", viewer.InitialPassword)
		if _, err := svc.AddMember(ctx, vp, "x@example.com", "", model.RoleViewer); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("viewer added a member: %v", err)
		}
		if _, err := svc.Members(ctx, vp); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("viewer listed members: %v", err)
		}
		// An admin cannot demote an owner; the last owner cannot be demoted.
		owner, _ := svc.MemberByEmail(ctx, op, b.Email)
		if _, err := svc.SetRole(ctx, ap, owner.ID, model.RoleViewer); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("admin demoted owner: %v", err)
		}
		if _, err := svc.SetRole(ctx, op, owner.ID, model.RoleAdmin); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("last owner demoted: %v", err)
		}
		if err := svc.RemoveMember(ctx, op, owner.ID); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("last owner removed: %v", err)
		}
		// With a second owner the first may step down.
		if _, err := svc.SetRole(ctx, op, ap.User.ID, model.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if m, err := svc.SetRole(ctx, op, owner.ID, model.RoleAdmin); err != nil || m.Role != model.RoleAdmin {
			t.Fatalf("step down: %+v %v", m, err)
		}
		// Adding an existing member again is a conflict, not a second account.
		if _, err := svc.AddMember(ctx, op, "V@Example.com", "", model.RoleEditor); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("re-adding a member: %v", err)
		}
		if _, err := svc.AddMember(ctx, op, "not-an-email", "", model.RoleEditor); !model.IsValidation(err) {
			t.Fatalf("bad e-mail: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, c, b := setup(t, st)
		op := svc.OperatorPrincipal(b.Org)
		nm, _ := svc.AddMember(ctx, op, "v@example.com", "", model.RoleViewer)
		nt, err := svc.CreateToken(ctx, op, nm.Member.ID, "ci", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(nt.Secret, "assure_") || !strings.HasPrefix(nt.Secret, nt.Token.Prefix) || len(nt.Secret) < 40 {
			t.Fatalf("token secret %q prefix %q", nt.Secret, nt.Token.Prefix)
		}
		p, err := svc.TokenPrincipal(ctx, nt.Secret)
		if err != nil || p.Role != model.RoleViewer || p.Via != "token" || p.TokenID != nt.Token.ID {
			t.Fatalf("token principal %+v %v", p, err)
		}
		// A role change applies to the token at once.
		if _, err := svc.SetRole(ctx, op, nm.Member.ID, model.RoleEditor); err != nil {
			t.Fatal(err)
		}
		if p, _ := svc.TokenPrincipal(ctx, nt.Secret); p.Role != model.RoleEditor {
			t.Fatalf("token kept the old role: %s", p.Role)
		}
		// Expiry.
		c.t = c.t.Add(25 * time.Hour)
		if _, err := svc.TokenPrincipal(ctx, nt.Secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("expired token accepted: %v", err)
		}
		// Revocation, and removal of the member, end a token.
		nt2, _ := svc.CreateToken(ctx, op, nm.Member.ID, "ci2", 0)
		_, vp, _ := svc.SignIn(ctx, "v@example.com", nm.InitialPassword)
		other, _ := svc.AddMember(ctx, op, "o@example.com", "", model.RoleViewer)
		nt3, _ := svc.CreateToken(ctx, op, other.Member.ID, "theirs", 0)
		if err := svc.RevokeToken(ctx, vp, nt3.Token.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("member revoked someone else's token: %v", err)
		}
		if _, err := svc.CreateToken(ctx, vp, other.Member.ID, "x", 0); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("member created a token for someone else: %v", err)
		}
		if err := svc.RevokeToken(ctx, vp, nt2.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.TokenPrincipal(ctx, nt2.Secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("revoked token accepted: %v", err)
		}
		if err := svc.RemoveMember(ctx, op, other.Member.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.TokenPrincipal(ctx, nt3.Secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("removed member's token accepted: %v", err)
		}
		if _, err := svc.TokenPrincipal(ctx, "assure_nonsense"); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatalf("made-up token: %v", err)
		}
	})
}

func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _, b := setup(t, st)
		secret, p, _ := svc.SignIn(ctx, b.Email, b.Password)
		if err := svc.ChangePassword(ctx, p, "wrong", "a new long password"); !model.IsValidation(err) {
			t.Fatalf("wrong current password: %v", err)
		}
		if err := svc.ChangePassword(ctx, p, b.Password, "short"); !model.IsValidation(err) {
			t.Fatalf("short password: %v", err)
		}
		if err := svc.ChangePassword(ctx, p, b.Password, "a new long password"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SessionPrincipal(ctx, secret); !errors.Is(err, model.ErrUnauthenticated) {
			t.Fatal("session survives a password change")
		}
		if _, _, err := svc.SignIn(ctx, b.Email, "a new long password"); err != nil {
			t.Fatal(err)
		}
	})
}
