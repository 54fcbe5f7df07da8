// status, logs and ui for compute "serverless": the same commands, on a job run of the stack's
// EMR Serverless application instead of a step of the cluster.
import { GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { driverLogText } from '../aws/serverless-logs.js';
import { ExitCode, FruitsError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { fromAwsError } from '../aws/errors.js';
import { dashboardUrl, followJobRun, resolveServerlessSettings, serverlessClients } from '../targets/emr-serverless.js';
import type { OpsContext } from './status-logs-ui.js';

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
