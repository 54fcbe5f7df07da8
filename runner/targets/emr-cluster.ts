// emr target, compute "cluster" (the default): upload the job to the code location, add a
// spark-submit step to the stack's long-lived cluster (or --cluster-id), follow it, explain failures
// with the step's own logs; status, logs, ui and cancel act on that cluster's steps.
import { AddJobFlowStepsCommand, CancelStepsCommand, paginateListSteps, type EMRClient } from '@aws-sdk/client-emr';
import { defaultJobContract, runIdPattern } from '../../config/job-contract.js';
import { buildEmrStep, runName, STEP_ID, summaryUri } from '../argv/emr-step.js';
import type { AwsClients } from '../aws/clients.js';
import { ExitCode, FruitsError, InterruptedError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { fromAwsError } from '../aws/errors.js';
import { DEPLOY_HINT, readStackOutputs, type StackOutputs } from '../aws/stack-outputs.js';
import { runLocations, uploadJob } from '../aws/job-upload.js';
import type { RunnerConfig } from '../../config/index.js';
import { checkCluster, clientsFor, resolveEmrSettings, USABLE_CLUSTER_STATES, type EmrSettings } from '../aws/emr-settings.js';
import { followStep } from '../aws/step-follow.js';
import { describeClusterBrief } from '../aws/cluster-info.js';
import { runFolderFromStepArgs } from '../argv/emr-step.js';
import { FINAL_STATES } from '../aws/emr-watch.js';
import { sparkUiLink } from '../aws/spark-ui.js';
import { describeStep, formatStepLine, stepLogs } from '../aws/step-status.js';
import { printCostLine } from '../cost/estimate.js';
import { jobArgvFor, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';
import type { EmrCompute, EmrDoctorContext, OpsContext } from './emr-compute.js';
import { awsMiss, type Check } from '../doctor/check.js';

export interface EmrDeps {
  clients?: AwsClients;
  outputs?: StackOutputs;
}

export async function runCluster(req: RunRequest, ctx: RunContext, deps: EmrDeps = {}): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  const settings = resolveEmrSettings(cfg, deps.outputs ?? readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack));
  const { outputs, clusterId } = settings;
  const { input, output, job, code } = runLocations(req, cfg, outputs);
  const step = buildEmrStep({
    runId: req.runId,
    code,
    deployMode: cfg.emr.deployMode,
    actionOnFailure: cfg.emr.actionOnFailure,
    conf: { ...cfg.emr.sparkConf, ...req.conf },
    jobArgs: jobArgvFor(req, cfg, input, output),
  });
  printCostLine(cfg, out);
  if (req.dryRun) {
    const plan = { target: 'emr', runId: req.runId, clusterId, region: settings.region, upload: { [job.runJob]: code.runJobUri, 'fruits_job.zip': code.zipUri }, step };
    out.result(plan, JSON.stringify(plan, null, 2));
    return { exitCode: ExitCode.ok, data: {} };
  }
  if (cfg.emr.actionOnFailure !== 'CONTINUE') {
    out.info(`fruits: warning: ActionOnFailure ${cfg.emr.actionOnFailure} lets a failed step ${cfg.emr.actionOnFailure === 'TERMINATE_CLUSTER' ? 'terminate the shared cluster' : 'cancel the steps queued after it'}`);
  }
  const { emr, s3 } = deps.clients ?? clientsFor(cfg, settings);
  const cluster = await checkCluster(emr, clusterId);
  const logUri = cfg.emr.logUri ?? cluster.LogUri ?? outputs.logUri;

  let stepId: string;
  await uploadJob(s3, cfg.jobDir, { job, code }, out);
  if (ctx.signal.aborted) throw new InterruptedError(`interrupted before the step was added (code left in ${code.prefix})`);
  try {
    const r = await emr.send(new AddJobFlowStepsCommand({ JobFlowId: clusterId, Steps: [step] }));
    stepId = r.StepIds?.[0] ?? '';
    if (!stepId) throw new Error('AddJobFlowSteps returned no step id');
  } catch (e) {
    throw fromAwsError(e, `AddJobFlowSteps on ${clusterId}`);
  }
  out.info(`fruits: added step ${stepId} to cluster ${clusterId} (${cluster.Name ?? ''} ${cluster.Status?.State})`);
  const base = { target: 'emr', runId: req.runId, clusterId, stepId, summaryUri: summaryUri(output, req.runId) };
  if (!req.wait) {
    out.result({ ...base, state: 'PENDING' }, `step ${stepId} submitted; follow it with: fruits status ${stepId} --follow --cluster-id ${clusterId}`);
    return { exitCode: ExitCode.ok, data: base };
  }
  return followStep({ emr, s3, clusterId, stepId, logUri, cfg, out, clock: ctx.clock, signal: ctx.signal, base, output, runId: req.runId });
}


const GONE = new Set(['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']);

export function checkStepId(stepId: string | undefined, command = 'status'): void {
  if (stepId && !STEP_ID.test(stepId)) throw usageError(`"${stepId}" is not an EMR step id (s-XXXXXXXX)`, `see fruits ${command === 'status' ? 'status' : 'status for the step ids'}`);
}

/** Which cluster the look-ups act on: the stack's (or --cluster-id) here; transient passes the latest run's. */
export type ClusterResolver = (cfg: RunnerConfig) => Promise<EmrSettings>;
const stackCluster: ClusterResolver = async (cfg) => resolveEmrSettings(cfg);

async function emrContext(cfg: RunnerConfig, resolve: ClusterResolver) {
  const s = await resolve(cfg);
  return { s, clients: clientsFor(cfg, s) };
}

/** `fruits status [step-id] [--follow]`: the cluster's state, then one step (and its run's progress) or the latest steps. */
export async function clusterStatus(stepId: string | undefined, c: OpsContext & { follow: boolean }, resolve = stackCluster): Promise<ExitCodeValue> {
  checkStepId(stepId);
  if (c.follow && !stepId) throw usageError('--follow needs a step id', 'fruits status <step-id> --follow');
  const { s, clients } = await emrContext(c.cfg, resolve);
  const cluster = await describeClusterBrief(clients.emr, s.clusterId);
  const clusterLine = `cluster ${s.clusterId}${cluster.name ? ` (${cluster.name})` : ''} ${cluster.state ?? 'UNKNOWN'}${cluster.stateReason ? `: ${cluster.stateReason}` : ''}`;
  const gone = GONE.has(cluster.state ?? '');
  const { stepStatus } = await import('../aws/step-status.js');
  const steps = await stepStatus(clients, s.clusterId, stepId);
  if (c.follow && stepId) {
    const step = await describeStep(clients, s.clusterId, stepId);
    const run = runFolderFromStepArgs(step.Config?.Args ?? []);
    c.out.info(`fruits: ${clusterLine}`);
    if (FINAL_STATES.has(step.Status?.State ?? '') || !gone) {
      return (await followStep({
        emr: clients.emr, s3: clients.s3, clusterId: s.clusterId, stepId, logUri: c.cfg.emr.logUri ?? cluster.logUri,
        cfg: c.cfg, out: c.out, clock: c.clock, signal: c.signal, base: { clusterId: s.clusterId, stepId }, output: run?.output, runId: run?.runId,
        detached: true,
      })).exitCode;
    }
  }
  const noSteps = gone
    ? `no steps listed: the cluster is ${cluster.state}; deploy a new one (npm run deploy)`
    : `no steps on ${s.clusterId}`;
  const human = [clusterLine, ...(steps.length ? steps.map(formatStepLine) : [noSteps])].join('\n');
  c.out.result({ clusterId: s.clusterId, cluster: { state: cluster.state, reason: cluster.stateReason, name: cluster.name }, steps }, human);
  return ExitCode.ok;
}

/**
 * `fruits logs <step-id> [--wait-seconds N]`: the step's stdout/stderr. Logs not there (yet)
 * is exit 3 (environment): EMR uploads them every few minutes, nothing is wrong with the command.
 */
export async function clusterLogs(stepId: string | undefined, c: OpsContext & { waitSeconds: number }, resolve = stackCluster): Promise<ExitCodeValue> {
  if (!stepId) throw usageError('missing step id', 'fruits logs <step-id> (see fruits status)');
  checkStepId(stepId);
  const { s, clients } = await emrContext(c.cfg, resolve);
  const l = await stepLogs(clients, {
    clusterId: s.clusterId, stepId, logUri: c.cfg.emr.logUri, waitMs: c.waitSeconds * 1000, clock: c.clock,
    onWait: (m) => c.out.status(`fruits: ${m}`),
  });
  if (l.missing) {
    const waited = c.waitSeconds > 0 ? `after waiting ${c.waitSeconds} s` : 'yet';
    const retry = c.waitSeconds < 300 ? 'retry with --wait-seconds 300' : 'retry in a few minutes';
    throw new FruitsError(`no logs for ${stepId} in ${l.dir} ${waited}`, ExitCode.environment, {
      fix: `EMR uploads them every few minutes while the step runs and shortly after it ends; ${retry}`,
    });
  }
  c.out.result(l, [`----- stdout (${l.dir}stdout.gz) -----`, l.stdout ?? '(none)', `----- stderr (${l.dir}stderr.gz) -----`, l.stderr ?? '(none)'].join('\n'));
  return ExitCode.ok;
}

/** `fruits ui`: a presigned persistent Spark UI link for the cluster. */
export async function clusterUi(ref: string | undefined, c: OpsContext, resolve = stackCluster): Promise<ExitCodeValue> {
  if (ref) throw usageError(`unexpected argument "${ref}"`, 'fruits ui takes a job run id only with compute "serverless"; on a cluster it links the cluster\'s Spark history');
  const { s, clients } = await emrContext(c.cfg, resolve);
  const link = await sparkUiLink(clients.emr, s.clusterId, { clock: c.clock, signal: c.signal });
  c.out.result({ clusterId: s.clusterId, ...link }, `Spark UI of ${s.clusterId} (presigned, valid for a short time): ${link.url}`);
  return ExitCode.ok;
}

/**
 * `fruits cancel <step-id>`: CancelSteps (SEND_INTERRUPT: spark-submit gets SIGTERM; in client
 * deploy mode that is the driver, which records the run as interrupted). The cluster stays up:
 * other steps and notebooks may use it.
 */
export async function clusterCancel(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue> {
  if (!ref) throw usageError('missing step id or run id', 'fruits cancel <step-id|run-id> (see fruits status)');
  const byRunId = !STEP_ID.test(ref) && runIdPattern(defaultJobContract()).test(ref);
  if (!byRunId) checkStepId(ref, 'cancel');
  const { s, clients } = await emrContext(c.cfg, stackCluster);
  // A run id: the newest step of that run (named runName(run-id), argv/emr-step.ts).
  const stepId = byRunId ? await stepOfRunId(clients.emr, s.clusterId, ref) : ref;
  if (!stepId) {
    c.out.result({ clusterId: s.clusterId, ref, cancelled: false }, `no step of run ${ref} on ${s.clusterId}: nothing to cancel`);
    return ExitCode.ok;
  }
  const before = (await describeStep(clients, s.clusterId, stepId)).Status?.State ?? 'UNKNOWN';
  if (FINAL_STATES.has(before)) {
    c.out.result({ clusterId: s.clusterId, stepId, state: before, cancelled: false }, `step ${stepId} already ended (${before}): nothing to cancel`);
    return ExitCode.ok;
  }
  if (c.dryRun) {
    c.out.result({ clusterId: s.clusterId, stepId, state: before, cancelled: false, dryRun: true }, `would cancel step ${stepId} (${before}) on ${s.clusterId} (CancelSteps, SEND_INTERRUPT); nothing done (--dry-run)`);
    return ExitCode.ok;
  }
  let info;
  try {
    const r = await clients.emr.send(new CancelStepsCommand({ ClusterId: s.clusterId, StepIds: [stepId], StepCancellationOption: 'SEND_INTERRUPT' }));
    info = r.CancelStepsInfoList?.find((i) => i.StepId === stepId) ?? r.CancelStepsInfoList?.[0];
  } catch (e) {
    throw fromAwsError(e, `CancelSteps ${stepId}`);
  }
  if (info?.Status === 'FAILED') {
    throw new FruitsError(`EMR refused to cancel step ${stepId} (${before}): ${info.Reason ?? 'no reason given'}`, ExitCode.environment, {
      fix: `see fruits status ${stepId}; steps of EMR releases before 5.28 cannot be cancelled once RUNNING`,
    });
  }
  c.out.result({ clusterId: s.clusterId, stepId, state: before, cancelled: true }, `cancel requested for step ${stepId} (was ${before}) on ${s.clusterId}; see fruits status ${stepId}`);
  return ExitCode.ok;
}

async function stepOfRunId(emr: EMRClient, clusterId: string, runId: string): Promise<string | undefined> {
  try {
    for await (const page of paginateListSteps({ client: emr }, { ClusterId: clusterId })) {
      const hit = (page.Steps ?? []).find((st) => st.Name === runName(runId));
      if (hit?.Id) return hit.Id;
    }
  } catch (e) {
    throw fromAwsError(e, `ListSteps ${clusterId}`);
  }
  return undefined;
}

/** doctor: the cluster of --cluster-id or of the outputs is usable (DescribeCluster); `noId`: why none is fine or wrong. */
export async function clusterCheck(c: EmrDoctorContext, noId: string): Promise<Check> {
  const base = { area: 'emr', name: 'cluster' };
  const clusterId = c.cfg.emr.clusterId ?? c.outputs.clusterId;
  if (c.offline) return { ...base, status: 'skip', detail: '--offline' };
  if (!clusterId) return { ...base, status: 'skip', detail: noId };
  try {
    const brief = await describeClusterBrief(c.clients.emr, clusterId);
    const usable = USABLE_CLUSTER_STATES.has(brief.state ?? '');
    return { ...base, status: usable ? 'ok' : 'miss', detail: `${clusterId} ${brief.state}`, fix: DEPLOY_HINT };
  } catch (e) {
    return awsMiss(base, e, 'check AWS_PROFILE / permissions (elasticmapreduce:DescribeCluster)');
  }
}

/** compute "cluster" (emr-compute.ts). */
export const clusterCompute: EmrCompute = {
  run: (req, ctx, deps) => runCluster(req, ctx, deps),
  status: (ref, c) => clusterStatus(ref, c),
  logs: (ref, c) => clusterLogs(ref, c),
  ui: (ref, c) => clusterUi(ref, c),
  cancel: (ref, c) => clusterCancel(ref, c),
  doctor: { outputs: ['logUri', 'clusterId'], checks: async (c) => [await clusterCheck(c, 'no cluster id')] },
};
