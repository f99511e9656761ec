package host

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/assurehq/assure/internal/connector"
)

func userType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.user",
		Description: "Each local account from /etc/passwd, with its password state and aging from /etc/shadow (readable by root only).",
		Fields: []connector.Field{
			{Name: "name", Type: "string", Description: "Account name."},
			{Name: "uid", Type: "int", Description: "User id; 0 has full root privileges."},
			{Name: "gid", Type: "int", Description: "Primary group id."},
			{Name: "home", Type: "string", Description: "Home directory."},
			{Name: "shell", Type: "string", Description: "Login shell."},
			{Name: "uid_zero", Type: "bool", Description: "The account has UID 0."},
			{Name: "system", Type: "bool", Description: "A system account (UID below UID_MIN from /etc/login.defs, 1000 when unset)."},
			{Name: "interactive", Type: "bool", Description: "The shell allows an interactive login (not nologin or false)."},
			{Name: "password", Type: "string", Description: "set, none (empty: no password needed) or locked."},
			{Name: "password_last_changed", Type: "string", Description: "Date of the last password change (YYYY-MM-DD); empty when never recorded."},
			{Name: "password_max_days", Type: "int", Description: "Days a password stays valid; -1 when the account has no maximum."},
		},
		List: connector.As(listUsers),
	}
}

type passwdEntry struct {
	name        string
	uid, gid    int
	home, shell string
}

func parsePasswd(b []byte) []passwdEntry {
	var out []passwdEntry
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "+") || strings.HasPrefix(line, "-") {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid, home: f[5], shell: f[6]})
	}
	return out
}

type shadowEntry struct {
	password    string // set, none, locked
	lastChanged string
	maxDays     int
}

// parseShadow reads /etc/shadow without keeping any hash.
func parseShadow(b []byte) map[string]shadowEntry {
	out := map[string]shadowEntry{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 5 || f[0] == "" {
			continue
		}
		e := shadowEntry{password: passwordState(f[1]), maxDays: -1}
		if days, err := strconv.Atoi(f[2]); err == nil && days > 0 {
			e.lastChanged = time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
		}
		if m, err := strconv.Atoi(f[4]); err == nil && m >= 0 && m < 99999 {
			e.maxDays = m
		}
		out[f[0]] = e
	}
	return out
}

func passwordState(h string) string {
	switch {
	case h == "":
		return "none"
	case strings.HasPrefix(h, "!") || strings.HasPrefix(h, "*"):
		return "locked"
	default:
		return "set"
	}
}

// redactShadow replaces every password hash with its state, so the
// recorded observation holds no hash.
func redactShadow(b []byte) []byte {
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		f := strings.Split(line, ":")
		if len(f) >= 2 && f[0] != "" {
			f[1] = "<" + passwordState(f[1]) + ">"
			lines[i] = strings.Join(f, ":")
		}
	}
	return []byte(strings.Join(lines, "\n"))
}

var noLoginShells = map[string]bool{"/usr/sbin/nologin": true, "/sbin/nologin": true, "/bin/false": true, "/usr/bin/false": true, "/bin/sync": true, "": false}

func listUsers(ctx context.Context, c *conn, out connector.Emitter) error {
	b, src, err := c.read(ctx, "/etc/passwd")
	if err != nil {
		return err // without the account list there is nothing to report
	}
	uidMin, uidSrc := 1000, "default: UID_MIN is 1000 unless /etc/login.defs sets it"
	if ld, lsrc, err := c.read(ctx, "/etc/login.defs"); err == nil {
		if v, ok := parseKV(ld, false)["UID_MIN"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				uidMin, uidSrc = n, lsrc
			}
		}
	}
	shadow, shadowSrc, shadowErr := c.readRecorded(ctx, "/etc/shadow", redactShadow)
	entries := parseShadow(shadow)
	shadowReason := ""
	if shadowErr != nil {
		shadowReason = c.explain(shadowErr, "/etc/shadow")
	}
	for _, u := range parsePasswd(b) {
		f := connector.NewFacts()
		f.Set("name", u.name, "").Set("uid", u.uid, src).Set("gid", u.gid, src).Set("home", u.home, src).Set("shell", u.shell, src)
		f.Set("uid_zero", u.uid == 0, src)
		f.Set("system", u.uid < uidMin, uidSrc)
		f.Set("interactive", !noLoginShells[u.shell] && u.shell != "", src)
		switch e, ok := entries[u.name]; {
		case shadowErr != nil:
			f.Unknown("password", shadowReason).Unknown("password_last_changed", shadowReason).Unknown("password_max_days", shadowReason)
		case !ok:
			reason := "the account has no entry in /etc/shadow"
			f.Unknown("password", reason).Unknown("password_last_changed", reason).Unknown("password_max_days", reason)
		default:
			f.Set("password", e.password, shadowSrc).Set("password_last_changed", e.lastChanged, shadowSrc).Set("password_max_days", e.maxDays, shadowSrc)
		}
		if err := out.Emit(ctx, connector.Resource{ExternalID: u.name, Name: u.name, Attributes: f.Attributes()}); err != nil {
			return err
		}
	}
	return nil
}
