// compute "serverless": an EMR Serverless application instead of a cluster (docs/serverless.md).
//   job-run role (trusted by emr-serverless.amazonaws.com for this account only)
//   -> security group with the cluster's egress rules -> ECR repository for the job image
//   -> the Spark application (release of the config, x86_64, capped, auto-start, auto-stop).
// Provider 5.100 has no runtime_configuration/monitoring_configuration on the application: the
// runner sets the log location in each job run's monitoring settings instead (serverlessLogUri).
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js';
import { EcrRepositoryPolicy } from '@cdktf/provider-aws/lib/ecr-repository-policy/index.js';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository/index.js';
import { EmrserverlessApplication } from '@cdktf/provider-aws/lib/emrserverless-application/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import type { FruitsConfig } from '../config/index.js';
import { directoryObjects, listPrefixes, WRITE_OBJECT } from './emr-roles.js';
import { PREFIXES } from './names.js';
import type { Network } from './network.js';
import { s3Uri, type Storage } from './storage.js';

/** One worker (driver or executor): the runner's Spark settings fill exactly this (runner/serverless/job-run.ts). */
export const SERVERLESS_WORKER = { vcpu: 4, memoryGb: 16 } as const;
/** Under the logs bucket's emr-logs/ prefix, so the logs' expiry rule covers job-run logs too. */
export const SERVERLESS_LOG_PREFIX = `${PREFIXES.emrLogs}serverless/`;

export interface ServerlessProps {
  config: FruitsConfig;
  network: Network;
  storage: Storage;
  kmsKeyArn: string;
  jobRole: IamRole;
  region: string;
  accountId: string;
  partition: string;
}

/** The job-run role, created before the KMS key so the key policy can name it. */
export function serverlessJobRole(scope: Construct, o: { namePrefix: string; accountId: string; partition: string; region: string }): IamRole {
  const trust = new DataAwsIamPolicyDocument(scope, 'serverless-job-trust', {
    statement: [
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: ['emr-serverless.amazonaws.com'] }],
        // Confused-deputy guard: only EMR Serverless acting for this account's applications.
        condition: [
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: [o.accountId] },
          { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${o.partition}:emr-serverless:${o.region}:${o.accountId}:/applications/*`] },
        ],
      },
    ],
  });
  return new IamRole(scope, 'serverless-job-role', {
    name: `${o.namePrefix}-serverless-job`,
    description: 'EMR Serverless job runs: read inputs, code and models; write results and logs; use the project key',
    assumeRolePolicy: trust.json,
  });
}

/** Pure: "16 vCPU" / "64 GB" strings of the EMR Serverless API. */
export const vcpu = (n: number) => `${n} vCPU`;
export const gb = (n: number) => `${n} GB`;

export class ServerlessApp extends Construct {
  readonly application: EmrserverlessApplication;
  readonly repository: EcrRepository;
  readonly securityGroup: SecurityGroup;
  readonly logUri: string;
  readonly ready: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: ServerlessProps) {
    super(scope, id);
    const { config, network, storage, jobRole, partition, region, accountId } = props;
    const name = (suffix: string) => `${config.namePrefix}-${suffix}`;
    this.logUri = s3Uri(storage.logs.name, SERVERLESS_LOG_PREFIX);

    this.ready.push(this.grantJobAccess(jobRole, storage, props.kmsKeyArn));

    // The cluster's egress rules (HTTPS out, S3 through the gateway endpoint, everything inside
    // the group), and inbound only from the group itself: driver and executors talk to each other.
    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: name('emr-serverless'),
      description: `EMR Serverless workers of ${config.namePrefix}`,
      vpcId: network.vpc.id,
      revokeRulesOnDelete: true,
      tags: { Name: name('emr-serverless') },
    });
    const sg = this.securityGroup.id;
    this.ready.push(
      new VpcSecurityGroupEgressRule(this, 'egress-https', {
        securityGroupId: sg, description: 'HTTPS out: AWS APIs (S3, STS, KMS)', ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0',
      }),
      new VpcSecurityGroupEgressRule(this, 'egress-s3', {
        securityGroupId: sg, description: 'S3 through the VPC gateway endpoint (its prefix list)', ipProtocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: network.s3Endpoint.prefixListId,
      }),
      new VpcSecurityGroupEgressRule(this, 'egress-self', {
        securityGroupId: sg, description: 'All traffic to the other EMR Serverless workers (Spark RPC, shuffle)', ipProtocol: '-1', referencedSecurityGroupId: sg,
      }),
      // All traffic from the other workers (Spark RPC, shuffle). moto drops this rule's description;
      // the rehearsal ignores it there (MOTO_GAPS sg-rule-description), real AWS keeps it.
      new VpcSecurityGroupIngressRule(this, 'ingress-self', { securityGroupId: sg, ipProtocol: '-1', referencedSecurityGroupId: sg, description: 'Spark driver and executors of a job run talk to each other' }),
    );

    // The job image: encrypted with the project key, scanned on push, tags immutable (the
    // image script tags by content hash), old images expire.
    this.repository = new EcrRepository(this, 'repository', {
      name: name('job'),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: 'KMS', kmsKey: props.kmsKeyArn }],
      forceDelete: config.forceDestroyBuckets,
    });
    const pull = new DataAwsIamPolicyDocument(this, 'repository-pull', {
      statement: [
        {
          // As AWS documents for custom images: EMR Serverless pulls for this account's applications only.
          sid: 'EmrServerlessPullsForThisAccount',
          principals: [{ type: 'Service', identifiers: ['emr-serverless.amazonaws.com'] }],
          actions: ['ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer'],
          condition: [{ test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${partition}:emr-serverless:${region}:${accountId}:/applications/*`] }],
        },
      ],
    });
    const repositoryPolicy = new EcrRepositoryPolicy(this, 'repository-policy', { repository: this.repository.name, policy: pull.json });
    new EcrLifecyclePolicy(this, 'repository-lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [{ rulePriority: 1, description: 'keep the 10 newest images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } }],
      }),
    });

    const s = config.serverless;
    const worker = { cpu: vcpu(SERVERLESS_WORKER.vcpu), memory: gb(SERVERLESS_WORKER.memoryGb) };
    this.application = new EmrserverlessApplication(this, 'application', {
      name: name('serverless'),
      releaseLabel: config.releaseLabel,
      // AWS's CLI examples spell it SPARK; moto accepts only that spelling.
      type: 'SPARK',
      architecture: 'X86_64',
      maximumCapacity: { cpu: vcpu(s.maxVcpu), memory: gb(s.maxMemoryGb) },
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: s.idleMinutes },
      ...(s.preInitializedExecutors > 0
        ? {
            initialCapacity: [
              { initialCapacityType: 'Driver', initialCapacityConfig: { workerCount: 1, workerConfiguration: worker } },
              { initialCapacityType: 'Executor', initialCapacityConfig: { workerCount: s.preInitializedExecutors, workerConfiguration: worker } },
            ],
          }
        : {}),
      networkConfiguration: { subnetIds: [network.subnet.id], securityGroupIds: [sg] },
      ...(s.imageTag ? { imageConfiguration: { imageUri: `${this.repository.repositoryUrl}:${s.imageTag}` } } : {}),
      dependsOn: [...this.ready, repositoryPolicy, network.subnetRoutes, network.s3Endpoint],
    });
  }

  /** The job-run role's only policy: the project's prefixes and the project key, nothing more. */
  private grantJobAccess(role: IamRole, storage: Storage, kmsKeyArn: string): IamRolePolicy {
    const data = storage.data.arn;
    const artifacts = storage.artifacts.arn;
    const logs = storage.logs.arn;
    const doc = new DataAwsIamPolicyDocument(this, 'job-access', {
      statement: [
        { sid: 'LocateProjectBuckets', actions: ['s3:GetBucketLocation'], resources: [data, artifacts, logs] },
        {
          sid: 'ListDataPrefixes',
          actions: ['s3:ListBucket'],
          resources: [data],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: listPrefixes([PREFIXES.images, PREFIXES.results]) }],
        },
        {
          sid: 'ListArtifactsPrefixes',
          actions: ['s3:ListBucket'],
          resources: [artifacts],
          condition: [{ test: 'StringLike', variable: 's3:prefix', values: listPrefixes([PREFIXES.code, PREFIXES.models]) }],
        },
        {
          sid: 'ReadInputsCodeAndModels',
          actions: ['s3:GetObject'],
          resources: [
            ...directoryObjects(data, PREFIXES.images),
            ...directoryObjects(artifacts, PREFIXES.code),
            ...directoryObjects(artifacts, PREFIXES.models),
          ],
        },
        { sid: 'WriteResults', actions: WRITE_OBJECT, resources: directoryObjects(data, PREFIXES.results, { bareKey: false }) },
        { sid: 'ProbeResults', actions: ['s3:GetObject'], resources: [`${data}/${PREFIXES.results.replace(/\/$/, '')}`] },
        // EMR Serverless uploads the job run's logs with this role (monitoring settings of each run).
        { sid: 'WriteJobRunLogs', actions: ['s3:PutObject'], resources: [`${logs}/${SERVERLESS_LOG_PREFIX}*`] },
        // SSE-KMS objects of the data and artifacts buckets.
        { sid: 'UseProjectKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [kmsKeyArn] },
      ],
    });
    return new IamRolePolicy(this, 'job-access-policy', { name: 'project-buckets', role: role.id, policy: doc.json });
  }
}
