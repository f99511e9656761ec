package github

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
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

// Runs through the real collection runtime: its HTTP client (retries,
// Retry-After, GitHub's throttle signals waited out within the bound), its
// storage of observations and resources, and its redaction of secrets.

type runEnv struct {
	svc     *collect.Service
	p       model.Principal
	dir     string
	blobDir string
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
}

func newRunEnv(t *testing.T, maxWait time.Duration) *runEnv {
	t.Helper()
	ctx := context.Background()
	st, dir, _ := storetest.Engines()[0].Open(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &runEnv{dir: dir, blobDir: t.TempDir(), now: now}
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
	reg, err := connector.NewRegistry(Registration())
	if err != nil {
		t.Fatal(err)
	}
	e.svc = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: reg,
		Secrets: func() (*secret.Box, error) { return box, nil },
		Now:     e.clock,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		HTTP: collect.HTTPOptions{MaxWait: maxWait, Jitter: func() float64 { return 0.5 },
			// Waits are recorded and the clock moves on, so the test never sleeps.
			Sleep: func(ctx context.Context, d time.Duration) error {
				e.mu.Lock()
				e.sleeps = append(e.sleeps, d)
				e.now = e.now.Add(d)
				e.mu.Unlock()
				return ctx.Err()
			}},
	})
	return e
}

func (e *runEnv) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(time.Millisecond)
	return e.now
}

func (e *runEnv) run(t *testing.T, cfg connector.Config) collect.RunView {
	t.Helper()
	fast := 1000.0 // requests per second: the test server is local
	in, err := e.svc.CreateIntegration(context.Background(), e.p, collect.IntegrationInput{Connector: "github",
		Name: fmt.Sprintf("gh-%d", time.Now().UnixNano()), Config: cfg, RateLimit: &fast})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := e.svc.Run(context.Background(), e.p, in.ID, model.TriggerCLI)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func runListing(t *testing.T, rv collect.RunView, typ string) model.Listing {
	t.Helper()
	for _, l := range rv.Listings {
		if l.ResourceType == typ {
			return l
		}
	}
	t.Fatalf("no listing of %s in %+v", typ, rv.Listings)
	return model.Listing{}
}

// stored returns every text stored by the run: database rows and blobs.
func (e *runEnv) stored(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(e.dir, "assure.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, table := range []string{"integrations", "collection_runs", "run_listings", "observations", "resources", "resource_versions"} {
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
					fmt.Fprint(&b, v)
				}
				b.WriteString("|")
			}
		}
		rows.Close()
	}
	filepath.WalkDir(e.blobDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// A complete run: every listing stored, the 403 repository partial, and no
// secret anywhere in what was stored.
func TestCollectRun(t *testing.T) {
	r := newReplay(t)
	e := newRunEnv(t, 0)
	rv := e.run(t, tokenConfig(r))
	if rv.Status != model.RunPartial || !strings.Contains(rv.Error, "github.branch_protection") {
		t.Fatalf("run %s %q: want partial for the one repository answering 403", rv.Status, rv.Error)
	}
	for _, l := range rv.Listings {
		want := model.RunSucceeded
		if l.ResourceType == "github.branch_protection" {
			want = model.RunPartial
		}
		if l.Status != want {
			t.Errorf("listing %s: %s %q", l.ResourceType, l.Status, l.Error)
		}
	}
	bp := runListing(t, rv, "github.branch_protection")
	if !strings.Contains(bp.FailedScopes["acme-corp/infra"], "403") || bp.Resources != 3 {
		t.Errorf("branch protection listing: %+v", bp)
	}
	if l := runListing(t, rv, "github.pull_request"); l.Resources != 3 {
		t.Errorf("pull requests: %+v", l)
	}
	all := e.stored(t)
	if strings.Contains(all, testToken) {
		t.Fatal("the token was stored")
	}
	if !strings.Contains(all, "alice.admin@acme.example") {
		t.Fatal("the stored dump is empty: the check above proves nothing")
	}
}

// GitHub's primary rate limit answered once with a reset 30 seconds ahead:
// the client waits until the reset and the run succeeds for that listing.
func TestCollectWaitsOutThrottling(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdr  func(e *runEnv) map[string]string
		file string
		min  time.Duration
	}{
		{"primary limit with reset", func(e *runEnv) map[string]string {
			return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(30*time.Second).Unix(), 10)}
		}, "rate_limited.json", 30 * time.Second},
		{"secondary limit with Retry-After", func(e *runEnv) map[string]string {
			return map[string]string{"Retry-After": "45", "X-RateLimit-Remaining": "4000"}
		}, "secondary_rate_limited.json", 45 * time.Second},
		{"secondary limit without headers", func(e *runEnv) map[string]string {
			return map[string]string{"X-RateLimit-Remaining": "4000"}
		}, "secondary_rate_limited.json", time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReplay(t)
			e := newRunEnv(t, 0)
			r.set(route{method: "GET", path: "/repos/acme-corp/api/pulls", query: map[string]string{"state": "closed", "sort": "updated", "direction": "desc", "page": "1"},
				fn: throttledOnce(t, http.StatusForbidden, tc.hdr(e), tc.file, "pulls_api_1.json",
					map[string]string{"Link": link("/repositories/3001/pulls", "state=closed&sort=updated&direction=desc&per_page=100", 2, 3)},
					func() string { return r.srv.URL + "/api/v3" })})
			rv := e.run(t, tokenConfig(r))
			if l := runListing(t, rv, "github.pull_request"); l.Status != model.RunSucceeded || l.Resources != 3 {
				t.Fatalf("pull requests after the throttle: %+v", l)
			}
			waited := false
			for _, d := range e.sleeps {
				waited = waited || (d >= tc.min && d <= tc.min+2*time.Second)
			}
			if !waited {
				t.Fatalf("waits %v: want one of about %s", e.sleeps, tc.min)
			}
		})
	}
}

// A reset beyond the bound Assure waits: the listing fails saying until
// when, the run is partial, the other listings are stored.
func TestCollectThrottledBeyondTheBound(t *testing.T) {
	r := newReplay(t)
	e := newRunEnv(t, 0)
	reset := now.Add(time.Hour).Truncate(time.Second)
	r.set(route{method: "GET", path: "/repos/acme-corp/api/pulls", query: map[string]string{"state": "closed", "sort": "updated", "direction": "desc", "page": "1"},
		status: http.StatusForbidden, file: "rate_limited.json",
		header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}})
	rv := e.run(t, tokenConfig(r))
	l := runListing(t, rv, "github.pull_request")
	want := "quota is used up until " + reset.UTC().Format(time.RFC3339) + ", longer than the 2m0s Assure waits"
	if l.Status != model.RunFailed || !strings.Contains(l.Error, want) {
		t.Fatalf("pull requests: %s %q, want failed with %q", l.Status, l.Error, want)
	}
	if rv.Status != model.RunPartial || !strings.Contains(rv.Error, "github.pull_request") {
		t.Fatalf("run: %s %q", rv.Status, rv.Error)
	}
	if m := runListing(t, rv, "github.member"); m.Status != model.RunSucceeded || m.Resources != 4 {
		t.Fatalf("members: %+v", m)
	}
	if n := r.count("GET", "/repos/acme-corp/api/pulls"); n != 1 {
		t.Fatalf("%d attempts: beyond the bound the client must give up at once", n)
	}
}

// As an app, neither the private key nor an installation token is stored:
// the token exchange is recorded with the token replaced.
func TestCollectAsAppStoresNoSecret(t *testing.T) {
	clk := newClock(now)
	r := newAppReplay(t, clk)
	e := newRunEnv(t, 0)
	rv := e.run(t, appConfig(r))
	if rv.Status != model.RunPartial { // the infra repository answers 403
		t.Fatalf("run %s %q", rv.Status, rv.Error)
	}
	if l := runListing(t, rv, "github.member"); l.Status != model.RunSucceeded || l.Resources != 4 {
		t.Fatalf("members: %+v", l)
	}
	all := e.stored(t)
	block := strings.Split(strings.TrimSpace(testKeyPEM(t)), "\n")[3] // a line of the key's base64
	for what, secret := range map[string]string{"installation token": instToken, "private key": block} {
		if strings.Contains(all, secret) {
			t.Errorf("the %s was stored", what)
		}
	}
	if !strings.Contains(all, `"token": "[redacted]"`) {
		t.Error("the token exchange was not recorded with the token redacted")
	}
}
