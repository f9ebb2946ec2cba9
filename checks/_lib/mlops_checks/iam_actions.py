"""IAM action names an instance role of this course may carry, vendored for an offline check.

Amazon S3's actions in full, from the AWS Service Authorization Reference ("Actions defined by
Amazon S3", checked December 2026), and the few of other services an EC2 instance role
commonly needs (KMS to read SSE-KMS objects, ECR to pull an image, CloudWatch Logs, Systems
Manager and the EC2 describe calls). A policy that names anything else is reported as an
action this checker does not know, not as an invalid one. IAM matches action names without
regard to case: look names up lower-cased.
"""

from __future__ import annotations

S3 = """
AbortMultipartUpload AssociateAccessGrantsIdentityCenter BypassGovernanceRetention
CreateAccessGrant CreateAccessGrantsInstance CreateAccessGrantsLocation CreateAccessPoint
CreateAccessPointForObjectLambda CreateBucket CreateBucketMetadataTableConfiguration CreateJob
CreateMultiRegionAccessPoint CreateStorageLensGroup DeleteAccessGrant DeleteAccessGrantsInstance
DeleteAccessGrantsInstanceResourcePolicy DeleteAccessGrantsLocation DeleteAccessPoint
DeleteAccessPointForObjectLambda DeleteAccessPointPolicy DeleteAccessPointPolicyForObjectLambda
DeleteBucket DeleteBucketMetadataTableConfiguration DeleteBucketOwnershipControls
DeleteBucketPolicy DeleteBucketWebsite DeleteJobTagging DeleteMultiRegionAccessPoint
DeleteObject DeleteObjectTagging DeleteObjectVersion DeleteObjectVersionTagging
DeleteStorageLensConfiguration DeleteStorageLensConfigurationTagging DeleteStorageLensGroup
DescribeJob DescribeMultiRegionAccessPointOperation DissociateAccessGrantsIdentityCenter
GetAccelerateConfiguration GetAccessGrant GetAccessGrantsInstance
GetAccessGrantsInstanceForPrefix GetAccessGrantsInstanceResourcePolicy GetAccessGrantsLocation
GetAccessPoint GetAccessPointConfigurationForObjectLambda GetAccessPointForObjectLambda
GetAccessPointPolicy GetAccessPointPolicyForObjectLambda GetAccessPointPolicyStatus
GetAccessPointPolicyStatusForObjectLambda GetAccountPublicAccessBlock GetAnalyticsConfiguration
GetBucketAcl GetBucketCORS GetBucketLocation GetBucketLogging
GetBucketMetadataTableConfiguration GetBucketNotification GetBucketObjectLockConfiguration
GetBucketOwnershipControls GetBucketPolicy GetBucketPolicyStatus GetBucketPublicAccessBlock
GetBucketRequestPayment GetBucketTagging GetBucketVersioning GetBucketWebsite GetDataAccess
GetEncryptionConfiguration GetIntelligentTieringConfiguration GetInventoryConfiguration
GetJobTagging GetLifecycleConfiguration GetMetricsConfiguration GetMultiRegionAccessPoint
GetMultiRegionAccessPointPolicy GetMultiRegionAccessPointPolicyStatus
GetMultiRegionAccessPointRoutes GetObject GetObjectAcl GetObjectAttributes GetObjectLegalHold
GetObjectRetention GetObjectTagging GetObjectTorrent GetObjectVersion GetObjectVersionAcl
GetObjectVersionAttributes GetObjectVersionForReplication GetObjectVersionTagging
GetObjectVersionTorrent GetReplicationConfiguration GetStorageLensConfiguration
GetStorageLensConfigurationTagging GetStorageLensDashboard GetStorageLensGroup
InitiateReplication ListAccessGrants ListAccessGrantsInstances ListAccessGrantsLocations
ListAccessPoints ListAccessPointsForObjectLambda ListAllMyBuckets ListBucket
ListBucketMultipartUploads ListBucketVersions ListCallerAccessGrants ListJobs
ListMultiRegionAccessPoints ListMultipartUploadParts ListStorageLensConfigurations
ListStorageLensGroups ListTagsForResource ObjectOwnerOverrideToBucketOwner PauseReplication
PutAccelerateConfiguration PutAccessGrantsInstanceResourcePolicy
PutAccessPointConfigurationForObjectLambda PutAccessPointPolicy
PutAccessPointPolicyForObjectLambda PutAccessPointPublicAccessBlock PutAccountPublicAccessBlock
PutAnalyticsConfiguration PutBucketAcl PutBucketCORS PutBucketLogging PutBucketNotification
PutBucketObjectLockConfiguration PutBucketOwnershipControls PutBucketPolicy
PutBucketPublicAccessBlock PutBucketRequestPayment PutBucketTagging PutBucketVersioning
PutBucketWebsite PutEncryptionConfiguration PutIntelligentTieringConfiguration
PutInventoryConfiguration PutJobTagging PutLifecycleConfiguration PutMetricsConfiguration
PutMultiRegionAccessPointPolicy PutObject PutObjectAcl PutObjectLegalHold PutObjectRetention
PutObjectTagging PutObjectVersionAcl PutObjectVersionTagging PutReplicationConfiguration
PutStorageLensConfiguration PutStorageLensConfigurationTagging ReplicateDelete ReplicateObject
ReplicateTags RestoreObject SubmitMultiRegionAccessPointRoutes TagResource UntagResource
UpdateAccessGrantsLocation UpdateJobPriority UpdateJobStatus UpdateStorageLensGroup
"""

OTHERS = {
    "kms": "Decrypt DescribeKey GenerateDataKey",
    "ecr": "BatchCheckLayerAvailability BatchGetImage GetAuthorizationToken GetDownloadUrlForLayer",
    "logs": "CreateLogGroup CreateLogStream DescribeLogGroups DescribeLogStreams PutLogEvents",
    "cloudwatch": "PutMetricData",
    "ssm": "GetParameter GetParameters GetParametersByPath UpdateInstanceInformation",
    "ssmmessages": "CreateControlChannel CreateDataChannel OpenControlChannel OpenDataChannel",
    "ec2messages": "AcknowledgeMessage DeleteMessage FailMessage GetEndpoint GetMessages SendReply",
    "ec2": "DescribeInstances DescribeTags DescribeVolumes",
}


def _names() -> dict[str, str]:
    listed = {"s3": S3, **OTHERS}
    return {
        f"{service}:{name}".lower(): f"{service}:{name}"
        for service, text in listed.items()
        for name in text.split()
    }


KNOWN: dict[str, str] = _names()  # lower-cased name -> the reference's spelling
SERVICES = sorted({name.split(":")[0] for name in KNOWN})


def spelled(action: str) -> str | None:
    """The reference's spelling of ``action`` (any case), or None when it is not known."""
    return KNOWN.get(action.lower())


def read_only_s3(action: str) -> bool:
    """An S3 action that only reads (its name starts with Get or List)."""
    service, _, name = action.partition(":")
    return service.lower() == "s3" and name.lower().startswith(("get", "list"))
