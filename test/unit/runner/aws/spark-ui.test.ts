// runner/aws/spark-ui.ts: `fruits ui` and the Spark UI link of `run emr` (persistent application UI), AWS mocked.
import {
  AddJobFlowStepsCommand, CreatePersistentAppUICommand, DescribeClusterCommand, DescribeStepCommand, GetPersistentAppUIPresignedURLCommand
} from '@aws-sdk/client-emr';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { EMR_OUTPUTS, awsError, body, cluster, inProcessCli, mockedAws, progress } from '../../../helpers/in-process-cli.js';

const { emrMock, s3Mock } = mockedAws();
const { cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

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
