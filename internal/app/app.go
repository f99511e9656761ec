// Package app wires Assure together: it opens the stores named by the
// configuration, brings the schema up to date on a fresh installation,
// builds the services, and runs the server with an ordered shutdown. The CLI
// calls it; nothing below it knows it exists.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
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
	// Catalog is the organizations' scope, objectives, controls and
	// coverage over the embedded catalog.
	Catalog *catalog.Service
	// Ledger signs checkpoints and proves entries; Evidence keeps evidence
	// and verifies everything against the ledger. Both are nil only while
	// `assure migrate` runs on an older schema.
	Ledger         *ledger.Log
	Evidence       *evidence.Service
	InstallationID string
	// Bootstrap is set when this Open created the first organization and its
	// owner; the caller shows the credentials once.
	Bootstrap *account.Bootstrap
}

// Options change how Open treats the schema.
type Options struct {
	// AllowStaleSchema opens a database whose schema is older than the binary
	// (for `assure migrate`, which then brings it up to date).
	AllowStaleSchema bool
	// Now overrides the clock (tests).
	Now func() time.Time
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
	if a.Blobs, err = openBlobs(ctx, cfg, a.Now); err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Accounts = account.New(a.Store, a.Now)
	cat, err := catalog.Embedded()
	if err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Catalog = catalog.NewService(a.Store, cat, a.Now, a.activity)
	if v, _ := a.Store.SchemaVersion(ctx); v == a.Store.LatestVersion() {
		if err := a.openLedger(ctx); err != nil {
			a.Store.Close()
			return nil, err
		}
		if a.Bootstrap, err = a.Accounts.EnsureBootstrap(ctx); err != nil {
			a.Store.Close()
			return nil, err
		}
	}
	return a, nil
}

// openLedger loads (or on first start generates) the installation's signing
// key and builds the ledger and evidence services. The public key is pinned
// in the database on first use, so a server given a different key (another
// data directory on the same PostgreSQL) refuses to start instead of
// signing checkpoints nobody can verify with the published key.
func (a *App) openLedger(ctx context.Context) error {
	id, err := a.Store.SetInstallationValueOnce(ctx, "installation_id", randomID())
	if err != nil {
		return err
	}
	a.InstallationID = id
	path := a.Config.SigningKeyPath()
	key, created, err := ledger.LoadOrCreateKey(path)
	if err != nil {
		return err
	}
	if created {
		a.Log.Info("generated the ledger signing key: back it up with the database", "path", path, "key_id", key.ID())
	}
	pub := base64.StdEncoding.EncodeToString(key.Public)
	pinned, err := a.Store.SetInstallationValueOnce(ctx, "ledger_public_key", pub)
	if err != nil {
		return err
	}
	if pinned != pub {
		want := "unknown"
		if raw, err := base64.StdEncoding.DecodeString(pinned); err == nil {
			want = ledger.KeyID(raw)[:16]
		}
		return fmt.Errorf("the ledger signing key %s (key %s) is not this installation's key (key %s): give every server the installation's key with --signing-key-file (ASSURE_SIGNING_KEY_FILE)",
			path, key.ID()[:16], want)
	}
	a.Ledger = ledger.NewLog(a.Store, key, id, a.Now)
	a.Evidence = evidence.New(evidence.Deps{Store: a.Store, Blobs: a.Blobs, Ledger: a.Ledger, Controls: a.Catalog, Now: a.Now, MaxUpload: a.Config.MaxUploadBytes})
	return nil
}

// activity tells the coverage report how many tests and evidence items a
// control has.
func (a *App) activity(ctx context.Context, orgID int64, control string) (tests, evidence int, err error) {
	if a.Evidence == nil {
		return 0, 0, nil
	}
	evidence, err = a.Evidence.CountForControl(ctx, orgID, control)
	return 0, evidence, err
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// openBlobs opens the blob store the configuration names: an S3-compatible
// bucket or a local directory.
func openBlobs(ctx context.Context, cfg config.Config, now func() time.Time) (blob.Store, error) {
	if cfg.S3 != nil {
		return blob.OpenS3(ctx, *cfg.S3, blob.S3Options{Now: now})
	}
	dir, err := cfg.BlobDir()
	if err != nil {
		return nil, err
	}
	return blob.OpenLocal(dir)
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
