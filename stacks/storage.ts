// Storage: three private buckets, split by lifecycle and access pattern rather than
// one bucket with prefixes:
//  - data:      images/ (input photos) and results/ (job output). SSE-KMS. Long-lived.
//  - artifacts: code/ (job uploads), bootstrap/ (stack-managed), jupyter/ (notebooks). SSE-KMS.
//  - logs:      emr-logs/ (the cluster log_uri), s3-access-logs/ and vpc-flow-logs/. Expires after
//               logRetentionDays. SSE-S3, because S3 server access log delivery does not
//               support SSE-KMS target buckets.
// Separate buckets keep the log expiry rule from ever touching data, give each its own
// encryption mode, and make the IAM policy read as "read this bucket, write that one".
import { Construct } from 'constructs';
import { PREFIXES } from './names.js';
import { SecureBucket } from './secure-bucket.js';

export interface StorageProps {
  namePrefix: string;
  region: string;
  accountId: string;
  partition: string;
  kmsKeyArn: string;
  logRetentionDays: number;
  forceDestroy: boolean;
}

export class Storage extends Construct {
  readonly data: SecureBucket;
  readonly artifacts: SecureBucket;
  readonly logs: SecureBucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    // Bucket names are global: the account id and region make them unique and predictable.
    const bucketName = (purpose: string) => `${props.namePrefix}-${purpose}-${props.accountId}-${props.region}`;

    // S3 server access logs of these buckets land in the logs bucket, one prefix each.
    const loggedBuckets = ['data', 'artifacts'];
    this.logs = new SecureBucket(this, 'logs', {
      bucketName: bucketName('logs'),
      noncurrentVersionDays: 7,
      forceDestroy: props.forceDestroy,
      lifecycleRules: [PREFIXES.emrLogs, PREFIXES.s3AccessLogs, PREFIXES.vpcFlowLogs].map((prefix) => ({
        id: `expire-${prefix.replace(/\/$/, '')}`,
        status: 'Enabled',
        filter: [{ prefix }],
        expiration: [{ days: props.logRetentionDays }],
      })),
      extraPolicyStatements: [
        // One statement per source bucket, as S3's guide has it: the log service may write
        // only that bucket's prefix, and only for that bucket (aws:SourceArn).
        ...loggedBuckets.map((purpose) => ({
          sid: `S3ServerAccessLogDelivery${purpose[0]!.toUpperCase()}${purpose.slice(1)}`,
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['logging.s3.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`arn:${props.partition}:s3:::${bucketName('logs')}/${accessLogPrefix(purpose)}*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${props.partition}:s3:::${bucketName(purpose)}`] },
          ],
        })),
        // VPC flow log delivery, as documented for S3 destinations (write + ACL check).
        {
          sid: 'VpcFlowLogDeliveryWrite',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
          actions: ['s3:PutObject'],
          resources: [`arn:${props.partition}:s3:::${bucketName('logs')}/${PREFIXES.vpcFlowLogs}AWSLogs/${props.accountId}/*`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${props.partition}:logs:${props.region}:${props.accountId}:*`] },
          ],
        },
        {
          sid: 'VpcFlowLogDeliveryAclCheck',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: ['delivery.logs.amazonaws.com'] }],
          actions: ['s3:GetBucketAcl'],
          resources: [`arn:${props.partition}:s3:::${bucketName('logs')}`],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [props.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${props.partition}:logs:${props.region}:${props.accountId}:*`] },
          ],
        },
      ],
    });

    // S3 refuses a logging configuration whose target bucket policy does not yet allow
    // delivery: the logging resources wait for the logs bucket's policy.
    const accessLogs = (purpose: string) => ({
      bucket: this.logs.name,
      prefix: accessLogPrefix(purpose),
      dependsOn: [this.logs.policy],
    });
    this.data = new SecureBucket(this, 'data', {
      bucketName: bucketName('data'),
      kmsKeyArn: props.kmsKeyArn,
      noncurrentVersionDays: 30,
      forceDestroy: props.forceDestroy,
      accessLogs: accessLogs('data'),
    });
    this.artifacts = new SecureBucket(this, 'artifacts', {
      bucketName: bucketName('artifacts'),
      kmsKeyArn: props.kmsKeyArn,
      noncurrentVersionDays: 30,
      forceDestroy: props.forceDestroy,
      accessLogs: accessLogs('artifacts'),
    });
  }
}

/** Where S3 server access logs of one bucket go inside the logs bucket. */
function accessLogPrefix(purpose: string): string {
  return `${PREFIXES.s3AccessLogs}${purpose}/`;
}

/** Flow log destination ARN inside the logs bucket. */
export function flowLogDestination(storage: Storage): string {
  return `${storage.logs.arn}/${PREFIXES.vpcFlowLogs}`;
}

/** s3://bucket/prefix form used in outputs and cluster settings. */
export function s3Uri(bucket: string, prefix: string): string {
  return `s3://${bucket}/${prefix}`;
}
