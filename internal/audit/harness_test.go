package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// world is an organization with every library control adopted, the
// services an audit uses, and a clock the test moves.
type world struct {
	t      *testing.T
	st     *store.Store
	o      *store.OrgStore
	org    model.Organization
	owner  model.Principal
	now    time.Time
	cat    *catalog.Service
	checks *check.Service
	ev     *evidence.Service
	acc    *account.Service
	svc    *Service
	ins    map[string]model.Integration
}

func day(s string) time.Time {
	t, err := time.Parse(model.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func newWorld(t *testing.T, st *store.Store, start time.Time) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, now: start, ins: map[string]model.Integration{}}
	clock := func() time.Time { return w.now }
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", start)
	if err != nil {
		t.Fatal(err)
	}
	w.org, w.o = org, st.Org(org.ID)
	w.acc = account.New(st, clock)
	u, err := st.CreateUser(ctx, "owner@acme.test", "Olga Owner", "x", start)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.o.AddMember(ctx, u.ID, model.RoleOwner, start); err != nil {
		t.Fatal(err)
	}
	w.owner = model.Principal{User: u, Org: org, Role: model.RoleOwner, Via: "session"}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	w.cat = catalog.NewService(st, cat, clock, nil)
	if _, err := w.cat.Adopt(ctx, w.owner, nil, true); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blobs, err := blob.OpenLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := ledger.LoadOrCreateKey(filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	log := ledger.NewLog(st, key, "test-installation", clock)
	w.ev = evidence.New(evidence.Deps{Store: st, Blobs: blobs, Ledger: log, Controls: w.cat, Now: clock, MaxUpload: 1 << 20})
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if w.checks, err = check.New(check.Deps{Store: st, Registry: reg, Catalog: w.cat, Evidence: w.ev, Now: clock}); err != nil {
		t.Fatal(err)
	}
	w.svc = New(Deps{Store: st, Blobs: blobs, Catalog: w.cat, Checks: w.checks, Evidence: w.ev, Accounts: w.acc, Now: clock})
	return w
}

// integration returns (creating) an integration of a connector.
func (w *world) integration(connector, name string) model.Integration {
	w.t.Helper()
	if in, ok := w.ins[name]; ok {
		return in
	}
	in, err := w.o.CreateIntegration(context.Background(), store.IntegrationRecord{Connector: connector, Name: name, Enabled: true, Interval: time.Hour}, w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	w.ins[name] = in
	return in
}

// collect stores one successful run of an integration at w.now: exactly
// the given resources of each type (external id → attributes); those not
// given are marked removed. It evaluates the tests on the run.
func (w *world) collect(in model.Integration, resources map[string]map[string]map[string]any) {
	w.t.Helper()
	ctx := context.Background()
	run, err := w.o.StartRun(ctx, in.ID, model.TriggerCLI, "test", w.now)
	if err != nil {
		w.t.Fatal(err)
	}
	for typ, byID := range resources {
		states, err := w.o.ResourceStates(ctx, in.ID, typ)
		if err != nil {
			w.t.Fatal(err)
		}
		for ext, attrs := range byID {
			b, _ := json.Marshal(attrs)
			sum := sha256.Sum256(b)
			name := ext
			if n, ok := attrs["name"].(string); ok && n != "" {
				name = n
			}
			v := store.NewVersion{Name: name, ContentHash: hex.EncodeToString(sum[:]), Attributes: b, RunID: run.ID, ObservedAt: w.now}
			st, ok := states[ext]
			switch {
			case !ok:
				_, err = w.o.InsertResource(ctx, in.ID, typ, ext, v)
			case st.Removed || st.ContentHash != v.ContentHash:
				_, err = w.o.AddVersion(ctx, st.ID, v)
			}
			if err != nil {
				w.t.Fatal(err)
			}
		}
		for ext, st := range states {
			if _, there := byID[ext]; !there && !st.Removed {
				if err := w.o.MarkResourceRemoved(ctx, st.ID, run.ID, w.now); err != nil {
					w.t.Fatal(err)
				}
			}
		}
		if err := w.o.InsertListing(ctx, model.Listing{RunID: run.ID, ResourceType: typ, Status: model.RunSucceeded, StartedAt: w.now, FinishedAt: w.now}); err != nil {
			w.t.Fatal(err)
		}
		c := w.now
		if err := w.o.RecordFreshness(ctx, in.ID, typ, run.ID, model.RunSucceeded, w.now, &c); err != nil {
			w.t.Fatal(err)
		}
	}
	fin := w.now
	run.FinishedAt, run.Status = &fin, model.RunSucceeded
	if err := w.o.FinishRun(ctx, run); err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.checks.EvaluateRun(ctx, w.o.ID(), run.ID); err != nil {
		w.t.Fatal(err)
	}
}

const pwTest = "host.sshd.password_authentication_disabled"

// sshd is the host's SSH configuration: passwords accepted or not.
func sshd(password bool) map[string]map[string]map[string]any {
	return map[string]map[string]map[string]any{"host.sshd": {"sshd": {"installed": true, "password_authentication": password,
		"permit_root_login": "no", "permit_empty_passwords": false, "kbd_interactive_authentication": false, "max_auth_tries": 3, "caveats": []any{}}}}
}

// member adds a user with a role and returns their principal.
func (w *world) member(email string, role model.Role) model.Principal {
	w.t.Helper()
	ctx := context.Background()
	nm, err := w.acc.AddMember(ctx, w.owner, email, "", role)
	if err != nil {
		w.t.Fatal(err)
	}
	return model.Principal{User: nm.Member.User, Org: w.org, Role: role, Via: "token"}
}

func (w *world) create(in CreateInput) Created {
	w.t.Helper()
	a, err := w.svc.Create(context.Background(), w.owner, in)
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) control(auditID int64, key string) ControlResult {
	w.t.Helper()
	r, err := w.svc.Control(context.Background(), w.owner, auditID, key)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}
