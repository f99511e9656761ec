package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
)

// hookSink is a webhook receiver that verifies signatures.
type hookSink struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	bodies []string
	bad    int
}

func newHookSink(t *testing.T) *hookSink {
	h := &hookSink{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := monitor.Verify(h.secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			h.bad++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		h.bodies = append(h.bodies, string(body))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// The notifications API: channels are settings (admins), a webhook's
// generated secret is returned once, a test send is logged, and the log
// and the schedule are readable.
func TestNotificationsAPI(t *testing.T) {
	f := newFixture(t)
	sink := newHookSink(t)
	call := func(role model.Role, method, path, body string, want int) string {
		t.Helper()
		status, got, _ := apiCall(t, f, role, method, path, body)
		if status != want {
			t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, role, status, want, got)
		}
		return got
	}
	call(model.RoleEditor, "GET", "/api/v1/notifications/channels", "", 403)
	call(model.RoleAdmin, "POST", "/api/v1/notifications/channels", `{"name":"siem","kind":"webhook","config":{"url":"gopher://x"}}`, 400)
	body := call(model.RoleAdmin, "POST", "/api/v1/notifications/channels",
		`{"name":"siem","kind":"webhook","min_severity":"high","config":{"url":"`+sink.srv.URL+`/in?key=abc"}}`, 201)
	var ch monitor.ChannelView
	json.Unmarshal([]byte(body), &ch)
	if len(ch.SigningSecret) != 64 || ch.MinSeverity != model.SeverityHigh || strings.Contains(body, "key=abc") {
		t.Fatalf("created: %s", body)
	}
	sink.mu.Lock()
	sink.secret = ch.SigningSecret
	sink.mu.Unlock()
	id := fmt.Sprint(ch.ID)
	if body = call(model.RoleAdmin, "GET", "/api/v1/notifications/channels/"+id, "", 200); strings.Contains(body, ch.SigningSecret) || strings.Contains(body, "signing_secret") {
		t.Fatalf("the secret is shown again: %s", body)
	}
	body = call(model.RoleAdmin, "POST", "/api/v1/notifications/channels/"+id+"/test", "", 200)
	if !strings.Contains(body, `"status": "sent"`) || len(sink.bodies) != 1 || !strings.Contains(sink.bodies[0], `"type":"test"`) {
		t.Fatalf("test send: %s (received %v, refused %d)", body, sink.bodies, sink.bad)
	}
	call(model.RoleAdmin, "PATCH", "/api/v1/notifications/channels/"+id, `{"enabled":false,"controls":["IAM-04"]}`, 200)
	body = call(model.RoleAdmin, "GET", "/api/v1/notifications/deliveries?status=sent", "", 200)
	var log []model.NotificationDelivery
	json.Unmarshal([]byte(body), &log)
	if len(log) != 1 || log[0].Kind != model.DeliveryTest || log[0].ChannelName != "siem" {
		t.Fatalf("log: %s", body)
	}
	if body = call(model.RoleAdmin, "GET", fmt.Sprintf("/api/v1/notifications/deliveries/%d", log[0].ID), "", 200); !strings.Contains(body, `"payload"`) {
		t.Fatalf("delivery: %s", body)
	}
	call(model.RoleAdmin, "POST", fmt.Sprintf("/api/v1/notifications/deliveries/%d/retry", log[0].ID), "", 404)
	call(model.RoleAdmin, "GET", "/api/v1/notifications/deliveries?status=lost", "", 400)
	call(model.RoleViewer, "GET", "/api/v1/schedule", "", 200)
	call(model.RoleAdmin, "DELETE", "/api/v1/notifications/channels/"+id, "", 204)
	if body = call(model.RoleAdmin, "GET", "/api/v1/notifications/channels", "", 200); strings.TrimSpace(body) != "[]" {
		t.Fatalf("after removal: %s", body)
	}
}

// Settings → Notifications: add a webhook channel through the form (the
// generated secret shown once), send a test, see it in the log.
func TestNotificationsPage(t *testing.T) {
	f := newFixture(t)
	sink := newHookSink(t)
	b := newBrowser(t, f.ts.URL)
	b.post("/login", url.Values{"email": {f.app.Bootstrap.Email}, "password": {f.app.Bootstrap.Password}})
	resp, page := b.get("/settings/notifications")
	if resp.StatusCode != 200 || !strings.Contains(page, "No channels yet") || !strings.Contains(page, "Nothing sent yet") {
		t.Fatalf("empty page: %d", resp.StatusCode)
	}
	csrf := csrfOf(t, page)
	resp, page = b.post("/settings/notifications", url.Values{"csrf": {csrf}, "name": {"siem"}, "kind": {"webhook"},
		"url": {"not a url"}, "min_severity": {"high"}, "reminder_days": {"14, 1"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "http:// or https:// URL") || !strings.Contains(page, `value="siem"`) {
		t.Fatalf("bad URL: %d", resp.StatusCode)
	}
	resp, page = b.post("/settings/notifications", url.Values{"csrf": {csrf}, "name": {"siem"}, "kind": {"webhook"},
		"url": {sink.srv.URL}, "host": {"ignored.example.com"}, "min_severity": {"high"}, "reminder_days": {"14, 1"}})
	if resp.StatusCode != http.StatusCreated || !strings.Contains(page, `id="signing-secret"`) {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	i := strings.Index(page, `id="signing-secret">`) + len(`id="signing-secret">`)
	sink.mu.Lock()
	sink.secret = page[i : i+64]
	sink.mu.Unlock()
	list, _ := f.app.Monitor.Channels(t.Context(), f.app.Accounts.OperatorPrincipal(f.app.Bootstrap.Org))
	if len(list) != 1 {
		t.Fatalf("%d channels", len(list))
	}
	resp, _ = b.post(fmt.Sprintf("/settings/notifications/%d/test", list[0].ID), url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("test: %d", resp.StatusCode)
	}
	_, page = b.get("/settings/notifications")
	if !strings.Contains(page, "Test message sent through") || !strings.Contains(page, "✓ sent") || !strings.Contains(page, "high and above") {
		t.Fatalf("after the test send: %s", page[strings.Index(page, "<main"):])
	}
	resp, page = b.get("/settings/notifications/deliveries/1")
	if resp.StatusCode != 200 || !strings.Contains(page, "HTTP 200") || !strings.Contains(page, "&#34;type&#34;: &#34;test&#34;") {
		t.Fatalf("delivery page: %d", resp.StatusCode)
	}
	b.post(fmt.Sprintf("/settings/notifications/%d/disable", list[0].ID), url.Values{"csrf": {csrf}})
	if _, page = b.get("/settings/notifications"); !strings.Contains(page, "⏸ disabled") {
		t.Fatal("not shown disabled")
	}
	b.post(fmt.Sprintf("/settings/notifications/%d/remove", list[0].ID), url.Values{"csrf": {csrf}})
	if _, page = b.get("/settings/notifications"); !strings.Contains(page, "No channels yet") || !strings.Contains(page, "HTTP 200") {
		t.Fatal("after removal the channel is listed, or the log is gone")
	}
}
