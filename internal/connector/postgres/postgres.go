// Package postgres is the postgres connector: it reads a PostgreSQL
// server's security settings (TLS, password hashing, connection logging,
// listen addresses, pgaudit, host-based authentication rules, version
// support) and its roles (superusers, login roles, password expiry) with
// read-only queries. Every query is recorded with its raw result.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/assurehq/assure/internal/connector"
)

// Registration declares the postgres connector.
func Registration() connector.Registration {
	return connector.Registration{
		ID:       "postgres",
		Name:     "PostgreSQL",
		Category: connector.CategoryDatabase,
		Description: "Reads a PostgreSQL server's security settings (TLS, password hashing, connection logging, " +
			"authentication rules, pgaudit, version support) and its roles, with read-only queries.",
		Fields: []connector.ConfigField{
			{Name: "url", Label: "Connection URL", Type: connector.FieldURL, Required: true,
				Help: "postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full, without the password. The role needs " +
					"pg_read_all_settings (GRANT pg_read_all_settings TO USER); a superuser also sees pg_hba.conf rules " +
					"and how role passwords are hashed."},
			{Name: "password", Label: "Password", Type: connector.FieldString, Secret: true,
				Help: "Password of the role in the URL. Leave empty for certificate or peer authentication."},
		},
		Open: open,
		Resources: []connector.ResourceType{
			serverType(),
			roleType(),
		},
	}
}

// conn is one integration's database connection for one run, opened on
// first use. Query results are cached: every listing of a run sees the
// same observation.
type conn struct {
	rt   connector.Runtime
	cfg  *pgx.ConnConfig
	host string // host:port, for observations and ids

	mu      sync.Mutex
	db      *pgx.Conn
	results map[string]*result
}

// result is one recorded query.
type result struct {
	columns []string
	rows    [][]any
	ref     connector.CallRef
	err     error
}

func open(_ context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
	raw := cfg.String("url")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, errors.New("url: give a postgres://USER@HOST:PORT/DATABASE URL")
	}
	if _, has := u.User.Password(); has {
		return nil, errors.New("url: put the password in the password field, not in the URL (the URL is not kept secret)")
	}
	if u.Query().Has("password") {
		return nil, errors.New("url: put the password in the password field, not in the URL query")
	}
	pc, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if u.User.Username() == "" {
		return nil, errors.New("url: name the role to connect as (postgres://USER@HOST/DATABASE)")
	}
	pc.Password = cfg.String("password")
	if pc.ConnectTimeout == 0 {
		pc.ConnectTimeout = 15 * time.Second
	}
	pc.RuntimeParams["application_name"] = "assure"
	// Read only, and never long: nothing this connector runs should take seconds.
	pc.RuntimeParams["default_transaction_read_only"] = "on"
	pc.RuntimeParams["statement_timeout"] = "30000"
	return &conn{rt: rt, cfg: pc, host: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))),
		results: map[string]*result{}}, nil
}

// connect opens the connection once; its error says what is wrong.
func (c *conn) connect(ctx context.Context) (*pgx.Conn, error) {
	if c.db != nil {
		return c.db, nil
	}
	db, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return nil, c.explain(err)
	}
	c.db = db
	return db, nil
}

// explain turns a connection error into what the operator should fix.
func (c *conn) explain(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01":
			return fmt.Errorf("cannot connect to %s: password authentication failed for role %q: check the password", c.host, c.cfg.User)
		case "28000":
			return fmt.Errorf("cannot connect to %s as %q: %s (check pg_hba.conf for this host, role and database, and that the role has LOGIN)",
				c.host, c.cfg.User, pe.Message)
		case "3D000":
			return fmt.Errorf("cannot connect to %s: database %q does not exist: fix the database in the URL", c.host, c.cfg.Database)
		case "53300":
			return fmt.Errorf("cannot connect to %s: the server has no free connection slots", c.host)
		}
		return fmt.Errorf("cannot connect to %s as %q: %s (SQLSTATE %s)", c.host, c.cfg.User, pe.Message, pe.Code)
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server refused TLS connection") || strings.Contains(msg, "server does not support SSL"):
		return fmt.Errorf("cannot connect to %s: the server does not offer TLS but the URL's sslmode requires it", c.host)
	case strings.Contains(msg, "certificate"):
		return fmt.Errorf("cannot connect to %s: the server's TLS certificate was not accepted: %w", c.host, unwrapAll(err))
	case strings.Contains(msg, "connection refused"):
		return fmt.Errorf("cannot connect to %s: connection refused: check the host and port, that the server runs, "+
			"and that listen_addresses and the firewall admit Assure", c.host)
	case strings.Contains(msg, "timeout") || strings.Contains(msg, "deadline"):
		return fmt.Errorf("cannot connect to %s: no answer in time: check the host, port and firewall", c.host)
	}
	return fmt.Errorf("cannot connect to %s: %w", c.host, unwrapAll(err))
}

// unwrapAll returns the innermost error, whose text is the cause.
func unwrapAll(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// Probe connects and checks that the role may read every setting the
// connector reports.
func (c *conn) Probe(ctx context.Context) error {
	r, err := c.query(ctx, qPrivileges)
	if err != nil {
		return err
	}
	if len(r.rows) != 1 {
		return fmt.Errorf("cannot find role %q in pg_roles", c.cfg.User)
	}
	super, _ := r.rows[0][0].(bool)
	readAll, _ := r.rows[0][1].(bool)
	if !super && !readAll {
		return fmt.Errorf("connected to %s as %q, but the role cannot read settings reserved to superusers "+
			"(shared_preload_libraries, and with it pgaudit): run GRANT pg_read_all_settings TO %s",
			c.host, c.cfg.User, ident(c.cfg.User))
	}
	return nil
}

// ident quotes a role name for SQL only when it needs quoting.
func ident(name string) string {
	for i, r := range name {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (i > 0 && r >= '0' && r <= '9')) {
			return pgx.Identifier{name}.Sanitize()
		}
	}
	return name
}

// Close implements connector.Conn.
func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.db.Close(ctx)
	c.db = nil
	return err
}

// query runs one read-only query once per run, records it (method SQL,
// the database host, the query text) with its result as JSON, and returns
// the result. A query the role may not run returns a result whose err is
// errPrivilege, recorded too; a lost connection is returned as an error.
func (c *conn) query(ctx context.Context, sql string) (*result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.results[sql]; ok {
		return r, nil
	}
	db, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	start := c.rt.Now()
	r := &result{}
	rows, err := db.Query(ctx, sql)
	if err == nil {
		for _, fd := range rows.FieldDescriptions() {
			r.columns = append(r.columns, fd.Name)
		}
		for rows.Next() {
			vals, verr := rows.Values()
			if verr != nil {
				err = verr
				break
			}
			r.rows = append(r.rows, vals)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	var pe *pgconn.PgError
	status := 0
	body := map[string]any{"columns": r.columns, "rows": r.rows}
	if r.rows == nil {
		body["rows"] = [][]any{}
	}
	switch {
	case errors.As(err, &pe) && pe.Code == "42501":
		r.err = fmt.Errorf("%w: %s", errPrivilege, pe.Message)
		body = map[string]any{"error": pe.Message, "sqlstate": pe.Code}
		status = 1
	case err != nil:
		return nil, fmt.Errorf("cannot query %s: %w", c.host, err)
	}
	raw, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cannot encode the result of a query: %w", err)
	}
	ref, err := c.rt.Record(ctx, connector.Observation{Method: "SQL", Host: c.host, Path: sql, Status: status,
		StartedAt: start, Duration: c.rt.Now().Sub(start)}, raw)
	if err != nil {
		return nil, fmt.Errorf("cannot record a query: %w", err)
	}
	r.ref = ref
	c.results[sql] = r
	return r, nil
}

// errPrivilege marks a query the role may not run.
var errPrivilege = errors.New("permission denied")

// byName maps a result's rows by their first column.
func (r *result) byName() map[string][]any {
	out := map[string][]any{}
	for _, row := range r.rows {
		if name, ok := row[0].(string); ok {
			out[name] = row
		}
	}
	return out
}

// The queries. Each is static text, recorded as the observation's path.
const (
	qPrivileges = `SELECT rolsuper, pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS read_all_settings
FROM pg_roles WHERE rolname = current_user`

	qServer = `SELECT current_setting('server_version') AS server_version,
  current_setting('server_version_num')::int AS server_version_num,
  current_database() AS database, current_user AS connected_as, pg_is_in_recovery() AS in_recovery,
  (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier`

	qSettings = `SELECT name, setting, source FROM pg_settings WHERE name IN (
  'ssl', 'ssl_min_protocol_version', 'password_encryption', 'listen_addresses', 'port',
  'log_connections', 'log_disconnections', 'log_statement', 'log_min_duration_statement',
  'log_line_prefix', 'logging_collector', 'log_destination', 'shared_preload_libraries',
  'pgaudit.log', 'data_checksums', 'idle_in_transaction_session_timeout', 'authentication_timeout')
ORDER BY name`

	qConnectionSSL = `SELECT ssl, COALESCE(version, '') AS version, COALESCE(cipher, '') AS cipher
FROM pg_stat_ssl WHERE pid = pg_backend_pid()`

	qExtensions = `SELECT extname, extversion FROM pg_extension ORDER BY extname`

	qHBA = `SELECT line_number, type, database, user_name, COALESCE(address, '') AS address,
  COALESCE(netmask, '') AS netmask, COALESCE(auth_method, '') AS auth_method, COALESCE(error, '') AS error
FROM pg_hba_file_rules ORDER BY line_number`

	qRoles = `SELECT r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
  r.rolreplication, r.rolbypassrls, r.rolconnlimit,
  CASE WHEN r.rolvaliduntil IS NULL OR NOT isfinite(r.rolvaliduntil) THEN ''
       ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') END AS valid_until,
  ARRAY(SELECT g.rolname::text FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
        WHERE m.member = r.oid ORDER BY 1) AS member_of
FROM pg_roles r WHERE r.rolname !~ '^pg_' ORDER BY r.rolname`

	// The hash itself is never selected: only its kind.
	qPasswordKinds = `SELECT rolname, CASE WHEN rolpassword IS NULL THEN ''
  WHEN rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
  WHEN rolpassword LIKE 'md5%' THEN 'md5' ELSE 'plain' END AS password_kind
FROM pg_authid WHERE rolname !~ '^pg_' ORDER BY rolname`
)
