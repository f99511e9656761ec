package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/buildinfo"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/server"
	"github.com/assurehq/assure/internal/web"
)

// NewServer builds the HTTP server over the app's services.
func (a *App) NewServer() (*server.Server, error) {
	w, err := web.New(web.Deps{
		Accounts:      a.Accounts,
		Catalog:       a.Catalog,
		Evidence:      a.Evidence,
		Audits:        a.Audits,
		Exports:       a.Exports,
		Ledger:        a.Ledger,
		MaxUpload:     a.Config.MaxUploadBytes,
		Collect:       a.Collect,
		Checks:        a.Checks,
		Monitor:       a.Monitor,
		Now:           a.Now,
		SecureCookies: a.Config.SecureCookies(),
		// Ten attempts at once, then one every six seconds, per client
		// address; five, then one every twelve seconds, per e-mail.
		SignInLimiter: httpx.NewLimiter(6*time.Second, 10, a.Now),
		EmailLimiter:  httpx.NewLimiter(12*time.Second, 5, a.Now),
	})
	if err != nil {
		return nil, err
	}
	return server.New(server.Deps{
		Accounts:    a.Accounts,
		Web:         w,
		API:         api.New(api.Deps{Accounts: a.Accounts, Catalog: a.Catalog, Evidence: a.Evidence, Ledger: a.Ledger, Collect: a.Collect, Checks: a.Checks, Monitor: a.Monitor, Audits: a.Audits, Exports: a.Exports, Now: a.Now}),
		Ready:       a.Ready,
		Version:     buildinfo.Read().Version,
		Log:         a.Log,
		UploadLimit: a.Config.MaxUploadBytes,
	})
}

// Serve runs the web UI and API on the configured address until ctx ends.
// ready, if not nil, is called with the bound address once listening.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	srv, err := a.NewServer()
	if err != nil {
		return err
	}
	// The secret key is generated on serve's first start, not later in the
	// middle of someone adding an integration.
	if _, err := a.Secrets(); err != nil {
		return err
	}
	if err := a.Collect.RecoverInterrupted(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (is another program using it? choose another with --addr): %w", a.Config.Addr, err)
	}
	// The scheduler and the notification dispatcher run beside the HTTP
	// server; several servers on one database share the work (claims are
	// atomic) without running or sending anything twice.
	a.serving.Store(true)
	mctx, stopMonitor := context.WithCancel(ctx)
	var loops sync.WaitGroup
	loops.Add(2)
	go func() { defer loops.Done(); a.Monitor.RunScheduler(mctx) }()
	go func() { defer loops.Done(); a.Monitor.RunDispatcher(mctx) }()
	defer func() {
		// Ordered shutdown, once the HTTP server has stopped: the scheduler
		// starts no run and the dispatcher finishes the pass under way;
		// scheduled runs get ten seconds to end, then are cancelled (they
		// record themselves failed and are retried after a restart), as are
		// runs started with "run now". Status changes not yet sent stay in
		// the outbox for the next start.
		stopMonitor()
		loops.Wait()
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		grace, cancelGrace := context.WithTimeout(sctx, 10*time.Second)
		a.Monitor.StopRuns(grace)
		cancelGrace()
		a.Collect.Shutdown(sctx)
	}()
	go a.housekeeping(ctx)
	go a.checkpoints(ctx)
	if ready != nil {
		ready(ln.Addr().String())
	}
	a.Log.Info("serving", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL, "dialect", a.Store.Dialect(), "blobs", a.Blobs.Describe())
	return srv.Serve(ctx, ln)
}

// housekeeping removes expired sessions every hour and applies the
// evidence retention policies once a day.
func (a *App) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	var lastRetention time.Time
	for {
		if n, err := a.Store.DeleteExpiredSessions(ctx, a.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("cannot delete expired sessions", "err", err)
		} else if n > 0 {
			a.Log.Debug("deleted expired sessions", "count", n)
		}
		if a.Now().Sub(lastRetention) >= 24*time.Hour {
			lastRetention = a.Now()
			if n, err := a.Evidence.ApplyRetentionAll(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("cannot apply the evidence retention policy", "err", err)
			} else if n > 0 {
				a.Log.Info("retention policy deleted evidence versions", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkpoints signs a ledger checkpoint for every organization whose
// ledger grew, every --checkpoint-interval. Several servers may do this at
// once: a checkpoint at a size that exists already is not made twice.
func (a *App) checkpoints(ctx context.Context) {
	if a.Config.CheckpointEvery <= 0 {
		return
	}
	t := time.NewTicker(a.Config.CheckpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := a.CheckpointAll(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("cannot sign ledger checkpoints", "err", err)
		}
	}
}

// CheckpointAll signs a checkpoint for every organization whose ledger has
// entries beyond its latest checkpoint, and returns those made.
func (a *App) CheckpointAll(ctx context.Context) ([]model.LedgerCheckpoint, error) {
	orgs, err := a.Store.Organizations(ctx)
	if err != nil {
		return nil, err
	}
	var out []model.LedgerCheckpoint
	for _, o := range orgs {
		c, created, err := a.Ledger.Checkpoint(ctx, o.ID)
		if errors.Is(err, model.ErrNotFound) {
			continue // an empty ledger
		}
		if err != nil {
			return out, fmt.Errorf("organization %s: %w", o.Slug, err)
		}
		if created {
			a.Log.Info("signed a ledger checkpoint", "org_id", o.ID, "size", c.TreeSize)
			out = append(out, c)
		}
	}
	return out, nil
}
