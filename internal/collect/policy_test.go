package collect_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// slowDownThrottle recognizes a provider that throttles with a 403 whose
// body says so and gives no reset time (as Google's rateLimitExceeded does);
// it reads the body and puts it back.
func slowDownThrottle(resp *http.Response, _ time.Time) (time.Time, bool) {
	if resp.StatusCode != http.StatusForbidden {
		return time.Time{}, false
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return time.Time{}, strings.Contains(string(b), "slowDown")
}

// A throttle signal without a reset time is backed off exponentially within
// the bounded attempts, then the listing fails with the final answer; the
// connector still reads the body the throttle function looked at.
func TestThrottleWithoutResetBacksOff(t *testing.T) {
	reg := fakeRegistration(nil)
	reg.HTTP.Throttle = slowDownThrottle
	e := newEnv(t, sqliteOnly(), envOpts{regs: []connector.Registration{reg}, http: collect.HTTPOptions{MaxAttempts: 3}})
	in := e.addFake(t, nil)
	calls := 0
	e.api.set("/repos", func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls <= 2 {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"error":"slowDown"}`))
			return
		}
		jsonBody(`[{"id":"r1","name":"api","private":true}]`)(w, r)
	})
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded || calls != 3 {
		t.Fatalf("run %s %q after %d calls: the throttle was not waited out", rv.Status, rv.Error, calls)
	}
	// Exponential with jitter 0.5: 250ms, then 500ms.
	if len(e.sleeps) != 2 || e.sleeps[0] != 250*time.Millisecond || e.sleeps[1] != 500*time.Millisecond {
		t.Fatalf("waits %v, want [250ms 500ms]", e.sleeps)
	}

	// Throttled for good: bounded attempts, then the listing fails with the
	// provider's answer and the run is partial.
	e.api.set("/repos", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"slowDown"}`))
	})
	e.api.resetHits()
	e.sleeps = nil
	rv = e.run(t, in.ID)
	l := listing(t, rv, "fakeapi.repo")
	if rv.Status != model.RunPartial || l.Status != model.RunFailed || !strings.Contains(l.Error, "403") {
		t.Fatalf("run %s, listing %s %q", rv.Status, l.Status, l.Error)
	}
	if n := e.api.count("/repos"); n != 3 || len(e.sleeps) != 2 {
		t.Fatalf("%d attempts, waits %v: want 3 attempts", n, e.sleeps)
	}
}

// HTTPPolicy.Redact changes what is stored, not what the connector reads:
// a token the response carries is in no blob and no row, and the
// observation says it was redacted.
func TestPolicyRedactsStoredBodies(t *testing.T) {
	reg := fakeRegistration(nil)
	reg.HTTP.Redact = connector.RedactJSONFields("session_token")
	e := newEnv(t, sqliteOnly(), envOpts{regs: []connector.Registration{reg}})
	in := e.addFake(t, nil)
	const minted = "minted-5ession-t0ken-value"
	e.api.set("/repos", jsonBody(`[{"id":"r1","name":"`+minted+`","private":true,"session_token":"`+minted+`"}]`))
	rv := e.run(t, in.ID)
	if rv.Status != model.RunSucceeded {
		t.Fatalf("run: %s %q", rv.Status, rv.Error)
	}
	// The connector saw the body as received: the name is the value.
	page, err := e.svc.Resources(t.Context(), e.p, collect.ResourceQuery{Type: "fakeapi.repo", Status: "all", Limit: -1})
	if err != nil || len(page.Resources) != 1 || page.Resources[0].Name != minted {
		t.Fatalf("resources %+v, %v: the connector did not read the body as received", page.Resources, err)
	}
	found := false
	for name, b := range e.blobFiles(t) {
		if strings.Contains(string(b), `"session_token":"[redacted]"`) {
			found = true
			if !strings.Contains(string(b), `"name":"`+minted+`"`) {
				t.Errorf("blob %s: more than the named field was changed: %s", name, b)
			}
		} else if strings.Contains(string(b), `"session_token"`) {
			t.Errorf("blob %s keeps the session token: %s", name, b)
		}
	}
	if !found {
		t.Fatal("no stored body with the redacted field")
	}
	var redacted int
	if err := e.db(t).QueryRow(`SELECT count(*) FROM observations WHERE path = '/repos' AND redacted = 1`).Scan(&redacted); err != nil {
		t.Fatal(err)
	}
	if redacted != 1 {
		t.Fatalf("%d observations of /repos marked redacted, want 1", redacted)
	}
}
