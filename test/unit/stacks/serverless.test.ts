// compute "serverless": the fruits-emr stack with an EMR Serverless application instead of a cluster.
import { Testing } from 'cdktf';
import type { } from 'cdktf/lib/testing/adapters/jest.js';
import { type Json, policyStatements, resource, resourcesOf, synthEmr } from '../../helpers/stacks.js';

Testing.setupJest();

const synth = synthEmr({ compute: 'serverless' });
const app = resource(synth, 'aws_emrserverless_application', 'application');
const idOf = (type: string, part: string) => resourcesOf(synth, type).find(([id]) => id.includes(part))![0];
const bucketId = (name: string) => idOf('aws_s3_bucket', `storage_${name}_bucket`);
const arn = (name: string) => '${aws_s3_bucket.' + bucketId(name) + '.arn}';

describe('the application', () => {
  test('Spark of the configured EMR 7 release on x86_64, capped, auto-start, auto-stop after 5 idle minutes', () => {
    expect(app).toMatchObject({
      name: 'fruits-serverless',
      release_label: 'emr-7.12.0',
      type: 'SPARK',
      architecture: 'X86_64',
      maximum_capacity: { cpu: '16 vCPU', memory: '64 GB' },
      auto_start_configuration: { enabled: true },
      auto_stop_configuration: { enabled: true, idle_timeout_minutes: 5 },
    });
    expect(app.initial_capacity).toBeUndefined();
  });

  test('in the project subnet with its own security group', () => {
    expect(app.network_configuration).toEqual({
      subnet_ids: ['${aws_subnet.' + idOf('aws_subnet', 'public') + '.id}'],
      security_group_ids: ['${aws_security_group.' + idOf('aws_security_group', 'serverless_sg') + '.id}'],
    });
  });

  test('no cluster, no cluster outputs; the runner gets the application, role, log URI and repository', () => {
    expect(resourcesOf(synth, 'aws_emr_cluster')).toEqual([]);
    expect(Object.keys(synth.output)).toEqual(expect.arrayContaining(['serverless_application_id', 'serverless_job_role_arn', 'serverless_log_uri', 'ecr_repository_url', 'results_uri', 'code_uri', 'weights_uri']));
    expect(Object.keys(synth.output)).not.toEqual(expect.arrayContaining(['cluster_id']));
    expect(synth.output.serverless_log_uri.value).toBe('s3://${aws_s3_bucket.' + bucketId('logs') + '.bucket}/emr-logs/serverless/');
  });

  test('the image is the stack repository\'s, at the configured tag, only once a tag is set', () => {
    expect(app.image_configuration).toBeUndefined();
    const withImage = resource(synthEmr({ compute: 'serverless', serverless: { imageTag: 'fruits-0123456789abcdef' } }), 'aws_emrserverless_application', 'application');
    expect(withImage.image_configuration).toEqual({ image_uri: '${aws_ecr_repository.' + idOf('aws_ecr_repository', 'repository') + '.repository_url}:fruits-0123456789abcdef' });
  });

  test('pre-initialized capacity: one warm driver and N warm executors of the runner\'s worker size', () => {
    const warm = resource(synthEmr({ compute: 'serverless', serverless: { preInitializedExecutors: 2, maxVcpu: 32, idleMinutes: 2 } }), 'aws_emrserverless_application', 'application');
    expect(warm.initial_capacity).toEqual([
      { initial_capacity_type: 'Driver', initial_capacity_config: { worker_count: 1, worker_configuration: { cpu: '4 vCPU', memory: '16 GB' } } },
      { initial_capacity_type: 'Executor', initial_capacity_config: { worker_count: 2, worker_configuration: { cpu: '4 vCPU', memory: '16 GB' } } },
    ]);
    expect(warm.maximum_capacity.cpu).toBe('32 vCPU');
    expect(warm.auto_stop_configuration.idle_timeout_minutes).toBe(2);
  });
});

describe('security group', () => {
  const sgRef = '${aws_security_group.' + idOf('aws_security_group', 'serverless_sg') + '.id}';
  const rulesOf = (type: string, group: string) => resourcesOf(synth, type).map(([, r]) => r).filter((r) => r.security_group_id === group);
  const shape = (r: Json, self: string) => ({
    proto: r.ip_protocol, from: r.from_port, to: r.to_port,
    target: r.cidr_ipv4 ?? (r.prefix_list_id ? 'prefix-list' : r.referenced_security_group_id === self ? 'self' : 'group'),
  });

  test('the cluster\'s egress rules: HTTPS out, S3 by its prefix list, everything within the group', () => {
    const clusterSynth = synthEmr();
    const coreSg = '${aws_security_group.' + resourcesOf(clusterSynth, 'aws_security_group').find(([id]) => id.includes('emr-core-sg'))![0] + '.id}';
    const clusterRules = resourcesOf(clusterSynth, 'aws_vpc_security_group_egress_rule').map(([, r]) => r).filter((r) => r.security_group_id === coreSg);
    const mine = rulesOf('aws_vpc_security_group_egress_rule', sgRef).map((r) => shape(r, sgRef));
    expect(mine).toEqual(expect.arrayContaining([
      { proto: 'tcp', from: 443, to: 443, target: '0.0.0.0/0' },
      { proto: 'tcp', from: 443, to: 443, target: 'prefix-list' },
      { proto: '-1', from: undefined, to: undefined, target: 'self' },
    ]));
    expect(mine).toHaveLength(3);
    // The cluster's core group has the same three kinds (its "group" rules point at master and core).
    const theirs = new Set(clusterRules.map((r) => JSON.stringify({ ...shape(r, coreSg), target: shape(r, coreSg).target === 'group' ? 'self' : shape(r, coreSg).target })));
    for (const r of mine) expect(theirs).toContain(JSON.stringify(r));
  });

  test('inbound only from its own workers', () => {
    expect(rulesOf('aws_vpc_security_group_ingress_rule', sgRef).map((r) => shape(r, sgRef))).toEqual([{ proto: '-1', from: undefined, to: undefined, target: 'self' }]);
  });
});

describe('job-run role', () => {
  const role = resource(synth, 'aws_iam_role', 'serverless-job-role');
  const statements = () => {
    const [policy] = resourcesOf(synth, 'aws_iam_role_policy').map(([, p]) => p).filter((p) => p.role.includes(idOf('aws_iam_role', 'serverless-job-role')));
    return policyStatements(synth, policy!.policy);
  };

  test('trusted by emr-serverless.amazonaws.com for this account\'s applications only', () => {
    const [trust] = policyStatements(synth, role.assume_role_policy);
    expect(trust!.principals).toEqual([{ type: 'Service', identifiers: ['emr-serverless.amazonaws.com'] }]);
    expect(trust!.condition).toEqual(expect.arrayContaining([
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: ['${data.aws_caller_identity.caller.account_id}'] },
      expect.objectContaining({ test: 'ArnLike', variable: 'aws:SourceArn' }),
    ]));
  });

  test('reads inputs, code and models; writes results and job-run logs; uses the project key; nothing more', () => {
    const st = statements();
    const actions = st.flatMap((s) => s.actions as string[]);
    expect(actions.every((a) => /^(s3:(GetBucketLocation|ListBucket|GetObject|PutObject|DeleteObject|AbortMultipartUpload|ListMultipartUploadParts)|kms:(Decrypt|GenerateDataKey))$/.test(a))).toBe(true);
    const resources = st.flatMap((s) => s.resources as string[]);
    expect(resources.some((r) => r === '*' || r.endsWith(':::*'))).toBe(false);
    const write = st.filter((s) => (s.actions as string[]).includes('s3:PutObject')).flatMap((s) => s.resources as string[]);
    expect(write.every((r) => r.startsWith(`${arn('data')}/results`) || r === `${arn('logs')}/emr-logs/serverless/*`)).toBe(true);
    const read = st.find((s) => s.sid === 'ReadInputsCodeAndModels')!.resources as string[];
    expect(read).toEqual(expect.arrayContaining([`${arn('data')}/images/*`, `${arn('artifacts')}/code/*`, `${arn('artifacts')}/models/*`]));
    expect(read.some((r) => r.includes('bootstrap') || r.includes('jupyter'))).toBe(false);
    expect(st.find((s) => s.sid === 'UseProjectKey')!.resources).toEqual(['${aws_kms_key.' + idOf('aws_kms_key', 'key') + '.arn}']);
  });

  test('the key policy lets the job-run role (and only with compute serverless) use the key', () => {
    const key = resource(synth, 'aws_kms_key', 'key');
    const st = policyStatements(synth, key.policy).find((s) => s.sid === 'ServerlessJobRunsUseKey')!;
    expect(st.principals).toEqual([{ type: 'AWS', identifiers: ['${aws_iam_role.' + idOf('aws_iam_role', 'serverless-job-role') + '.arn}'] }]);
    const clusterSynth = synthEmr();
    expect(policyStatements(clusterSynth, resource(clusterSynth, 'aws_kms_key', 'key').policy).map((s) => s.sid)).not.toContain('ServerlessJobRunsUseKey');
    expect(resourcesOf(clusterSynth, 'aws_emrserverless_application')).toEqual([]);
    expect(resourcesOf(clusterSynth, 'aws_ecr_repository')).toEqual([]);
  });
});

describe('image repository', () => {
  const repo = resource(synth, 'aws_ecr_repository', 'repository');
  test('encrypted with the project key, scanned on push, immutable tags', () => {
    expect(repo).toMatchObject({
      name: 'fruits-job',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: 'KMS', kms_key: '${aws_kms_key.' + idOf('aws_kms_key', 'key') + '.arn}' }],
    });
  });

  test('EMR Serverless may pull, for this account\'s applications only', () => {
    const policy = resource(synth, 'aws_ecr_repository_policy', 'repository-policy');
    const [st] = policyStatements(synth, policy.policy);
    expect(st!.principals).toEqual([{ type: 'Service', identifiers: ['emr-serverless.amazonaws.com'] }]);
    expect(st!.actions).toEqual(['ecr:BatchGetImage', 'ecr:DescribeImages', 'ecr:GetDownloadUrlForLayer']);
    expect(st!.condition[0].values[0]).toMatch(/^arn:\$\{data\.aws_partition\.partition\.partition\}:emr-serverless:us-east-1:\$\{data\.aws_caller_identity\.caller\.account_id\}:\/applications\/\*$/);
  });
});
