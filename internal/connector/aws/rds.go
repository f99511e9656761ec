package aws

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/assurehq/assure/internal/connector"
)

func rdsTags(tags []rdstypes.Tag) map[string]any {
	return tagMap(tags, func(t rdstypes.Tag) (*string, *string) { return t.Key, t.Value })
}

func securityGroupIDs(groups []rdstypes.VpcSecurityGroupMembership) []string {
	var ids []string
	for _, g := range groups {
		ids = append(ids, str(g.VpcSecurityGroupId))
	}
	return sorted(ids)
}

func listDBInstances(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		p := rds.NewDescribeDBInstancesPaginator(c.rdsClient(region), &rds.DescribeDBInstancesInput{}, func(o *rds.DescribeDBInstancesPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("rds:DescribeDBInstances")
			}
			pctx, calls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, db := range page.DBInstances {
				a := newAttrs(id.Account)
				a.set("db_instance_identifier", str(db.DBInstanceIdentifier)).set("arn", str(db.DBInstanceArn)).set("region", region)
				a.set("dbi_resource_id", str(db.DbiResourceId)).set("engine", str(db.Engine)).set("engine_version", str(db.EngineVersion))
				a.set("db_instance_class", str(db.DBInstanceClass)).set("status", str(db.DBInstanceStatus))
				a.set("storage_encrypted", boolOf(db.StorageEncrypted)).set("kms_key_id", str(db.KmsKeyId))
				a.set("backup_retention_period", num(db.BackupRetentionPeriod))
				a.set("publicly_accessible", boolOf(db.PubliclyAccessible)).set("multi_az", boolOf(db.MultiAZ))
				a.set("deletion_protection", boolOf(db.DeletionProtection))
				a.set("iam_database_authentication_enabled", boolOf(db.IAMDatabaseAuthenticationEnabled))
				a.set("auto_minor_version_upgrade", boolOf(db.AutoMinorVersionUpgrade))
				a.set("ca_cert_identifier", str(db.CACertificateIdentifier))
				a.set("enabled_cloudwatch_logs_exports", sorted(db.EnabledCloudwatchLogsExports))
				a.set("performance_insights_enabled", boolOf(db.PerformanceInsightsEnabled))
				a.set("db_cluster_identifier", str(db.DBClusterIdentifier))
				if db.Endpoint == nil {
					why := "the instance has no endpoint yet (status " + str(db.DBInstanceStatus) + ")"
					a.unknownf("endpoint_address", why)
					a.unknownf("endpoint_port", why)
				} else {
					a.set("endpoint_address", str(db.Endpoint.Address)).set("endpoint_port", num(db.Endpoint.Port))
				}
				a.set("vpc_security_group_ids", securityGroupIDs(db.VpcSecurityGroups))
				a.set("tags", rdsTags(db.TagList))
				if err := emit(ctx, out, connector.Resource{ExternalID: str(db.DBInstanceArn), Name: str(db.DBInstanceIdentifier),
					Scope: region, Attributes: a.done(), Calls: calls.Refs()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func listDBClusters(ctx context.Context, c *conn, out connector.Emitter) error {
	id, err := c.identity(ctx)
	if err != nil {
		return err
	}
	return c.eachRegion(ctx, out, func(ctx context.Context, region string) error {
		p := rds.NewDescribeDBClustersPaginator(c.rdsClient(region), &rds.DescribeDBClustersInput{}, func(o *rds.DescribeDBClustersPaginatorOptions) {
			o.StopOnDuplicateToken = true
		})
		for n := 0; p.HasMorePages(); n++ {
			if n >= maxPages {
				return errTooManyPages("rds:DescribeDBClusters")
			}
			pctx, calls := connector.Track(ctx)
			page, err := p.NextPage(pctx)
			if err != nil {
				return err
			}
			for _, cl := range page.DBClusters {
				a := newAttrs(id.Account)
				a.set("db_cluster_identifier", str(cl.DBClusterIdentifier)).set("arn", str(cl.DBClusterArn)).set("region", region)
				a.set("db_cluster_resource_id", str(cl.DbClusterResourceId)).set("engine", str(cl.Engine))
				a.set("engine_version", str(cl.EngineVersion)).set("status", str(cl.Status))
				a.set("storage_encrypted", boolOf(cl.StorageEncrypted)).set("kms_key_id", str(cl.KmsKeyId))
				a.set("backup_retention_period", num(cl.BackupRetentionPeriod)).set("multi_az", boolOf(cl.MultiAZ))
				if cl.PubliclyAccessible == nil {
					a.unknownf("publicly_accessible", "DescribeDBClusters does not say: Aurora sets public accessibility per instance (see aws.rds.instance)")
				} else {
					a.set("publicly_accessible", *cl.PubliclyAccessible)
				}
				a.set("deletion_protection", boolOf(cl.DeletionProtection))
				a.set("iam_database_authentication_enabled", boolOf(cl.IAMDatabaseAuthenticationEnabled))
				a.set("enabled_cloudwatch_logs_exports", sorted(cl.EnabledCloudwatchLogsExports))
				var members []string
				for _, m := range cl.DBClusterMembers {
					members = append(members, str(m.DBInstanceIdentifier))
				}
				a.set("members", sorted(members))
				a.set("endpoint_address", str(cl.Endpoint)).set("endpoint_port", num(cl.Port))
				a.set("tags", rdsTags(cl.TagList))
				if err := emit(ctx, out, connector.Resource{ExternalID: str(cl.DBClusterArn), Name: str(cl.DBClusterIdentifier),
					Scope: region, Attributes: a.done(), Calls: calls.Refs()}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
