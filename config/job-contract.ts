// The job's contract (<jobDir>/fruits_job/contract.json, owned by the job): its options with
// types, ranges, choices and patterns. The runner reads it from the job dir it ships and refuses
// what the job would refuse before anything starts (no spark-submit, ssh, upload or EMR step).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError, type Problem } from './errors.js';

export interface JobOptionSpec {
  type: 'integer' | 'number' | 'string' | 'flag';
  help: string;
  required?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  min_exclusive?: boolean;
  max_exclusive?: boolean;
  choices?: string[];
  /** Must match the whole value (same syntax in Python re and JavaScript RegExp). */
  pattern?: string;
  pattern_text?: string;
  exclusive_with?: string[];
  dest?: string;
  hint?: string;
  /** Present when the option is also a flag of `fruits run` (and, with `config`, a default in fruits.config.json's job section). */
  runner?: RunnerOptionSpec;
}

export interface RunnerOptionSpec {
  /** Placeholder in help, e.g. "N". */
  value?: string;
  /** The flag's help line; {range} becomes the option's range and default. */
  help: string;
  /** Description of the config field job.<camelCaseName> (absent: no config default). */
  config?: string;
  /** The flag replaces an existing run folder: the runner's own copy of a run (the VM's, brought home) may be replaced too. */
  replaces_run_folder?: boolean;
}

/** What the job names by meaning: its exit codes and stdout markers. */
export type JobExitMeaning = 'ok' | 'failed' | 'usage' | 'tensorflow_missing' | 'interrupted';

export interface JobContract {
  contract_version: number;
  options: Record<string, JobOptionSpec>;
  markers: { summary: string; progress: string; progress_lines_env: string };
  exit_codes: Record<JobExitMeaning, number>;
  run_folder: { files: Record<string, { path: string; when: string; description: string }> };
  summary: { file: string; printed: string[]; fields: Record<string, { when: string; fields?: string[] }> };
}

/** A job option's value as the runner passes it: a number, a string, or true for a given flag. */
export type JobOptionValue = number | string | true;
/** Job options by contract name (e.g. { k: 20, weights: 'imagenet', overwrite: true }). */
export type JobOptionValues = Record<string, JobOptionValue>;

export const CONTRACT_VERSION = 1;

export const contractPath = (jobDir: string): string => join(jobDir, 'fruits_job', 'contract.json');

/** Side effect: reads and checks <jobDir>/fruits_job/contract.json (one-line usage errors). */
export function loadJobContract(jobDir: string): JobContract {
  const path = contractPath(jobDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw usageError(`job contract ${path} not found`, "set jobDir / FRUITS_JOB_DIR to the folder holding run_job.py and fruits_job/ (of this checkout's version)");
  }
  let c: JobContract;
  try {
    c = JSON.parse(text) as JobContract;
  } catch (e) {
    throw usageError(`cannot parse the job contract ${path} (${(e as Error).message.split('\n')[0]})`, 'restore it from the checkout', { cause: e });
  }
  if (c?.contract_version !== CONTRACT_VERSION || typeof c.options !== 'object') {
    throw usageError(`the job contract ${path} has version ${JSON.stringify(c?.contract_version)}, this runner reads ${CONTRACT_VERSION}`, 'use the runner and the job of one checkout');
  }
  return c;
}

/** This checkout's job folder: the default jobDir (config's `jobs` at the checkout root). */
export const DEFAULT_JOB_DIR = fileURLToPath(new URL('../jobs', import.meta.url));

let defaultContract: JobContract | undefined;
/**
 * This checkout's contract, read once per process: the config schema's `job` section and the
 * command table's help both describe the default job with it (a custom jobDir's contract is
 * read by the run itself).
 */
export function defaultJobContract(): JobContract {
  return (defaultContract ??= loadJobContract(DEFAULT_JOB_DIR));
}

/** The options that are `fruits run` flags, in contract order. */
export const runnerOptions = (c: JobContract): [string, JobOptionSpec & { runner: RunnerOptionSpec }][] =>
  Object.entries(c.options).filter((e): e is [string, JobOptionSpec & { runner: RunnerOptionSpec }] => e[1].runner !== undefined);

/** The config field of a job option (fruits.config.json job.<this>): batch-size -> batchSize. */
/** Whether the request's options ask to replace an existing run folder (the option marked runner.replaces_run_folder). */
export const replacesRunFolder = (c: JobContract, options: JobOptionValues): boolean =>
  runnerOptions(c).some(([name, s]) => s.runner.replaces_run_folder === true && options[name] === true);

export const configKey = (option: string): string => option.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** The options that have a config default (job.<configKey>), in contract order. */
export const configOptions = (c: JobContract) => runnerOptions(c).filter(([, s]) => s.runner.config !== undefined);

/** "an integer between 1 and 4096, default 64": an option's range and default as the help states them. */
export function rangeAndDefault(s: JobOptionSpec): string {
  return `${describeRange(s)}${s.default !== undefined && s.default !== null ? `, default ${String(s.default)}` : ''}`;
}

/** The `fruits run` help line of a job option. */
export const runnerHelp = (s: JobOptionSpec & { runner: RunnerOptionSpec }): string => s.runner.help.replace('{range}', () => rangeAndDefault(s));

/** The --run-id pattern as a whole-value RegExp. */
export const runIdPattern = (c: JobContract): RegExp => new RegExp(`^(?:${c.options['run-id']!.pattern})$`);

/**
 * The one exclusivity rule (contract exclusive_with): given the options that are set, each with
 * the label to name it by, the first exclusive pair as a problem, or undefined. The config loader,
 * the run command and the job argv check all ask this.
 */
export function exclusiveProblem(c: JobContract, given: Record<string, string>, fix: string): Problem | undefined {
  for (const [name, s] of Object.entries(c.options)) {
    for (const other of s.exclusive_with ?? []) {
      if (name < other && given[name] !== undefined && given[other] !== undefined) return { problem: `${given[name]} and ${given[other]} are exclusive`, fix };
    }
  }
  return undefined;
}

const num = (n: number) => String(n);

/** "an integer between 1 and 4096", "an integer of at least 1", "a number in (0, 1]". */
export function describeRange(s: JobOptionSpec): string {
  const { min, max } = s;
  const lo = s.min_exclusive ?? false, hi = s.max_exclusive ?? false;
  if (s.type === 'integer' && !lo && !hi) {
    if (min !== undefined && max !== undefined) return `an integer between ${num(min)} and ${num(max)}`;
    if (min !== undefined) return `an integer of at least ${num(min)}`;
    if (max !== undefined) return `an integer of at most ${num(max)}`;
    return 'an integer';
  }
  const what = s.type === 'integer' ? 'an integer' : 'a number';
  if (min === undefined && max === undefined) return what;
  const left = min === undefined ? '(-inf' : `${lo ? '(' : '['}${num(min)}`;
  const right = max === undefined ? 'inf)' : `${num(max)}${hi ? ')' : ']'}`;
  return `${what} in ${left}, ${right}`;
}

export function inRange(s: JobOptionSpec, n: number): boolean {
  if (Number.isNaN(n)) return false;
  if (s.min !== undefined && (s.min_exclusive ? n <= s.min : n < s.min)) return false;
  if (s.max !== undefined && (s.max_exclusive ? n >= s.max : n > s.max)) return false;
  return true;
}

// What Python's int() and float() accept (argparse's type=int / type=float): surrounding
// spaces, a sign, digit groups with single underscores; float also inf/nan and exponents.
const DIGITS = String.raw`\d+(?:_\d+)*`;
const PY_INT = new RegExp(String.raw`^\s*[+-]?${DIGITS}\s*$`);
const PY_FLOAT = new RegExp(String.raw`^\s*[+-]?(?:(?:${DIGITS})?\.?${DIGITS}|${DIGITS}\.)(?:[eE][+-]?${DIGITS})?\s*$|^\s*[+-]?(?:inf|infinity|nan)\s*$`, 'i');

function toNumber(raw: string): number {
  const t = raw.trim().replace(/_/g, '').toLowerCase().replace(/^([+-]?)inf(inity)?$/, '$1Infinity');
  return t.endsWith('nan') ? NaN : Number(t);
}

/**
 * Pure: one option value as the job would take it, or a one-line usage error naming the flag
 * and what it accepts. `source` names where a value came from when not from a flag.
 */
export function parseJobOption(c: JobContract, name: string, raw: string, source?: string): number | string {
  const s = c.options[name];
  if (!s) throw usageError(`--${name} is not an option of the job`, 'see python run_job.py --help for its options');
  const who = source ? `${source} (--${name})` : `--${name}`;
  if (s.type === 'integer' || s.type === 'number') {
    const ok = (s.type === 'integer' ? PY_INT : PY_FLOAT).test(raw);
    const n = ok ? toNumber(raw) : NaN;
    if (!ok || !inRange(s, n)) {
      throw usageError(`${who} must be ${describeRange(s)}, got "${raw}"${s.hint ? ` (${s.hint})` : ''}`);
    }
    return n;
  }
  if (s.choices && !s.choices.includes(raw)) throw usageError(`${who} must be one of ${s.choices.join(', ')}, got "${raw}"`);
  if (s.pattern !== undefined && !new RegExp(`^(?:${s.pattern})$`).test(raw)) {
    throw usageError(`${who} must be ${s.pattern_text ?? `like ${s.pattern}`}, got "${raw}"`);
  }
  return raw;
}

/** Pure: parses a flag's value (undefined: not given) with the job's rules. */
export function jobFlag(c: JobContract, name: string, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : (parseJobOption(c, name, raw) as number);
}

/**
 * Pure: the job's argv (`--name value` / `--flag` / `--name=value`) checked as the job's argparse
 * and range checks would: unknown options, missing values, flags with values, exclusive and
 * required options, types, ranges, choices and patterns. `sources` names where the first value
 * of an option came from (e.g. { 'batch-size': 'config job.batchSize' }; a repeat after -- is the
 * user's). Throws a one-line usage error.
 */
export function checkJobArgv(c: JobContract, argv: readonly string[], sources: Record<string, string> = {}): void {
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('--') || token === '--') {
      throw usageError(`unexpected job argument "${token}"`, 'the job takes only --name value options (see python run_job.py --help)');
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const s = c.options[name];
    if (!s) throw usageError(`--${name} is not an option of the job`, 'see python run_job.py --help for its options');
    const source = seen.has(name) ? undefined : sources[name];
    seen.add(name);
    if (s.type === 'flag') {
      if (eq >= 0) throw usageError(`--${name} takes no value, got "${token}"`);
      continue;
    }
    let raw: string | undefined;
    if (eq >= 0) raw = token.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) raw = argv[++i];
    if (raw === undefined) throw usageError(`--${name} needs a value (see python run_job.py --help)`);
    parseJobOption(c, name, raw, source);
  }
  for (const [name, s] of Object.entries(c.options)) {
    if (s.required && !seen.has(name)) throw usageError(`the job needs --${name}`);
  }
  const given = Object.fromEntries([...seen].map((n) => [n, sources[n] ? `${sources[n]} (--${n})` : `--${n}`]));
  const p = exclusiveProblem(c, given, 'pass only one');
  if (p) throw usageError(p.problem, p.fix);
}
