// A day of operations (issue 10): per-command help from the command table, progress views,
// the Spark UI link, and each rough edge an ops engineer hit. In-process, AWS mocked.
import { mockClient } from 'aws-sdk-client-mock';
import {
AddJobFlowStepsCommand,CreatePersistentAppUICommand,DescribeClusterCommand,DescribeStepCommand,EMRClient,
GetPersistentAppUIPresignedURLCommand
} from '@aws-sdk/client-emr';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { type RunProgress } from '../../../../runner/progress/run-progress.js';
import { captureOutput, fakeClock, mktemp } from '../../../helpers/runner.js';

const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);
beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
});

const dir = mktemp('fruits-day-');
const outputsFile = join(dir, 'cdktf-outputs.json');
writeFileSync(outputsFile, JSON.stringify({
  'fruits-emr': { region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://data/images/', results_uri: 's3://data/results/', code_uri: 's3://art/code/', log_uri: 's3://logs/emr-logs/' },
}));
const env = { FRUITS_OUTPUTS_FILE: outputsFile };
const cli = async (args: string[], extra: { signal?: AbortSignal; out?: ReturnType<typeof captureOutput> } = {}) => {
  const out = extra.out ?? captureOutput(args.includes('--json'));
  const clock = fakeClock();
  const code = await main(args, { out, env, clock, signal: extra.signal });
  return { code, out, clock, data: out.results[0]?.data as Record<string, unknown> | undefined };
};
const awsError = (name: string, message = name, status?: number) => Object.assign(new Error(message), { name, $metadata: status ? { httpStatusCode: status } : {} });
const body = (text: string) => ({ Body: { transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } }) as never;
const progress = (over: Partial<RunProgress> = {}): RunProgress => ({
  run_id: 'r1', status: 'running', stage: 'featurize', images_total: 140, images_done: 70, images_failed: 1,
  images_per_second: 7, eta_s: 10, elapsed_s: 12, updated_at: '2026-01-01T00:00:00Z', seq: 3, ...over,
});
const cluster = (State: string) => ({ Cluster: { Id: 'j-ABC', Name: 'fruits', ClusterArn: 'arn:aws:elasticmapreduce:eu-west-1:1:cluster/j-ABC', LogUri: 's3n://logs/emr-logs/', Status: { State, StateChangeReason: { Message: 'Terminated by user request' } } } }) as never;

describe('Spark UI link (persistent application UI)', () => {
  test('fruits ui: CreatePersistentAppUI on the cluster ARN, then the presigned URL once ready', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(CreatePersistentAppUICommand).resolves({ PersistentAppUIId: 'p-1' });
    emrMock.on(GetPersistentAppUIPresignedURLCommand).resolvesOnce({ PresignedURLReady: false }).resolves({ PresignedURLReady: true, PresignedURL: 'https://p-1.emrappui-prod.eu-west-1.amazonaws.com/shs/?authToken=x' });
    const r = await cli(['ui', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ clusterId: 'j-ABC', url: expect.stringMatching(/^https:\/\/p-1\.emrappui/), persistentAppUiId: 'p-1' });
    expect(emrMock.commandCalls(CreatePersistentAppUICommand)[0]!.args[0].input).toEqual({ TargetResourceArn: 'arn:aws:elasticmapreduce:eu-west-1:1:cluster/j-ABC', ProfilerType: 'SHS' });
    expect(emrMock.commandCalls(GetPersistentAppUIPresignedURLCommand)[0]!.args[0].input).toEqual({ PersistentAppUIId: 'p-1', PersistentAppUIType: 'SHS' });
    expect(r.clock.sleeps).toEqual([5_000]);
  });

  test('denied: exit 4 naming the IAM actions', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(CreatePersistentAppUICommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: elasticmapreduce:CreatePersistentAppUI'));
    const r = await cli(['ui']);
    expect(r.code).toBe(4);
    expect(r.out.errors[0]).toMatch(/elasticmapreduce:CreatePersistentAppUI, elasticmapreduce:DescribePersistentAppUI, elasticmapreduce:GetPersistentAppUIPresignedURL/);
  });

  test('run emr: prints the link once the step runs and shows the run\'s progress.json from S3', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    const step = (State: string) => ({ Step: { Id: 's-1', Name: 'fruits r1', Status: { State } } }) as never;
    emrMock.on(DescribeStepCommand).resolvesOnce(step('PENDING')).resolvesOnce(step('RUNNING')).resolvesOnce(step('RUNNING')).resolves(step('COMPLETED'));
    emrMock.on(CreatePersistentAppUICommand).resolves({ PersistentAppUIId: 'p-1' });
    emrMock.on(GetPersistentAppUIPresignedURLCommand).resolves({ PresignedURLReady: true, PresignedURL: 'https://p-1.emrappui/shs/' });
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r1/progress.json' })
      .resolvesOnce(body(JSON.stringify(progress({ seq: 1, images_done: 40 }))))
      .resolves(body(JSON.stringify(progress({ seq: 9, images_done: 140, status: 'succeeded', stage: 'done', eta_s: 0 }))));
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r1/summary.json' })
      .resolves(body(JSON.stringify({ status: 'succeeded', run_id: 'r1', counts: { total_files: 140, featurized: 140, failed: 0 }, pca: { k: 50 } })));
    const r = await cli(['run', 'emr', '--run-id', 'r1', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.events.filter((e) => e.event === 'progress').map((e) => e.images_done)).toEqual([40, 140]);
    expect(r.out.events.filter((e) => e.event === 'spark_ui')).toEqual([{ event: 'spark_ui', url: 'https://p-1.emrappui/shs/', clusterId: 'j-ABC' }]);
    expect(emrMock.commandCalls(CreatePersistentAppUICommand)).toHaveLength(1);
    expect(r.data).toMatchObject({ sparkUi: 'https://p-1.emrappui/shs/' });
  });

  test('run emr: a refused link is one line and the run goes on', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolvesOnce({ Step: { Id: 's-1', Status: { State: 'RUNNING' } } } as never).resolves({ Step: { Id: 's-1', Status: { State: 'COMPLETED' } } } as never);
    emrMock.on(CreatePersistentAppUICommand).rejects(awsError('AccessDeniedException'));
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves(body(JSON.stringify({ status: 'succeeded', run_id: 'r1', counts: {} })));
    const r = await cli(['run', 'emr', '--run-id', 'r1']);
    expect(r.code).toBe(0);
    expect(r.out.infos.filter((l) => /Spark UI/.test(l))).toEqual([expect.stringMatching(/^fruits: no Spark UI link \(AWS denied CreatePersistentAppUI .*elasticmapreduce:CreatePersistentAppUI/)]);
  });
});
