package awstypes

import "github.com/assurehq/assure/internal/connector"

// ConfigRecorder is aws.config.recorder: an AWS Config configuration
// recorder and its status (DescribeConfigurationRecorders,
// DescribeConfigurationRecorderStatus). A Region without a recorder is a
// resource too, with recorder_exists false.
func ConfigRecorder() Type {
	return Type{
		Name: "aws.config.recorder",
		Description: "An AWS Config configuration recorder: what it records and whether it is recording now. A Region " +
			"without a recorder appears with recorder_exists false and recording false.",
		Fields: fields(
			connector.Field{Name: "name", Type: "string", Description: "Name of the recorder (default unless chosen), or empty without one."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "recorder_exists", Type: "bool", Description: "The Region has this recorder; false for the stand-in of a Region without any."},
			connector.Field{Name: "recording", Type: "bool", Description: "Status recording: the recorder is started."},
			connector.Field{Name: "last_status", Type: "string", Description: "Status lastStatus of the last recording attempt: Pending, Success or Failure."},
			connector.Field{Name: "all_supported", Type: "bool", Description: "recordingGroup allSupported: every supported resource type is recorded."},
			connector.Field{Name: "include_global_resource_types", Type: "bool", Description: "recordingGroup includeGlobalResourceTypes: IAM users, groups, roles and policies are recorded."},
			connector.Field{Name: "recording_strategy", Type: "string", Description: "recordingGroup recordingStrategy useOnly: ALL_SUPPORTED_RESOURCE_TYPES, INCLUSION_BY_RESOURCE_TYPES or EXCLUSION_BY_RESOURCE_TYPES."},
			connector.Field{Name: "resource_types", Type: "list", Description: "recordingGroup resourceTypes recorded when not all are, sorted."},
			connector.Field{Name: "role_arn", Type: "string", Description: "roleARN the recorder uses."},
			fieldTFAddress,
		),
	}
}

// ConfigAbsentID is the external id of a Region that has no AWS Config
// recorder.
func ConfigAbsentID(accountID, region string) string {
	return "aws:" + accountID + ":" + region + ":config-no-recorder"
}
