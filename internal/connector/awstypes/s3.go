package awstypes

import "github.com/assurehq/assure/internal/connector"

// S3Bucket is aws.s3.bucket: a bucket with its default encryption, public
// access block, versioning and server access logging.
func S3Bucket() Type {
	return Type{
		Name: "aws.s3.bucket",
		Description: "An S3 bucket with the settings that decide who can read it and whether its data is protected: " +
			"default encryption, the bucket's public access block, versioning and server access logging.",
		Fields: fields(
			connector.Field{Name: "name", Type: "string", Description: "Bucket name (globally unique)."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "encryption", Type: "object", Description: "Default encryption (GetBucketEncryption): " +
				"how new objects are encrypted when a request does not say."},
			connector.Field{Name: "encryption.enabled", Type: "bool", Description: "A default encryption rule is configured."},
			connector.Field{Name: "encryption.sse_algorithm", Type: "string", Description: "SSEAlgorithm: AES256 (SSE-S3), aws:kms (SSE-KMS) or aws:kms:dsse."},
			connector.Field{Name: "encryption.kms_master_key_id", Type: "string", Description: "KMSMasterKeyID: the KMS key for aws:kms, empty for the AWS managed key or AES256."},
			connector.Field{Name: "encryption.bucket_key_enabled", Type: "bool", Description: "BucketKeyEnabled: S3 Bucket Keys reduce KMS calls."},
			connector.Field{Name: "public_access_block", Type: "object", Description: "The bucket's public access block (GetPublicAccessBlock). " +
				"All four false when none is configured. The account-level block is a separate setting."},
			connector.Field{Name: "public_access_block.block_public_acls", Type: "bool", Description: "BlockPublicAcls: requests that add public ACLs are refused."},
			connector.Field{Name: "public_access_block.ignore_public_acls", Type: "bool", Description: "IgnorePublicAcls: public ACLs are ignored."},
			connector.Field{Name: "public_access_block.block_public_policy", Type: "bool", Description: "BlockPublicPolicy: bucket policies that grant public access are refused."},
			connector.Field{Name: "public_access_block.restrict_public_buckets", Type: "bool", Description: "RestrictPublicBuckets: only AWS services and the owner's account reach a bucket with a public policy."},
			connector.Field{Name: "versioning", Type: "object", Description: "Versioning (GetBucketVersioning)."},
			connector.Field{Name: "versioning.status", Type: "string", Description: "Enabled, Suspended, or Disabled (never enabled)."},
			connector.Field{Name: "versioning.enabled", Type: "bool", Description: "Status is Enabled."},
			connector.Field{Name: "versioning.mfa_delete", Type: "bool", Description: "MFADelete is Enabled: deleting versions needs MFA."},
			connector.Field{Name: "logging", Type: "object", Description: "Server access logging (GetBucketLogging)."},
			connector.Field{Name: "logging.enabled", Type: "bool", Description: "Access logs are delivered (LoggingEnabled is set)."},
			connector.Field{Name: "logging.target_bucket", Type: "string", Description: "TargetBucket receiving the logs."},
			connector.Field{Name: "logging.target_prefix", Type: "string", Description: "TargetPrefix of the log objects."},
			connector.Field{Name: "policy_is_public", Type: "bool", Description: "GetBucketPolicyStatus IsPublic: the bucket policy grants public access."},
			connector.Field{Name: "object_lock_enabled", Type: "bool", Description: "Object Lock is enabled (objects can be made immutable)."},
			fieldTags,
			fieldTFAddress,
		),
	}
}

// S3AccountPublicAccessBlock is aws.s3.account_public_access_block: the
// account-wide block (s3control GetPublicAccessBlock), which overrides
// every bucket's own.
func S3AccountPublicAccessBlock() Type {
	return Type{
		Name: "aws.s3.account_public_access_block",
		Description: "The S3 public access block of a whole AWS account: when a setting is on here, it applies to every " +
			"bucket of the account whatever the bucket's own block says.",
		Fields: fields(
			fieldAccountID,
			connector.Field{Name: "block_public_acls", Type: "bool", Description: "BlockPublicAcls for every bucket of the account."},
			connector.Field{Name: "ignore_public_acls", Type: "bool", Description: "IgnorePublicAcls for every bucket of the account."},
			connector.Field{Name: "block_public_policy", Type: "bool", Description: "BlockPublicPolicy for every bucket of the account."},
			connector.Field{Name: "restrict_public_buckets", Type: "bool", Description: "RestrictPublicBuckets for every bucket of the account."},
			fieldTFAddress,
		),
	}
}

// AccountPublicAccessBlockID is the external id of an account's public
// access block (it has no ARN): both connectors use it.
func AccountPublicAccessBlockID(accountID string) string {
	return "aws:" + accountID + ":s3-account-public-access-block"
}
