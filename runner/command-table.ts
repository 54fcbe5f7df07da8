// The `fruits` command table: every option, positional and help text declared once here, and each
// command's handler. parseArgs' config, the per-command allow-lists, every `--help` text and the
// config overrides of the flags are generated from it. The job's options (jobs/fruits_job/contract.json,
// entries with `runner`) and the targets (targets/registry.ts) are added from their one list each.
import type { ParseArgsConfig } from 'node:util';
import { defaultJobContract, runnerHelp, runnerOptions, type JobContract } from '../config/job-contract.js';
import { configFields } from '../config/loader.js';
import { TARGETS, targetNames } from './targets/registry.js';
import type { CommandHandler } from './commands/handler.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. "PATH|URI". */
  value?: string;
  /** Help text; {default:<config path>} becomes that config field's default, so the two cannot disagree. */
  help: string;
  /**
   * The config field the flag overrides: a path, or paths by target/command name with '*' for the
   * rest (e.g. { '*': 'vm.port', tunnel: 'tunnel.port' }).
   */
  config?: string | Record<string, string>;
}

/** Every option of every command (names are the long flags). */
export const OPTIONS = {
  config: { type: 'string', value: 'FILE', help: 'runner/stack config (default: fruits.config.json at the checkout root; FRUITS_CONFIG)' },
  json: { type: 'boolean', help: 'one JSON result on stdout; progress events as JSON lines on stderr' },
  'dry-run': { type: 'boolean', help: 'print what would be done (commands, uploads, steps) and do nothing' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
  version: { type: 'boolean', help: 'print the runner version' },
  input: { type: 'string', value: 'PATH|URI', help: 'image folder (<root>/<Split>/<Label>/<image>); emr: s3:// (default: stack input_uri)' },
  output: { type: 'string', value: 'PATH|URI', help: 'folder that receives <run-id>/; emr: s3:// (default: stack results_uri)' },
  'max-image-pixels': { type: 'string', value: 'N', help: 'decompression-bomb guard (default: the limit the run was made with)' },
  conf: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'extra Spark setting (repeatable), e.g. spark.driver.memory=4g' },
  'spark-submit': { type: 'string', value: 'PATH', help: 'spark-submit to use (vm: the path on the VM)', config: { '*': 'local.sparkSubmit', vm: 'vm.sparkSubmit' } },
  python: { type: 'string', value: 'PATH', help: 'python for driver and workers (vm: the path on the VM)', config: { '*': 'local.python', vm: 'vm.python' } },
  master: { type: 'string', value: 'URL', help: 'Spark master (default {default:local.master})', config: { '*': 'local.master', vm: 'vm.master' } },
  'job-dir': { type: 'string', value: 'DIR', help: 'folder holding run_job.py and fruits_job/ (default: jobs/)', config: 'jobDir' },
  host: { type: 'string', value: 'HOST', help: 'VM address (vm.host / FRUITS_VM_HOST)', config: 'vm.host' },
  user: { type: 'string', value: 'USER', help: 'VM ssh user (default {default:vm.user})', config: 'vm.user' },
  port: { type: 'string', value: 'N', help: 'ssh port (vm: default {default:vm.port}; tunnel: local SOCKS port, default {default:tunnel.port})', config: { '*': 'vm.port', tunnel: 'tunnel.port' } },
  key: { type: 'string', value: 'FILE', help: 'ssh private key', config: { '*': 'vm.key', tunnel: 'tunnel.key', notebook: 'tunnel.key' } },
  'cluster-id': { type: 'string', value: 'j-...', help: 'EMR cluster (default: cdktf-outputs.json cluster_id; FRUITS_CLUSTER_ID)', config: 'emr.clusterId' },
  region: { type: 'string', value: 'REGION', help: 'AWS region (default: stack outputs, FRUITS_REGION, AWS_REGION)', config: 'emr.region' },
  'outputs-file': { type: 'string', value: 'FILE', help: 'cdktf outputs (default: cdktf-outputs.json at the checkout root)', config: 'emr.outputsFile' },
  'deploy-mode': { type: 'string', value: 'client|cluster', help: 'where the Spark driver runs (default {default:emr.deployMode})', config: 'emr.deployMode' },
  'action-on-failure': { type: 'string', value: 'MODE', help: '{choices:emr.actionOnFailure}', config: 'emr.actionOnFailure' },
  'no-wait': { type: 'boolean', help: 'return after adding the step (follow later: fruits status <step-id> --follow)' },
  'timeout-minutes': { type: 'string', value: 'N', help: 'stop waiting after N minutes (the step keeps running; 0 = never)', config: 'emr.timeoutMinutes' },
  to: { type: 'string', value: 's3://bucket/prefix/', help: 'destination (default: stack input_uri)' },
  concurrency: { type: 'string', value: 'N', help: 'parallel uploads, {range:upload.concurrency} (default {default:upload.concurrency})', config: 'upload.concurrency' },
  checksum: { type: 'boolean', help: 'also compare SHA-256 of same-size files (needs s3:GetObject)' },
  'master-dns': { type: 'string', value: 'HOST', help: 'EMR master public DNS (default: stack outputs or DescribeCluster)', config: 'tunnel.masterDns' },
  foxyproxy: { type: 'boolean', help: 'print a FoxyProxy (v8+) settings file with the EMR proxy, and nothing else' },
  merge: { type: 'string', value: 'EXPORT.json', help: 'with --foxyproxy: add the EMR proxy to your FoxyProxy export, keeping your proxies' },
  'wait-seconds': { type: 'string', value: 'N', help: 'wait up to N seconds for EMR to upload the logs (default 0)' },
  follow: { type: 'boolean', help: 'keep following the step with live progress until it ends' },
  target: { type: 'string', value: targetNames().join('|'), help: 'check only this target' },
  offline: { type: 'boolean', help: 'skip the checks that call AWS or ssh' },
  run: { type: 'string', value: 'DIR', help: 'a finished run folder (<output>/<run-id>; notebook push: s3://)' },
  replace: { type: 'boolean', help: 'notebook push: replace the notebook pushed before for this run (it may hold edits made on JupyterHub)' },
  'notebook-port': { type: 'string', value: 'N', help: 'local Jupyter port on 127.0.0.1 (default 8888)' },
} as const satisfies Record<string, OptionSpec>;

/** A flag's long name: one of OPTIONS, or a job option of the contract. */
export type OptionName = string;

export interface CommandSpec {
  name: string;
  /** Positionals as shown in usage, e.g. "<local|vm|emr>". */
  args: string;
  summary: string;
  /** Options besides the common ones, grouped for help ("" = no heading). */
  groups: { title: string; options: OptionName[] }[];
  /** Extra help lines (what it does, examples). */
  notes?: string[];
  /** What may follow the options in usage, e.g. "[-- <extra job args>]". */
  trailing?: string;
  /** The module that runs the command (loaded on use). */
  handler: () => Promise<CommandHandler>;
  /** false: runs without loading fruits.config.json (help). */
  loadsConfig?: false;
}

export const COMMON_OPTIONS: OptionName[] = ['config', 'json', 'dry-run', 'help', 'version'];

const EMR_AT: OptionName[] = ['cluster-id', 'region', 'outputs-file'];

/** Loads a command module's `handle` (lazily: a command's dependencies load only when it runs). */
const handler = (load: () => Promise<{ handle: CommandHandler }>) => async () => (await load()).handle;

/** The table for a job contract (this checkout's by default): the run command's job flags come from it. */
export function commandsFor(contract: JobContract): CommandSpec[] {
  // Every target runs the job of --job-dir (its contract checks the job flags): a flag of the job group.
  const job: OptionName[] = ['input', 'output', ...runnerOptions(contract).map(([name]) => name), 'conf', 'job-dir'];
  return [
    {
      name: 'run', args: `<${targetNames().join('|')}>`, trailing: '[-- <extra job args>]', summary: 'run the featurization job (spark-submit) on a target, with live progress',
      groups: [{ title: 'job', options: job }, ...TARGETS.map((t) => ({ title: t.name, options: t.options }))],
      notes: ['Progress: a bar with ETA on a terminal, a line every 15 s otherwise, JSON lines on stderr with --json.'],
      handler: handler(() => import('./commands/run.js')),
    },
    {
      name: 'watch', args: '<run-folder>', summary: 'follow the progress of a run from its folder (local path, vm:<path> or s3://)',
      groups: [{ title: 's3', options: ['region'] }, { title: 'vm', options: ['host', 'user', 'port', 'key'] }],
      notes: ['The folder is <output>/<run-id>; it holds progress.json while the job runs and summary.json at the end.', 'vm:<path> reads the folder on the VM over ssh (relative paths are under vm.workDir).'],
      handler: handler(() => import('./commands/watch.js')),
    },
    { name: 'upload-data', args: '<dir>', summary: 'sync a local image folder to the input S3 prefix', groups: [{ title: '', options: ['to', 'concurrency', 'checksum', 'region', 'outputs-file'] }],
      handler: handler(() => import('./commands/upload-data.js')) },
    { name: 'tunnel', args: '', summary: 'SOCKS proxy to the EMR master (JupyterHub, web UIs)', groups: [{ title: '', options: ['key', 'port', 'master-dns', ...EMR_AT, 'foxyproxy', 'merge'] }],
      notes: ['FoxyProxy: Options > Export first, then import the output of fruits tunnel --foxyproxy --merge <export>.json (import replaces all settings).'],
      handler: handler(() => import('./commands/tunnel.js')) },
    {
      name: 'ui', args: '[job-run-id]', summary: 'a presigned link to the Spark UI of the cluster, or of a serverless job run (no tunnel needed)', groups: [{ title: '', options: EMR_AT }],
      notes: ['Needs elasticmapreduce:CreatePersistentAppUI, DescribePersistentAppUI and GetPersistentAppUIPresignedURL.'],
      handler: handler(async () => ({ handle: (await import('./commands/status-logs-ui.js')).handleUi })),
    },
    { name: 'status', args: '[step-id|job-run-id]', summary: 'state of one EMR step or serverless job run (and its run\'s progress), or the latest ones', groups: [{ title: '', options: [...EMR_AT, 'follow'] }],
      handler: handler(async () => ({ handle: (await import('./commands/status-logs-ui.js')).handleStatus })) },
    { name: 'logs', args: '<step-id|job-run-id>', summary: 'stderr/stdout of an EMR step or serverless job run from the logs bucket', groups: [{ title: '', options: [...EMR_AT, 'wait-seconds'] }],
      handler: handler(async () => ({ handle: (await import('./commands/status-logs-ui.js')).handleLogs })) },
    { name: 'cancel', args: '<step-id|run-id|job-run-id>', summary: 'stop a started EMR run: cancel the step, terminate a transient run\'s cluster, or cancel the job run', groups: [{ title: '', options: EMR_AT }],
      notes: [
        'compute "cluster": CancelSteps (SEND_INTERRUPT); the cluster stays up. compute "transient": terminates the cluster of that run id or step. compute "serverless": CancelJobRun.',
        'The job records the run as "interrupted" when the stop reaches its driver in time (spark-submit gets SIGTERM: the default client deploy mode, EMR Serverless).',
      ],
      handler: handler(async () => ({ handle: (await import('./commands/status-logs-ui.js')).handleCancel })) },
    { name: 'doctor', args: '', summary: 'preflight checks and how to fix each miss', groups: [{ title: '', options: ['target', 'offline', 'host', 'user', 'port', 'key', ...EMR_AT, 'spark-submit', 'python'] }],
      handler: handler(() => import('./commands/doctor.js')) },
    {
      name: 'vm', args: '<start|stop|suspend|status>', summary: 'start, stop, suspend or show the VMware VM of vm.vmx (vmrun)', groups: [],
      notes: ['start: headless (vmrun start nogui), then waits for the address VMware Tools reports; stop/suspend: soft, hard if that fails.', 'fruits run vm starts the VM by itself when vm.vmx is set; see docs/vm.md.'],
      handler: handler(() => import('./commands/vm.js')),
    },
    { name: 'vm-setup', args: '', summary: 'copy bootstrap/vm-setup.sh to the VM and run it (sudo)', groups: [{ title: '', options: ['host', 'user', 'port', 'key'] }],
      handler: handler(() => import('./commands/vm-setup.js')) },
    { name: 'classify', args: '<photo>', summary: 'predict the fruit in one photo with a finished run\'s models', groups: [{ title: '', options: ['run', 'python', 'job-dir', 'max-image-pixels'] }],
      handler: handler(() => import('./commands/classify.js')) },
    {
      name: 'notebook', args: '[start|push|password]', summary: 'explore a run in Jupyter: locally, or pushed to the cluster\'s JupyterHub',
      groups: [{ title: 'start', options: ['run', 'notebook-port', 'python'] }, { title: 'push', options: ['run', 'replace', 'region', 'outputs-file'] }, { title: 'password', options: ['key', 'master-dns', ...EMR_AT] }],
      notes: [
        'start (default): JupyterLab from the project\'s venv on 127.0.0.1, opened at notebooks/explore_run.ipynb; prints the URL with its token.',
        'push: uploads the notebook (RUN filled in, PySpark kernel) to <notebooks_uri>jovyan/ and the job package to <code_uri>notebook/.',
        'password: sets a new random password for JupyterHub\'s user jovyan over SSH and prints it once (stored nowhere).',
      ],
      handler: handler(() => import('./commands/notebook.js')),
    },
    { name: 'help', args: '[command]', summary: 'this text, or one command\'s options', groups: [], loadsConfig: false, handler: handler(() => import('./commands/help.js')) },
  ];
}

/** This checkout's command table. */
export const COMMANDS: CommandSpec[] = commandsFor(defaultJobContract());

export const EXIT_CODES = `exit codes: 0 ok, 1 job/step failed, 2 usage/config error, 3 environment missing
(java, spark, ssh, VM, cluster), 4 AWS credentials/permission, 130 interrupted`;

interface Table {
  commands: CommandSpec[];
  options: Record<string, OptionSpec>;
}
const tables = new WeakMap<JobContract, Table>();
/** The commands and every option (the table's and the contract's job flags) for a contract. */
export function tableFor(contract: JobContract = defaultJobContract()): Table {
  let t = tables.get(contract);
  if (!t) {
    const jobFlags = Object.fromEntries(
      runnerOptions(contract).map(([name, spec]): [string, OptionSpec] => [
        name,
        { type: spec.type === 'flag' ? 'boolean' : 'string', ...(spec.runner.value ? { value: spec.runner.value } : {}), help: runnerHelp(spec) },
      ]),
    );
    const clash = Object.keys(jobFlags).find((n) => n in OPTIONS);
    if (clash) throw new Error(`job option --${clash} of contract.json clashes with the runner's own --${clash}`);
    t = { commands: contract === defaultJobContract() ? COMMANDS : commandsFor(contract), options: { ...OPTIONS, ...jobFlags } };
    tables.set(contract, t);
  }
  return t;
}

export const commandSpec = (name: string, contract?: JobContract): CommandSpec | undefined => tableFor(contract).commands.find((c) => c.name === name);

/** Options a command accepts, common ones included. */
export function allowedOptions(name: string, contract?: JobContract): Set<string> {
  const c = commandSpec(name, contract);
  return new Set<string>([...COMMON_OPTIONS, ...(c?.groups.flatMap((g) => g.options) ?? [])]);
}

/** node:util parseArgs' options, generated from the table. */
export function parseArgsOptions(contract?: JobContract): NonNullable<ParseArgsConfig['options']> {
  const out: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(tableFor(contract).options)) {
    out[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  return out;
}

/**
 * The config overrides of the given flags, by config path (each flag's `config` link; a map picks
 * the target's or the command's path, else '*').
 */
export function configFlags(values: Record<string, unknown>, command: string, target?: string, contract?: JobContract): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(tableFor(contract).options)) {
    if (!o.config || values[name] === undefined) continue;
    const path = typeof o.config === 'string' ? o.config : (target !== undefined ? o.config[target] : undefined) ?? o.config[command] ?? o.config['*'];
    if (path) flags[path] = values[name];
  }
  return flags;
}

const FIELDS = new Map(configFields().map((f) => [f.path, f.info]));
/** A help text with its {default:path}, {range:path} and {choices:path} taken from the config schema. */
export function expandHelp(help: string): string {
  return help.replace(/\{(default|range|choices):([\w.]+)\}/g, (_, what: string, path: string) => {
    const info = FIELDS.get(path);
    if (!info) throw new Error(`help names config field ${path}, which config/schema.ts does not have`);
    if (what === 'default') return String(info.default);
    if (what === 'range') return `${info.min}-${info.max}`;
    return (info.values ?? []).map((v) => (v === info.default ? `${v} (default)` : v)).join(' | ');
  });
}
export type ParseOptions = ParseArgsConfig['options'];

function optionLines(names: readonly OptionName[], options: Record<string, OptionSpec>): string[] {
  const heads = names.map((n) => {
    const o: OptionSpec = options[n]!;
    return `${o.short ? `-${o.short}, ` : ''}--${n}${o.value ? ` ${o.value}` : ''}`;
  });
  const width = Math.min(34, Math.max(...heads.map((h) => h.length)));
  return names.map((n, i) => `  ${heads[i]!.padEnd(width)}  ${expandHelp(options[n]!.help)}`);
}

/** `fruits <command> --help`. */
export function commandHelp(name: string, contract?: JobContract): string {
  const c = commandSpec(name, contract);
  if (!c) return globalHelp();
  const { options } = tableFor(contract);
  const groups = c.groups.filter((g) => g.options.length); // a target without flags of its own has no group
  const usage = [`fruits ${c.name}`, c.args, groups.length ? '[options]' : '', c.trailing ?? ''].filter(Boolean).join(' ');
  const lines = [`usage: ${usage}`, '', c.summary];
  for (const g of groups) lines.push('', g.title ? `${g.title} options:` : 'options:', ...optionLines(g.options, options));
  lines.push('', 'common options:', ...optionLines(COMMON_OPTIONS, options));
  if (c.notes?.length) lines.push('', ...c.notes);
  lines.push('', EXIT_CODES);
  return lines.join('\n');
}

/** `fruits help`: every command with its summary. */
export function globalHelp(): string {
  const heads = COMMANDS.map((c) => `${c.name}${c.args ? ` ${c.args}` : ''}`);
  const width = Math.max(...heads.map((h) => h.length));
  return [
    'usage: fruits <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c, i) => `  ${heads[i]!.padEnd(width)}  ${c.summary}`),
    '',
    'fruits <command> --help (or fruits help <command>) lists the options of one command.',
    `common options: ${COMMON_OPTIONS.map((n) => `--${n}${(OPTIONS as Record<string, OptionSpec>)[n]!.value ? ` ${(OPTIONS as Record<string, OptionSpec>)[n]!.value}` : ''}`).join(' ')}`,
    '',
    EXIT_CODES,
  ].join('\n');
}
