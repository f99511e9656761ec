package host

import (
	"context"
	"fmt"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func timeSyncType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.time_sync",
		Description: "Whether the clock is kept in step with time servers (systemd-timesyncd, chrony or ntpd), which log timestamps depend on.",
		Fields: []connector.Field{
			{Name: "service", Type: "string", Description: "systemd-timesyncd, chronyd, ntpd, openntpd, or none."},
			{Name: "running", Type: "bool", Description: "The time service is running."},
			{Name: "synchronized", Type: "bool", Description: "The clock is currently synchronized."},
		},
		List: connector.As(listTimeSync),
	}
}

// Process names as /proc/*/comm shows them (cut at 15 characters).
var timeServices = []struct{ comm, name string }{
	{"chronyd", "chronyd"}, {"systemd-timesyn", "systemd-timesyncd"}, {"ntpd", "ntpd"}, {"openntpd", "openntpd"},
}

func listTimeSync(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	procs, psrc, perr := c.processes(ctx)
	service := ""
	if perr == nil {
		for _, ts := range timeServices {
			if procs[ts.comm] {
				service = ts.name
				break
			}
		}
	}
	// timedatectl answers for whichever service systemd manages.
	td, tsrc, terr := c.command(ctx, "timedatectl", "show")
	var tdv map[string]string
	if terr == nil {
		tdv = parseKV(td, false)
	}
	switch {
	case service != "":
		f.Set("service", service, psrc).Set("running", true, psrc)
	case perr != nil:
		reason := c.explain(perr, "/proc")
		f.Unknown("service", reason).Unknown("running", reason)
	case terr == nil && tdv["NTP"] == "yes":
		f.Set("service", "systemd-timesyncd", tsrc).Set("running", tdv["NTPSynchronized"] == "yes", tsrc)
	default:
		how := psrc + ": no chronyd, systemd-timesyncd, ntpd or openntpd is running"
		f.Set("service", "none", how).Set("running", false, how)
	}
	switch {
	case terr == nil && tdv["NTPSynchronized"] != "":
		f.Set("synchronized", tdv["NTPSynchronized"] == "yes", tsrc)
	case service == "chronyd":
		ct, csrc, cerr := c.command(ctx, "chronyc", "tracking")
		if cerr != nil {
			f.Unknown("synchronized", fmt.Sprintf("timedatectl failed (%v) and chronyc tracking failed (%v)", terr, cerr))
			break
		}
		leap := parseColonKV(string(ct))["Leap status"]
		f.Set("synchronized", leap == "Normal", csrc)
	case service == "" && perr == nil && terr != nil:
		f.Set("synchronized", false, "no time service is running")
	default:
		f.Unknown("synchronized", fmt.Sprintf("timedatectl show failed (%v), so the synchronization state cannot be read", terr))
	}
	return out.Emit(ctx, c.single(f, calls))
}

// parseColonKV reads "Key : value" lines (chronyc, lsblk-style output).
func parseColonKV(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
