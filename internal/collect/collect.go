// Package collect runs connectors and keeps what they observe. It manages
// integrations (configured connectors with sealed secrets), runs
// collections (one at a time per integration, enforced by the database),
// gives each connector its Runtime (the disciplined HTTP client and the
// recording of every observation with its raw body in the blob store), and
// stores resources versioned by content hash: an unchanged resource costs
// no write, a resource absent from a successful listing is marked removed,
// and a failed listing or scope leaves what was collected before untouched.
//
// A finished run is handed on in two places: Options.OnRunFinished, called
// inside the run's final transaction, and Options.AfterRun, called once it
// committed.
package collect

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
)

// FinishedRun is what a finished run hands on (to the evidence ledger and
// to test evaluation).
type FinishedRun struct {
	Run         model.Run
	Integration model.Integration
	Listings    []model.Listing
	// ObservationDigests are the SHA-256 of every raw body the run recorded,
	// in the order the calls were made.
	ObservationDigests []string
	// Changed are the resources the run added, changed or marked removed.
	Changed []int64
}

// Options configure the service.
type Options struct {
	Store    *store.Store
	Blobs    blob.Store
	Registry *connector.Registry
	// Secrets returns the box that seals integration secrets, loading or
	// generating the key on first need.
	Secrets func() (*secret.Box, error)
	Now     func() time.Time
	Log     *slog.Logger
	HTTP    HTTPOptions
	// RunTimeout bounds one run (30m).
	RunTimeout time.Duration
	// HeartbeatEvery is how often a running run proves its process alive
	// (15s); a run without a heartbeat for StaleAfter (2m) is declared
	// interrupted by the next process that looks.
	HeartbeatEvery, StaleAfter time.Duration
	// OnRunFinished, when set, is called inside the transaction that
	// finishes a run (every run, whatever its status). Its error rolls the
	// transaction back and the run is recorded as failed with the reason.
	OnRunFinished func(ctx context.Context, tx *store.OrgStore, fr FinishedRun) error
	// AfterRun, when set, is called once a run's end is recorded (after
	// OnRunFinished's transaction commits), in the goroutine that ran it:
	// before Run returns, or at the end of a run started with Start. The
	// server evaluates the tests there for runs started by hand.
	AfterRun func(ctx context.Context, fr FinishedRun)
}

// Service is the collection service.
type Service struct {
	opts   Options
	now    func() time.Time
	log    *slog.Logger
	runner string

	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
}

// New returns the service.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.RunTimeout <= 0 {
		opts.RunTimeout = 30 * time.Minute
	}
	if opts.HeartbeatEvery <= 0 {
		opts.HeartbeatEvery = 15 * time.Second
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 2 * time.Minute
	}
	host, _ := os.Hostname()
	s := &Service{opts: opts, now: opts.Now, log: opts.Log, runner: fmt.Sprintf("%s:%d", host, os.Getpid())}
	s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	return s
}

// Registry returns the connectors the service knows.
func (s *Service) Registry() *connector.Registry { return s.opts.Registry }

// Shutdown cancels runs started in the background and waits for them to
// record their end (bounded by ctx).
func (s *Service) Shutdown(ctx context.Context) {
	s.bgCancel()
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// RecoverInterrupted marks failed the runs whose process stopped sending
// heartbeats (it crashed or was killed). serve calls it at start; every
// run start does it for its integration.
func (s *Service) RecoverInterrupted(ctx context.Context) error {
	n, err := s.opts.Store.InterruptStaleRuns(ctx, s.now().Add(-s.opts.StaleAfter), s.now())
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Warn("marked interrupted collection runs failed", "count", n)
	}
	return nil
}

func need(p model.Principal, perm model.Permission, what string) error {
	if !p.Can(perm) {
		return fmt.Errorf("%s needs the %s permission, which your role (%s) does not have: %w", what, perm, p.Role, model.ErrForbidden)
	}
	return nil
}
