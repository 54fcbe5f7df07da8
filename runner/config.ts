// The runner's configuration: defaults <- fruits.config.json <- FRUITS_* env <- flags.
// Typed and validated once here (the edge); everything downstream trusts the result.
import { readFileSync, existsSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from './platform/errors.js';
import { BATCH_SIZE_MAX } from './argv/spark-submit.js';
import { CONFIG_FIELDS as STACK_FIELDS, privateKeyPathFor } from '../stacks/config.js';
import { resolveUserPath } from '../stacks/config-loader.js';

export type DeployMode = 'client' | 'cluster';
export type ActionOnFailure = 'CONTINUE' | 'CANCEL_AND_WAIT' | 'TERMINATE_CLUSTER';
export type CancelOption = 'SEND_INTERRUPT' | 'TERMINATE_PROCESS';

export interface JobDefaults {
  k?: number;
  varianceTarget?: number;
  weights?: string;
  batchSize?: number;
}

export interface RunnerConfig {
  /** Folder holding run_job.py and the fruits_job/ package. */
  jobDir: string;
  /** Default job options; flags win. */
  job: JobDefaults;
  local: { sparkSubmit?: string; python?: string; master: string; sparkConf: Record<string, string> };
  vm: {
    host?: string;
    user: string;
    port: number;
    key?: string;
    knownHosts?: string;
    strictHostKeyChecking: 'yes' | 'accept-new';
    /** code/<run-id>/ folders kept on the VM (the newest; older ones are removed after each run). */
    keepCodeRuns: number;
    workDir: string;
    sparkSubmit: string;
    python: string;
    master: string;
    sparkConf: Record<string, string>;
    summaryDir: string;
    connectTimeoutSeconds: number;
  };
  emr: {
    clusterId?: string;
    region?: string;
    outputsFile: string;
    stack: string;
    codeUri?: string;
    logUri?: string;
    deployMode: DeployMode;
    actionOnFailure: ActionOnFailure;
    cancelOption: CancelOption;
    pollSeconds: number;
    timeoutMinutes: number;
    logWaitSeconds: number;
    endpoint?: string;
    sparkConf: Record<string, string>;
  };
  tunnel: { key?: string; user: string; port: number; masterDns?: string };
  upload: { concurrency: number };
}

/** The repository root (runner/..), so the runner works from any cwd. */
export const repoRoot = (): string => resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const defaultConfig = (root = repoRoot()): RunnerConfig => ({
  jobDir: resolve(root, 'jobs'),
  job: { k: undefined, varianceTarget: undefined, weights: undefined, batchSize: undefined },
  local: { sparkSubmit: undefined, python: undefined, master: 'local[*]', sparkConf: {} },
  vm: {
    host: undefined,
    key: undefined,
    knownHosts: undefined,
    user: 'ubuntu',
    port: 22,
    strictHostKeyChecking: 'yes',
    keepCodeRuns: 5,
    workDir: '~/fruits',
    // Laid down by bootstrap/vm-setup.sh.
    sparkSubmit: '/opt/spark/bin/spark-submit',
    python: '/opt/fruits/venv/bin/python',
    master: 'local[*]',
    sparkConf: {},
    summaryDir: 'fruits-runs',
    connectTimeoutSeconds: 10,
  },
  emr: {
    clusterId: undefined,
    region: undefined,
    codeUri: undefined,
    logUri: undefined,
    endpoint: undefined,
    // Looked up in the checkout (not the cwd), so the runner works from any folder of it.
    outputsFile: resolve(root, 'cdktf-outputs.json'),
    stack: 'fruits-emr',
    deployMode: 'client',
    actionOnFailure: 'CONTINUE',
    cancelOption: 'SEND_INTERRUPT',
    pollSeconds: 15,
    timeoutMinutes: 0,
    logWaitSeconds: 300,
    sparkConf: {},
  },
  tunnel: { key: undefined, masterDns: undefined, user: 'hadoop', port: 8157 },
  upload: { concurrency: 8 },
});

/** Environment variables the runner reads, mapped to config paths. */
export const ENV_KEYS: Record<string, string> = {
  FRUITS_JOB_DIR: 'jobDir',
  FRUITS_SPARK_SUBMIT: 'local.sparkSubmit',
  FRUITS_PYTHON: 'local.python',
  FRUITS_VM_HOST: 'vm.host',
  FRUITS_VM_USER: 'vm.user',
  FRUITS_VM_PORT: 'vm.port',
  FRUITS_VM_KEY: 'vm.key',
  FRUITS_VM_KNOWN_HOSTS: 'vm.knownHosts',
  FRUITS_VM_WORKDIR: 'vm.workDir',
  FRUITS_VM_SPARK_SUBMIT: 'vm.sparkSubmit',
  FRUITS_VM_PYTHON: 'vm.python',
  FRUITS_CLUSTER_ID: 'emr.clusterId',
  // Shared with the stacks (stacks/config.ts): the region they deploy to.
  FRUITS_REGION: 'emr.region',
  FRUITS_OUTPUTS_FILE: 'emr.outputsFile',
  FRUITS_AWS_ENDPOINT: 'emr.endpoint',
  FRUITS_SSH_KEY: 'tunnel.key',
};

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

function setPath(obj: Plain, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!isPlain(cur[p])) cur[p] = {};
    cur = cur[p] as Plain;
  }
  cur[parts[parts.length - 1]!] = value;
}

function merge(base: Plain, over: Plain, path = ''): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const where = path ? `${path}.${k}` : k;
    if (!(k in base) && !isMapPath(path)) {
      throw usageError(`unknown config key "${where}": check the spelling against fruits.config.example.json (README "Running the job: fruits")`);
    }
    out[k] = isPlain(v) && isPlain(base[k]) ? merge(base[k] as Plain, v, where) : v;
  }
  return out;
}
const isMapPath = (p: string) => p.endsWith('sparkConf');

/**
 * fruits.config.json is shared with the stacks (stacks/config.ts): their top-level
 * fields (region, namePrefix, operatorCidr, ...) and "$schema" / "//" comment keys are
 * theirs, so the runner skips them; any other unknown key is still refused.
 */
function runnerSections(file: Plain): Plain {
  const stackKeys = new Set(Object.keys(STACK_FIELDS));
  return Object.fromEntries(Object.entries(file).filter(([k]) => !stackKeys.has(k) && !k.startsWith('$') && !k.startsWith('//')));
}

export interface ConfigSources {
  file?: unknown;
  filePath?: string;
  env?: NodeJS.ProcessEnv;
  /** Flat overrides by config path, e.g. { 'emr.clusterId': 'j-1' }. */
  flags?: Record<string, unknown>;
  root?: string;
}

/** Pure: merges and validates the sources. Throws one-line FruitsErrors. */
export function resolveConfig(src: ConfigSources): RunnerConfig {
  const root = src.root ?? repoRoot();
  let merged: Plain = defaultConfig(root) as unknown as Plain;
  if (src.file !== undefined) {
    if (!isPlain(src.file)) throw usageError(`${src.filePath ?? 'config file'} must hold a JSON object`);
    merged = merge(merged, runnerSections(src.file));
  }
  const envOver: Plain = {};
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const v = src.env?.[name];
    if (v !== undefined && v !== '') setPath(envOver, path, v);
  }
  merged = merge(merged, envOver);
  const flagOver: Plain = {};
  for (const [path, v] of Object.entries(src.flags ?? {})) if (v !== undefined) setPath(flagOver, path, v);
  merged = merge(merged, flagOver);
  const cfg = validate(merged, src.filePath ? dirname(resolve(src.filePath)) : process.cwd());
  // The EMR key pair is the stack's publicKeyPath; its private half is the natural tunnel key.
  cfg.tunnel.key ??= defaultTunnelKey(src);
  return cfg;
}

/**
 * The stack's publicKeyPath without ".pub" (env beats the file, like the stacks; a relative
 * path in the file is relative to the file, from the env relative to the cwd).
 */
export function defaultTunnelKey(src: Pick<ConfigSources, 'file' | 'filePath' | 'env'>): string | undefined {
  const fromEnv = src.env?.[STACK_FIELDS.publicKeyPath.env]?.trim();
  const fromFile = isPlain(src.file) && typeof src.file.publicKeyPath === 'string' ? src.file.publicKeyPath.trim() : '';
  const pub = fromEnv || fromFile;
  if (!pub || !pub.endsWith('.pub')) return undefined; // the stacks refuse anything else; never guess a private key
  const baseDir = !fromEnv && src.filePath ? dirname(resolve(src.filePath)) : process.cwd();
  return resolveUserPath(privateKeyPathFor(pub), baseDir);
}

function validate(c: Plain, baseDir: string): RunnerConfig {
  const cfg = c as unknown as RunnerConfig;
  const str = (path: string, v: unknown, optional = true): string | undefined => {
    if (v === undefined || v === null || v === '') {
      if (optional) return undefined;
      throw usageError(`config ${path} is required`);
    }
    if (typeof v !== 'string') throw usageError(`config ${path} must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const int = (path: string, v: unknown, min: number, max: number): number => {
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw usageError(`config ${path} must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  const num = (path: string, v: unknown, min: number, max: number): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      throw usageError(`config ${path} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };
  const oneOf = <T extends string>(path: string, v: unknown, allowed: readonly T[]): T => {
    if (!allowed.includes(v as T)) throw usageError(`config ${path} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    return v as T;
  };
  const conf = (path: string, v: unknown): Record<string, string> => {
    if (!isPlain(v)) throw usageError(`config ${path} must be an object of Spark settings`);
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') {
        throw usageError(`config ${path}.${k} must be a string, number or boolean`);
      }
      v[k] = String(val);
    }
    return v as Record<string, string>;
  };
  const localPath = (p: string | undefined) => (p === undefined ? undefined : resolveUserPath(p, baseDir));

  const job = cfg.job as JobDefaults;
  const out: RunnerConfig = {
    jobDir: localPath(str('jobDir', cfg.jobDir, false))!,
    job: {
      k: job.k === undefined ? undefined : int('job.k', job.k, 1, 1280),
      varianceTarget: num('job.varianceTarget', job.varianceTarget, 0.000001, 1),
      weights: str('job.weights', job.weights),
      batchSize: job.batchSize === undefined ? undefined : int('job.batchSize', job.batchSize, 1, BATCH_SIZE_MAX),
    },
    local: {
      sparkSubmit: localPath(str('local.sparkSubmit', cfg.local.sparkSubmit)),
      python: localPath(str('local.python', cfg.local.python)),
      master: str('local.master', cfg.local.master, false)!,
      sparkConf: conf('local.sparkConf', cfg.local.sparkConf),
    },
    vm: {
      host: str('vm.host', cfg.vm.host),
      user: str('vm.user', cfg.vm.user, false)!,
      port: int('vm.port', cfg.vm.port, 1, 65535),
      key: localPath(str('vm.key', cfg.vm.key)),
      knownHosts: localPath(str('vm.knownHosts', cfg.vm.knownHosts)),
      strictHostKeyChecking: oneOf('vm.strictHostKeyChecking', cfg.vm.strictHostKeyChecking, ['yes', 'accept-new'] as const),
      keepCodeRuns: int('vm.keepCodeRuns', cfg.vm.keepCodeRuns, 1, 1000),
      workDir: str('vm.workDir', cfg.vm.workDir, false)!,
      sparkSubmit: str('vm.sparkSubmit', cfg.vm.sparkSubmit, false)!,
      python: str('vm.python', cfg.vm.python, false)!,
      master: str('vm.master', cfg.vm.master, false)!,
      sparkConf: conf('vm.sparkConf', cfg.vm.sparkConf),
      summaryDir: localPath(str('vm.summaryDir', cfg.vm.summaryDir, false))!,
      connectTimeoutSeconds: int('vm.connectTimeoutSeconds', cfg.vm.connectTimeoutSeconds, 1, 600),
    },
    emr: {
      clusterId: str('emr.clusterId', cfg.emr.clusterId),
      region: str('emr.region', cfg.emr.region),
      outputsFile: localPath(str('emr.outputsFile', cfg.emr.outputsFile, false))!,
      stack: str('emr.stack', cfg.emr.stack, false)!,
      codeUri: s3Opt('emr.codeUri', str('emr.codeUri', cfg.emr.codeUri)),
      logUri: s3Opt('emr.logUri', str('emr.logUri', cfg.emr.logUri)),
      deployMode: oneOf('emr.deployMode', cfg.emr.deployMode, ['client', 'cluster'] as const),
      actionOnFailure: oneOf('emr.actionOnFailure', cfg.emr.actionOnFailure, ['CONTINUE', 'CANCEL_AND_WAIT', 'TERMINATE_CLUSTER'] as const),
      cancelOption: oneOf('emr.cancelOption', cfg.emr.cancelOption, ['SEND_INTERRUPT', 'TERMINATE_PROCESS'] as const),
      pollSeconds: int('emr.pollSeconds', cfg.emr.pollSeconds, 1, 3600),
      timeoutMinutes: int('emr.timeoutMinutes', cfg.emr.timeoutMinutes, 0, 10080),
      logWaitSeconds: int('emr.logWaitSeconds', cfg.emr.logWaitSeconds, 0, 3600),
      endpoint: str('emr.endpoint', cfg.emr.endpoint),
      sparkConf: conf('emr.sparkConf', cfg.emr.sparkConf),
    },
    tunnel: {
      key: localPath(str('tunnel.key', cfg.tunnel.key)),
      user: str('tunnel.user', cfg.tunnel.user, false)!,
      port: int('tunnel.port', cfg.tunnel.port, 1, 65535),
      masterDns: str('tunnel.masterDns', cfg.tunnel.masterDns),
    },
    upload: { concurrency: int('upload.concurrency', cfg.upload.concurrency, 1, 64) },
  };
  if (out.job.k !== undefined && out.job.varianceTarget !== undefined) {
    throw usageError('config job.k and job.varianceTarget are exclusive: set only one');
  }
  return out;
}

function s3Opt(path: string, v: string | undefined): string | undefined {
  if (v !== undefined && !/^s3:\/\/[^/]+/.test(v)) throw usageError(`config ${path} must be an s3:// URI, got "${v}"`);
  return v;
}

/**
 * Side effect: finds and parses the config file. --config / FRUITS_CONFIG are relative to the
 * cwd; the default is fruits.config.json at the checkout root, whatever the cwd. Missing default file is fine.
 */
export function loadConfig(opts: { configPath?: string; env?: NodeJS.ProcessEnv; flags?: Record<string, unknown>; cwd?: string; root?: string }): RunnerConfig {
  const env = opts.env ?? process.env;
  const explicit = opts.configPath ?? env.FRUITS_CONFIG;
  const root = opts.root ?? repoRoot();
  const filePath = explicit ? resolve(opts.cwd ?? process.cwd(), explicit) : resolve(root, 'fruits.config.json');
  let file: unknown;
  if (existsSync(filePath)) {
    try {
      file = JSON.parse(readFileSync(filePath, 'utf8'));
    } catch (e) {
      throw usageError(`cannot parse ${filePath}: ${(e as Error).message.split('\n')[0]} -- fix the JSON`);
    }
  } else if (explicit) {
    throw usageError(`config file ${filePath} not found: fix --config / FRUITS_CONFIG`);
  }
  return resolveConfig({ file, filePath: file === undefined ? undefined : filePath, env, flags: opts.flags, root });
}
