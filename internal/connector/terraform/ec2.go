package terraform

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/assurehq/assure/internal/connector"
)

// rule is one security group rule with one source or destination, as
// DescribeSecurityGroupRules returns it.
type rule struct {
	protocol          string
	fromPort, toPort  int64
	cidr4, cidr6      string
	prefixList, group string
	description       string
}

func (r rule) key() string {
	return fmt.Sprintf("%s|%d|%d|%s|%s|%s|%s", r.protocol, r.fromPort, r.toPort, r.cidr4, r.cidr6, r.prefixList, r.group)
}

func (r rule) object() map[string]any {
	return map[string]any{"ip_protocol": r.protocol, "from_port": r.fromPort, "to_port": r.toPort,
		"cidr_ipv4": r.cidr4, "cidr_ipv6": r.cidr6, "prefix_list_id": r.prefixList,
		"referenced_group_id": r.group, "description": r.description}
}

// protocolNames maps protocol numbers Terraform accepts to the names the
// EC2 API returns.
var protocolNames = map[string]string{"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}

// normalize gives every rule the API's protocol name and, for all traffic,
// the full port range.
func normalize(protocol string, from, to any) (string, int64, int64) {
	p := strings.ToLower(protocol)
	if n, ok := protocolNames[p]; ok {
		p = n
	}
	if p == "-1" {
		return p, 0, 65535
	}
	f, okF := toInt(from)
	t, okT := toInt(to)
	if !okF {
		f = -1
	}
	if !okT {
		t = -1
	}
	if (p == "tcp" || p == "udp") && f == -1 && t == -1 {
		f, t = 0, 65535
	}
	return p, f, t
}

// rules collects a group's rules of one direction: inline blocks of
// aws_security_group (which, refreshed, also hold the rules of separate
// resources), aws_security_group_rule and aws_vpc_security_group_*_rule.
type ruleSet struct {
	seen  map[string]bool
	rules []rule
}

func (s *ruleSet) add(r rule) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[r.key()] {
		s.seen[r.key()] = true
		s.rules = append(s.rules, r)
	}
}

// addLegacy adds a rule in the aws_security_group / aws_security_group_rule
// shape: several sources in lists, split into one rule each.
func (s *ruleSet) addLegacy(m map[string]any, groupID string) {
	p, f, t := normalize(text(m, "protocol"), m["from_port"], m["to_port"])
	base := rule{protocol: p, fromPort: f, toPort: t, description: text(m, "description")}
	for _, c := range stringList(m, "cidr_blocks") {
		r := base
		r.cidr4 = c
		s.add(r)
	}
	for _, c := range stringList(m, "ipv6_cidr_blocks") {
		r := base
		r.cidr6 = c
		s.add(r)
	}
	for _, pl := range stringList(m, "prefix_list_ids") {
		r := base
		r.prefixList = pl
		s.add(r)
	}
	groups := stringList(m, "security_groups")
	if g := text(m, "source_security_group_id"); g != "" {
		groups = append(groups, g)
	}
	if boolean(m, "self") == true {
		groups = append(groups, groupID)
	}
	for _, g := range groups {
		r := base
		r.group = g
		s.add(r)
	}
}

// addVPC adds an aws_vpc_security_group_{ingress,egress}_rule.
func (s *ruleSet) addVPC(m map[string]any) {
	p, f, t := normalize(text(m, "ip_protocol"), m["from_port"], m["to_port"])
	s.add(rule{protocol: p, fromPort: f, toPort: t, cidr4: text(m, "cidr_ipv4"), cidr6: text(m, "cidr_ipv6"),
		prefixList: text(m, "prefix_list_id"), group: text(m, "referenced_security_group_id"), description: text(m, "description")})
}

func (s *ruleSet) sorted() []rule {
	out := append([]rule(nil), s.rules...)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.protocol != b.protocol:
			return a.protocol < b.protocol
		case a.fromPort != b.fromPort:
			return a.fromPort < b.fromPort
		case a.toPort != b.toPort:
			return a.toPort < b.toPort
		}
		return a.key() < b.key()
	})
	return out
}

func objectsOf(rules []rule) []any {
	out := []any{}
	for _, r := range rules {
		out = append(out, r.object())
	}
	return out
}

// worldOpen lists the protocol and port ranges open to 0.0.0.0/0 or ::/0.
func worldOpen(rules []rule) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, r := range rules {
		if r.cidr4 != "0.0.0.0/0" && r.cidr6 != "::/0" {
			continue
		}
		k := fmt.Sprintf("%s|%d|%d", r.protocol, r.fromPort, r.toPort)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, map[string]any{"ip_protocol": r.protocol, "from_port": r.fromPort, "to_port": r.toPort})
	}
	return out
}

func listSecurityGroups(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	// Separate rule resources by the group they belong to.
	type extra struct {
		ingress, egress []*instance
	}
	sep := map[string]*extra{}
	get := func(id string) *extra {
		if sep[id] == nil {
			sep[id] = &extra{}
		}
		return sep[id]
	}
	for _, in := range instances(states, "aws_security_group_rule") {
		x := get(text(in.attrs, "security_group_id"))
		if text(in.attrs, "type") == "egress" {
			x.egress = append(x.egress, in)
		} else {
			x.ingress = append(x.ingress, in)
		}
	}
	for _, in := range instances(states, "aws_vpc_security_group_ingress_rule") {
		x := get(text(in.attrs, "security_group_id"))
		x.ingress = append(x.ingress, in)
	}
	for _, in := range instances(states, "aws_vpc_security_group_egress_rule") {
		x := get(text(in.attrs, "security_group_id"))
		x.egress = append(x.egress, in)
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_security_group") {
		m := in.attrs
		id := text(m, "id")
		a := base(in)
		setRegionAccount(a, m, true)
		a["group_id"] = id
		a.str("group_name", m, "name")
		a.str("description", m, "description")
		a.str("vpc_id", m, "vpc_id")
		var ingress, egress ruleSet
		var joined []*instance
		x := sep[id]
		if x == nil {
			x = &extra{}
		}
		var from []string
		for _, r := range x.ingress {
			if r.typ == "aws_security_group_rule" {
				ingress.addLegacy(r.attrs, id)
			} else {
				ingress.addVPC(r.attrs)
			}
			joined = append(joined, r)
			from = append(from, r.address)
		}
		for _, r := range x.egress {
			if r.typ == "aws_security_group_rule" {
				egress.addLegacy(r.attrs, id)
			} else {
				egress.addVPC(r.attrs)
			}
			joined = append(joined, r)
			from = append(from, r.address)
		}
		for _, r := range objects(m, "ingress") {
			ingress.addLegacy(r, id)
		}
		for _, r := range objects(m, "egress") {
			egress.addLegacy(r, id)
		}
		in4 := ingress.sorted()
		a["ingress_rules"] = objectsOf(in4)
		a["egress_rules"] = objectsOf(egress.sorted())
		a["world_open_ports"] = worldOpen(in4)
		if len(from) > 0 {
			sort.Strings(from)
			how := "the ingress and egress blocks of " + in.address + " and " + strings.Join(from, ", ")
			a.source("ingress_rules", how)
			a.source("egress_rules", how)
		}
		a.source("world_open_ports", "derived from ingress_rules: sources 0.0.0.0/0 and ::/0")
		if err := e.emit(in, externalID(in), text(m, "name"), a, joined...); err != nil {
			return err
		}
	}
	return nil
}

func listVolumes(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	attached := map[string][]*instance{}
	for _, in := range instances(states, "aws_volume_attachment") {
		v := text(in.attrs, "volume_id")
		attached[v] = append(attached[v], in)
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_ebs_volume") {
		m := in.attrs
		id := text(m, "id")
		a := base(in)
		setRegionAccount(a, m, true)
		a["volume_id"] = id
		a.str("availability_zone", m, "availability_zone")
		a.unknown("state", "the state does not record the volume state")
		a.num("size_gib", m, "size")
		a.str("volume_type", m, "type")
		a.flag("encrypted", m, "encrypted")
		a.str("kms_key_id", m, "kms_key_id")
		a.str("snapshot_id", m, "snapshot_id")
		a.num("iops", m, "iops")
		a.num("throughput", m, "throughput")
		a.flag("multi_attach_enabled", m, "multi_attach_enabled")
		ids := []string{}
		for _, att := range attached[id] {
			ids = append(ids, text(att.attrs, "instance_id"))
		}
		sort.Strings(ids)
		a["attached_instance_ids"] = ids
		a.source("attached_instance_ids", "aws_volume_attachment resources in the state")
		if err := e.emit(in, externalID(in), id, a, attached[id]...); err != nil {
			return err
		}
	}
	return nil
}
