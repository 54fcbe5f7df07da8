// emr target: upload the job to the code location, add a spark-submit step to the
// project's cluster, follow it, explain failures with the step's own logs.
import { AddJobFlowStepsCommand, DescribeClusterCommand, type Cluster, type EMRClient } from '@aws-sdk/client-emr';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildEmrStep, codeLocation, summaryUri } from '../argv/emr-step.js';
import { isS3Uri, parseS3Uri } from '../aws/s3-uri.js';
import { makeAwsClients, type AwsClients } from '../aws/clients.js';
import { formatElapsed } from '../platform/clock.js';
import { describeFailure, FINAL_STATES, waitForStep } from '../aws/emr-watch.js';
import { makeProgressView } from '../progress/progress-view.js';
import { readProgress } from '../progress/progress-source.js';
import { createPersistentUi, presignedUiUrl } from '../aws/spark-ui.js';
import { joinS3 } from '../aws/s3-uri.js';
import { envError, ExitCode, InterruptedError, jobError, usageError } from '../../config/errors.js';
import { fromAwsError, isNotFoundKey } from '../aws/errors.js';
import { locateJob, writeJobZip } from '../packaging/package-job.js';
import { DEPLOY_HINT, readStackOutputs, type StackOutputs } from '../aws/stack-outputs.js';
import { fetchStepLogs, tail } from '../aws/step-logs.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import type { Clock } from '../platform/clock.js';
import { describeSummary, jobArgvFor, summaryStatusExit, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';

export interface EmrSettings {
  clusterId: string;
  region?: string;
  outputs: StackOutputs;
}

/** Cluster id and region: flag/env/config first, then the stack outputs. */
export function resolveEmrSettings(cfg: RunnerConfig, outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack)): EmrSettings {
  const clusterId = cfg.emr.clusterId ?? outputs.clusterId;
  if (!clusterId) {
    throw usageError(`no EMR cluster id: ${cfg.emr.outputsFile} has no cluster_id; ${DEPLOY_HINT}, or pass --cluster-id / FRUITS_CLUSTER_ID`);
  }
  if (!/^j-[A-Z0-9]+$/i.test(clusterId)) throw usageError(`"${clusterId}" is not an EMR cluster id (j-XXXXXXXX)`, 'fix --cluster-id');
  return { clusterId, region: cfg.emr.region ?? outputs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION, outputs };
}

export function clientsFor(cfg: RunnerConfig, s: EmrSettings): AwsClients {
  if (!s.region) throw usageError('no AWS region', `set emr.region, AWS_REGION, or ${DEPLOY_HINT}`);
  return makeAwsClients({ region: s.region, endpoint: cfg.emr.endpoint });
}

const USABLE = new Set(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']);

/** DescribeCluster + a clear error when the cluster is gone or going. */
export async function checkCluster(emr: EMRClient, clusterId: string): Promise<Cluster> {
  let cluster: Cluster | undefined;
  try {
    cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster;
  } catch (e) {
    throw fromAwsError(e, `DescribeCluster ${clusterId}`);
  }
  const state = cluster?.Status?.State ?? 'UNKNOWN';
  if (!USABLE.has(state)) {
    const why = cluster?.Status?.StateChangeReason?.Message;
    throw envError(`cluster ${clusterId} is ${state}${why ? ` (${why})` : ''}`, `${DEPLOY_HINT} to get a running cluster, or pass --cluster-id`);
  }
  return cluster!;
}

export async function putFile(s3: S3Client, uri: string, file: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
  } catch (e) {
    throw fromAwsError(e, `uploading ${uri}`);
  }
}

export async function readJsonFromS3(s3: S3Client, uri: string): Promise<unknown | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  let text: string;
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await r.Body!.transformToString();
  } catch (e) {
    if (isNotFoundKey(e)) return undefined;
    throw fromAwsError(e, `reading ${uri}`);
  }
  return JSON.parse(text); // SyntaxError for a half-written file: the caller decides
}

/** summary.json, or undefined when it is missing or not JSON (a half-written or foreign file). */
async function readSummary(s3: S3Client, uri: string): Promise<unknown | undefined> {
  try {
    return await readJsonFromS3(s3, uri);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

export interface EmrDeps {
  clients?: AwsClients;
  outputs?: StackOutputs;
}

export async function runEmr(req: RunRequest, ctx: RunContext, deps: EmrDeps = {}): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  const settings = resolveEmrSettings(cfg, deps.outputs);
  const { outputs, clusterId } = settings;
  const input = req.input ?? outputs.inputUri;
  const output = req.output ?? outputs.resultsUri;
  if (!input || !isS3Uri(input)) throw usageError(`--input must be an s3:// URI for emr (got ${input ?? 'nothing'})`, `pass --input or ${DEPLOY_HINT}`);
  if (!output || !isS3Uri(output)) throw usageError(`--output must be an s3:// URI for emr (got ${output ?? 'nothing'})`, `pass --output or ${DEPLOY_HINT}`);
  const codeUri = cfg.emr.codeUri ?? outputs.codeUri;
  if (!codeUri) throw usageError('no code location', `set emr.codeUri or ${DEPLOY_HINT}`);
  const job = locateJob(cfg.jobDir);
  const code = codeLocation(codeUri, req.runId);
  const step = buildEmrStep({
    runId: req.runId,
    code,
    deployMode: cfg.emr.deployMode,
    actionOnFailure: cfg.emr.actionOnFailure,
    conf: { ...cfg.emr.sparkConf, ...req.conf },
    jobArgs: jobArgvFor(req, cfg, input, output),
  });
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

  const tmp = mkdtempSync(join(tmpdir(), 'fruits-emr-'));
  let stepId: string;
  try {
    const zip = join(tmp, 'fruits_job.zip');
    await writeJobZip(cfg.jobDir, zip);
    out.info(`fruits: uploading the job to ${code.prefix}`);
    await putFile(s3, code.runJobUri, job.runJob);
    await putFile(s3, code.zipUri, zip);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
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

export interface FollowArgs {
  emr: EMRClient;
  s3: S3Client;
  clusterId: string;
  stepId: string;
  logUri?: string;
  cfg: RunnerConfig;
  out: Output;
  clock: Clock;
  signal: AbortSignal;
  base: Record<string, unknown>;
  output?: string;
  runId?: string;
  /** Following a step started elsewhere (status --follow): Ctrl-C stops watching, never cancels. */
  detached?: boolean;
}

/** Wait for the step; print the outcome (summary, or failure details and logs). */
export async function followStep(a: FollowArgs): Promise<RunOutcome> {
  const view = makeProgressView(a.out, { clock: a.clock });
  const out = view.out; // on a terminal, lines go above the progress bar
  let last = '';
  let lastPrinted = -Infinity;
  const runFolder = a.output && a.runId ? joinS3(a.output, a.runId + '/') : undefined;
  const ui = sparkUiFollower(a, out);
  let progressError = false;
  const afterPoll = async (state: string) => {
    if (state === 'RUNNING') await ui.poll();
    if (!runFolder || progressError || !(state === 'RUNNING' || FINAL_STATES.has(state))) return;
    try {
      const p = await readProgress(runFolder, a.s3);
      if (p) view.update(p);
    } catch (e) {
      // Progress is a nicety: say once why it is missing, never fail the run for it.
      progressError = true;
      out.info(`fruits: no live progress (${(e as Error).message})`);
    }
  };
  const result = await waitForStep(a.emr, {
    clusterId: a.clusterId,
    stepId: a.stepId,
    pollMs: a.cfg.emr.pollSeconds * 1000,
    timeoutMs: a.cfg.emr.timeoutMinutes * 60_000,
    clock: a.clock,
    signal: a.signal,
    cancelOption: a.cfg.emr.cancelOption,
    afterPoll,
    cancelOnAbort: !a.detached,
    onProgress: ({ state, elapsedMs, note }) => {
      // A terminal gets one live line (the progress bar once the job reports); logs get a line per state change or minute.
      if (out.live && view.last && !note) return;
      if ((out.live && !view.last) || note || state !== last || elapsedMs - lastPrinted >= 60_000) {
        out.status(`[${formatElapsed(elapsedMs)}] step ${a.stepId} ${state}${note ? ` - ${note}` : ''}`);
        lastPrinted = elapsedMs;
      }
      last = state;
    },
  });
  view.stop();
  const data = { ...a.base, state: result.state, elapsedSeconds: Math.round(result.elapsedMs / 1000), ...(ui.url ? { sparkUi: ui.url } : {}) };
  if (result.stoppedWatching) {
    throw new InterruptedError(`stopped following step ${a.stepId}; it is still ${result.state} on ${a.clusterId} (fruits status ${a.stepId} --follow to follow it again)`);
  }
  if (result.cancelledByUs) {
    out.info(`fruits: step ${a.stepId} ${result.state}${result.cancelNote ? ` (${result.cancelNote})` : ''}`);
    throw new InterruptedError(`interrupted: step ${a.stepId} ${result.state === 'CANCELLED' ? 'cancelled' : `cancel requested, now ${result.state}`}`);
  }
  if (result.state === 'COMPLETED') {
    const sUri = a.output && a.runId ? summaryUri(a.output, a.runId) : undefined;
    if (!sUri) {
      // `status --wait` style follow-ups know no run folder: the step state is all there is.
      out.result({ ...data, exitCode: ExitCode.ok }, `step ${a.stepId} COMPLETED in ${formatElapsed(result.elapsedMs)}`);
      return { exitCode: ExitCode.ok, data };
    }
    // A COMPLETED step only means spark-submit returned 0; the job's own summary.json says
    // whether the run finished. No (readable) summary is a failure, not a success.
    const summary = await readSummary(a.s3, sUri);
    if (summary === undefined) {
      throw jobError(`step ${a.stepId} completed but no summary.json at ${sUri}: the job did not finish; see fruits logs ${a.stepId} --cluster-id ${a.clusterId}`);
    }
    const exitCode = summaryStatusExit(summary);
    out.result({ ...data, exitCode, summary }, `${describeSummary(summary)}\nsummary: ${sUri}`);
    return { exitCode, data };
  }
  // FAILED / CANCELLED (by someone else) / INTERRUPTED
  const failure = describeFailure(result.step);
  out.info(`fruits: step ${a.stepId} ${result.state}: ${failure}`);
  let logs: Awaited<ReturnType<typeof fetchStepLogs>> | undefined;
  if (a.logUri && result.state === 'FAILED') {
    logs = await fetchStepLogs(a.s3, {
      logUri: a.logUri, clusterId: a.clusterId, stepId: a.stepId, waitMs: a.cfg.emr.logWaitSeconds * 1000, clock: a.clock,
      onWait: (m) => out.status(`fruits: ${m}`),
    });
    if (logs.missing) out.info(`fruits: no step logs in ${logs.dir} yet; later: fruits logs ${a.stepId} --cluster-id ${a.clusterId}`);
    if (logs.stdout) out.info(`----- step stdout (last 50 lines) -----\n${tail(logs.stdout, 50)}`);
    if (logs.stderr) out.info(`----- step stderr (last 100 lines) -----\n${tail(logs.stderr, 100)}`);
    if (a.cfg.emr.deployMode === 'cluster') {
      out.info(`fruits: in cluster deploy mode the driver's own log is in ${a.logUri.replace(/\/?$/, '/')}${a.clusterId}/containers/<application id>/ (the id is in the stderr above)`);
    }
  } else if (!a.logUri) out.info('fruits: the cluster has no log URI, so there are no step logs to show');
  const why = result.state === 'INTERRUPTED' ? ' (the cluster was likely terminated or lost nodes)' : '';
  out.result({ ...data, exitCode: ExitCode.jobFailed, failure, logsDir: logs?.dir, stderrTail: logs?.stderr ? tail(logs.stderr, 100) : undefined },
    `step ${a.stepId} ${result.state}${why}: ${failure}`);
  return { exitCode: ExitCode.jobFailed, data };
}

/**
 * Prints the Spark UI link once the step runs: CreatePersistentAppUI once, then the presigned
 * URL as soon as EMR has it ready (a few polls at most). A refusal is one line, never a failure.
 */
function sparkUiFollower(a: FollowArgs, out: Output) {
  let id: string | undefined;
  let done = false;
  let tries = 0;
  const state = {
    url: undefined as string | undefined,
    async poll() {
      if (done) return;
      try {
        id ??= await createPersistentUi(a.emr, a.clusterId);
        const url = await presignedUiUrl(a.emr, id);
        if (url) {
          state.url = url;
          done = true;
          out.info(`fruits: Spark UI (link valid for a short time; fruits ui for a fresh one): ${url}`);
          out.event({ event: 'spark_ui', url, clusterId: a.clusterId });
        } else if (++tries >= 8) {
          done = true;
          out.info(`fruits: the Spark UI link is not ready yet; later: fruits ui --cluster-id ${a.clusterId}`);
        }
      } catch (e) {
        done = true;
        out.info(`fruits: no Spark UI link (${(e as Error).message})`);
      }
    },
  };
  return state;
}
