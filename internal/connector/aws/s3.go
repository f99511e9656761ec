package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3controltypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

func listAccountPublicAccessBlock(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		tctx, calls := connector.Track(ctx)
		res, err := c.s3controlClient().GetPublicAccessBlock(tctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(id.Account)})
		a := newAttrs(id.Account)
		fields := []string{"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"}
		switch {
		case err != nil && errorCode(err) == "NoSuchPublicAccessBlockConfiguration":
			for _, f := range fields {
				a.set(f, false)
				a.source(f, "default: the account has no public access block (NoSuchPublicAccessBlockConfiguration)")
			}
		case err != nil:
			return err
		default:
			p := res.PublicAccessBlockConfiguration
			if p == nil {
				p = &s3controltypes.PublicAccessBlockConfiguration{}
			}
			a.set("block_public_acls", boolOf(p.BlockPublicAcls))
			a.set("ignore_public_acls", boolOf(p.IgnorePublicAcls))
			a.set("block_public_policy", boolOf(p.BlockPublicPolicy))
			a.set("restrict_public_buckets", boolOf(p.RestrictPublicBuckets))
		}
		return emit(ctx, out, connector.Resource{ExternalID: awstypes.AccountPublicAccessBlockID(id.Account),
			Name: "S3 account public access block", Scope: Global, Attributes: a.done(), Calls: calls.Refs()})
	})
}

// listBuckets lists the account's buckets (ListBuckets is account-wide, so
// the scope is global) and reads each bucket's settings in its own Region.
// A setting that cannot be read is null with the reason; only a failed
// ListBuckets fails the scope.
func listBuckets(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return global(ctx, out, func(ctx context.Context) error {
		home := c.s3Client(c.home)
		p := s3.NewListBucketsPaginator(home, &s3.ListBucketsInput{MaxBuckets: aws.Int32(1000)}, func(o *s3.ListBucketsPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("s3:ListAllMyBuckets")
			}
			pctx, pageCalls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, b := range page.Buckets {
				bctx, calls := connector.Track(ctx)
				name := str(b.Name)
				region, err := c.bucketRegion(bctx, home, b)
				a := newAttrs(id.Account)
				a.set("name", name).set("arn", "arn:"+id.Partition+":s3:::"+name)
				if err != nil {
					a.unknownf("region", explain(err, Global))
					region = c.home
				} else {
					a.set("region", region)
					if !c.collects(region) {
						continue
					}
				}
				c.bucketSettings(bctx, c.s3Client(region), name, a)
				if err := emit(ctx, out, connector.Resource{ExternalID: "arn:" + id.Partition + ":s3:::" + name, Name: name, Scope: Global,
					Attributes: a.done(), Calls: joinRefs(pageCalls.Refs(), calls.Refs())}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// collects reports whether a Region is among those configured (every
// Region when none is).
func (c *conn) collects(region string) bool {
	if c.want == nil {
		return true
	}
	for _, r := range c.want {
		if r == region {
			return true
		}
	}
	return false
}

// bucketRegion is ListBuckets' BucketRegion, or else GetBucketLocation's
// LocationConstraint (empty means us-east-1, EU means eu-west-1).
func (c *conn) bucketRegion(ctx context.Context, client *s3.Client, b s3types.Bucket) (string, error) {
	if r := str(b.BucketRegion); r != "" {
		return r, nil
	}
	loc, err := client.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: b.Name})
	if err != nil {
		return "", err
	}
	switch loc.LocationConstraint {
	case "":
		return "us-east-1", nil
	case s3types.BucketLocationConstraintEu:
		return "eu-west-1", nil
	}
	return string(loc.LocationConstraint), nil
}

// bucketSettings reads a bucket's encryption, public access block,
// versioning, logging, policy status, Object Lock and tags. Each "not
// configured" error is the value it means; any other error makes the field
// null with the reason.
func (c *conn) bucketSettings(ctx context.Context, client *s3.Client, bucket string, a *attrs) {
	b := aws.String(bucket)

	enc, err := client.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: b})
	switch {
	case err != nil && errorCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
		a.set("encryption", map[string]any{"enabled": false, "sse_algorithm": "", "kms_master_key_id": "", "bucket_key_enabled": false})
		a.source("encryption", "GetBucketEncryption answered ServerSideEncryptionConfigurationNotFoundError: no default encryption")
	case err != nil:
		a.unknownf("encryption", explain(err, Global))
	default:
		e := map[string]any{"enabled": false, "sse_algorithm": "", "kms_master_key_id": "", "bucket_key_enabled": false}
		if cfg := enc.ServerSideEncryptionConfiguration; cfg != nil {
			for _, r := range cfg.Rules {
				if d := r.ApplyServerSideEncryptionByDefault; d != nil {
					e["enabled"] = d.SSEAlgorithm != ""
					e["sse_algorithm"] = string(d.SSEAlgorithm)
					e["kms_master_key_id"] = str(d.KMSMasterKeyID)
					e["bucket_key_enabled"] = boolOf(r.BucketKeyEnabled)
					break
				}
			}
		}
		a.set("encryption", e)
	}

	pab, err := client.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b})
	switch {
	case err != nil && errorCode(err) == "NoSuchPublicAccessBlockConfiguration":
		a.set("public_access_block", map[string]any{"block_public_acls": false, "ignore_public_acls": false,
			"block_public_policy": false, "restrict_public_buckets": false})
		a.source("public_access_block", "default: the bucket has no public access block (NoSuchPublicAccessBlockConfiguration)")
	case err != nil:
		a.unknownf("public_access_block", explain(err, Global))
	default:
		p := pab.PublicAccessBlockConfiguration
		if p == nil {
			p = &s3types.PublicAccessBlockConfiguration{}
		}
		a.set("public_access_block", map[string]any{"block_public_acls": boolOf(p.BlockPublicAcls), "ignore_public_acls": boolOf(p.IgnorePublicAcls),
			"block_public_policy": boolOf(p.BlockPublicPolicy), "restrict_public_buckets": boolOf(p.RestrictPublicBuckets)})
	}

	if ver, err := client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b}); err != nil {
		a.unknownf("versioning", explain(err, Global))
	} else {
		status := string(ver.Status)
		if status == "" {
			status = "Disabled"
			a.source("versioning", "GetBucketVersioning has no Status: versioning was never enabled")
		}
		a.set("versioning", map[string]any{"status": status, "enabled": ver.Status == s3types.BucketVersioningStatusEnabled,
			"mfa_delete": ver.MFADelete == s3types.MFADeleteStatusEnabled})
	}

	if logs, err := client.GetBucketLogging(ctx, &s3.GetBucketLoggingInput{Bucket: b}); err != nil {
		a.unknownf("logging", explain(err, Global))
	} else if l := logs.LoggingEnabled; l == nil {
		a.set("logging", map[string]any{"enabled": false, "target_bucket": "", "target_prefix": ""})
	} else {
		a.set("logging", map[string]any{"enabled": true, "target_bucket": str(l.TargetBucket), "target_prefix": str(l.TargetPrefix)})
	}

	switch st, err := client.GetBucketPolicyStatus(ctx, &s3.GetBucketPolicyStatusInput{Bucket: b}); {
	case err != nil && errorCode(err) == "NoSuchBucketPolicy":
		a.set("policy_is_public", false)
		a.source("policy_is_public", "GetBucketPolicyStatus answered NoSuchBucketPolicy: the bucket has no policy")
	case err != nil:
		a.unknownf("policy_is_public", explain(err, Global))
	default:
		public := false
		if st.PolicyStatus != nil {
			public = boolOf(st.PolicyStatus.IsPublic)
		}
		a.set("policy_is_public", public)
	}

	switch lock, err := client.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b}); {
	case err != nil && errorCode(err) == "ObjectLockConfigurationNotFoundError":
		a.set("object_lock_enabled", false)
	case err != nil:
		a.unknownf("object_lock_enabled", explain(err, Global))
	default:
		a.set("object_lock_enabled", lock.ObjectLockConfiguration != nil &&
			lock.ObjectLockConfiguration.ObjectLockEnabled == s3types.ObjectLockEnabledEnabled)
	}

	switch tags, err := client.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b}); {
	case err != nil && errorCode(err) == "NoSuchTagSet":
		a.set("tags", map[string]any{})
	case err != nil:
		a.unknownf("tags", explain(err, Global))
	default:
		a.set("tags", tagMap(tags.TagSet, func(t s3types.Tag) (*string, *string) { return t.Key, t.Value }))
	}
}
