package terraform

import (
	"context"
	"fmt"

	"github.com/assurehq/assure/internal/connector"
)

func listTrails(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_cloudtrail") {
		m := in.attrs
		a := base(in)
		setRegionAccount(a, m, false)
		a.str("name", m, "name")
		home := str(m, "home_region")
		if parsed, ok := parseARN(text(m, "arn")); home == nil && ok {
			home = parsed.region
		}
		a.orUnknown("home_region", home, noRegion)
		a.flag("is_multi_region_trail", m, "is_multi_region_trail")
		a.flag("include_global_service_events", m, "include_global_service_events")
		a.flag("is_organization_trail", m, "is_organization_trail")
		a.flag("log_file_validation_enabled", m, "enable_log_file_validation")
		a.str("kms_key_id", m, "kms_key_id")
		a.str("s3_bucket_name", m, "s3_bucket_name")
		a.str("cloud_watch_logs_log_group_arn", m, "cloud_watch_logs_group_arn")
		why := "Terraform state cannot show whether the trail is logging now"
		if v := boolean(m, "enable_logging"); v != nil {
			why += fmt.Sprintf(" (it records enable_logging = %v as of the last apply or refresh)", v)
		}
		a.unknown("is_logging", why)
		if err := e.emit(in, externalID(in), text(m, "name"), a); err != nil {
			return err
		}
	}
	return nil
}
