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
	"sync"
	"sync/atomic"
	"time"

	"github.com/assurehq/assure/internal/account"
	"github.com/assurehq/assure/internal/audit"
	"github.com/assurehq/assure/internal/audit/export"
	"github.com/assurehq/assure/internal/blob"
	"github.com/assurehq/assure/internal/catalog"
	"github.com/assurehq/assure/internal/check"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/builtin"
	"github.com/assurehq/assure/internal/evidence"
	"github.com/assurehq/assure/internal/ledger"
	"github.com/assurehq/assure/internal/model"
	"github.com/assurehq/assure/internal/monitor"
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
	// Catalog is the organizations' scope, objectives, controls and
	// coverage over the embedded catalog.
	Catalog *catalog.Service
	// Ledger signs checkpoints and proves entries; Evidence keeps evidence
	// and verifies everything against the ledger. Both are nil only while
	// `assure migrate` runs on an older schema.
	Ledger         *ledger.Log
	Evidence       *evidence.Service
	InstallationID string
	// Connectors is the registry of connectors, built and validated at Open.
	Connectors *connector.Registry
	// Collect manages integrations and runs collections.
	Collect *collect.Service
	// Monitor schedules collections, notifies of test status changes and
	// reminds of expiring evidence (nil only while `assure migrate` runs on
	// an older schema).
	Monitor *monitor.Service
	// Checks evaluates tests after each collection and rolls results up
	// into control status and readiness (nil while `assure migrate` runs on
	// an older schema).
	Checks *check.Service
	// Audits runs Type 1 and Type 2 audits, populations, samples and the
	// auditor's workspace (nil while `assure migrate` runs on an older
	// schema).
	Audits *audit.Service
	// Exports writes an audit's control matrix, report draft and evidence
	// package (nil while `assure migrate` runs on an older schema).
	Exports *export.Service
	// Bootstrap is set when this Open created the first organization and its
	// owner; the caller shows the credentials once.
	Bootstrap *account.Bootstrap

	// serving is set by Serve: runs started by hand there are evaluated
	// right after they end (the scheduler evaluates its own; `assure scan`
	// evaluates in its own process).
	serving atomic.Bool

	opts Options

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
	// SchedulerTick overrides how often serve's scheduler and notification
	// dispatcher look for work (tests; default 15s and 10s).
	SchedulerTick time.Duration
}

// Open opens the installation described by cfg. A fresh data directory or
// an empty database is created, migrated and given its first organization,
// whatever the command; an existing database must be at the binary's schema
// version unless opts.AllowStaleSchema.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*App, error) {
	a := &App{Config: cfg, Log: log, Now: opts.Now, opts: opts}
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
		OnRunFinished: a.recordRun, AfterRun: a.afterRun,
	})
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
	a.Checks, err = check.New(check.Deps{Store: a.Store, Registry: a.Connectors, Catalog: a.Catalog, Evidence: a.Evidence, Now: a.Now,
		Log: a.Log, TestsDir: a.Config.TestsDir})
	if err != nil {
		return err
	}
	a.Audits = audit.New(audit.Deps{Store: a.Store, Blobs: a.Blobs, Catalog: a.Catalog, Checks: a.Checks, Evidence: a.Evidence,
		Accounts: a.Accounts, Now: a.Now})
	a.Exports = export.New(export.Deps{Store: a.Store, Blobs: a.Blobs, Ledger: a.Ledger, Audits: a.Audits, Checks: a.Checks, Now: a.Now,
		Generator: generator()})
	a.Monitor = monitor.New(monitor.Options{Store: a.Store, Collect: a.Collect, Checks: a.Checks, Evidence: a.Evidence,
		Catalog: a.Catalog, Secrets: a.Secrets, Now: a.Now, Log: a.Log, BaseURL: a.Config.BaseURL,
		Tick: a.opts.SchedulerTick, DispatchEvery: a.opts.SchedulerTick})
	return nil
}

// activity tells the coverage report how many tests and evidence items a
// control has.
func (a *App) activity(ctx context.Context, orgID int64, control string) (tests, evidence int, err error) {
	if a.Evidence == nil || a.Checks == nil {
		return 0, 0, nil
	}
	if tests, err = a.Checks.TestsForControl(ctx, orgID, control); err != nil {
		return 0, 0, err
	}
	evidence, err = a.Evidence.CountForControl(ctx, orgID, control)
	return tests, evidence, err
}

// recordRun puts a finished collection run on the ledger (with the hash of
// every raw response) and keeps the integration's automated evidence, in
// the run's own final transaction: a run is stored with its record or not
// at all.
func (a *App) recordRun(ctx context.Context, tx *store.OrgStore, fr collect.FinishedRun) error {
	if a.Evidence == nil {
		return nil // `assure migrate` on an older schema runs no collection
	}
	// The next scheduled run is planned from this one, whoever started it.
	if err := a.Monitor.RunFinished(ctx, tx, fr); err != nil {
		return err
	}
	obs, err := tx.Observations(ctx, fr.Run.ID, "*")
	if err != nil {
		return err
	}
	run := evidence.Run{RunID: fr.Run.ID, IntegrationID: fr.Integration.ID, Integration: fr.Integration.Name,
		Connector: fr.Integration.Connector, StartedAt: fr.Run.StartedAt, FinishedAt: a.Now(),
		Status: string(fr.Run.Status), Resources: fr.Run.Resources}
	if fr.Run.FinishedAt != nil {
		run.FinishedAt = *fr.Run.FinishedAt
	}
	for _, o := range obs {
		if !blob.ValidDigest(o.SHA256) {
			continue // a call that got no response has no body to commit to
		}
		run.Observations = append(run.Observations, evidence.Observation{Method: o.Method, Host: o.Host, Path: o.Path,
			Status: o.Status, SHA256: o.SHA256, Size: o.Size})
	}
	_, err = a.Evidence.RecordRun(ctx, tx.Store(), tx.ID(), run)
	return err
}

// afterRun evaluates the tests after a run started by hand in the server
// ("run now" on a page or through the API) and wakes the notification
// dispatcher; the scheduler does the same for its own runs.
func (a *App) afterRun(ctx context.Context, fr collect.FinishedRun) {
	if !a.serving.Load() || a.Monitor == nil || fr.Run.Trigger == model.TriggerSchedule {
		return
	}
	a.Monitor.Evaluated(ctx, fr.Run.OrgID, fr.Run)
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
