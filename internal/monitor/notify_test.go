package monitor_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

const pwTest = "host.sshd.password_authentication_disabled"

// webhookChecker verifies a webhook delivery the way a receiver is told to
// (docs/notifications.md), computing the HMAC itself.
func webhookChecker(secret *string, now func() time.Time) func(http.Header, []byte) error {
	return func(h http.Header, body []byte) error {
		ts := h.Get("X-Assure-Timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			return errors.New("no timestamp")
		}
		if d := now().Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
			return fmt.Errorf("stale timestamp %s", ts)
		}
		mac := hmac.New(sha256.New, []byte(*secret))
		mac.Write([]byte(ts + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(want), []byte(h.Get("X-Assure-Signature"))) {
			return errors.New("bad signature")
		}
		if h.Get("X-Assure-Delivery") == "" || h.Get("Content-Type") != "application/json" {
			return errors.New("missing delivery id or content type")
		}
		return nil
	}
}

type webhookBody struct {
	DeliveryID int64  `json:"delivery_id"`
	Type       string `json:"type"`
	Changes    []struct {
		ID       int64  `json:"id"`
		Test     string `json:"test"`
		From     string `json:"from"`
		To       string `json:"to"`
		Resource string `json:"resource_name"`
		TestURL  string `json:"test_url"`
	} `json:"changes"`
}

func decodeWebhooks(t *testing.T, bodies [][]byte) []webhookBody {
	t.Helper()
	var out []webhookBody
	for _, b := range bodies {
		var wb webhookBody
		if err := json.Unmarshal(b, &wb); err != nil {
			t.Fatalf("webhook body is not JSON: %v: %s", err, b)
		}
		out = append(out, wb)
	}
	return out
}

// TestOneNotificationPerChange is the acceptance test: a host whose sshd
// accepts passwords fails the built-in test at the first scheduled run;
// fixed, it passes at the next. Each change reaches each channel in one
// message, once: not again at a run that changes nothing, not after a
// restart, not when two dispatchers run at once.
func TestOneNotificationPerChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		var secret string
		hook := newReceiver(t, webhookChecker(&secret, w.clock))
		slack := newReceiver(t, nil)
		wh, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "siem", Kind: model.ChannelWebhook,
			Config: map[string]string{"url": hook.srv.URL + "/hooks/assure?token=abc"}})
		if err != nil {
			t.Fatal(err)
		}
		secret = wh.SigningSecret
		if len(secret) != 64 || strings.Contains(fmt.Sprint(wh.Config), "token=abc") {
			t.Fatalf("generated secret %q; config shown %v", secret, wh.Config)
		}
		if _, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "alerts", Kind: model.ChannelSlack,
			Config: map[string]string{"url": slack.srv.URL + "/services/T0/B0/XXXX"}, MinSeverity: model.SeverityHigh}); err != nil {
			t.Fatal(err)
		}

		w.hosts.set("web-1", sshd(true))
		w.hosts.set("web-2", sshd(false))
		in := w.addIntegration("hosts", time.Hour)
		w.tick(w.mon)
		res := w.dispatch(w.mon)
		if res.Sent != 2 || res.Failed != 0 || res.Retrying != 0 {
			t.Fatalf("first dispatch: %+v", res)
		}
		first := decodeWebhooks(t, hook.received())
		if len(first) != 1 || first[0].Type != "test_status_changes" {
			t.Fatalf("after the first run the webhook got %d messages", len(first))
		}
		failing := 0
		for _, c := range first[0].Changes {
			if c.Test == pwTest {
				failing++
				if c.Resource != "web-1" || c.From != "" || c.To != "fail" || c.TestURL != "https://assure.example.com/tests/"+pwTest {
					t.Errorf("first change: %+v", c)
				}
			}
		}
		if failing != 1 {
			t.Fatalf("the failing password login appeared %d times in %+v", failing, first[0].Changes)
		}

		// Nothing changes: nothing is sent.
		w.advance(time.Hour)
		w.tick(w.mon)
		if res := w.dispatch(w.mon); res.Sent != 0 || res.Planned != 0 {
			t.Fatalf("a run that changed nothing notified: %+v", res)
		}

		// Fixed: one change, fail → pass, in one message per channel.
		w.hosts.set("web-1", sshd(false))
		w.advance(time.Hour)
		w.tick(w.mon)
		if runs := w.runs(in.ID); len(runs) != 3 {
			t.Fatalf("%d runs", len(runs))
		}
		if res := w.dispatch(w.mon); res.Sent != 2 || res.Planned != 2 {
			t.Fatalf("after the fix: %+v", res)
		}
		all := decodeWebhooks(t, hook.received())
		if len(all) != 2 || len(all[1].Changes) != 1 {
			t.Fatalf("after the fix the webhook has %d messages, the last with %d changes", len(all), len(all[len(all)-1].Changes))
		}
		if c := all[1].Changes[0]; c.Test != pwTest || c.Resource != "web-1" || c.From != "fail" || c.To != "pass" {
			t.Fatalf("the fix: %+v", c)
		}

		// A restarted server, and two servers at once, send nothing again.
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.newMonitor().Dispatch(ctx); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if n := len(hook.received()); n != 2 {
			t.Fatalf("after a restart the webhook has %d messages", n)
		}
		seen := map[int64]int{}
		for _, b := range all {
			for _, c := range b.Changes {
				seen[c.ID]++
			}
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("change %d delivered %d times", id, n)
			}
		}
		if len(hook.refused) != 0 {
			t.Errorf("the receiver refused signatures: %v", hook.refused)
		}
		// Slack (high and above) got the failure and the fix of the high test.
		if n := len(slack.received()); n != 2 {
			t.Fatalf("slack got %d messages", n)
		}
		log, err := w.mon.Deliveries(ctx, w.p, store.DeliveryFilter{})
		if err != nil || len(log) != 4 {
			t.Fatalf("delivery log: %d entries (%v)", len(log), err)
		}
		for _, d := range log {
			if d.Status != model.DeliverySent || d.Attempts != 1 || d.Response != "HTTP 200" {
				t.Errorf("logged delivery: %+v", d)
			}
		}
	})
}

// TestSlackMessageShape checks the Slack body against Slack's documented
// incoming-webhook format: text, and blocks of header (plain_text, at most
// 150 characters), section (mrkdwn, at most 3000) and context, at most 50.
func TestSlackMessageShape(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		slack := newReceiver(t, nil)
		if _, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "alerts", Kind: model.ChannelSlack,
			Config: map[string]string{"url": slack.srv.URL}}); err != nil {
			t.Fatal(err)
		}
		for i := range 30 { // more changes than a message lists one by one
			w.hosts.set(fmt.Sprintf("host-%02d <&>", i), sshd(true))
		}
		w.addIntegration("hosts", time.Hour)
		w.tick(w.mon)
		w.dispatch(w.mon)
		bodies := slack.received()
		if len(bodies) != 1 {
			t.Fatalf("%d slack messages", len(bodies))
		}
		checkSlack(t, bodies[0])
		var msg monitor.SlackMessage
		if err := json.Unmarshal(bodies[0], &msg); err != nil {
			t.Fatal(err)
		}
		all := ""
		for _, b := range msg.Blocks {
			if b.Text != nil {
				all += b.Text.Text + "\n"
			}
		}
		if !strings.Contains(all, "host-00 &lt;&amp;&gt;") || strings.Contains(all, "<&>") || !strings.Contains(all, "and 10 more changes") {
			t.Errorf("names not escaped, or the rest not counted: %.600s", all)
		}
	})
}

func checkSlack(t *testing.T, body []byte) {
	t.Helper()
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for k := range msg {
		if k != "text" && k != "blocks" {
			t.Errorf("unexpected top-level field %q", k)
		}
	}
	if s, _ := msg["text"].(string); s == "" {
		t.Error("no fallback text")
	}
	blocks, _ := msg["blocks"].([]any)
	if len(blocks) == 0 || len(blocks) > 50 {
		t.Fatalf("%d blocks", len(blocks))
	}
	textOf := func(v any, kind string, max int) {
		o, _ := v.(map[string]any)
		if o["type"] != kind {
			t.Errorf("text object of type %v, want %s", o["type"], kind)
		}
		s, _ := o["text"].(string)
		if s == "" || utf8.RuneCountInString(s) > max {
			t.Errorf("%s text of %d characters", kind, utf8.RuneCountInString(s))
		}
	}
	for i, b := range blocks {
		blk := b.(map[string]any)
		switch blk["type"] {
		case "header":
			if i != 0 {
				t.Error("header not first")
			}
			textOf(blk["text"], "plain_text", 150)
		case "section":
			textOf(blk["text"], "mrkdwn", 3000)
		case "context":
			els, _ := blk["elements"].([]any)
			if len(els) == 0 || len(els) > 10 {
				t.Errorf("context with %d elements", len(els))
			}
			for _, e := range els {
				textOf(e, "mrkdwn", 3000)
			}
		default:
			t.Errorf("block of type %v", blk["type"])
		}
	}
}

// TestDeliveryRetriesAndFailures: a receiver that answers 5xx is retried
// with back-off (not at every pass) until it accepts; a 4xx fails at once
// and can be retried by hand.
func TestDeliveryRetriesAndFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		hook := newReceiver(t, nil)
		hook.fail(http.StatusServiceUnavailable, http.StatusInternalServerError)
		ch, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "siem", Kind: model.ChannelWebhook,
			Config: map[string]string{"url": hook.srv.URL, "secret": "0123456789abcdef0123"}})
		if err != nil {
			t.Fatal(err)
		}
		if ch.SigningSecret != "" || len(ch.SecretFields) != 2 {
			t.Fatalf("a given secret is not echoed, and both secrets are listed as set: %+v", ch)
		}
		w.hosts.set("web-1", sshd(true))
		w.addIntegration("hosts", time.Hour)
		w.tick(w.mon)
		if res := w.dispatch(w.mon); res.Retrying != 1 {
			t.Fatalf("first attempt: %+v", res)
		}
		if res := w.dispatch(w.mon); res.Retrying+res.Sent != 0 {
			t.Fatalf("retried before the back-off: %+v", res)
		}
		w.advance(30 * time.Second)
		if res := w.dispatch(w.mon); res.Retrying != 1 {
			t.Fatalf("second attempt: %+v", res)
		}
		w.advance(59 * time.Second)
		if res := w.dispatch(w.mon); res.Retrying+res.Sent != 0 {
			t.Fatalf("retried before the second back-off: %+v", res)
		}
		w.advance(time.Second)
		if res := w.dispatch(w.mon); res.Sent != 1 {
			t.Fatalf("third attempt: %+v", res)
		}
		log, _ := w.mon.Deliveries(ctx, w.p, store.DeliveryFilter{})
		if len(log) != 1 || log[0].Attempts != 3 || log[0].Status != model.DeliverySent || !strings.Contains(log[0].LastError, "") {
			t.Fatalf("log: %+v", log)
		}

		// Refused (401): failed at once, then retried by hand.
		hook.fail(http.StatusUnauthorized)
		w.hosts.set("web-1", sshd(false))
		w.advance(time.Hour)
		w.tick(w.mon)
		if res := w.dispatch(w.mon); res.Failed != 1 {
			t.Fatalf("refused: %+v", res)
		}
		failed, _ := w.mon.Deliveries(ctx, w.p, store.DeliveryFilter{Status: model.DeliveryFailed})
		if len(failed) != 1 || !strings.Contains(failed[0].LastError, "401") {
			t.Fatalf("failed: %+v", failed)
		}
		if _, err := w.mon.RetryDelivery(ctx, w.p, failed[0].ID); err != nil {
			t.Fatal(err)
		}
		if res := w.dispatch(w.mon); res.Sent != 1 {
			t.Fatalf("retry by hand: %+v", res)
		}
		if _, err := w.mon.RetryDelivery(ctx, w.p, failed[0].ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("retrying a sent delivery: %v", err)
		}
	})
}

// TestChannelFilters: severity, controls, integrations and failures-only
// filters each keep what they should.
func TestChannelFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		w.hosts.set("web-1", sshd(true))
		hosts := w.addIntegration("hosts", time.Hour)
		other := w.addIntegration("other", time.Hour)
		if _, err := w.collect.SetEnabled(ctx, w.p, other.ID, false); err != nil { // never collected: no changes of its own
			t.Fatal(err)
		}
		type ch struct {
			in   monitor.ChannelInput
			want int // messages after the failure and the fix
		}
		chans := map[string]*receiver{}
		cases := []ch{
			{monitor.ChannelInput{MinSeverity: model.SeverityCritical}, 0},                 // the password test is high
			{monitor.ChannelInput{Controls: []string{"IAM-04"}}, 2},                        // the password test supports IAM-04
			{monitor.ChannelInput{Controls: []string{"CHG-01"}}, 0},                        // no sshd test supports it
			{monitor.ChannelInput{Integrations: []string{"other"}, MinSeverity: "low"}, 0}, // changes come from "hosts"
			{monitor.ChannelInput{OnlyFailures: true, MinSeverity: model.SeverityHigh}, 1},
		}
		for i, c := range cases {
			r := newReceiver(t, nil)
			name := fmt.Sprintf("c%d", i)
			chans[name] = r
			c.in.Name, c.in.Kind, c.in.Config = name, model.ChannelSlack, map[string]string{"url": r.srv.URL}
			if _, err := w.mon.CreateChannel(ctx, w.p, c.in); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		w.tick(w.mon)
		w.dispatch(w.mon)
		w.hosts.set("web-1", sshd(false))
		w.advance(time.Hour)
		w.tick(w.mon)
		w.dispatch(w.mon)
		for i, c := range cases {
			if got := len(chans[fmt.Sprintf("c%d", i)].received()); got != c.want {
				t.Errorf("channel %d (%+v): %d messages, want %d", i, c.in, got, c.want)
			}
		}
		if len(w.runs(hosts.ID)) != 2 {
			t.Fatal("the hosts integration did not run twice")
		}
	})
}

// TestChannelValidation: bad settings are refused with what to fix, and
// secret settings are never shown.
func TestChannelValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		bad := []struct {
			in   monitor.ChannelInput
			want string
		}{
			{monitor.ChannelInput{Name: "x", Kind: "pager"}, "unknown channel kind"},
			{monitor.ChannelInput{Name: "bad name", Kind: model.ChannelSlack}, "not a valid channel name"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack}, "url: is required"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "ftp://h/x"}}, "http:// or https://"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelWebhook, Config: map[string]string{"url": "http://169.254.169.254/latest"}}, "link-local"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelWebhook, Config: map[string]string{"url": "https://h/x", "secret": "short"}}, "at least 16"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x", "to": "a@b.c"}}, `no setting "to"`},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelEmail, Config: map[string]string{"host": "smtp.example.com", "from": "nope", "to": "a@example.com"}}, "from"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelEmail, Config: map[string]string{"host": "smtp.example.com", "from": "a@example.com", "to": "a@example.com, nope"}}, `"nope" is not an e-mail address`},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelEmail, Config: map[string]string{"host": "smtp.example.com", "from": "a@example.com", "to": "b@example.com", "tls": "none", "username": "u", "password": "p"}}, "never sent without TLS"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x"}, MinSeverity: "urgent"}, "unknown severity"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x"}, Controls: []string{"NOPE-99"}}, "unknown control"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x"}, Integrations: []string{"ghost"}}, "no integration named"},
			{monitor.ChannelInput{Name: "x", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x"}, ReminderDays: &[]int{400}}, "between 0 and 365"},
		}
		for _, c := range bad {
			_, err := w.mon.CreateChannel(ctx, w.p, c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) || !model.IsValidation(err) {
				t.Errorf("%+v: %v, want a validation error with %q", c.in, err, c.want)
			}
		}
		v, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "mail", Kind: model.ChannelEmail, Config: map[string]string{
			"host": "smtp.example.com", "from": "Assure <assure@example.com>", "to": "sec@example.com; ops@example.com", "username": "assure", "password": "hunter2hunter2"}})
		if err != nil {
			t.Fatal(err)
		}
		js, _ := json.Marshal(v)
		if strings.Contains(string(js), "hunter2") || v.Config["port"] != "587" || v.Config["tls"] != "starttls" || v.Config["to"] != "sec@example.com, ops@example.com" ||
			len(v.ReminderDays) != 2 || v.ReminderDays[0] != 14 {
			t.Fatalf("view: %s", js)
		}
		if _, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "mail", Kind: model.ChannelSlack, Config: map[string]string{"url": "https://h/x"}}); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("duplicate name: %v", err)
		}
		viewer := w.p
		viewer.Role = model.RoleEditor
		if _, err := w.mon.Channels(ctx, viewer); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("an editor listed channels: %v", err)
		}
		// Changing one setting keeps the sealed ones.
		to := "sec@example.com"
		v, err = w.mon.UpdateChannel(ctx, w.p, v.ID, monitor.ChannelUpdate{Config: map[string]*string{"to": &to}})
		if err != nil || v.Config["to"] != "sec@example.com" || strings.Join(v.SecretFields, ",") != "password" {
			t.Fatalf("update: %+v %v", v, err)
		}
		if err := w.mon.RemoveChannel(ctx, w.p, v.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := w.mon.Channels(ctx, w.p); len(list) != 0 {
			t.Fatalf("a removed channel is listed: %+v", list)
		}
		entries, err := st.Org(w.p.Org.ID).LedgerEntries(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range entries {
			if strings.HasPrefix(e.Kind, "notification_channel.") {
				kinds = append(kinds, e.Kind)
				if strings.Contains(string(e.Payload), "hunter2") {
					t.Error("a secret reached the ledger")
				}
			}
		}
		if strings.Join(kinds, " ") != "notification_channel.added notification_channel.changed notification_channel.removed" {
			t.Fatalf("ledger: %v", kinds)
		}
	})
}
