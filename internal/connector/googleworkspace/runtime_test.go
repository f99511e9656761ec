package googleworkspace

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store/storetest"
)

// These tests run the connector through the real collection runtime (the
// HTTP discipline, the redactor, the store and the blob store) against the
// replay, with waits recorded instead of slept.

type env struct {
	svc     *collect.Service
	p       model.Principal
	replay  *replay
	dataDir string
	blobDir string
	logs    *strings.Builder

	mu     sync.Mutex
	sleeps []time.Duration
}

func newEnv(t *testing.T, maxAttempts int) *env {
	t.Helper()
	ctx := context.Background()
	st, dir, _ := storetest.Engines()[0].Open(t) // SQLite: the runtime, not the engine, is under test
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{replay: newReplay(t), dataDir: dir, blobDir: t.TempDir(), logs: &strings.Builder{}}
	blobs, err := blob.OpenLocal(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", start)
	if err != nil {
		t.Fatal(err)
	}
	e.p = model.Principal{Org: org, Role: model.RoleEditor, User: model.User{ID: 1, Email: "ed@example.com"}, Via: "cli"}
	box, err := secret.New(make([]byte, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := connector.NewRegistry(Registration())
	if err != nil {
		t.Fatal(err)
	}
	var clockMu sync.Mutex
	clock := start
	e.svc = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: reg,
		Secrets: func() (*secret.Box, error) { return box, nil },
		Now: func() time.Time {
			clockMu.Lock()
			defer clockMu.Unlock()
			clock = clock.Add(time.Millisecond)
			return clock
		},
		Log: slog.New(slog.NewTextHandler(&lockedWriter{b: e.logs, mu: &e.mu}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: collect.HTTPOptions{MaxAttempts: maxAttempts,
			Sleep: func(ctx context.Context, d time.Duration) error {
				e.mu.Lock()
				e.sleeps = append(e.sleeps, d)
				e.mu.Unlock()
				return ctx.Err()
			},
			Jitter: func() float64 { return 0.5 }},
	})
	return e
}

type lockedWriter struct {
	b  *strings.Builder
	mu *sync.Mutex
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (e *env) add(t *testing.T) collect.IntegrationView {
	t.Helper()
	in, err := e.svc.CreateIntegration(context.Background(), e.p, collect.IntegrationInput{
		Connector: "google_workspace", Name: "workspace", Config: e.replay.config()})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (e *env) run(t *testing.T, id int64) collect.RunView {
	t.Helper()
	e.mu.Lock()
	e.sleeps = nil
	e.mu.Unlock()
	rv, err := e.svc.Run(context.Background(), e.p, id, model.TriggerCLI)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func listingOf(t *testing.T, rv collect.RunView, typ string) model.Listing {
	t.Helper()
	for _, l := range rv.Listings {
		if l.ResourceType == typ {
			return l
		}
	}
	t.Fatalf("run has no listing of %s: %+v", typ, rv.Listings)
	return model.Listing{}
}

// stored returns the text of every file Assure wrote: the database (and its
// write-ahead log) and every blob.
func (e *env) stored(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"log": e.logs.String()}
	for _, root := range []string{e.dataDir, e.blobDir} {
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				out[p] = string(b)
			}
			return nil
		})
	}
	return out
}

// A run collects both types; the token exchange is stored as an observation
// whose body no longer holds the access token; no stored byte holds the
// access token, the signed assertion or the private key.
func TestRunStoresNoSecret(t *testing.T) {
	e := newEnv(t, 5)
	in := e.add(t)
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded {
		t.Fatalf("run: %s %q", rv.Status, rv.Error)
	}
	if l := listingOf(t, rv, "google_workspace.user"); l.Resources != 5 {
		t.Fatalf("users: %+v", l)
	}
	if l := listingOf(t, rv, "google_workspace.role_assignment"); l.Resources != 5 {
		t.Fatalf("role assignments: %+v", l)
	}
	detail, err := e.svc.RunDetail(context.Background(), e.p, rv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var token *collect.ObservationView
	for i, o := range detail.Observations {
		if o.Method == http.MethodPost && o.Path == "/token" {
			token = &detail.Observations[i]
		}
	}
	if token == nil || !token.Redacted || token.Status != 200 {
		t.Fatalf("the token exchange is not stored as a redacted observation: %+v", token)
	}
	_, body, err := e.svc.ObservationBody(context.Background(), e.p, token.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if !strings.Contains(string(b), `"access_token": "[redacted]"`) {
		t.Fatalf("stored token answer: %s", b)
	}

	key, pk := testKey(t)
	var kf struct {
		PrivateKey string `json:"private_key"`
	}
	json.Unmarshal([]byte(key), &kf)
	keyLine := strings.Split(kf.PrivateKey, "\n")[5] // a line of the PEM body
	if len(e.replay.assertions) == 0 || pk == nil {
		t.Fatal("no assertion was made")
	}
	for where, text := range e.stored(t) {
		for what, secret := range map[string]string{"access token": e.replay.token, "private key": keyLine, "assertion": e.replay.assertions[0]} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s is stored in %s", what, where)
			}
		}
	}
}

// Google's 403 userRateLimitExceeded (no reset time) is backed off within
// the bounded attempts, then the users listing fails with the reason and
// the run is partial; the other listing and the users stored before are
// untouched.
func TestThrottlingIsWaitedOutThenPartial(t *testing.T) {
	e := newEnv(t, 4)
	in := e.add(t)
	if rv := e.run(t, in.ID); rv.Status != model.RunSucceeded {
		t.Fatalf("baseline run: %s %q", rv.Status, rv.Error)
	}
	before, err := e.svc.Resources(context.Background(), e.p, collect.ResourceQuery{Type: "google_workspace.user", Status: "all", Limit: -1})
	if err != nil || len(before.Resources) != 5 {
		t.Fatalf("baseline users: %d, %v", len(before.Resources), err)
	}

	// The listing (not the probe before it) is throttled twice, then
	// served: waited out, the run succeeds.
	calls := 0
	e.replay.set(usersPath, listingOnly(e, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= 2 {
			serveFile(t, 403, "error_user_rate_limit.json")(w, r)
			return
		}
		e.replay.set(usersPath, nil)
		e.replay.serve(w, r)
	}))
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded || calls != 3 {
		t.Fatalf("run %s %q after %d throttled calls: the throttling was not waited out", rv.Status, rv.Error, calls)
	}
	if len(e.sleeps) != 2 || e.sleeps[0] != 250*time.Millisecond || e.sleeps[1] != 500*time.Millisecond {
		t.Fatalf("waits %v, want exponential back-off [250ms 500ms]", e.sleeps)
	}

	// Throttled for good: 4 attempts, 3 waits, then partial with the reason.
	e.replay.set(usersPath, listingOnly(e, serveFile(t, 403, "error_user_rate_limit.json")))
	hits := e.replay.count(usersPath) + 1 // and the probe
	rv = e.run(t, in.ID)
	l := listingOf(t, rv, "google_workspace.user")
	if rv.Status != model.RunPartial || l.Status != model.RunFailed || !strings.Contains(l.Error, "userRateLimitExceeded") ||
		!strings.Contains(l.Error, "throttled") || !strings.Contains(rv.Error, "google_workspace.user") {
		t.Fatalf("run %s %q; listing %s %q", rv.Status, rv.Error, l.Status, l.Error)
	}
	if n := e.replay.count(usersPath) - hits; n != 4 || len(e.sleeps) != 3 {
		t.Fatalf("%d attempts, waits %v: want 4 attempts and 3 waits", n, e.sleeps)
	}
	if ra := listingOf(t, rv, "google_workspace.role_assignment"); ra.Status != model.RunSucceeded {
		t.Fatalf("role assignments: %+v", ra)
	}
	after, err := e.svc.Resources(context.Background(), e.p, collect.ResourceQuery{Type: "google_workspace.user", Status: "all", Limit: -1})
	if err != nil || len(after.Resources) != 5 {
		t.Fatalf("users after: %d, %v", len(after.Resources), err)
	}
	for i := range after.Resources {
		if after.Resources[i].RemovedAt != nil || after.Resources[i].ContentHash != before.Resources[i].ContentHash {
			t.Fatalf("a stored user changed: %+v", after.Resources[i])
		}
	}
}

// listingOnly answers users.list with h except for the probe (maxResults=1),
// which is served as usual.
func listingOnly(e *env, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("maxResults") == "1" {
			serveFile(e.replay.t, 200, "users_probe.json")(w, r)
			return
		}
		h(w, r)
	}
}

// A 429 with Retry-After is waited as asked; a 429 that never ends leaves
// the listing failed with the reason after the bounded attempts.
func TestTooManyRequests(t *testing.T) {
	e := newEnv(t, 3)
	in := e.add(t)
	calls := 0
	e.replay.set(rolesPath, func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "7")
			serveFile(t, 429, "error_rate_limit.json")(w, r)
			return
		}
		serveFile(t, 200, "roles.json")(w, r)
	})
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded || len(e.sleeps) != 1 || e.sleeps[0] != 7*time.Second {
		t.Fatalf("run %s %q, waits %v: Retry-After was not honoured", rv.Status, rv.Error, e.sleeps)
	}
	e.replay.set(rolesPath, serveFile(t, 429, "error_rate_limit.json"))
	rv = e.run(t, in.ID)
	l := listingOf(t, rv, "google_workspace.role_assignment")
	if rv.Status != model.RunPartial || l.Status != model.RunFailed || !strings.Contains(l.Error, "rateLimitExceeded") || len(e.sleeps) != 2 {
		t.Fatalf("run %s; listing %s %q; waits %v", rv.Status, l.Status, l.Error, e.sleeps)
	}
}

// A refused delegation fails the run at the probe, with the advice, and
// the secret appears nowhere.
func TestRefusedDelegationFailsTheRun(t *testing.T) {
	e := newEnv(t, 3)
	in := e.add(t)
	e.replay.tokenFile, e.replay.tokenCode = "token_unauthorized_client.json", 401
	rv := e.run(t, in.ID)
	if rv.Status != model.RunFailed || !strings.Contains(rv.Error, "domain-wide delegation is not granted") ||
		!strings.Contains(rv.Error, scopes[1]) {
		t.Fatalf("run %s %q", rv.Status, rv.Error)
	}
	res, err := e.svc.TestIntegration(context.Background(), e.p, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(res)
	if !strings.Contains(string(out), testClientID) {
		t.Fatalf("connection test: %s", out)
	}
	key, _ := testKey(t)
	var kf struct {
		PrivateKey string `json:"private_key"`
	}
	json.Unmarshal([]byte(key), &kf)
	keyLine := strings.Split(kf.PrivateKey, "\n")[5]
	for where, text := range e.stored(t) {
		if strings.Contains(text, keyLine) {
			t.Errorf("the private key is stored in %s", where)
		}
	}
}
