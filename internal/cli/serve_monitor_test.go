package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/cli"
	"github.com/assurehq/assure/internal/monitor"
)

// TestServeRestartKeepsScheduleAndSendsOnce runs `assure serve` three times
// on one data directory. The first collects the new integration at once
// and notifies its failure; the second, restarted half an hour later,
// neither collects again (the plan says in an hour) nor sends anything
// again; the third, after the interval and a fix, collects once and sends
// the fix once.
func TestServeRestartKeepsScheduleAndSendsOnce(t *testing.T) {
	root := fixtureMachine(t)
	setPasswordLogin(t, root, "yes")
	c := newHostCLI(t, root)
	c.opts.SchedulerTick = 50 * time.Millisecond
	// A clock that runs (the scheduler's jitter needs time to pass), and
	// that the test moves forward.
	var clockMu sync.Mutex
	start, offset := time.Now(), time.Duration(0)
	c.opts.Now = func() time.Time {
		clockMu.Lock()
		defer clockMu.Unlock()
		return c.now.Add(offset + time.Since(start))
	}
	advance := func(d time.Duration) {
		clockMu.Lock()
		offset += d
		clockMu.Unlock()
	}
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer srv.Close()
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), got...)
	}
	if r := c.run("notifications", "add", "--kind", "webhook", "--name", "siem", "--config", "url="+srv.URL); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if r := c.run("integrations", "add", "--connector", "host", "--name", "box", "--config", "run_commands=false"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// serve runs until until() holds (or 20 s pass), then for twenty more
	// ticks, and stops.
	serve := func(until func() bool) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int)
		var out, errb bytes.Buffer
		go func() {
			done <- cli.RunWith(ctx, c.opts, []string{"--data", c.dir, "--addr", "127.0.0.1:0", "serve"}, strings.NewReader(""), &out, &errb)
		}()
		deadline := time.Now().Add(20 * time.Second)
		for !until() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Second) // twenty more ticks: nothing else may happen
		cancel()
		if code := <-done; code != 0 {
			t.Fatalf("serve exited with %d: %s", code, errb.String())
		}
	}
	runs := func() int {
		var list []json.RawMessage
		json.Unmarshal([]byte(c.run("runs", "list", "--json").stdout), &list)
		return len(list)
	}

	serve(func() bool { return len(received()) == 1 })
	if n := len(received()); n != 1 || runs() != 1 {
		t.Fatalf("first serve: %d messages, %d runs", n, runs())
	}
	advance(30 * time.Minute)
	serve(func() bool { return true }) // twenty ticks of the scheduler and the dispatcher
	if n := len(received()); n != 1 || runs() != 1 {
		t.Fatalf("after a restart: %d messages, %d runs (the schedule was lost, or something was sent again)", n, runs())
	}
	setPasswordLogin(t, root, "no")
	advance(33 * time.Minute) // past the interval and its jitter (at most 2 minutes)
	serve(func() bool { return len(received()) == 2 })
	msgs := received()
	if len(msgs) != 2 || runs() != 2 {
		t.Fatalf("after the interval: %d messages, %d runs", len(msgs), runs())
	}
	var fix monitor.WebhookBody
	json.Unmarshal([]byte(msgs[1]), &fix)
	if len(fix.Changes) != 1 || fix.Changes[0].TestID != pwTest || fix.Changes[0].To != "pass" {
		t.Fatalf("the fix: %s", msgs[1])
	}
}
