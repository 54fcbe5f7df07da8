// emr target, `compute: "transient"`: a cluster per run. Upload the job, create the cluster
// with the job as its only step (RunJobFlow, settings from the stack outputs), follow the step
// as on the long-lived cluster, and make sure the cluster ends with the run: it terminates by
// itself after the step, and the runner terminates it on Ctrl-C, on failure and after the run.
// A retried run (same --run-id) finds the cluster already created for it by its tag.
import {
  DescribeClusterCommand,
  ListClustersCommand,
  ListStepsCommand,
  RunJobFlowCommand,
  TerminateJobFlowsCommand,
  type ClusterState,
  type EMRClient,
} from '@aws-sdk/client-emr';
import { buildEmrStep, CLUSTER_ID, summaryUri } from '../argv/emr-step.js';
import { buildRunJobFlowRequest, RUN_ID_TAG, transientClusterName, transientSpec, type TransientSpec } from '../argv/emr-run-job-flow.js';
import { makeAwsClients, type AwsClients } from '../aws/clients.js';
import { readStackOutputs, regionOf, requireRegion, type StackOutputs } from '../aws/stack-outputs.js';
import { runLocations, uploadJob } from '../aws/job-upload.js';
import { planCostLine } from '../cost/estimate.js';
import type { CapacityPlan, Fleet } from '../../stacks/capacity.js';
import { ExitCode, InterruptedError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { fromAwsError } from '../aws/errors.js';
import type { Output } from '../platform/output.js';
import type { RunnerConfig } from '../../config/index.js';
import { resolveEmrSettings, USABLE_CLUSTER_STATES, type EmrSettings } from '../aws/emr-settings.js';
import { defaultJobContract, runIdPattern } from '../../config/job-contract.js';
import { checkStepId, clusterCancel, clusterCheck, clusterLogs, clusterStatus, clusterUi, runCluster, type ClusterResolver } from './emr-cluster.js';
import type { EmrCompute, OpsContext } from './emr-compute.js';
import { followStep } from '../aws/step-follow.js';
import { jobArgvFor, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';

/** A run's cluster that is not ending: the states that take steps. */
const ALIVE = [...USABLE_CLUSTER_STATES] as ClusterState[];

/** The deployed capacity, from the stack's instance_fleets_json and managed_scaling_policy_json (RunJobFlow shape). */
export function planFromOutputs(spec: TransientSpec): Pick<CapacityPlan, 'master' | 'core' | 'task' | 'scaling'> {
  type ApiFleet = { InstanceFleetType: Fleet['role']; TargetOnDemandCapacity?: number; TargetSpotCapacity?: number; InstanceTypeConfigs?: { InstanceType: string }[] };
  const fleets = JSON.parse(spec.instance_fleets_json) as ApiFleet[];
  const fleet = (role: Fleet['role']): Fleet | undefined => {
    const f = fleets.find((x) => x.InstanceFleetType === role);
    return f && { role, types: (f.InstanceTypeConfigs ?? []).map((t) => t.InstanceType), onDemand: f.TargetOnDemandCapacity ?? 0, spot: f.TargetSpotCapacity ?? 0 };
  };
  const limits = spec.managed_scaling_policy_json ? (JSON.parse(spec.managed_scaling_policy_json) as { ComputeLimits: Record<string, number> }).ComputeLimits : undefined;
  const task = fleet('TASK');
  return {
    master: fleet('MASTER')!,
    core: fleet('CORE')!,
    ...(task ? { task: { ...task, spotTimeoutMinutes: 0 } } : {}),
    ...(limits ? { scaling: { min: limits.MinimumCapacityUnits!, max: limits.MaximumCapacityUnits!, maxCore: limits.MaximumCoreCapacityUnits!, maxOnDemand: limits.MaximumOnDemandCapacityUnits! } } : {}),
  };
}

/** An alive cluster created for this run id (name and tags), or undefined. */
export async function findRunCluster(emr: EMRClient, spec: TransientSpec, runId: string): Promise<string | undefined> {
  const name = transientClusterName(spec, runId);
  let marker: string | undefined;
  try {
    do {
      const page = await emr.send(new ListClustersCommand({ ClusterStates: ALIVE, Marker: marker }));
      for (const c of page.Clusters ?? []) {
        if (c.Name !== name || !c.Id) continue;
        const tags = (await emr.send(new DescribeClusterCommand({ ClusterId: c.Id }))).Cluster?.Tags ?? [];
        const tag = (k: string) => tags.find((t) => t.Key === k)?.Value;
        if (tag(RUN_ID_TAG) === runId && tag('Project') === spec.project_tag) return c.Id;
      }
      marker = page.Marker;
    } while (marker);
  } catch (e) {
    throw fromAwsError(e, 'ListClusters (looking for the cluster of this run id)');
  }
  return undefined;
}

/** The newest cluster any run of this project created (status/logs/ui without --cluster-id). */
export async function latestRunCluster(emr: EMRClient, spec: Pick<TransientSpec, 'cluster_name' | 'project_tag'>): Promise<string | undefined> {
  try {
    const page = await emr.send(new ListClustersCommand({}));
    const ours = (page.Clusters ?? []).filter((c) => c.Name?.startsWith(`${spec.cluster_name}-`));
    ours.sort((a, b) => (b.Status?.Timeline?.CreationDateTime?.getTime() ?? 0) - (a.Status?.Timeline?.CreationDateTime?.getTime() ?? 0));
    return ours[0]?.Id;
  } catch (e) {
    throw fromAwsError(e, 'ListClusters (looking for the latest run cluster)');
  }
}

/**
 * status/logs/ui on a transient stack without --cluster-id: the settings of the latest run's
 * cluster, or undefined when the stack is not transient (the long-lived cluster's path applies).
 */
export async function transientRunSettings(cfg: RunnerConfig): Promise<EmrSettings | undefined> {
  if (cfg.emr.clusterId) return undefined;
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  if (outputs.compute !== 'transient') return undefined;
  const spec = transientSpec(outputs, cfg.emr.outputsFile);
  const region = requireRegion(regionOf(cfg, outputs));
  const { emr } = makeAwsClients({ region, endpoint: cfg.emr.endpoint });
  const clusterId = await latestRunCluster(emr, spec);
  if (!clusterId) throw usageError('no run cluster yet: compute is "transient" and no run has created one', 'start one with fruits run emr, or pass --cluster-id');
  return { clusterId, region, outputs };
}

async function terminate(emr: EMRClient, clusterId: string, out: Output, why: string): Promise<void> {
  try {
    await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }));
    out.info(`fruits: terminated cluster ${clusterId} (${why})`);
  } catch (e) {
    // The runner must not end quietly with a cluster that bills: say which and how to stop it.
    const fe = fromAwsError(e, `TerminateJobFlows ${clusterId}`);
    out.info(`fruits: could not terminate cluster ${clusterId}: ${fe.message}; stop it with: aws emr terminate-clusters --cluster-ids ${clusterId}`);
  }
}

export interface TransientDeps {
  clients?: AwsClients;
  outputs?: StackOutputs;
}

export async function runEmrTransient(req: RunRequest, ctx: RunContext, deps: TransientDeps): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  const outputs = deps.outputs ?? readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  const spec = transientSpec(outputs, cfg.emr.outputsFile);
  const { input, output, job, code } = runLocations(req, cfg, outputs);
  const step = buildEmrStep({
    runId: req.runId,
    code,
    deployMode: cfg.emr.deployMode,
    // The cluster exists for this step only: a failed step ends it at once.
    actionOnFailure: 'TERMINATE_CLUSTER',
    conf: { ...cfg.emr.sparkConf, ...req.conf },
    jobArgs: jobArgvFor(req, cfg, input, output),
  });
  const request = buildRunJobFlowRequest({ ...spec, ...(cfg.emr.logUri ? { log_uri: cfg.emr.logUri } : {}) }, step, req.runId);
  const region = regionOf(cfg, outputs);
  // The deployed capacity (the outputs), which may differ from an edited fruits.config.json.
  out.info(planCostLine(planFromOutputs(spec), { compute: 'transient', idleTimeoutMinutes: Number(spec.idle_timeout_seconds) / 60, region: region ?? 'us-east-1' }));
  if (req.dryRun) {
    const plan = { target: 'emr', compute: 'transient', runId: req.runId, region, upload: { [job.runJob]: code.runJobUri, 'fruits_job.zip': code.zipUri }, runJobFlow: request };
    out.result(plan, JSON.stringify(plan, null, 2));
    return { exitCode: ExitCode.ok, data: {} };
  }
  const { emr, s3 } = deps.clients ?? makeAwsClients({ region: requireRegion(region), endpoint: cfg.emr.endpoint });

  await uploadJob(s3, cfg.jobDir, { job, code }, out);
  if (ctx.signal.aborted) throw new InterruptedError(`interrupted before a cluster was created (code left in ${code.prefix})`);

  let clusterId = await findRunCluster(emr, spec, req.runId);
  if (clusterId) {
    out.info(`fruits: run ${req.runId} already has cluster ${clusterId}; following it instead of creating a second one`);
  } else {
    try {
      clusterId = (await emr.send(new RunJobFlowCommand(request))).JobFlowId;
    } catch (e) {
      throw fromAwsError(e, 'RunJobFlow');
    }
    if (!clusterId) throw fromAwsError(new Error('RunJobFlow returned no cluster id'), 'RunJobFlow');
    out.info(`fruits: created cluster ${clusterId} (${request.Name}) for this run; it boots in about 10-15 minutes and ends with the run`);
  }
  const id = clusterId;
  let ending = 'the run ended';
  const keep = !req.wait;
  try {
    let stepId: string | undefined;
    try {
      const steps = (await emr.send(new ListStepsCommand({ ClusterId: id }))).Steps ?? [];
      stepId = steps.find((s) => s.Name === step.Name)?.Id ?? steps.at(-1)?.Id;
    } catch (e) {
      throw fromAwsError(e, `ListSteps ${id}`);
    }
    if (!stepId) throw fromAwsError(new Error(`cluster ${id} has no step`), `ListSteps ${id}`);
    const base = { target: 'emr', compute: 'transient', runId: req.runId, clusterId: id, stepId, summaryUri: summaryUri(output, req.runId) };
    if (keep) {
      out.result({ ...base, state: 'PENDING' }, `cluster ${id} runs step ${stepId} and terminates after it; follow it with: fruits status ${stepId} --follow --cluster-id ${id}`);
      return { exitCode: ExitCode.ok, data: base };
    }
    let outcome: RunOutcome;
    try {
      // detached: on Ctrl-C stop watching; terminating the cluster below ends the step too.
      outcome = await followStep({ emr, s3, clusterId: id, stepId, logUri: request.LogUri, cfg, out, clock: ctx.clock, signal: ctx.signal, base, output, runId: req.runId, detached: true });
    } catch (e) {
      if (e instanceof InterruptedError && ctx.signal.aborted) {
        ending = 'interrupted';
        await terminate(emr, id, out, ending);
        throw new InterruptedError(`interrupted: cluster ${id} of run ${req.runId} terminated`);
      }
      throw e;
    }
    if (outcome.exitCode !== ExitCode.ok) ending = 'the run failed';
    return outcome;
  } catch (e) {
    if (!(e instanceof InterruptedError)) ending = 'the run failed';
    throw e;
  } finally {
    if (!keep && ending !== 'interrupted') await terminate(emr, id, out, ending);
  }
}

/** The cluster the look-ups act on: --cluster-id, else the latest run's. */
const latestRunClusterSettings: ClusterResolver = async (cfg) => (await transientRunSettings(cfg)) ?? resolveEmrSettings(cfg);

/** The alive cluster of this project that holds the step, or undefined. */
async function clusterOfStep(emr: EMRClient, spec: TransientSpec, stepId: string): Promise<string | undefined> {
  try {
    const clusters = ((await emr.send(new ListClustersCommand({ ClusterStates: ALIVE }))).Clusters ?? [])
      .filter((c) => c.Id && c.Name?.startsWith(`${spec.cluster_name}-`));
    for (const c of clusters) {
      const steps = (await emr.send(new ListStepsCommand({ ClusterId: c.Id, StepIds: [stepId] }))).Steps ?? [];
      if (steps.some((st) => st.Id === stepId)) return c.Id;
    }
  } catch (e) {
    throw fromAwsError(e, `ListClusters/ListSteps (looking for the cluster of step ${stepId})`);
  }
  return undefined;
}

/**
 * `fruits cancel <run-id|step-id>` with compute "transient": the cluster exists for that run only,
 * so cancelling terminates it (its step ends with it). A run id finds the cluster by its tag; a step
 * id by the alive run clusters of this project.
 */
export async function transientCancel(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue> {
  // --cluster-id: a cluster used as compute "cluster" (fruits run emr --cluster-id): cancel the step, keep the cluster.
  if (c.cfg.emr.clusterId) return clusterCancel(ref, c);
  if (!ref) throw usageError('missing run id or step id', 'fruits cancel <run-id|step-id> (see fruits status)');
  const outputs = readStackOutputs(c.cfg.emr.outputsFile, c.cfg.emr.stack);
  const spec = transientSpec(outputs, c.cfg.emr.outputsFile);
  const { emr } = makeAwsClients({ region: requireRegion(regionOf(c.cfg, outputs)), endpoint: c.cfg.emr.endpoint });
  if (CLUSTER_ID.test(ref)) throw usageError(`"${ref}" is a cluster id`, `fruits cancel <run-id|step-id>, or cancel a step on that cluster with fruits cancel <step-id> --cluster-id ${ref}`);
  const isStep = /^s-/i.test(ref);
  if (isStep) checkStepId(ref, 'cancel');
  else if (!runIdPattern(defaultJobContract()).test(ref)) throw usageError(`"${ref}" is neither a run id nor an EMR step id (s-XXXXXXXX)`, 'fruits cancel <run-id|step-id> (see fruits status)');
  const clusterId = isStep ? await clusterOfStep(emr, spec, ref) : await findRunCluster(emr, spec, ref);
  if (!clusterId) {
    c.out.result({ ref, cancelled: false }, `no running cluster of this project holds ${isStep ? `step ${ref}` : `run ${ref}`}: nothing to cancel`);
    return ExitCode.ok;
  }
  if (c.dryRun) {
    c.out.result({ ref, clusterId, cancelled: false, dryRun: true }, `would terminate cluster ${clusterId} of ${isStep ? `step ${ref}` : `run ${ref}`} (TerminateJobFlows); nothing done (--dry-run)`);
    return ExitCode.ok;
  }
  await terminate(emr, clusterId, c.out, `fruits cancel ${ref}`);
  c.out.result({ ref, clusterId, cancelled: true }, `cluster ${clusterId} of ${isStep ? `step ${ref}` : `run ${ref}`} is terminating; see fruits status --cluster-id ${clusterId}`);
  return ExitCode.ok;
}

/** compute "transient" (emr-compute.ts); --cluster-id runs on (and looks at) that cluster as compute "cluster" does. */
export const transientCompute: EmrCompute = {
  run: (req, ctx, deps) => (ctx.cfg.emr.clusterId ? runCluster(req, ctx, deps) : runEmrTransient(req, ctx, deps ?? {})),
  status: (ref, c) => clusterStatus(ref, c, latestRunClusterSettings),
  logs: (ref, c) => clusterLogs(ref, c, latestRunClusterSettings),
  ui: (ref, c) => clusterUi(ref, c, latestRunClusterSettings),
  cancel: transientCancel,
  // Each run creates its cluster: no cluster_id output (a --cluster-id is checked as compute "cluster" does).
  doctor: { outputs: ['logUri'], checks: async (c) => [await clusterCheck(c, 'compute transient: each run creates its cluster')] },
};
