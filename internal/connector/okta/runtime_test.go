package okta

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
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

// These tests run the connector through the real collection runtime: the
// HTTP discipline (retries, Okta's rate-limit headers, the wait bound),
// provenance in the database and the blob store, sealed secrets.

type runtimeEnv struct {
	svc     *collect.Service
	p       model.Principal
	replay  *replay
	dir     string // SQLite directory, or ""
	url     string // PostgreSQL URL, or ""
	blobDir string
	logs    *lockedBuffer

	mu     sync.Mutex
	clock  time.Time
	sleeps []time.Duration
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func newRuntimeEnv(t *testing.T, engine storetest.Engine) *runtimeEnv {
	t.Helper()
	ctx := context.Background()
	st, dir, u := engine.Open(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &runtimeEnv{dir: dir, url: u, blobDir: t.TempDir(), logs: &lockedBuffer{}, clock: now}
	if u != "" {
		e.dir = ""
	}
	e.replay = newReplay(t, now)
	blobs, err := blob.OpenLocal(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", now)
	if err != nil {
		t.Fatal(err)
	}
	e.p = model.Principal{Org: org, Role: model.RoleEditor, User: model.User{ID: 1, Email: "ed@example.com"}, Via: "cli"}
	box, err := secret.New(make([]byte, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	registry, err := connector.NewRegistry(Registration())
	if err != nil {
		t.Fatal(err)
	}
	e.svc = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: registry,
		Secrets: func() (*secret.Box, error) { return box, nil },
		Now:     e.now,
		Log:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP: collect.HTTPOptions{Transport: e.replay.srv.Client().Transport,
			Sleep: func(ctx context.Context, d time.Duration) error {
				e.mu.Lock()
				e.sleeps = append(e.sleeps, d)
				e.clock = e.clock.Add(d)
				e.mu.Unlock()
				return ctx.Err()
			},
			Jitter: func() float64 { return 0.5 }},
	})
	return e
}

// now advances a millisecond per reading, and by every wait.
func (e *runtimeEnv) now() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.clock = e.clock.Add(time.Millisecond)
	return e.clock
}

func (e *runtimeEnv) add(t *testing.T, cfg map[string]string) collect.IntegrationView {
	t.Helper()
	rate := 1000.0 // the test waits for nothing real
	in, err := e.svc.CreateIntegration(context.Background(), e.p, collect.IntegrationInput{Connector: "okta", Name: "okta", Config: cfg, RateLimit: &rate})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (e *runtimeEnv) run(t *testing.T, id int64) collect.RunView {
	t.Helper()
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
	t.Fatalf("run %d has no listing of %s", rv.ID, typ)
	return model.Listing{}
}

// throttled answers like Okta with its quota used up until reset, n times,
// then as recorded.
func throttled(r *replay, n int, reset time.Time, then reply) http.HandlerFunc {
	var mu sync.Mutex
	calls := 0
	return func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		calls++
		c := calls
		mu.Unlock()
		if c <= n {
			r.write(w, reply{status: http.StatusTooManyRequests, file: "error-429-E0000047.json", header: map[string]string{
				"X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": fmt.Sprint(reset.Unix())}})
			return
		}
		r.write(w, then)
	}
}

// TestThrottlingWaitedOut: a 429 with X-Rate-Limit-Remaining: 0 is waited
// out until X-Rate-Limit-Reset, then the call is made again and the run
// succeeds.
func TestThrottlingWaitedOut(t *testing.T) {
	e := newRuntimeEnv(t, storetest.Engines()[0])
	e.replay.set("GET /api/v1/users/"+bob+"/factors",
		reply{handler: throttled(e.replay, 1, now.Add(30*time.Second), reply{file: "factors-" + bob + ".json"})})
	in := e.add(t, map[string]string{"org_url": e.replay.srv.URL, "api_token": testAPIToken})
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded {
		t.Fatalf("run %s: %s", rv.Status, rv.Error)
	}
	if n := e.replay.count("GET /api/v1/users/" + bob + "/factors"); n != 2 {
		t.Fatalf("%d calls for bob's factors, want 2 (refused, then after the reset)", n)
	}
	waited := false
	for _, d := range e.sleeps {
		waited = waited || (d >= 29*time.Second && d <= 32*time.Second)
	}
	if !waited {
		t.Fatalf("waits %v: the reset 30 s away was not waited for", e.sleeps)
	}
}

// TestThrottlingBeyondTheBound: a reset further away than Assure waits
// stops the factor calls; the users listing is partial with the reason,
// the run partial, every other listing unaffected.
func TestThrottlingBeyondTheBound(t *testing.T) {
	e := newRuntimeEnv(t, storetest.Engines()[0])
	for _, u := range replayUsers {
		e.replay.set("GET /api/v1/users/"+u+"/factors", reply{handler: throttled(e.replay, 1000, now.Add(time.Hour), reply{})})
	}
	in := e.add(t, map[string]string{"org_url": e.replay.srv.URL, "api_token": testAPIToken, "lookup_concurrency": "1"})
	rv := e.run(t, in.ID)
	if rv.Status != model.RunPartial || !strings.Contains(rv.Error, "okta.user") {
		t.Fatalf("run %s: %s", rv.Status, rv.Error)
	}
	l := listingOf(t, rv, "okta.user")
	for _, want := range []string{"factors", "quota is used up until 2026-11-25T13:00:00Z", "longer than the 2m0s Assure waits"} {
		if l.Status != model.RunPartial || !strings.Contains(l.Error, want) {
			t.Errorf("okta.user listing %s %q lacks %q", l.Status, l.Error, want)
		}
	}
	if l.Resources != 5 {
		t.Errorf("%d users stored, want all 5 (with their factors unknown)", l.Resources)
	}
	calls := 0
	for _, u := range replayUsers {
		calls += e.replay.count("GET /api/v1/users/" + u + "/factors")
	}
	if calls != 1 {
		t.Errorf("%d factor calls: the quota answer should stop them", calls)
	}
	for _, other := range rv.Listings {
		if other.ResourceType != "okta.user" && other.Status != model.RunSucceeded {
			t.Errorf("listing %s: %s %s", other.ResourceType, other.Status, other.Error)
		}
	}
}

// TestSecretsNeverStored: the API token, the service app's private key and
// access token, and a factor's activation secret reach no stored place:
// database rows, blobs, logs. The token exchange is stored, redacted.
func TestSecretsNeverStored(t *testing.T) {
	rsaPEM, _ := testKeys(t)
	for _, engine := range storetest.Engines() {
		t.Run(engine.Name, func(t *testing.T) {
			e := newRuntimeEnv(t, engine)
			e.replay.appKey = &keyRSA.PublicKey
			app := e.add(t, map[string]string{"org_url": e.replay.srv.URL, "client_id": testClientID, "private_key": rsaPEM})
			if rv := e.run(t, app.ID); rv.Status != model.RunSucceeded {
				t.Fatalf("service app run %s: %s", rv.Status, rv.Error)
			}
			rate := 1000.0
			tok, err := e.svc.CreateIntegration(context.Background(), e.p, collect.IntegrationInput{Connector: "okta", Name: "okta-token",
				Config: map[string]string{"org_url": e.replay.srv.URL, "api_token": testAPIToken}, RateLimit: &rate})
			if err != nil {
				t.Fatal(err)
			}
			if rv := e.run(t, tok.ID); rv.Status != model.RunSucceeded {
				t.Fatalf("API token run %s: %s", rv.Status, rv.Error)
			}

			db := storetest.RawDB(t, e.dir, e.url)
			places := map[string]string{"database": dumpDB(t, db, e.url != ""), "log": e.logs.String()}
			tokenAnswers := 0
			filepath.Walk(e.blobDir, func(p string, info os.FileInfo, err error) error {
				if err == nil && !info.IsDir() {
					b, _ := os.ReadFile(p)
					places["blob "+filepath.Base(p)] = string(b)
					if bytes.Contains(b, []byte(`"access_token":"[redacted]"`)) {
						tokenAnswers++
					}
				}
				return nil
			})
			keyBody := strings.Split(strings.TrimSpace(rsaPEM), "\n")[3] // a line of the key's base64
			for where, text := range places {
				for name, secret := range map[string]string{"API token": testAPIToken, "access token": testAccessToken(t),
					"private key": keyBody, "TOTP activation secret": "HE64TMLL2IUZW2ZLB"} {
					if strings.Contains(text, secret) {
						t.Errorf("the %s appears in the %s", name, where)
					}
				}
			}
			if tokenAnswers != 1 {
				t.Errorf("%d stored token answers with the token redacted, want 1", tokenAnswers)
			}
			if !strings.Contains(places["database"], "/oauth2/v1/token") {
				t.Error("the token exchange is not among the observations")
			}
		})
	}
}

// dumpDB returns every value of every row of every table.
func dumpDB(t *testing.T, db *sql.DB, postgres bool) string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table'`
	if postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("only %d tables found", len(tables))
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					b.Write(bs)
				} else {
					fmt.Fprintf(&b, "%v", v)
				}
				b.WriteString("|")
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}
