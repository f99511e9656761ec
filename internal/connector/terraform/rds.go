package terraform

import (
	"context"

	"github.com/assurehq/assure/internal/connector"
)

// listDBInstances emits aws_db_instance and aws_rds_cluster_instance (an
// Aurora instance is a DB instance in the RDS API too). Settings Aurora
// keeps on the cluster are taken from the cluster's resource.
func listDBInstances(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	clusters := map[string]*instance{}
	for _, in := range instances(states, "aws_rds_cluster") {
		clusters[text(in.attrs, "cluster_identifier")] = in
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_db_instance", "aws_rds_cluster_instance") {
		m := in.attrs
		a := base(in)
		setRegionAccount(a, m, true)
		a.str("db_instance_identifier", m, "identifier")
		a.str("dbi_resource_id", m, firstKey(m, "resource_id", "dbi_resource_id"))
		a.str("engine", m, "engine")
		a.str("engine_version", m, firstKey(m, "engine_version_actual", "engine_version"))
		a.str("db_instance_class", m, "instance_class")
		a.str("status", m, "status")
		a.str("kms_key_id", m, "kms_key_id")
		a.flag("publicly_accessible", m, "publicly_accessible")
		a.flag("iam_database_authentication_enabled", m, "iam_database_authentication_enabled")
		a.flag("auto_minor_version_upgrade", m, "auto_minor_version_upgrade")
		a.str("ca_cert_identifier", m, "ca_cert_identifier")
		a.list("enabled_cloudwatch_logs_exports", m, "enabled_cloudwatch_logs_exports")
		a.flag("performance_insights_enabled", m, "performance_insights_enabled")
		a.list("vpc_security_group_ids", m, "vpc_security_group_ids")
		a.num("endpoint_port", m, "port")
		var cluster *instance
		if in.typ == "aws_db_instance" {
			a["db_cluster_identifier"] = ""
			a.str("endpoint_address", m, "address")
			a.flag("storage_encrypted", m, "storage_encrypted")
			a.num("backup_retention_period", m, "backup_retention_period")
			a.flag("multi_az", m, "multi_az")
			a.flag("deletion_protection", m, "deletion_protection")
		} else {
			id := text(m, "cluster_identifier")
			a["db_cluster_identifier"] = id
			a.str("endpoint_address", m, "endpoint")
			a.flag("storage_encrypted", m, "storage_encrypted")
			a["multi_az"] = false
			a.source("multi_az", "default: an Aurora instance is in one Availability Zone; the cluster's instances together give Multi-AZ")
			cluster = clusters[id]
			if cluster != nil {
				from := "the cluster " + cluster.address
				a.num("backup_retention_period", cluster.attrs, "backup_retention_period")
				a.flag("deletion_protection", cluster.attrs, "deletion_protection")
				a.flag("storage_encrypted", cluster.attrs, "storage_encrypted")
				a.flag("iam_database_authentication_enabled", cluster.attrs, "iam_database_authentication_enabled")
				a.list("enabled_cloudwatch_logs_exports", cluster.attrs, "enabled_cloudwatch_logs_exports")
				a.list("vpc_security_group_ids", cluster.attrs, "vpc_security_group_ids")
				for _, k := range []string{"backup_retention_period", "deletion_protection", "storage_encrypted",
					"iam_database_authentication_enabled", "enabled_cloudwatch_logs_exports", "vpc_security_group_ids"} {
					a.source(k, from)
				}
			} else {
				why := "Aurora keeps this on the cluster " + id + ", which is not in the state"
				a.unknown("backup_retention_period", why)
				a.unknown("deletion_protection", why)
			}
		}
		name := text(m, "identifier")
		if err := e.emit(in, externalID(in), name, a, cluster); err != nil {
			return err
		}
	}
	return nil
}

func listDBClusters(ctx context.Context, c *conn, out connector.Emitter) error {
	states, err := c.states(ctx, out)
	if err != nil {
		return err
	}
	e := c.emitter(ctx, out)
	for _, in := range instances(states, "aws_rds_cluster") {
		m := in.attrs
		a := base(in)
		setRegionAccount(a, m, true)
		a.str("db_cluster_identifier", m, "cluster_identifier")
		a.str("db_cluster_resource_id", m, "cluster_resource_id")
		a.str("engine", m, "engine")
		a.str("engine_version", m, firstKey(m, "engine_version_actual", "engine_version"))
		a.unknown("status", "the state does not record the cluster status")
		a.flag("storage_encrypted", m, "storage_encrypted")
		a.str("kms_key_id", m, "kms_key_id")
		a.num("backup_retention_period", m, "backup_retention_period")
		a.unknown("multi_az", "the state does not record whether the cluster's instances span Availability Zones")
		a.orUnknown("publicly_accessible", boolean(m, "publicly_accessible"),
			"Aurora sets public access per instance (see aws.rds.instance)")
		a.flag("deletion_protection", m, "deletion_protection")
		a.flag("iam_database_authentication_enabled", m, "iam_database_authentication_enabled")
		a.list("enabled_cloudwatch_logs_exports", m, "enabled_cloudwatch_logs_exports")
		a.list("members", m, "cluster_members")
		a.str("endpoint_address", m, "endpoint")
		a.num("endpoint_port", m, "port")
		if err := e.emit(in, externalID(in), text(m, "cluster_identifier"), a); err != nil {
			return err
		}
	}
	return nil
}
