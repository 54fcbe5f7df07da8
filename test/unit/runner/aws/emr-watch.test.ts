// runner/aws/emr-watch.ts: the EMR step state machine against aws-sdk-client-mock (fake clock: no real waits).
import { mockClient } from 'aws-sdk-client-mock';
import { CancelStepsCommand, DescribeStepCommand, EMRClient, type StepState } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { waitForStep } from '../../../../runner/aws/emr-watch.js';
import { fakeClock } from '../../../helpers/runner.js';

const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);
const emr = new EMRClient({ region: 'eu-west-1' });

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name, $metadata: {} });
const step = (State: StepState, extra: Record<string, unknown> = {}) => ({ Step: { Id: 's-1', Name: 'fruits r', Status: { State, ...extra } } });

beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
});

describe('waitForStep', () => {
  const base = { clusterId: 'j-1', stepId: 's-1', pollMs: 15_000, timeoutMs: 0, cancelOption: 'SEND_INTERRUPT' as const };

  test('PENDING -> RUNNING -> COMPLETED with visible states and elapsed time', async () => {
    emrMock.on(DescribeStepCommand).resolvesOnce(step('PENDING')).resolvesOnce(step('RUNNING')).resolvesOnce(step('RUNNING')).resolves(step('COMPLETED'));
    const clock = fakeClock();
    const seen: string[] = [];
    const r = await waitForStep(emr, { ...base, clock, onProgress: (p) => seen.push(`${p.state}@${p.elapsedMs / 1000}`) });
    expect(r).toMatchObject({ state: 'COMPLETED', cancelledByUs: false, elapsedMs: 45_000 });
    expect(seen).toEqual(['PENDING@0', 'RUNNING@15', 'RUNNING@30', 'COMPLETED@45']);
    expect(clock.sleeps).toEqual([15_000, 15_000, 15_000]);
  });

  test.each(['FAILED', 'CANCELLED', 'INTERRUPTED'] as const)('%s is final', async (state) => {
    emrMock.on(DescribeStepCommand).resolvesOnce(step('RUNNING')).resolves(step(state, { FailureDetails: { Reason: 'boom' } }));
    const r = await waitForStep(emr, { ...base, clock: fakeClock() });
    expect(r.state).toBe(state);
    expect(r.step?.Status?.FailureDetails?.Reason).toBe('boom');
  });

  test('throttling backs off (growing waits) and then carries on', async () => {
    emrMock.on(DescribeStepCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves(step('COMPLETED'));
    const clock = fakeClock();
    const notes: string[] = [];
    const r = await waitForStep(emr, { ...base, pollMs: 1000, clock, onProgress: (p) => p.note && notes.push(p.note) });
    expect(r.state).toBe('COMPLETED');
    expect(clock.sleeps).toEqual([2000, 4000, 8000]);
    expect(notes[0]).toMatch(/throttled/);
  });

  test('access denied surfaces at once as exit 4, not as a timeout', async () => {
    emrMock.on(DescribeStepCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform elasticmapreduce:DescribeStep'));
    const clock = fakeClock();
    await expect(waitForStep(emr, { ...base, clock })).rejects.toMatchObject({ exitCode: 4, message: expect.stringMatching(/AWS denied DescribeStep s-1/) });
    expect(emrMock.commandCalls(DescribeStepCommand)).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  test('abort cancels the step with the chosen option and waits for CANCELLED', async () => {
    const ac = new AbortController();
    emrMock.on(DescribeStepCommand)
      .callsFakeOnce(async () => step('RUNNING'))
      .callsFakeOnce(async () => {
        ac.abort(); // Ctrl-C while the step runs
        return step('RUNNING');
      })
      .resolvesOnce(step('CANCEL_PENDING'))
      .resolves(step('CANCELLED'));
    emrMock.on(CancelStepsCommand).resolves({ CancelStepsInfoList: [{ StepId: 's-1', Status: 'SUBMITTED' }] });
    const r = await waitForStep(emr, { ...base, cancelOption: 'TERMINATE_PROCESS', clock: fakeClock(), signal: ac.signal });
    expect(r).toMatchObject({ state: 'CANCELLED', cancelledByUs: true });
    expect(emrMock.commandCalls(CancelStepsCommand)[0]!.args[0].input).toEqual({ ClusterId: 'j-1', StepIds: ['s-1'], StepCancellationOption: 'TERMINATE_PROCESS' });
  });

  test('a timeout says the step keeps running and how to follow it', async () => {
    emrMock.on(DescribeStepCommand).resolves(step('RUNNING'));
    await expect(waitForStep(emr, { ...base, timeoutMs: 60_000, clock: fakeClock() })).rejects.toThrow(/still RUNNING after 1 min.*fruits status s-1/);
  });
});
