package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// Every user action that changes something is in the organization's
// ledger, in the same transaction, with who did it and without secrets.
func TestUserActionsAreInTheLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _, b := setup(t, st)
		op := svc.OperatorPrincipal(b.Org)
		nm, err := svc.AddMember(ctx, op, "ann@example.com", "Ann", model.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		ann := model.Principal{User: nm.Member.User, Org: b.Org, Role: model.RoleAdmin, Via: "session"}
		bob, err := svc.AddMember(ctx, ann, "bob@example.com", "", model.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetRole(ctx, ann, bob.Member.ID, model.RoleEditor); err != nil {
			t.Fatal(err)
		}
		nt, err := svc.CreateToken(ctx, ann, ann.User.ID, "ci", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RevokeToken(ctx, ann, nt.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.UpdateOrganization(ctx, ann, "Acme", "Europe/Berlin"); err != nil {
			t.Fatal(err)
		}
		if err := svc.ChangePassword(ctx, ann, nm.InitialPassword, "a much better password"); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetPassword(ctx, "bob@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.RemoveMember(ctx, ann, bob.Member.ID); err != nil {
			t.Fatal(err)
		}
		// A refused change records nothing.
		if _, err := svc.SetRole(ctx, ann, b.Org.ID+999, model.RoleViewer); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("role of a stranger: %v", err)
		}

		es, err := st.Org(b.Org.ID).LedgerEntries(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range es {
			kinds = append(kinds, e.Kind+" by "+e.Actor.Email+"/"+e.Actor.Via)
			for _, secret := range []string{nt.Secret, nm.InitialPassword, "a much better password", b.Password} {
				if strings.Contains(string(e.Payload), secret) {
					t.Fatalf("entry %d (%s) holds a secret: %s", e.Seq, e.Kind, e.Payload)
				}
			}
		}
		want := []string{
			"org.created by /system:bootstrap", "member.added by /system:bootstrap",
			"member.added by /cli", "member.added by ann@example.com/session", "role.changed by ann@example.com/session",
			"token.created by ann@example.com/session", "token.revoked by ann@example.com/session", "org.updated by ann@example.com/session",
			"user.password_changed by ann@example.com/session", "user.password_reset by /cli", "member.removed by ann@example.com/session",
		}
		if strings.Join(kinds, "\n") != strings.Join(want, "\n") {
			t.Fatalf("ledger:\n%s\nwant:\n%s", strings.Join(kinds, "\n"), strings.Join(want, "\n"))
		}
		var role struct{ From, To string }
		json.Unmarshal(es[4].Payload, &role)
		if role.From != "viewer" || role.To != "editor" || es[4].Subject != "member:"+itoa(bob.Member.ID) {
			t.Fatalf("role change entry: %s %s", es[4].Subject, es[4].Payload)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
