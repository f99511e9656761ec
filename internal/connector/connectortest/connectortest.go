// Package connectortest runs a connector's resource listings in a test
// without the store: a Runtime that records observations in memory and an
// Emitter that keeps what was emitted. Connector packages use it in their
// _test files; the collection machinery has its own end-to-end tests.
package connectortest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// Runtime is an in-memory connector.Runtime. Its HTTP client records every
// call but does not retry or rate-limit (the real runtime does).
type Runtime struct {
	Clock func() time.Time
	HTTP  *http.Client // the transport under the recorder; http.DefaultTransport when nil

	mu    sync.Mutex
	calls []Call
}

// Call is one recorded observation.
type Call struct {
	Ref         connector.CallRef
	Observation connector.Observation
	Body        []byte
}

// NewRuntime returns a runtime whose clock is fixed at now.
func NewRuntime(now time.Time) *Runtime {
	return &Runtime{Clock: func() time.Time { return now }}
}

// Now implements connector.Runtime.
func (r *Runtime) Now() time.Time { return r.Clock() }

// Log implements connector.Runtime.
func (r *Runtime) Log() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Record implements connector.Runtime.
func (r *Runtime) Record(ctx context.Context, o connector.Observation, body []byte) (connector.CallRef, error) {
	body, _ = connector.FilterBody(ctx, body)
	r.mu.Lock()
	ref := connector.CallRef{ID: int64(len(r.calls) + 1)}
	r.calls = append(r.calls, Call{Ref: ref, Observation: o, Body: append([]byte(nil), body...)})
	r.mu.Unlock()
	connector.Note(ctx, ref)
	return ref, nil
}

// Calls returns every observation recorded so far.
func (r *Runtime) Calls() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Call(nil), r.calls...)
}

// HTTPClient implements connector.Runtime.
func (r *Runtime) HTTPClient() *http.Client {
	base := http.DefaultTransport
	if r.HTTP != nil && r.HTTP.Transport != nil {
		base = r.HTTP.Transport
	}
	return &http.Client{Transport: &recorder{rt: r, next: base}, Timeout: 30 * time.Second}
}

type recorder struct {
	rt   *Runtime
	next http.RoundTripper
}

func (t *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	start := t.rt.Clock()
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	_, _ = t.rt.Record(req.Context(), connector.Observation{
		Method: req.Method, Host: req.URL.Host, Path: req.URL.Path, Status: resp.StatusCode,
		StartedAt: start, Duration: t.rt.Clock().Sub(start),
	}, body)
	return resp, nil
}

// Emitter keeps what a listing emits.
type Emitter struct {
	mu        sync.Mutex
	Resources []connector.Resource
	Failed    map[string]error // scope → error
}

// Emit implements connector.Emitter.
func (e *Emitter) Emit(ctx context.Context, r connector.Resource) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Resources = append(e.Resources, r)
	return nil
}

// FailScope implements connector.Emitter.
func (e *Emitter) FailScope(scope string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Failed == nil {
		e.Failed = map[string]error{}
	}
	e.Failed[scope] = err
}

// ByID returns the emitted resource with the external id, failing the test
// when there is none.
func (e *Emitter) ByID(t testing.TB, id string) connector.Resource {
	t.Helper()
	for _, r := range e.Resources {
		if r.ExternalID == id {
			return r
		}
	}
	t.Fatalf("no resource %q among %d emitted", id, len(e.Resources))
	return connector.Resource{}
}

// List opens the connector with cfg and runs one resource type's listing,
// returning what it emitted and the listing's error.
func List(t testing.TB, reg connector.Registration, cfg connector.Config, rt *Runtime, typeName string) (*Emitter, error) {
	t.Helper()
	ctx := context.Background()
	conn, err := reg.Open(ctx, cfg, rt)
	if err != nil {
		t.Fatalf("open %s: %v", reg.ID, err)
	}
	defer conn.Close()
	for _, typ := range reg.Resources {
		if typ.Name == typeName {
			out := &Emitter{}
			return out, typ.List(ctx, conn, out)
		}
	}
	t.Fatalf("connector %s has no resource type %s", reg.ID, typeName)
	return nil, nil
}
