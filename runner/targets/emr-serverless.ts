// emr target with compute "serverless": upload the job, start an EMR Serverless job run (the run
// id as client token), follow it with the job's progress.json, cancel it on Ctrl-C, print the
// Spark UI link, and on failure the tail of the driver's stderr. Kept under `fruits run emr`
// because the job, its options, its S3 locations and the outputs file are the same: only the
// compute under them changes, and the stack's config decides which (docs/serverless.md).
import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  ListJobRunsCommand,
  paginateListJobRuns,
  StartJobRunCommand,
  type JobRun,
} from '@aws-sdk/client-emr-serverless';
import type { S3Client } from '@aws-sdk/client-s3';
import { runName, STEP_ID, summaryUri } from '../argv/emr-step.js';
import { makeAwsClients } from '../aws/clients.js';
import { joinS3 } from '../aws/s3-uri.js';
import { DEPLOY_HINT, outputsLack, readStackOutputs, regionOf, requireRegion, type StackOutputs } from '../aws/stack-outputs.js';
import { runLocations, uploadJob } from '../aws/job-upload.js';
import { tail } from '../aws/step-logs.js';
import { formatElapsed } from '../platform/clock.js';
import { ExitCode, FruitsError, InterruptedError, jobError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { fromAwsError } from '../aws/errors.js';
import { readProgress } from '../progress/progress-source.js';
import { makeProgressView } from '../progress/progress-view.js';
import { driverLogText } from '../aws/serverless-logs.js';
import { checkApplication } from '../aws/serverless-app.js';
import { buildStartJobRun, FINAL_JOB_RUN_STATES, SERVERLESS_DEFAULT_WEIGHTS_FILE } from '../serverless/job-run.js';
import { readJsonFromS3 } from '../aws/emr-settings.js';
import { describeSummary, summaryStatusExit } from '../progress/run-summary.js';
import { jobArgvFor, type OpsContext, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';
import type { EmrCompute, EmrDoctorContext } from './emr-compute.js';
import { awsMiss, type Check } from '../doctor/check.js';
import { defaultJobContract, runIdPattern } from '../../config/job-contract.js';
import type { Config, RunnerConfig } from '../../config/index.js';
import { serverlessCostLine } from '../cost/estimate.js';

export interface ServerlessSettings {
  applicationId: string;
  executionRoleArn: string;
  logUri: string;
  region?: string;
  outputs: StackOutputs;
}

export interface ServerlessClients {
  serverless: EMRServerlessClient;
  s3: S3Client;
}

/** The application, role and log location of the stack's outputs (compute "serverless"). */
export function resolveServerlessSettings(cfg: RunnerConfig, outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack)): ServerlessSettings {
  const { serverlessApplicationId: applicationId, serverlessJobRoleArn: executionRoleArn, serverlessLogUri: logUri } = outputs;
  if (!applicationId || !executionRoleArn || !logUri) {
    throw usageError(outputsLack(cfg.emr.outputsFile, 'serverless_application_id, serverless_job_role_arn and serverless_log_uri outputs'), `deploy with compute "serverless": ${DEPLOY_HINT}`);
  }
  return { applicationId, executionRoleArn, logUri, region: regionOf(cfg, outputs), outputs };
}

export function serverlessClients(cfg: RunnerConfig, regionOrNone: string | undefined): ServerlessClients {
  const region = requireRegion(regionOrNone);
  const endpoint = cfg.emr.endpoint ? { endpoint: cfg.emr.endpoint } : {};
  return {
    serverless: new EMRServerlessClient({ region, maxAttempts: 8, retryMode: 'adaptive', ...endpoint }),
    s3: makeAwsClients({ region, endpoint: cfg.emr.endpoint }).s3,
  };
}

export interface ServerlessDeps {
  clients?: ServerlessClients;
  outputs?: StackOutputs;
}

export async function runEmrServerless(req: RunRequest, ctx: RunContext, deps: ServerlessDeps = {}): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  const s = resolveServerlessSettings(cfg, deps.outputs);
  const { input, output, job, code } = runLocations(req, cfg, s.outputs);
  // The image has no TensorFlow: the converted featurizer in models/ is the default (docs/serverless.md).
  const given = req.options.weights ?? cfg.job.weights;
  const weights = typeof given === 'string' ? given : (s.outputs.weightsUri ? joinS3(s.outputs.weightsUri, SERVERLESS_DEFAULT_WEIGHTS_FILE) : undefined);
  if (!weights) throw usageError('no weights for a serverless run', `pass --weights s3://.../${SERVERLESS_DEFAULT_WEIGHTS_FILE} or ${DEPLOY_HINT}`);
  const request = buildStartJobRun({
    applicationId: s.applicationId,
    executionRoleArn: s.executionRoleArn,
    runId: req.runId,
    code,
    jobArgs: jobArgvFor({ ...req, options: { ...req.options, weights } }, cfg, input, output),
    conf: { ...cfg.emr.sparkConf, ...req.conf },
    logUri: s.logUri,
    timeoutMinutes: cfg.emr.timeoutMinutes,
  });
  // The CLI hands over the whole config: the application's maximum bounds the cost.
  const app = (cfg as Partial<Pick<Config, 'serverless'>>).serverless;
  if (app) out.info(serverlessCostLine({ maxVcpu: app.maxVcpu, maxMemoryGb: app.maxMemoryGb, region: s.region ?? 'us-east-1' }));
  if (req.dryRun) {
    const plan = { target: 'emr', compute: 'serverless', runId: req.runId, region: s.region, upload: { [job.runJob]: code.runJobUri, 'fruits_job.zip': code.zipUri }, startJobRun: request };
    out.result(plan, JSON.stringify(plan, null, 2));
    return { exitCode: ExitCode.ok, data: {} };
  }
  const { serverless, s3 } = deps.clients ?? serverlessClients(cfg, s.region);
  await checkApplication(serverless, s.applicationId);

  await uploadJob(s3, cfg.jobDir, { job, code }, out);
  if (ctx.signal.aborted) throw new InterruptedError(`interrupted before the job run was started (code left in ${code.prefix})`);
  let jobRunId: string;
  try {
    jobRunId = (await serverless.send(new StartJobRunCommand(request))).jobRunId ?? '';
    if (!jobRunId) throw new Error('StartJobRun returned no job run id');
  } catch (e) {
    throw fromAwsError(e, `StartJobRun on ${s.applicationId}`);
  }
  out.info(`fruits: job run ${jobRunId} on EMR Serverless application ${s.applicationId} (client token ${req.runId})`);
  const base = { target: 'emr', compute: 'serverless', runId: req.runId, applicationId: s.applicationId, jobRunId, summaryUri: summaryUri(output, req.runId) };
  if (!req.wait) {
    out.result({ ...base, state: 'SUBMITTED' }, `job run ${jobRunId} started; follow it with: fruits status ${jobRunId} --follow`);
    return { exitCode: ExitCode.ok, data: base };
  }
  return followJobRun({ serverless, s3, applicationId: s.applicationId, jobRunId, logUri: s.logUri, cfg, ctx, base, runFolder: joinS3(output, req.runId + '/'), sUri: base.summaryUri });
}

export interface FollowJobRunArgs {
  serverless: EMRServerlessClient;
  s3: S3Client;
  applicationId: string;
  jobRunId: string;
  logUri: string;
  cfg: RunnerConfig;
  ctx: Pick<RunContext, 'out' | 'clock' | 'signal'>;
  base: Record<string, unknown>;
  runFolder?: string;
  sUri?: string;
  /** Following a run started elsewhere (status --follow): Ctrl-C stops watching, never cancels. */
  detached?: boolean;
}

async function getJobRun(a: FollowJobRunArgs): Promise<JobRun> {
  try {
    const r = await a.serverless.send(new GetJobRunCommand({ applicationId: a.applicationId, jobRunId: a.jobRunId }));
    if (!r.jobRun) throw new Error('GetJobRun returned no job run');
    return r.jobRun;
  } catch (e) {
    throw fromAwsError(e, `GetJobRun ${a.jobRunId}`);
  }
}

/** The Spark UI link of a running job run (GetDashboardForJobRun), or undefined with the reason printed. */
export async function dashboardUrl(serverless: EMRServerlessClient, applicationId: string, jobRunId: string): Promise<string> {
  try {
    const url = (await serverless.send(new GetDashboardForJobRunCommand({ applicationId, jobRunId }))).url;
    if (!url) throw new Error('GetDashboardForJobRun returned no url');
    return url;
  } catch (e) {
    throw fromAwsError(e, `GetDashboardForJobRun ${jobRunId}`);
  }
}

/** Polls the job run to its end; progress from S3; Ctrl-C cancels it (CancelJobRun) unless detached. */
export async function followJobRun(a: FollowJobRunArgs): Promise<RunOutcome> {
  const { clock, signal } = a.ctx;
  const view = makeProgressView(a.ctx.out, { clock });
  const out = view.out;
  const started = clock.now();
  const pollMs = a.cfg.emr.pollSeconds * 1000;
  let run = await getJobRun(a);
  let lastState = '';
  let uiUrl: string | undefined;
  let uiTried = false;
  let progressError = false;
  let cancelled = false;
  for (;;) {
    const state = run.state ?? 'UNKNOWN';
    if (state !== lastState) out.status(`[${formatElapsed(clock.now() - started)}] job run ${a.jobRunId} ${state}`);
    lastState = state;
    if (state === 'RUNNING' && !uiTried) {
      uiTried = true;
      try {
        uiUrl = await dashboardUrl(a.serverless, a.applicationId, a.jobRunId);
        out.info(`fruits: Spark UI (link valid for a short time; fruits ui ${a.jobRunId} for a fresh one): ${uiUrl}`);
        out.event({ event: 'spark_ui', url: uiUrl, jobRunId: a.jobRunId });
      } catch (e) {
        out.info(`fruits: no Spark UI link (${(e as Error).message})`);
      }
    }
    if (a.runFolder && !progressError && (state === 'RUNNING' || FINAL_JOB_RUN_STATES.has(state))) {
      try {
        const p = await readProgress(a.runFolder, a.s3);
        if (p) view.update(p);
      } catch (e) {
        progressError = true;
        out.info(`fruits: no live progress (${(e as Error).message})`);
      }
    }
    if (FINAL_JOB_RUN_STATES.has(state)) break;
    if (signal.aborted && !cancelled) {
      if (a.detached) {
        view.stop();
        throw new InterruptedError(`stopped following job run ${a.jobRunId}; it is still ${state} (fruits status ${a.jobRunId} --follow to follow it again)`);
      }
      cancelled = true;
      out.info(`fruits: cancelling job run ${a.jobRunId} (CancelJobRun)`);
      try {
        await a.serverless.send(new CancelJobRunCommand({ applicationId: a.applicationId, jobRunId: a.jobRunId }));
      } catch (e) {
        view.stop();
        throw fromAwsError(e, `CancelJobRun ${a.jobRunId}`);
      }
    }
    if (a.cfg.emr.timeoutMinutes > 0 && clock.now() - started > a.cfg.emr.timeoutMinutes * 60_000 && !cancelled) {
      view.stop();
      throw jobError(`stopped waiting after ${a.cfg.emr.timeoutMinutes} minutes; job run ${a.jobRunId} is still ${state}`, `fruits status ${a.jobRunId} --follow`);
    }
    // After a cancel request the signal stays aborted: sleep without it so the wait still happens.
    await clock.sleep(pollMs, cancelled ? undefined : signal);
    run = await getJobRun(a);
  }
  view.stop();
  const state = run.state!;
  const data = { ...a.base, state, elapsedSeconds: Math.round((clock.now() - started) / 1000), ...(uiUrl ? { sparkUi: uiUrl } : {}) };
  if (cancelled) {
    a.ctx.out.info(`fruits: job run ${a.jobRunId} ${state}`);
    throw new InterruptedError(`interrupted: job run ${a.jobRunId} ${state === 'CANCELLED' ? 'cancelled' : `cancel requested, now ${state}`}`);
  }
  if (state === 'SUCCESS' && a.sUri) {
    let summary: unknown;
    try {
      summary = await readJsonFromS3(a.s3, a.sUri);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
    }
    if (summary === undefined) throw jobError(`job run ${a.jobRunId} succeeded but no summary.json at ${a.sUri}: the job did not finish; see fruits logs ${a.jobRunId}`);
    const exitCode = summaryStatusExit(summary);
    a.ctx.out.result({ ...data, exitCode, summary }, `${describeSummary(summary)}\nsummary: ${a.sUri}`);
    return { exitCode, data };
  }
  if (state === 'SUCCESS') {
    a.ctx.out.result({ ...data, exitCode: ExitCode.ok }, `job run ${a.jobRunId} SUCCESS in ${formatElapsed(clock.now() - started)}`);
    return { exitCode: ExitCode.ok, data };
  }
  const failure = run.stateDetails ?? 'no details';
  a.ctx.out.info(`fruits: job run ${a.jobRunId} ${state}: ${failure}`);
  const logs = await driverLogText(a.s3, { logUri: a.logUri, applicationId: a.applicationId, jobRunId: a.jobRunId, waitMs: a.cfg.emr.logWaitSeconds * 1000, clock, onWait: (m) => a.ctx.out.status(`fruits: ${m}`) });
  if (logs.stderr) a.ctx.out.info(`----- driver stderr (last 100 lines) -----\n${tail(logs.stderr, 100)}`);
  else a.ctx.out.info(`fruits: no driver logs in ${logs.dir} yet; later: fruits logs ${a.jobRunId}`);
  a.ctx.out.result({ ...data, exitCode: ExitCode.jobFailed, failure, logsDir: logs.dir, stderrTail: logs.stderr ? tail(logs.stderr, 100) : undefined },
    `job run ${a.jobRunId} ${state}: ${failure}`);
  return { exitCode: ExitCode.jobFailed, data };
}

// ----- status, logs, ui and cancel of a job run -----

const JOB_RUN_ID = /^[0-9a-z]{16}$/;

function context(c: OpsContext, jobRunId: string | undefined, required: boolean) {
  if (required && !jobRunId) throw usageError('missing job run id', 'see fruits status');
  if (jobRunId && !JOB_RUN_ID.test(jobRunId)) throw usageError(`"${jobRunId}" is not an EMR Serverless job run id (16 characters a-z0-9)`, 'see fruits status');
  const s = resolveServerlessSettings(c.cfg);
  return { s, clients: serverlessClients(c.cfg, s.region) };
}

/** `fruits status [job-run-id] [--follow]`: one job run (followed), or the latest ones. */
export async function serverlessStatus(jobRunId: string | undefined, c: OpsContext & { follow: boolean }): Promise<ExitCodeValue> {
  if (c.follow && !jobRunId) throw usageError('--follow needs a job run id', 'fruits status <job-run-id> --follow');
  const { s, clients } = context(c, jobRunId, false);
  if (jobRunId) {
    // --follow on an ended run still gives its outcome (summary, or failure with the driver's stderr).
    if (c.follow) {
      return (await followJobRun({ ...clients, applicationId: s.applicationId, jobRunId, logUri: s.logUri, cfg: c.cfg, ctx: c, base: { applicationId: s.applicationId, jobRunId }, detached: true })).exitCode;
    }
    let run;
    try {
      run = (await clients.serverless.send(new GetJobRunCommand({ applicationId: s.applicationId, jobRunId }))).jobRun;
    } catch (e) {
      throw fromAwsError(e, `GetJobRun ${jobRunId}`);
    }
    c.out.result({ applicationId: s.applicationId, jobRun: { id: jobRunId, name: run?.name, state: run?.state, details: run?.stateDetails } },
      `job run ${jobRunId} (${run?.name ?? ''}) ${run?.state ?? 'UNKNOWN'}${run?.stateDetails ? `: ${run.stateDetails}` : ''}`);
    return ExitCode.ok;
  }
  let runs;
  try {
    runs = (await clients.serverless.send(new ListJobRunsCommand({ applicationId: s.applicationId, maxResults: 10 }))).jobRuns ?? [];
  } catch (e) {
    throw fromAwsError(e, `ListJobRuns ${s.applicationId}`);
  }
  const lines = runs.map((r) => `${r.id}  ${r.state}  ${r.name ?? ''}`);
  c.out.result({ applicationId: s.applicationId, jobRuns: runs.map((r) => ({ id: r.id, name: r.name, state: r.state })) },
    [`application ${s.applicationId}`, ...(lines.length ? lines : ['no job runs'])].join('\n'));
  return ExitCode.ok;
}

/** `fruits logs <job-run-id>`: the driver's stdout/stderr from the logs bucket. */
export async function serverlessLogs(jobRunId: string | undefined, c: OpsContext & { waitSeconds: number }): Promise<ExitCodeValue> {
  const { s, clients } = context(c, jobRunId, true);
  const l = await driverLogText(clients.s3, { logUri: s.logUri, applicationId: s.applicationId, jobRunId: jobRunId!, waitMs: c.waitSeconds * 1000, clock: c.clock, onWait: (m) => c.out.status(`fruits: ${m}`) });
  if (l.stderr === undefined && l.stdout === undefined) {
    throw new FruitsError(`no driver logs for ${jobRunId} in ${l.dir}`, ExitCode.environment, { fix: 'EMR Serverless uploads them while the run goes and shortly after it ends; retry with --wait-seconds 300' });
  }
  c.out.result({ ...l }, [`----- stdout (${l.dir}stdout.gz) -----`, l.stdout ?? '(none)', `----- stderr (${l.dir}stderr.gz) -----`, l.stderr ?? '(none)'].join('\n'));
  return ExitCode.ok;
}

/** `fruits ui <job-run-id>`: the job run's Spark UI link (GetDashboardForJobRun). */
export async function serverlessUi(jobRunId: string | undefined, c: OpsContext): Promise<ExitCodeValue> {
  const { s, clients } = context(c, jobRunId, true);
  const url = await dashboardUrl(clients.serverless, s.applicationId, jobRunId!);
  c.out.result({ applicationId: s.applicationId, jobRunId, url }, `Spark UI of job run ${jobRunId} (valid for a short time): ${url}`);
  return ExitCode.ok;
}

/** The job run started for a run id (named runName(run-id), argv/emr-step.ts), newest first. */
async function jobRunOfRunId(serverless: EMRServerlessClient, applicationId: string, runId: string): Promise<string | undefined> {
  try {
    for await (const page of paginateListJobRuns({ client: serverless }, { applicationId })) {
      const hit = (page.jobRuns ?? []).find((r) => r.name === runName(runId));
      if (hit?.id) return hit.id;
    }
  } catch (e) {
    throw fromAwsError(e, `ListJobRuns ${applicationId}`);
  }
  return undefined;
}

/** `fruits cancel <job-run-id|run-id>`: CancelJobRun (the driver gets SIGTERM and records the run as interrupted). */
export async function serverlessCancel(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue> {
  if (ref && STEP_ID.test(ref)) throw usageError(`"${ref}" is an EMR step id, and compute is "serverless"`, 'fruits cancel <job-run-id|run-id> (see fruits status)');
  const byRunId = ref !== undefined && !JOB_RUN_ID.test(ref) && runIdPattern(defaultJobContract()).test(ref);
  const { s, clients } = context(c, byRunId ? undefined : ref, !byRunId);
  const jobRunId = byRunId ? await jobRunOfRunId(clients.serverless, s.applicationId, ref) : ref;
  if (!jobRunId) {
    c.out.result({ ref, cancelled: false }, `no job run of run ${ref} on application ${s.applicationId}: nothing to cancel`);
    return ExitCode.ok;
  }
  let run;
  try {
    run = (await clients.serverless.send(new GetJobRunCommand({ applicationId: s.applicationId, jobRunId }))).jobRun;
  } catch (e) {
    throw fromAwsError(e, `GetJobRun ${jobRunId}`);
  }
  const state = run?.state ?? 'UNKNOWN';
  if (FINAL_JOB_RUN_STATES.has(state)) {
    c.out.result({ applicationId: s.applicationId, jobRunId, state, cancelled: false }, `job run ${jobRunId} already ended (${state}): nothing to cancel`);
    return ExitCode.ok;
  }
  if (c.dryRun) {
    c.out.result({ applicationId: s.applicationId, jobRunId, state, cancelled: false, dryRun: true }, `would cancel job run ${jobRunId} (${state}) (CancelJobRun); nothing done (--dry-run)`);
    return ExitCode.ok;
  }
  try {
    await clients.serverless.send(new CancelJobRunCommand({ applicationId: s.applicationId, jobRunId }));
  } catch (e) {
    throw fromAwsError(e, `CancelJobRun ${jobRunId}`);
  }
  c.out.result({ applicationId: s.applicationId, jobRunId, state, cancelled: true }, `cancel requested for job run ${jobRunId} (was ${state}); see fruits status ${jobRunId}`);
  return ExitCode.ok;
}

/** doctor: the application exists and runs the job image (GetApplication). */
async function applicationCheck(c: EmrDoctorContext): Promise<Check> {
  const base = { area: 'emr', name: 'serverless application' };
  const applicationId = c.outputs.serverlessApplicationId;
  if (c.offline) return { ...base, status: 'skip', detail: '--offline' };
  if (!applicationId) return { ...base, status: 'skip', detail: 'no serverless_application_id output' };
  const client = new EMRServerlessClient({ region: c.region ?? 'us-east-1', ...(c.cfg.emr.endpoint ? { endpoint: c.cfg.emr.endpoint } : {}) });
  try {
    const app = await checkApplication(client, applicationId);
    return { ...base, status: 'ok', detail: `${applicationId} ${app.state} (${app.imageConfiguration?.imageUri})` };
  } catch (e) {
    return awsMiss(base, e, 'check AWS_PROFILE / permissions (emr-serverless:GetApplication)');
  } finally {
    client.destroy();
  }
}

/** compute "serverless" (emr-compute.ts). */
export const serverlessCompute: EmrCompute = {
  run: (req, ctx, deps) => runEmrServerless(req, ctx, { outputs: deps?.outputs }),
  status: serverlessStatus,
  logs: serverlessLogs,
  ui: serverlessUi,
  cancel: serverlessCancel,
  // Job runs log under serverless_log_uri: no cluster, no cluster log_uri.
  doctor: { outputs: ['serverlessApplicationId', 'serverlessJobRoleArn', 'serverlessLogUri'], checks: async (c) => [await applicationCheck(c)] },
};
