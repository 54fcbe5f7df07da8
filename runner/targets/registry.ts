// The targets of `fruits run <target>`, in one list. Each is one module exposing a Target; the entry
// here names it, lists its flags (its group in `fruits run --help`) and loads it on use (so the AWS
// SDK loads only for AWS targets). A new target is one module plus one line in TARGETS.
import type { RunnerConfig } from '../../config/index.js';
import { usageError, type ExitCodeValue } from '../../config/errors.js';
import type { OpsContext, RunContext, RunOutcome, RunRequest } from './run-request.js';
import type { Check, DoctorContext } from '../doctor/check.js';

/**
 * What a target does; only `run` is required. Targets whose runs live on a remote service (emr)
 * also answer the look-up commands on a started run: status, logs, ui and cancel take the run's
 * reference on that service (an EMR step id, a job run id, a run id) and return the exit code.
 */
export interface Target {
  /**
   * Starts the job and, unless req.wait is false, follows it to the end (progress, Ctrl-C cancels it,
   * the summary line). With req.dryRun: prints the plan (commands, uploads, steps) and does nothing.
   */
  run(req: RunRequest, ctx: RunContext): Promise<RunOutcome>;
  /** Checks the target's settings before anything starts (a one-line usage/environment error). */
  validate?(cfg: RunnerConfig): void;
  /**
   * `fruits doctor`'s checks of what this target needs (tools, settings, reachability), each miss with
   * its fix; no AWS or ssh call with ctx.offline. Without it doctor says the target has none of its own.
   */
  doctor?(cfg: RunnerConfig, ctx: DoctorContext): Promise<Check[]>;
  /** One run's state (with --follow: followed to its end), or the latest runs without a reference. */
  status?(ref: string | undefined, c: OpsContext & { follow: boolean }): Promise<ExitCodeValue>;
  /** The driver's logs of a started run. */
  logs?(ref: string | undefined, c: OpsContext & { waitSeconds: number }): Promise<ExitCodeValue>;
  /** A Spark UI link. */
  ui?(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue>;
  /** Stops a started run. */
  cancel?(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue>;
}

export interface TargetEntry {
  /** `fruits run <name>`, `fruits doctor --target <name>`. */
  name: string;
  /**
   * The flags of this target, shown as its group in `fruits run --help`. A flag listed only by other
   * targets is refused for this one (foreignFlagProblem); the job's and the common flags are every target's.
   */
  options: string[];
  load(): Promise<Target>;
}

const EMR_AT = ['cluster-id', 'region', 'outputs-file'];

/** Every target, in help order. */
export const TARGETS: readonly TargetEntry[] = [
  { name: 'local', options: ['spark-submit', 'python', 'master'], load: async () => (await import('./local.js')).localTarget },
  { name: 'vm', options: ['host', 'user', 'port', 'key', 'spark-submit', 'python', 'master'], load: async () => (await import('./vm.js')).vmTarget },
  { name: 'emr', options: [...EMR_AT, 'deploy-mode', 'action-on-failure', 'no-wait', 'timeout-minutes'], load: async () => (await import('./emr.js')).emrTarget },
];

export const targetNames = (): string[] => TARGETS.map((t) => t.name);

/** The entry of a target name, or a usage error naming the known ones. */
export function targetEntry(name: string | undefined, what = 'target'): TargetEntry {
  const t = TARGETS.find((e) => e.name === name);
  if (!t) throw usageError(`unknown ${what} "${name}"`, `use ${listText(targetNames())}`);
  return t;
}

/**
 * Pure: the first of the given flags that only other targets list (a flag this target would drop
 * silently), as the problem and fix of a usage error; undefined when every flag applies.
 */
export function foreignFlagProblem(target: string, flags: readonly string[], targets: readonly TargetEntry[] = TARGETS): { problem: string; fix: string } | undefined {
  const own = new Set(targets.find((t) => t.name === target)?.options);
  for (const flag of flags) {
    if (own.has(flag)) continue;
    const owners = targets.filter((t) => t.options.includes(flag)).map((t) => t.name);
    if (!owners.length) continue; // a job or common flag
    return {
      problem: `--${flag} is a flag of target${owners.length > 1 ? 's' : ''} ${listText(owners, 'and')}, not ${target}`,
      fix: `drop it, or run ${owners.map((o) => `"fruits run ${o} ..."`).join(' or ')}`,
    };
  }
  return undefined;
}

/** "local, vm or emr" (or "local, vm and emr"). */
export const listText = (names: string[], last: 'or' | 'and' = 'or'): string => (names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${last} ${names.at(-1)}`);
