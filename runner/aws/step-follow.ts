// Following an EMR step to its end: live progress from the run folder, the Spark UI link, Ctrl-C
// cancelling (or, detached, only stopping the watch), then the run's summary or the step's logs.
// Shared by the emr target (fruits run emr) and fruits status --follow.
import type { EMRClient } from '@aws-sdk/client-emr';
import type { S3Client } from '@aws-sdk/client-s3';
import { summaryUri } from '../argv/emr-step.js';
import { joinS3 } from './s3-uri.js';
import { formatElapsed, type Clock } from '../platform/clock.js';
import { describeFailure, FINAL_STATES, waitForStep } from './emr-watch.js';
import { makeProgressView } from '../progress/progress-view.js';
import { readProgress } from '../progress/progress-source.js';
import { createPersistentUi, presignedUiUrl } from './spark-ui.js';
import { ExitCode, InterruptedError, jobError, type ExitCodeValue } from '../../config/errors.js';
import { readJsonFromS3 } from './emr-settings.js';
import { fetchStepLogs, tail } from './step-logs.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { describeSummary, summaryStatusExit } from '../progress/run-summary.js';

/** What a followed step ended as (the run command returns its exitCode). */
export interface FollowOutcome {
  exitCode: ExitCodeValue;
  data: Record<string, unknown>;
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
export async function followStep(a: FollowArgs): Promise<FollowOutcome> {
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
