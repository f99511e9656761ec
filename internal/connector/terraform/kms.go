package terraform

import (
	"context"

	"github.com/assurehq/assure/internal/connector"
)

func listKMSKeys(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_kms_key") {
		m := in.attrs
		a := base(in)
		setRegionAccount(a, m, true)
		a.str("key_id", m, "key_id")
		a.str("description", m, "description")
		a["key_manager"] = "CUSTOMER"
		a.source("key_manager", "aws_kms_key creates customer managed keys")
		a.unknown("key_state", "the state records only whether the key is enabled, not a pending deletion")
		a.flag("enabled", m, "is_enabled")
		a.str("key_usage", m, "key_usage")
		a.str("key_spec", m, firstKey(m, "customer_master_key_spec", "key_spec"))
		a["multi_region"] = boolean(m, "multi_region")
		if a["multi_region"] == nil {
			a["multi_region"] = false
			a.source("multi_region", "default: the provider version that wrote this state predates multi-Region keys")
		}
		a.flag("key_rotation_enabled", m, "enable_key_rotation")
		a.orUnknown("rotation_period_in_days", integer(m, "rotation_period_in_days"),
			"the provider version that wrote this state does not record the rotation period")
		name := text(m, "description")
		if name == "" {
			name = text(m, "key_id")
		}
		if err := e.emit(in, externalID(in), name, a); err != nil {
			return err
		}
	}
	return nil
}
