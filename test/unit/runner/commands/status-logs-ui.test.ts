// runner/commands/status-logs-ui.ts: `fruits status [--follow]` and `fruits logs`, AWS mocked.
import { CancelStepsCommand, DescribeClusterCommand, DescribeStepCommand, EMRClient, ListStepsCommand } from '@aws-sdk/client-emr';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { waitForStep } from '../../../../runner/aws/emr-watch.js';
import { fetchStepLogs } from '../../../../runner/aws/step-logs.js';
import { captureOutput, fakeClock } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, awsError, body, cluster, inProcessCli, mockedAws, progress } from '../../../helpers/in-process-cli.js';

const { emrMock, s3Mock } = mockedAws();
const { cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

describe('status, follow and logs', () => {
  test('status on a terminated cluster says the cluster is gone and how to get a new one', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('TERMINATED'));
    emrMock.on(ListStepsCommand).resolves({ Steps: [] });
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.human).toBe(
      'cluster j-ABC (fruits) TERMINATED: Terminated by user request\nno steps listed: the cluster is TERMINATED; deploy a new one (npm run deploy)',
    );
  });

  test('status <step> --follow: progress from the run folder named in the step args; Ctrl-C stops watching, never cancels', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    const args = ['spark-submit', 's3://art/code/runs/r7/run_job.py', '--input', 's3://data/images/', '--output', 's3://data/results/', '--run-id', 'r7'];
    emrMock.on(DescribeStepCommand).resolves({ Step: { Id: 's-7', Name: 'fruits r7', Config: { Args: args }, Status: { State: 'RUNNING' } } } as never);
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r7/progress.json' }).resolves(body(JSON.stringify(progress({ run_id: 'r7', images_done: 90 }))));
    const ac = new AbortController();
    const out = captureOutput(true);
    const event = out.event;
    out.event = (d) => (event(d), ac.abort());
    const r = await cli(['status', 's-7', '--follow', '--json'], { out, signal: ac.signal });
    expect(r.code).toBe(130);
    expect(out.events[0]).toMatchObject({ event: 'progress', run_id: 'r7', images_done: 90 });
    expect(emrMock.commandCalls(CancelStepsCommand)).toHaveLength(0);
    expect(out.errors[0]).toMatch(/stopped following step s-7; it is still RUNNING on j-ABC/);
  });

  test('logs --wait-seconds 5 waits 5 s, not a whole 20 s retry', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    const clock = fakeClock();
    const l = await fetchStepLogs(new S3Client({ region: 'eu-west-1' }), { logUri: 's3://logs/emr-logs/', clusterId: 'j-ABC', stepId: 's-1', waitMs: 5_000, clock });
    expect(l.missing).toBe(true);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(5_000);
  });

  test.each([
    [[], /no logs for s-1 in s3:\/\/logs\/emr-logs\/j-ABC\/steps\/s-1\/ yet; .* retry with --wait-seconds 300$/],
    [['--wait-seconds', '300'], /after waiting 300 s; .* retry in a few minutes$/],
  ])('logs that are not there yet: exit 3 (not a usage error), honest hint %j', async (flags, message) => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    const r = await cli(['logs', 's-1', ...flags]);
    expect(r.code).toBe(3);
    expect(r.out.errors).toEqual([expect.stringMatching(message)]);
    if (!flags.length) expect(r.out.errors[0]).not.toMatch(/after waiting/);
  });

  test('Ctrl-C whose CancelSteps fails: says the step still runs, how to follow and cancel it', async () => {
    const ac = new AbortController();
    emrMock.on(DescribeStepCommand).callsFake(async () => (ac.abort(), { Step: { Id: 's-1', Status: { State: 'RUNNING' } } }));
    emrMock.on(CancelStepsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: elasticmapreduce:CancelSteps'));
    const emr = new EMRClient({ region: 'eu-west-1' });
    const p = waitForStep(emr, { clusterId: 'j-ABC', stepId: 's-1', pollMs: 1000, timeoutMs: 0, clock: fakeClock(), signal: ac.signal, cancelOption: 'SEND_INTERRUPT' });
    await expect(p).rejects.toMatchObject({
      exitCode: 4,
      message: expect.stringMatching(/AWS denied CancelSteps s-1 .*; step s-1 is still RUNNING on j-ABC; follow it with `fruits status s-1 --follow --cluster-id j-ABC`, cancel it with `aws emr cancel-steps --cluster-id j-ABC --step-ids s-1`/),
    });
  });
});
