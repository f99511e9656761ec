package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/assurehq/assure/internal/cli"
	"github.com/assurehq/assure/internal/store/storetest"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

var passwordLine = regexp.MustCompile(`Password\s+(\S+)`)

func TestFreshDataDirectoryIsSetUpByAnyCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	r := run(t, "--data", dir, "org", "list", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var orgs []struct{ Slug string }
	if err := json.Unmarshal([]byte(r.stdout), &orgs); err != nil || len(orgs) != 1 || orgs[0].Slug != "default" {
		t.Fatalf("stdout is not the org list: %q (%v)", r.stdout, err)
	}
	if !passwordLine.MatchString(r.stderr) || !strings.Contains(r.stderr, "owner@assure.localhost") {
		t.Fatalf("first-start credentials not shown: %s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "assure.db")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "blobs")); err != nil || !st.IsDir() {
		t.Fatalf("no blob directory: %v", err)
	}
	// Shown once only.
	r = run(t, "--data", dir, "org", "list")
	if passwordLine.MatchString(r.stderr) {
		t.Fatal("credentials shown a second time")
	}
}

func TestUsersAndTokensFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	r := run(t, "--data", dir, "user", "create", "Ann@Example.com", "--role", "editor", "--name", "Ann", "--json")
	if r.code != 0 {
		t.Fatalf("user create: %s", r.stderr)
	}
	var nm struct {
		Member struct {
			Email string
			Role  string
		}
		InitialPassword string `json:"initial_password"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &nm); err != nil || nm.Member.Email != "ann@example.com" || nm.Member.Role != "editor" || len(nm.InitialPassword) < 20 {
		t.Fatalf("user create JSON: %s", r.stdout)
	}
	if r := run(t, "--data", dir, "user", "create", "x@example.com", "--role", "boss"); r.code != 2 || !strings.Contains(r.stderr, "unknown role") {
		t.Fatalf("bad role: %d %s", r.code, r.stderr)
	}
	r = run(t, "--data", dir, "user", "list", "--json")
	var members []struct{ Email, Role string }
	if err := json.Unmarshal([]byte(r.stdout), &members); err != nil || len(members) != 2 {
		t.Fatalf("user list: %s", r.stdout)
	}
	r = run(t, "--data", dir, "token", "create", "--user", "ann@example.com", "--name", "ci", "--expires", "30d", "--json")
	var nt struct {
		Secret string
		Token  struct {
			ExpiresAt *time.Time `json:"expires_at"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &nt); err != nil || !strings.HasPrefix(nt.Secret, "assure_") || nt.Token.ExpiresAt == nil {
		t.Fatalf("token create: %s %s", r.stdout, r.stderr)
	}
	// Only the hash is stored.
	db, _ := sql.Open("sqlite", filepath.Join(dir, "assure.db"))
	defer db.Close()
	var n int
	db.QueryRow(`SELECT count(*) FROM api_tokens WHERE token_hash = ?`, nt.Secret).Scan(&n)
	if n != 0 {
		t.Fatal("the token secret is stored in clear")
	}
	if r := run(t, "--data", dir, "token", "create", "--user", "nobody@example.com", "--name", "x"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("token for unknown user: %d %s", r.code, r.stderr)
	}
	r = run(t, "--data", dir, "org", "create", "second", "--owner", "ann@example.com", "--json")
	if r.code != 0 || strings.Contains(r.stdout, "initial_password") {
		t.Fatalf("org create for an existing user: %s %s", r.stdout, r.stderr)
	}
	r = run(t, "--data", dir, "--org", "second", "user", "list", "--json")
	if !strings.Contains(r.stdout, `"role": "owner"`) || strings.Contains(r.stdout, "owner@assure.localhost") {
		t.Fatalf("--org second lists: %s", r.stdout)
	}
	if r := run(t, "--data", dir, "--org", "nope", "user", "list"); r.code != 1 || !strings.Contains(r.stderr, `organization "nope"`) {
		t.Fatalf("unknown org: %s", r.stderr)
	}
}

func TestSettingsFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ASSURE_DATA", dir)
	if r := run(t, "org", "list"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "assure.db")); err != nil {
		t.Fatalf("ASSURE_DATA ignored: %v", err)
	}
	// A flag beats the environment.
	other := t.TempDir()
	if r := run(t, "--data", other, "org", "list"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := os.Stat(filepath.Join(other, "assure.db")); err != nil {
		t.Fatal("--data did not override ASSURE_DATA")
	}
	t.Setenv("ASSURE_LOG_LEVEL", "loud")
	if r := run(t, "org", "list"); r.code != 1 || !strings.Contains(r.stderr, "ASSURE_LOG_LEVEL") {
		t.Fatalf("bad env value: %d %s", r.code, r.stderr)
	}
}

func oneLine(t *testing.T, r result) string {
	t.Helper()
	msg := strings.TrimSpace(r.stderr)
	if strings.Contains(msg, "\n") {
		t.Fatalf("the error is not one line:\n%s", msg)
	}
	return msg
}

func TestBadDatabaseURL(t *testing.T) {
	r := run(t, "--database-url", "mysql://localhost/x", "serve")
	if r.code == 0 || !strings.Contains(oneLine(t, r), "must be a PostgreSQL URL") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	r = run(t, "--database-url", "postgres://assure:s3cret@127.0.0.1:1/assure?sslmode=disable", "serve")
	msg := oneLine(t, r)
	if r.code == 0 || !strings.Contains(msg, "cannot connect to PostgreSQL") || !strings.Contains(msg, "ASSURE_DATABASE_URL") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	if strings.Contains(msg, "s3cret") {
		t.Fatal("the database password is printed")
	}
}

func TestUnwritableDataDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, []byte("x"), 0o600)
	r := run(t, "--data", file, "serve")
	if r.code == 0 || !strings.Contains(oneLine(t, r), "choose a writable --data directory") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits do not stop root, so only the not-a-directory case is checked")
		return
	}
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o500)
	r = run(t, "--data", filepath.Join(ro, "data"), "serve")
	if r.code == 0 || !strings.Contains(oneLine(t, r), "writable") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, "--data", dir, "migrate"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	db, _ := sql.Open("sqlite", filepath.Join(dir, "assure.db"))
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, cmd := range [][]string{{"serve"}, {"migrate"}, {"user", "list"}} {
		r := run(t, append([]string{"--data", dir}, cmd...)...)
		if r.code != 1 || !strings.Contains(oneLine(t, r), "newer than this assure binary knows") {
			t.Fatalf("%v: %d %s", cmd, r.code, r.stderr)
		}
	}
}

func TestNewerSchemaIsRefusedOnPostgres(t *testing.T) {
	u := storetest.PostgresURL(t)
	if r := run(t, "--database-url", u, "migrate"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	db, _ := sql.Open("pgx", u)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 'x')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := run(t, "--database-url", u, "serve")
	if r.code != 1 || !strings.Contains(oneLine(t, r), "newer than this assure binary knows") {
		t.Fatalf("%d %s", r.code, r.stderr)
	}
}

// TestServe starts `assure serve` in-process on a free port and checks the
// acceptance path: health, sign-in with the printed credentials, a wrong
// password refused, the API's 401 and 403.
func TestServe(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			args := []string{"--data", t.TempDir(), "--addr", "127.0.0.1:0", "serve"}
			if engine == "postgres" {
				args = append([]string{"--database-url", storetest.PostgresURL(t)}, args...)
			}
			serveAndCheck(t, args)
		})
	}
}

func serveAndCheck(t *testing.T, args []string) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int)
	var errb bytes.Buffer
	go func() {
		done <- cli.Run(ctx, args, strings.NewReader(""), pw, &errb)
		pw.Close()
	}()
	var base, email, password string
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		if m := passwordLine.FindStringSubmatch(line); m != nil {
			password = m[1]
		}
		if m := regexp.MustCompile(`E-mail\s+(\S+)`).FindStringSubmatch(line); m != nil {
			email = m[1]
		}
		if m := regexp.MustCompile(`listening on (\S+)\)`).FindStringSubmatch(line); m != nil {
			base = "http://" + m[1]
			break
		}
	}
	go io.Copy(io.Discard, pr)
	if base == "" || password == "" {
		cancel()
		t.Fatalf("serve printed no address or password; stderr: %s", errb.String())
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) int {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get("/healthz"); s != 200 {
		t.Fatalf("/healthz %d", s)
	}
	if s := get("/readyz"); s != 200 {
		t.Fatalf("/readyz %d", s)
	}
	login := func(pw string) *http.Response {
		resp, err := client.PostForm(base+"/login", url.Values{"email": {email}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login(password + "x"); resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp := login(password); resp.StatusCode != 303 || len(resp.Cookies()) == 0 {
		t.Fatalf("printed credentials: %d", resp.StatusCode)
	}
	if s := get("/api/v1/me"); s != 401 {
		t.Fatalf("API without a token: %d", s)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d after shutdown: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not shut down")
	}
	fmt.Fprint(io.Discard, errb.String())
}
