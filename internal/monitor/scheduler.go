package monitor

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/store"
)

// Scheduling rules (docs/integrations.md#scheduling):
//
//   - After a run that succeeded or was partial, the next run is due one
//     interval after it started, plus a jitter of up to 5% of the interval
//     (at most 2 minutes), so integrations with one interval drift apart.
//   - After a failed run, it is retried with back-off: 1, 2, 4, 8… minutes
//     after it failed, never later than one interval.
//   - A run started by hand (run now, `assure scan`) counts like a
//     scheduled one: the next is planned from it.
//   - A new integration is collected within a tick or two; an
//     integration collected before the scheduler knew it is planned from
//     its latest run; a changed interval replans it from its latest run.
//   - Disabled and removed integrations are skipped; enabled again, one
//     whose time has passed runs at the next tick.

const (
	maxJitter   = 2 * time.Minute
	backoffBase = time.Minute
	// runLease is how far a claim moves next_run_at: another server does
	// not claim the integration again while its run may still be under way
	// (collection refuses a second running run in any case).
	runLease = 35 * time.Minute
)

func (s *Service) jitter(interval time.Duration) time.Duration {
	max := interval / 20
	if max > maxJitter {
		max = maxJitter
	}
	return s.opts.Jitter(max)
}

// backoff is the wait before retrying after n failed runs in a row.
func backoff(n int, interval time.Duration) time.Duration {
	d := backoffBase
	for i := 1; i < n && d < interval; i++ {
		d *= 2
	}
	if d > interval {
		d = interval
	}
	return d
}

// RunFinished plans an integration's next run from the run that just
// finished. Collection calls it (through the application's hook) inside the
// transaction that records the run's end, whoever started the run, so the
// plan and the run commit together.
func (s *Service) RunFinished(ctx context.Context, tx *store.OrgStore, fr collect.FinishedRun) error {
	interval := fr.Integration.Interval.Std()
	if interval <= 0 {
		interval = model.DefaultInterval
	}
	cur, ok, err := tx.Schedule(ctx, fr.Integration.ID)
	if err != nil {
		return err
	}
	finished := s.now()
	if fr.Run.FinishedAt != nil {
		finished = *fr.Run.FinishedAt
	}
	runID := fr.Run.ID
	next := model.Schedule{IntegrationID: fr.Integration.ID, Interval: model.Duration(interval), LastRunID: &runID}
	if fr.Run.Status == model.RunFailed {
		next.Failures = cur.Failures + 1
		next.NextRunAt = finished.Add(backoff(next.Failures, interval) + s.jitter(interval))
		// A failed run started by hand does not postpone a run already
		// planned sooner.
		if ok && fr.Run.Trigger != model.TriggerSchedule && cur.NextRunAt.Before(next.NextRunAt) {
			next.NextRunAt = cur.NextRunAt
		}
	} else {
		next.NextRunAt = fr.Run.StartedAt.Add(interval + s.jitter(interval))
	}
	return tx.SetSchedule(ctx, next, s.now())
}

// plan gives every enabled integration without a plan its first one, and
// replans those whose interval changed.
func (s *Service) plan(ctx context.Context, now time.Time) error {
	list, err := s.st.Unplanned(ctx)
	if err != nil {
		return err
	}
	for _, p := range list {
		ost := s.st.Org(p.OrgID)
		if p.Schedule == nil {
			next := now.Add(s.opts.Jitter(s.opts.Tick)) // a new integration is collected soon
			if p.LastStartedAt != nil {
				next = p.LastStartedAt.Add(p.Interval)
			}
			if _, err := ost.InsertScheduleIfAbsent(ctx, model.Schedule{IntegrationID: p.IntegrationID, NextRunAt: next,
				Interval: model.Duration(p.Interval)}, now); err != nil {
				return err
			}
			continue
		}
		base := now
		if p.LastStartedAt != nil {
			base = *p.LastStartedAt
		}
		next := base.Add(p.Interval + s.jitter(p.Interval))
		if p.Schedule.Failures > 0 && p.Schedule.NextRunAt.Before(next) {
			next = p.Schedule.NextRunAt // a retry stays as planned
		}
		if _, err := ost.ReplanSchedule(ctx, p.IntegrationID, p.Schedule.NextRunAt, next, p.Interval, now); err != nil {
			return err
		}
	}
	return nil
}

// Tick plans and starts the runs that are due, as many as free slots
// allow, and returns the integrations it started. Runs go on in the
// background (Wait waits for them); each is evaluated when it ends.
func (s *Service) Tick(ctx context.Context) ([]int64, error) {
	now := s.now()
	if err := s.plan(ctx, now); err != nil {
		return nil, err
	}
	s.runMu.Lock()
	free, busy := s.opts.MaxRuns-len(s.running), len(s.running)
	s.runMu.Unlock()
	if free <= 0 {
		return nil, nil
	}
	due, err := s.st.DueSchedules(ctx, now, free+busy)
	if err != nil {
		return nil, err
	}
	var started []int64
	for _, sc := range due {
		if len(started) == free {
			break
		}
		s.runMu.Lock()
		busy := s.running[sc.IntegrationID]
		s.runMu.Unlock()
		if busy {
			continue
		}
		lease := sc.Interval.Std()
		if lease <= 0 || lease > runLease {
			lease = runLease
		}
		claimed, err := s.st.Org(sc.OrgID).ClaimSchedule(ctx, sc.IntegrationID, now, now.Add(lease), s.runner)
		if err != nil {
			return started, err
		}
		if !claimed {
			continue // another server took it, or a run moved it meanwhile
		}
		s.runMu.Lock()
		s.running[sc.IntegrationID] = true
		s.runMu.Unlock()
		s.runs.Add(1)
		started = append(started, sc.IntegrationID)
		go s.runOne(s.runCtx, sc)
	}
	return started, nil
}

// Wait waits for the scheduled runs under way to end.
func (s *Service) Wait() { s.runs.Wait() }

// StopRuns lets the scheduled runs under way finish until ctx ends, then
// cancels them (each records itself failed, and is retried with back-off
// after a restart) and waits for them to record their end.
func (s *Service) StopRuns(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.runs.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	s.runCancel()
	<-done
}

func (s *Service) runOne(ctx context.Context, sc model.Schedule) {
	defer s.runs.Done()
	defer func() {
		s.runMu.Lock()
		delete(s.running, sc.IntegrationID)
		s.runMu.Unlock()
	}()
	log := s.log.With("org_id", sc.OrgID, "integration_id", sc.IntegrationID)
	p, err := s.principal(ctx, sc.OrgID)
	if err != nil {
		log.Error("scheduler cannot act in the organization", "err", err)
		return
	}
	rv, err := s.opts.Collect.Run(ctx, p, sc.IntegrationID, model.TriggerSchedule)
	switch {
	case errors.Is(err, model.ErrConflict):
		// Being collected already (run now, another server): that run
		// plans the next one when it ends.
		log.Info("scheduled run skipped: the integration is being collected already", "err", err)
		return
	case errors.Is(err, model.ErrNotFound):
		log.Info("scheduled run skipped: the integration is gone", "err", err)
		return
	case err != nil:
		// The run could not start (a store error): try again with back-off.
		log.Error("scheduled run could not start", "err", err)
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		next := sc
		next.Failures++
		next.NextRunAt = s.now().Add(backoff(next.Failures, sc.Interval.Std()))
		if serr := s.st.Org(sc.OrgID).SetSchedule(wctx, next, s.now()); serr != nil {
			log.Error("cannot record the scheduled run's failure to start", "err", serr)
		}
		return
	}
	s.Evaluated(ctx, sc.OrgID, rv.Run)
}

// Evaluated evaluates the tests after a run and wakes the dispatcher, so
// the changes go out right away. The scheduler calls it for its runs; the
// server calls it for runs started by hand.
func (s *Service) Evaluated(ctx context.Context, orgID int64, run model.Run) {
	if s.opts.Checks != nil {
		ctx := context.WithoutCancel(ctx) // a run that ended is evaluated, even while stopping
		ev, err := s.opts.Checks.EvaluateRun(ctx, orgID, run.ID)
		if err != nil {
			s.log.Error("cannot evaluate the tests after a run", "org_id", orgID, "run_id", run.ID, "err", err)
		} else {
			s.log.Info("tests evaluated after a run", "org_id", orgID, "run_id", run.ID, "incremental", ev.Incremental, "judged", len(ev.Results), "changes", len(ev.Changes))
		}
	}
	s.Kick()
}

// Kick wakes the dispatcher.
func (s *Service) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// RunScheduler ticks until ctx ends; it starts no run after that. The
// runs under way go on until StopRuns.
func (s *Service) RunScheduler(ctx context.Context) {
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("scheduler tick failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ScheduleView is one integration's place in the schedule.
type ScheduleView struct {
	IntegrationID int64          `json:"integration_id"`
	Integration   string         `json:"integration"`
	Connector     string         `json:"connector"`
	Enabled       bool           `json:"enabled"`
	Interval      model.Duration `json:"interval"`
	// NextRunAt is the persisted plan (nil for a disabled integration, or
	// one the scheduler has not planned yet: it is collected at the next
	// tick).
	NextRunAt *time.Time `json:"next_run_at,omitempty"`
	// Failures counts failed runs in a row; the next run is a retry with
	// back-off when it is above zero.
	Failures   int             `json:"failures"`
	LastRun    *model.Run      `json:"last_run,omitempty"`
	LastStatus model.RunStatus `json:"last_status,omitempty"`
}

// Schedule lists the organization's integrations with their plan, the
// soonest first.
func (s *Service) Schedule(ctx context.Context, p model.Principal) ([]ScheduleView, error) {
	list, err := s.opts.Collect.Integrations(ctx, p)
	if err != nil {
		return nil, err
	}
	plans, err := s.st.Org(p.Org.ID).Schedules(ctx)
	if err != nil {
		return nil, err
	}
	out := []ScheduleView{}
	for _, in := range list {
		v := ScheduleView{IntegrationID: in.ID, Integration: in.Name, Connector: in.Connector, Enabled: in.Enabled,
			Interval: in.Interval, LastRun: in.LastRun}
		if in.LastRun != nil {
			v.LastStatus = in.LastRun.Status
		}
		if plan, ok := plans[in.ID]; ok {
			v.Failures = plan.Failures
			if in.Enabled {
				next := plan.NextRunAt
				v.NextRunAt = &next
			}
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].NextRunAt, out[j].NextRunAt
		if (a == nil) != (b == nil) {
			return a != nil
		}
		return a != nil && a.Before(*b)
	})
	return out, nil
}
