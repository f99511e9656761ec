package aws

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/assurehq/assure/internal/connector"
)

// listTrails lists each Region's trails, shadow copies of multi-Region and
// organization trails included, and emits every trail once: from its home
// Region when that Region is collected, else from the first collected
// Region that shows it. Its status (IsLogging) and tags are read from its
// home Region, by ARN.
func listTrails(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	regions, err := c.regionList(ctx)
	if err != nil {
		return err
	}
	collected := map[string]bool{}
	for _, r := range regions {
		collected[r] = true
	}
	emitted := map[string]bool{}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.cloudtrailClient(region)
		lctx, listCalls := connector.Track(ctx)
		res, err := client.DescribeTrails(lctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(true)})
		if err != nil {
			return err
		}
		for _, t := range res.TrailList {
			arn, home := str(t.TrailARN), str(t.HomeRegion)
			if emitted[arn] || (home != region && collected[home]) {
				continue
			}
			emitted[arn] = true
			tctx, calls := connector.Track(ctx)
			statusClient := client
			if home != "" && home != region {
				statusClient = c.cloudtrailClient(home)
			}
			a := trailAttrs(tctx, statusClient, id, t)
			if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: str(t.Name), Scope: region, Attributes: a.done(),
				Calls: joinRefs(listCalls.Refs(), calls.Refs())}); err != nil {
				return err
			}
		}
		return nil
	})
}

func trailAttrs(ctx context.Context, client *cloudtrail.Client, id *identity, t cttypes.Trail) *attrs {
	arn := str(t.TrailARN)
	account := id.Account
	if p := strings.Split(arn, ":"); len(p) > 4 && p[4] != "" {
		account = p[4] // an organization trail belongs to the management account
	}
	a := newAttrs(account)
	a.set("name", str(t.Name)).set("arn", arn).set("home_region", str(t.HomeRegion))
	a.set("is_multi_region_trail", boolOf(t.IsMultiRegionTrail))
	a.set("include_global_service_events", boolOf(t.IncludeGlobalServiceEvents))
	a.set("is_organization_trail", boolOf(t.IsOrganizationTrail))
	a.set("log_file_validation_enabled", boolOf(t.LogFileValidationEnabled))
	a.set("kms_key_id", str(t.KmsKeyId))
	a.set("s3_bucket_name", str(t.S3BucketName))
	a.set("cloud_watch_logs_log_group_arn", str(t.CloudWatchLogsLogGroupArn))

	if st, err := client.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(arn)}); err != nil {
		a.unknownf("is_logging", explain(err, str(t.HomeRegion)))
	} else if st.IsLogging == nil {
		a.unknownf("is_logging", "GetTrailStatus answered without IsLogging")
	} else {
		a.set("is_logging", *st.IsLogging)
	}

	tags := map[string]any{}
	var tagErr error
	p := cloudtrail.NewListTagsPaginator(client, &cloudtrail.ListTagsInput{ResourceIdList: []string{arn}}, func(o *cloudtrail.ListTagsPaginatorOptions) {
		o.StopOnDuplicateToken = true
	})
	for n := 0; p.HasMorePages() && tagErr == nil; n++ {
		if n >= maxPages {
			tagErr = errTooManyPages("cloudtrail:ListTags")
			break
		}
		page, err := p.NextPage(ctx)
		if err != nil {
			tagErr = err
			break
		}
		for _, rt := range page.ResourceTagList {
			for k, v := range tagMap(rt.TagsList, func(t cttypes.Tag) (*string, *string) { return t.Key, t.Value }) {
				tags[k] = v
			}
		}
	}
	if tagErr != nil {
		a.unknownf("tags", explain(tagErr, str(t.HomeRegion)))
	} else {
		a.set("tags", tags)
	}
	return a
}
