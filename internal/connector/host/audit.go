package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func auditType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.audit",
		Description: "The Linux audit daemon (auditd): installed, running, and how many audit rules it loads.",
		Fields: []connector.Field{
			{Name: "installed", Type: "bool", Description: "auditd is installed."},
			{Name: "running", Type: "bool", Description: "auditd is running."},
			{Name: "rule_count", Type: "int", Description: "Audit rules loaded (auditctl -l), or configured in /etc/audit when auditctl cannot be run."},
		},
		List: connector.As(listAudit),
	}
}

func listAudit(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	found, err := c.checkPaths(ctx, "/usr/sbin/auditd", "/sbin/auditd", "/etc/audit/auditd.conf")
	if err != nil {
		return err
	}
	where := firstFound(found, "/usr/sbin/auditd", "/sbin/auditd", "/etc/audit/auditd.conf")
	installed := where != ""
	if installed {
		f.Set("installed", true, "found "+where)
	} else {
		f.Set("installed", false, "no /usr/sbin/auditd, /sbin/auditd or /etc/audit/auditd.conf")
	}
	procs, psrc, perr := c.processes(ctx)
	if perr != nil {
		f.Unknown("running", c.explain(perr, "/proc"))
	} else {
		f.Set("running", procs["auditd"], psrc)
	}
	if !installed {
		f.Set("rule_count", 0, "auditd is not installed, so no audit rules are configured")
		return out.Emit(ctx, c.single(f, calls))
	}
	rules, src, err := c.command(ctx, "auditctl", "-l")
	if err == nil {
		n := 0
		for _, line := range strings.Split(string(rules), "\n") {
			if l := strings.TrimSpace(line); l != "" && l != "No rules" {
				n++
			}
		}
		f.Set("rule_count", n, src)
		return out.Emit(ctx, c.single(f, calls))
	}
	// Without auditctl (or root), count the rules configured in files.
	files := append(c.glob("/etc/audit/rules.d/*.rules"), "/etc/audit/audit.rules")
	n, read := 0, 0
	for _, p := range files {
		b, _, rerr := c.read(ctx, p)
		if rerr != nil {
			continue
		}
		read++
		for _, line := range strings.Split(string(b), "\n") {
			l := strings.TrimSpace(line)
			if strings.HasPrefix(l, "-a") || strings.HasPrefix(l, "-w") {
				n++
			}
		}
	}
	if read == 0 {
		f.Unknown("rule_count", fmt.Sprintf("auditctl -l failed (%v) and no rules file in /etc/audit could be read", err))
	} else {
		f.Set("rule_count", n, fmt.Sprintf("rules configured in /etc/audit (auditctl -l failed: %v); they may not all be loaded", err))
	}
	return out.Emit(ctx, c.single(f, calls))
}
