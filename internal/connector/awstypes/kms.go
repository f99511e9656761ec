package awstypes

import "github.com/assurehq/assure/internal/connector"

// KMSKey is aws.kms.key: a customer managed KMS key (DescribeKey and
// GetKeyRotationStatus).
func KMSKey() Type {
	return Type{
		Name:        "aws.kms.key",
		Description: "A KMS key and whether its key material is rotated automatically.",
		Fields: fields(
			connector.Field{Name: "key_id", Type: "string", Description: "KeyId (a UUID, or mrk-… for multi-Region keys)."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "description", Type: "string", Description: "Description."},
			connector.Field{Name: "key_manager", Type: "string", Description: "KeyManager: CUSTOMER or AWS."},
			connector.Field{Name: "key_state", Type: "string", Description: "KeyState: Enabled, Disabled, PendingDeletion, …"},
			connector.Field{Name: "enabled", Type: "bool", Description: "Enabled: the key can be used."},
			connector.Field{Name: "key_usage", Type: "string", Description: "KeyUsage: ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT."},
			connector.Field{Name: "key_spec", Type: "string", Description: "KeySpec: SYMMETRIC_DEFAULT, RSA_2048, …; only symmetric encryption keys support automatic rotation."},
			connector.Field{Name: "multi_region", Type: "bool", Description: "MultiRegion."},
			connector.Field{Name: "key_rotation_enabled", Type: "bool", Description: "GetKeyRotationStatus KeyRotationEnabled."},
			connector.Field{Name: "rotation_period_in_days", Type: "int", Description: "RotationPeriodInDays between automatic rotations."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
