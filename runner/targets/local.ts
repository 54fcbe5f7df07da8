// local target: this host's spark-submit in local mode, output streamed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSparkSubmitArgv, parseSummaryLine } from '../argv/spark-submit.js';
import { shJoin } from '../argv/ssh.js';
import { findJava, findPython, findSparkSubmit, JAVA_HINT } from '../platform/discover.js';
import { startProcess } from '../platform/process.js';
import { envError, ExitCode, InterruptedError, usageError } from '../../config/errors.js';
import { locateJob, writeJobZip } from '../packaging/package-job.js';
import { PROGRESS_LINES_ENV } from '../progress/run-progress.js';
import { awaitFinalSummary, summaryStatus, type SettledSummary } from '../progress/final-summary.js';
import { exitForJob, jobArgvFor, jobOutputRouter, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';
import type { Target } from './registry.js';
import { describeSummary, summaryStatusExit } from '../progress/run-summary.js';

const hasScheme = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);
export const toLocalPath = (p: string) => (p.startsWith('file://') ? fileURLToPath(p) : p);

export async function runLocal(req: RunRequest, ctx: RunContext): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  if (!req.input) throw usageError('missing --input', 'pass the image folder (<root>/<Split>/<Label>/*.jpg)');
  if (!req.output) throw usageError('missing --output', 'pass the folder that receives <run-id>/');
  const input = hasScheme(req.input) ? req.input : resolve(req.input);
  const output = hasScheme(req.output) ? req.output : resolve(req.output);
  if (!hasScheme(input) && !existsSync(input)) throw usageError(`input ${input} does not exist`, 'pass an existing image folder to --input');
  const job = locateJob(cfg.jobDir);
  const jobArgs = jobArgvFor(req, cfg, input, output);

  const python = findPython(cfg.local.python, ctx.root);
  const sparkSubmit = await findSparkSubmit(cfg.local.sparkSubmit, python);
  const env = { PYSPARK_PYTHON: python, PYSPARK_DRIVER_PYTHON: python, [PROGRESS_LINES_ENV]: '1' };
  const tmp = mkdtempSync(join(tmpdir(), 'fruits-local-'));
  try {
    const zip = join(tmp, 'fruits_job.zip');
    const argv = buildSparkSubmitArgv({
      sparkSubmit,
      master: cfg.local.master,
      conf: { ...cfg.local.sparkConf, ...req.conf },
      pyFiles: zip,
      script: job.runJob,
      jobArgs,
    });
    if (req.dryRun) {
      out.result({ target: 'local', runId: req.runId, env, argv }, `${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} ${shJoin(argv)}`);
      return { exitCode: ExitCode.ok, data: {} };
    }
    if (!findJava()) throw envError('java not found', JAVA_HINT);
    await writeJobZip(cfg.jobDir, zip);
    if (ctx.signal.aborted) throw new InterruptedError('interrupted before spark-submit started');
    out.info(`fruits: running ${req.runId} locally with ${sparkSubmit}`);
    let summaryUri: string | undefined;
    const lines = jobOutputRouter(ctx, (line) => (summaryUri = parseSummaryLine(line) ?? summaryUri));
    // Own process group, so Ctrl-C is handled here once: stop the whole Spark group.
    const proc = startProcess(argv, { env, detached: true, onStdoutLine: lines.onStdoutLine, onStderrLine: lines.onStderrLine });
    const onAbort = () => {
      lines.view.out.info('fruits: interrupted, stopping spark-submit');
      // SIGINT first (the Python driver sees KeyboardInterrupt), then TERM: background
      // children of a non-interactive shell ignore SIGINT. KILL as the last resort.
      killGroup(proc.pid, 'SIGINT');
      setTimeout(() => killGroup(proc.pid, 'SIGTERM'), 2_000).unref();
      setTimeout(() => killGroup(proc.pid, 'SIGKILL'), 15_000).unref();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const r = await proc.done;
    ctx.signal.removeEventListener('abort', onAbort);
    lines.view.stop();
    if (r.spawnError) throw envError(`cannot start ${sparkSubmit} (${r.spawnError})`, 'fix local.sparkSubmit / SPARK_HOME', { cause: r.spawnCause });
    // spark-submit (the JVM) can exit before its child, the Python driver, has written how the
    // run ended: wait for a final status while the job's process group lives (bounded).
    const where = summaryUri ?? (lines.view.last?.run_id === req.runId ? claimedSummaryUri(output, req.runId) : undefined);
    const path = where !== undefined && !hasScheme(where.replace(/^file:\/\//, '/')) ? toLocalPath(where) : undefined;
    const settled = path ? await awaitFinalSummary(async () => readJson(path), path, { clock: ctx.clock, writerAlive: () => groupAlive(proc.pid) }) : undefined;
    if (ctx.signal.aborted) throw new InterruptedError(`interrupted: spark-submit stopped (run ${req.runId} is incomplete)${recorded(path, settled)}`);
    return finish(req.runId, r.exitCode, where, settled, ctx);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function killGroup(pid: number | undefined, sig: NodeJS.Signals) {
  if (!pid) return;
  try {
    process.kill(-pid, sig);
  } catch {
    /* already gone */
  }
}

/** Where the job writes summary.json once it has claimed its run folder (its progress lines start after the claim). */
const claimedSummaryUri = (output: string, runId: string) => `${output.replace(/\/+$/, '')}/${runId}/summary.json`;

function readJson(path: string): unknown {
  try {
    return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as unknown) : undefined;
  } catch {
    return undefined; // not written yet (the job replaces it atomically, so this is a foreign file)
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The interrupted line's tail: what summary.json recorded, or why it says nothing final. */
function recorded(path: string | undefined, settled: SettledSummary | undefined): string {
  if (!path || !settled) return '';
  return settled.summary !== undefined ? `; summary: ${path} (status ${summaryStatus(settled.summary)})` : `; ${settled.note}`;
}

function finish(runId: string, code: number | undefined, summaryUri: string | undefined, settled: SettledSummary | undefined, ctx: RunContext): RunOutcome {
  const summary = settled?.summary;
  if (settled?.note) ctx.out.info(`fruits: ${settled.note}`);
  // An interrupted record wins over spark-submit's own code (the JVM exits 128+signal).
  const exitCode = summary !== undefined && (code === 0 || summaryStatus(summary) === 'interrupted') ? summaryStatusExit(summary) : exitForJob(code);
  const human = summary !== undefined ? `${describeSummary(summary)}\nsummary: ${summaryUri}` : `job exited with code ${code} (run ${runId}); see its output above`;
  ctx.out.result({ target: 'local', runId, exitCode, jobExitCode: code, summaryUri, summary }, human);
  return { exitCode, data: { summary } };
}

/** The local target (targets/registry.ts). */
export const localTarget: Target = {
  run: runLocal,
  doctor: async (cfg, ctx) => (await import('../doctor/local.js')).localChecks(cfg, ctx),
};
