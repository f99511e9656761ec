package monitor_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// TestExpiryReminders: an item expiring in ten days is reminded at the
// 14-day threshold, again at the 1-day threshold, and never twice for
// one threshold, whatever the number of passes or restarts; a new version
// starts afresh.
func TestExpiryReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		if _, err := w.cat.Adopt(ctx, w.p, []string{"IAM-01"}, false); err != nil {
			t.Fatal(err)
		}
		hook := newReceiver(t, nil)
		if _, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "siem", Kind: model.ChannelWebhook,
			Config: map[string]string{"url": hook.srv.URL}}); err != nil {
			t.Fatal(err)
		}
		off := []int{}
		if _, err := w.mon.CreateChannel(ctx, w.p, monitor.ChannelInput{Name: "quiet", Kind: model.ChannelWebhook,
			Config: map[string]string{"url": hook.srv.URL + "/quiet"}, ReminderDays: &off}); err != nil {
			t.Fatal(err)
		}
		it, err := w.ev.Add(ctx, w.p, evidence.NewItem{Kind: model.EvidenceAttestation, Title: "Quarterly access review", Controls: []string{"IAM-01"},
			Content: evidence.Content{Text: "reviewed", EffectiveFrom: "2026-03-01", ExpiresOn: "2026-03-12"}})
		if err != nil {
			t.Fatal(err)
		}
		remind := func(m *monitor.Service) int {
			t.Helper()
			n, err := m.Remind(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			w.dispatch(m)
			return n
		}
		if n := remind(w.mon); n != 1 {
			t.Fatalf("ten days before expiry: %d reminders", n)
		}
		if n := remind(w.newMonitor()); n != 0 {
			t.Fatalf("a restarted server reminded again: %d", n)
		}
		w.advance(8 * 24 * time.Hour) // two days left: still the 14-day threshold
		if n := remind(w.mon); n != 0 {
			t.Fatalf("two days before: %d", n)
		}
		w.advance(24 * time.Hour) // one day left
		if n := remind(w.mon); n != 1 {
			t.Fatalf("one day before: %d", n)
		}
		if n := remind(w.newMonitor()); n != 0 {
			t.Fatalf("one day before, after a restart: %d", n)
		}
		bodies := hook.received()
		if len(bodies) != 2 {
			t.Fatalf("%d messages", len(bodies))
		}
		var last struct {
			Type      string
			Reminders []monitor.Reminder
		}
		json.Unmarshal(bodies[1], &last)
		if last.Type != "evidence_expiring" || len(last.Reminders) != 1 || last.Reminders[0].ItemID != it.ID ||
			last.Reminders[0].DaysLeft != 1 || last.Reminders[0].URL == "" || last.Reminders[0].Controls[0] != "IAM-01" {
			t.Fatalf("reminder: %s", bodies[1])
		}
		// A new version expiring in a week is a new reminder.
		if _, err := w.ev.AddVersion(ctx, w.p, it.ID, evidence.Content{Text: "reviewed again", EffectiveFrom: "2026-03-11", ExpiresOn: "2026-03-18"}); err != nil {
			t.Fatal(err)
		}
		if n := remind(w.mon); n != 1 {
			t.Fatalf("new version: %d", n)
		}
		// Expired evidence is not reminded of.
		w.advance(10 * 24 * time.Hour)
		if n := remind(w.mon); n != 0 {
			t.Fatalf("after expiry: %d", n)
		}
	})
}
