// status and logs for EMR steps.
import { DescribeStepCommand, ListStepsCommand, type StepSummary, type Step } from '@aws-sdk/client-emr';
import type { AwsClients } from './clients.js';
import type { Clock } from '../platform/clock.js';
import { describeFailure } from './emr-watch.js';
import { usageError } from '../../config/errors.js';
import { fromAwsError } from './errors.js';
import { fetchStepLogs, type StepLogs } from './step-logs.js';
import { checkClusterLogUri } from './cluster-info.js';

const iso = (d?: Date) => (d ? d.toISOString() : undefined);

export function stepView(s: Step | StepSummary) {
  return {
    id: s.Id,
    name: s.Name,
    state: s.Status?.State,
    created: iso(s.Status?.Timeline?.CreationDateTime),
    started: iso(s.Status?.Timeline?.StartDateTime),
    ended: iso(s.Status?.Timeline?.EndDateTime),
    failure: s.Status?.State === 'FAILED' ? describeFailure(s as Step) : undefined,
  };
}

export const formatStepLine = (v: ReturnType<typeof stepView>) =>
  `${v.id}  ${(v.state ?? '?').padEnd(14)} ${v.name ?? ''}${v.started ? `  started ${v.started}` : ''}${v.ended ? `  ended ${v.ended}` : ''}${v.failure ? `\n    ${v.failure}` : ''}`;

export async function stepStatus(c: AwsClients, clusterId: string, stepId?: string) {
  try {
    if (stepId) {
      const r = await c.emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }));
      if (!r.Step) throw usageError(`step ${stepId} not found on ${clusterId}`, 'check the step id');
      return [stepView(r.Step)];
    }
    const r = await c.emr.send(new ListStepsCommand({ ClusterId: clusterId }));
    return (r.Steps ?? []).slice(0, 10).map(stepView);
  } catch (e) {
    throw fromAwsError(e, stepId ? `DescribeStep ${stepId}` : `ListSteps on ${clusterId}`);
  }
}

/** DescribeStep (with its Config.Args, where the run's --output and --run-id are). */
export async function describeStep(c: AwsClients, clusterId: string, stepId: string): Promise<Step> {
  let step: Step | undefined;
  try {
    step = (await c.emr.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }))).Step;
  } catch (e) {
    throw fromAwsError(e, `DescribeStep ${stepId}`);
  }
  if (!step) throw usageError(`step ${stepId} not found on ${clusterId}`, 'check the step id');
  return step;
}

export async function stepLogs(
  c: AwsClients,
  o: { clusterId: string; stepId: string; logUri?: string; waitMs: number; clock: Clock; onWait?: (m: string) => void },
): Promise<StepLogs> {
  const logUri = o.logUri ?? (await checkClusterLogUri(c.emr, o.clusterId));
  if (!logUri) throw usageError(`cluster ${o.clusterId} has no log URI, so EMR keeps no step logs in S3`, 'set emr.logUri if they are elsewhere');
  return fetchStepLogs(c.s3, { logUri, clusterId: o.clusterId, stepId: o.stepId, waitMs: o.waitMs, clock: o.clock, onWait: o.onWait });
}
