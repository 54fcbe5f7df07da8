// iam/operator-policy.json, enforced: moto's IAM authorization on, and the runner signing as an IAM
// user whose only permissions are the operator policy (ACCOUNT and REGION filled in). `fruits run emr`
// in every compute mode, `status`, `ui` and `cancel` must work; writes outside the project's buckets
// and IAM changes must be refused. What moto cannot evaluate is widened in the user's copy only:
// conditions are dropped (MOTO_GAPS iam-conditions: an Allow with a Condition acts as a Deny; here
// the tag conditions of OwnClusterOnly and ManageProjectKey), and statements on non-S3 ARNs get
// Resource "*" (MOTO_GAPS iam-resource-non-s3: moto authorizes every non-S3 request against "*").
// So this proves the actions and the S3 scoping; iam:PassRole, which moto never checks, and the
// ARN scoping of the rest are pinned by the static test test/unit/iam/operator-policy.test.ts.
import { CreateApplicationCommand, EMRServerlessClient, GetJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { DescribeClusterCommand, DescribeStepCommand, EMRClient, ListClustersCommand, ListStepsCommand, RunJobFlowCommand } from '@aws-sdk/client-emr';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../runner/cli.js';
import { captureOutput, fakeClock, mktemp, ROOT, startMoto, type Moto } from '../../helpers/runner.js';
import { TRANSIENT } from '../../helpers/transient-outputs.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const bucket = (purpose: string) => `fruits-${purpose}-${ACCOUNT}-${REGION}`;
const DATA = bucket('data');
const ARTIFACTS = bucket('artifacts');
const LOGS = bucket('logs');
const FOREIGN = 'someone-elses-bucket';

const dir = mktemp('fruits-operator-');
const stepStates = join(dir, 'step-states.json');
const jobRunScript = join(dir, 'job-run-script.json');
const saved = { ...process.env };
const admin = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: Moto;
let operator: { accessKeyId: string; secretAccessKey: string };
let appId: string;
let sharedClusterId: string;

/** The operator policy as an operator would install it, minus what moto cannot evaluate. */
function operatorPolicyForMoto(): string {
  const text = readFileSync(join(ROOT, 'iam/operator-policy.json'), 'utf8').replaceAll('ACCOUNT', ACCOUNT).replaceAll('REGION', REGION);
  const doc = JSON.parse(text) as { Statement: { Resource: string | string[]; Condition?: unknown }[] };
  for (const st of doc.Statement) {
    delete st.Condition; // MOTO_GAPS iam-conditions
    const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
    if (!resources.some((r) => r.startsWith('arn:aws:s3:::'))) st.Resource = '*'; // MOTO_GAPS iam-resource-non-s3
  }
  return JSON.stringify(doc);
}

const common = (credentials: { accessKeyId: string; secretAccessKey: string }) => ({ region: REGION, endpoint: moto.endpoint, credentials });
const outputs = (name: string, extra: Record<string, unknown>) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({
    'fruits-emr': {
      region: REGION, input_uri: `s3://${DATA}/images/`, results_uri: `s3://${DATA}/results/`, code_uri: `s3://${ARTIFACTS}/code/`,
      log_uri: `s3://${LOGS}/emr-logs/`, weights_uri: `s3://${ARTIFACTS}/models/`, ...extra,
    },
  }));
  return file;
};
let transientOutputs: string;
let serverlessOutputs: string;

beforeAll(async () => {
  writeFileSync(stepStates, '{}');
  writeFileSync(jobRunScript, '{}');
  moto = await startMoto({ wrapper: true, env: { FRUITS_MOTO_STEP_STATES: stepStates, FRUITS_MOTO_JOB_RUN_SCRIPT: jobRunScript } });
  // What the deploy made (as moto's admin, before authorization is on).
  const s3 = new S3Client({ ...common(admin), forcePathStyle: true });
  for (const Bucket of [DATA, ARTIFACTS, LOGS, FOREIGN]) await s3.send(new CreateBucketCommand({ Bucket }));
  const serverless = new EMRServerlessClient(common(admin));
  appId = (await serverless.send(new CreateApplicationCommand({
    name: 'fruits-serverless', releaseLabel: 'emr-7.12.0', type: 'SPARK', architecture: 'X86_64',
    imageConfiguration: { imageUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/fruits-job:fruits-0123456789abcdef` },
  }))).applicationId!;
  const emr = new EMRClient(common(admin));
  sharedClusterId = (await emr.send(new RunJobFlowCommand({
    Name: 'fruits-emr', ReleaseLabel: 'emr-7.12.0', ServiceRole: 'fruits-emr-service', JobFlowRole: 'fruits-emr-node',
    Instances: { MasterInstanceType: 'm5.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true }, Tags: [{ Key: 'Project', Value: 'fruits' }],
  }))).JobFlowId!;
  const iam = new IAMClient(common(admin));
  await iam.send(new CreateUserCommand({ UserName: 'fruits-operator' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'fruits-operator', PolicyName: 'operator', PolicyDocument: operatorPolicyForMoto() }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'fruits-operator' }))).AccessKey!;
  operator = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  for (const c of [s3, serverless, emr, iam]) c.destroy();
  transientOutputs = outputs('transient', TRANSIENT);
  serverlessOutputs = outputs('serverless', {
    compute: 'serverless', serverless_application_id: appId, serverless_job_role_arn: `arn:aws:iam::${ACCOUNT}:role/fruits-serverless-job`,
    serverless_log_uri: `s3://${LOGS}/emr-logs/serverless/`,
  });
  writeFileSync(join(dir, 'none.json'), '{}');
  // From here on the runner signs as the operator, and moto enforces the operator's policy only.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: operator.accessKeyId, AWS_SECRET_ACCESS_KEY: operator.secretAccessKey, AWS_REGION: REGION });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  await moto.setAuth(true);
}, 120_000);

afterAll(async () => {
  await moto?.setAuth(false);
  await moto?.stop();
  process.env = saved;
});

const cli = async (outputsFile: string, args: string[]) => {
  const out = captureOutput(true);
  const env = { FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_AWS_ENDPOINT: moto.endpoint, FRUITS_CONFIG: join(dir, 'none.json') };
  const code = await main([...args, '--json'], { out, env, clock: fakeClock() });
  return { code, out, data: out.results[0]?.data as Record<string, unknown> | undefined, text: out.all() };
};
/** Exit 0, or the whole output in the failure (an AccessDenied names the action the policy lacks). */
const succeeded = (r: { code: number; text: string }) => {
  if (r.code !== 0) throw new Error(`exit ${r.code}:\n${r.text}`);
};
const asOperator = () => ({
  s3: new S3Client({ ...common(operator), forcePathStyle: true }),
  emr: new EMRClient(common(operator)),
  serverless: new EMRServerlessClient(common(operator)),
  iam: new IAMClient(common(operator)),
});
const putSummary = (runId: string) => asOperator().s3.send(new PutObjectCommand({
  Bucket: DATA, Key: `results/${runId}/summary.json`,
  Body: JSON.stringify({ status: 'succeeded', run_id: runId, counts: { total_files: 1, featurized: 1, failed: 0 }, pca: { k: 1 } }),
}));

test('compute "transient": run (RunJobFlow, follow, terminate), status and cancel under the operator policy only', async () => {
  writeFileSync(stepStates, JSON.stringify({ 'op-transient': 'COMPLETED', 'op-transient-cancel': 'RUNNING' }));
  await putSummary('op-transient');
  const run = await cli(transientOutputs, ['run', 'emr', '--run-id', 'op-transient']);
  succeeded(run);
  const { emr } = asOperator();
  const ours = ((await emr.send(new ListClustersCommand({}))).Clusters ?? []).filter((c) => c.Name === 'fruits-emr-op-transient');
  expect(ours.map((c) => c.Status?.State)).toEqual(['TERMINATED']);
  expect((await cli(transientOutputs, ['status'])).code).toBe(0);
  expect((await cli(transientOutputs, ['run', 'emr', '--run-id', 'op-transient-cancel', '--no-wait'])).code).toBe(0);
  const cancel = await cli(transientOutputs, ['cancel', 'op-transient-cancel']);
  succeeded(cancel);
  expect(cancel.data).toMatchObject({ cancelled: true });
}, 120_000);

test('compute "cluster" (--cluster-id): AddJobFlowSteps and CancelSteps on the project\'s cluster under the operator policy only', async () => {
  writeFileSync(stepStates, JSON.stringify({ 'op-cluster': 'RUNNING' }));
  const run = await cli(transientOutputs, ['run', 'emr', '--run-id', 'op-cluster', '--cluster-id', sharedClusterId, '--no-wait']);
  succeeded(run);
  const { emr } = asOperator();
  const stepId = ((await emr.send(new ListStepsCommand({ ClusterId: sharedClusterId }))).Steps ?? [])[0]!.Id!;
  const cancel = await cli(transientOutputs, ['cancel', stepId, '--cluster-id', sharedClusterId]);
  succeeded(cancel);
  expect((await emr.send(new DescribeStepCommand({ ClusterId: sharedClusterId, StepId: stepId }))).Step!.Status!.State).toBe('CANCELLED');
  expect((await emr.send(new DescribeClusterCommand({ ClusterId: sharedClusterId }))).Cluster!.Status!.State).not.toMatch(/TERMINAT/);
}, 120_000);

test('compute "serverless": run (StartJobRun, follow, summary), ui and cancel under the operator policy only', async () => {
  writeFileSync(jobRunScript, JSON.stringify({ 'op-serverless': [{ state: 'RUNNING' }, { state: 'SUCCESS' }], 'op-serverless-cancel': [{ state: 'RUNNING' }] }));
  await putSummary('op-serverless');
  const run = await cli(serverlessOutputs, ['run', 'emr', '--run-id', 'op-serverless']);
  succeeded(run);
  expect((await cli(serverlessOutputs, ['ui', String(run.data!.jobRunId)])).code).toBe(0);
  const started = await cli(serverlessOutputs, ['run', 'emr', '--run-id', 'op-serverless-cancel', '--no-wait']);
  const jobRunId = String(started.data!.jobRunId);
  const cancel = await cli(serverlessOutputs, ['cancel', jobRunId]);
  succeeded(cancel);
  expect((await asOperator().serverless.send(new GetJobRunCommand({ applicationId: appId, jobRunId }))).jobRun!.state).toBe('CANCELLED');
}, 120_000);

test('the operator policy refuses what the project does not need: other buckets, IAM users', async () => {
  const { s3, iam } = asOperator();
  await expect(s3.send(new PutObjectCommand({ Bucket: FOREIGN, Key: 'x.txt', Body: 'x' }))).rejects.toMatchObject({ name: expect.stringMatching(/AccessDenied|Forbidden/) });
  await expect(iam.send(new CreateUserCommand({ UserName: 'someone' }))).rejects.toMatchObject({ name: 'AccessDenied' });
  await expect(s3.send(new PutObjectCommand({ Bucket: DATA, Key: 'results/allowed.txt', Body: 'x' }))).resolves.toBeDefined();
}, 60_000);
