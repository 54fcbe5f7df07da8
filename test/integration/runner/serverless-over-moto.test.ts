// compute "serverless": `fruits run emr`, status, logs and ui against a real moto 5.2.5 server on
// 127.0.0.1 (test/rehearsal/moto_server.py: applications start CREATED and keep their image,
// GetDashboardForJobRun, client-token idempotency, job-run states from a script this test writes).
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateApplicationCommand, EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../runner/cli.js';
import { captureOutput, fakeClock, mktemp, startMoto, type Moto } from '../../helpers/runner.js';

const dir = mktemp('fruits-serverless-');
const script = join(dir, 'job-run-script.json');
const outputsFile = join(dir, 'cdktf-outputs.json');
const ROLE = 'arn:aws:iam::123456789012:role/fruits-serverless-job';
let moto: Moto;
let endpoint: string;
let s3: S3Client;
let serverless: EMRServerlessClient;
let appId: string;
const saved = { ...process.env };

const setScript = (runs: Record<string, { state: string; stateDetails?: string }[]>) => writeFileSync(script, JSON.stringify(runs));

beforeAll(async () => {
  setScript({});
  moto = await startMoto({ wrapper: true, env: { FRUITS_MOTO_JOB_RUN_SCRIPT: script } });
  endpoint = moto.endpoint;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_PROFILE;
  const common = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  serverless = new EMRServerlessClient(common);
  for (const Bucket of ['fruits-data', 'fruits-art', 'fruits-logs']) await s3.send(new CreateBucketCommand({ Bucket }));
  appId = (await serverless.send(new CreateApplicationCommand({
    name: 'fruits-serverless', releaseLabel: 'emr-7.12.0', type: 'SPARK', architecture: 'X86_64',
    imageConfiguration: { imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fruits-job:fruits-0123456789abcdef' },
  }))).applicationId!;
  writeOutputs(appId);
}, 120_000);

function writeOutputs(applicationId: string) {
  writeFileSync(outputsFile, JSON.stringify({
    'fruits-emr': {
      region: 'us-east-1', input_uri: 's3://fruits-data/images/', results_uri: 's3://fruits-data/results/', code_uri: 's3://fruits-art/code/',
      weights_uri: 's3://fruits-art/models/', serverless_application_id: applicationId, serverless_job_role_arn: ROLE,
      serverless_log_uri: 's3://fruits-logs/emr-logs/serverless/',
    },
  }));
}

afterAll(async () => {
  s3?.destroy();
  serverless?.destroy();
  await moto?.stop();
  process.env = saved;
});

const env = () => ({ FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_AWS_ENDPOINT: endpoint, FRUITS_COMPUTE: 'serverless' });
const cli = async (args: string[], signal?: AbortSignal) => {
  const out = captureOutput(true);
  const code = await main([...args, '--json'], { out, env: env(), clock: fakeClock(), ...(signal ? { signal } : {}) });
  return { code, out, data: out.results[0]?.data as Record<string, unknown> | undefined };
};
const put = (Bucket: string, Key: string, Body: string | Buffer) => s3.send(new PutObjectCommand({ Bucket, Key, Body }));
const summary = (runId: string, status = 'succeeded') => JSON.stringify({ status, run_id: runId, counts: { total_files: 4, featurized: 4, failed: 0 }, pca: { k: 2, cumulative: [0.5, 0.8] } });
const progress = (runId: string) => JSON.stringify({ version: 1, run_id: runId, status: 'running', stage: 'featurize', images_total: 4, images_done: 2, images_failed: 0, images_per_second: 0.7, eta_s: 3.0, elapsed_s: 3, updated_at: '2026-12-02T17:00:00Z', seq: 3 });

test('run: StartJobRun as built (read back), Spark UI link, progress from S3, the summary decides', async () => {
  const runId = 'run-serverless-ok';
  setScript({ [runId]: [{ state: 'SCHEDULED' }, { state: 'RUNNING' }, { state: 'RUNNING' }, { state: 'SUCCESS' }] });
  await put('fruits-data', `results/${runId}/progress.json`, progress(runId));
  await put('fruits-data', `results/${runId}/summary.json`, summary(runId));
  const r = await cli(['run', 'emr', '--run-id', runId, '--k', '2']);
  expect(r.code).toBe(0);
  expect(r.data).toMatchObject({ compute: 'serverless', applicationId: appId, state: 'SUCCESS', exitCode: 0 });
  expect(r.data!.sparkUi).toMatch(/^https:\/\/p-.*emrappui-prod/);
  const run = (await serverless.send(new GetJobRunCommand({ applicationId: appId, jobRunId: r.data!.jobRunId as string }))).jobRun!;
  expect(run.executionRole).toBe(ROLE);
  expect(run.name).toBe(`fruits ${runId}`);
  const driver = run.jobDriver!.sparkSubmit!;
  expect(driver.entryPoint).toBe(`s3://fruits-art/code/runs/${runId}/run_job.py`);
  expect(driver.entryPointArguments).toEqual(expect.arrayContaining(['--input', 's3://fruits-data/images/', '--output', 's3://fruits-data/results/', '--run-id', runId, '--weights', 's3://fruits-art/models/mobilenet_v2_featurizer.onnx']));
  expect(driver.sparkSubmitParameters).toContain(`--conf spark.submit.pyFiles=s3://fruits-art/code/runs/${runId}/fruits_job.zip`);
  expect(driver.sparkSubmitParameters).toContain('--conf spark.emr-serverless.driverEnv.PYSPARK_PYTHON=/opt/fruits-venv/bin/python');
  expect(run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri).toBe('s3://fruits-logs/emr-logs/serverless/');
  expect(r.out.events.some((e) => (e as { event?: string }).event === 'spark_ui')).toBe(true);
  expect(r.out.events.some((e) => JSON.stringify(e).includes('featurize'))).toBe(true);
}, 120_000);

test('a retried run with the same run id gets the same job run (client token), never a second one', async () => {
  const runId = 'run-serverless-retry';
  setScript({ [runId]: [{ state: 'SUCCESS' }] });
  await put('fruits-data', `results/${runId}/summary.json`, summary(runId));
  const first = await cli(['run', 'emr', '--run-id', runId]);
  const before = (await serverless.send(new ListJobRunsCommand({ applicationId: appId }))).jobRuns!.length;
  const second = await cli(['run', 'emr', '--run-id', runId]);
  expect(first.code).toBe(0);
  expect(second.code).toBe(0);
  expect(second.data!.jobRunId).toBe(first.data!.jobRunId);
  expect((await serverless.send(new ListJobRunsCommand({ applicationId: appId }))).jobRuns!.length).toBe(before);
}, 120_000);

test('a failed run: the state details and the tail of the driver stderr from the logs bucket, exit 1', async () => {
  const runId = 'run-serverless-fail';
  setScript({ [runId]: [{ state: 'RUNNING' }, { state: 'FAILED', stateDetails: 'Job failed, please check complete logs in configured logging destination. ExitCode: 1.' }] });
  const started = await cli(['run', 'emr', '--run-id', runId, '--no-wait']);
  const jobRunId = started.data!.jobRunId as string;
  const stderr = Array.from({ length: 150 }, (_, i) => `line ${i}`).concat(['fruits-job: error: --input s3://fruits-data/images/ holds no photos']).join('\n');
  await put('fruits-logs', `emr-logs/serverless/applications/${appId}/jobs/${jobRunId}/SPARK_DRIVER/stderr.gz`, gzipSync(stderr));
  const r = await cli(['status', jobRunId, '--follow']);
  expect(r.code).toBe(1);
  const text = r.out.infos.join('\n');
  expect(text).toContain('fruits-job: error: --input s3://fruits-data/images/ holds no photos');
  expect(text).toContain('line 149');
  expect(text).not.toContain('line 40\n');
  expect(r.data).toMatchObject({ state: 'FAILED', exitCode: 1 });
  const logs = await cli(['logs', jobRunId]);
  expect(logs.code).toBe(0);
  expect(String((logs.data as { stderr?: string }).stderr)).toContain('holds no photos');
  const ui = await cli(['ui', jobRunId]);
  expect(ui.code).toBe(0);
  expect(String(ui.data!.url)).toContain(jobRunId);
}, 120_000);

test('Ctrl-C cancels the job run (CancelJobRun) and exits 130', async () => {
  const runId = 'run-serverless-cancel';
  setScript({ [runId]: [{ state: 'RUNNING' }] });
  const ac = new AbortController();
  const out = captureOutput(true);
  const clock = fakeClock();
  const sleep = clock.sleep;
  clock.sleep = async (ms: number) => {
    ac.abort(); // Ctrl-C during the first wait between polls
    await sleep(ms);
  };
  const code = await main(['run', 'emr', '--run-id', runId, '--json'], { out, env: env(), clock, signal: ac.signal });
  expect(code).toBe(130);
  const runs = (await serverless.send(new ListJobRunsCommand({ applicationId: appId }))).jobRuns!.filter((j) => j.name === `fruits ${runId}`);
  expect(runs).toHaveLength(1);
  expect(runs[0]!.state).toBe('CANCELLED');
  expect(out.infos.join('\n')).toContain('CancelJobRun');
}, 120_000);

test('fruits cancel <job-run-id>: CancelJobRun on a running job run; an ended one has nothing to cancel', async () => {
  const runId = 'run-serverless-cancel-cmd';
  setScript({ [runId]: [{ state: 'RUNNING' }] });
  const started = await cli(['run', 'emr', '--run-id', runId, '--no-wait']);
  const jobRunId = started.data!.jobRunId as string;
  const r = await cli(['cancel', jobRunId]);
  expect(r.code).toBe(0);
  expect(r.data).toMatchObject({ jobRunId, state: 'RUNNING', cancelled: true });
  const run = (await serverless.send(new GetJobRunCommand({ applicationId: appId, jobRunId }))).jobRun!;
  expect(run.state).toBe('CANCELLED');
  const again = await cli(['cancel', jobRunId]);
  expect(again.code).toBe(0);
  expect(again.data).toMatchObject({ jobRunId, state: 'CANCELLED', cancelled: false });
  const bad = await cli(['cancel', 's-NOTAJOBRUN']);
  expect(bad.code).toBe(2);
  // A step id in any case, as compute "cluster" reads it (not looked up as a run id).
  const lower = await cli(['cancel', 's-notajobrun']);
  expect(lower.code).toBe(2);
  expect(lower.out.errors.join('\n')).toContain('"s-notajobrun" is an EMR step id, and compute is "serverless"');
}, 120_000);

test('fruits cancel <run-id> finds the job run of that run; --dry-run changes nothing', async () => {
  const runId = 'run-serverless-cancel-by-run';
  setScript({ [runId]: [{ state: 'RUNNING' }] });
  const jobRunId = (await cli(['run', 'emr', '--run-id', runId, '--no-wait'])).data!.jobRunId as string;
  const dry = await cli(['cancel', runId, '--dry-run']);
  expect(dry.data).toMatchObject({ jobRunId, cancelled: false, dryRun: true });
  expect((await serverless.send(new GetJobRunCommand({ applicationId: appId, jobRunId }))).jobRun!.state).toBe('RUNNING');
  const r = await cli(['cancel', runId]);
  expect(r.data).toMatchObject({ jobRunId, cancelled: true });
  expect((await serverless.send(new GetJobRunCommand({ applicationId: appId, jobRunId }))).jobRun!.state).toBe('CANCELLED');
  expect((await cli(['cancel', 'run-never-started'])).out.results[0]!.human).toContain('no job run of run run-never-started');
}, 120_000);

test('an application without the job image is refused in one line (exit 3)', async () => {
  const bare = (await serverless.send(new CreateApplicationCommand({ name: 'bare', releaseLabel: 'emr-7.12.0', type: 'SPARK' }))).applicationId!;
  writeOutputs(bare);
  try {
    const r = await cli(['run', 'emr', '--run-id', 'run-no-image']);
    expect(r.code).toBe(3);
    expect(r.out.errors[0]).toMatch(/runs EMR's default image \(Python 3.9\), which cannot run the job; push the job image \(npm run image -- push\)/);
  } finally {
    writeOutputs(appId);
  }
}, 120_000);

test('fruits doctor --target emr checks the application and its image (GetApplication)', async () => {
  const r = await cli(['doctor', '--target', 'emr']);
  const app = (r.data!.checks as { name: string; status: string; detail: string }[]).find((c) => c.name === 'serverless application')!;
  expect(app).toMatchObject({ status: 'ok', detail: expect.stringContaining(`${appId} CREATED (`) });
  const bare = (await serverless.send(new CreateApplicationCommand({ name: 'no-image', releaseLabel: 'emr-7.12.0', type: 'SPARK' }))).applicationId!;
  writeOutputs(bare);
  try {
    const miss = await cli(['doctor', '--target', 'emr']);
    expect(miss.code).toBe(3);
    expect((miss.data!.checks as { name: string; status: string; detail: string; fix?: string }[]).find((c) => c.name === 'serverless application'))
      .toMatchObject({ status: 'miss', detail: expect.stringContaining("runs EMR's default image (Python 3.9)"), fix: expect.stringContaining('npm run image -- push') });
  } finally {
    writeOutputs(appId);
  }
}, 60_000);

test('--dry-run prints the StartJobRun request and starts nothing', async () => {
  const before = (await serverless.send(new ListJobRunsCommand({ applicationId: appId }))).jobRuns!.length;
  const r = await cli(['run', 'emr', '--run-id', 'run-dry', '--dry-run']);
  expect(r.code).toBe(0);
  expect(r.data).toMatchObject({ compute: 'serverless', startJobRun: { clientToken: 'run-dry', applicationId: appId, executionRoleArn: ROLE } });
  expect((await serverless.send(new ListJobRunsCommand({ applicationId: appId }))).jobRuns!.length).toBe(before);
}, 60_000);
