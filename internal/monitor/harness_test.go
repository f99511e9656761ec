package monitor_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
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
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// fakeHosts is a connector ("fake_host") that emits host.sshd resources
// from a map the test changes between runs, so the built-in SSH tests
// judge them.
type fakeHosts struct {
	mu       sync.Mutex
	machines map[string]map[string]any // external id → attributes
	probeErr error
	runs     int
}

func sshd(passwords bool) map[string]any {
	return map[string]any{"installed": true, "permit_root_login": "no", "password_authentication": passwords,
		"kbd_interactive_authentication": false, "permit_empty_passwords": false, "max_auth_tries": 3, "caveats": []any{}}
}

func (f *fakeHosts) set(id string, attrs map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if attrs == nil {
		delete(f.machines, id)
		return
	}
	f.machines[id] = attrs
}

func (f *fakeHosts) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probeErr = err
}

func (f *fakeHosts) Probe(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs++
	return f.probeErr
}

func (f *fakeHosts) Close() error { return nil }

func (f *fakeHosts) registration() connector.Registration {
	var typ connector.ResourceType
	for _, rt := range host.Registration().Resources {
		if rt.Name == "host.sshd" {
			typ = rt
		}
	}
	typ.List = func(ctx context.Context, _ connector.Conn, out connector.Emitter) error {
		f.mu.Lock()
		var ids []string
		for id := range f.machines {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var rs []connector.Resource
		for _, id := range ids {
			rs = append(rs, connector.Resource{ExternalID: id, Name: id, Attributes: f.machines[id]})
		}
		f.mu.Unlock()
		for _, r := range rs {
			if err := out.Emit(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	return connector.Registration{ID: "fake_host", Name: "Fake hosts", Category: connector.CategoryInfrastructure,
		Description: "Machines the test describes.",
		Open:        func(context.Context, connector.Config, connector.Runtime) (connector.Conn, error) { return f, nil },
		Resources:   []connector.ResourceType{typ}}
}

// world is one installation: store, collection, tests, evidence and a
// monitor, with a clock the test moves.
type world struct {
	t       testing.TB
	st      *store.Store
	mu      sync.Mutex
	now     time.Time
	hosts   *fakeHosts
	reg     *connector.Registry
	blobs   blob.Store
	box     *secret.Box
	cat     *catalog.Service
	checks  *check.Service
	ev      *evidence.Service
	collect *collect.Service
	mon     *monitor.Service
	p       model.Principal
	in      collect.IntegrationView
	httpc   *http.Client
	roots   *x509.CertPool
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newWorld(t testing.TB, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, st: st, now: t0, hosts: &fakeHosts{machines: map[string]map[string]any{}}}
	var err error
	if w.reg, err = connector.NewRegistry(append(builtin.Registrations(), w.hosts.registration())...); err != nil {
		t.Fatal(err)
	}
	if w.blobs, err = blob.OpenLocal(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secret.KeySize)
	_, _ = rand.Read(key)
	if w.box, err = secret.New(key, "test key"); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	w.cat = catalog.NewService(st, cat, w.clock, nil)
	k, _, err := ledger.LoadOrCreateKey(t.TempDir() + "/key.pem")
	if err != nil {
		t.Fatal(err)
	}
	w.ev = evidence.New(evidence.Deps{Store: st, Blobs: w.blobs, Ledger: ledger.NewLog(st, k, "test", w.clock), Controls: w.cat, Now: w.clock, MaxUpload: 1 << 20})
	if w.checks, err = check.New(check.Deps{Store: st, Registry: w.reg, Catalog: w.cat, Evidence: w.ev, Now: w.clock, Log: quiet()}); err != nil {
		t.Fatal(err)
	}
	w.collect = collect.New(collect.Options{Store: st, Blobs: w.blobs, Registry: w.reg, Now: w.clock, Log: quiet(),
		Secrets: func() (*secret.Box, error) { return w.box, nil },
		OnRunFinished: func(ctx context.Context, tx *store.OrgStore, fr collect.FinishedRun) error {
			return w.mon.RunFinished(ctx, tx, fr)
		}})
	w.mon = w.newMonitor()
	org, err := st.CreateOrganization(ctx, "acme", "Acme", "UTC", t0)
	if err != nil {
		t.Fatal(err)
	}
	w.p = model.Principal{Org: org, Role: model.RoleOwner, Via: "session", User: model.User{ID: 1, Email: "owner@acme.test"}}
	return w
}

// newMonitor is another process's monitor on the same database (a second
// server, or the same one after a restart).
func (w *world) newMonitor() *monitor.Service {
	return monitor.New(monitor.Options{Store: w.st, Collect: w.collect, Checks: w.checks, Evidence: w.ev, Catalog: w.cat,
		Secrets: func() (*secret.Box, error) { return w.box, nil }, Now: w.clock, Log: quiet(), BaseURL: "https://assure.example.com",
		Jitter: func(time.Duration) time.Duration { return 0 }, HTTPClient: w.httpc, SMTPRootCAs: w.roots})
}

func (w *world) addIntegration(name string, interval time.Duration) collect.IntegrationView {
	w.t.Helper()
	d := model.Duration(interval)
	in, err := w.collect.CreateIntegration(context.Background(), w.p, collect.IntegrationInput{Connector: "fake_host", Name: name, Interval: &d})
	if err != nil {
		w.t.Fatal(err)
	}
	return in
}

// tick runs one scheduler tick of m and waits for the runs it started.
func (w *world) tick(m *monitor.Service) []int64 {
	w.t.Helper()
	started, err := m.Tick(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	m.Wait()
	return started
}

func (w *world) runs(integrationID int64) []model.Run {
	w.t.Helper()
	runs, err := w.st.Org(w.p.Org.ID).Runs(context.Background(), store.RunFilter{IntegrationID: integrationID, Limit: 1000})
	if err != nil {
		w.t.Fatal(err)
	}
	return runs
}

func (w *world) schedule(integrationID int64) model.Schedule {
	w.t.Helper()
	s, ok, err := w.st.Org(w.p.Org.ID).Schedule(context.Background(), integrationID)
	if err != nil || !ok {
		w.t.Fatalf("no schedule for integration %d: %v", integrationID, err)
	}
	return s
}

// receiver is an HTTP endpoint that records what it receives and answers
// with the statuses it is given (then 200).
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	statuses []int
	check    func(h http.Header, body []byte) error
	refused  []error
}

func newReceiver(t testing.TB, check func(h http.Header, body []byte) error) *receiver {
	r := &receiver{check: check}
	r.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.check != nil {
			if err := r.check(req.Header, body); err != nil {
				r.refused = append(r.refused, err)
				http.Error(rw, err.Error(), http.StatusUnauthorized)
				return
			}
		}
		if len(r.statuses) > 0 {
			st := r.statuses[0]
			r.statuses = r.statuses[1:]
			if st != http.StatusOK {
				rw.WriteHeader(st)
				rw.Write([]byte(`{"error":"try later"}`))
				return
			}
		}
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		rw.Write([]byte("ok"))
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) received() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

func (r *receiver) fail(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(r.statuses, statuses...)
}

func (w *world) dispatch(m *monitor.Service) monitor.DispatchResult {
	w.t.Helper()
	res, err := m.Dispatch(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

var errProbe = errors.New("the host cannot be reached")
