// What every target gets: the validated request, config, output and the Ctrl-C signal.
import type { Clock } from '../platform/clock.js';
import type { Config, RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { buildJobArgs, type JobArgs } from '../argv/spark-submit.js';
import { checkJobArgv, configKey, defaultJobContract, loadJobContract, runnerOptions, type JobContract, type JobOptionValues } from '../../config/job-contract.js';
import { ExitCode, type ExitCodeValue } from '../../config/errors.js';
import { makeProgressView, type ProgressView } from '../progress/progress-view.js';
import { parseProgressLine } from '../progress/run-progress.js';

export interface RunRequest {
  input?: string;
  output?: string;
  runId: string;
  /** Job options given as flags, by contract name (config defaults are filled in by jobArgsFor). */
  options: JobOptionValues;
  /** Passed through verbatim after the known options (args after `--`). */
  extra: string[];
  /** Extra Spark settings from --conf (merged over the target's sparkConf). */
  conf: Record<string, string>;
  dryRun: boolean;
  /** emr: wait for the step (default) or return after submitting. */
  wait: boolean;
}

/** What the look-ups on a started run need (status, logs, ui, cancel: no run request). */
export interface OpsContext {
  /** The CLI hands over the whole config (compute, capacity, serverless sections included). */
  cfg: RunnerConfig & Partial<Pick<Config, 'compute'>>;
  out: Output;
  clock: Clock;
  signal: AbortSignal;
  /** --dry-run: look up what the command would act on, change nothing (cancel). */
  dryRun?: boolean;
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

/**
 * Job options with the config defaults filled in (flags win; a config default yields to a flag
 * given for an option it is exclusive with), in contract order, with where each came from.
 */
export function jobOptionsFor(req: Pick<RunRequest, 'options'>, cfg: RunnerConfig, contract: JobContract): { options: JobOptionValues; sources: Record<string, string> } {
  const options: JobOptionValues = {};
  const sources: Record<string, string> = {};
  for (const [name, spec] of runnerOptions(contract)) {
    const flag = req.options[name];
    if (flag !== undefined) {
      options[name] = flag;
      continue;
    }
    if (!spec.runner.config) continue;
    const key = configKey(name);
    const value = cfg.job[key];
    const partnerGiven = (spec.exclusive_with ?? []).some((other) => req.options[other] !== undefined);
    if (value === undefined || value === false || partnerGiven) continue;
    options[name] = value === true ? true : value;
    sources[name] = `config job.${key}`;
  }
  return { options, sources };
}

/** The job's arguments as data: input, output, run id and the options (flags over config defaults). */
export function jobArgsFor(req: RunRequest, cfg: RunnerConfig, input: string, output: string, contract: JobContract = loadJobContract(cfg.jobDir)): JobArgs {
  return { input, output, runId: req.runId, options: jobOptionsFor(req, cfg, contract).options, extra: req.extra };
}

/**
 * The job's arguments (flags over config defaults, then the args after --), checked against the
 * job's contract in cfg.jobDir: what the job would refuse is refused here, before anything starts.
 */
export function jobArgvFor(req: RunRequest, cfg: RunnerConfig, input: string, output: string): string[] {
  const contract = loadJobContract(cfg.jobDir);
  const { options, sources } = jobOptionsFor(req, cfg, contract);
  const argv = buildJobArgs({ input, output, runId: req.runId, options, extra: req.extra });
  checkJobArgv(contract, argv, sources);
  return argv;
}

/** Exit code of the runner for a job's exit code (contract exit_codes: ok, usage, interrupted; anything else is a failure). */
export function exitForJob(code: number | undefined): ExitCodeValue {
  const job = defaultJobContract().exit_codes;
  if (code === job.ok) return ExitCode.ok;
  if (code === job.usage) return ExitCode.usage;
  if (code === job.interrupted) return ExitCode.interrupted; // the job stopped on SIGINT/SIGTERM/SIGHUP
  return ExitCode.jobFailed;
}

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
