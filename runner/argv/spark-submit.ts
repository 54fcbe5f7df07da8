// Pure builders for the job invocation shared by every target (see contracts.md):
// spark-submit [conf] --py-files fruits_job.zip run_job.py --input .. --output .. [options]
import { randomBytes } from 'node:crypto';
import { usageError } from '../../config/errors.js';
import { defaultJobContract, runIdPattern, type JobOptionValues } from '../../config/job-contract.js';

export interface JobArgs {
  input: string;
  output: string;
  runId: string;
  /** Job options by contract name, in the order they are passed (a flag is `true`). */
  options?: JobOptionValues;
  /** Passed through verbatim after the known options (args after `--`). */
  extra?: string[];
}

/** The job's --run-id pattern, from the contract: the runner puts the run id in paths
 * (code/<run-id>/) before a custom jobDir's contract is read, so it checks it here too. */
export const RUN_ID_RE = runIdPattern(defaultJobContract());

/** Same default as the job: run-YYYYMMDD-HHMMSS-<6 random hex> in UTC, so two runs started
 * in the same second never share a folder (the job's atomic claim refuses it anyway). */
export function newRunId(now: Date, suffix: string = randomBytes(3).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `run-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${suffix}`;
}

/** The job's argv: --input, --output, --run-id, then every option as data (no per-option code). */
export function buildJobArgs(a: JobArgs): string[] {
  if (!RUN_ID_RE.test(a.runId)) throw usageError(`bad --run-id "${a.runId}"`, `use letters, digits, '.', '_' or '-'`);
  const args = ['--input', a.input, '--output', a.output, '--run-id', a.runId];
  for (const [name, value] of Object.entries(a.options ?? {})) {
    if (value === true) args.push(`--${name}`);
    else args.push(`--${name}`, String(value));
  }
  return [...args, ...(a.extra ?? [])];
}

export interface SparkSubmitSpec {
  sparkSubmit: string;
  master?: string;
  deployMode?: 'client' | 'cluster';
  conf?: Record<string, string>;
  pyFiles?: string;
  script: string;
  jobArgs: string[];
}

export function buildSparkSubmitArgv(s: SparkSubmitSpec): string[] {
  const argv = [s.sparkSubmit];
  if (s.master) argv.push('--master', s.master);
  if (s.deployMode) argv.push('--deploy-mode', s.deployMode);
  for (const [k, v] of Object.entries(s.conf ?? {}).sort(([a], [b]) => a.localeCompare(b))) argv.push('--conf', `${k}=${v}`);
  if (s.pyFiles) argv.push('--py-files', s.pyFiles);
  return [...argv, s.script, ...s.jobArgs];
}

/** `--conf k=v` flags -> map; rejects malformed entries. */
export function parseConfFlags(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw usageError(`bad --conf "${v}"`, 'use --conf key=value, e.g. --conf spark.driver.memory=4g');
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** The job's `FRUITS_RUN_SUMMARY <uri>` stdout marker (contract markers.summary). */
export const SUMMARY_MARKER = defaultJobContract().markers.summary;

/** Finds the summary URI in a line of driver stdout (`FRUITS_RUN_SUMMARY <uri>`). */
export function parseSummaryLine(line: string): string | undefined {
  const m = new RegExp(`^\\s*${SUMMARY_MARKER}\\s+(\\S.*?)\\s*$`).exec(line);
  return m?.[1];
}
