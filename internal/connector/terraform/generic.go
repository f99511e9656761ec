package terraform

import (
	"context"
	"sort"

	"github.com/assurehq/assure/internal/connector"
)

// folded are the resource types emitted as, or joined onto, an aws.* type;
// every other managed resource is a generic terraform.resource.
var folded = map[string]bool{
	tfBucket: true, "aws_s3_account_public_access_block": true, tfBucketEncryption: true, tfBucketVersioning: true, tfBucketPAB: true, tfBucketLogging: true,
	"aws_db_instance": true, "aws_rds_cluster": true, "aws_rds_cluster_instance": true,
	"aws_security_group": true, "aws_security_group_rule": true,
	"aws_vpc_security_group_ingress_rule": true, "aws_vpc_security_group_egress_rule": true,
	"aws_iam_user": true, "aws_iam_user_login_profile": true, "aws_iam_access_key": true,
	"aws_iam_user_policy_attachment": true, "aws_iam_user_policy": true, "aws_iam_user_group_membership": true,
	"aws_cloudtrail": true, "aws_kms_key": true, "aws_ebs_volume": true, "aws_volume_attachment": true,
}

func genericType() connector.ResourceType {
	return connector.ResourceType{
		Name: "terraform.resource",
		Description: "A managed resource in Terraform state that Assure does not normalize to a typed resource, " +
			"kept with its address, provider and attributes (sensitive values removed).",
		Fields: []connector.Field{
			{Name: "address", Type: "string", Description: "Resource instance address: module path, type, name and instance key."},
			{Name: "type", Type: "string", Description: "Resource type, e.g. aws_instance."},
			{Name: "name", Type: "string", Description: "Resource name in the configuration."},
			{Name: "module", Type: "string", Description: "Module path, e.g. module.network; empty for the root module."},
			{Name: "index_key", Type: "string", Description: "Instance key as text: the count index or the for_each key; empty for a single instance."},
			{Name: "provider", Type: "string", Description: "Provider configuration, e.g. provider[\"registry.terraform.io/hashicorp/aws\"].west."},
			{Name: "id", Type: "string", Description: "The id attribute, when the resource has one."},
			{Name: "arn", Type: "string", Description: "The arn attribute, when the resource has one."},
			{Name: "tainted", Type: "bool", Description: "Terraform marked the instance tainted: it will be replaced."},
			{Name: "schema_version", Type: "int", Description: "Provider schema version of the attributes."},
			{Name: "dependencies", Type: "list", Description: "Addresses of the resources this one depends on."},
			{Name: "attributes", Type: "object", Description: "Attributes as the provider stored them, sensitive values replaced by null."},
			{Name: "sensitive_paths", Type: "list", Description: "Paths of the attribute values removed as sensitive."},
		},
		List: connector.As(listGeneric),
	}
}

func listGeneric(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	e := c.emitter(ctx, out)
	for _, s := range states {
		for _, in := range s.index.all {
			if folded[in.typ] {
				continue
			}
			deps := append([]string{}, in.deps...)
			sort.Strings(deps)
			a := attrs{"address": in.address, "type": in.typ, "name": in.name, "module": in.module,
				"index_key": "", "provider": in.provider, "id": text(in.attrs, "id"), "arn": text(in.attrs, "arn"),
				"tainted": in.tainted, "schema_version": int64(in.schema), "dependencies": deps,
				"attributes": in.attrs, "sensitive_paths": append([]string{}, in.sensitive...)}
			switch k := in.indexKey.(type) {
			case string:
				a["index_key"] = k
			case interface{ String() string }: // json.Number
				a["index_key"] = k.String()
			}
			id := text(in.attrs, "arn")
			if id == "" {
				if v := text(in.attrs, "id"); v != "" && v != "none" {
					id = in.typ + ":" + v
				}
			}
			if id == "" {
				id = "terraform:" + s.state.Lineage + ":" + in.address
			}
			if err := e.emit(in, id, in.address, a); err != nil {
				return err
			}
		}
	}
	return nil
}
