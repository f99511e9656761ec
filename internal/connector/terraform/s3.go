package terraform

import (
	"context"
	"strings"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// The resources that configure an S3 bucket separately since AWS provider
// 4, joined onto their bucket by bucket name.
const (
	tfBucket           = "aws_s3_bucket"
	tfBucketEncryption = "aws_s3_bucket_server_side_encryption_configuration"
	tfBucketVersioning = "aws_s3_bucket_versioning"
	tfBucketPAB        = "aws_s3_bucket_public_access_block"
	tfBucketLogging    = "aws_s3_bucket_logging"
)

// byBucket indexes configuration resources by the bucket they configure.
func byBucket(states []*source, typ string) map[string]*instance {
	out := map[string]*instance{}
	for _, in := range instances(states, typ) {
		name := bucketName(text(in.attrs, "bucket"))
		if name == "" {
			name = bucketName(text(in.attrs, "id"))
		}
		if _, dup := out[name]; !dup && name != "" {
			out[name] = in
		}
	}
	return out
}

// bucketName accepts a bucket name or its ARN.
func bucketName(s string) string {
	if a, ok := parseARN(s); ok && a.service == "s3" {
		return a.resource
	}
	if i := strings.IndexByte(s, ','); i > 0 { // id "bucket,expected-owner"
		return s[:i]
	}
	return s
}

func listBuckets(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	enc, ver := byBucket(states, tfBucketEncryption), byBucket(states, tfBucketVersioning)
	pab, logs := byBucket(states, tfBucketPAB), byBucket(states, tfBucketLogging)
	e := c.emitter(ctx, out)
	for _, in := range instances(states, tfBucket) {
		name := text(in.attrs, "bucket")
		if name == "" {
			name = text(in.attrs, "id")
		}
		a := base(in)
		a["name"] = name
		if text(a, "arn") == "" {
			a.set("arn", "arn:aws:s3:::"+name)
		}
		setRegionAccount(a, in.attrs, true)
		a.unknown("account_id", "S3 bucket ARNs carry no account id, and the state does not record the bucket's owner")
		bucketEncryption(a, in, enc[name])
		bucketVersioning(a, in, ver[name])
		bucketPublicAccessBlock(a, pab[name])
		bucketLogging(a, in, logs[name])
		a.unknown("policy_is_public", "Terraform state does not evaluate the bucket policy; the aws connector reads GetBucketPolicyStatus")
		lock := boolean(in.attrs, "object_lock_enabled")
		if cfg, present := block(in.attrs, "object_lock_configuration"); lock == nil && present {
			lock = cfg != nil && text(cfg, "object_lock_enabled") == "Enabled"
		}
		a.orUnknown("object_lock_enabled", lock, "the provider version that wrote this state does not record Object Lock")
		if err := e.emit(in, text(a, "arn"), name, a, enc[name], ver[name], pab[name], logs[name]); err != nil {
			return err
		}
	}
	return nil
}

func listAccountPublicAccessBlocks(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_s3_account_public_access_block") {
		m := in.attrs
		account := text(m, "account_id")
		if account == "" {
			account = text(m, "id")
		}
		a := attrs{"terraform_address": in.address, "account_id": account}
		for _, k := range []string{"block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"} {
			a.flag(k, m, k)
		}
		if err := e.emit(in, awstypes.AccountPublicAccessBlockID(account), account, a); err != nil {
			return err
		}
	}
	return nil
}

// refreshed describes a value read from the bucket resource itself.
func refreshed(in *instance, attr string) string {
	return attr + " of " + in.address + " (as of Terraform's last refresh)"
}

func bucketEncryption(a attrs, in, sep *instance) {
	if sep != nil {
		a["encryption"] = encryptionRule(first(objects(sep.attrs, "rule")))
		a.source("encryption", sep.address)
		return
	}
	cfg, present := block(in.attrs, "server_side_encryption_configuration")
	if !present {
		a.unknown("encryption", "no "+tfBucketEncryption+" for this bucket in the state, and its aws_s3_bucket does not record encryption")
		return
	}
	var rule map[string]any
	if cfg != nil {
		rule, _ = block(cfg, "rule")
	}
	a["encryption"] = encryptionRule(rule)
	a.source("encryption", refreshed(in, "server_side_encryption_configuration"))
}

func encryptionRule(rule map[string]any) map[string]any {
	def, _ := block(rule, "apply_server_side_encryption_by_default")
	bucketKey := boolean(rule, "bucket_key_enabled")
	if bucketKey == nil {
		bucketKey = false
	}
	return map[string]any{
		"enabled":            text(def, "sse_algorithm") != "",
		"sse_algorithm":      text(def, "sse_algorithm"),
		"kms_master_key_id":  text(def, "kms_master_key_id"),
		"bucket_key_enabled": bucketKey,
	}
}

func first(list []map[string]any) map[string]any {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

func bucketVersioning(a attrs, in, sep *instance) {
	if sep != nil {
		cfg, _ := block(sep.attrs, "versioning_configuration")
		status := text(cfg, "status")
		if status == "" {
			status = "Disabled"
		}
		a["versioning"] = map[string]any{"status": status, "enabled": status == "Enabled",
			"mfa_delete": text(cfg, "mfa_delete") == "Enabled"}
		a.source("versioning", sep.address)
		return
	}
	v, _ := block(in.attrs, "versioning")
	if v == nil || boolean(v, "enabled") == nil {
		a.unknown("versioning", "no "+tfBucketVersioning+" for this bucket in the state, and its aws_s3_bucket does not record versioning")
		return
	}
	enabled := boolean(v, "enabled") == true
	mfa := boolean(v, "mfa_delete")
	if mfa == nil {
		mfa = false
	}
	a["versioning"] = map[string]any{"status": "Enabled", "enabled": enabled, "mfa_delete": mfa}
	a.source("versioning", refreshed(in, "versioning"))
	if !enabled {
		a.unknown("versioning.status", "the aws_s3_bucket versioning block records only enabled = false: Suspended or never enabled")
	}
}

func bucketPublicAccessBlock(a attrs, sep *instance) {
	if sep == nil {
		a.unknown("public_access_block", "no "+tfBucketPAB+" for this bucket in the state; it may be set outside Terraform, "+
			"and buckets created since April 2023 block public access by default")
		return
	}
	flag := func(k string) bool { return boolean(sep.attrs, k) == true }
	a["public_access_block"] = map[string]any{
		"block_public_acls":       flag("block_public_acls"),
		"ignore_public_acls":      flag("ignore_public_acls"),
		"block_public_policy":     flag("block_public_policy"),
		"restrict_public_buckets": flag("restrict_public_buckets"),
	}
	a.source("public_access_block", sep.address)
}

func bucketLogging(a attrs, in, sep *instance) {
	if sep != nil {
		a["logging"] = map[string]any{"enabled": true, "target_bucket": text(sep.attrs, "target_bucket"),
			"target_prefix": text(sep.attrs, "target_prefix")}
		a.source("logging", sep.address)
		return
	}
	l, present := block(in.attrs, "logging")
	if !present {
		a.unknown("logging", "no "+tfBucketLogging+" for this bucket in the state, and its aws_s3_bucket does not record logging")
		return
	}
	if l == nil {
		a["logging"] = map[string]any{"enabled": false, "target_bucket": "", "target_prefix": ""}
	} else {
		a["logging"] = map[string]any{"enabled": true, "target_bucket": text(l, "target_bucket"), "target_prefix": text(l, "target_prefix")}
	}
	a.source("logging", refreshed(in, "logging"))
}
