package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/configservice"
	cfgtypes "github.com/aws/aws-sdk-go-v2/service/configservice/types"

	"github.com/assurehq/assure/internal/connector"
	"github.com/assurehq/assure/internal/connector/awstypes"
)

// listConfigRecorders emits each Region's configuration recorders with
// their status, or a stand-in saying the Region has none.
func listConfigRecorders(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		client := c.configClient(region)
		tctx, calls := connector.Track(ctx)
		recs, err := client.DescribeConfigurationRecorders(tctx, &configservice.DescribeConfigurationRecordersInput{})
		if err != nil {
			return err
		}
		if len(recs.ConfigurationRecorders) == 0 {
			a := newAttrs(id.Account)
			a.set("name", "").set("arn", "").set("region", region).set("recorder_exists", false).set("recording", false)
			a.set("last_status", "").set("all_supported", false).set("include_global_resource_types", false)
			a.set("recording_strategy", "").set("resource_types", []string{}).set("role_arn", "")
			a.source("recorder_exists", "DescribeConfigurationRecorders in "+region+" answered no recorder")
			return emit(ctx, out, connector.Resource{ExternalID: awstypes.ConfigAbsentID(id.Account, region),
				Name: "no AWS Config recorder in " + region, Scope: region, Attributes: a.done(), Calls: calls.Refs()})
		}
		status, statusErr := client.DescribeConfigurationRecorderStatus(tctx, &configservice.DescribeConfigurationRecorderStatusInput{})
		byName := map[string]cfgtypes.ConfigurationRecorderStatus{}
		if statusErr == nil {
			for _, s := range status.ConfigurationRecordersStatus {
				byName[str(s.Name)] = s
			}
		}
		for _, r := range recs.ConfigurationRecorders {
			name := str(r.Name)
			arn := str(r.Arn)
			if arn == "" {
				arn = "aws:" + id.Account + ":" + region + ":config-recorder/" + name
			}
			a := newAttrs(id.Account)
			a.set("name", name).set("arn", arn).set("region", region).set("recorder_exists", true).set("role_arn", str(r.RoleARN))
			g := r.RecordingGroup
			if g == nil {
				g = &cfgtypes.RecordingGroup{}
			}
			a.set("all_supported", g.AllSupported).set("include_global_resource_types", g.IncludeGlobalResourceTypes)
			strategy := ""
			if g.RecordingStrategy != nil {
				strategy = string(g.RecordingStrategy.UseOnly)
			}
			a.set("recording_strategy", strategy)
			var types []string
			for _, t := range g.ResourceTypes {
				types = append(types, string(t))
			}
			a.set("resource_types", sorted(types))
			switch s, ok := byName[name]; {
			case statusErr != nil:
				why := explain(statusErr, region)
				a.unknownf("recording", why)
				a.unknownf("last_status", why)
			case !ok:
				a.unknownf("recording", "DescribeConfigurationRecorderStatus has no status for this recorder")
				a.unknownf("last_status", "DescribeConfigurationRecorderStatus has no status for this recorder")
			default:
				a.set("recording", s.Recording).set("last_status", string(s.LastStatus))
			}
			if err := emit(ctx, out, connector.Resource{ExternalID: arn, Name: name, Scope: region, Attributes: a.done(),
				Calls: calls.Refs()}); err != nil {
				return err
			}
		}
		return nil
	})
}
