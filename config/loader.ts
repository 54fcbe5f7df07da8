// The one loader of fruits.config.json, for main.ts (the stacks) and the runner (`fruits`).
// Sources, later wins: defaults <- the file <- FRUITS_* environment <- flags (runner only).
// resolveConfig is pure (values in, typed config or a ConfigError out); loadConfig and
// readPublicKey are the thin side-effecting edge that reads files.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { ConfigError, type Problem } from './errors.js';
import { fieldRegistry, type FieldInfo } from './fields.js';
import { capacityProblem, operatorCidrCheck, parsePublicKey, privateKeyPathFor, REFUSED_FIELDS, releaseLabelProblem } from './rules.js';
import { configSchema, configSchemaFor, RUNNER_SECTIONS, type JobDefaults, type ParsedConfig } from './schema.js';
import { configKey, configOptions, defaultJobContract, exclusiveProblem, type JobContract } from './job-contract.js';

/** Everything in fruits.config.json, typed and validated. */
export type Config = Omit<ParsedConfig, 'stateRegion' | 'idleTimeoutMinutes' | 'capacity'> & {
  stateRegion: string;
  idleTimeoutMinutes: number;
  capacity: ParsedConfig['capacity'] & { masterTypes: string[]; coreTypes: string[] };
};
export type RunnerSection = (typeof RUNNER_SECTIONS)[number];
/** The stacks' part (top-level fields). */
export type FruitsConfig = Omit<Config, RunnerSection>;
/** The runner's part (its sections). */
export type RunnerConfig = Pick<Config, RunnerSection>;
export type { JobDefaults };
export type DeployMode = Config['emr']['deployMode'];
export type ActionOnFailure = Config['emr']['actionOnFailure'];
export type CancelOption = Config['emr']['cancelOption'];

export type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_CONFIG_FILE = 'fruits.config.json';

/** The checkout root (config/..): default file and default paths live there, whatever the cwd. */
export const repoRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Expand a leading ~ and resolve relative paths against `base`. */
export function resolveUserPath(path: string, base: string, home = homedir()): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? `${home}/${path.slice(2)}` : path;
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

export interface ConfigSources {
  /** Parsed content of the config file (undefined: no file). */
  file?: unknown;
  /** Where the file is: names it in errors; its relative paths are relative to its folder. */
  filePath?: string;
  env?: Env;
  /** Overrides by field path, e.g. { 'emr.clusterId': 'j-1' } (the runner's flags). */
  flags?: Record<string, unknown>;
  /** Checkout root: relative defaults (jobs, cdktf-outputs.json, fruits-runs) are relative to it. */
  root?: string;
  /** Folder that relative paths from the environment and flags are relative to. */
  cwd?: string;
  /** The job contract whose options make the job section (default: this checkout's). */
  contract?: JobContract;
}

type Source = 'default' | 'file' | 'env' | 'flag';
interface Leaf {
  path: string;
  info: FieldInfo;
}
type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
/** "$schema" and "//..." comment keys are allowed anywhere (they are no settings). */
const isComment = (key: string) => key.startsWith('$') || key.startsWith('//');

/** Object schema behind a section's .prefault({}). */
function sectionShape(schema: z.ZodType): Record<string, z.ZodType> {
  const inner = (schema as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def.innerType ?? schema;
  return (inner as unknown as { shape: Record<string, z.ZodType> }).shape;
}

/** Every field by dotted path, in schema order (sections hold one level of fields). */
export function configFields(schema: z.ZodObject = configSchema): Leaf[] {
  const out: Leaf[] = [];
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const info = fieldRegistry.get(field);
    if (info) {
      out.push({ path: key, info });
      continue;
    }
    for (const [sub, s] of Object.entries(sectionShape(field))) out.push({ path: `${key}.${sub}`, info: fieldRegistry.get(s)! });
  }
  return out;
}
interface SchemaParts {
  schema: z.ZodObject;
  FIELDS: Leaf[];
  FIELD_BY_PATH: Map<string, Leaf>;
  SECTIONS: Set<string>;
}
const partsCache = new WeakMap<JobContract, SchemaParts>();
/** The schema for a job contract (SECTIONS: the objects of settings, the runner's and the stacks' capacity/serverless) and its fields by path (built once per contract). */
function schemaParts(contract: JobContract): SchemaParts {
  let p = partsCache.get(contract);
  if (!p) {
    const schema = contract === defaultJobContract() ? configSchema : configSchemaFor(contract);
    const FIELDS = configFields(schema);
    const FIELD_BY_PATH = new Map(FIELDS.map((f) => [f.path, f]));
    p = { schema, FIELDS, FIELD_BY_PATH, SECTIONS: new Set<string>(Object.keys(schema.shape).filter((s) => !FIELD_BY_PATH.has(s))) };
    partsCache.set(contract, p);
  }
  return p;
}

function getPath(obj: Plain, path: string): unknown {
  return path.split('.').reduce<unknown>((cur, p) => (isPlain(cur) ? cur[p] : undefined), obj);
}
function setPath(obj: Plain, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Plain;
  cur[parts.at(-1)!] = value;
}

/** Strict text -> value for settings given as strings (env, flags, or quoted in the file). */
const WHOLE_NUMBER = /^\s*-?\d+\s*$/;
/** A whole number written in decimal digits, or undefined (never 0x16, 1e1 or 2.0, which Number() takes). */
export const parseWholeNumber = (text: string): number | undefined => (WHOLE_NUMBER.test(text) ? Number(text) : undefined);
const DECIMAL = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
function coerce(kind: FieldInfo['kind'], raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (kind === 'integer') return WHOLE_NUMBER.test(raw) ? Number(raw) : raw; // never 0x16, 1e1 or 2.0
  if (kind === 'number') return DECIMAL.test(raw) ? Number(raw) : raw;
  if (kind === 'boolean') {
    const s = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
    return raw;
  }
  if (kind === 'list') return raw.split(',').map((t) => t.trim()).filter((t) => t !== '');
  return kind === 'sparkConf' ? raw : raw.trim();
}

/** Unset: absent, null or empty (the example file leaves optional fields as ""). */
const isUnset = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** Why a value does not fit its field's type, in the one wording used for every source. */
function typeProblem(info: FieldInfo, raw: unknown): Problem {
  const got = `got ${JSON.stringify(raw)}`;
  switch (info.kind) {
    case 'integer':
      return { problem: `must be a whole number between ${info.min} and ${info.max}, ${got}` };
    case 'number':
      return info.minExclusive
        ? { problem: `must be a number above ${info.min} and at most ${info.max}, ${got}` }
        : { problem: `must be a number between ${info.min} and ${info.max}, ${got}` };
    case 'boolean':
      return { problem: `must be true or false, ${got}` };
    case 'enum':
      return { problem: `must be one of ${info.values!.join(', ')}, ${got}` };
    case 'sparkConf':
      return { problem: `must be an object of Spark settings with string, number or boolean values, ${got}` };
    case 'list':
      return { problem: `must be a list of 1 to ${info.max} names (comma-separated in the environment), ${got}` };
    default:
      return { problem: `must be a string, ${got}` };
  }
}

/** Checks the file's keys against the schema: a typo is refused, never silently ignored. */
function checkKeys(file: Plain, label: string, { FIELDS, FIELD_BY_PATH, SECTIONS }: SchemaParts): void {
  for (const [key, value] of Object.entries(file)) {
    if (isComment(key)) continue;
    if (FIELD_BY_PATH.has(key)) continue;
    if (!SECTIONS.has(key)) {
      const known = FIELDS.filter((f) => !f.path.includes('.')).map((f) => f.path).concat([...SECTIONS]);
      throw new ConfigError(`unknown field "${key}" in ${label}`, `known fields: ${known.join(', ')} (see fruits.config.schema.json)`);
    }
    if (isUnset(value)) continue;
    if (!isPlain(value)) throw new ConfigError(`"${key}" in ${label} must be an object of settings, got ${JSON.stringify(value)}`, 'see fruits.config.example.json');
    for (const sub of Object.keys(value)) {
      if (isComment(sub) || FIELD_BY_PATH.has(`${key}.${sub}`)) continue;
      const refused = REFUSED_FIELDS[`${key}.${sub}`];
      if (refused) throw ConfigError.at(`"${key}.${sub}" in ${label}`, refused);
      const known = FIELDS.filter((f) => f.path.startsWith(`${key}.`)).map((f) => f.path.slice(key.length + 1));
      throw new ConfigError(`unknown field "${key}.${sub}" in ${label}`, `known fields of "${key}": ${known.join(', ')} (see fruits.config.schema.json)`);
    }
  }
}

/**
 * Merge the sources, validate every field and return the typed config, or throw a
 * one-line ConfigError naming where the bad value came from: `"vm.port" in <file>`,
 * `FRUITS_VM_PORT`, or `"vm.port" (command-line flag)`.
 */
export function resolveConfig(src: ConfigSources = {}): Config {
  const env = src.env ?? {};
  const root = src.root ?? repoRoot();
  const cwd = src.cwd ?? process.cwd();
  const home = env.HOME || homedir();
  const label = src.filePath ?? DEFAULT_CONFIG_FILE;
  const fileDir = src.filePath === undefined ? undefined : dirname(resolve(cwd, src.filePath));
  if (src.file !== undefined && !isPlain(src.file)) {
    throw new ConfigError(`${label} must contain a JSON object of settings`, 'see fruits.config.example.json');
  }
  const file = (src.file ?? {}) as Plain;
  const contract = src.contract ?? defaultJobContract();
  const parts = schemaParts(contract);
  const { FIELDS, FIELD_BY_PATH, SECTIONS } = parts;
  checkKeys(file, label, parts);

  const input: Plain = Object.fromEntries([...SECTIONS].map((s) => [s, {}]));
  const origin = new Map<string, { source: Source; raw: unknown }>();
  for (const { path, info } of FIELDS) {
    const candidates: [Source, unknown][] = [
      ['flag', src.flags?.[path]],
      ['env', info.env ? env[info.env] : undefined],
      ['file', getPath(file, path)],
    ];
    const hit = candidates.find(([, v]) => !isUnset(v));
    if (!hit) continue;
    origin.set(path, { source: hit[0], raw: hit[1] });
    setPath(input, path, coerce(info.kind, hit[1]));
  }
  const at = (path: string): string => {
    const o = origin.get(path);
    if (o?.source === 'env') return FIELD_BY_PATH.get(path)!.info.env!;
    if (o?.source === 'flag') return `"${path}" (command-line flag)`;
    return `"${path}" in ${label}`;
  };
  const fail = (path: string, p: Problem): never => {
    throw ConfigError.at(at(path), p);
  };

  const parsed = parts.schema.safeParse(input) as z.ZodSafeParseResult<ParsedConfig>;
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.slice(0, 2).map(String).join('.');
    const field = FIELD_BY_PATH.get(path) ?? FIELD_BY_PATH.get(path.split('.')[0]!)!;
    if (issue.code === 'custom') return fail(field.path, { problem: issue.message, fix: (issue.params as { fix?: string } | undefined)?.fix });
    return fail(field.path, typeProblem(field.info, origin.get(field.path)?.raw));
  }
  const c = parsed.data;

  // Rules that involve two fields.
  if (c.operatorCidr !== undefined) {
    const r = operatorCidrCheck(c.operatorCidr, c.allowOpenSsh);
    c.operatorCidr = 'canonical' in r ? r.canonical : fail('operatorCidr', r);
  }
  // JupyterHub lives on the long-lived cluster: a run's cluster ends with the run, EMR Serverless has none.
  if (c.jupyterHub && c.compute !== 'cluster') {
    throw new ConfigError(`${at('jupyterHub')} is true, but compute "${c.compute}" has no long-lived cluster to run JupyterHub on`, 'set jupyterHub to false, or compute to "cluster"; explore a run locally with fruits notebook');
  }
  const release = releaseLabelProblem(c.releaseLabel, c.allowUnknownReleaseLabel);
  if (release) fail('releaseLabel', release);
  for (const [list, single] of [['capacity.masterTypes', 'masterInstanceType'], ['capacity.coreTypes', 'coreInstanceType']] as const) {
    if (origin.has(list) && origin.has(single)) throw new ConfigError(`${at(list)} and ${at(single)} are both set`, `set only ${list} (a list of interchangeable types)`);
  }
  const capacity = {
    ...c.capacity,
    masterTypes: c.capacity.masterTypes ?? [c.masterInstanceType],
    coreTypes: c.capacity.coreTypes ?? [c.coreInstanceType],
  };
  const capacityRule = capacityProblem(capacity, c.releaseLabel);
  if (capacityRule) fail(...capacityRule);
  const setJobFields = configOptions(contract).filter(([name]) => c.job[configKey(name)] !== undefined);
  const exclusive = exclusiveProblem(contract, Object.fromEntries(setJobFields.map(([name]) => [name, at(`job.${configKey(name)}`)])), 'set only one');
  if (exclusive) throw new ConfigError(exclusive.problem, exclusive.fix);

  // Paths: from the file relative to the file, from env/flags relative to the cwd, defaults to the checkout root (or the file).
  for (const { path, info } of FIELDS) {
    const value = getPath(c, path);
    if (typeof value !== 'string') continue;
    const source = origin.get(path)?.source ?? 'default';
    const base = source === 'env' || source === 'flag' ? cwd : source === 'default' && info.defaultRelativeTo !== 'file' ? root : (fileDir ?? cwd);
    if (info.kind === 'path') setPath(c, path, resolveUserPath(value, base, home));
    // The public key path is printed in the stack's SSH command, so ~ stays as written.
    if (info.kind === 'keyPath' && source === 'file' && fileDir && !value.startsWith('~') && !isAbsolute(value)) {
      setPath(c, path, resolve(fileDir, value));
    }
  }
  // The EMR key pair is the stacks' publicKeyPath: its private half is the natural tunnel key.
  if (c.tunnel.key === undefined && c.publicKeyPath !== undefined) c.tunnel.key = resolveUserPath(privateKeyPathFor(c.publicKeyPath), cwd, home);

  const config: Config = { ...c, capacity, idleTimeoutMinutes: c.idleTimeoutMinutes ?? (c.jupyterHub ? 60 : 20), stateRegion: c.stateRegion ?? c.region };
  SET_BY_USER.set(config, new Set(origin.keys()));
  return config;
}

/** The fields each resolved config got from its file, environment or flags (not a default). */
const SET_BY_USER = new WeakMap<object, ReadonlySet<string>>();

/**
 * Whether `path` ("compute", "vm.port") of this resolved config was set by the user rather than
 * left to its default; false for an object resolveConfig did not return (a copy, a test literal).
 */
export function setByUser(config: object, path: string): boolean {
  return SET_BY_USER.get(config)?.has(path) ?? false;
}

export interface LoadOptions {
  /** --config (runner); beats FRUITS_CONFIG. */
  configPath?: string;
  env?: Env;
  flags?: Record<string, unknown>;
  /** Folder that --config, FRUITS_CONFIG and env paths are relative to (default: process.cwd()). */
  cwd?: string;
  /** Checkout root holding the default fruits.config.json (default: this checkout). */
  root?: string;
  /** The job contract whose options make the job section (default: this checkout's). */
  contract?: JobContract;
}

/**
 * Side effect: finds and parses the config file, then resolveConfig. --config or
 * FRUITS_CONFIG (`~` expanded, relative to the cwd) must exist; without them
 * fruits.config.json at the checkout root is used when present, whatever the cwd.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const root = opts.root ?? repoRoot();
  const fromEnv = env.FRUITS_CONFIG?.trim();
  const explicit = opts.configPath ?? (fromEnv || undefined);
  const via = opts.configPath !== undefined ? '--config' : 'FRUITS_CONFIG';
  const path = explicit !== undefined ? resolveUserPath(explicit, cwd, env.HOME || homedir()) : join(root, DEFAULT_CONFIG_FILE);
  let file: unknown;
  if (existsSync(path)) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${path} is not valid JSON (${(e as Error).message.split('\n')[0]})`, 'fix it; compare it with fruits.config.example.json', { cause: e });
    }
  } else if (explicit !== undefined) {
    throw new ConfigError(`${via} points at ${path}, which does not exist`, `fix the path or unset ${via}`);
  }
  return resolveConfig({ file, filePath: file === undefined ? undefined : path, env, flags: opts.flags, root, cwd, contract: opts.contract });
}

/** fruits-emr's config: the operator's SSH source and key are set. */
export type EmrConfig = FruitsConfig & { operatorCidr: string; publicKeyPath: string };

/** Which operator setting fruits-emr is missing, with the fix, or undefined. */
export function operatorAccessProblem(config: FruitsConfig): Problem | undefined {
  if (!config.operatorCidr) {
    return {
      problem: 'operatorCidr is not set',
      fix: `set FRUITS_OPERATOR_CIDR=<your public IP>/32 or "operatorCidr" in ${DEFAULT_CONFIG_FILE} (copy fruits.config.example.json); it is the only address allowed to SSH to the master`,
    };
  }
  if (!config.publicKeyPath) {
    return {
      problem: 'publicKeyPath is not set',
      fix: `set FRUITS_PUBLIC_KEY_PATH=~/.ssh/id_ed25519.pub or "publicKeyPath" in ${DEFAULT_CONFIG_FILE} (create one with: ssh-keygen -t ed25519)`,
    };
  }
  return undefined;
}

/** fruits-emr opens SSH to the operator and installs their key: both must be set (fruits-state needs neither). */
export function requireOperatorAccess<C extends FruitsConfig>(config: C): C & EmrConfig {
  const p = operatorAccessProblem(config);
  if (p) throw new ConfigError(p.problem, p.fix);
  return config as C & EmrConfig;
}

/**
 * Side effect: read and validate the operator's public key; returns "type base64".
 * A relative path (from FRUITS_PUBLIC_KEY_PATH) is relative to cwd.
 */
export function readPublicKey(config: EmrConfig, options: { cwd?: string } = {}): string {
  const path = resolveUserPath(config.publicKeyPath, options.cwd ?? process.cwd());
  if (!existsSync(path)) {
    throw new ConfigError(
      `public key file ${path} does not exist`,
      `set FRUITS_PUBLIC_KEY_PATH (or "publicKeyPath") to your .pub file, or create one with: ssh-keygen -t ed25519 -f ${path.replace(/\.pub$/, '')}`,
    );
  }
  return parsePublicKey(readFileSync(path, 'utf8'), path);
}
