package collect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store/storetest"
)

func sqliteOnly() storetest.Engine { return storetest.Engines()[0] }

// Collecting an unchanged system twice adds no resource version, no blob
// and no resource write; a change adds exactly one version; an absence from
// a successful listing marks the resource removed without deleting it.
func TestCollectTwiceThenChange(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			e := newEnv(t, engine, envOpts{})
			in := e.addFake(t, nil)
			first := e.run(t, in.ID)
			if first.Status != model.RunSucceeded || first.Added != 7 || first.Resources != 7 || first.Calls != 6 {
				t.Fatalf("first run: %+v", first)
			}
			if l := listing(t, first, "fakeapi.user"); l.Added != 3 || l.Status != model.RunSucceeded {
				t.Fatalf("users: %+v", l)
			}
			versions, blobs := e.count(t, "resource_versions"), len(e.blobFiles(t))
			resRows := e.dumpTable(t, "resources")

			second := e.run(t, in.ID)
			if second.Status != model.RunSucceeded || second.Added+second.Changed+second.Removed != 0 || second.Resources != 7 {
				t.Fatalf("second run of an unchanged system: %+v", second)
			}
			if got := e.count(t, "resource_versions"); got != versions {
				t.Fatalf("an unchanged system added versions: %d → %d", versions, got)
			}
			if got := len(e.blobFiles(t)); got != blobs {
				t.Fatalf("identical bodies stored again: %d → %d blobs", blobs, got)
			}
			if got := e.dumpTable(t, "resources"); got != resRows {
				t.Fatalf("unchanged resources were written:\nbefore %s\nafter  %s", resRows, got)
			}
			// Last seen follows the listing, not a per-resource write.
			r := e.resource(t, "fakeapi.user", "u1")
			if !r.LastSeenAt.After(r.FirstSeenAt) {
				t.Fatalf("last seen %v did not move past first seen %v", r.LastSeenAt, r.FirstSeenAt)
			}

			// bob gets MFA, cy leaves.
			e.api.set("/users", e.api.users([]fakeUser{{"u1", "ann", true}, {"u2", "bob", true}}))
			third := e.run(t, in.ID)
			if l := listing(t, third, "fakeapi.user"); l.Changed != 1 || l.Removed != 1 || l.Unchanged != 1 {
				t.Fatalf("third run users: %+v", l)
			}
			if got := e.count(t, "resource_versions"); got != versions+1 {
				t.Fatalf("one change, %d new versions", got-versions)
			}
			cy := e.resource(t, "fakeapi.user", "u3")
			if cy.RemovedAt == nil {
				t.Fatal("a user absent from a successful listing is not marked removed")
			}
			d, err := e.svc.Resource(context.Background(), e.p, e.resource(t, "fakeapi.user", "u2").ID)
			if err != nil || len(d.Versions) != 2 || d.Versions[0].Attributes["mfa"] != true || d.Versions[1].Attributes["mfa"] != false {
				t.Fatalf("bob's versions: %+v %v", d.Versions, err)
			}
			// Untracked resources stand on their listing's calls (two pages).
			if obs := d.Versions[0].Observations; len(obs) != 1 || obs[0].Path != "/users" {
				t.Fatalf("provenance of bob's new version: %+v", obs)
			}
			// Tracked ones on the exact call.
			repo, _ := e.svc.Resource(context.Background(), e.p, e.resource(t, "fakeapi.repo", "r1").ID)
			if obs := repo.Versions[0].Observations; len(obs) != 1 || obs[0].Path != "/repos" || obs[0].Status != 200 || len(obs[0].SHA256) != 64 {
				t.Fatalf("provenance of a tracked resource: %+v", obs)
			}
			// The raw body behind it is the API's answer.
			_, rc, err := e.svc.ObservationBody(context.Background(), e.p, repo.Versions[0].Observations[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(rc)
			rc.Close()
			if !strings.Contains(string(body), `"name":"api"`) {
				t.Fatalf("raw body: %s", body)
			}
			// cy comes back: a new version records it.
			e.api.set("/users", e.api.users([]fakeUser{{"u1", "ann", true}, {"u2", "bob", true}, {"u3", "cy", true}}))
			fourth := e.run(t, in.ID)
			if l := listing(t, fourth, "fakeapi.user"); l.Added != 1 {
				t.Fatalf("a returning user: %+v", l)
			}
			if e.resource(t, "fakeapi.user", "u3").RemovedAt != nil {
				t.Fatal("a returning user is still marked removed")
			}
			// Every run was handed on, with its observation digests.
			if len(e.hook) != 4 || len(e.hook[0].ObservationDigests) != 6 || len(e.hook[0].Changed) != 7 || len(e.hook[1].Changed) != 0 {
				t.Fatalf("hand-over: %d runs", len(e.hook))
			}
		})
	}
}

// wait polls a background run until it ends.
func (e *env) wait(t *testing.T, id int64) collect.RunView {
	t.Helper()
	for i := 0; i < 2000; i++ {
		rv, err := e.svc.RunView(context.Background(), e.p, id)
		if err != nil {
			t.Fatal(err)
		}
		if rv.Status != model.RunRunning {
			return rv
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("run %d did not finish", id)
	return collect.RunView{}
}

func (e *env) resource(t *testing.T, typ, ext string) model.Resource {
	t.Helper()
	page, err := e.svc.Resources(context.Background(), e.p, collect.ResourceQuery{Type: typ, Status: "all", Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range page.Resources {
		if r.ExternalID == ext {
			return r
		}
	}
	t.Fatalf("no %s %s", typ, ext)
	return model.Resource{}
}

func (e *env) dumpTable(t *testing.T, table string) string {
	t.Helper()
	rows, err := e.db(t).Query(`SELECT * FROM ` + table + ` ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

// Fault injection: each broken endpoint fails its listing (or scope) with
// the reason, retries stay bounded, and what was collected before stays.
func TestFaults(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached another host: %s", r.URL)
	}))
	defer other.Close()
	type check func(t *testing.T, e *env, rv collect.RunView)
	cases := []struct {
		name    string
		http    collect.HTTPOptions
		path    string
		handler http.HandlerFunc
		typ     string
		status  model.RunStatus // the listing's
		reason  string
		check   check
	}{
		{name: "500s", path: "/repos", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			typ: "fakeapi.repo", status: model.RunFailed, reason: "answered 500 Internal Server Error (after the retries",
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if n := e.api.count("/repos"); n != 5 {
					t.Fatalf("%d attempts, want 5 (bounded)", n)
				}
				if len(e.sleeps) != 4 {
					t.Fatalf("%d back-off waits, want 4", len(e.sleeps))
				}
				// Exponential with jitter 0.5: 250ms, 500ms, 1s, 2s.
				for i, want := range []time.Duration{250, 500, 1000, 2000} {
					if e.sleeps[i] != want*time.Millisecond {
						t.Errorf("wait %d: %s, want %s", i, e.sleeps[i], want*time.Millisecond)
					}
				}
			}},
		{name: "429 with Retry-After then success", path: "/repos", handler: retryAfterThen(2, "3"),
			typ: "fakeapi.repo", status: model.RunSucceeded,
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if n := e.api.count("/repos"); n != 3 || len(e.sleeps) != 2 || e.sleeps[0] != 3*time.Second {
					t.Fatalf("%d attempts, waits %v: Retry-After not honoured", n, e.sleeps)
				}
			}},
		{name: "429 with Retry-After as an HTTP date", path: "/repos", handler: retryAfterThen(1, "Sun, 01 Mar 2026 12:00:30 GMT"),
			typ: "fakeapi.repo", status: model.RunSucceeded,
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if len(e.sleeps) != 1 || e.sleeps[0] < 25*time.Second || e.sleeps[0] > 30*time.Second {
					t.Fatalf("waits %v, want about 30s", e.sleeps)
				}
			}},
		{name: "429 asking for too long", path: "/repos", handler: retryAfterThen(100, "3600"),
			typ: "fakeapi.repo", status: model.RunFailed, reason: "asks to retry after 1h0m0s (Retry-After), longer than the 2m0s Assure waits",
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if n := e.api.count("/repos"); n != 1 {
					t.Fatalf("%d attempts: it should give up at once", n)
				}
			}},
		{name: "provider throttling", path: "/repos", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC).Unix()))
			w.WriteHeader(403)
		}, typ: "fakeapi.repo", status: model.RunFailed, reason: "quota is used up until 2026-03-01T13:00:00Z, longer than the 2m0s Assure waits"},
		{name: "provider throttling waited out", path: "/repos", handler: throttledOnce(),
			typ: "fakeapi.repo", status: model.RunSucceeded,
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if n := e.api.count("/repos"); n != 2 || len(e.sleeps) != 1 || e.sleeps[0] < 30*time.Second || e.sleeps[0] > 32*time.Second {
					t.Fatalf("%d attempts, waits %v: the reset was not waited for", n, e.sleeps)
				}
			}},
		{name: "timeouts", http: collect.HTTPOptions{Timeout: 30 * time.Millisecond, MaxAttempts: 3}, path: "/repos",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}, typ: "fakeapi.repo", status: model.RunFailed, reason: "failed after 3 attempt(s): no complete answer within 30ms",
			check: func(t *testing.T, e *env, rv collect.RunView) {
				if n := e.api.count("/repos"); n != 3 {
					t.Fatalf("%d attempts, want 3", n)
				}
			}},
		{name: "malformed JSON", path: "/repos", handler: jsonBody(`[{"id": "r1",`),
			typ: "fakeapi.repo", status: model.RunFailed, reason: "is not the JSON expected"},
		{name: "pagination loop", path: "/users", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `</users?page=0>; rel="next"`)
			jsonBody(`[{"id":"u1","login":"ann","mfa":true}]`)(w, r)
		}, typ: "fakeapi.user", status: model.RunFailed, reason: "links back to a page already read"},
		{name: "endless pages", path: "/users", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `</users?page=`+r.URL.Query().Get("page")+`1>; rel="next"`)
			jsonBody(`[]`)(w, r)
		}, typ: "fakeapi.user", status: model.RunFailed, reason: "stopped after 10 pages"},
		{name: "cross-host next link", path: "/users", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", `<`+other.URL+`/users?page=1>; rel="next"`)
			jsonBody(`[{"id":"u1","login":"ann","mfa":true}]`)(w, r)
		}, typ: "fakeapi.user", status: model.RunFailed, reason: "refusing to follow a link to another host"},
		{name: "cross-host redirect", path: "/repos", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/repos", http.StatusFound)
		}, typ: "fakeapi.repo", status: model.RunFailed, reason: "refusing the redirect"},
		{name: "one scope fails", path: "/regions/eu/items", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			typ: "fakeapi.item", status: model.RunPartial, reason: "eu: GET",
			check: func(t *testing.T, e *env, rv collect.RunView) {
				l := listing(t, rv, "fakeapi.item")
				if l.FailedScopes["eu"] == "" || l.Removed != 0 {
					t.Fatalf("failed scope: %+v", l)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, sqliteOnly(), envOpts{http: tc.http})
			in := e.addFake(t, nil)
			if rv := e.run(t, in.ID); rv.Status != model.RunSucceeded {
				t.Fatalf("baseline run: %+v", rv)
			}
			before := e.snapshot(t, tc.typ)
			e.api.set(tc.path, tc.handler)
			e.api.resetHits()
			e.sleeps = nil
			rv := e.run(t, in.ID)
			l := listing(t, rv, tc.typ)
			if l.Status != tc.status || !strings.Contains(l.Error, tc.reason) {
				t.Fatalf("listing %s: %s %q, want %s containing %q", tc.typ, l.Status, l.Error, tc.status, tc.reason)
			}
			wantRun := model.RunPartial
			if tc.status == model.RunSucceeded {
				wantRun = model.RunSucceeded
			}
			if rv.Status != wantRun || (wantRun == model.RunPartial && !strings.Contains(rv.Error, tc.typ)) {
				t.Fatalf("run: %s %q", rv.Status, rv.Error)
			}
			if after := e.snapshot(t, tc.typ); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("earlier resources changed:\nbefore %v\nafter  %v", before, after)
			}
			// Other listings are unaffected.
			for _, other := range rv.Listings {
				if other.ResourceType != tc.typ && other.Status != model.RunSucceeded {
					t.Fatalf("listing %s: %+v", other.ResourceType, other)
				}
			}
			if tc.check != nil {
				tc.check(t, e, rv)
			}
		})
	}
}

// throttledOnce answers like GitHub with its quota used up until 30 seconds
// after the test clock's start, then normally.
func throttledOnce() http.HandlerFunc {
	calls := 0
	return func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Date(2026, 3, 1, 12, 0, 30, 0, time.UTC).Unix()))
			w.WriteHeader(http.StatusForbidden)
			return
		}
		jsonBody(`[{"id":"r1","name":"api","private":true},{"id":"r2","name":"web","private":false}]`)(w, r)
	}
}

func retryAfterThen(n int, after string) http.HandlerFunc {
	calls := 0
	return func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= n {
			w.Header().Set("Retry-After", after)
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		jsonBody(`[{"id":"r1","name":"api","private":true},{"id":"r2","name":"web","private":false}]`)(w, r)
	}
}

// A refused probe fails the run before any listing: nothing changes.
func TestProbeFailureFailsTheRun(t *testing.T) {
	e := newEnv(t, sqliteOnly(), envOpts{})
	in := e.addFake(t, nil)
	e.run(t, in.ID)
	before := fmt.Sprint(e.snapshot(t, "fakeapi.user"), e.snapshot(t, "fakeapi.repo"))
	e.api.set("/ping", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	rv := e.run(t, in.ID)
	if rv.Status != model.RunFailed || !strings.Contains(rv.Error, "the connection test failed") || !strings.Contains(rv.Error, "credentials were refused") || len(rv.Listings) != 0 {
		t.Fatalf("run: %+v", rv)
	}
	if after := fmt.Sprint(e.snapshot(t, "fakeapi.user"), e.snapshot(t, "fakeapi.repo")); after != before {
		t.Fatal("a failed probe changed resources")
	}
	res, err := e.svc.TestIntegration(context.Background(), e.p, in.ID)
	if err != nil || res.OK || !strings.Contains(res.Error, "401") {
		t.Fatalf("test: %+v %v", res, err)
	}
}

// Every listing failing is a failed run, not a partial one.
func TestEveryListingFailed(t *testing.T) {
	reg := fakeRegistration(nil)
	reg.Resources = reg.Resources[:2] // users and repos: no scopes
	e := newEnv(t, sqliteOnly(), envOpts{regs: []connector.Registration{reg}})
	in := e.addFake(t, nil)
	for _, p := range []string{"/users", "/repos"} {
		e.api.set(p, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) })
	}
	if rv := e.run(t, in.ID); rv.Status != model.RunFailed || !strings.Contains(rv.Error, "every listing failed") || !strings.Contains(rv.Error, "404") {
		t.Fatalf("all listings failed: %s %q", rv.Status, rv.Error)
	}
}

// Never two runs of one integration at once; a run left by a crashed
// process is declared interrupted and no longer blocks.
func TestOneRunAtATime(t *testing.T) {
	block := make(chan struct{})
	e := newEnv(t, sqliteOnly(), envOpts{regs: []connector.Registration{fakeRegistration(block)}})
	in := e.addFake(t, nil)
	ctx := context.Background()
	started, err := e.svc.Start(ctx, e.p, in.ID, model.TriggerPage)
	if err != nil || started.Status != model.RunRunning {
		t.Fatalf("start: %+v %v", started, err)
	}
	if _, err := e.svc.Run(ctx, e.p, in.ID, model.TriggerCLI); !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), "being collected already") {
		t.Fatalf("second run while one runs: %v", err)
	}
	close(block)
	got := e.wait(t, started.ID)
	if got.Status != model.RunSucceeded {
		t.Fatalf("background run: %+v", got)
	}

	// A crashed process: a run row still "running", its heartbeat long gone.
	stale, err := e.st.Org(e.p.Org.ID).StartRun(ctx, in.ID, model.TriggerSchedule, "dead:1", e.now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := e.svc.Run(ctx, e.p, in.ID, model.TriggerCLI)
	if err != nil || rv.Status != model.RunSucceeded {
		t.Fatalf("run after a crash: %+v %v", rv, err)
	}
	old, _ := e.svc.RunView(ctx, e.p, stale.ID)
	if old.Status != model.RunFailed || !strings.Contains(old.Error, "interrupted") {
		t.Fatalf("stale run: %+v", old)
	}
}

// Shutting down cancels a background run, which records itself failed.
func TestShutdownFailsBackgroundRun(t *testing.T) {
	e := newEnv(t, sqliteOnly(), envOpts{})
	in := e.addFake(t, nil)
	e.api.set("/users", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	ctx := context.Background()
	rv, err := e.svc.Start(ctx, e.p, in.ID, model.TriggerAPI)
	if err != nil {
		t.Fatal(err)
	}
	for e.api.count("/users") == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	e.svc.Shutdown(ctx)
	got, _ := e.svc.RunView(ctx, e.p, rv.ID)
	if got.Status == model.RunRunning || got.Status == model.RunSucceeded {
		t.Fatalf("after shutdown: %+v", got)
	}
	if l := listing(t, got, "fakeapi.user"); l.Status != model.RunFailed || !strings.Contains(l.Error, "canceled") {
		t.Fatalf("listing: %+v", l)
	}
}

// A hand-over that fails leaves the run failed with the reason.
func TestHandOverFailure(t *testing.T) {
	e := newEnv(t, sqliteOnly(), envOpts{})
	e.hookErr = errors.New("ledger unavailable")
	in := e.addFake(t, nil)
	rv := e.run(t, in.ID)
	if rv.Status != model.RunFailed || !strings.Contains(rv.Error, "could not be handed on: ledger unavailable") {
		t.Fatalf("run: %+v", rv)
	}
}

func TestIntegrationValidation(t *testing.T) {
	e := newEnv(t, sqliteOnly(), envOpts{})
	ctx := context.Background()
	for name, tc := range map[string]struct {
		in   collect.IntegrationInput
		want string
	}{
		"unknown connector": {collect.IntegrationInput{Connector: "nope", Name: "x"}, `unknown connector "nope" (available: fakeapi`},
		"bad name":          {collect.IntegrationInput{Connector: "fakeapi", Name: "a b/c"}, "not a valid integration name"},
		"missing required":  {collect.IntegrationInput{Connector: "fakeapi", Name: "x", Config: map[string]string{"token": "t"}}, "base_url: is required"},
		"unknown field":     {collect.IntegrationInput{Connector: "fakeapi", Name: "x", Config: map[string]string{"base_url": "http://a", "token": "t", "colour": "red"}}, `no configuration field "colour"`},
		"bad url":           {collect.IntegrationInput{Connector: "fakeapi", Name: "x", Config: map[string]string{"base_url": "ftp://a", "token": "t"}}, "must be an http(s) URL"},
		"bad bool":          {collect.IntegrationInput{Connector: "fakeapi", Name: "x", Config: map[string]string{"base_url": "http://a", "token": "t", "token_in_query": "maybe"}}, "not true or false"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.CreateIntegration(ctx, e.p, tc.in)
			if !model.IsValidation(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	viewer := e.p
	viewer.Role = model.RoleViewer
	if _, err := e.svc.CreateIntegration(ctx, viewer, collect.IntegrationInput{Connector: "fakeapi", Name: "x"}); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("viewer adds: %v", err)
	}
	in := e.addFake(t, nil)
	if _, err := e.svc.Run(ctx, viewer, in.ID, model.TriggerCLI); !errors.Is(err, model.ErrForbidden) {
		t.Fatalf("viewer runs: %v", err)
	}
	if _, err := e.svc.SetEnabled(ctx, e.p, in.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Run(ctx, e.p, in.ID, model.TriggerCLI); !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), "disabled") {
		t.Fatalf("disabled run: %v", err)
	}
	// Changing a plain field keeps the secret; the integration still collects.
	name := "renamed"
	url := e.api.srv.URL + "/"
	enabled := true
	v, err := e.svc.UpdateIntegration(ctx, e.p, in.ID, collect.IntegrationUpdate{Name: &name, Enabled: &enabled, Config: map[string]*string{"base_url": &url}})
	if err != nil || v.Name != "renamed" || len(v.SecretFields) != 1 || v.Config["base_url"] != url {
		t.Fatalf("update: %+v %v", v, err)
	}
	if rv := e.run(t, in.ID); rv.Status != model.RunSucceeded {
		t.Fatalf("after update: %+v", rv)
	}
	if err := e.svc.RemoveIntegration(ctx, e.p, in.ID); err != nil {
		t.Fatal(err)
	}
	page, _ := e.svc.Resources(ctx, e.p, collect.ResourceQuery{})
	if page.Total != 0 {
		t.Fatalf("%d resources still present after removal", page.Total)
	}
	page, _ = e.svc.Resources(ctx, e.p, collect.ResourceQuery{Status: "removed"})
	if page.Total != 7 {
		t.Fatalf("%d removed resources kept, want 7", page.Total)
	}
	if _, err := e.svc.Run(ctx, e.p, in.ID, model.TriggerCLI); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("run of a removed integration: %v", err)
	}
}
