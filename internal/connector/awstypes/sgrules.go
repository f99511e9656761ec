package awstypes

import (
	"fmt"
	"sort"
)

// SGRule is one security group rule with exactly one source or
// destination (an IPv4 or IPv6 range, a prefix list, or another group), the
// shape aws.ec2.security_group's ingress_rules and egress_rules hold. The
// terraform and aws connectors both build these, so both emit the same
// rules and the same derived world_open_ports.
type SGRule struct {
	Protocol          string // the EC2 API's name: tcp, udp, icmp, icmpv6, a number, or -1
	FromPort, ToPort  int64  // 0–65535 for all traffic
	CIDR4, CIDR6      string
	PrefixList, Group string
	Description       string
}

func (r SGRule) key() string {
	return fmt.Sprintf("%s|%d|%d|%s|%s|%s|%s", r.Protocol, r.FromPort, r.ToPort, r.CIDR4, r.CIDR6, r.PrefixList, r.Group)
}

func (r SGRule) object() map[string]any {
	return map[string]any{"ip_protocol": r.Protocol, "from_port": r.FromPort, "to_port": r.ToPort,
		"cidr_ipv4": r.CIDR4, "cidr_ipv6": r.CIDR6, "prefix_list_id": r.PrefixList,
		"referenced_group_id": r.Group, "description": r.Description}
}

// SGRules collects one direction's rules of a group, each once.
type SGRules struct {
	seen  map[string]bool
	rules []SGRule
}

// Add adds a rule unless an identical one is already there (inline blocks
// and separate rule resources may describe the same rule).
func (s *SGRules) Add(r SGRule) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[r.key()] {
		s.seen[r.key()] = true
		s.rules = append(s.rules, r)
	}
}

// Sorted returns the rules by protocol, ports, then source.
func (s *SGRules) Sorted() []SGRule {
	out := append([]SGRule(nil), s.rules...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Protocol != b.Protocol:
			return a.Protocol < b.Protocol
		case a.FromPort != b.FromPort:
			return a.FromPort < b.FromPort
		case a.ToPort != b.ToPort:
			return a.ToPort < b.ToPort
		}
		return a.key() < b.key()
	})
	return out
}

// SGRuleObjects is the attribute value of ingress_rules / egress_rules.
func SGRuleObjects(rules []SGRule) []any {
	out := []any{}
	for _, r := range rules {
		out = append(out, r.object())
	}
	return out
}

// WorldOpenPorts is the derived world_open_ports: the protocol and port
// ranges of ingress rules open to 0.0.0.0/0 or ::/0, each once.
func WorldOpenPorts(ingress []SGRule) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, r := range ingress {
		if r.CIDR4 != "0.0.0.0/0" && r.CIDR6 != "::/0" {
			continue
		}
		k := fmt.Sprintf("%s|%d|%d", r.Protocol, r.FromPort, r.ToPort)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, map[string]any{"ip_protocol": r.Protocol, "from_port": r.FromPort, "to_port": r.ToPort})
	}
	return out
}
