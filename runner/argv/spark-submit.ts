// Pure builders for the job invocation shared by every target (see contracts.md):
// spark-submit [conf] --py-files fruits_job.zip run_job.py --input .. --output .. [options]
import { randomBytes } from 'node:crypto';
import { usageError } from '../../config/errors.js';

export interface JobArgs {
  input: string;
  output: string;
  runId: string;
  k?: number;
  varianceTarget?: number;
  weights?: string;
  batchSize?: number;
  overwrite?: boolean;
  /** Passed through verbatim after the known options (args after `--`). */
  extra?: string[];
}

/** The job's --run-id pattern (contract.json; test/unit/config/job-contract.test.ts checks they agree): the
 * runner puts the run id in paths (code/<run-id>/) before the contract is read, so it checks it here too. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Same default as the job: run-YYYYMMDD-HHMMSS-<6 random hex> in UTC, so two runs started
 * in the same second never share a folder (the job's atomic claim refuses it anyway). */
export function newRunId(now: Date, suffix: string = randomBytes(3).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `run-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}-${suffix}`;
}

export function buildJobArgs(a: JobArgs): string[] {
  if (!RUN_ID_RE.test(a.runId)) throw usageError(`bad --run-id "${a.runId}"`, `use letters, digits, '.', '_' or '-'`);
  if (a.k !== undefined && a.varianceTarget !== undefined) throw usageError('--k and --variance-target are exclusive', 'pass only one');
  const args = ['--input', a.input, '--output', a.output, '--run-id', a.runId];
  if (a.k !== undefined) args.push('--k', String(a.k));
  if (a.varianceTarget !== undefined) args.push('--variance-target', String(a.varianceTarget));
  if (a.weights !== undefined) args.push('--weights', a.weights);
  if (a.batchSize !== undefined) args.push('--batch-size', String(a.batchSize));
  if (a.overwrite) args.push('--overwrite');
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

export const SUMMARY_MARKER = 'FRUITS_RUN_SUMMARY';

/** Finds the summary URI in a line of driver stdout (`FRUITS_RUN_SUMMARY <uri>`). */
export function parseSummaryLine(line: string): string | undefined {
  const m = new RegExp(`^\\s*${SUMMARY_MARKER}\\s+(\\S.*?)\\s*$`).exec(line);
  return m?.[1];
}
