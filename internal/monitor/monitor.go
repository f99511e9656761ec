// Package monitor is what makes Assure continuous. Inside `assure serve` it
// runs the scheduler, which collects each integration on its interval
// (persisted, with jitter, claimed atomically so several servers on one
// database never start the same run, with back-off after failures) and
// evaluates the tests right after each run; and the dispatcher, which
// turns test status changes and evidence expiry reminders into
// notifications (signed webhooks, Slack-compatible webhooks, e-mail over
// SMTP), each change delivered once per channel, retried with back-off, and
// logged. `assure scan` calls the same dispatcher, so an installation
// without a server notifies too.
package monitor

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
)

// Options configure the service. Zero durations take the defaults.
type Options struct {
	Store   *store.Store
	Collect *collect.Service
	// Checks evaluates the tests after each scheduled run (nil: no
	// evaluation, and so no status changes).
	Checks *check.Service
	// Evidence lists evidence that expires soon, for reminders (nil: none).
	Evidence *evidence.Service
	// Catalog checks the control keys of channel filters (nil: any key).
	Catalog *catalog.Service
	// Secrets returns the box that seals channel secrets.
	Secrets func() (*secret.Box, error)
	Now     func() time.Time
	Log     *slog.Logger
	// BaseURL is the server's external URL, for links in messages.
	BaseURL string

	// Tick is how often the scheduler looks for due integrations (15s).
	Tick time.Duration
	// MaxRuns bounds the scheduled runs under way at once in this process (2).
	MaxRuns int
	// DispatchEvery is how often the dispatcher looks for changes and due
	// deliveries when nothing woke it (10s); RemindEvery how often it looks
	// for expiring evidence (1h).
	DispatchEvery, RemindEvery time.Duration
	// Jitter returns a random duration in [0, max) (tests fix it).
	Jitter func(max time.Duration) time.Duration

	// HTTPClient sends webhooks (tests); nil builds the guarded client.
	HTTPClient *http.Client
	// SMTPRootCAs verifies SMTP servers' certificates (tests); nil uses the
	// system's.
	SMTPRootCAs *x509.CertPool
}

// Service runs the scheduler and the dispatcher and manages channels.
type Service struct {
	opts   Options
	st     *store.Store
	now    func() time.Time
	log    *slog.Logger
	runner string
	http   *http.Client

	// Scheduled runs under way in this process.
	runs    sync.WaitGroup
	runMu   sync.Mutex
	running map[int64]bool

	// runCtx is the context of scheduled runs: StopRuns cancels it.
	runCtx    context.Context
	runCancel context.CancelFunc

	// kick wakes the dispatcher (a run was evaluated).
	kick chan struct{}
	// sendMu serializes dispatch passes within this process.
	sendMu sync.Mutex
}

// New returns the service.
func New(opts Options) *Service {
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Tick <= 0 {
		opts.Tick = 15 * time.Second
	}
	if opts.MaxRuns <= 0 {
		opts.MaxRuns = 2
	}
	if opts.DispatchEvery <= 0 {
		opts.DispatchEvery = 10 * time.Second
	}
	if opts.RemindEvery <= 0 {
		opts.RemindEvery = time.Hour
	}
	if opts.Jitter == nil {
		opts.Jitter = randomJitter
	}
	host, _ := os.Hostname()
	s := &Service{opts: opts, st: opts.Store, now: opts.Now, log: opts.Log, running: map[int64]bool{},
		runner: fmt.Sprintf("%s:%d", host, os.Getpid()), kick: make(chan struct{}, 1)}
	s.runCtx, s.runCancel = context.WithCancel(context.Background())
	s.http = opts.HTTPClient
	if s.http == nil {
		s.http = guardedClient()
	}
	return s
}

func randomJitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(max)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}

// principal is how the scheduler acts in an organization: as the system,
// with the rights of an owner.
func (s *Service) principal(ctx context.Context, orgID int64) (model.Principal, error) {
	org, err := s.st.Org(orgID).Organization(ctx)
	if err != nil {
		return model.Principal{}, err
	}
	return model.Principal{Org: org, Role: model.RoleOwner, Via: "system:scheduler"}, nil
}

func need(p model.Principal, perm model.Permission, what string) error {
	if !p.Can(perm) {
		return fmt.Errorf("%s needs the %s permission, which your role (%s) does not have: %w", what, perm, p.Role, model.ErrForbidden)
	}
	return nil
}

func sealContext(org int64, field string) string {
	return "assure notification channel secret: organization " + strconv.FormatInt(org, 10) + ", field " + field
}
