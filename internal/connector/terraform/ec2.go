package terraform

import (
	"context"
	"sort"
	"strings"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

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

// ruleSet collects a group's rules of one direction: inline blocks of
// aws_security_group (which, refreshed, also hold the rules of separate
// resources), aws_security_group_rule and aws_vpc_security_group_*_rule.
type ruleSet struct{ awstypes.SGRules }

// addLegacy adds a rule in the aws_security_group / aws_security_group_rule
// shape: several sources in lists, split into one rule each.
func (s *ruleSet) addLegacy(m map[string]any, groupID string) {
	p, f, t := normalize(text(m, "protocol"), m["from_port"], m["to_port"])
	base := awstypes.SGRule{Protocol: p, FromPort: f, ToPort: t, Description: text(m, "description")}
	for _, c := range stringList(m, "cidr_blocks") {
		r := base
		r.CIDR4 = c
		s.Add(r)
	}
	for _, c := range stringList(m, "ipv6_cidr_blocks") {
		r := base
		r.CIDR6 = c
		s.Add(r)
	}
	for _, pl := range stringList(m, "prefix_list_ids") {
		r := base
		r.PrefixList = pl
		s.Add(r)
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
		r.Group = g
		s.Add(r)
	}
}

// addVPC adds an aws_vpc_security_group_{ingress,egress}_rule.
func (s *ruleSet) addVPC(m map[string]any) {
	p, f, t := normalize(text(m, "ip_protocol"), m["from_port"], m["to_port"])
	s.Add(awstypes.SGRule{Protocol: p, FromPort: f, ToPort: t, CIDR4: text(m, "cidr_ipv4"), CIDR6: text(m, "cidr_ipv6"),
		PrefixList: text(m, "prefix_list_id"), Group: text(m, "referenced_security_group_id"), Description: text(m, "description")})
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
		in4 := ingress.Sorted()
		a["ingress_rules"] = awstypes.SGRuleObjects(in4)
		a["egress_rules"] = awstypes.SGRuleObjects(egress.Sorted())
		a["world_open_ports"] = awstypes.WorldOpenPorts(in4)
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
