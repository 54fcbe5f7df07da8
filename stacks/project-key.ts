// The project's customer-managed KMS key. EMR's local-disk encryption (instance store
// and EBS volumes of every node) requires a KMS key, and the same key encrypts the data
// and artifacts buckets (SSE-KMS with S3 Bucket Keys, which keeps KMS request costs
// negligible). Cost: 1 USD/month per key; rotation is yearly and free of extra charge.
import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias/index.js';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key/index.js';

export interface ProjectKeyProps {
  namePrefix: string;
  accountId: string;
  partition: string;
  /** EC2 instance role of the cluster nodes: encrypts local disks and reads/writes S3. */
  instanceRoleArn: string;
  /** EMR service role: attaches encrypted EBS volumes when it launches nodes. */
  serviceRoleArn: string;
  /** compute "serverless": the job-run role reads and writes SSE-KMS objects. */
  serverlessJobRoleArn?: string;
}

const USE_KEY = ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'];

export class ProjectKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: ProjectKeyProps) {
    super(scope, id);
    const policy = new DataAwsIamPolicyDocument(this, 'key-policy', {
      statement: [
        {
          // Standard first statement: the account (its IAM admins) administers the key;
          // without it the key becomes unmanageable. In a key policy "*" means "this key".
          sid: 'AccountAdministersKey',
          principals: [{ type: 'AWS', identifiers: [`arn:${props.partition}:iam::${props.accountId}:root`] }],
          actions: ['kms:*'],
          resources: ['*'],
        },
        {
          sid: 'EmrNodesUseKey',
          principals: [{ type: 'AWS', identifiers: [props.instanceRoleArn] }],
          actions: USE_KEY,
          resources: ['*'],
        },
        {
          sid: 'EmrServiceUsesKeyForEbs',
          principals: [{ type: 'AWS', identifiers: [props.serviceRoleArn] }],
          actions: USE_KEY,
          resources: ['*'],
        },
        {
          // EBS encryption hands the key to EC2 through grants; only for AWS resources.
          sid: 'EmrServiceGrantsForEbs',
          principals: [{ type: 'AWS', identifiers: [props.serviceRoleArn] }],
          actions: ['kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant'],
          resources: ['*'],
          condition: [{ test: 'Bool', variable: 'kms:GrantIsForAWSResource', values: ['true'] }],
        },
        ...(props.serverlessJobRoleArn
          ? [{ sid: 'ServerlessJobRunsUseKey', principals: [{ type: 'AWS', identifiers: [props.serverlessJobRoleArn] }], actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: ['*'] }]
          : []),
      ],
    });
    this.key = new KmsKey(this, 'key', {
      description: `${props.namePrefix}: EMR local disks, EMRFS and the data/artifacts buckets`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policy.json,
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.namePrefix}-emr`, targetKeyId: this.key.keyId });
  }
}
