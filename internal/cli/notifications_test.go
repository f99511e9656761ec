package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/monitor"
)

// The acceptance path without a server: a machine whose sshd accepts
// passwords fails the test at the first `assure scan`, which notifies; the
// scan after the fix notifies the fix; a scan that changes nothing sends
// nothing. Each change goes once to each channel, and the delivery log
// says so.
func TestScanNotifiesOncePerChange(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "yes")
	c := newHostCLI(t, root)
	const secret = "a-signing-secret-of-the-receiver"
	var mu sync.Mutex
	var hooks, slacks []string
	refused := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/hook":
			if err := monitor.Verify(secret, r.Header, body, c.now, 5*time.Minute); err != nil {
				refused++
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
			hooks = append(hooks, string(body))
		case "/slack":
			slacks = append(slacks, string(body))
		}
	}))
	defer srv.Close()
	secretFile := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)

	r := c.run("notifications", "add", "--kind", "webhook", "--name", "siem", "--config", "url="+srv.URL+"/hook", "--config", "secret=@"+secretFile)
	if r.code != 0 || strings.Contains(r.stdout, "Signing secret") {
		t.Fatalf("add webhook: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r = c.run("notifications", "add", "--kind", "slack", "--name", "alerts", "--config", "url="+srv.URL+"/slack", "--min-severity", "high", "--only-failures"); r.code != 0 {
		t.Fatalf("add slack: %s", r.stderr)
	}
	if r = c.run("notifications", "list"); !strings.Contains(r.stdout, "siem") || !strings.Contains(r.stdout, "high+; failures only; reminders 14,1d") || strings.Contains(r.stdout, secret) {
		t.Fatalf("list: %s", r.stdout)
	}
	if r = c.run("notifications", "test", "siem"); r.code != 0 || !strings.Contains(r.stdout, "HTTP 200") {
		t.Fatalf("test: %d %s %s", r.code, r.stdout, r.stderr)
	}
	c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false")

	r = c.run("scan")
	if !strings.Contains(r.stdout, "Notifications: 2 sent.") {
		t.Fatalf("first scan: %s %s", r.stdout, r.stderr)
	}
	setPasswordLogin(t, root, "no")
	c.now = c.now.Add(time.Hour)
	r = c.run("scan", "--json")
	var out struct {
		Notifications *monitor.DispatchResult
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Notifications == nil || out.Notifications.Sent != 1 {
		t.Fatalf("second scan: %v %+v %s", err, out.Notifications, r.stderr)
	}
	c.now = c.now.Add(time.Hour)
	if r = c.run("scan"); strings.Contains(r.stdout, "Notifications:") {
		t.Fatalf("a scan that changed nothing notified: %s", r.stdout)
	}

	mu.Lock()
	gotHooks, gotSlacks := append([]string(nil), hooks...), append([]string(nil), slacks...)
	refusedN := refused
	mu.Unlock()
	if refusedN != 0 || len(gotHooks) != 3 || len(gotSlacks) != 1 {
		t.Fatalf("webhook got %d (refused %d), slack %d", len(gotHooks), refusedN, len(gotSlacks))
	}
	count := func(body, test, to string) int {
		var m struct {
			Changes []struct{ Test, To string }
		}
		json.Unmarshal([]byte(body), &m)
		n := 0
		for _, ch := range m.Changes {
			if ch.Test == test && ch.To == to {
				n++
			}
		}
		return n
	}
	if count(gotHooks[1], pwTest, "fail") != 1 || count(gotHooks[2], pwTest, "pass") != 1 || len(strings.Split(gotHooks[2], `"test":`)) != 2 {
		t.Fatalf("the failure and the fix:\n%s\n%s", gotHooks[1], gotHooks[2])
	}
	if !strings.Contains(gotSlacks[0], "SSH does not accept passwords") {
		t.Fatalf("slack: %s", gotSlacks[0])
	}
	r = c.run("notifications", "deliveries", "--json")
	var log []struct{ Status, Kind, Channel string }
	json.Unmarshal([]byte(r.stdout), &log)
	if len(log) != 4 {
		t.Fatalf("delivery log: %s", r.stdout)
	}
	for _, d := range log {
		if d.Status != "sent" {
			t.Fatalf("delivery log: %s", r.stdout)
		}
	}
	if r = c.run("schedule"); r.code != 0 || !strings.Contains(r.stdout, "box") || !strings.Contains(r.stdout, "1h0m0s") {
		t.Fatalf("schedule: %s %s", r.stdout, r.stderr)
	}
	if r = c.run("notifications", "remove", "siem"); r.code != 0 {
		t.Fatal(r.stderr)
	}
}
