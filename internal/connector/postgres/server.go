package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func serverType() connector.ResourceType {
	return connector.ResourceType{
		Name: "postgres.server",
		Description: "The PostgreSQL server: its version and whether the community still supports it, TLS, password " +
			"hashing, connection logging, where it listens, pgaudit, and its host-based authentication rules.",
		Fields: []connector.Field{
			{Name: "address", Type: "string", Description: "host:port Assure connects to; also the external id."},
			{Name: "database", Type: "string", Description: "Database Assure connected to."},
			{Name: "connected_as", Type: "string", Description: "Role Assure connected as."},
			{Name: "system_identifier", Type: "string", Description: "pg_control_system() system identifier: unique per cluster (a physical replica shares its primary's)."},
			{Name: "is_replica", Type: "bool", Description: "The server is a standby in recovery (pg_is_in_recovery())."},
			{Name: "server_version", Type: "string", Description: "server_version, e.g. 16.4."},
			{Name: "major_version", Type: "int", Description: "Major version, e.g. 16."},
			{Name: "version_end_of_life", Type: "string", Description: "Date (YYYY-MM-DD) the PostgreSQL community stops fixing this major version."},
			{Name: "version_supported", Type: "bool", Description: "The major version still receives community fixes on the collection date."},
			{Name: "ssl", Type: "bool", Description: "Setting ssl: the server accepts TLS connections."},
			{Name: "ssl_min_protocol_version", Type: "string", Description: "Setting ssl_min_protocol_version, e.g. TLSv1.2."},
			{Name: "connection_ssl", Type: "bool", Description: "Assure's own connection uses TLS (pg_stat_ssl)."},
			{Name: "connection_ssl_version", Type: "string", Description: "TLS version of Assure's connection; empty without TLS."},
			{Name: "connection_ssl_cipher", Type: "string", Description: "Cipher of Assure's connection; empty without TLS."},
			{Name: "password_encryption", Type: "string", Description: "Setting password_encryption: how new passwords are hashed (scram-sha-256 or md5)."},
			{Name: "listen_addresses", Type: "list", Description: "Setting listen_addresses, split: the interfaces the server listens on."},
			{Name: "listens_on_all_interfaces", Type: "bool", Description: "listen_addresses includes *, 0.0.0.0 or ::."},
			{Name: "port", Type: "int", Description: "Setting port."},
			{Name: "log_connections", Type: "bool", Description: "Setting log_connections is on (any aspect on PostgreSQL 18)."},
			{Name: "log_disconnections", Type: "bool", Description: "Setting log_disconnections: session ends and durations are logged."},
			{Name: "log_statement", Type: "string", Description: "Setting log_statement: none, ddl, mod or all."},
			{Name: "log_min_duration_statement", Type: "int", Description: "Setting log_min_duration_statement in ms; -1 disables."},
			{Name: "log_line_prefix", Type: "string", Description: "Setting log_line_prefix: what each log line starts with (time, user, database, client)."},
			{Name: "logging_collector", Type: "bool", Description: "Setting logging_collector: the server writes its own log files."},
			{Name: "log_destination", Type: "string", Description: "Setting log_destination: stderr, csvlog, jsonlog, syslog, eventlog."},
			{Name: "data_checksums", Type: "bool", Description: "Setting data_checksums: pages carry checksums that reveal storage corruption."},
			{Name: "idle_in_transaction_session_timeout", Type: "int", Description: "Setting idle_in_transaction_session_timeout in ms; 0 disables."},
			{Name: "shared_preload_libraries", Type: "list", Description: "Setting shared_preload_libraries."},
			{Name: "pgaudit_loaded", Type: "bool", Description: "pgaudit is in shared_preload_libraries (needed for it to audit anything)."},
			{Name: "pgaudit_installed", Type: "bool", Description: "CREATE EXTENSION pgaudit was run in the connected database."},
			{Name: "pgaudit_log", Type: "string", Description: "Setting pgaudit.log: the statement classes audited; empty when pgaudit is not loaded."},
			{Name: "extensions", Type: "list", Description: "Extensions installed in the connected database, as name version."},
			{Name: "superusers", Type: "list", Description: "Names of the roles with superuser."},
			{Name: "hba_rules", Type: "list", Description: "pg_hba.conf rules in order (pg_hba_file_rules; superuser only)."},
			{Name: "hba_rules.line_number", Type: "int", Description: "Line in pg_hba.conf."},
			{Name: "hba_rules.type", Type: "string", Description: "local, host, hostssl, hostnossl, hostgssenc, hostnogssenc."},
			{Name: "hba_rules.database", Type: "list", Description: "Databases the rule matches."},
			{Name: "hba_rules.user_name", Type: "list", Description: "Roles the rule matches."},
			{Name: "hba_rules.address", Type: "string", Description: "Client address or host name; empty for local."},
			{Name: "hba_rules.netmask", Type: "string", Description: "Netmask of the address."},
			{Name: "hba_rules.auth_method", Type: "string", Description: "trust, reject, scram-sha-256, md5, password, cert, peer, ldap, …"},
			{Name: "hba_rules.error", Type: "string", Description: "Why the line could not be applied; empty when valid."},
			{Name: "hba_auth_methods", Type: "list", Description: "Derived: the distinct authentication methods of valid host and local rules."},
			{Name: "hba_trust_rules", Type: "int", Description: "Derived: how many rules let clients in without any authentication (trust)."},
		},
		List: connector.As(listServer),
	}
}

// facts builds attributes under the unknown/sources convention.
type facts map[string]any

func (f facts) set(field string, v any, source string) {
	f[field] = v
	if source != "" {
		f.sub("sources")[field] = source
	}
}

func (f facts) unknown(field, reason string) {
	f[field] = nil
	f.sub("unknown")[field] = reason
}

func (f facts) sub(name string) map[string]any {
	m, _ := f[name].(map[string]any)
	if m == nil {
		m = map[string]any{}
		f[name] = m
	}
	return m
}

// settings reads the settings query into name → setting.
type settings struct {
	rows map[string][]any
	user string
}

func (s settings) get(name string) (string, bool) {
	row, ok := s.rows[name]
	if !ok {
		return "", false
	}
	v, _ := row[1].(string)
	return v, true
}

func (s settings) source(name string) string {
	src := ""
	if row, ok := s.rows[name]; ok {
		src, _ = row[2].(string)
	}
	return fmt.Sprintf("pg_settings %s (source: %s)", name, src)
}

// hidden is the reason for a setting missing from pg_settings: it is
// reserved to superusers and pg_read_all_settings.
func (s settings) hidden(name string) string {
	return fmt.Sprintf("role %s may not read %s: GRANT pg_read_all_settings TO %s", s.user, name, ident(s.user))
}

func (s settings) text(f facts, field, name string) (string, bool) {
	v, ok := s.get(name)
	if !ok {
		f.unknown(field, s.hidden(name))
		return "", false
	}
	f.set(field, v, s.source(name))
	return v, true
}

func (s settings) flag(f facts, field, name string) {
	v, ok := s.get(name)
	if !ok {
		f.unknown(field, s.hidden(name))
		return
	}
	f.set(field, v == "on", s.source(name))
}

func (s settings) number(f facts, field, name string) {
	v, ok := s.get(name)
	if !ok {
		f.unknown(field, s.hidden(name))
		return
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f.unknown(field, fmt.Sprintf("%s = %q is not a number", name, v))
		return
	}
	f.set(field, n, s.source(name))
}

// splitList splits a comma-separated setting (listen_addresses,
// shared_preload_libraries), dropping quotes and blanks.
func splitList(v string) []string {
	out := []string{}
	for _, item := range strings.Split(v, ",") {
		if item = strings.Trim(strings.TrimSpace(item), `"`); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func listServer(ctx context.Context, c *conn, out connector.Emitter) error {
	server, err := c.query(ctx, qServer)
	if err != nil {
		return err
	}
	set, err := c.query(ctx, qSettings)
	if err != nil {
		return err
	}
	sslRes, err := c.query(ctx, qConnectionSSL)
	if err != nil {
		return err
	}
	exts, err := c.query(ctx, qExtensions)
	if err != nil {
		return err
	}
	roles, err := c.query(ctx, qRoles)
	if err != nil {
		return err
	}
	hba, err := c.query(ctx, qHBA)
	if err != nil {
		return err
	}
	for _, r := range []*result{server, set, sslRes, exts, roles} {
		if r.err != nil {
			return fmt.Errorf("cannot read the server settings: %w", r.err)
		}
	}
	if len(server.rows) != 1 {
		return errors.New("cannot read the server version: no answer")
	}
	f := facts{"address": c.host}
	srv := server.rows[0]
	f["database"], f["connected_as"], f["is_replica"], f["system_identifier"] = srv[2], srv[3], srv[4], srv[5]
	version, _ := srv[0].(string)
	num, _ := toInt(srv[1])
	f.set("server_version", version, "server_version")
	major := num / 10000 // 160004 → 16; 90624 (9.6.24) → 9, older than any known
	f.set("major_version", major, "server_version_num")
	eol, known := endOfLife(major)
	today := c.rt.Now().UTC().Format("2006-01-02")
	switch {
	case known:
		f.set("version_end_of_life", eol, "the PostgreSQL versioning policy: five years from the major release")
		f.set("version_supported", today <= eol, "version_end_of_life compared with the collection date "+today)
	case major > newestKnownMajor:
		f.unknown("version_end_of_life", fmt.Sprintf("PostgreSQL %d is newer than the release table Assure knows", major))
		f.set("version_supported", true, fmt.Sprintf("default: %d is newer than the newest major Assure knows (%d), so within its five years", major, newestKnownMajor))
	default:
		f.unknown("version_end_of_life", fmt.Sprintf("PostgreSQL %d is older than the release table Assure knows", major))
		f.set("version_supported", false, fmt.Sprintf("default: %d is older than every release Assure knows, all long out of support", major))
	}

	s := settings{rows: set.byName(), user: c.cfg.User}
	s.flag(f, "ssl", "ssl")
	s.text(f, "ssl_min_protocol_version", "ssl_min_protocol_version")
	if len(sslRes.rows) == 1 {
		row := sslRes.rows[0]
		f.set("connection_ssl", row[0], "pg_stat_ssl for Assure's backend")
		f.set("connection_ssl_version", row[1], "pg_stat_ssl for Assure's backend")
		f.set("connection_ssl_cipher", row[2], "pg_stat_ssl for Assure's backend")
	} else {
		for _, k := range []string{"connection_ssl", "connection_ssl_version", "connection_ssl_cipher"} {
			f.unknown(k, "pg_stat_ssl has no row for Assure's backend")
		}
	}
	s.text(f, "password_encryption", "password_encryption")
	if v, ok := s.text(f, "listen_addresses", "listen_addresses"); ok {
		addrs := splitList(v)
		f["listen_addresses"] = addrs
		all := false
		for _, a := range addrs {
			all = all || a == "*" || a == "0.0.0.0" || a == "::"
		}
		f.set("listens_on_all_interfaces", all, "derived from listen_addresses")
	} else {
		f.unknown("listens_on_all_interfaces", s.hidden("listen_addresses"))
	}
	s.number(f, "port", "port")
	if v, ok := s.text(f, "log_connections", "log_connections"); ok {
		f["log_connections"] = v != "off" && v != "" && v != "false"
	}
	s.flag(f, "log_disconnections", "log_disconnections")
	s.text(f, "log_statement", "log_statement")
	s.number(f, "log_min_duration_statement", "log_min_duration_statement")
	s.text(f, "log_line_prefix", "log_line_prefix")
	s.flag(f, "logging_collector", "logging_collector")
	s.text(f, "log_destination", "log_destination")
	s.flag(f, "data_checksums", "data_checksums")
	s.number(f, "idle_in_transaction_session_timeout", "idle_in_transaction_session_timeout")
	if v, ok := s.text(f, "shared_preload_libraries", "shared_preload_libraries"); ok {
		libs := splitList(v)
		f["shared_preload_libraries"] = libs
		loaded := false
		for _, l := range libs {
			loaded = loaded || l == "pgaudit"
		}
		f.set("pgaudit_loaded", loaded, "derived from shared_preload_libraries")
		if _, ok := s.get("pgaudit.log"); ok {
			s.text(f, "pgaudit_log", "pgaudit.log")
		} else {
			f.set("pgaudit_log", "", "pgaudit.log does not exist: pgaudit is not loaded")
		}
	} else {
		f.unknown("pgaudit_loaded", s.hidden("shared_preload_libraries"))
		f.unknown("pgaudit_log", s.hidden("shared_preload_libraries"))
	}
	names := []string{}
	installed := false
	for _, row := range exts.rows {
		name, _ := row[0].(string)
		ver, _ := row[1].(string)
		names = append(names, name+" "+ver)
		installed = installed || name == "pgaudit"
	}
	f.set("extensions", names, "pg_extension of database "+c.cfg.Database)
	f.set("pgaudit_installed", installed, "pg_extension of database "+c.cfg.Database)
	supers := []string{}
	for _, row := range roles.rows {
		if row[1] == true {
			supers = append(supers, row[0].(string))
		}
	}
	f.set("superusers", supers, "pg_roles rolsuper")
	hbaFacts(f, hba, c.cfg.User)
	return out.Emit(ctx, connector.Resource{ExternalID: c.host, Name: c.host, Attributes: f,
		Calls: refs(server, set, sslRes, exts, roles, hba)})
}

func hbaFacts(f facts, hba *result, user string) {
	if hba.err != nil {
		why := fmt.Sprintf("role %s may not read pg_hba_file_rules, which only superusers may (%v)", user, hba.err)
		for _, k := range []string{"hba_rules", "hba_auth_methods", "hba_trust_rules"} {
			f.unknown(k, why)
		}
		return
	}
	rules := []any{}
	methods := map[string]bool{}
	trust := int64(0)
	for _, row := range hba.rows {
		line, _ := toInt(row[0])
		r := map[string]any{"line_number": line, "type": row[1], "database": stringsOf(row[2]), "user_name": stringsOf(row[3]),
			"address": row[4], "netmask": row[5], "auth_method": row[6], "error": row[7]}
		rules = append(rules, r)
		if row[7] == "" {
			if m, _ := row[6].(string); m != "" {
				methods[m] = true
				if m == "trust" {
					trust++
				}
			}
		}
	}
	list := make([]string, 0, len(methods))
	for m := range methods {
		list = append(list, m)
	}
	sort.Strings(list)
	f.set("hba_rules", rules, "pg_hba_file_rules")
	f.set("hba_auth_methods", list, "derived from hba_rules")
	f.set("hba_trust_rules", trust, "derived from hba_rules")
}

// refs are the observations behind a resource: its queries, whichever
// listing of the run first ran them.
func refs(results ...*result) []connector.CallRef {
	out := make([]connector.CallRef, 0, len(results))
	for _, r := range results {
		out = append(out, r.ref)
	}
	return out
}

// stringsOf converts a text[] value to []string.
func stringsOf(v any) []string {
	out := []string{}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, x...)
	}
	return out
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int16:
		return int64(x), true
	case int:
		return int64(x), true
	}
	return 0, false
}
