package monitor_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
	"github.com/assurehq/assure/internal/store/storetest"
)

// TestScheduleSurvivesRestart: the scheduler collects a new integration at
// its first tick, plans the next run one interval later in the database,
// and a new process (a restarted server) keeps to that plan: nothing
// before it, one run after it.
func TestScheduleSurvivesRestart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.hosts.set("web-1", sshd(false))
		in := w.addIntegration("hosts", time.Hour)

		if got := w.tick(w.mon); len(got) != 1 || got[0] != in.ID {
			t.Fatalf("first tick started %v, want the new integration", got)
		}
		runs := w.runs(in.ID)
		if len(runs) != 1 || runs[0].Trigger != model.TriggerSchedule || runs[0].Status != model.RunSucceeded {
			t.Fatalf("runs after the first tick: %+v", runs)
		}
		if s := w.schedule(in.ID); !s.NextRunAt.Equal(t0.Add(time.Hour)) || s.Failures != 0 {
			t.Fatalf("next run planned at %s (failures %d), want %s", s.NextRunAt, s.Failures, t0.Add(time.Hour))
		}
		// The pages and the API show the persisted plan.
		view, err := w.collect.Integration(context.Background(), w.p, in.ID)
		if err != nil || view.NextRunAt == nil || !view.NextRunAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("the integration shows next run %v (%v)", view.NextRunAt, err)
		}

		restarted := w.newMonitor()
		w.advance(30 * time.Minute)
		if got := w.tick(restarted); len(got) != 0 {
			t.Fatalf("a restarted scheduler ran %v half an interval after the last run", got)
		}
		w.advance(31 * time.Minute)
		if got := w.tick(restarted); len(got) != 1 {
			t.Fatalf("a restarted scheduler did not run the due integration: %v", got)
		}
		if got := w.tick(restarted); len(got) != 0 {
			t.Fatalf("the same due run started twice: %v", got)
		}
		if n := len(w.runs(in.ID)); n != 2 {
			t.Fatalf("%d runs, want 2", n)
		}
	})
}

// TestFailedRunsBackOff: a failed run is recorded as failed and retried
// after 1, 2, 4 minutes (not at every tick), and a success returns to the
// interval.
func TestFailedRunsBackOff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.hosts.fail(errProbe)
		in := w.addIntegration("hosts", time.Hour)
		w.tick(w.mon)
		for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
			runs := w.runs(in.ID)
			if len(runs) != i+1 || runs[0].Status != model.RunFailed {
				t.Fatalf("after failure %d: runs %+v", i+1, runs)
			}
			s := w.schedule(in.ID)
			if s.Failures != i+1 || !s.NextRunAt.Equal(w.clock().Add(wait)) {
				t.Fatalf("after failure %d: next %s failures %d, want %s later", i+1, s.NextRunAt, s.Failures, wait)
			}
			w.advance(wait - time.Second)
			if got := w.tick(w.mon); len(got) != 0 {
				t.Fatalf("retried before the back-off ended (failure %d)", i+1)
			}
			w.advance(time.Second)
			if got := w.tick(w.mon); len(got) != 1 {
				t.Fatalf("not retried after the back-off (failure %d)", i+1)
			}
		}
		w.hosts.fail(nil)
		w.advance(8 * time.Minute)
		w.tick(w.mon)
		if s := w.schedule(in.ID); s.Failures != 0 || !s.NextRunAt.Equal(w.clock().Add(time.Hour)) {
			t.Fatalf("after a success: %+v", s)
		}
	})
}

// TestRunNowAndDisabledIntegrations: a run started by hand plans the next
// scheduled run from itself (no double run), a disabled or removed
// integration is never collected by the scheduler, and a changed interval
// replans.
func TestRunNowAndDisabledIntegrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		a := w.addIntegration("a", time.Hour)
		b := w.addIntegration("b", time.Hour)
		c := w.addIntegration("c", time.Hour)
		w.tick(w.mon) // two slots: two runs
		w.tick(w.mon) // the third
		for _, in := range []collect.IntegrationView{a, b, c} {
			if n := len(w.runs(in.ID)); n != 1 {
				t.Fatalf("%s: %d runs after the first ticks", in.Name, n)
			}
		}
		// Run now, 50 minutes later: the next scheduled run moves to an hour after it.
		w.advance(50 * time.Minute)
		if _, err := w.collect.Run(ctx, w.p, a.ID, model.TriggerPage); err != nil {
			t.Fatal(err)
		}
		if s := w.schedule(a.ID); !s.NextRunAt.Equal(w.clock().Add(time.Hour)) {
			t.Fatalf("after run now, next run %s", s.NextRunAt)
		}
		if _, err := w.collect.SetEnabled(ctx, w.p, b.ID, false); err != nil {
			t.Fatal(err)
		}
		if err := w.collect.RemoveIntegration(ctx, w.p, c.ID); err != nil {
			t.Fatal(err)
		}
		w.advance(15 * time.Minute) // b and c are due, a is not
		if got := w.tick(w.mon); len(got) != 0 {
			t.Fatalf("the scheduler ran %v: a disabled, a removed, or a just-collected integration", got)
		}
		// Enabled again, b runs at the next tick.
		if _, err := w.collect.SetEnabled(ctx, w.p, b.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := w.tick(w.mon); len(got) != 1 || got[0] != b.ID {
			t.Fatalf("after enabling b: %v", got)
		}
		// A shorter interval replans from the last run (09:50): due at
		// 10:00, so collected at this tick (10:05), next at 10:15.
		d := model.Duration(10 * time.Minute)
		if _, err := w.collect.UpdateIntegration(ctx, w.p, a.ID, collect.IntegrationUpdate{Interval: &d}); err != nil {
			t.Fatal(err)
		}
		if got := w.tick(w.mon); len(got) != 1 || got[0] != a.ID {
			t.Fatalf("after the interval changed, the tick started %v", got)
		}
		if s := w.schedule(a.ID); s.Interval.Std() != 10*time.Minute || !s.NextRunAt.Equal(w.clock().Add(10*time.Minute)) {
			t.Fatalf("after the interval changed: %+v", s)
		}
		if n := len(w.runs(c.ID)); n != 1 {
			t.Fatalf("the removed integration was collected again (%d runs)", n)
		}
	})
}

// TestTwoSchedulersNeverRunTwice: schedulers of several servers on one
// database tick at the same moment; each due integration runs once.
func TestTwoSchedulersNeverRunTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		var ins []collect.IntegrationView
		for _, n := range []string{"a", "b", "c", "d"} {
			ins = append(ins, w.addIntegration(n, time.Hour))
		}
		servers := []interface {
			Tick(context.Context) ([]int64, error)
			Wait()
		}{w.newMonitor(), w.newMonitor(), w.newMonitor()}
		for round := 0; round < 3; round++ {
			var wg sync.WaitGroup
			for _, m := range servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := m.Tick(context.Background()); err != nil {
						t.Error(err)
					}
					m.Wait()
				}()
			}
			wg.Wait()
		}
		for _, in := range ins {
			if runs := w.runs(in.ID); len(runs) != 1 {
				t.Errorf("%s ran %d times", in.Name, len(runs))
			}
		}
	})
}
