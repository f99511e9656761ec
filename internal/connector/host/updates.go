package host

import (
	"context"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func updatesType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.updates",
		Description: "Whether security updates install automatically: unattended-upgrades (Debian, Ubuntu) or dnf-automatic (Fedora, RHEL).",
		Fields: []connector.Field{
			{Name: "mechanism", Type: "string", Description: "unattended-upgrades, dnf-automatic, or none."},
			{Name: "enabled", Type: "bool", Description: "Updates are installed automatically on a schedule."},
			{Name: "security_updates", Type: "bool", Description: "The automatic updates include security updates."},
		},
		List: connector.As(listUpdates),
	}
}

func listUpdates(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	found, err := c.checkPaths(ctx, "/usr/bin/unattended-upgrade", "/etc/apt/apt.conf.d/50unattended-upgrades", "/etc/dnf/automatic.conf",
		"/usr/bin/apt-get", "/etc/dnf", "/etc/yum.conf")
	if err != nil {
		return err
	}
	switch {
	case found["/usr/bin/unattended-upgrade"] || found["/etc/apt/apt.conf.d/50unattended-upgrades"]:
		c.unattendedUpgrades(ctx, f)
	case found["/etc/dnf/automatic.conf"]:
		c.dnfAutomatic(ctx, f)
	case found["/usr/bin/apt-get"] || found["/etc/dnf"] || found["/etc/yum.conf"]:
		how := "neither unattended-upgrades (/usr/bin/unattended-upgrade) nor dnf-automatic (/etc/dnf/automatic.conf) is installed"
		f.Set("mechanism", "none", how).Set("enabled", false, how).Set("security_updates", false, how)
	default:
		reason := "no known package manager (apt or dnf) was found"
		f.Unknown("mechanism", reason).Unknown("enabled", reason).Unknown("security_updates", reason)
	}
	return out.Emit(ctx, c.single(f, calls))
}

// unattendedUpgrades reads APT's configuration in the order APT does
// (/etc/apt/apt.conf.d/* sorted, then /etc/apt/apt.conf; later wins).
func (c *conn) unattendedUpgrades(ctx context.Context, f *connector.Facts) {
	f.Set("mechanism", "unattended-upgrades", "found unattended-upgrades")
	values := map[string]string{}
	valueSrc := map[string]string{}
	var origins []string
	files := append(c.glob("/etc/apt/apt.conf.d/*"), "/etc/apt/apt.conf")
	for _, p := range files {
		b, src, err := c.read(ctx, p)
		if err != nil {
			continue
		}
		for _, kv := range parseAptConf(string(b)) {
			values[strings.ToLower(kv[0])] = kv[1]
			valueSrc[strings.ToLower(kv[0])] = src
			k := strings.ToLower(kv[0])
			if strings.HasPrefix(k, "unattended-upgrade::origins-pattern") || strings.HasPrefix(k, "unattended-upgrade::allowed-origins") {
				origins = append(origins, kv[1])
			}
		}
	}
	const periodic = "apt::periodic::unattended-upgrade"
	on := values[periodic] != "" && values[periodic] != "0" && values["apt::periodic::enable"] != "0"
	how := valueSrc[periodic]
	if how == "" {
		how = "APT::Periodic::Unattended-Upgrade is not set in /etc/apt/apt.conf.d (off by default)"
	}
	if on && !c.exists("/etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer") && c.exists("/lib/systemd/system/apt-daily-upgrade.timer") {
		on = false
		how = "APT::Periodic::Unattended-Upgrade is on, but the apt-daily-upgrade.timer that runs it is not enabled"
	}
	f.Set("enabled", on, how)
	security := false
	for _, o := range origins {
		security = security || strings.Contains(strings.ToLower(o), "security")
	}
	if len(origins) == 0 {
		f.Set("security_updates", false, "no Unattended-Upgrade::Origins-Pattern or Allowed-Origins is configured")
	} else {
		f.Set("security_updates", security && on, "Unattended-Upgrade origins in /etc/apt/apt.conf.d")
	}
}

// dnfAutomatic reads /etc/dnf/automatic.conf and whether its timer is enabled.
func (c *conn) dnfAutomatic(ctx context.Context, f *connector.Facts) {
	f.Set("mechanism", "dnf-automatic", "found /etc/dnf/automatic.conf")
	b, src, err := c.read(ctx, "/etc/dnf/automatic.conf")
	if err != nil {
		reason := c.explain(err, "/etc/dnf/automatic.conf")
		f.Unknown("enabled", reason).Unknown("security_updates", reason)
		return
	}
	kv := parseKV(b, false)
	timer := c.firstExisting("/etc/systemd/system/timers.target.wants/dnf-automatic.timer",
		"/etc/systemd/system/timers.target.wants/dnf-automatic-install.timer")
	apply := strings.EqualFold(kv["apply_updates"], "yes") || strings.HasSuffix(timer, "dnf-automatic-install.timer")
	switch {
	case timer == "":
		f.Set("enabled", false, "no dnf-automatic timer is enabled (systemctl enable --now dnf-automatic-install.timer)")
	case !apply:
		f.Set("enabled", false, src+": apply_updates is not yes, so updates are only downloaded")
	default:
		f.Set("enabled", true, src+" and "+timer)
	}
	typ := kv["upgrade_type"]
	if typ == "" {
		typ = "default"
	}
	f.Set("security_updates", (typ == "default" || typ == "security") && timer != "" && apply, src+": upgrade_type = "+typ)
}

// parseAptConf reads APT's configuration syntax into (key, value) pairs
// with full scope names ("APT::Periodic::Unattended-Upgrade"): nested
// blocks, quoted values, // and /* */ comments. List items get the key of
// their block.
func parseAptConf(s string) [][2]string {
	// Strip comments outside quotes.
	var b strings.Builder
	inQ := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			inQ = !inQ
			b.WriteByte(ch)
		case !inQ && ch == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case !inQ && ch == '#' && (i == 0 || s[i-1] == '\n'):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case !inQ && ch == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 3
			}
		default:
			b.WriteByte(ch)
		}
	}
	// Tokenize: words, quoted strings, { } ;
	var toks []string
	src := b.String()
	for i := 0; i < len(src); {
		ch := src[i]
		switch {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '{' || ch == '}' || ch == ';':
			toks = append(toks, string(ch))
			i++
		case ch == '"':
			j := strings.IndexByte(src[i+1:], '"')
			if j < 0 {
				j = len(src) - i - 1
			}
			toks = append(toks, "\x00"+src[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\n\r{};\"", rune(src[j])) {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		}
	}
	var out [][2]string
	var scope []string // one entry per open block ("APT::Periodic")
	prefix := func() string { return strings.Join(scope, "::") }
	join := func(k string) string {
		if p := prefix(); p != "" {
			return p + "::" + k
		}
		return k
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t == "}":
			if len(scope) > 0 {
				scope = scope[:len(scope)-1]
			}
		case t == ";" || t == "{":
		case strings.HasPrefix(t, "\x00"):
			out = append(out, [2]string{prefix(), t[1:]}) // a list item
		default:
			if i+1 < len(toks) && toks[i+1] == "{" {
				scope = append(scope, t)
				i++
				continue
			}
			if i+1 < len(toks) && strings.HasPrefix(toks[i+1], "\x00") {
				out = append(out, [2]string{join(t), toks[i+1][1:]})
				i++
			}
		}
	}
	return out
}
