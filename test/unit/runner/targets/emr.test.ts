// runner/targets/emr.ts: `fruits run emr` against aws-sdk-client-mock (upload, step, wait, summary; fake clock).
import { mockClient } from 'aws-sdk-client-mock';
import {
AddJobFlowStepsCommand,CancelStepsCommand,DescribeClusterCommand,DescribeStepCommand,EMRClient,type StepState,
} from '@aws-sdk/client-emr';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { captureOutput, fakeClock, mktemp } from '../../../helpers/runner.js';

const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });
const step = (State: StepState, extra: Record<string, unknown> = {}) => ({ Step: { Id: 's-1', Name: 'fruits r', Status: { State, ...extra } } });
const body = (bytes: Buffer) => ({ Body: { transformToByteArray: async () => new Uint8Array(bytes), transformToString: async () => bytes.toString('utf8') } }) as never;

beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
});

describe('fruits run emr (mocked AWS)', () => {
  const dir = mktemp('fruits-emr-');
  const outputsFile = join(dir, 'cdktf-outputs.json');
  writeFileSync(outputsFile, JSON.stringify({
    'fruits-emr': { region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://data/images/', results_uri: 's3://data/results/', code_uri: 's3://art/code/', log_uri: 's3://logs/emr-logs/' },
  }));
  const env = { FRUITS_OUTPUTS_FILE: outputsFile };
  const cluster = (State: string) => ({ Cluster: { Id: 'j-ABC', Name: 'fruits', LogUri: 's3n://logs/emr-logs/', Status: { State, StateChangeReason: { Message: 'idle timeout' } } } }) as never;
  const run = (args: string[], extra: { signal?: AbortSignal } = {}) => {
    const out = captureOutput(args.includes('--json'));
    const clock = fakeClock();
    return main(['run', 'emr', '--run-id', 'r1', ...args], { out, env, clock, signal: extra.signal }).then((code) => ({ code, out, clock }));
  };

  test('--dry-run prints the step and calls nothing', async () => {
    const { code, out } = await run(['--dry-run', '--json', '--k', '10']);
    expect(code).toBe(0);
    const plan = out.results[0]!.data as { step: { HadoopJarStep: { Args: string[] }; ActionOnFailure: string } };
    expect(plan.step.ActionOnFailure).toBe('CONTINUE');
    expect(plan.step.HadoopJarStep.Args).toEqual(expect.arrayContaining(['--input', 's3://data/images/', '--output', 's3://data/results/', '--k', '10']));
    expect(emrMock.calls()).toHaveLength(0);
  });

  test('terminated cluster: clear error to deploy, exit 3, nothing uploaded', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('TERMINATED'));
    const { code, out } = await run([]);
    expect(code).toBe(3);
    expect(out.errors).toEqual([expect.stringMatching(/^error: cluster j-ABC is TERMINATED \(idle timeout\); run `npm run deploy/)]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('success: uploads code, adds the step, reads summary.json', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolvesOnce(step('PENDING')).resolves(step('COMPLETED'));
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r1/summary.json' })
      .resolves(body(Buffer.from(JSON.stringify({ status: 'succeeded', run_id: 'r1', counts: { total_files: 4, featurized: 4, failed: 0 }, pca: { k: 2 } }))));
    const { code, out } = await run(['--json']);
    expect(code).toBe(0);
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => `${c.args[0].input.Bucket}/${c.args[0].input.Key}`)).toEqual([
      'art/code/runs/r1/run_job.py', 'art/code/runs/r1/fruits_job.zip',
    ]);
    const stepInput = emrMock.commandCalls(AddJobFlowStepsCommand)[0]!.args[0].input;
    expect(stepInput.JobFlowId).toBe('j-ABC');
    expect(stepInput.Steps![0]!.HadoopJarStep!.Args!.slice(0, 3)).toEqual(['spark-submit', '--deploy-mode', 'client']);
    expect(out.results[0]!.data).toMatchObject({ state: 'COMPLETED', stepId: 's-1', summary: { status: 'succeeded' } });
  });

  test.each([
    ['missing', () => s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'))],
    ['unreadable', () => s3Mock.on(GetObjectCommand).resolves(body(Buffer.from('{"status": "succ')))],
  ])('COMPLETED step with a %s summary.json: exit 1, one line naming the logs command', async (_, summary) => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolves(step('COMPLETED'));
    s3Mock.on(PutObjectCommand).resolves({});
    summary();
    const { code, out } = await run([]);
    expect(code).toBe(1);
    expect(out.errors).toEqual([
      'error: step s-1 completed but no summary.json at s3://data/results/r1/summary.json: the job did not finish; see fruits logs s-1 --cluster-id j-ABC',
    ]);
    expect(out.results).toHaveLength(0);
  });

  test('COMPLETED step whose summary.json says failed: exit 1 with the job error', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolves(step('COMPLETED'));
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves(body(Buffer.from(JSON.stringify({ status: 'failed', run_id: 'r1', error: 'no images' }))));
    const { code, out } = await run([]);
    expect(code).toBe(1);
    expect(out.results[0]!.human).toMatch(/run r1 failed: .*error: no images/);
  });

  test('failure: prints FailureDetails and the step stderr once EMR has pushed it', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('RUNNING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolves(step('FAILED', { FailureDetails: { Reason: 'Unknown Error.', Message: 'Exception in thread main', LogFile: 's3://logs/emr-logs/j-ABC/steps/s-1/stderr.gz' } }));
    s3Mock.on(PutObjectCommand).resolves({});
    const stderrKey = { Bucket: 'logs', Key: 'emr-logs/j-ABC/steps/s-1/stderr.gz' };
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    s3Mock.on(GetObjectCommand, stderrKey)
      .rejectsOnce(awsError('NoSuchKey'))
      .rejectsOnce(awsError('NoSuchKey'))
      .resolves(body(gzipSync('line 1\nTraceback (most recent call last):\nValueError: no images under s3://data/images/\n')));
    const { code, out, clock } = await run([]);
    expect(code).toBe(1);
    const text = out.all();
    expect(text).toMatch(/step s-1 FAILED: Unknown Error\. \| Exception in thread main/);
    expect(text).toMatch(/----- step stderr[\s\S]*ValueError: no images under s3:\/\/data\/images\//);
    expect(clock.sleeps.filter((ms) => ms === 20_000)).toHaveLength(2); // two log retries, no real waiting
  });

  test('permission error on AddJobFlowSteps: exit 4 at once', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).rejects(awsError('AccessDeniedException', 'User: arn:aws:iam::1:user/x is not authorized to perform: elasticmapreduce:AddJobFlowSteps'));
    s3Mock.on(PutObjectCommand).resolves({});
    const { code, out } = await run([]);
    expect(code).toBe(4);
    expect(out.errors[0]).toMatch(/^error: AWS denied AddJobFlowSteps on j-ABC \(AccessDeniedException/);
    expect(emrMock.commandCalls(DescribeStepCommand)).toHaveLength(0);
  });

  test('S3 AccessDenied on upload: exit 4', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied', 'Access Denied'));
    const { code, out } = await run([]);
    expect(code).toBe(4);
    expect(out.errors[0]).toMatch(/AWS denied uploading s3:\/\/art\/code\/runs\/r1\/run_job.py/);
  });

  test('Ctrl-C cancels the step and exits 130', async () => {
    const ac = new AbortController();
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).callsFakeOnce(async () => (ac.abort(), step('RUNNING'))).resolves(step('CANCELLED'));
    emrMock.on(CancelStepsCommand).resolves({ CancelStepsInfoList: [{ StepId: 's-1', Status: 'SUBMITTED' }] });
    s3Mock.on(PutObjectCommand).resolves({});
    const { code, out } = await run([], { signal: ac.signal });
    expect(code).toBe(130);
    expect(emrMock.commandCalls(CancelStepsCommand)[0]!.args[0].input.StepCancellationOption).toBe('SEND_INTERRUPT');
    expect(out.errors[0]).toMatch(/interrupted: step s-1 cancelled/);
  });

  test('INTERRUPTED step: exit 1 with an explanation', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolves(step('INTERRUPTED'));
    s3Mock.on(PutObjectCommand).resolves({});
    const { code, out } = await run([]);
    expect(code).toBe(1);
    expect(out.results[0]!.human).toMatch(/INTERRUPTED \(the cluster was likely terminated/);
  });

  test('no cluster id anywhere: usage error naming the fix', async () => {
    const out = captureOutput();
    const code = await main(['run', 'emr'], { out, env: { FRUITS_OUTPUTS_FILE: join(dir, 'missing.json') } });
    expect(code).toBe(2);
    expect(out.errors[0]).toMatch(/no EMR cluster id: .*missing.json not found; run `npm run deploy` \(cdktf deploy fruits-emr --outputs-file cdktf-outputs.json\), or pass --cluster-id/);
  });
});
