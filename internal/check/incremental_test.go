package check_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/connector/host"
	"github.com/assurehq/assure/internal/connector/hrcsv"
	"github.com/assurehq/assure/internal/connector/okta"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// script is the system the scripted connectors report: per connector id,
// per resource type, the resources (external id → item), and the failures
// the next listing meets (a whole type, or scopes of it). Both installations
// of the property test collect the same script.
type script struct {
	mu       sync.Mutex
	items    map[string]map[string]map[string]scriptItem // connector → type → external id → item
	failType map[string]bool                             // type → the listing fails
	failScop map[string]bool                             // scope → every listing of it fails
}

type scriptItem struct {
	name, scope string
	attrs       map[string]any
}

func (s *script) list(conn, typ string) func(context.Context, connector.Conn, connector.Emitter) error {
	return func(ctx context.Context, _ connector.Conn, out connector.Emitter) error {
		s.mu.Lock()
		if s.failType[typ] {
			s.mu.Unlock()
			return fmt.Errorf("permission denied listing %s", typ)
		}
		byID := s.items[conn][typ]
		ids := make([]string, 0, len(byID))
		for id := range byID {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var rs []connector.Resource
		failed := map[string]bool{}
		for _, id := range ids {
			it := byID[id]
			if s.failScop[it.scope] {
				failed[it.scope] = true
				continue
			}
			attrs := map[string]any{}
			for k, v := range it.attrs {
				attrs[k] = v
			}
			rs = append(rs, connector.Resource{ExternalID: id, Name: it.name, Scope: it.scope, Attributes: attrs})
		}
		for sc := range s.failScop {
			if s.failScop[sc] {
				failed[sc] = true
			}
		}
		s.mu.Unlock()
		for _, r := range rs {
			if err := out.Emit(ctx, r); err != nil {
				return err
			}
		}
		for sc := range failed {
			out.FailScope(sc, fmt.Errorf("the %s region refused the call", sc))
		}
		return nil
	}
}

type scriptConn struct{}

func (scriptConn) Probe(context.Context) error { return nil }
func (scriptConn) Close() error                { return nil }

// registration is a connector emitting the script's resources of the
// given real resource types (their fields copied, so tests compile).
func (s *script) registration(id string, from connector.Registration, types ...string) connector.Registration {
	reg := connector.Registration{ID: id, Name: id, Category: connector.CategoryOther, Description: "Resources the test scripts.",
		Open: func(context.Context, connector.Config, connector.Runtime) (connector.Conn, error) {
			return scriptConn{}, nil
		}}
	for _, rt := range from.Resources {
		for _, t := range types {
			if rt.Name == t {
				rt.List = s.list(id, t)
				reg.Resources = append(reg.Resources, rt)
			}
		}
	}
	return reg
}

// installation is one database with its collection and test services.
type installation struct {
	st      *store.Store
	checks  *check.Service
	collect *collect.Service
	p       model.Principal
	ins     map[string]int64 // integration name → id
}

func newInstallation(t *testing.T, st *store.Store, reg *connector.Registry, clock func() time.Time) *installation {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	blobs, err := blob.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	box, err := secret.New(key, "test key")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	in := &installation{st: st, ins: map[string]int64{}}
	catSvc := catalog.NewService(st, cat, clock, nil)
	if in.checks, err = check.New(check.Deps{Store: st, Registry: reg, Catalog: catSvc, Now: clock, Log: quiet}); err != nil {
		t.Fatal(err)
	}
	in.collect = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: reg, Now: clock, Log: quiet,
		Secrets: func() (*secret.Box, error) { return box, nil }})
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", clock())
	if err != nil {
		t.Fatal(err)
	}
	in.p = model.Principal{Org: org, Role: model.RoleOwner, Via: "cli", User: model.User{ID: 1, Email: "owner@acme.test"}}
	for _, c := range []struct {
		conn, name string
		every      time.Duration
	}{{"script_hosts", "fleet", time.Hour}, {"script_hr", "roster", 6 * time.Hour}, {"script_okta", "idp", 2 * time.Hour}} {
		d := model.Duration(c.every)
		v, err := in.collect.CreateIntegration(ctx, in.p, collect.IntegrationInput{Connector: c.conn, Name: c.name, Interval: &d})
		if err != nil {
			t.Fatal(err)
		}
		in.ins[c.name] = v.ID
	}
	return in
}

// state is what the property compares: every status interval and every
// status change, in the order they were written.
func (in *installation) state(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	o := in.st.Org(in.p.Org.ID)
	ivs, err := o.Intervals(ctx, store.IntervalFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].ID < ivs[j].ID })
	var b strings.Builder
	for _, iv := range ivs {
		to := "open"
		if iv.To != nil {
			to = iv.To.Format(time.RFC3339)
		}
		fmt.Fprintf(&b, "interval %d %s r%d %s %s %q [%s, %s)\n", iv.ID, iv.TestID, iv.ResourceID, iv.ResourceName, iv.Status, iv.Message,
			iv.From.Format(time.RFC3339), to)
	}
	cs, err := o.StatusChangesAfter(ctx, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "change %d %s r%d %s/%s %s→%s %q %s %s\n", c.ID, c.TestID, c.ResourceID, c.ResourceType, c.ResourceName,
			c.From, c.To, c.Message, c.Integration, c.At.Format(time.RFC3339))
	}
	return b.String()
}

// TestIncrementalEqualsFull is the proof by test of incremental evaluation:
// two installations collect the same random sequence of runs (resources
// added, changed, renamed, moved between scopes and removed; listings and
// scopes failing and recovering; the clock moving by minutes or days so
// data goes stale and time-based tests flip; the HR roster changing under
// the identity tests; custom tests added and removed; evaluations skipped
// as if a server had stopped; whole-organization evaluations), one
// evaluating each run incrementally (EvaluateRun), the other fully
// (EvaluateRunFull) with nothing kept between evaluations (no decoded
// resources cached). After every step both hold the same intervals and the
// same status changes.
func TestIncrementalEqualsFull(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			seeds := 6
			steps := 100
			if testing.Short() || e.Name == "postgres" {
				seeds, steps = 3, 40
			}
			for seed := 1; seed <= seeds; seed++ {
				t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { incrementalEqualsFull(t, e, uint64(seed), steps) })
			}
		})
	}
}

func incrementalEqualsFull(t *testing.T, e storetest.Engine, seed uint64, steps int) {
	ctx := context.Background()
	rnd := mrand.New(mrand.NewPCG(seed, 7))
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	sc := &script{items: map[string]map[string]map[string]scriptItem{}, failType: map[string]bool{}, failScop: map[string]bool{}}
	regs := append(builtin.Registrations(),
		sc.registration("script_hosts", host.Registration(), "host.sshd", "host.user"),
		sc.registration("script_hr", hrcsv.Registration(), "hr.person"),
		sc.registration("script_okta", okta.Registration(), "okta.user", "okta.admin_role"))
	reg, err := connector.NewRegistry(regs...)
	if err != nil {
		t.Fatal(err)
	}
	open := func() *store.Store {
		st, _, _ := e.Open(t)
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	inc := newInstallation(t, open(), reg, clock)
	full := newInstallation(t, open(), reg, clock)

	people := []string{"ann", "ben", "cat", "dan", "eve", "fay", "gus", "svc-deploy"}
	day := func(offset int) string { return clock().AddDate(0, 0, offset).Format("2006-01-02") }
	stamp := func(offset time.Duration) string { return clock().Add(offset).Format(time.RFC3339) }
	set := func(conn, typ, id string, it scriptItem) {
		if sc.items[conn] == nil {
			sc.items[conn] = map[string]map[string]scriptItem{}
		}
		if sc.items[conn][typ] == nil {
			sc.items[conn][typ] = map[string]scriptItem{}
		}
		sc.items[conn][typ][id] = it
	}
	sshd := func() map[string]any {
		return map[string]any{"installed": true, "password_authentication": rnd.IntN(3) == 0, "permit_root_login": []string{"no", "yes"}[rnd.IntN(2)],
			"permit_empty_passwords": false, "kbd_interactive_authentication": rnd.IntN(4) == 0, "max_auth_tries": 2 + rnd.IntN(5), "caveats": []any{}}
	}
	user := func(name string) map[string]any {
		return map[string]any{"name": name, "uid": 1000 + rnd.IntN(10), "uid_zero": false, "system": false, "interactive": rnd.IntN(5) > 0,
			"password": []string{"set", "locked", "none"}[rnd.IntN(3)], "password_last_changed": day(-rnd.IntN(500)),
			"password_max_days": rnd.IntN(500), "shell": "/bin/bash"}
	}
	person := func(email string) map[string]any {
		gone := rnd.IntN(3) == 0
		td := ""
		if gone {
			td = day(rnd.IntN(5) - 3) // around today: the leaver tests flip with the clock
		}
		return map[string]any{"email": email, "terminated": gone, "active": !gone, "termination_date": td,
			"manager": []string{"", "boss@acme.test"}[rnd.IntN(2)]}
	}
	oktaUser := func(email string) map[string]any {
		var last any = stamp(-time.Duration(rnd.IntN(120*24)) * time.Hour)
		if rnd.IntN(4) == 0 {
			last = ""
		}
		if rnd.IntN(10) == 0 {
			last = nil // unknown
		}
		admin := rnd.IntN(3) == 0
		roles := []any{}
		if admin {
			roles = []any{"SUPER_ADMIN"}
		}
		return map[string]any{"email": email, "enabled": rnd.IntN(5) > 0, "deprovisioned": rnd.IntN(6) == 0, "mfa_enrolled": rnd.IntN(3) > 0,
			"phishing_resistant_enrolled": rnd.IntN(2) == 0, "admin": admin, "admin_roles": roles, "last_login": last,
			"activated": stamp(-40 * 24 * time.Hour), "created": stamp(-50 * 24 * time.Hour), "status": "ACTIVE"}
	}
	scopes := []string{"eu", "us"}
	for i := range 6 {
		id := fmt.Sprintf("host-%d", i)
		set("script_hosts", "host.sshd", id, scriptItem{name: id, scope: scopes[i%2], attrs: sshd()})
		set("script_hosts", "host.user", id+"/root", scriptItem{name: "root", scope: scopes[i%2], attrs: user("root")})
		set("script_hosts", "host.user", id+"/ann", scriptItem{name: "ann", scope: scopes[i%2], attrs: user("ann")})
	}
	for _, p := range people[:6] {
		set("script_hr", "hr.person", p, scriptItem{name: p, attrs: person(p + "@acme.test")})
	}
	for _, p := range people {
		set("script_okta", "okta.user", p, scriptItem{name: p, attrs: oktaUser(p + "@acme.test")})
	}

	mutate := func() string {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		conns := []string{"script_hosts", "script_hr", "script_okta"}
		conn := conns[rnd.IntN(len(conns))]
		var types []string
		for typ := range sc.items[conn] {
			types = append(types, typ)
		}
		sort.Strings(types)
		typ := types[rnd.IntN(len(types))]
		byID := sc.items[conn][typ]
		var ids []string
		for id := range byID {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		pick := ""
		if len(ids) > 0 {
			pick = ids[rnd.IntN(len(ids))]
		}
		fresh := func() map[string]any {
			switch typ {
			case "host.sshd":
				return sshd()
			case "host.user":
				return user(byID[pick].name)
			case "hr.person":
				return person(pick + "@acme.test")
			default:
				return oktaUser(pick + "@acme.test")
			}
		}
		switch k := rnd.IntN(12); {
		case k < 3 && pick != "":
			it := byID[pick]
			it.attrs = fresh()
			byID[pick] = it
			return "change " + typ + " " + pick
		case (k == 3 || k == 4) && pick != "":
			delete(byID, pick)
			return "remove " + typ + " " + pick
		case k == 5:
			id := fmt.Sprintf("new-%d", rnd.IntN(1000))
			if typ == "hr.person" || typ == "okta.user" {
				id = people[rnd.IntN(len(people))]
			}
			name := id
			if typ == "host.user" {
				name = []string{"root", "bob"}[rnd.IntN(2)]
			}
			byID[id] = scriptItem{name: name, scope: scopes[rnd.IntN(2)]}
			pick = id
			it := byID[id]
			it.attrs = fresh()
			byID[id] = it
			return "add " + typ + " " + id
		case (k == 6 || k == 9 || k == 10) && pick != "":
			it := byID[pick]
			it.name = fmt.Sprintf("%s-renamed-%d", pick, rnd.IntN(3))
			if typ == "host.user" {
				it.name = []string{"root", "ann", "bob"}[rnd.IntN(3)]
			}
			byID[pick] = it
			return "rename " + typ + " " + pick
		case k == 7 && pick != "":
			it := byID[pick]
			it.scope = scopes[rnd.IntN(2)]
			byID[pick] = it
			return "move " + typ + " " + pick
		case k == 8:
			sc.failType[typ] = true
			return fmt.Sprintf("listing of %s fails", typ)
		default:
			s := scopes[rnd.IntN(2)]
			sc.failScop[s] = true
			return fmt.Sprintf("scope %s fails", s)
		}
	}
	custom := "tests:\n  - id: acme.hosts.no_legacy_names\n    title: No host is named legacy\n    resource_type: host.sshd\n" +
		"    assert: '!resource.name.contains(\"renamed-1\")'\n    severity: low\n    controls: [VUL-04]\n"
	both := func(fn func(in *installation, incremental bool) error) {
		for _, x := range []struct {
			in  *installation
			inc bool
		}{{inc, true}, {full, false}} {
			if err := fn(x.in, x.inc); err != nil {
				t.Fatal(err)
			}
		}
	}
	incremental, evaluations := 0, 0
	run := func(name string, evaluate bool) {
		both(func(in *installation, isInc bool) error {
			rv, err := in.collect.Run(ctx, in.p, in.ins[name], model.TriggerCLI)
			if err != nil || !evaluate {
				return err
			}
			if isInc {
				var ev check.Evaluation
				ev, err = in.checks.EvaluateRun(ctx, in.p.Org.ID, rv.ID)
				evaluations++
				if ev.Incremental {
					incremental++
				}
			} else {
				in.checks.ForgetDecoded()
				_, err = in.checks.EvaluateRunFull(ctx, in.p.Org.ID, rv.ID)
			}
			return err
		})
	}
	// A custom test reading a label (the name is not an attribute of
	// host.sshd), then a first collection of everything.
	both(func(in *installation, _ bool) error { _, err := in.checks.SaveTest(ctx, in.p, custom); return err })
	for _, name := range []string{"roster", "fleet", "idp"} {
		run(name, true)
	}
	var log []string
	for step := range steps {
		var what string
		switch k := rnd.IntN(20); {
		case k < 7:
			what = mutate()
		case k < 10:
			d := []time.Duration{10 * time.Minute, time.Hour, 5 * time.Hour, 26 * time.Hour, 3 * 24 * time.Hour}[rnd.IntN(5)]
			clockMu.Lock()
			now = now.Add(d)
			clockMu.Unlock()
			what = "clock +" + d.String()
		case k < 17:
			name := []string{"fleet", "roster", "idp"}[rnd.IntN(3)]
			evaluate := rnd.IntN(8) > 0
			run(name, evaluate)
			what = fmt.Sprintf("run %s (evaluated: %v)", name, evaluate)
			if rnd.IntN(3) > 0 {
				// Most failures are over by the next run: a system that
				// is mostly healthy makes the incremental paths matter.
				sc.mu.Lock()
				clear(sc.failType)
				clear(sc.failScop)
				sc.mu.Unlock()
				what += ", then failures end"
			}
		case k == 17:
			both(func(in *installation, isInc bool) error {
				if !isInc {
					in.checks.ForgetDecoded()
				}
				_, err := in.checks.EvaluateOrg(ctx, in.p.Org.ID)
				return err
			})
			what = "evaluate the organization"
		case k == 18:
			if rnd.IntN(3) > 0 {
				both(func(in *installation, _ bool) error { _, err := in.checks.SaveTest(ctx, in.p, custom); return err })
				what = "custom test saved"
			} else {
				both(func(in *installation, _ bool) error {
					if err := in.checks.RemoveTest(ctx, in.p, "acme.hosts.no_legacy_names"); err != nil && !strings.Contains(err.Error(), "not found") {
						return err
					}
					return nil
				})
				what = "custom test removed"
			}
		default:
			every := model.Duration([]time.Duration{time.Hour, 4 * time.Hour, 30 * time.Minute}[rnd.IntN(3)])
			name := []string{"fleet", "roster", "idp"}[rnd.IntN(3)]
			both(func(in *installation, _ bool) error {
				_, err := in.collect.UpdateIntegration(ctx, in.p, in.ins[name], collect.IntegrationUpdate{Interval: &every})
				return err
			})
			what = fmt.Sprintf("interval of %s: %s", name, every)
		}
		log = append(log, fmt.Sprintf("%d: %s", step, what))
		if a, b := inc.state(t), full.state(t); a != b {
			t.Fatalf("seed %d: incremental and full evaluation differ after:\n%s\n%s", seed, strings.Join(log, "\n"), firstDifference(a, b))
		}
	}
	if a := inc.state(t); !strings.Contains(a, "change ") {
		t.Fatalf("seed %d: the sequence produced no status change at all: it tests nothing", seed)
	}
	// Most evaluations after the first must have been incremental, or this
	// compares the full evaluation with itself.
	if incremental*2 < evaluations {
		t.Fatalf("seed %d: only %d of %d evaluations were incremental", seed, incremental, evaluations)
	}
	t.Logf("seed %d: %d of %d evaluations incremental", seed, incremental, evaluations)
}

func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  incremental: %s\n  full:        %s", i+1, x, y)
		}
	}
	return ""
}

// A renamed resource (a new name, no new version) is judged again by the
// next incremental evaluation: tests read the name.
func TestIncrementalSeesRenames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		sc := &script{items: map[string]map[string]map[string]scriptItem{"script_hosts": {"host.sshd": {}}}, failType: map[string]bool{}, failScop: map[string]bool{}}
		reg, err := connector.NewRegistry(append(builtin.Registrations(), sc.registration("script_hosts", host.Registration(), "host.sshd"),
			sc.registration("script_hr", hrcsv.Registration(), "hr.person"), sc.registration("script_okta", okta.Registration(), "okta.user"))...)
		if err != nil {
			t.Fatal(err)
		}
		in := newInstallation(t, st, reg, clock)
		if _, err := in.checks.SaveTest(ctx, in.p, "tests:\n  - id: acme.hosts.named\n    title: No host is named legacy\n    resource_type: host.sshd\n"+
			"    assert: '!resource.name.startsWith(\"legacy\")'\n    severity: low\n    controls: [VUL-04]\n"); err != nil {
			t.Fatal(err)
		}
		attrs := map[string]any{"installed": true, "password_authentication": false, "permit_root_login": "no", "permit_empty_passwords": false,
			"kbd_interactive_authentication": false, "max_auth_tries": 3, "caveats": []any{}}
		evaluate := func() check.Evaluation {
			t.Helper()
			rv, err := in.collect.Run(ctx, in.p, in.ins["fleet"], model.TriggerCLI)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := in.checks.EvaluateRun(ctx, in.p.Org.ID, rv.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ev
		}
		sc.items["script_hosts"]["host.sshd"]["h1"] = scriptItem{name: "web-1", attrs: attrs}
		if ev := evaluate(); ev.Incremental || len(ev.Changes) != 0 {
			t.Fatalf("first evaluation: incremental %v, %d changes", ev.Incremental, len(ev.Changes))
		}
		now = now.Add(time.Hour)
		sc.items["script_hosts"]["host.sshd"]["h1"] = scriptItem{name: "legacy-web-1", attrs: attrs}
		ev := evaluate()
		if !ev.Incremental || len(ev.Changes) != 1 || ev.Changes[0].TestID != "acme.hosts.named" || ev.Changes[0].To != model.TestFail {
			t.Fatalf("after the rename: incremental %v, changes %+v", ev.Incremental, ev.Changes)
		}
		// Nothing changed: nothing judged but the tests that read the clock.
		now = now.Add(time.Hour)
		if ev := evaluate(); !ev.Incremental || len(ev.Changes) != 0 || len(ev.Results) != 0 {
			t.Fatalf("unchanged run: incremental %v, %d changes, %d results", ev.Incremental, len(ev.Changes), len(ev.Results))
		}
	})
}
