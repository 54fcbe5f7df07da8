// IAM: the EMR service role and the EC2 instance profile of the cluster nodes.
//
// Service role: AWS's managed AmazonEMRServicePolicy_v2, the documented least-privilege
// successor of the deprecated AmazonElasticMapReduceRole. It only acts on resources tagged
// for-use-with-amazon-emr-managed-policies=true (our provider default tags put it on
// everything) and AWS maintains it as EMR evolves, which a hand-written copy would not.
// It only passes the default EMR_EC2_DefaultRole, so an inline statement passes our own
// instance role, to EC2 only.
//
// Instance role: an inline policy limited to this project's buckets and prefixes (read
// code, bootstrap files, model weights and images; write results, notebooks and logs). No S3 wildcard
// resources and no AmazonS3FullAccess / AmazonElasticMapReduceforEC2Role.
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { PREFIXES, PROJECT_TAG_KEY } from './names.js';
import type { Storage } from './storage.js';

export interface EmrRolesProps {
  namePrefix: string;
  region: string;
  accountId: string;
  partition: string;
}

export const EMR_SERVICE_POLICY_V2 = 'AmazonEMRServicePolicy_v2';

export const WRITE_OBJECT = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

/** Which prefixes of which bucket the nodes may list. */
const NODE_LISTABLE: { bucket: 'data' | 'artifacts' | 'logs'; prefixes: string[] }[] = [
  { bucket: 'data', prefixes: [PREFIXES.images, PREFIXES.results] },
  { bucket: 'artifacts', prefixes: [PREFIXES.code, PREFIXES.bootstrap, PREFIXES.models, PREFIXES.notebooks] },
  { bucket: 'logs', prefixes: [PREFIXES.emrLogs] },
];

/** "results/" -> "results" */
function bare(prefix: string): string {
  return prefix.replace(/\/$/, '');
}

/** s3:prefix values a lister may send for these "directories": p, p/ and anything below. */
export function listPrefixes(prefixes: string[]): string[] {
  return prefixes.flatMap((p) => [bare(p), `${bare(p)}/*`]);
}

/**
 * Object ARNs of one S3 "directory" as Hadoop's clients see it: everything below p/
 * (p/ itself included), EMRFS's p_$folder$ marker and, for probes, the bare key p.
 */
export function directoryObjects(bucketArn: string, prefix: string, opts: { bareKey?: boolean } = {}): string[] {
  const p = bare(prefix);
  return [`${bucketArn}/${p}/*`, `${bucketArn}/${p}_$folder$`, ...(opts.bareKey === false ? [] : [`${bucketArn}/${p}`])];
}

export class EmrRoles extends Construct {
  readonly serviceRole: IamRole;
  readonly instanceRole: IamRole;
  readonly instanceProfile: IamInstanceProfile;
  /** Everything the cluster needs from IAM before it may launch. */
  readonly ready: ITerraformDependable[] = [];
  private readonly props: EmrRolesProps;

  constructor(scope: Construct, id: string, props: EmrRolesProps) {
    super(scope, id);
    this.props = props;
    const { namePrefix, accountId, partition } = props;

    const serviceTrust = new DataAwsIamPolicyDocument(this, 'service-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['elasticmapreduce.amazonaws.com'] }],
          // Confused-deputy guard: only EMR acting for this account may assume the role.
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [accountId] }],
        },
      ],
    });
    this.serviceRole = new IamRole(this, 'service-role', {
      name: `${namePrefix}-emr-service`,
      description: 'EMR service role (AmazonEMRServicePolicy_v2 + pass the node role)',
      assumeRolePolicy: serviceTrust.json,
    });
    const managed = new IamRolePolicyAttachment(this, 'service-managed-policy', {
      role: this.serviceRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/${EMR_SERVICE_POLICY_V2}`,
    });

    const instanceTrust = new DataAwsIamPolicyDocument(this, 'instance-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }],
        },
      ],
    });
    this.instanceRole = new IamRole(this, 'instance-role', {
      name: `${namePrefix}-emr-node`,
      description: 'EMR cluster nodes: project buckets only',
      assumeRolePolicy: instanceTrust.json,
    });
    this.instanceProfile = new IamInstanceProfile(this, 'instance-profile', {
      name: `${namePrefix}-emr-node`,
      role: this.instanceRole.name,
    });

    const passRole = new DataAwsIamPolicyDocument(this, 'service-pass-role', {
      statement: [
        {
          sid: 'PassNodeRoleToEc2',
          actions: ['iam:PassRole'],
          resources: [this.instanceRole.arn],
          condition: [{ test: 'StringLike', variable: 'iam:PassedToService', values: ['ec2.amazonaws.com*'] }],
        },
      ],
    });
    const passRolePolicy = new IamRolePolicy(this, 'service-pass-role-policy', {
      name: 'pass-node-role',
      role: this.serviceRole.id,
      policy: passRole.json,
    });
    this.ready.push(managed, passRolePolicy, this.instanceProfile);
  }

  /** Attach the node role's inline policy, scoped to the project's buckets and prefixes. */
  grantProjectAccess(storage: Storage): IamRolePolicy {
    const { namePrefix, region, accountId, partition } = this.props;
    const data = storage.data.arn;
    const artifacts = storage.artifacts.arn;
    const logs = storage.logs.arn;
    const doc = new DataAwsIamPolicyDocument(this, 'node-access', {
      statement: [
        {
          // Bucket-level calls S3A/EMRFS make before any object access (region probe,
          // multipart-upload cleanup); no listing here.
          sid: 'LocateProjectBuckets',
          actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [data, artifacts, logs],
        },
        ...NODE_LISTABLE.map(({ bucket, prefixes }) => ({
          // Listing only inside the project prefixes, as S3A and EMRFS list them: prefix
          // "p/..." with or without a trailing slash, and the bare "p" (getFileStatus on p).
          sid: `List${bucket[0]!.toUpperCase()}${bucket.slice(1)}Prefixes`,
          actions: ['s3:ListBucket'],
          resources: [storage[bucket].arn],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: listPrefixes(prefixes) }],
        })),
        {
          // models/ holds weights files the job loads with --weights s3://...
          // Hadoop's S3 clients probe a "directory" p as the bare key p, p/ and p_$folder$
          // (EMRFS's marker) before they list it: reads cover all three forms.
          sid: 'ReadInputsCodeBootstrapAndModels',
          actions: ['s3:GetObject'],
          resources: [
            ...directoryObjects(data, PREFIXES.images),
            ...directoryObjects(artifacts, PREFIXES.code),
            ...directoryObjects(artifacts, PREFIXES.bootstrap),
            ...directoryObjects(artifacts, PREFIXES.models),
          ],
        },
        {
          // Spark's committer writes temporary objects and deletes them; S3A writes and
          // deletes "p/" markers, EMRFS writes "p_$folder$" markers; JupyterHub saves and
          // renames notebooks. The bare key p is only read (a probe), never written.
          sid: 'WriteResultsAndNotebooks',
          actions: WRITE_OBJECT,
          resources: [
            ...directoryObjects(data, PREFIXES.results, { bareKey: false }),
            ...directoryObjects(artifacts, PREFIXES.notebooks, { bareKey: false }),
          ],
        },
        {
          sid: 'ProbeResultsAndNotebooks',
          actions: ['s3:GetObject'],
          resources: [`${data}/${bare(PREFIXES.results)}`, `${artifacts}/${bare(PREFIXES.notebooks)}`],
        },
        {
          sid: 'WriteClusterLogs',
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          resources: directoryObjects(logs, PREFIXES.emrLogs),
        },
        {
          // On-node EMR tooling describes its own cluster; read-only, this account and region,
          // and only clusters carrying this project's default tag (EMR cluster ARNs support
          // aws:ResourceTag), so other teams' clusters stay invisible to our nodes.
          sid: 'DescribeOwnCluster',
          actions: [
            'elasticmapreduce:DescribeCluster',
            'elasticmapreduce:ListBootstrapActions',
            'elasticmapreduce:ListInstanceGroups',
            'elasticmapreduce:ListInstanceFleets',
            'elasticmapreduce:ListInstances',
          ],
          resources: [`arn:${partition}:elasticmapreduce:${region}:${accountId}:cluster/*`],
          condition: [{ test: 'StringEquals', variable: `aws:ResourceTag/${PROJECT_TAG_KEY}`, values: [namePrefix] }],
        },
      ],
    });
    const policy = new IamRolePolicy(this, 'node-access-policy', {
      name: 'project-buckets',
      role: this.instanceRole.id,
      policy: doc.json,
    });
    this.ready.push(policy);
    return policy;
  }
}
