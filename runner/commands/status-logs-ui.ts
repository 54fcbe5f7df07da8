// status, logs and ui: look-ups on the project's EMR cluster (and following a step).
import type { Clock } from '../platform/clock.js';
import type { Config, RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { describeClusterBrief } from '../aws/cluster-info.js';
import { runFolderFromStepArgs } from '../argv/emr-step.js';
import { ExitCode, FruitsError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { FINAL_STATES } from '../aws/emr-watch.js';
import { sparkUiLink } from '../aws/spark-ui.js';
import { describeStep, formatStepLine, stepLogs } from '../aws/step-status.js';
import { clientsFor, resolveEmrSettings } from '../aws/emr-settings.js';
import { followStep } from '../aws/step-follow.js';
import { boolFlag, intFlag, type CommandHandler, type CommandContext } from './handler.js';

export interface OpsContext {
  /** The CLI hands over the whole config: its compute mode picks cluster steps or serverless job runs. */
  cfg: RunnerConfig & Partial<Pick<Config, 'compute'>>;
  out: Output;
  clock: Clock;
  signal: AbortSignal;
}

const STEP_ID = /^s-[A-Z0-9]+$/i;
const GONE = new Set(['TERMINATING', 'TERMINATED', 'TERMINATED_WITH_ERRORS']);

function checkStepId(stepId: string | undefined): void {
  if (stepId && !STEP_ID.test(stepId)) throw usageError(`"${stepId}" is not an EMR step id (s-XXXXXXXX)`);
}

async function emrContext(cfg: RunnerConfig) {
  // compute "transient": no cluster_id output; the latest run's cluster unless --cluster-id says otherwise.
  const { transientRunSettings } = await import('../targets/emr-transient.js');
  const s = (await transientRunSettings(cfg)) ?? resolveEmrSettings(cfg);
  return { s, clients: clientsFor(cfg, s) };
}

/** `fruits status [step-id] [--follow]`: the cluster's state, then one step (and its run's progress) or the latest steps. */
export async function status(stepId: string | undefined, c: OpsContext & { follow: boolean }): Promise<ExitCodeValue> {
  if (c.cfg.compute === 'serverless') return (await import('./serverless-ops.js')).serverlessStatus(stepId, c);
  checkStepId(stepId);
  if (c.follow && !stepId) throw usageError('--follow needs a step id', 'fruits status <step-id> --follow');
  const { s, clients } = await emrContext(c.cfg);
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
    ? `no steps listed: the cluster is ${cluster.state}; ${'deploy a new one (npx cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)'}`
    : `no steps on ${s.clusterId}`;
  const human = [clusterLine, ...(steps.length ? steps.map(formatStepLine) : [noSteps])].join('\n');
  c.out.result({ clusterId: s.clusterId, cluster: { state: cluster.state, reason: cluster.stateReason, name: cluster.name }, steps }, human);
  return ExitCode.ok;
}

/**
 * `fruits logs <step-id> [--wait-seconds N]`: the step's stdout/stderr. Logs not there (yet)
 * is exit 3 (environment): EMR uploads them every few minutes, nothing is wrong with the command.
 */
export async function logs(stepId: string | undefined, c: OpsContext & { waitSeconds: number }): Promise<ExitCodeValue> {
  if (c.cfg.compute === 'serverless') return (await import('./serverless-ops.js')).serverlessLogs(stepId, c);
  if (!stepId) throw usageError('missing step id', 'fruits logs <step-id> (see fruits status)');
  checkStepId(stepId);
  const { s, clients } = await emrContext(c.cfg);
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
export async function ui(c: OpsContext, jobRunId?: string): Promise<ExitCodeValue> {
  if (c.cfg.compute === 'serverless') return (await import('./serverless-ops.js')).serverlessUi(jobRunId, c);
  if (jobRunId) throw usageError(`unexpected argument "${jobRunId}"`, 'fruits ui takes a job run id only with compute "serverless"');
  const { s, clients } = await emrContext(c.cfg);
  const link = await sparkUiLink(clients.emr, s.clusterId, { clock: c.clock, signal: c.signal });
  c.out.result({ clusterId: s.clusterId, ...link }, `Spark UI of ${s.clusterId} (presigned, valid for a short time): ${link.url}`);
  return ExitCode.ok;
}

function noExtraArgs(c: CommandContext, max: number): void {
  if (c.args.length > max) throw usageError(`unexpected argument "${c.args[max]}" (see fruits ${c.command} --help)`);
}
const opsOf = (c: CommandContext): OpsContext => ({ cfg: c.cfg, out: c.out, clock: c.clock, signal: c.signal });

/** `fruits status [step-id]`, `fruits logs <step-id>`, `fruits ui` (command table handlers). */
export const handleStatus: CommandHandler = async (c) => (noExtraArgs(c, 1), status(c.args[0], { ...opsOf(c), follow: boolFlag(c, 'follow') }));
export const handleLogs: CommandHandler = async (c) => (noExtraArgs(c, 1), logs(c.args[0], { ...opsOf(c), waitSeconds: intFlag(c, 'wait-seconds', 0, 3600) ?? 0 }));
export const handleUi: CommandHandler = async (c) => (noExtraArgs(c, 1), ui(opsOf(c), c.args[0]));
