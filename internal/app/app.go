// Package app wires Assure together: it opens the stores named by the
// configuration, brings the schema up to date on a fresh installation,
// builds the services, and runs the server with an ordered shutdown. The CLI
// calls it; nothing below it knows it exists.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/secret"
	"github.com/assurehq/assure/internal/store"
)

// App is an opened installation: stores and services.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Now      func() time.Time
	Store    *store.Store
	Blobs    blob.Store
	Accounts *account.Service
	// Connectors is the registry of connectors, built and validated at Open.
	Connectors *connector.Registry
	// Collect manages integrations and runs collections.
	Collect *collect.Service
	// Bootstrap is set when this Open created the first organization and its
	// owner; the caller shows the credentials once.
	Bootstrap *account.Bootstrap

	secretOnce sync.Once
	secretBox  *secret.Box
	secretErr  error
}

// Options change how Open treats the schema.
type Options struct {
	// AllowStaleSchema opens a database whose schema is older than the binary
	// (for `assure migrate`, which then brings it up to date).
	AllowStaleSchema bool
	// Now overrides the clock (tests).
	Now func() time.Time
	// Connectors replaces the built-in connectors (tests).
	Connectors []connector.Registration
	// HTTP tunes the connectors' HTTP discipline (tests).
	HTTP collect.HTTPOptions
}

// Open opens the installation described by cfg. A fresh data directory or
// an empty database is created, migrated and given its first organization,
// whatever the command; an existing database must be at the binary's schema
// version unless opts.AllowStaleSchema.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	a := &App{Config: cfg, Log: log, Now: opts.Now}
	if a.Now == nil {
		a.Now = func() time.Time { return time.Now().UTC() }
	}
	var err error
	if cfg.UsesPostgres() {
		a.Store, err = store.OpenPostgres(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("%w (check --database-url / ASSURE_DATABASE_URL: %s)", err, cfg.RedactedDatabaseURL())
		}
	} else {
		a.Store, err = store.OpenSQLite(ctx, cfg.SQLitePath())
		if err != nil {
			return nil, err
		}
	}
	if err := a.prepareSchema(ctx, opts); err != nil {
		a.Store.Close()
		return nil, err
	}
	dir, err := cfg.BlobDir()
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	if a.Blobs, err = blob.OpenLocal(dir); err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Accounts = account.New(a.Store, a.Now)
	regs := opts.Connectors
	if regs == nil {
		regs = builtin.Registrations()
	}
	if a.Connectors, err = connector.NewRegistry(regs...); err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Collect = collect.New(collect.Options{
		Store: a.Store, Blobs: a.Blobs, Registry: a.Connectors, Secrets: a.Secrets, Now: a.Now, Log: log, HTTP: opts.HTTP,
	})
	if v, _ := a.Store.SchemaVersion(ctx); v == a.Store.LatestVersion() {
		if a.Bootstrap, err = a.Accounts.EnsureBootstrap(ctx); err != nil {
			a.Store.Close()
			return nil, err
		}
	}
	return a, nil
}

func (a *App) prepareSchema(ctx context.Context, opts Options) error {
	v, err := a.Store.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v == 0 {
		// A fresh installation: every command sets it up the same way.
		applied, err := a.Store.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("cannot create the database schema: %w", err)
		}
		a.Log.Info("created the database schema", "dialect", a.Store.Dialect(), "version", applied[len(applied)-1])
		return nil
	}
	err = a.Store.CheckSchema(ctx)
	var se *store.SchemaError
	if errors.As(err, &se) && se.Database < se.Binary && opts.AllowStaleSchema {
		return nil
	}
	return err
}

// secretCheck is sealed under the installation's secret key once, so that a
// different key is recognized before it fails to open real secrets.
const (
	secretCheckKey   = "secret_key_check"
	secretCheckPlain = "assure: this installation's secret key"
)

// Secrets returns the box that seals integration secrets. The key is loaded
// (or generated into <data>/secret.key) on first need and checked against
// the installation: a key other than the one its secrets were sealed with
// is refused with the way out.
func (a *App) Secrets() (*secret.Box, error) {
	a.secretOnce.Do(func() {
		a.secretBox, a.secretErr = a.loadSecrets()
	})
	return a.secretBox, a.secretErr
}

func (a *App) loadSecrets() (*secret.Box, error) {
	src := secret.Source{Value: a.Config.SecretKey, File: a.Config.SecretKeyFile, DataDir: a.Config.DataDir}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	box, err := secret.Load(src, false)
	if errors.Is(err, secret.ErrNoKey) {
		// Generate a key only for an installation that never had one: a
		// missing key file must not be silently replaced.
		if _, had, cerr := a.Store.InstallationValue(ctx, secretCheckKey); cerr != nil {
			return nil, cerr
		} else if had {
			return nil, fmt.Errorf("the secret key file %s is missing, but this installation has integration secrets sealed with it: restore the file, or give the key with ASSURE_SECRET_KEY or --secret-key-file", src.DefaultFile())
		}
		box, err = secret.Load(src, true)
	}
	if err != nil {
		return nil, err
	}
	sealed, err := box.Seal(secretCheckPlain, secretCheckKey)
	if err != nil {
		return nil, err
	}
	stored, err := a.Store.SetInstallationValueOnce(ctx, secretCheckKey, sealed)
	if err != nil {
		return nil, err
	}
	if plain, err := box.Open(stored, secretCheckKey); err != nil || plain != secretCheckPlain {
		return nil, fmt.Errorf("the secret key from %s is not the key this installation's integration secrets were sealed with: give the original key with ASSURE_SECRET_KEY or --secret-key-file, or restore %s", box.Origin, src.DefaultFile())
	}
	return box, nil
}

// Close releases the stores.
func (a *App) Close() error { return a.Store.Close() }

// Ready reports whether the installation can serve: the database answers and
// its schema is the binary's.
func (a *App) Ready(ctx context.Context) error {
	if err := a.Store.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return a.Store.CheckSchema(ctx)
}

// NewLogger builds the process logger from the configuration.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
