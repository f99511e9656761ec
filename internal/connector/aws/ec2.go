package aws

import (
	"context"
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

// flattenRules splits each permission into one rule per source; all
// traffic (-1) covers ports 0–65535, as in awstypes.
func flattenRules(perms []ec2types.IpPermission) []awstypes.SGRule {
	var set awstypes.SGRules
	for _, p := range perms {
		base := awstypes.SGRule{Protocol: str(p.IpProtocol), FromPort: -1, ToPort: -1}
		if p.FromPort != nil {
			base.FromPort = int64(*p.FromPort)
		}
		if p.ToPort != nil {
			base.ToPort = int64(*p.ToPort)
		}
		if base.Protocol == "-1" || ((base.Protocol == "tcp" || base.Protocol == "udp") && base.FromPort == -1 && base.ToPort == -1) {
			base.FromPort, base.ToPort = 0, 65535
		}
		for _, r := range p.IpRanges {
			x := base
			x.CIDR4, x.Description = str(r.CidrIp), str(r.Description)
			set.Add(x)
		}
		for _, r := range p.Ipv6Ranges {
			x := base
			x.CIDR6, x.Description = str(r.CidrIpv6), str(r.Description)
			set.Add(x)
		}
		for _, r := range p.PrefixListIds {
			x := base
			x.PrefixList, x.Description = str(r.PrefixListId), str(r.Description)
			set.Add(x)
		}
		for _, r := range p.UserIdGroupPairs {
			x := base
			x.Group, x.Description = str(r.GroupId), str(r.Description)
			set.Add(x)
		}
	}
	return set.Sorted()
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
				a.set("ingress_rules", awstypes.SGRuleObjects(ingress))
				a.set("egress_rules", awstypes.SGRuleObjects(flattenRules(g.IpPermissionsEgress)))
				a.set("world_open_ports", awstypes.WorldOpenPorts(ingress))
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
