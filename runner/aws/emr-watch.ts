// The EMR step state machine: poll DescribeStep until a final state, showing
// progress; back off on throttling; surface permission errors at once; on abort
// (Ctrl-C) cancel the step and wait for EMR to confirm.
import { CancelStepsCommand, DescribeStepCommand, type EMRClient, type Step, type StepState } from '@aws-sdk/client-emr';
import type { Clock } from '../platform/clock.js';
import type { CancelOption } from '../../config/index.js';
import { FruitsError, jobError, oneLine } from '../../config/errors.js';
import { fromAwsError, isAccessDenied, isCredentialsMissing, isThrottling } from './errors.js';

export const FINAL_STATES: ReadonlySet<string> = new Set<StepState>(['COMPLETED', 'FAILED', 'CANCELLED', 'INTERRUPTED']);

export interface WatchOptions {
  clusterId: string;
  stepId: string;
  pollMs: number;
  /** 0 = wait for ever. */
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  cancelOption: CancelOption;
  /** Called after every poll (and on throttling) with the last known state. */
  onProgress?: (p: { state: string; elapsedMs: number; note?: string }) => void;
  /** Awaited after every successful poll (final state included): read the run's progress, fetch links. */
  afterPoll?: (state: string) => Promise<void>;
  /** false: on abort stop watching and leave the step alone (following a step the runner did not start). */
  cancelOnAbort?: boolean;
  /** Bounded wait for the cancellation to take effect. */
  cancelWaitMs?: number;
}

export interface WatchResult {
  state: StepState | string;
  step?: Step;
  elapsedMs: number;
  cancelledByUs: boolean;
  cancelNote?: string;
  /** Aborted with cancelOnAbort=false: the step was left running. */
  stoppedWatching?: boolean;
}

const MAX_BACKOFF_MS = 60_000;
const MAX_TRANSIENT_ERRORS = 5;

export async function waitForStep(emr: EMRClient, o: WatchOptions): Promise<WatchResult> {
  const start = o.clock.now();
  const elapsed = () => o.clock.now() - start;
  let state = 'PENDING';
  let throttled = 0;
  let transient = 0;

  const describe = async (): Promise<Step | undefined> => {
    try {
      const r = await emr.send(new DescribeStepCommand({ ClusterId: o.clusterId, StepId: o.stepId }));
      throttled = 0;
      transient = 0;
      return r.Step;
    } catch (e) {
      if (isAccessDenied(e) || isCredentialsMissing(e)) throw fromAwsError(e, `DescribeStep ${o.stepId}`);
      if (isThrottling(e)) {
        throttled++;
        const wait = Math.min(MAX_BACKOFF_MS, o.pollMs * 2 ** Math.min(throttled, 6));
        o.onProgress?.({ state, elapsedMs: elapsed(), note: `throttled by EMR, retrying in ${Math.round(wait / 1000)}s` });
        await o.clock.sleep(wait, o.signal);
        return undefined;
      }
      // Network blips: a few in a row are tolerated; more is a real error.
      if (++transient > MAX_TRANSIENT_ERRORS) throw fromAwsError(e, `DescribeStep ${o.stepId}`);
      o.onProgress?.({ state, elapsedMs: elapsed(), note: `DescribeStep failed (${oneLine(String((e as Error).message))}), retrying` });
      await o.clock.sleep(o.pollMs, o.signal);
      return undefined;
    }
  };

  const onAbort = (last: string): Promise<WatchResult> | WatchResult =>
    o.cancelOnAbort === false ? { state: last, elapsedMs: elapsed(), cancelledByUs: false, stoppedWatching: true } : cancel(emr, o, last, start);
  for (;;) {
    if (o.signal?.aborted) return onAbort(state);
    const step = await describe();
    if (o.signal?.aborted) return onAbort(step?.Status?.State ?? state);
    if (step) {
      state = step.Status?.State ?? state;
      o.onProgress?.({ state, elapsedMs: elapsed() });
      await o.afterPoll?.(state);
      if (FINAL_STATES.has(state)) return { state, step, elapsedMs: elapsed(), cancelledByUs: false };
      if (o.timeoutMs > 0 && elapsed() >= o.timeoutMs) {
        throw jobError(
          `step ${o.stepId} still ${state} after ${Math.round(o.timeoutMs / 60000)} min`,
          `it keeps running on the cluster; follow it with \`fruits status ${o.stepId}\` or raise --timeout-minutes`,
        );
      }
      await o.clock.sleep(o.pollMs, o.signal);
    }
  }
}

async function cancel(emr: EMRClient, o: WatchOptions, lastState: string, start: number): Promise<WatchResult> {
  const elapsed = () => o.clock.now() - start;
  let note: string | undefined;
  if (!FINAL_STATES.has(lastState)) {
    o.onProgress?.({ state: lastState, elapsedMs: elapsed(), note: `cancelling step ${o.stepId} (${o.cancelOption})` });
    try {
      const r = await emr.send(
        new CancelStepsCommand({ ClusterId: o.clusterId, StepIds: [o.stepId], StepCancellationOption: o.cancelOption }),
      );
      const info = r.CancelStepsInfoList?.find((i) => i.StepId === o.stepId) ?? r.CancelStepsInfoList?.[0];
      if (info?.Status === 'FAILED') note = `EMR refused to cancel: ${info.Reason ?? 'no reason given'}`;
    } catch (e) {
      // The runner stops here, but the step does not: say so, and how to follow or cancel it.
      const fe = fromAwsError(e, `CancelSteps ${o.stepId}`);
      throw new FruitsError(`${fe.message}; step ${o.stepId} is still ${lastState} on ${o.clusterId}`, fe.exitCode, {
        fix: `follow it with \`fruits status ${o.stepId} --follow --cluster-id ${o.clusterId}\`, cancel it with \`aws emr cancel-steps --cluster-id ${o.clusterId} --step-ids ${o.stepId}\` (needs elasticmapreduce:CancelSteps) or in the EMR console`,
        cause: e,
      });
    }
  }
  // Wait (bounded, no abort signal any more) until EMR reports a final state.
  const deadline = o.clock.now() + (o.cancelWaitMs ?? 120_000);
  let state = lastState;
  let step: Step | undefined;
  while (!FINAL_STATES.has(state) && o.clock.now() < deadline && !note) {
    await o.clock.sleep(Math.min(o.pollMs, 5000));
    try {
      step = (await emr.send(new DescribeStepCommand({ ClusterId: o.clusterId, StepId: o.stepId }))).Step;
      state = step?.Status?.State ?? state;
      o.onProgress?.({ state, elapsedMs: elapsed() });
    } catch (e) {
      if (isAccessDenied(e)) throw fromAwsError(e, `DescribeStep ${o.stepId}`);
      if (!isThrottling(e)) break;
    }
  }
  if (!FINAL_STATES.has(state) && !note) note = `step still ${state}; check it with \`fruits status ${o.stepId}\``;
  return { state, step, elapsedMs: elapsed(), cancelledByUs: true, cancelNote: note };
}

/** One line describing why a step failed (FailureDetails). */
export function describeFailure(step: Step | undefined): string {
  const fd = step?.Status?.FailureDetails;
  const reason = step?.Status?.StateChangeReason?.Message;
  const parts = [fd?.Reason, fd?.Message, reason].filter((s): s is string => !!s).map(oneLine);
  if (fd?.LogFile) parts.push(`log: ${fd.LogFile}`);
  return parts.length ? parts.join(' | ') : 'no failure details from EMR';
}
