package aws

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

func ec2Tags(tags []ec2types.Tag) map[string]any {
	return tagMap(tags, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
}

// sgRule is one security group rule with one source or destination, as
// DescribeSecurityGroupRules shows rules (and as the terraform connector
// flattens them).
type sgRule struct {
	protocol          string
	fromPort, toPort  int64
	cidr4, cidr6      string
	prefixList, group string
	description       string
}

func (r sgRule) key() string {
	return fmt.Sprintf("%s|%d|%d|%s|%s|%s|%s", r.protocol, r.fromPort, r.toPort, r.cidr4, r.cidr6, r.prefixList, r.group)
}

func (r sgRule) object() map[string]any {
	return map[string]any{"ip_protocol": r.protocol, "from_port": r.fromPort, "to_port": r.toPort,
		"cidr_ipv4": r.cidr4, "cidr_ipv6": r.cidr6, "prefix_list_id": r.prefixList,
		"referenced_group_id": r.group, "description": r.description}
}

// flattenRules splits each permission into one rule per source; all
// traffic (-1) covers ports 0–65535, as in awstypes.
func flattenRules(perms []ec2types.IpPermission) []sgRule {
	seen := map[string]bool{}
	var out []sgRule
	add := func(r sgRule) {
		if !seen[r.key()] {
			seen[r.key()] = true
			out = append(out, r)
		}
	}
	for _, p := range perms {
		base := sgRule{protocol: str(p.IpProtocol), fromPort: -1, toPort: -1}
		if p.FromPort != nil {
			base.fromPort = int64(*p.FromPort)
		}
		if p.ToPort != nil {
			base.toPort = int64(*p.ToPort)
		}
		if base.protocol == "-1" || ((base.protocol == "tcp" || base.protocol == "udp") && base.fromPort == -1 && base.toPort == -1) {
			base.fromPort, base.toPort = 0, 65535
		}
		for _, r := range p.IpRanges {
			x := base
			x.cidr4, x.description = str(r.CidrIp), str(r.Description)
			add(x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.cidr6, x.description = str(r.CidrIpv6), str(r.Description)
			add(x)
		}
		for _, r := range p.PrefixListIds {
			x := base
			x.prefixList, x.description = str(r.PrefixListId), str(r.Description)
			add(x)
		}
		for _, r := range p.UserIdGroupPairs {
			x := base
			x.group, x.description = str(r.GroupId), str(r.Description)
			add(x)
		}
	}
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

func ruleObjects(rules []sgRule) []any {
	out := []any{}
	for _, r := range rules {
		out = append(out, r.object())
	}
	return out
}

// worldOpen lists the protocol and port ranges open to 0.0.0.0/0 or ::/0,
// each once.
func worldOpen(rules []sgRule) []any {
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
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		p := ec2.NewDescribeSecurityGroupsPaginator(c.ec2Client(region), &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(1000)},
			func(o *ec2.DescribeSecurityGroupsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("ec2:DescribeSecurityGroups")
			}
			pctx, calls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, g := range page.SecurityGroups {
				owner := str(g.OwnerId)
				if owner == "" {
					owner = id.Account
				}
				gid := str(g.GroupId)
				arn := str(g.SecurityGroupArn)
				if arn == "" {
					arn = arnOf(id.Partition, "ec2", region, owner, "security-group/"+gid)
				}
				a := newAttrs(owner)
				a.set("group_id", gid).set("group_name", str(g.GroupName)).set("description", str(g.Description))
				a.set("vpc_id", str(g.VpcId)).set("arn", arn).set("region", region)
				ingress := flattenRules(g.IpPermissions)
				a.set("ingress_rules", ruleObjects(ingress))
				a.set("egress_rules", ruleObjects(flattenRules(g.IpPermissionsEgress)))
				a.set("world_open_ports", worldOpen(ingress))
				a.source("world_open_ports", "derived from ingress_rules: sources 0.0.0.0/0 and ::/0")
				a.set("tags", ec2Tags(g.Tags))
				if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: str(g.GroupName), Scope: region,
					Attributes: a.done(), Calls: calls.Refs()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func listEBSEncryptionByDefault(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.ec2Client(region)
		tctx, calls := connector.Track(ctx)
		res, err := client.GetEbsEncryptionByDefault(tctx, &ec2.GetEbsEncryptionByDefaultInput{})
		if err != nil {
			return err
		}
		a := newAttrs(id.Account)
		a.set("region", region).set("enabled", boolOf(res.EbsEncryptionByDefault))
		if key, err := client.GetEbsDefaultKmsKeyId(tctx, &ec2.GetEbsDefaultKmsKeyIdInput{}); err != nil {
			a.unknownf("kms_key_id", explain(err, region))
		} else {
			a.set("kms_key_id", str(key.KmsKeyId))
		}
		return emit(ctx, out, connector.Resource{ExternalID: awstypes.EBSEncryptionByDefaultID(id.Account, region),
			Name: "EBS encryption by default in " + region, Scope: region, Attributes: a.done(), Calls: calls.Refs()})
	})
}

func listVolumes(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		p := ec2.NewDescribeVolumesPaginator(c.ec2Client(region), &ec2.DescribeVolumesInput{MaxResults: aws.Int32(500)},
			func(o *ec2.DescribeVolumesPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("ec2:DescribeVolumes")
			}
			pctx, calls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, v := range page.Volumes {
				owner := str(v.OwnerId)
				if owner == "" {
					owner = id.Account
				}
				vid := str(v.VolumeId)
				arn := str(v.VolumeArn)
				if arn == "" {
					arn = arnOf(id.Partition, "ec2", region, owner, "volume/"+vid)
				}
				a := newAttrs(owner)
				a.set("volume_id", vid).set("arn", arn).set("region", region)
				a.set("availability_zone", str(v.AvailabilityZone)).set("state", string(v.State)).set("size_gib", num(v.Size))
				a.set("volume_type", string(v.VolumeType)).set("encrypted", boolOf(v.Encrypted)).set("kms_key_id", str(v.KmsKeyId))
				a.set("snapshot_id", str(v.SnapshotId)).set("iops", num(v.Iops)).set("throughput", num(v.Throughput))
				a.set("multi_attach_enabled", boolOf(v.MultiAttachEnabled))
				var instances []string
				for _, att := range v.Attachments {
					instances = append(instances, str(att.InstanceId))
				}
				a.set("attached_instance_ids", sorted(instances))
				a.set("tags", ec2Tags(v.Tags))
				if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: vid, Scope: region, Attributes: a.done(),
					Calls: calls.Refs()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// listVPCs lists each Region's VPCs with the flow logs whose resource is
// the VPC (flow logs of subnets and network interfaces are not counted).
func listVPCs(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.ec2Client(region)
		fctx, flowCalls := connector.Track(ctx)
		logs := map[string][]ec2types.FlowLog{}
		fp := ec2.NewDescribeFlowLogsPaginator(client, &ec2.DescribeFlowLogsInput{MaxResults: aws.Int32(1000)},
			func(o *ec2.DescribeFlowLogsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; fp.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("ec2:DescribeFlowLogs")
			}
			page, err := fp.NextPage(fctx)
			if err != nil {
				return err
			}
			for _, fl := range page.FlowLogs {
				logs[str(fl.ResourceId)] = append(logs[str(fl.ResourceId)], fl)
			}
		}
		p := ec2.NewDescribeVpcsPaginator(client, &ec2.DescribeVpcsInput{MaxResults: aws.Int32(1000)},
			func(o *ec2.DescribeVpcsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("ec2:DescribeVpcs")
			}
			pctx, calls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, v := range page.Vpcs {
				owner := str(v.OwnerId)
				if owner == "" {
					owner = id.Account
				}
				vid := str(v.VpcId)
				arn := arnOf(id.Partition, "ec2", region, owner, "vpc/"+vid)
				a := newAttrs(owner)
				a.set("vpc_id", vid).set("arn", arn).set("region", region).set("cidr_block", str(v.CidrBlock))
				a.set("is_default", boolOf(v.IsDefault)).set("state", string(v.State))
				fls := logs[vid]
				sort.Slice(fls, func(i, j int) bool { return str(fls[i].FlowLogId) < str(fls[j].FlowLogId) })
				objs := []any{}
				active := false
				for _, fl := range fls {
					dest := str(fl.LogDestination)
					if dest == "" {
						dest = str(fl.LogGroupName)
					}
					objs = append(objs, map[string]any{"flow_log_id": str(fl.FlowLogId), "flow_log_status": str(fl.FlowLogStatus),
						"deliver_logs_status": str(fl.DeliverLogsStatus), "traffic_type": string(fl.TrafficType),
						"log_destination_type": string(fl.LogDestinationType), "log_destination": dest})
					active = active || str(fl.FlowLogStatus) == "ACTIVE"
				}
				a.set("flow_logs", objs).set("flow_logs_enabled", active)
				a.source("flow_logs", "DescribeFlowLogs in "+region+": the flow logs whose ResourceId is the VPC")
				a.set("tags", ec2Tags(v.Tags))
				if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: vid, Scope: region, Attributes: a.done(),
					Calls: joinRefs(calls.Refs(), flowCalls.Refs())}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
