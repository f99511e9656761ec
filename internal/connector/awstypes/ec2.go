package awstypes

import "github.com/assurehq/assure/internal/connector"

// SecurityGroup is aws.ec2.security_group: a VPC security group with its
// rules flattened to one source per rule, and the ingress open to the world.
func SecurityGroup() Type {
	rule := func(list string) []connector.Field {
		return fields(
			connector.Field{Name: list + ".ip_protocol", Type: "string", Description: "IpProtocol: tcp, udp, icmp, icmpv6, a protocol number, or -1 for all traffic."},
			connector.Field{Name: list + ".from_port", Type: "int", Description: "FromPort; for -1 (all traffic) 0. For ICMP the ICMP type (-1 for all)."},
			connector.Field{Name: list + ".to_port", Type: "int", Description: "ToPort; for -1 (all traffic) 65535. For ICMP the ICMP code (-1 for all)."},
			connector.Field{Name: list + ".cidr_ipv4", Type: "string", Description: "CidrIpv4 the rule allows, or empty."},
			connector.Field{Name: list + ".cidr_ipv6", Type: "string", Description: "CidrIpv6 the rule allows, or empty."},
			connector.Field{Name: list + ".prefix_list_id", Type: "string", Description: "PrefixListId the rule allows, or empty."},
			connector.Field{Name: list + ".referenced_group_id", Type: "string", Description: "ReferencedGroupInfo.GroupId: the security group whose members the rule allows, or empty."},
			connector.Field{Name: list + ".description", Type: "string", Description: "Description of the rule."},
		)
	}
	fs := fields(
		connector.Field{Name: "group_id", Type: "string", Description: "GroupId (sg-…)."},
		connector.Field{Name: "group_name", Type: "string", Description: "GroupName."},
		connector.Field{Name: "description", Type: "string", Description: "Description of the group."},
		connector.Field{Name: "vpc_id", Type: "string", Description: "VpcId the group belongs to."},
		fieldARN,
		fieldAccountID,
		fieldRegion,
		connector.Field{Name: "ingress_rules", Type: "list", Description: "Inbound rules, one object per source " +
			"(as DescribeSecurityGroupRules returns them), sorted."},
	)
	fs = append(fs, rule("ingress_rules")...)
	fs = append(fs, connector.Field{Name: "egress_rules", Type: "list", Description: "Outbound rules, one object per destination, sorted."})
	fs = append(fs, rule("egress_rules")...)
	fs = append(fs,
		connector.Field{Name: "world_open_ports", Type: "list", Description: "Derived: the inbound protocol and port ranges " +
			"open to 0.0.0.0/0 or ::/0, merged across both, sorted. Empty when nothing is open to the world."},
		connector.Field{Name: "world_open_ports.ip_protocol", Type: "string", Description: "Protocol as in ingress_rules."},
		connector.Field{Name: "world_open_ports.from_port", Type: "int", Description: "First port of the open range."},
		connector.Field{Name: "world_open_ports.to_port", Type: "int", Description: "Last port of the open range."},
		fieldTags,
		fieldTFAddress,
	)
	return Type{
		Name: "aws.ec2.security_group",
		Description: "A VPC security group: its inbound and outbound rules, one source per rule, and the ports it opens " +
			"to the whole internet.",
		Fields: fs,
	}
}

// EBSVolume is aws.ec2.volume: an EBS volume (DescribeVolumes).
func EBSVolume() Type {
	return Type{
		Name:        "aws.ec2.volume",
		Description: "An EBS volume and whether its data is encrypted at rest.",
		Fields: fields(
			connector.Field{Name: "volume_id", Type: "string", Description: "VolumeId (vol-…)."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "availability_zone", Type: "string", Description: "AvailabilityZone, e.g. eu-west-1a."},
			connector.Field{Name: "state", Type: "string", Description: "State: creating, available, in-use, deleting, …"},
			connector.Field{Name: "size_gib", Type: "int", Description: "Size in GiB."},
			connector.Field{Name: "volume_type", Type: "string", Description: "VolumeType: gp3, gp2, io2, st1, …"},
			connector.Field{Name: "encrypted", Type: "bool", Description: "Encrypted: data, snapshots and traffic to the instance are encrypted."},
			connector.Field{Name: "kms_key_id", Type: "string", Description: "KmsKeyId: the KMS key ARN, when encrypted."},
			connector.Field{Name: "snapshot_id", Type: "string", Description: "SnapshotId the volume was created from, or empty."},
			connector.Field{Name: "iops", Type: "int", Description: "Provisioned IOPS."},
			connector.Field{Name: "throughput", Type: "int", Description: "Throughput in MiB/s (gp3)."},
			connector.Field{Name: "multi_attach_enabled", Type: "bool", Description: "MultiAttachEnabled."},
			connector.Field{Name: "attached_instance_ids", Type: "list", Description: "Attachments: ids of the instances the volume is attached to."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
