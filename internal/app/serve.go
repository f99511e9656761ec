package app

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/assurehq/assure/internal/api"
	"github.com/assurehq/assure/internal/buildinfo"
	"github.com/assurehq/assure/internal/httpx"
	"github.com/assurehq/assure/internal/server"
	"github.com/assurehq/assure/internal/web"
)

// NewServer builds the HTTP server over the app's services.
func (a *App) NewServer() (*server.Server, error) {
	w, err := web.New(web.Deps{
		Accounts:      a.Accounts,
		Collect:       a.Collect,
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
		Accounts: a.Accounts,
		Web:      w,
		API:      api.New(api.Deps{Accounts: a.Accounts, Collect: a.Collect, Now: a.Now}),
		Ready:    a.Ready,
		Version:  buildinfo.Read().Version,
		Log:      a.Log,
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
	defer func() {
		// Runs started with "run now" are cancelled and record themselves failed.
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a.Collect.Shutdown(sctx)
	}()
	go a.housekeeping(ctx)
	if ready != nil {
		ready(ln.Addr().String())
	}
	a.Log.Info("serving", "addr", ln.Addr().String(), "base_url", a.Config.BaseURL, "dialect", a.Store.Dialect(), "blobs", a.Blobs.Describe())
	return srv.Serve(ctx, ln)
}

// housekeeping removes expired sessions every hour.
func (a *App) housekeeping(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Store.DeleteExpiredSessions(ctx, a.Now()); err != nil && ctx.Err() == nil {
			a.Log.Warn("cannot delete expired sessions", "err", err)
		} else if n > 0 {
			a.Log.Debug("deleted expired sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
