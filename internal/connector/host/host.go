// Package host is the connector for the Linux machine Assure runs on. It
// reads files (/etc/passwd, sshd_config, /proc/net/tcp, sysfs) and runs a
// few read-only commands (sshd -T, nft list ruleset, timedatectl) and
// records every read and run, with its raw output, as an observation.
//
// A fact it cannot determine — a tool missing, a file unreadable without
// root — is null with the reason under "unknown", never a crash; every
// determined fact says under "sources" how it was determined. The file
// system and the command runner are injectable, so the tests run on
// fixture trees and, once, on the real machine.
package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

// Runner runs a read-only command and returns its combined output and exit
// status. A program that is not installed gives an error wrapping
// exec.ErrNotFound.
type Runner func(ctx context.Context, name string, args ...string) (out []byte, exitCode int, err error)

// Options make the connector read something other than the live machine
// (tests). The zero value reads the live machine.
type Options struct {
	// FS is the machine's file system seen from "/" (os.DirFS("/")).
	FS fs.FS
	// Run runs commands (ExecRunner).
	Run Runner
	// UID is the user id Assure runs as (os.Geteuid()), to explain what a
	// non-root run cannot read.
	UID *int
}

// Registration returns the connector for the machine Assure runs on.
func Registration() connector.Registration { return New(Options{}) }

// New returns the connector with injected file system and runner.
func New(o Options) connector.Registration {
	if o.FS == nil {
		o.FS = os.DirFS("/")
	}
	if o.Run == nil {
		o.Run = ExecRunner
	}
	if o.UID == nil {
		uid := os.Geteuid()
		o.UID = &uid
	}
	return connector.Registration{
		ID:          "host",
		Name:        "This host (Linux)",
		Category:    connector.CategoryInfrastructure,
		Description: "Security settings of the Linux machine Assure runs on: privileged accounts, SSH, password aging, firewall, disk encryption, updates, time sync, audit daemon and listening ports.",
		Fields: []connector.ConfigField{
			{Name: "run_commands", Label: "Run read-only commands", Type: connector.FieldBool, Default: "true",
				Help: "Run sshd -T, nft list ruleset, iptables -S, timedatectl, chronyc and auditctl to read effective settings. Off reads files only; facts that need a command are then reported unknown with the reason."},
		},
		Open: func(ctx context.Context, cfg connector.Config, rt connector.Runtime) (connector.Conn, error) {
			cmds, err := cfg.Bool("run_commands")
			if err != nil {
				return nil, err
			}
			c := &conn{fsys: o.FS, run: o.Run, commands: cmds, rt: rt, uid: *o.UID}
			c.hostname = c.readHostname()
			return c, nil
		},
		Resources: []connector.ResourceType{
			machineType(), userType(), sshdType(), passwordPolicyType(), firewallType(),
			volumeType(), updatesType(), timeSyncType(), auditType(), portType(),
		},
	}
}

// conn reads one machine.
type conn struct {
	fsys     fs.FS
	run      Runner
	commands bool
	rt       connector.Runtime
	uid      int
	hostname string
}

// Probe checks that the machine's account database can be read.
func (c *conn) Probe(ctx context.Context) error {
	if _, _, err := c.read(ctx, "/etc/passwd"); err != nil {
		return fmt.Errorf("cannot read the host: %s", c.explain(err, "/etc/passwd"))
	}
	return nil
}

// Close implements connector.Conn.
func (c *conn) Close() error { return nil }

func (c *conn) readHostname() string {
	for _, p := range []string{"proc/sys/kernel/hostname", "etc/hostname"} {
		if b, err := fs.ReadFile(c.fsys, p); err == nil {
			if h := strings.TrimSpace(string(b)); h != "" {
				return h
			}
		}
	}
	return "localhost"
}

// rel turns an absolute path into an fs.FS path.
func rel(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// read reads a file and records it as an observation. It returns the
// content and the source phrase ("file /etc/login.defs").
func (c *conn) read(ctx context.Context, p string) ([]byte, string, error) {
	return c.readRecorded(ctx, p, nil)
}

// readRecorded reads a file and records what redact makes of it (nil: the
// content as is), for files that hold secrets such as /etc/shadow.
func (c *conn) readRecorded(ctx context.Context, p string, redact func([]byte) []byte) ([]byte, string, error) {
	start := c.rt.Now()
	b, err := fs.ReadFile(c.fsys, rel(p))
	if err != nil {
		return nil, "", err
	}
	rec := b
	if redact != nil {
		rec = redact(b)
	}
	if _, err := c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: p, StartedAt: start,
		Duration: c.rt.Now().Sub(start), ContentType: "text/plain; charset=utf-8"}, rec); err != nil {
		return nil, "", err
	}
	return b, "file " + p, nil
}

// exists reports whether a path exists (without recording anything).
func (c *conn) exists(p string) bool {
	_, err := fs.Stat(c.fsys, rel(p))
	return err == nil
}

// checkPaths looks up which of paths exist and records the answer as one
// observation (STAT), so a fact such as "sshd is not installed" stands on
// a recorded look.
func (c *conn) checkPaths(ctx context.Context, paths ...string) (map[string]bool, error) {
	start := c.rt.Now()
	found := map[string]bool{}
	var b strings.Builder
	for _, p := range paths {
		found[p] = c.exists(p)
		state := "missing"
		if found[p] {
			state = "exists"
		}
		fmt.Fprintf(&b, "%s: %s\n", p, state)
	}
	_, err := c.rt.Record(ctx, connector.Observation{Method: "STAT", Host: "localhost", Path: strings.Join(paths, " "), StartedAt: start,
		Duration: c.rt.Now().Sub(start), ContentType: "text/plain; charset=utf-8"}, []byte(b.String()))
	return found, err
}

// firstFound returns the first of paths found, or "".
func firstFound(found map[string]bool, paths ...string) string {
	for _, p := range paths {
		if found[p] {
			return p
		}
	}
	return ""
}

// firstExisting returns the first of paths that exists, or "".
func (c *conn) firstExisting(paths ...string) string {
	for _, p := range paths {
		if c.exists(p) {
			return p
		}
	}
	return ""
}

// glob lists the files matching a pattern, sorted.
func (c *conn) glob(pattern string) []string {
	m, _ := fs.Glob(c.fsys, rel(pattern))
	sort.Strings(m)
	for i := range m {
		m[i] = "/" + m[i]
	}
	return m
}

// errCommandsOff is returned when run_commands is false.
var errCommandsOff = errors.New("running commands is turned off for this integration (run_commands = false)")

// command runs a read-only command and records it. Its error says what
// went wrong in words fit for an "unknown" reason.
func (c *conn) command(ctx context.Context, name string, args ...string) ([]byte, string, error) {
	line := strings.TrimSpace(name + " " + strings.Join(args, " "))
	if !c.commands {
		return nil, "", errCommandsOff
	}
	start := c.rt.Now()
	out, code, err := c.run(ctx, name, args...)
	if errors.Is(err, exec.ErrNotFound) {
		return nil, "", fmt.Errorf("%s is not installed", name)
	}
	if err != nil && code == 0 {
		return nil, "", fmt.Errorf("cannot run %s: %w", line, err)
	}
	if _, rerr := c.rt.Record(ctx, connector.Observation{Method: "EXEC", Host: "localhost", Path: line, Status: code,
		StartedAt: start, Duration: c.rt.Now().Sub(start), ContentType: "text/plain; charset=utf-8"}, out); rerr != nil {
		return nil, "", rerr
	}
	if code != 0 {
		return out, "", fmt.Errorf("%s exited with status %d: %s", line, code, firstLine(out))
	}
	return out, "command " + line, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "no output"
	}
	return s
}

// explain turns a read error into an "unknown" reason.
func (c *conn) explain(err error, p string) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p + " does not exist"
	case errors.Is(err, fs.ErrPermission):
		if c.uid != 0 {
			return fmt.Sprintf("permission denied reading %s: Assure runs as uid %d; run it as root to read this", p, c.uid)
		}
		return "permission denied reading " + p
	default:
		return fmt.Sprintf("cannot read %s: %v", p, err)
	}
}

// ExecRunner runs commands on the live machine with a 15-second bound, the
// C locale, and the system directories searched even when PATH lacks them
// (sshd, nft and iptables live in /usr/sbin).
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, int, error) {
	prog, err := exec.LookPath(name)
	if err != nil {
		prog = ""
		for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
			if st, serr := os.Stat(dir + "/" + name); serr == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				prog = dir + "/" + name
				break
			}
		}
		if prog == "" {
			return nil, 0, fmt.Errorf("%s: %w", name, exec.ErrNotFound)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = []string{"LC_ALL=C", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return buf.Bytes(), ee.ExitCode(), nil
	}
	if err != nil {
		return buf.Bytes(), 0, err
	}
	return buf.Bytes(), 0, nil
}

// single is the resource of a per-machine type: one per host, named after it.
func (c *conn) single(f *connector.Facts, calls *connector.Calls) connector.Resource {
	return connector.Resource{ExternalID: c.hostname, Name: c.hostname, Attributes: f.Attributes(), Calls: calls.Refs()}
}

// processes returns the command names of the running processes (from
// /proc/*/comm), recorded as one observation.
func (c *conn) processes(ctx context.Context) (map[string]bool, string, error) {
	dirs, err := fs.ReadDir(c.fsys, "proc")
	if err != nil {
		return nil, "", err
	}
	names := map[string]bool{}
	for _, d := range dirs {
		if !isPID(d.Name()) {
			continue
		}
		b, err := fs.ReadFile(c.fsys, "proc/"+d.Name()+"/comm")
		if err == nil {
			names[strings.TrimSpace(string(b))] = true
		}
	}
	var list []string
	for n := range names {
		list = append(list, n)
	}
	sort.Strings(list)
	start := c.rt.Now()
	if _, err := c.rt.Record(ctx, connector.Observation{Method: "READ", Host: "localhost", Path: "/proc/*/comm", StartedAt: start,
		ContentType: "text/plain; charset=utf-8"}, []byte(strings.Join(list, "\n")+"\n")); err != nil {
		return nil, "", err
	}
	return names, "running processes (/proc/*/comm)", nil
}

func isPID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// parseKV reads "KEY value" / "KEY=value" lines, skipping comments; later
// lines win unless firstWins.
func parseKV(b []byte, firstWins bool) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.ContainsAny(strings.TrimSpace(k), " \t") {
			f := strings.Fields(line)
			k, v = f[0], strings.Join(f[1:], " ")
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
		if _, seen := out[k]; seen && firstWins {
			continue
		}
		out[k] = v
	}
	return out
}
