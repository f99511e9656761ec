package host

import (
	"context"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func machineType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.machine",
		Description: "The machine itself: operating system, kernel, the accounts with UID 0, and whether Assure could read everything (it runs as root).",
		Fields: []connector.Field{
			{Name: "hostname", Type: "string", Description: "The machine's host name."},
			{Name: "os_id", Type: "string", Description: "Operating system id from /etc/os-release (debian, ubuntu, rhel…)."},
			{Name: "os_version", Type: "string", Description: "Operating system version (VERSION_ID)."},
			{Name: "os_name", Type: "string", Description: "Operating system name as shown to people (PRETTY_NAME)."},
			{Name: "kernel", Type: "string", Description: "Running kernel release."},
			{Name: "uid0_accounts", Type: "list", Description: "Names of the accounts with UID 0 (full root privileges); only root is expected."},
			{Name: "collected_as_root", Type: "bool", Description: "Whether Assure ran as root; without root some facts are unknown."},
		},
		List: connector.As(listMachine),
	}
}

func listMachine(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	f.Set("hostname", c.hostname, "")
	if b, src, err := c.read(ctx, "/etc/os-release"); err == nil {
		kv := parseKV(b, false)
		for field, key := range map[string]string{"os_id": "ID", "os_version": "VERSION_ID", "os_name": "PRETTY_NAME"} {
			if v, ok := kv[key]; ok {
				f.Set(field, v, src)
			} else {
				f.Unknown(field, "/etc/os-release has no "+key)
			}
		}
	} else {
		reason := c.explain(err, "/etc/os-release")
		f.Unknown("os_id", reason).Unknown("os_version", reason).Unknown("os_name", reason)
	}
	if b, src, err := c.read(ctx, "/proc/sys/kernel/osrelease"); err == nil {
		f.Set("kernel", strings.TrimSpace(string(b)), src)
	} else {
		f.Unknown("kernel", c.explain(err, "/proc/sys/kernel/osrelease"))
	}
	if b, src, err := c.read(ctx, "/etc/passwd"); err == nil {
		names := []string{}
		for _, u := range parsePasswd(b) {
			if u.uid == 0 {
				names = append(names, u.name)
			}
		}
		f.Set("uid0_accounts", names, src)
	} else {
		f.Unknown("uid0_accounts", c.explain(err, "/etc/passwd"))
	}
	f.Set("collected_as_root", c.uid == 0, "the user id Assure runs as")
	return out.Emit(ctx, c.single(f, calls))
}
