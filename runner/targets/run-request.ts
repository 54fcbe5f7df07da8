// What every target gets: the validated request, config, output and the Ctrl-C signal.
import type { Clock } from '../platform/clock.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { buildJobArgs, type JobArgs } from '../argv/spark-submit.js';
import { checkJobArgv, loadJobContract } from '../job-contract.js';
import { ExitCode, type ExitCodeValue } from '../platform/errors.js';
import { makeProgressView, type ProgressView } from '../progress/progress-view.js';
import { parseProgressLine } from '../progress/run-progress.js';

export interface RunRequest extends Omit<JobArgs, 'input' | 'output'> {
  input?: string;
  output?: string;
  /** Extra Spark settings from --conf (merged over the target's sparkConf). */
  conf: Record<string, string>;
  dryRun: boolean;
  /** emr: wait for the step (default) or return after submitting. */
  wait: boolean;
}

export interface RunContext {
  cfg: RunnerConfig;
  out: Output;
  signal: AbortSignal;
  clock: Clock;
  root: string;
}

export interface RunOutcome {
  exitCode: ExitCodeValue;
  data: Record<string, unknown>;
}

/** Job options with the config defaults filled in (flags win). */
export function jobArgsFor(req: RunRequest, cfg: RunnerConfig, input: string, output: string): JobArgs {
  const k = req.k ?? (req.varianceTarget === undefined ? cfg.job.k : undefined);
  const varianceTarget = req.varianceTarget ?? (req.k === undefined ? cfg.job.varianceTarget : undefined);
  return {
    input,
    output,
    runId: req.runId,
    k,
    varianceTarget,
    weights: req.weights ?? cfg.job.weights,
    batchSize: req.batchSize ?? cfg.job.batchSize,
    overwrite: req.overwrite,
    extra: req.extra,
  };
}

/** Config paths of the job defaults, by job option (named in errors when a default is refused). */
const CONFIG_SOURCES: Record<string, keyof RunnerConfig['job']> = { k: 'k', 'variance-target': 'varianceTarget', weights: 'weights', 'batch-size': 'batchSize' };

/**
 * The job's arguments (flags over config defaults, then the args after --), checked against the
 * job's contract in cfg.jobDir: what the job would refuse is refused here, before anything starts.
 */
export function jobArgvFor(req: RunRequest, cfg: RunnerConfig, input: string, output: string): string[] {
  const argv = buildJobArgs(jobArgsFor(req, cfg, input, output));
  const fromFlag: Record<string, unknown> = { k: req.k, 'variance-target': req.varianceTarget, weights: req.weights, 'batch-size': req.batchSize };
  const fromConfig = Object.entries(CONFIG_SOURCES).filter(([o, path]) => fromFlag[o] === undefined && cfg.job[path] !== undefined);
  const sources = Object.fromEntries(fromConfig.map(([o, path]) => [o, `config job.${path}`]));
  checkJobArgv(loadJobContract(cfg.jobDir), argv, sources);
  return argv;
}

/** Exit code of the runner for a job's exit code (job: 0 ok, 2 bad input, else failure). */
export function exitForJob(code: number | undefined): ExitCodeValue {
  if (code === 0) return ExitCode.ok;
  if (code === 2) return ExitCode.usage;
  if (code === 130) return ExitCode.interrupted; // the job stopped on SIGINT/SIGTERM/SIGHUP
  return ExitCode.jobFailed;
}

interface Summary {
  status?: string;
  run_id?: string;
  output?: string;
  error?: string;
  counts?: { total_files?: number; featurized?: number; failed?: number };
  pca?: { k?: number; cumulative?: number[] };
  classifier?: {
    status?: string;
    evaluated?: boolean;
    accuracy?: number | null;
    test?: { images?: number };
    selected?: string;
    baseline?: { accuracy?: number | null };
    regression?: { accuracy?: number | null };
  };
}

/** The job keeps the nearest-centroid baseline when the regression did worse on Test (train.py). */
const BASELINE_KEPT = 'nearest centroid';

/** The classifier's part of the summary line (absent for runs made before the stage existed). */
function describeClassifier(c: Summary['classifier']): string {
  if (!c) return '';
  if (c.status !== 'trained') return '; no classifier';
  if (!c.evaluated || typeof c.accuracy !== 'number') return '; classifier trained, not evaluated (no Training/Test pair)';
  const on = `${c.accuracy.toFixed(3)} on ${c.test?.images ?? '?'} test images`;
  const regression = c.regression?.accuracy;
  if (c.selected === BASELINE_KEPT && typeof regression === 'number') {
    return `; CLASSIFIER WORSE THAN BASELINE: logistic regression ${regression.toFixed(3)}, kept the nearest-centroid baseline: accuracy ${on}`;
  }
  const baseline = c.baseline?.accuracy;
  return `; classifier accuracy ${on}${typeof baseline === 'number' ? ` (nearest-centroid baseline ${baseline.toFixed(3)})` : ''}`;
}

/** One human line about a summary.json. */
export function describeSummary(s: unknown): string {
  const x = (s ?? {}) as Summary;
  const c = x.counts ?? {};
  const cum = x.pca?.cumulative;
  const variance = cum && cum.length ? `, explained variance ${Number(cum[cum.length - 1]).toFixed(3)}` : '';
  const base = `run ${x.run_id ?? '?'} ${x.status ?? 'unknown'}: ${c.featurized ?? '?'}/${c.total_files ?? '?'} images featurized, ${c.failed ?? 0} failed; PCA k=${x.pca?.k ?? '?'}${variance}${describeClassifier(x.classifier)}`;
  return x.error ? `${base}; error: ${x.error}` : base;
}

export const summaryStatusExit = (s: unknown): ExitCodeValue => {
  const status = (s as Summary | undefined)?.status;
  return status === 'succeeded' ? ExitCode.ok : status === 'interrupted' ? ExitCode.interrupted : ExitCode.jobFailed;
};

/**
 * Streams a driver's output (local, vm): `FRUITS_PROGRESS` lines feed the progress view,
 * every other line is shown (above the bar on a terminal); onStdout sees the shown stdout lines.
 */
export function jobOutputRouter(ctx: Pick<RunContext, 'out' | 'clock'>, onStdout?: (line: string) => void) {
  const view: ProgressView = makeProgressView(ctx.out, { clock: ctx.clock });
  return {
    view,
    onStdoutLine: (line: string) => {
      const p = parseProgressLine(line);
      if (p) return view.update(p);
      onStdout?.(line);
      view.out.jobLine(line);
    },
    onStderrLine: (line: string) => {
      const p = parseProgressLine(line);
      if (p) return view.update(p);
      view.out.info(line);
    },
  };
}
