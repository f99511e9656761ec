package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// serverURL is the PostgreSQL the tests run against, as a superuser.
func serverURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("ASSURE_TEST_POSTGRES_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ASSURE_TEST_POSTGRES_URL is not set, and CI=true: the postgres connector must be tested against a real server")
		}
		t.Skip("set ASSURE_TEST_POSTGRES_URL to test the postgres connector against a real server")
	}
	return u
}

// admin connects as the test server's superuser.
func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	db, err := pgx.Connect(t.Context(), serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	return db
}

func exec(t *testing.T, db *pgx.Conn, sql string) {
	t.Helper()
	if _, err := db.Exec(t.Context(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// testRole creates a role of its own (roles are server-wide, so the name is
// random) and drops it when the test ends.
func testRole(t *testing.T, db *pgx.Conn, attrs string) (name, password string) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name = "assure_test_" + hex.EncodeToString(b)
	password = "Pw-" + hex.EncodeToString(b) + "-secret"
	exec(t, db, "CREATE ROLE "+name+" "+attrs+" PASSWORD '"+password+"'")
	t.Cleanup(func() {
		_, _ = db.Exec(context.Background(), "DROP ROLE IF EXISTS "+name)
	})
	return name, password
}

// configAs is the connector configuration connecting as role (the URL's
// user replaced, no password in the URL).
func configAs(t *testing.T, role, password string) connector.Config {
	t.Helper()
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return connector.Config{"url": u.String(), "password": password}
}

func adminConfig(t *testing.T) connector.Config {
	u, err := url.Parse(serverURL(t))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	return connector.Config{"url": u.String(), "password": pw}
}

func list(t *testing.T, cfg connector.Config, rt *connectortest.Runtime, typ string) *connectortest.Emitter {
	t.Helper()
	em, err := connectortest.List(t, Registration(), cfg, rt, typ)
	if err != nil {
		t.Fatalf("list %s: %v", typ, err)
	}
	checkConvention(t, typ, em)
	return em
}

// checkConvention holds every emitted resource to its declaration: every
// documented field present, typed as documented, null only with a reason.
func checkConvention(t *testing.T, typ string, em *connectortest.Emitter) {
	t.Helper()
	for _, rt := range Registration().Resources {
		if rt.Name != typ {
			continue
		}
		decl := awstypes.Type{Name: rt.Name, Description: rt.Description, Fields: rt.Fields}
		for _, r := range em.Resources {
			if err := decl.Check(r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
			if err := connector.CheckConvention(rt, r.Attributes); err != nil {
				t.Errorf("%s: %v", r.ExternalID, err)
			}
		}
	}
}

func TestRegistrationIsValid(t *testing.T) {
	if err := Registration().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenValidatesConfig(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{"mysql://u@h/db", "postgres://"},
		{"postgres://u:secret@h/db", "password field"},
		{"postgres://u@h/db?password=secret", "password field"},
		{"postgres://h/db", "name the role"},
	}
	for _, tt := range tests {
		_, err := Registration().Open(t.Context(), connector.Config{"url": tt.url}, connectortest.NewRuntime(now))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("open %s = %v, want %q", tt.url, err, tt.want)
		}
	}
}

func TestSplitList(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "[]",
		"*":                            `["*"]`,
		"localhost, 10.0.0.5":          `["localhost","10.0.0.5"]`,
		`pg_stat_statements,"pgaudit"`: `["pg_stat_statements","pgaudit"]`,
	} {
		got, _ := json.Marshal(splitList(in))
		if string(got) != want {
			t.Errorf("splitList(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestChangesAreSeen changes a role and role-level settings (never
// server-wide ones: the server is shared) and sees each change collected.
func TestChangesAreSeen(t *testing.T) {
	db := admin(t)
	role, password := testRole(t, db, "LOGIN VALID UNTIL '2030-01-02 03:04:05+00'")
	exec(t, db, "GRANT pg_read_all_settings TO "+role)

	// Before: an ordinary login role whose password expires in 2030.
	roles := list(t, adminConfig(t), connectortest.NewRuntime(now), "postgres.role")
	host := roles.Resources[0].ExternalID[:strings.LastIndex(roles.Resources[0].ExternalID, "/")]
	r := roles.ByID(t, host+"/"+role).Attributes
	if r["superuser"] != false || r["can_login"] != true || r["valid_until"] != "2030-01-02T03:04:05Z" ||
		r["password_expires"] != true || r["password_expired"] != false || r["password_set"] != true ||
		r["password_hash"] != "scram-sha-256" || jsonOf(r["member_of"]) != `["pg_read_all_settings"]` {
		t.Errorf("before: %v", r)
	}
	server := list(t, configAs(t, role, password), connectortest.NewRuntime(now), "postgres.server").Resources[0].Attributes
	if server["log_statement"] == "all" || server["password_encryption"] != "scram-sha-256" || server["connected_as"] != role {
		t.Errorf("before: log_statement %v, password_encryption %v, connected_as %v",
			server["log_statement"], server["password_encryption"], server["connected_as"])
	}
	if server["hba_rules"] != nil || !strings.Contains(server["unknown"].(map[string]any)["hba_rules"].(string), "only superusers") {
		t.Errorf("a non-superuser cannot read pg_hba_file_rules: %v", server["unknown"])
	}
	if strings.Contains(jsonOf(server["superusers"]), role) {
		t.Errorf("superusers = %v", server["superusers"])
	}

	// Change: superuser, an expired password, and settings for the role's own sessions.
	exec(t, db, "ALTER ROLE "+role+" SUPERUSER CREATEROLE BYPASSRLS VALID UNTIL '2001-02-03 04:05:06+00'")
	exec(t, db, "ALTER ROLE "+role+" SET log_statement = 'all'")
	exec(t, db, "ALTER ROLE "+role+" SET password_encryption = 'md5'")

	roles = list(t, adminConfig(t), connectortest.NewRuntime(now), "postgres.role")
	r = roles.ByID(t, host+"/"+role).Attributes
	if r["superuser"] != true || r["create_role"] != true || r["bypass_rls"] != true ||
		r["valid_until"] != "2001-02-03T04:05:06Z" || r["password_expired"] != true {
		t.Errorf("after: %v", r)
	}
	rt := connectortest.NewRuntime(now)
	server = list(t, configAs(t, role, password), rt, "postgres.server").Resources[0].Attributes
	if server["log_statement"] != "all" || server["password_encryption"] != "md5" {
		t.Errorf("after: log_statement %v, password_encryption %v", server["log_statement"], server["password_encryption"])
	}
	if src := server["sources"].(map[string]any)["log_statement"]; src != "pg_settings log_statement (source: user)" {
		t.Errorf("source = %v", src)
	}
	if !strings.Contains(jsonOf(server["superusers"]), role) {
		t.Errorf("superusers = %v", server["superusers"])
	}
	if rules, ok := server["hba_rules"].([]any); !ok || len(rules) == 0 || server["hba_auth_methods"] == nil {
		t.Errorf("a superuser reads pg_hba_file_rules: %v %v", server["hba_rules"], server["unknown"])
	}

	// No password in the role's list of roles, and never the password anywhere.
	for _, c := range rt.Calls() {
		if bytes.Contains(c.Body, []byte(password)) || strings.Contains(c.Observation.Path, password) {
			t.Errorf("password recorded in %s", c.Observation.Path)
		}
	}
	if strings.Contains(jsonOf(server), password) || strings.Contains(jsonOf(roles.Resources), password) {
		t.Error("password emitted")
	}

	// A role without expiry.
	forever, _ := testRole(t, db, "NOLOGIN VALID UNTIL 'infinity'")
	roles = list(t, adminConfig(t), connectortest.NewRuntime(now), "postgres.role")
	if f := roles.ByID(t, host+"/"+forever).Attributes; f["valid_until"] != "" || f["password_expires"] != false || f["can_login"] != false {
		t.Errorf("infinity: %v", f)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestServerFacts(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	em := list(t, adminConfig(t), rt, "postgres.server")
	if len(em.Resources) != 1 {
		t.Fatalf("%d servers", len(em.Resources))
	}
	s := em.Resources[0].Attributes
	major, _ := s["major_version"].(int64)
	if major < 10 || !strings.HasPrefix(s["server_version"].(string), jsonOf(major)) {
		t.Errorf("version %v, major %v", s["server_version"], s["major_version"])
	}
	if eol, ok := endOfLife(major); ok && (s["version_end_of_life"] != eol || s["version_supported"] != (now.Format("2006-01-02") <= eol)) {
		t.Errorf("end of life %v, supported %v", s["version_end_of_life"], s["version_supported"])
	}
	// The test URL uses sslmode=disable.
	if s["connection_ssl"] != false || s["connection_ssl_version"] != "" {
		t.Errorf("connection ssl %v %v", s["connection_ssl"], s["connection_ssl_version"])
	}
	if s["pgaudit_loaded"] == nil || s["shared_preload_libraries"] == nil || s["hba_rules"] == nil {
		t.Errorf("a superuser sees every setting: %v", s["unknown"])
	}
	if s["pgaudit_loaded"] == false && s["pgaudit_log"] != "" {
		t.Errorf("pgaudit_log = %v without pgaudit", s["pgaudit_log"])
	}
	if len(s["listen_addresses"].([]string)) == 0 || s["port"] == nil {
		t.Errorf("listen %v port %v", s["listen_addresses"], s["port"])
	}

	// Every query is recorded once, as SQL on the server's host, with its result.
	calls := rt.Calls()
	if len(em.Resources[0].Calls) != 6 {
		t.Errorf("server built from %d calls, want 6 queries", len(em.Resources[0].Calls))
	}
	seen := map[string]bool{}
	for _, c := range calls {
		if c.Observation.Method != "SQL" || c.Observation.Host != em.Resources[0].ExternalID || !strings.HasPrefix(c.Observation.Path, "SELECT") {
			t.Errorf("observation %+v", c.Observation)
		}
		if seen[c.Observation.Path] {
			t.Errorf("query run twice: %s", c.Observation.Path)
		}
		seen[c.Observation.Path] = true
		var body map[string]any
		if err := json.Unmarshal(c.Body, &body); err != nil || (body["columns"] == nil && body["error"] == nil) {
			t.Errorf("body of %s: %s", c.Observation.Path, c.Body)
		}
	}

	// A settings-only role: pg_hba_file_rules and password hashes are unknown, with why.
	db := admin(t)
	role, pw := testRole(t, db, "LOGIN")
	exec(t, db, "GRANT pg_read_all_settings TO "+role)
	roles := list(t, configAs(t, role, pw), connectortest.NewRuntime(now), "postgres.role")
	for _, r := range roles.Resources {
		if r.Attributes["password_hash"] != nil || r.Attributes["unknown"].(map[string]any)["password_hash"] == nil {
			t.Fatalf("a non-superuser cannot read pg_authid: %v", r.Attributes)
		}
	}
}

func TestProbe(t *testing.T) {
	db := admin(t)
	ctx := t.Context()
	probe := func(cfg connector.Config) error {
		conn, err := Registration().Open(ctx, cfg, connectortest.NewRuntime(now))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.Probe(ctx)
	}
	if err := probe(adminConfig(t)); err != nil {
		t.Fatalf("probe as superuser: %v", err)
	}

	role, pw := testRole(t, db, "LOGIN")
	if err := probe(configAs(t, role, pw)); err == nil || !strings.Contains(err.Error(), "GRANT pg_read_all_settings TO "+role) {
		t.Errorf("probe without pg_read_all_settings = %v", err)
	}
	exec(t, db, "GRANT pg_read_all_settings TO "+role)
	if err := probe(configAs(t, role, pw)); err != nil {
		t.Errorf("probe with pg_read_all_settings = %v", err)
	}

	nologin, _ := testRole(t, db, "NOLOGIN")
	if err := probe(configAs(t, nologin, "")); err == nil || !strings.Contains(err.Error(), "not permitted to log in") {
		t.Errorf("probe as a NOLOGIN role = %v", err)
	}

	cfg := adminConfig(t)
	u, _ := url.Parse(cfg["url"])
	u.Path = "/assure_no_such_database"
	if err := probe(connector.Config{"url": u.String(), "password": cfg["password"]}); err == nil ||
		!strings.Contains(err.Error(), `database "assure_no_such_database" does not exist`) {
		t.Errorf("probe of a missing database = %v", err)
	}

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	u, _ = url.Parse(cfg["url"])
	u.Host = addr
	if err := probe(connector.Config{"url": u.String()}); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("probe of a closed port = %v", err)
	}
}

// TestDocsListEveryField keeps docs/connectors/postgres.md in step with
// the declarations.
func TestDocsListEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/connectors/postgres.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range Registration().Resources {
		if !bytes.Contains(doc, []byte("### `"+rt.Name+"`")) {
			t.Errorf("docs/connectors/postgres.md has no section for %s", rt.Name)
		}
		for _, f := range rt.Fields {
			if !bytes.Contains(doc, []byte("| `"+f.Name+"` | "+f.Type+" |")) {
				t.Errorf("docs/connectors/postgres.md does not list %s.%s (%s)", rt.Name, f.Name, f.Type)
			}
		}
	}
	for _, f := range Registration().Fields {
		if !bytes.Contains(doc, []byte("| `"+f.Name+"` |")) {
			t.Errorf("docs/connectors/postgres.md does not list the config field %s", f.Name)
		}
	}
}

// TestQueriesRunOncePerRun: the roles query serves both listings of a run,
// recorded once, and both resources point at that one observation.
func TestQueriesRunOncePerRun(t *testing.T) {
	rt := connectortest.NewRuntime(now)
	reg := Registration()
	conn, err := reg.Open(t.Context(), adminConfig(t), rt)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	outs := map[string]*connectortest.Emitter{}
	for _, typ := range reg.Resources {
		outs[typ.Name] = &connectortest.Emitter{}
		if err := typ.List(t.Context(), conn, outs[typ.Name]); err != nil {
			t.Fatal(err)
		}
	}
	var rolesRef connector.CallRef
	for _, c := range rt.Calls() {
		if c.Observation.Path == qRoles {
			if rolesRef.ID != 0 {
				t.Fatal("the roles query was run twice")
			}
			rolesRef = c.Ref
		}
	}
	if rolesRef.ID == 0 {
		t.Fatal("the roles query was not recorded")
	}
	if n := len(rt.Calls()); n != 7 {
		t.Errorf("%d queries recorded, want 7", n)
	}
	for _, em := range outs {
		for _, r := range em.Resources {
			found := false
			for _, ref := range r.Calls {
				found = found || ref == rolesRef
			}
			if !found {
				t.Errorf("%s does not point at the roles query", r.ExternalID)
			}
		}
	}
}
