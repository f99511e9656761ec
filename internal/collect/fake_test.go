package collect_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// The fake API: a REST service with a token, a paginated user list, a repo
// list and items per region, served by httptest with swappable handlers so
// each test can break one endpoint.

type fakeAPI struct {
	srv *httptest.Server
	mu  sync.Mutex
	h   map[string]http.HandlerFunc
	// hits counts requests per path.
	hits map[string]int
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{h: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path]++
		h := f.h[r.URL.Path]
		f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+fakeToken {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"message":"bad credentials"}`))
			return
		}
		if h == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		h(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.set("/ping", jsonBody(`{"ok":true}`))
	f.set("/users", f.users([]fakeUser{{"u1", "ann", true}, {"u2", "bob", false}, {"u3", "cy", true}}))
	f.set("/repos", jsonBody(`[{"id":"r1","name":"api","private":true},{"id":"r2","name":"web","private":false}]`))
	for _, region := range []string{"eu", "us"} {
		f.set("/regions/"+region+"/items", jsonBody(fmt.Sprintf(`[{"id":"%s-1","size":1}]`, region)))
	}
	return f
}

const fakeToken = "tok-S3CRET-value-0123456789"

func (f *fakeAPI) set(path string, h http.HandlerFunc) {
	f.mu.Lock()
	f.h[path] = h
	f.mu.Unlock()
}

func (f *fakeAPI) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *fakeAPI) resetHits() {
	f.mu.Lock()
	f.hits = map[string]int{}
	f.mu.Unlock()
}

func jsonBody(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(s))
	}
}

type fakeUser struct {
	ID, Login string
	MFA       bool
}

// users serves a user list two per page with Link headers.
func (f *fakeAPI) users(us []fakeUser) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page := 0
		fmt.Sscan(r.URL.Query().Get("page"), &page)
		end := min(page*2+2, len(us))
		var out []map[string]any
		for _, u := range us[min(page*2, len(us)):end] {
			out = append(out, map[string]any{"id": u.ID, "login": u.Login, "mfa": u.MFA})
		}
		if end < len(us) {
			w.Header().Set("Link", fmt.Sprintf(`</users?page=%d>; rel="next"`, page+1))
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	}
}

type fakeConn struct {
	base   string
	client *http.Client
	hdr    http.Header
	query  string // appended to every URL (tests secrets in query strings)
}

func (c *fakeConn) Probe(ctx context.Context) error {
	_, _, err := connector.Get(ctx, c.client, c.base+"/ping"+c.query, c.hdr)
	return err
}
func (c *fakeConn) Close() error { return nil }

// fakeRegistration is a REST connector over the fake API, written the way a
// real connector is: Runtime client, Pager, Track for provenance.
func fakeRegistration(block chan struct{}) connector.Registration {
	return connector.Registration{
		ID: "fakeapi", Name: "Fake API", Category: connector.CategoryCode, Description: "A test REST API.",
		Fields: []connector.ConfigField{
			{Name: "base_url", Label: "Base URL", Type: connector.FieldURL, Required: true, Help: "The API's address."},
			{Name: "token", Label: "Token", Type: connector.FieldString, Required: true, Secret: true, Help: "An API token."},
			{Name: "token_in_query", Label: "Token in query", Type: connector.FieldBool, Help: "Also send the token as ?access_token=."},
		},
		HTTP: connector.HTTPPolicy{RateLimit: 1000, Throttle: connector.RateLimitReset("X-RateLimit-Remaining", "X-RateLimit-Reset")},
		Open: func(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
			c := &fakeConn{base: strings.TrimRight(cfg.String("base_url"), "/"), client: rt.HTTPClient(),
				hdr: http.Header{"Authorization": {"Bearer " + cfg.String("token")}}}
			if q, _ := cfg.Bool("token_in_query"); q {
				c.query = "?access_token=" + cfg.String("token")
			}
			return c, nil
		},
		Resources: []connector.ResourceType{
			{Name: "fakeapi.user", Description: "Users.", Fields: []connector.Field{{Name: "login", Type: "string"}, {Name: "mfa", Type: "bool"}},
				List: connector.As(func(ctx context.Context, c *fakeConn, out connector.Emitter) error {
					if block != nil {
						<-block
					}
					p := connector.Pager{Client: c.client, Header: c.hdr, MaxPages: 10}
					return p.Each(ctx, c.base+"/users"+c.query, func(pg connector.Page) (string, error) {
						var us []struct {
							ID, Login string
							MFA       bool
						}
						if err := connector.DecodeJSON(pg.Response, pg.Body, &us); err != nil {
							return "", err
						}
						for _, u := range us {
							if err := out.Emit(ctx, connector.Resource{ExternalID: u.ID, Name: u.Login,
								Attributes: map[string]any{"login": u.Login, "mfa": u.MFA}}); err != nil {
								return "", err
							}
						}
						return connector.NextLink(pg.Response.Header), nil
					})
				})},
			{Name: "fakeapi.repo", Description: "Repositories.", Fields: []connector.Field{{Name: "private", Type: "bool"}},
				List: connector.As(func(ctx context.Context, c *fakeConn, out connector.Emitter) error {
					tctx, calls := connector.Track(ctx)
					var rs []struct {
						ID, Name string
						Private  bool
					}
					if _, err := connector.GetJSON(tctx, c.client, c.base+"/repos"+c.query, c.hdr, &rs); err != nil {
						return err
					}
					for _, r := range rs {
						if err := out.Emit(ctx, connector.Resource{ExternalID: r.ID, Name: r.Name, Calls: calls.Refs(),
							Attributes: map[string]any{"private": r.Private}}); err != nil {
							return err
						}
					}
					return nil
				})},
			{Name: "fakeapi.item", Description: "Items per region.", Fields: []connector.Field{{Name: "size", Type: "int"}},
				List: connector.As(func(ctx context.Context, c *fakeConn, out connector.Emitter) error {
					for _, region := range []string{"eu", "us"} {
						var items []struct {
							ID   string
							Size int
						}
						if _, err := connector.GetJSON(ctx, c.client, c.base+"/regions/"+region+"/items"+c.query, c.hdr, &items); err != nil {
							// A careless connector puts its credentials in the error.
							out.FailScope(region, fmt.Errorf("%w (sent %s)", err, c.hdr.Get("Authorization")))
							continue
						}
						for _, it := range items {
							if err := out.Emit(ctx, connector.Resource{ExternalID: it.ID, Scope: region, Attributes: map[string]any{"size": it.Size}}); err != nil {
								return err
							}
						}
					}
					return nil
				})},
		},
	}
}

// env is a collection service over a fresh store and blob directory.
type env struct {
	st      *store.Store
	dir     string // SQLite data directory, or "" on PostgreSQL
	url     string // PostgreSQL URL
	blobDir string
	svc     *collect.Service
	p       model.Principal
	logs    *syncBuffer
	api     *fakeAPI
	mu      sync.Mutex
	sleeps  []time.Duration
	now     time.Time
	hook    []collect.FinishedRun
	hookErr error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type envOpts struct {
	regs []connector.Registration
	http collect.HTTPOptions
}

func newEnv(t *testing.T, engine storetest.Engine, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	st, dir, u := engine.Open(t)
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{st: st, dir: dir, url: u, blobDir: t.TempDir(), logs: &syncBuffer{}, api: newFakeAPI(t),
		now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	blobs, err := blob.OpenLocal(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", e.now)
	if err != nil {
		t.Fatal(err)
	}
	e.p = model.Principal{Org: org, Role: model.RoleEditor, User: model.User{ID: 1, Email: "ed@example.com"}, Via: "cli"}
	box, err := secret.New(make([]byte, secret.KeySize), "test")
	if err != nil {
		t.Fatal(err)
	}
	regs := o.regs
	if regs == nil {
		regs = []connector.Registration{fakeRegistration(nil)}
	}
	registry, err := connector.NewRegistry(regs...)
	if err != nil {
		t.Fatal(err)
	}
	httpOpts := o.http
	httpOpts.Transport = e.api.srv.Client().Transport
	httpOpts.Sleep = func(ctx context.Context, d time.Duration) error {
		e.mu.Lock()
		e.sleeps = append(e.sleeps, d)
		e.mu.Unlock()
		return ctx.Err()
	}
	httpOpts.Jitter = func() float64 { return 0.5 }
	e.svc = collect.New(collect.Options{Store: st, Blobs: blobs, Registry: registry,
		Secrets: func() (*secret.Box, error) { return box, nil },
		Now:     e.clock,
		Log:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HTTP:    httpOpts,
		OnRunFinished: func(ctx context.Context, tx *store.OrgStore, fr collect.FinishedRun) error {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.hook = append(e.hook, fr)
			return e.hookErr
		},
	})
	return e
}

// clock advances a millisecond per reading, so times order like calls.
func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(time.Millisecond)
	return e.now
}

func (e *env) addFake(t *testing.T, extra map[string]string) collect.IntegrationView {
	t.Helper()
	cfg := map[string]string{"base_url": e.api.srv.URL, "token": fakeToken}
	for k, v := range extra {
		cfg[k] = v
	}
	in, err := e.svc.CreateIntegration(context.Background(), e.p, collect.IntegrationInput{Connector: "fakeapi", Name: "fake", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (e *env) run(t *testing.T, id int64) collect.RunView {
	t.Helper()
	rv, err := e.svc.Run(context.Background(), e.p, id, model.TriggerCLI)
	if err != nil {
		t.Fatal(err)
	}
	return rv
}

func listing(t *testing.T, rv collect.RunView, typ string) model.Listing {
	t.Helper()
	for _, l := range rv.Listings {
		if l.ResourceType == typ {
			return l
		}
	}
	t.Fatalf("run %d has no listing of %s: %+v", rv.ID, typ, rv.Listings)
	return model.Listing{}
}

// snapshot reads the resources of a type as id → "hash|removed|version".
func (e *env) snapshot(t *testing.T, typ string) map[string]string {
	t.Helper()
	page, err := e.svc.Resources(context.Background(), e.p, collect.ResourceQuery{Type: typ, Status: "all", Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range page.Resources {
		out[r.ExternalID] = fmt.Sprintf("%s|%v|%d", r.ContentHash, r.RemovedAt != nil, r.VersionID)
	}
	return out
}

// db opens the raw database for checks the service does not offer.
func (e *env) db(t *testing.T) *sql.DB {
	t.Helper()
	var db *sql.DB
	var err error
	if e.url != "" {
		db, err = sql.Open("pgx", e.url)
	} else {
		db, err = sql.Open("sqlite", filepath.Join(e.dir, "assure.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.db(t).QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dump returns every text value of every row of the collection tables.
func (e *env) dump(t *testing.T) string {
	t.Helper()
	db := e.db(t)
	var b strings.Builder
	for _, table := range []string{"integrations", "collection_runs", "run_listings", "listing_freshness", "observations", "resources", "resource_versions", "installation"} {
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
			rows.Scan(ptrs...)
			for _, v := range vals {
				fmt.Fprintf(&b, "%v|", v)
				if bs, ok := v.([]byte); ok {
					b.Write(bs)
				}
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

// blobFiles lists the stored blobs and their content.
func (e *env) blobFiles(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.Walk(filepath.Join(e.blobDir, "sha256"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			out[filepath.Base(p)] = b
		}
		return nil
	})
	return out
}

func sortedKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = io.Discard

func resourceQueryAll() collect.ResourceQuery { return collect.ResourceQuery{Status: "all", Limit: -1} }
