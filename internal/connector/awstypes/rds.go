package awstypes

import "github.com/assurehq/assure/internal/connector"

// RDSInstance is aws.rds.instance: one DB instance (DescribeDBInstances).
func RDSInstance() Type {
	return Type{
		Name: "aws.rds.instance",
		Description: "An RDS DB instance with its protection settings: storage encryption, automated backups, " +
			"public accessibility, Multi-AZ and deletion protection.",
		Fields: fields(
			connector.Field{Name: "db_instance_identifier", Type: "string", Description: "DBInstanceIdentifier: the instance's name."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "dbi_resource_id", Type: "string", Description: "DbiResourceId: the immutable id (db-…)."},
			connector.Field{Name: "engine", Type: "string", Description: "Engine: postgres, mysql, aurora-postgresql, …"},
			connector.Field{Name: "engine_version", Type: "string", Description: "EngineVersion running."},
			connector.Field{Name: "db_instance_class", Type: "string", Description: "DBInstanceClass, e.g. db.t3.micro."},
			connector.Field{Name: "status", Type: "string", Description: "DBInstanceStatus: available, stopped, …"},
			connector.Field{Name: "storage_encrypted", Type: "bool", Description: "StorageEncrypted: storage, backups and snapshots are encrypted at rest."},
			connector.Field{Name: "kms_key_id", Type: "string", Description: "KmsKeyId: the KMS key ARN encrypting storage."},
			connector.Field{Name: "backup_retention_period", Type: "int", Description: "BackupRetentionPeriod in days; 0 disables automated backups."},
			connector.Field{Name: "publicly_accessible", Type: "bool", Description: "PubliclyAccessible: the endpoint resolves to a public IP address."},
			connector.Field{Name: "multi_az", Type: "bool", Description: "MultiAZ: a standby in another Availability Zone."},
			connector.Field{Name: "deletion_protection", Type: "bool", Description: "DeletionProtection: the instance cannot be deleted until it is turned off."},
			connector.Field{Name: "iam_database_authentication_enabled", Type: "bool", Description: "IAMDatabaseAuthenticationEnabled."},
			connector.Field{Name: "auto_minor_version_upgrade", Type: "bool", Description: "AutoMinorVersionUpgrade: minor engine patches are applied automatically."},
			connector.Field{Name: "ca_cert_identifier", Type: "string", Description: "CACertificateIdentifier of the server certificate."},
			connector.Field{Name: "enabled_cloudwatch_logs_exports", Type: "list", Description: "EnabledCloudwatchLogsExports: log types sent to CloudWatch Logs."},
			connector.Field{Name: "performance_insights_enabled", Type: "bool", Description: "PerformanceInsightsEnabled."},
			connector.Field{Name: "db_cluster_identifier", Type: "string", Description: "DBClusterIdentifier when the instance belongs to a cluster."},
			connector.Field{Name: "endpoint_address", Type: "string", Description: "Endpoint.Address: the DNS name clients connect to."},
			connector.Field{Name: "endpoint_port", Type: "int", Description: "Endpoint.Port."},
			connector.Field{Name: "vpc_security_group_ids", Type: "list", Description: "VpcSecurityGroups: ids of the security groups guarding the instance."},
			fieldTags,
			fieldTFAddress,
		),
	}
}

// RDSCluster is aws.rds.cluster: one Aurora or Multi-AZ DB cluster
// (DescribeDBClusters).
func RDSCluster() Type {
	return Type{
		Name:        "aws.rds.cluster",
		Description: "An RDS DB cluster (Aurora or Multi-AZ DB cluster) with its encryption, backup and deletion protection settings.",
		Fields: fields(
			connector.Field{Name: "db_cluster_identifier", Type: "string", Description: "DBClusterIdentifier: the cluster's name."},
			fieldARN,
			fieldAccountID,
			fieldRegion,
			connector.Field{Name: "db_cluster_resource_id", Type: "string", Description: "DbClusterResourceId: the immutable id (cluster-…)."},
			connector.Field{Name: "engine", Type: "string", Description: "Engine: aurora-postgresql, aurora-mysql, postgres, mysql."},
			connector.Field{Name: "engine_version", Type: "string", Description: "EngineVersion."},
			connector.Field{Name: "status", Type: "string", Description: "Status: available, stopped, …"},
			connector.Field{Name: "storage_encrypted", Type: "bool", Description: "StorageEncrypted."},
			connector.Field{Name: "kms_key_id", Type: "string", Description: "KmsKeyId: the KMS key ARN encrypting storage."},
			connector.Field{Name: "backup_retention_period", Type: "int", Description: "BackupRetentionPeriod in days."},
			connector.Field{Name: "multi_az", Type: "bool", Description: "MultiAZ: instances in more than one Availability Zone."},
			connector.Field{Name: "publicly_accessible", Type: "bool", Description: "PubliclyAccessible (Multi-AZ DB clusters; Aurora sets it per instance)."},
			connector.Field{Name: "deletion_protection", Type: "bool", Description: "DeletionProtection."},
			connector.Field{Name: "iam_database_authentication_enabled", Type: "bool", Description: "IAMDatabaseAuthenticationEnabled."},
			connector.Field{Name: "enabled_cloudwatch_logs_exports", Type: "list", Description: "EnabledCloudwatchLogsExports."},
			connector.Field{Name: "members", Type: "list", Description: "DBClusterMembers: identifiers of the member DB instances."},
			connector.Field{Name: "endpoint_address", Type: "string", Description: "Endpoint: the writer endpoint's DNS name."},
			connector.Field{Name: "endpoint_port", Type: "int", Description: "Port."},
			fieldTags,
			fieldTFAddress,
		),
	}
}
