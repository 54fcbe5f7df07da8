// One private S3 bucket with the project's baseline: owner-enforced objects (no ACLs),
// all public access blocked, versioning, default encryption, a TLS-only bucket policy,
// lifecycle rules and (optionally) server access logs. Shared by both stacks.
import { Construct } from 'constructs';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import type { ITerraformDependable, TerraformResourceLifecycle } from 'cdktf';

export interface SecureBucketProps {
  bucketName: string;
  /** SSE-KMS with this key (and an S3 Bucket Key); SSE-S3 (AES256) when omitted. */
  kmsKeyArn?: string;
  /** Deliver server access logs to this bucket/prefix. */
  accessLogs?: { bucket: string; prefix: string; dependsOn?: ITerraformDependable[] };
  /** Rules added after the baseline ones (abort stale multipart uploads, expire old versions). */
  lifecycleRules?: S3BucketLifecycleConfigurationRule[];
  /** Days noncurrent (overwritten/deleted) versions are kept. */
  noncurrentVersionDays: number;
  /** Statements added to the TLS-only bucket policy. */
  extraPolicyStatements?: DataAwsIamPolicyDocumentStatement[];
  forceDestroy: boolean;
  lifecycle?: TerraformResourceLifecycle;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  /** Depend on this before writing objects: encryption, ownership and public-access settings are in place. */
  readonly ready: ITerraformDependable[];
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy,
      ...(props.lifecycle ? { lifecycle: props.lifecycle } : {}),
    });
    const bucket = this.bucket.id;

    const ownership = new S3BucketOwnershipControls(this, 'ownership', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    const versioning = new S3BucketVersioningA(this, 'versioning', {
      bucket,
      versioningConfiguration: { status: 'Enabled' },
    });
    const encryption = new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        props.kmsKeyArn
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
      ],
    });

    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket,
      rule: [
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{}],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{}],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays }],
          expiration: [{ expiredObjectDeleteMarker: true }],
        },
        ...(props.lifecycleRules ?? []),
      ],
      dependsOn: [versioning],
    });

    const policy = new DataAwsIamPolicyDocument(this, 'policy-document', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
        ...(props.extraPolicyStatements ?? []),
      ],
    });
    // The policy goes on after the public access block so S3 never sees it unprotected.
    this.policy = new S3BucketPolicy(this, 'policy', { bucket, policy: policy.json, dependsOn: [publicAccess] });

    if (props.accessLogs) {
      new S3BucketLoggingA(this, 'access-logs', {
        bucket,
        targetBucket: props.accessLogs.bucket,
        targetPrefix: props.accessLogs.prefix,
        ...(props.accessLogs.dependsOn ? { dependsOn: props.accessLogs.dependsOn } : {}),
      });
    }
    this.ready = [ownership, publicAccess, versioning, encryption];
  }

  get name(): string {
    return this.bucket.bucket;
  }

  get arn(): string {
    return this.bucket.arn;
  }
}
