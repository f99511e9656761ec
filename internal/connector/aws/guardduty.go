package aws

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// listGuardDuty emits each Region's detector, or a stand-in saying the
// Region has none, so that "GuardDuty is enabled everywhere" can be
// tested.
func listGuardDuty(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.guarddutyClient(region)
		lctx, listCalls := connector.Track(ctx)
		var ids []string
		p := guardduty.NewListDetectorsPaginator(client, &guardduty.ListDetectorsInput{}, func(o *guardduty.ListDetectorsPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("guardduty:ListDetectors")
			}
			page, err := p.NextPage(lctx)
			if err != nil {
				return err
			}
			ids = append(ids, page.DetectorIds...)
		}
		if len(ids) == 0 {
			a := newAttrs(id.Account)
			a.set("detector_id", "").set("arn", "").set("region", region).set("detector_exists", false).set("enabled", false)
			a.set("status", "").set("finding_publishing_frequency", "").set("features", map[string]any{}).set("tags", map[string]any{})
			a.unknownf("created_at", "the Region has no detector")
			a.source("detector_exists", "ListDetectors in "+region+" answered no detector: GuardDuty was never enabled there")
			return emit(ctx, out, connector.Resource{ExternalID: awstypes.GuardDutyAbsentID(id.Account, region),
				Name: "no GuardDuty detector in " + region, Scope: region, Attributes: a.done(), Calls: listCalls.Refs()})
		}
		for _, did := range sorted(ids) {
			dctx, calls := connector.Track(ctx)
			d, err := client.GetDetector(dctx, &guardduty.GetDetectorInput{DetectorId: &did})
			if err != nil {
				return err
			}
			arn := arnOf(id.Partition, "guardduty", region, id.Account, "detector/"+did)
			a := newAttrs(id.Account)
			a.set("detector_id", did).set("arn", arn).set("region", region).set("detector_exists", true)
			a.set("enabled", d.Status == gdtypes.DetectorStatusEnabled).set("status", string(d.Status))
			a.set("finding_publishing_frequency", string(d.FindingPublishingFrequency))
			features := map[string]any{}
			for _, f := range d.Features {
				features[string(f.Name)] = string(f.Status)
			}
			a.set("features", features)
			if t, err := time.Parse(time.RFC3339, str(d.CreatedAt)); err == nil {
				a.set("created_at", t.UTC().Format(time.RFC3339))
			} else {
				a.unknownf("created_at", fmt.Sprintf("GetDetector's createdAt %q is not an ISO 8601 time", str(d.CreatedAt)))
			}
			tags := map[string]any{}
			for k, v := range d.Tags {
				tags[k] = v
			}
			a.set("tags", tags)
			if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: "GuardDuty detector " + did, Scope: region,
				Attributes: a.done(), Calls: joinRefs(listCalls.Refs(), calls.Refs())}); err != nil {
				return err
			}
		}
		return nil
	})
}
