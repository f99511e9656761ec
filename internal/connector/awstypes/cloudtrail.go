package awstypes

import "github.com/assurehq/assure/internal/connector"

// CloudTrailTrail is aws.cloudtrail.trail: a trail (DescribeTrails and
// GetTrailStatus).
func CloudTrailTrail() Type {
	return Type{
		Name: "aws.cloudtrail.trail",
		Description: "A CloudTrail trail: whether it records every Region, protects its log files against tampering, " +
			"encrypts them with KMS, and is logging now.",
		Fields: fields(
			connector.Field{Name: "name", Type: "string", Description: "Name of the trail."},
			fieldARN,
			fieldAccountID,
			connector.Field{Name: "home_region", Type: "string", Description: "HomeRegion: the Region the trail was created in."},
			connector.Field{Name: "is_multi_region_trail", Type: "bool", Description: "IsMultiRegionTrail: events of every Region are recorded."},
			connector.Field{Name: "include_global_service_events", Type: "bool", Description: "IncludeGlobalServiceEvents: IAM, STS and other global services are recorded."},
			connector.Field{Name: "is_organization_trail", Type: "bool", Description: "IsOrganizationTrail: records every account of the AWS Organization."},
			connector.Field{Name: "log_file_validation_enabled", Type: "bool", Description: "LogFileValidationEnabled: signed digest files prove logs were not changed."},
			connector.Field{Name: "kms_key_id", Type: "string", Description: "KmsKeyId: the KMS key ARN encrypting log files; empty uses SSE-S3."},
			connector.Field{Name: "s3_bucket_name", Type: "string", Description: "S3BucketName receiving the log files."},
			connector.Field{Name: "cloud_watch_logs_log_group_arn", Type: "string", Description: "CloudWatchLogsLogGroupArn the events are also sent to, or empty."},
			connector.Field{Name: "is_logging", Type: "bool", Description: "GetTrailStatus IsLogging: the trail is recording now."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
