package awstypes

import "github.com/assurehq/assure/internal/connector"

// GuardDutyDetector is aws.guardduty.detector: the GuardDuty detector of
// one Region (ListDetectors, GetDetector). A Region without a detector is a
// resource too, with detector_exists false, so "GuardDuty is on in every
// Region" can be tested.
func GuardDutyDetector() Type {
	return Type{
		Name: "aws.guardduty.detector",
		Description: "GuardDuty in one Region: its detector and whether it is enabled. A Region without a detector " +
			"appears with detector_exists false and enabled false.",
		Fields: fields(
			connector.Field{Name: "detector_id", Type: "string", Description: "DetectorId, or empty when the Region has no detector."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "detector_exists", Type: "bool", Description: "The Region has a detector."},
			connector.Field{Name: "enabled", Type: "bool", Description: "Status is ENABLED: GuardDuty analyses the Region's events."},
			connector.Field{Name: "status", Type: "string", Description: "Status: ENABLED, DISABLED, or empty without a detector."},
			connector.Field{Name: "finding_publishing_frequency", Type: "string", Description: "FindingPublishingFrequency: FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."},
			connector.Field{Name: "features", Type: "object", Description: "Features: protection plan name (S3_DATA_EVENTS, EKS_AUDIT_LOGS, …) → ENABLED or DISABLED."},
			connector.Field{Name: "created_at", Type: "time", Description: "CreatedAt of the detector; null (with the reason) without one."},
			fieldTags,
			fieldTFAddress,
		),
	}
}

// GuardDutyAbsentID is the external id of a Region that has no GuardDuty
// detector.
func GuardDutyAbsentID(accountID, region string) string {
	return "aws:" + accountID + ":" + region + ":guardduty-no-detector"
}
