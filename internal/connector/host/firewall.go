package host

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

func firewallType() connector.ResourceType {
	return connector.ResourceType{
		Name:        "host.firewall",
		Description: "The packet filter loaded in the kernel, read with nft list ruleset (or iptables -S when nftables is not installed).",
		Fields: []connector.Field{
			{Name: "tool", Type: "string", Description: "nftables, iptables, or none when neither program is installed."},
			{Name: "active", Type: "bool", Description: "The filter has rules or a default policy that drops."},
			{Name: "rule_count", Type: "int", Description: "Number of rules loaded."},
			{Name: "input_policy", Type: "string", Description: "Default verdict for incoming packets: accept or drop."},
			{Name: "forward_policy", Type: "string", Description: "Default verdict for forwarded packets: accept or drop."},
			{Name: "output_policy", Type: "string", Description: "Default verdict for outgoing packets: accept or drop."},
			{Name: "tables", Type: "list", Description: "nftables tables (family and name), or the iptables tables read."},
		},
		List: connector.As(listFirewall),
	}
}

var firewallFields = []string{"active", "rule_count", "input_policy", "forward_policy", "output_policy", "tables"}

type ruleset struct {
	rules    int
	policies map[string]string // hook → accept|drop
	tables   []string
}

func listFirewall(ctx context.Context, c *conn, out connector.Emitter) error {
	ctx, calls := connector.Track(ctx)
	f := connector.NewFacts()
	unknown := func(reason string) {
		for _, k := range firewallFields {
			f.Unknown(k, reason)
		}
	}
	nftOut, nftSrc, nftErr := c.command(ctx, "nft", "list", "ruleset")
	switch {
	case nftErr == nil:
		f.Set("tool", "nftables", nftSrc)
		setRuleset(f, parseNft(string(nftOut)), nftSrc)
	case errors.Is(nftErr, errCommandsOff):
		f.Unknown("tool", nftErr.Error())
		unknown(nftErr.Error())
	case !strings.HasSuffix(nftErr.Error(), "is not installed"):
		f.Set("tool", "nftables", "found nft")
		unknown(fmt.Sprintf("%v (reading the ruleset needs root)", nftErr))
	default:
		ipOut, ipSrc, ipErr := c.command(ctx, "iptables", "-S")
		switch {
		case ipErr == nil:
			f.Set("tool", "iptables", ipSrc)
			setRuleset(f, parseIptables(string(ipOut)), ipSrc)
		case strings.HasSuffix(ipErr.Error(), "is not installed"):
			f.Set("tool", "none", "neither nft nor iptables is installed")
			unknown("neither nft nor iptables is installed, so the kernel's packet filter cannot be read")
		default:
			f.Set("tool", "iptables", "found iptables")
			unknown(fmt.Sprintf("%v (reading the rules needs root)", ipErr))
		}
	}
	return out.Emit(ctx, c.single(f, calls))
}

func setRuleset(f *connector.Facts, rs ruleset, src string) {
	f.Set("rule_count", rs.rules, src)
	drops := false
	for _, hook := range []string{"input", "forward", "output"} {
		p := rs.policies[hook]
		if p == "" {
			p = "accept" // no base chain on the hook: nothing filters it
		}
		drops = drops || p == "drop"
		f.Set(hook+"_policy", p, src)
	}
	f.Set("active", rs.rules > 0 || drops, src)
	if rs.tables == nil {
		rs.tables = []string{}
	}
	f.Set("tables", rs.tables, src)
}

// parseNft reads `nft list ruleset`: it counts the rules of every chain and
// takes each filter hook's policy (drop wins: a packet must pass every base
// chain on its hook).
func parseNft(s string) ruleset {
	rs := ruleset{policies: map[string]string{}}
	var stack []string // block kinds: table, chain, set, map, …
	for _, raw := range strings.Split(s, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "{") && !strings.Contains(strings.TrimSuffix(line, "{"), "{") {
			kind := strings.Fields(line)[0]
			if kind == "table" {
				rs.tables = append(rs.tables, strings.Join(strings.Fields(strings.TrimSuffix(line, "{"))[1:], " "))
			}
			stack = append(stack, kind)
			continue
		}
		if line == "}" {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != "chain" {
			continue
		}
		if strings.HasPrefix(line, "type ") {
			// type filter hook input priority filter; policy drop;
			fields := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ';' })
			var typ, hook, policy string
			for i := 0; i+1 < len(fields); i++ {
				switch fields[i] {
				case "type":
					typ = fields[i+1]
				case "hook":
					hook = fields[i+1]
				case "policy":
					policy = fields[i+1]
				}
			}
			if typ == "filter" && hook != "" {
				if policy == "" {
					policy = "accept"
				}
				if rs.policies[hook] != "drop" {
					rs.policies[hook] = policy
				}
			}
			continue
		}
		if strings.HasPrefix(line, "policy ") || strings.HasPrefix(line, "comment ") || strings.HasPrefix(line, "devices ") {
			continue
		}
		rs.rules++
	}
	sort.Strings(rs.tables)
	return rs
}

// parseIptables reads `iptables -S`.
func parseIptables(s string) ruleset {
	rs := ruleset{policies: map[string]string{}, tables: []string{"filter"}}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "-P":
			rs.policies[strings.ToLower(f[1])] = strings.ToLower(f[2])
		case len(f) >= 2 && f[0] == "-A":
			rs.rules++
		}
	}
	return rs
}
