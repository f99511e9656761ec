package check_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/assurehq/assure/internal/app"
	"github.com/assurehq/assure/internal/collect"
	"github.com/assurehq/assure/internal/config"
	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/model"
)

// steadyConn is a system that never changes: one sshd and N accounts, each
// listing recorded as one observation with the same body every time.
type steadyConn struct {
	rt    connector.Runtime
	users int
}

func (c *steadyConn) Probe(context.Context) error { return nil }
func (c *steadyConn) Close() error                { return nil }

func steadyConnector(users int) connector.Registration {
	list := func(typ string) func(context.Context, connector.Conn, connector.Emitter) error {
		return func(ctx context.Context, conn connector.Conn, out connector.Emitter) error {
			c := conn.(*steadyConn)
			ref, err := c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: "/etc/" + typ, StartedAt: c.rt.Now()}, []byte("the same bytes every time: "+typ))
			if err != nil {
				return err
			}
			if typ == "host.sshd" {
				return out.Emit(ctx, connector.Resource{ExternalID: "box", Name: "box", Calls: []connector.CallRef{ref}, Attributes: map[string]any{
					"installed": true, "password_authentication": true, "permit_root_login": "no", "permit_empty_passwords": false,
					"kbd_interactive_authentication": false, "max_auth_tries": 6, "caveats": []any{}}})
			}
			for i := 0; i < c.users; i++ {
				name := fmt.Sprintf("user%04d", i)
				err := out.Emit(ctx, connector.Resource{ExternalID: name, Name: name, Calls: []connector.CallRef{ref}, Attributes: map[string]any{
					"name": name, "uid": 1000 + i, "gid": 1000, "home": "/home/" + name, "shell": "/bin/bash", "uid_zero": false, "system": false,
					"interactive": true, "password": "set", "password_last_changed": "2026-01-10", "password_max_days": 90 + i%400}})
				if err != nil {
					return err
				}
			}
			return nil
		}
	}
	field := func(names ...string) []connector.Field {
		var fs []connector.Field
		for _, n := range names {
			fs = append(fs, connector.Field{Name: n, Type: "string", Description: n})
		}
		return fs
	}
	return connector.Registration{
		ID: "steady", Name: "Steady", Category: connector.CategoryOther, Description: "A system that never changes.",
		Open: func(_ context.Context, _ connector.Config, rt connector.Runtime) (connector.Conn, error) {
			return &steadyConn{rt: rt, users: users}, nil
		},
		Resources: []connector.ResourceType{
			{Name: "host.sshd", Description: "sshd", List: list("host.sshd"), Fields: field("installed", "password_authentication", "permit_root_login",
				"permit_empty_passwords", "kbd_interactive_authentication", "max_auth_tries", "caveats")},
			{Name: "host.user", Description: "users", List: list("host.user"), Fields: field("name", "uid", "gid", "home", "shell", "uid_zero",
				"system", "interactive", "password", "password_last_changed", "password_max_days")},
		},
	}
}

// BenchmarkUnchangedScans runs 100 consecutive scans (collect, then
// evaluate) of a system that does not change, on real SQLite and the local
// blob store, and reports what each scan adds: database bytes (the file
// after a WAL checkpoint), rows per table, and blob bytes. See
// docs/performance.md for what remains and why.
func BenchmarkUnchangedScans(b *testing.B) {
	const scans = 100
	for n := 0; n < b.N; n++ {
		res := unchangedScans(b, scans, 1000)
		b.ReportMetric(float64(res.dbBytes)/scans, "db-bytes/scan")
		b.ReportMetric(float64(res.blobBytes)/scans, "blob-bytes/scan")
		b.ReportMetric(float64(res.statusRows)/scans, "status-rows/scan")
		b.ReportMetric(float64(res.rows)/scans, "rows/scan")
		if n == 0 {
			b.Logf("rows added over %d scans, per table: %v", scans, res.byTable)
		}
	}
}

type scanGrowth struct {
	dbBytes, blobBytes, rows, statusRows int64
	byTable                              map[string]int64
}

func unchangedScans(tb testing.TB, scans, users int) scanGrowth {
	ctx := context.Background()
	dir := tb.TempDir()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cfg := config.Config{DataDir: dir, Addr: "127.0.0.1:0", LogLevel: "error", LogFormat: "text"}
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		app.Options{Connectors: []connector.Registration{steadyConnector(users)}, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	defer a.Close()
	p := a.Accounts.OperatorPrincipal(a.Bootstrap.Org)
	in, err := a.Collect.CreateIntegration(ctx, p, collectInput())
	if err != nil {
		tb.Fatal(err)
	}
	scan := func() {
		rv, err := a.Collect.Run(ctx, p, in.ID, model.TriggerCLI)
		if err != nil || rv.Status != model.RunSucceeded {
			tb.Fatalf("run: %+v %v", rv.Run, err)
		}
		if _, err := a.Checks.EvaluateRun(ctx, p.Org.ID, rv.ID); err != nil {
			tb.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	raw, err := sql.Open("sqlite", "file:"+cfg.SQLitePath()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	measure := func() (int64, int64, map[string]int64) {
		if _, err := raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			tb.Fatal(err)
		}
		st, err := os.Stat(cfg.SQLitePath())
		if err != nil {
			tb.Fatal(err)
		}
		var blobs int64
		filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if info, err := d.Info(); err == nil {
					blobs += info.Size()
				}
			}
			return nil
		})
		rows := map[string]int64{}
		tables, err := raw.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
		if err != nil {
			tb.Fatal(err)
		}
		var names []string
		for tables.Next() {
			var n string
			tables.Scan(&n)
			names = append(names, n)
		}
		tables.Close()
		for _, n := range names {
			var c int64
			raw.QueryRowContext(ctx, `SELECT count(*) FROM "`+n+`"`).Scan(&c)
			rows[n] = c
		}
		return st.Size(), blobs, rows
	}
	scan() // the first scan stores the system; the growth that matters comes after
	db0, blob0, rows0 := measure()
	for i := 0; i < scans; i++ {
		scan()
	}
	db1, blob1, rows1 := measure()
	g := scanGrowth{dbBytes: db1 - db0, blobBytes: blob1 - blob0, byTable: map[string]int64{}}
	for t, c := range rows1 {
		if d := c - rows0[t]; d != 0 {
			g.byTable[t] = d
			g.rows += d
		}
	}
	g.statusRows = g.byTable["test_status"] + g.byTable["status_changes"]
	return g
}

// TestUnchangedScansWriteNoResults is the benchmark's promise as a test:
// scans of an unchanged system add no test status or change.
func TestUnchangedScansWriteNoResults(t *testing.T) {
	g := unchangedScans(t, 3, 20)
	if g.statusRows != 0 || g.blobBytes != 0 {
		t.Fatalf("unchanged scans wrote %d status rows and %d blob bytes (%v)", g.statusRows, g.blobBytes, g.byTable)
	}
	for _, table := range []string{"resources", "resource_versions", "test_status", "status_changes"} {
		if g.byTable[table] != 0 {
			t.Errorf("%s grew by %d rows", table, g.byTable[table])
		}
	}
}

func collectInput() collect.IntegrationInput {
	return collect.IntegrationInput{Connector: "steady", Name: "steady"}
}
