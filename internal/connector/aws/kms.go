package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/assurehq/assure/internal/connector"
)

// listKMSKeys lists each Region's customer managed keys with their
// rotation. AWS managed keys (KeyManager AWS) are skipped: AWS rotates them
// every year and their owners cannot change anything about them.
func listKMSKeys(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.kmsClient(region)
		p := kms.NewListKeysPaginator(client, &kms.ListKeysInput{Limit: aws.Int32(1000)}, func(o *kms.ListKeysPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("kms:ListKeys")
			}
			pctx, pageCalls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, k := range page.Keys {
				kctx, calls := connector.Track(ctx)
				desc, err := client.DescribeKey(kctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
				if err != nil {
					return err
				}
				m := desc.KeyMetadata
				if m == nil || m.KeyManager == kmstypes.KeyManagerTypeAws {
					continue
				}
				account := str(m.AWSAccountId)
				if account == "" {
					account = id.Account
				}
				a := newAttrs(account)
				a.set("key_id", str(m.KeyId)).set("arn", str(m.Arn)).set("region", region).set("description", str(m.Description))
				a.set("key_manager", string(m.KeyManager)).set("key_state", string(m.KeyState)).set("enabled", m.Enabled)
				a.set("key_usage", string(m.KeyUsage)).set("key_spec", string(m.KeySpec)).set("multi_region", boolOf(m.MultiRegion))
				rot, err := client.GetKeyRotationStatus(kctx, &kms.GetKeyRotationStatusInput{KeyId: m.KeyId})
				switch {
				case err != nil && errorCode(err) == "UnsupportedOperationException":
					why := "GetKeyRotationStatus answered UnsupportedOperationException: automatic rotation is not available for " +
						"this key (asymmetric, HMAC, imported key material or a custom key store)"
					a.set("key_rotation_enabled", false).set("rotation_period_in_days", int64(0))
					a.source("key_rotation_enabled", why)
					a.source("rotation_period_in_days", why)
				case err != nil:
					why := explain(err, region)
					if m.KeyState == kmstypes.KeyStatePendingDeletion {
						why = "the key is pending deletion: " + why
					}
					a.unknownf("key_rotation_enabled", why)
					a.unknownf("rotation_period_in_days", why)
				default:
					a.set("key_rotation_enabled", rot.KeyRotationEnabled).set("rotation_period_in_days", num(rot.RotationPeriodInDays))
					if rot.RotationPeriodInDays == nil {
						a.source("rotation_period_in_days", "no RotationPeriodInDays: automatic rotation is off")
					}
				}
				if tags, err := kmsTags(kctx, client, m.KeyId); err != nil {
					a.unknownf("tags", explain(err, region))
				} else {
					a.set("tags", tags)
				}
				if err := emit(ctx, out, connector.Resource{ExternalID: str(m.Arn), Name: kmsName(m), Scope: region,
					Attributes: a.done(), Calls: joinRefs(pageCalls.Refs(), calls.Refs())}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func kmsName(m *kmstypes.KeyMetadata) string {
	if d := str(m.Description); d != "" {
		return d
	}
	return str(m.KeyId)
}

// kmsTags reads a key's tags.
func kmsTags(ctx context.Context, client *kms.Client, keyID *string) (map[string]any, error) {
	tags := map[string]any{}
	p := kms.NewListResourceTagsPaginator(client, &kms.ListResourceTagsInput{KeyId: keyID})
	for n := 0; p.HasMorePages(); n++ {
		if n >= maxPages {
			return nil, errTooManyPages("kms:ListResourceTags")
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range tagMap(page.Tags, func(t kmstypes.Tag) (*string, *string) { return t.TagKey, t.TagValue }) {
			tags[k] = v
		}
	}
	return tags, nil
}
