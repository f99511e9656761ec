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

// EBSEncryptionByDefault is aws.ec2.ebs_encryption_by_default: whether new
// EBS volumes of one Region are encrypted by default
// (GetEbsEncryptionByDefault, GetEbsDefaultKmsKeyId).
func EBSEncryptionByDefault() Type {
	return Type{
		Name: "aws.ec2.ebs_encryption_by_default",
		Description: "The Region-wide EBS setting that encrypts every new volume and snapshot copy, and the KMS key it " +
			"uses. One resource per account and Region.",
		Fields: fields(
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "enabled", Type: "bool", Description: "EbsEncryptionByDefault: new volumes are always encrypted."},
			connector.Field{Name: "kms_key_id", Type: "string", Description: "GetEbsDefaultKmsKeyId KmsKeyId: the default key (alias/aws/ebs unless changed)."},
			fieldTFAddress,
		),
	}
}

// EBSEncryptionByDefaultID is the external id of one Region's EBS
// encryption-by-default setting (it has no ARN).
func EBSEncryptionByDefaultID(accountID, region string) string {
	return "aws:" + accountID + ":" + region + ":ebs-encryption-by-default"
}

// VPC is aws.ec2.vpc: a VPC and its flow logs (DescribeVpcs,
// DescribeFlowLogs).
func VPC() Type {
	return Type{
		Name:        "aws.ec2.vpc",
		Description: "A VPC and the flow logs that record its network traffic; a VPC without flow logs has an empty list.",
		Fields: fields(
			connector.Field{Name: "vpc_id", Type: "string", Description: "VpcId (vpc-…)."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "cidr_block", Type: "string", Description: "CidrBlock: the primary IPv4 range."},
			connector.Field{Name: "is_default", Type: "bool", Description: "IsDefault: the Region's default VPC."},
			connector.Field{Name: "state", Type: "string", Description: "State: pending or available."},
			connector.Field{Name: "flow_logs_enabled", Type: "bool", Description: "Derived: at least one flow log of the VPC is ACTIVE."},
			connector.Field{Name: "flow_logs", Type: "list", Description: "Flow logs whose resource is the VPC, sorted by id."},
			connector.Field{Name: "flow_logs.flow_log_id", Type: "string", Description: "FlowLogId (fl-…)."},
			connector.Field{Name: "flow_logs.flow_log_status", Type: "string", Description: "FlowLogStatus: ACTIVE."},
			connector.Field{Name: "flow_logs.deliver_logs_status", Type: "string", Description: "DeliverLogsStatus: SUCCESS or FAILED."},
			connector.Field{Name: "flow_logs.traffic_type", Type: "string", Description: "TrafficType: ACCEPT, REJECT or ALL."},
			connector.Field{Name: "flow_logs.log_destination_type", Type: "string", Description: "LogDestinationType: cloud-watch-logs, s3 or kinesis-data-firehose."},
			connector.Field{Name: "flow_logs.log_destination", Type: "string", Description: "LogDestination ARN, or the LogGroupName for CloudWatch Logs."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
