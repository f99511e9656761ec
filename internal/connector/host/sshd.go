package host

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func sshdType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.sshd",
		Description: "The OpenSSH server's effective settings: from sshd -T when it runs, else from sshd_config and the files it includes.",
		Fields: []connector.Field{
			{Name: "installed", Type: "bool", Description: "The OpenSSH server is installed."},
			{Name: "permit_root_login", Type: "string", Description: "PermitRootLogin: yes, no, prohibit-password or forced-commands-only."},
			{Name: "password_authentication", Type: "bool", Description: "PasswordAuthentication: passwords are accepted."},
			{Name: "kbd_interactive_authentication", Type: "bool", Description: "KbdInteractiveAuthentication (formerly ChallengeResponseAuthentication)."},
			{Name: "permit_empty_passwords", Type: "bool", Description: "PermitEmptyPasswords: accounts without a password may log in."},
			{Name: "max_auth_tries", Type: "int", Description: "MaxAuthTries: authentication attempts per connection."},
			{Name: "caveats", Type: "list", Description: "What may make the effective settings differ from these (Match blocks, a daemon not yet reloaded)."},
		},
		List: connector.As(listSSHD),
	}
}

type sshdSetting struct {
	field, key, kind, def string
}

var sshdSettings = []sshdSetting{
	{"permit_root_login", "permitrootlogin", "string", "prohibit-password"},
	{"password_authentication", "passwordauthentication", "bool", "yes"},
	{"kbd_interactive_authentication", "kbdinteractiveauthentication", "bool", "yes"},
	{"permit_empty_passwords", "permitemptypasswords", "bool", "no"},
	{"max_auth_tries", "maxauthtries", "int", "6"},
}

var sshdAliases = map[string]string{"challengeresponseauthentication": "kbdinteractiveauthentication"}

const sshdConfig = "/etc/ssh/sshd_config"

func listSSHD(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	found, err := c.checkPaths(ctx, "/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd", sshdConfig)
	if err != nil {
		return err
	}
	bin := firstFound(found, "/usr/sbin/sshd", "/usr/local/sbin/sshd", "/sbin/sshd")
	if bin == "" && !found[sshdConfig] {
		f.Set("installed", false, "no sshd program in /usr/sbin, /usr/local/sbin or /sbin and no "+sshdConfig)
		for _, s := range sshdSettings {
			f.Unknown(s.field, "the OpenSSH server is not installed, so it accepts no logins")
		}
		f.Set("caveats", []string{}, "")
		return out.Emit(ctx, c.single(f, calls))
	}
	src := sshdConfig
	if bin != "" {
		src = bin
	}
	f.Set("installed", true, "found "+src)

	// The configuration files tell where Match blocks are, whichever way
	// the values are read.
	parsed := &sshdParse{values: map[string]sshdValue{}}
	cfgErr := c.parseSSHDConfig(ctx, sshdConfig, parsed, 0)
	var caveats []string
	if len(parsed.matchFiles) > 0 {
		caveats = append(caveats, fmt.Sprintf("Match blocks in %s can change these settings for some users, groups or addresses; the values shown apply to connections no Match block selects",
			strings.Join(parsed.matchFiles, ", ")))
	}

	effective, tErr := c.sshdT(ctx)
	switch {
	case tErr == nil:
		for _, s := range sshdSettings {
			v, ok := effective[s.key]
			if !ok {
				f.Unknown(s.field, "sshd -T did not print "+s.key)
				continue
			}
			setSSHD(f, s, v, "command sshd -T")
		}
	case cfgErr != nil:
		reason := fmt.Sprintf("sshd -T failed (%v) and %s", tErr, c.explain(cfgErr, sshdConfig))
		for _, s := range sshdSettings {
			f.Unknown(s.field, reason)
		}
	default:
		caveats = append(caveats, fmt.Sprintf("read from the configuration files because sshd -T failed (%v); a daemon not reloaded since the files changed still uses its old settings", tErr))
		for _, s := range sshdSettings {
			if v, ok := parsed.values[s.key]; ok {
				setSSHD(f, s, v.value, "file "+v.file)
			} else {
				setSSHD(f, s, s.def, "default: OpenSSH's built-in value ("+s.key+" is not set in the configuration)")
			}
		}
	}
	if caveats == nil {
		caveats = []string{}
	}
	f.Set("caveats", caveats, "")
	return out.Emit(ctx, c.single(f, calls))
}

func setSSHD(f *connector.Facts, s sshdSetting, v, src string) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch s.kind {
	case "bool":
		switch v {
		case "yes":
			f.Set(s.field, true, src)
		case "no":
			f.Set(s.field, false, src)
		default:
			f.Unknown(s.field, fmt.Sprintf("%s is %q, which is not yes or no", s.key, v))
		}
	case "int":
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Unknown(s.field, fmt.Sprintf("%s is %q, which is not a number", s.key, v))
			return
		}
		f.Set(s.field, n, src)
	default:
		if v == "without-password" {
			v = "prohibit-password" // the old name of the same setting
		}
		f.Set(s.field, v, src)
	}
}

// sshdT runs sshd -T and returns its keyword → value lines.
func (c *conn) sshdT(ctx context.Context) (map[string]string, error) {
	out, _, err := c.command(ctx, "sshd", "-T")
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		k = strings.ToLower(k)
		if _, seen := m[k]; ok && !seen {
			m[k] = strings.TrimSpace(v)
		}
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("sshd -T printed no settings")
	}
	return m, nil
}

type sshdValue struct{ value, file string }

type sshdParse struct {
	values     map[string]sshdValue // global settings: the first value wins, as in sshd
	inMatch    bool
	matchFiles []string
}

// parseSSHDConfig reads one configuration file the way sshd does: the
// first value of a keyword wins, Include pulls files in where it stands
// (relative paths are under /etc/ssh, globs sorted), and everything after
// a Match line belongs to that Match block.
func (c *conn) parseSSHDConfig(ctx context.Context, file string, p *sshdParse, depth int) error {
	if depth > 16 {
		return fmt.Errorf("includes nested more than 16 deep at %s", file)
	}
	b, _, err := c.read(ctx, file)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, rest := splitKeyword(line)
		key = strings.ToLower(key)
		if a, ok := sshdAliases[key]; ok {
			key = a
		}
		switch key {
		case "include":
			for _, pattern := range strings.Fields(rest) {
				if !strings.HasPrefix(pattern, "/") {
					pattern = path.Join("/etc/ssh", pattern)
				}
				for _, inc := range c.glob(pattern) {
					if err := c.parseSSHDConfig(ctx, inc, p, depth+1); err != nil {
						return err
					}
				}
			}
		case "match":
			p.inMatch = true
			if len(p.matchFiles) == 0 || p.matchFiles[len(p.matchFiles)-1] != file {
				p.matchFiles = append(p.matchFiles, file)
			}
		default:
			if _, seen := p.values[key]; !seen && !p.inMatch {
				p.values[key] = sshdValue{value: strings.Trim(rest, `"`), file: file}
			}
		}
	}
	return nil
}

// splitKeyword splits "Keyword value" or "Keyword=value".
func splitKeyword(line string) (string, string) {
	i := strings.IndexAny(line, " \t=")
	if i < 0 {
		return line, ""
	}
	key, rest := line[:i], strings.TrimSpace(line[i:])
	rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
	return key, rest
}
