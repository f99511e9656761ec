package host

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/connectortest"
)

// Regenerate the golden files after an intended change with:
//
//	go test ./internal/connector/host -run TestFixtures -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata")

type result struct {
	out  string
	code int
}

// fakeRunner answers commands from a table; a command not in it is "not
// installed".
func fakeRunner(t *testing.T, table map[string]result) (Runner, *[]string) {
	var ran []string
	return func(ctx context.Context, name string, args ...string) ([]byte, int, error) {
		line := strings.TrimSpace(name + " " + strings.Join(args, " "))
		ran = append(ran, line)
		r, ok := table[line]
		if !ok {
			return nil, 0, fmt.Errorf("%s: %w", name, exec.ErrNotFound)
		}
		return []byte(r.out), r.code, nil
	}, &ran
}

func cmdFile(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "commands", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// denyFS refuses some paths with a permission error, as Linux does to a
// user who is not root.
type denyFS struct {
	fs.FS
	deny func(name string) bool
}

func (d denyFS) Open(name string) (fs.File, error) {
	if d.deny(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return d.FS.Open(name)
}

func (d denyFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if d.deny(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrPermission}
	}
	return fs.ReadDir(d.FS, name)
}

func (d denyFS) ReadLink(name string) (string, error) {
	if d.deny(name) {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrPermission}
	}
	return fs.ReadLink(d.FS, name)
}

func (d denyFS) Lstat(name string) (fs.FileInfo, error) { return fs.Lstat(d.FS, name) }

func hardenedCommands(t *testing.T) map[string]result {
	return map[string]result{
		"sshd -T":          {"sshd: no hostkeys available -- exiting.\n", 255},
		"nft list ruleset": {cmdFile(t, "nft-list-ruleset.txt"), 0},
		"timedatectl show": {"System has not been booted with systemd as init system (PID 1). Can't operate.\n", 1},
		"chronyc tracking": {cmdFile(t, "chronyc-tracking.txt"), 0},
		"auditctl -l":      {cmdFile(t, "auditctl-l.txt"), 0},
	}
}

type fixture struct {
	name     string
	opts     Options
	commands bool
}

func fixtures(t *testing.T) []fixture {
	root, nonRoot := 0, 1000
	run, _ := fakeRunner(t, hardenedCommands(t))
	bareFS := denyFS{FS: os.DirFS("testdata/bare"), deny: func(name string) bool {
		return name == "etc/shadow" || (strings.HasPrefix(name, "proc/") && strings.Contains(name, "/fd"))
	}}
	none, _ := fakeRunner(t, nil)
	return []fixture{
		{"hardened", Options{FS: os.DirFS("testdata/hardened"), Run: run, UID: &root}, true},
		{"bare", Options{FS: bareFS, Run: none, UID: &nonRoot}, false},
	}
}

// listAll runs every listing of a fixture and checks the convention.
func listAll(t *testing.T, fx fixture) (map[string][]connector.Resource, *connectortest.Runtime) {
	t.Helper()
	reg := New(fx.opts)
	rt := connectortest.NewRuntime(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	out := map[string][]connector.Resource{}
	for _, typ := range reg.Resources {
		em, err := connectortest.List(t, reg, connector.Config{"run_commands": fmt.Sprint(fx.commands)}, rt, typ.Name)
		if err != nil {
			t.Fatalf("%s: %v", typ.Name, err)
		}
		for _, r := range em.Resources {
			if err := connector.CheckConvention(typ, r.Attributes); err != nil {
				t.Errorf("%s %s: %v", typ.Name, r.ExternalID, err)
			}
			r.Calls = nil // call numbering is not part of the golden output
			out[typ.Name] = append(out[typ.Name], r)
		}
	}
	return out, rt
}

// TestFixtures compares everything a fixture machine yields with its
// golden file, so any change in what the connector reports is reviewed.
func TestFixtures(t *testing.T) {
	for _, fx := range fixtures(t) {
		t.Run(fx.name, func(t *testing.T) {
			got, _ := listAll(t, fx)
			b, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden := filepath.Join("testdata", fx.name+".golden.json")
			if *update {
				if err := os.WriteFile(golden, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if string(want) != string(b) {
				t.Errorf("%s differs from what the connector yields now; if the change is intended, run go test ./internal/connector/host -run TestFixtures -update and review the diff\n%s", golden, b)
			}
		})
	}
}

func attrs(t *testing.T, got map[string][]connector.Resource, typ, id string) map[string]any {
	t.Helper()
	for _, r := range got[typ] {
		if r.ExternalID == id {
			return r.Attributes
		}
	}
	t.Fatalf("no %s %q among %d", typ, id, len(got[typ]))
	return nil
}

func reason(a map[string]any, field string) string {
	u, _ := a[connector.AttrUnknown].(map[string]any)
	s, _ := u[field].(string)
	return s
}

func source(a map[string]any, field string) string {
	s, _ := a[connector.AttrSources].(map[string]any)
	v, _ := s[field].(string)
	return v
}

// The facts a compliance test would check, on the hardened fixture.
func TestHardenedFacts(t *testing.T) {
	got, rt := listAll(t, fixtures(t)[0])
	checks := []struct {
		typ, id, field string
		want           any
		src            string
	}{
		{"host.machine", "web-1", "uid0_accounts", []string{"root"}, "file /etc/passwd"},
		{"host.machine", "web-1", "os_version", "12", "file /etc/os-release"},
		{"host.user", "alice", "password", "set", "file /etc/shadow"},
		{"host.user", "alice", "password_max_days", 90, "file /etc/shadow"},
		{"host.user", "alice", "password_last_changed", "2024-10-04", "file /etc/shadow"},
		{"host.user", "alice", "system", false, "file /etc/login.defs"},
		{"host.user", "root", "password", "locked", "file /etc/shadow"},
		{"host.user", "daemon", "interactive", false, "file /etc/passwd"},
		// The drop-in comes first through Include, and sshd keeps the first value.
		{"host.sshd", "web-1", "permit_root_login", "no", "file /etc/ssh/sshd_config.d/10-hardening.conf"},
		{"host.sshd", "web-1", "password_authentication", false, "file /etc/ssh/sshd_config.d/10-hardening.conf"},
		{"host.sshd", "web-1", "kbd_interactive_authentication", false, "file /etc/ssh/sshd_config"},
		{"host.sshd", "web-1", "max_auth_tries", 3, "file /etc/ssh/sshd_config.d/10-hardening.conf"},
		{"host.sshd", "web-1", "permit_empty_passwords", false, "default: OpenSSH's built-in value (permitemptypasswords is not set in the configuration)"},
		{"host.password_policy", "web-1", "pass_max_days", 90, "file /etc/login.defs"},
		{"host.password_policy", "web-1", "min_length", 14, "file /etc/security/pwquality.conf"},
		{"host.password_policy", "web-1", "encrypt_method", "YESCRYPT", "file /etc/login.defs"},
		{"host.firewall", "web-1", "tool", "nftables", "command nft list ruleset"},
		{"host.firewall", "web-1", "rule_count", 6, "command nft list ruleset"},
		{"host.firewall", "web-1", "input_policy", "drop", "command nft list ruleset"},
		{"host.firewall", "web-1", "forward_policy", "drop", "command nft list ruleset"},
		{"host.firewall", "web-1", "output_policy", "accept", "command nft list ruleset"},
		{"host.firewall", "web-1", "tables", []string{"inet filter", "ip nat"}, "command nft list ruleset"},
		{"host.volume", "/", "encryption", "luks2", ""},
		{"host.volume", "/", "encrypted", true, ""},
		{"host.volume", "/boot", "encrypted", false, "vda1, a plain block device (not device-mapper)"},
		{"host.volume", "/srv/data files", "encrypted", false, ""},
		{"host.updates", "web-1", "mechanism", "unattended-upgrades", "found unattended-upgrades"},
		{"host.updates", "web-1", "enabled", true, "file /etc/apt/apt.conf.d/20auto-upgrades"},
		{"host.updates", "web-1", "security_updates", true, "Unattended-Upgrade origins in /etc/apt/apt.conf.d"},
		{"host.time_sync", "web-1", "service", "chronyd", "running processes (/proc/*/comm)"},
		{"host.time_sync", "web-1", "synchronized", true, "command chronyc tracking"},
		{"host.audit", "web-1", "running", true, "running processes (/proc/*/comm)"},
		{"host.audit", "web-1", "rule_count", 3, "command auditctl -l"},
		{"host.listening_port", "tcp/0.0.0.0:22", "process", "sshd", "socket owners from /proc/*/fd"},
		{"host.listening_port", "tcp/0.0.0.0:22", "exposed", true, "file /proc/net/tcp"},
		{"host.listening_port", "tcp/[::]:22", "family", "ipv6", "file /proc/net/tcp6"},
		{"host.listening_port", "tcp/127.0.0.1:5432", "exposed", false, "file /proc/net/tcp"},
		{"host.listening_port", "udp/0.0.0.0:123", "process", "chronyd", "socket owners from /proc/*/fd"},
	}
	for _, c := range checks {
		a := attrs(t, got, c.typ, c.id)
		if fmt.Sprint(a[c.field]) != fmt.Sprint(c.want) {
			t.Errorf("%s %s %s = %v, want %v (unknown: %q)", c.typ, c.id, c.field, a[c.field], c.want, reason(a, c.field))
		}
		if c.src != "" && source(a, c.field) != c.src {
			t.Errorf("%s %s %s: source %q, want %q", c.typ, c.id, c.field, source(a, c.field), c.src)
		}
	}
	if n := len(got["host.listening_port"]); n != 4 {
		t.Errorf("%d listening sockets, want 4 (an established connection is not one)", n)
	}
	if n := len(got["host.volume"]); n != 3 {
		t.Errorf("%d volumes, want 3 (no tmpfs, proc or squashfs)", n)
	}
	sshd := attrs(t, got, "host.sshd", "web-1")
	if cv := fmt.Sprint(sshd["caveats"]); !strings.Contains(cv, "Match blocks in /etc/ssh/sshd_config") || !strings.Contains(cv, "sshd -T failed (sshd -T exited with status 255: sshd: no hostkeys available") {
		t.Errorf("caveats: %s", cv)
	}
	// Provenance: every read and command is recorded, and the shadow file
	// only without its hashes.
	paths := map[string]bool{}
	for _, c := range rt.Calls() {
		paths[c.Observation.Method+" "+c.Observation.Path] = true
		if c.Observation.Path == "/etc/shadow" && (strings.Contains(string(c.Body), "$y$") || !strings.Contains(string(c.Body), "alice:<set>:20000")) {
			t.Errorf("the recorded shadow file: %q", c.Body)
		}
	}
	for _, p := range []string{"READ /etc/passwd", "READ /etc/shadow", "READ /etc/ssh/sshd_config.d/10-hardening.conf", "EXEC sshd -T", "EXEC nft list ruleset",
		"READ /sys/class/block/dm-0/dm/uuid", "READ /proc/net/tcp6", "READ /proc/*/fd", "EXEC chronyc tracking", "READ /etc/apt/apt.conf.d/50unattended-upgrades"} {
		if !paths[p] {
			t.Errorf("no observation %s", p)
		}
	}
}

// When sshd -T runs, its effective values win over the files.
func TestSSHDEffectiveSettings(t *testing.T) {
	cmds := hardenedCommands(t)
	cmds["sshd -T"] = result{cmdFile(t, "sshd-T.txt"), 0}
	run, _ := fakeRunner(t, cmds)
	root := 0
	got, _ := listAll(t, fixture{"sshd", Options{FS: os.DirFS("testdata/hardened"), Run: run, UID: &root}, true})
	a := attrs(t, got, "host.sshd", "web-1")
	if a["permit_root_login"] != "prohibit-password" || a["max_auth_tries"] != 4 || source(a, "permit_root_login") != "command sshd -T" {
		t.Fatalf("sshd -T: %v", a)
	}
	if cv := fmt.Sprint(a["caveats"]); strings.Contains(cv, "failed") || !strings.Contains(cv, "Match blocks") {
		t.Fatalf("caveats: %s", cv)
	}
}

// A machine where Assure is not root, runs no commands, and most things are
// missing: every such fact is unknown with its reason; nothing fails.
func TestBareFacts(t *testing.T) {
	got, rt := listAll(t, fixtures(t)[1])
	m := attrs(t, got, "host.machine", "ci-runner")
	if fmt.Sprint(m["uid0_accounts"]) != "[root toor]" || m["collected_as_root"] != false {
		t.Errorf("machine: %v", m)
	}
	if r := reason(m, "os_id"); r != "/etc/os-release does not exist" {
		t.Errorf("os_id reason: %q", r)
	}
	toor := attrs(t, got, "host.user", "toor")
	if toor["uid_zero"] != true || toor["password"] != nil || !strings.Contains(reason(toor, "password"), "permission denied reading /etc/shadow: Assure runs as uid 1000; run it as root") {
		t.Errorf("toor: %v", toor)
	}
	sshd := attrs(t, got, "host.sshd", "ci-runner")
	if sshd["permit_root_login"] != "prohibit-password" || !strings.HasPrefix(source(sshd, "permit_root_login"), "default: OpenSSH's built-in value") ||
		sshd["password_authentication"] != true || !strings.Contains(fmt.Sprint(sshd["caveats"]), "run_commands = false") {
		t.Errorf("sshd from files with commands off: %v", sshd)
	}
	fw := attrs(t, got, "host.firewall", "ci-runner")
	if fw["active"] != nil || !strings.Contains(reason(fw, "active"), "running commands is turned off") {
		t.Errorf("firewall: %v", fw)
	}
	pp := attrs(t, got, "host.password_policy", "ci-runner")
	if pp["pass_max_days"] != nil || reason(pp, "pass_max_days") != "/etc/login.defs does not exist" {
		t.Errorf("password policy: %v", pp)
	}
	port := attrs(t, got, "host.listening_port", "tcp/0.0.0.0:80")
	if port["process"] != nil || !strings.Contains(reason(port, "process"), "uid 1000") {
		t.Errorf("port: %v", port)
	}
	up := attrs(t, got, "host.updates", "ci-runner")
	if up["mechanism"] != "none" || up["enabled"] != false {
		t.Errorf("updates: %v", up)
	}
	if len(got["host.volume"]) != 0 {
		t.Errorf("an overlay root is not a volume: %v", got["host.volume"])
	}
	for _, c := range rt.Calls() {
		if c.Observation.Method == "EXEC" {
			t.Errorf("a command ran although run_commands is false: %s", c.Observation.Path)
		}
	}
}

// The probe fails, with the reason, when the account database is unreadable.
func TestProbe(t *testing.T) {
	uid := 1000
	reg := New(Options{FS: denyFS{FS: os.DirFS("testdata/bare"), deny: func(n string) bool { return n == "etc/passwd" }}, UID: &uid})
	conn, err := reg.Open(context.Background(), connector.Config{}, connectortest.NewRuntime(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Probe(context.Background()); err == nil || !strings.Contains(err.Error(), "permission denied reading /etc/passwd") {
		t.Fatalf("probe: %v", err)
	}
	if _, err := reg.Open(context.Background(), connector.Config{"run_commands": "sometimes"}, connectortest.NewRuntime(time.Now())); err == nil {
		t.Fatal("a bad run_commands value was accepted")
	}
}

func TestParsers(t *testing.T) {
	ip, port, ok := parseHexAddr("0100007F:0016")
	if !ok || ip != "127.0.0.1" || port != 22 {
		t.Errorf("ipv4: %s %d", ip, port)
	}
	ip, _, _ = parseHexAddr("0000000000000000FFFF00000100007F:1F90")
	if ip != "127.0.0.1" {
		t.Errorf("v4-mapped: %s", ip)
	}
	ip, _, _ = parseHexAddr("B80D01200000000000000000010000000:0050")
	if ip != "" {
		t.Errorf("bad length accepted: %s", ip)
	}
	ip, _, _ = parseHexAddr("B80D0120000000000000000001000000:0050")
	if ip != "2001:db8::1" {
		t.Errorf("ipv6: %s", ip)
	}
	conf := parseAptConf(`APT::Periodic { Unattended-Upgrade "1"; Enable "1"; };
// APT::Periodic::Unattended-Upgrade "0";
Acquire::http::Proxy "http://proxy:3128"; # not a comment inside a value
Unattended-Upgrade::Allowed-Origins { "${distro_id}:${distro_codename}-security"; };`)
	want := `[[APT::Periodic::Unattended-Upgrade 1] [APT::Periodic::Enable 1] [Acquire::http::Proxy http://proxy:3128] [Unattended-Upgrade::Allowed-Origins ${distro_id}:${distro_codename}-security]]`
	if fmt.Sprint(conf) != want {
		t.Errorf("apt.conf:\n got %v\nwant %s", conf, want)
	}
	rs := parseIptables("-P INPUT DROP\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N LOGGING\n-A INPUT -i lo -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\n")
	if rs.rules != 2 || rs.policies["input"] != "drop" || rs.policies["output"] != "accept" {
		t.Errorf("iptables: %+v", rs)
	}
	if kind := passwordState("!$6$x"); kind != "locked" {
		t.Errorf("locked hash: %s", kind)
	}
	if got := string(redactShadow([]byte("a:$6$salt$hash:1:2:3:::\nb::1::::::\n"))); got != "a:<set>:1:2:3:::\nb:<none>:1::::::\n" {
		t.Errorf("redacted shadow: %q", got)
	}
}
