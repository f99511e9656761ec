package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func TestOrganizationsAndMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, err := st.CreateOrganization(ctx, "acme", "Acme", "Europe/Berlin", t0)
		if err != nil {
			t.Fatal(err)
		}
		if org.ID == 0 || org.Slug != "acme" || !org.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", org)
		}
		if _, err := st.CreateOrganization(ctx, "acme", "Again", "UTC", t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate slug: got %v, want ErrConflict", err)
		}
		other, err := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.CreateUser(ctx, "a@example.com", "A", "hash", t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateUser(ctx, "a@example.com", "A", "hash", t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate email: got %v", err)
		}
		if err := st.Org(org.ID).AddMember(ctx, u.ID, model.RoleEditor, t0); err != nil {
			t.Fatal(err)
		}
		if err := st.Org(org.ID).AddMember(ctx, u.ID, model.RoleViewer, t0); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate membership: got %v", err)
		}
		m, err := st.Org(org.ID).Member(ctx, u.ID)
		if err != nil || m.Role != model.RoleEditor || m.Email != "a@example.com" || m.OrgID != org.ID {
			t.Fatalf("member: %+v %v", m, err)
		}
		// Scoping: the other organization does not see the member.
		if _, err := st.Org(other.ID).Member(ctx, u.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("member seen from another org: %v", err)
		}
		if ms, _ := st.Org(other.ID).Members(ctx); len(ms) != 0 {
			t.Fatalf("other org lists %d members", len(ms))
		}
		if err := st.Org(other.ID).SetMemberRole(ctx, u.ID, model.RoleOwner); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("role change across orgs: %v", err)
		}
		if err := st.Org(org.ID).SetMemberRole(ctx, u.ID, model.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		orgs, roles, err := st.UserOrganizations(ctx, u.ID)
		if err != nil || len(orgs) != 1 || roles[0] != model.RoleAdmin {
			t.Fatalf("user orgs: %v %v %v", orgs, roles, err)
		}
		if err := st.Org(org.ID).UpdateOrganization(ctx, "Acme Inc", "UTC"); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Org(org.ID).Organization(ctx)
		if got.Name != "Acme Inc" || got.TimeZone != "UTC" {
			t.Fatalf("update: %+v", got)
		}
		if err := st.Org(org.ID).RemoveMember(ctx, u.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := st.Org(org.ID).RemoveMember(ctx, u.ID, t0); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("second removal: %v", err)
		}
	})
}

func TestSessionsAndTokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		other, _ := st.CreateOrganization(ctx, "other", "Other", "UTC", t0)
		u, _ := st.CreateUser(ctx, "a@example.com", "", "h", t0)
		_ = st.Org(org.ID).AddMember(ctx, u.ID, model.RoleViewer, t0)

		sess := model.Session{UserID: u.ID, OrgID: org.ID, CSRFToken: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		if err := st.CreateSession(ctx, "h1", sess); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Session(ctx, "h1", t0.Add(30*time.Minute)); err != nil {
			t.Fatalf("live session: %v", err)
		}
		if _, err := st.Session(ctx, "h1", t0.Add(2*time.Hour)); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("expired session readable: %v", err)
		}
		if n, err := st.DeleteExpiredSessions(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("expired sessions deleted: %d %v", n, err)
		}

		exp := t0.Add(24 * time.Hour)
		tok, err := st.Org(org.ID).CreateToken(ctx, u.ID, "ci", "assure_abc", "hash1", t0, &exp)
		if err != nil {
			t.Fatal(err)
		}
		if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(exp) || tok.RevokedAt != nil {
			t.Fatalf("token: %+v", tok)
		}
		if got, err := st.TokenByHash(ctx, "hash1"); err != nil || got.ID != tok.ID || got.OrgID != org.ID {
			t.Fatalf("by hash: %+v %v", got, err)
		}
		if _, err := st.Org(other.ID).Token(ctx, tok.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("token visible from another org: %v", err)
		}
		if err := st.Org(other.ID).RevokeToken(ctx, tok.ID, t0); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("token revoked from another org: %v", err)
		}
		if list, _ := st.Org(org.ID).Tokens(ctx, u.ID); len(list) != 1 {
			t.Fatalf("own tokens: %d", len(list))
		}
		if list, _ := st.Org(org.ID).Tokens(ctx, 0); len(list) != 1 {
			t.Fatalf("all tokens: %d", len(list))
		}
		if err := st.Org(org.ID).RevokeToken(ctx, tok.ID, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := st.TokenByHash(ctx, "hash1")
		if got.RevokedAt == nil || got.Active(t0.Add(2*time.Minute)) {
			t.Fatalf("revoked token still active: %+v", got)
		}
	})
}

func TestTransactionRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := st.InTx(ctx, func(tx *store.Store) error {
			if _, err := tx.CreateOrganization(ctx, "gone", "Gone", "UTC", t0); err != nil {
				return err
			}
			// Read-your-writes inside the transaction.
			if _, err := tx.OrganizationBySlug(ctx, "gone"); err != nil {
				return fmt.Errorf("not visible inside tx: %w", err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if _, err := st.OrganizationBySlug(ctx, "gone"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("rolled-back row visible: %v", err)
		}
	})
}

// TestConcurrentWriters: 50 goroutines writing at once must all succeed
// (no "database is locked") and every write must be there afterwards.
func TestConcurrentWriters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, _ := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
		const writers, each = 50, 10
		var wg sync.WaitGroup
		errs := make(chan error, writers*each)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					err := st.InTx(ctx, func(tx *store.Store) error {
						// Read, then write, in one transaction: the pattern
						// that fails with "database is locked" when two
						// SQLite connections upgrade their locks at once.
						if _, err := tx.Org(org.ID).CountOwners(ctx); err != nil {
							return err
						}
						u, err := tx.CreateUser(ctx, fmt.Sprintf("w%d-%d@example.com", w, i), "", "h", t0)
						if err != nil {
							return err
						}
						return tx.Org(org.ID).AddMember(ctx, u.ID, model.RoleViewer, t0)
					})
					if err != nil {
						errs <- err
					}
					// Reads interleave with the writes.
					if _, err := st.Org(org.ID).Members(ctx); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent write failed: %v", err)
		}
		ms, err := st.Org(org.ID).Members(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != writers*each {
			t.Fatalf("got %d members, want %d: writes were lost", len(ms), writers*each)
		}
	})
}

func TestInstallationValueOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, ok, _ := st.InstallationValue(ctx, "k"); ok {
			t.Fatal("unset value reported set")
		}
		v1, err := st.SetInstallationValueOnce(ctx, "k", "first")
		if err != nil || v1 != "first" {
			t.Fatalf("%q %v", v1, err)
		}
		v2, _ := st.SetInstallationValueOnce(ctx, "k", "second")
		if v2 != "first" {
			t.Fatalf("second set won: %q", v2)
		}
	})
}
