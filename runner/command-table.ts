// The `fruits` command table: every option, positional and help text declared once here.
// parseArgs' config, the per-command allow-lists and every `--help` text are generated from it.
import type { ParseArgsConfig } from 'node:util';
import { defaultJobContract, describeRange } from '../config/job-contract.js';

// The job's options are the job's (jobs/fruits_job/contract.json): their ranges and defaults in
// the help come from its contract, so the help cannot promise what the job refuses.
const jobRange = (name: string): string => {
  const s = defaultJobContract().options[name]!;
  return `${describeRange(s)}${s.default !== undefined && s.default !== null ? `, default ${String(s.default)}` : ''}`;
};

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. "PATH|URI". */
  value?: string;
  help: string;
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
  'run-id': { type: 'string', value: 'ID', help: 'name of the run folder (default: run-YYYYMMDD-HHMMSS-<6 hex>, UTC)' },
  k: { type: 'string', value: 'N', help: `PCA components: ${jobRange('k')}` },
  'variance-target': { type: 'string', value: 'F', help: `smallest k explaining this share of variance (instead of --k): ${jobRange('variance-target')}` },
  weights: { type: 'string', value: 'SRC', help: 'imagenet | FILE (.h5, or .onnx from convert_weights.py) | s3://... | test-only-random:SEED (default imagenet)' },
  'batch-size': { type: 'string', value: 'N', help: `images per inference call: ${jobRange('batch-size')}` },
  'max-image-pixels': { type: 'string', value: 'N', help: 'decompression-bomb guard (default: the limit the run was made with)' },
  overwrite: { type: 'boolean', help: 'replace an existing run folder of the same run id' },
  conf: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'extra Spark setting (repeatable), e.g. spark.driver.memory=4g' },
  'spark-submit': { type: 'string', value: 'PATH', help: 'spark-submit to use (vm: the path on the VM)' },
  python: { type: 'string', value: 'PATH', help: 'python for driver and workers (vm: the path on the VM)' },
  master: { type: 'string', value: 'URL', help: 'Spark master (default local[*])' },
  'job-dir': { type: 'string', value: 'DIR', help: 'folder holding run_job.py and fruits_job/ (default: jobs/)' },
  host: { type: 'string', value: 'HOST', help: 'VM address (vm.host / FRUITS_VM_HOST)' },
  user: { type: 'string', value: 'USER', help: 'VM ssh user (default ubuntu)' },
  port: { type: 'string', value: 'N', help: 'ssh port (vm: default 22; tunnel: local SOCKS port, default 8157)' },
  key: { type: 'string', value: 'FILE', help: 'ssh private key' },
  'cluster-id': { type: 'string', value: 'j-...', help: 'EMR cluster (default: cdktf-outputs.json cluster_id; FRUITS_CLUSTER_ID)' },
  region: { type: 'string', value: 'REGION', help: 'AWS region (default: stack outputs, FRUITS_REGION, AWS_REGION)' },
  'outputs-file': { type: 'string', value: 'FILE', help: 'cdktf outputs (default: cdktf-outputs.json at the checkout root)' },
  'deploy-mode': { type: 'string', value: 'client|cluster', help: 'where the Spark driver runs (default client)' },
  'action-on-failure': { type: 'string', value: 'MODE', help: 'CONTINUE (default) | CANCEL_AND_WAIT | TERMINATE_CLUSTER' },
  'no-wait': { type: 'boolean', help: 'return after adding the step (follow later: fruits status <step-id> --follow)' },
  'timeout-minutes': { type: 'string', value: 'N', help: 'stop waiting after N minutes (the step keeps running; 0 = never)' },
  to: { type: 'string', value: 's3://bucket/prefix/', help: 'destination (default: stack input_uri)' },
  concurrency: { type: 'string', value: 'N', help: 'parallel uploads, 1-64 (default 8)' },
  checksum: { type: 'boolean', help: 'also compare SHA-256 of same-size files (needs s3:GetObject)' },
  'master-dns': { type: 'string', value: 'HOST', help: 'EMR master public DNS (default: stack outputs or DescribeCluster)' },
  foxyproxy: { type: 'boolean', help: 'print a FoxyProxy (v8+) settings file with the EMR proxy, and nothing else' },
  merge: { type: 'string', value: 'EXPORT.json', help: 'with --foxyproxy: add the EMR proxy to your FoxyProxy export, keeping your proxies' },
  'wait-seconds': { type: 'string', value: 'N', help: 'wait up to N seconds for EMR to upload the logs (default 0)' },
  follow: { type: 'boolean', help: 'keep following the step with live progress until it ends' },
  target: { type: 'string', value: 'local|vm|emr', help: 'check only this target' },
  offline: { type: 'boolean', help: 'skip the checks that call AWS or ssh' },
  run: { type: 'string', value: 'DIR', help: 'a finished run folder (<output>/<run-id>)' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

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
}

export const COMMON_OPTIONS: OptionName[] = ['config', 'json', 'dry-run', 'help', 'version'];

const JOB: OptionName[] = ['input', 'output', 'run-id', 'k', 'variance-target', 'weights', 'batch-size', 'overwrite', 'conf'];
const EMR_AT: OptionName[] = ['cluster-id', 'region', 'outputs-file'];

export const COMMANDS: CommandSpec[] = [
  {
    name: 'run', args: '<local|vm|emr>', trailing: '[-- <extra job args>]', summary: 'run the featurization job (spark-submit) on a target, with live progress',
    groups: [
      { title: 'job', options: JOB },
      { title: 'local', options: ['spark-submit', 'python', 'master', 'job-dir'] },
      { title: 'vm', options: ['host', 'user', 'port', 'key'] },
      { title: 'emr', options: [...EMR_AT, 'deploy-mode', 'action-on-failure', 'no-wait', 'timeout-minutes'] },
    ],
    notes: ['Progress: a bar with ETA on a terminal, a line every 15 s otherwise, JSON lines on stderr with --json.'],
  },
  {
    name: 'watch', args: '<run-folder>', summary: 'follow the progress of a run from its folder (local path, vm:<path> or s3://)',
    groups: [{ title: 's3', options: ['region'] }, { title: 'vm', options: ['host', 'user', 'port', 'key'] }],
    notes: ['The folder is <output>/<run-id>; it holds progress.json while the job runs and summary.json at the end.', 'vm:<path> reads the folder on the VM over ssh (relative paths are under vm.workDir).'],
  },
  { name: 'upload-data', args: '<dir>', summary: 'sync a local image folder to the input S3 prefix', groups: [{ title: '', options: ['to', 'concurrency', 'checksum', 'region', 'outputs-file'] }] },
  { name: 'tunnel', args: '', summary: 'SOCKS proxy to the EMR master (JupyterHub, web UIs)', groups: [{ title: '', options: ['key', 'port', 'master-dns', ...EMR_AT, 'foxyproxy', 'merge'] }],
    notes: ['FoxyProxy: Options > Export first, then import the output of fruits tunnel --foxyproxy --merge <export>.json (import replaces all settings).'] },
  {
    name: 'ui', args: '', summary: 'a presigned link to the Spark UI of the cluster (no tunnel needed)', groups: [{ title: '', options: EMR_AT }],
    notes: ['Needs elasticmapreduce:CreatePersistentAppUI, DescribePersistentAppUI and GetPersistentAppUIPresignedURL.'],
  },
  { name: 'status', args: '[step-id]', summary: 'state of one EMR step (and its run\'s progress), or the latest steps', groups: [{ title: '', options: [...EMR_AT, 'follow'] }] },
  { name: 'logs', args: '<step-id>', summary: 'stderr/stdout of an EMR step from the cluster\'s log URI', groups: [{ title: '', options: [...EMR_AT, 'wait-seconds'] }] },
  { name: 'doctor', args: '', summary: 'preflight checks and how to fix each miss', groups: [{ title: '', options: ['target', 'offline', 'host', 'user', 'port', 'key', ...EMR_AT, 'spark-submit', 'python'] }] },
  { name: 'vm-setup', args: '', summary: 'copy bootstrap/vm-setup.sh to the VM and run it (sudo)', groups: [{ title: '', options: ['host', 'user', 'port', 'key'] }] },
  { name: 'classify', args: '<photo>', summary: 'predict the fruit in one photo with a finished run\'s models', groups: [{ title: '', options: ['run', 'python', 'job-dir', 'max-image-pixels'] }] },
  { name: 'help', args: '[command]', summary: 'this text, or one command\'s options', groups: [] },
];

export const EXIT_CODES = `exit codes: 0 ok, 1 job/step failed, 2 usage/config error, 3 environment missing
(java, spark, ssh, VM, cluster), 4 AWS credentials/permission, 130 interrupted`;

export const commandSpec = (name: string): CommandSpec | undefined => COMMANDS.find((c) => c.name === name);

/** Options a command accepts, common ones included. */
export function allowedOptions(name: string): Set<string> {
  const c = commandSpec(name);
  return new Set<string>([...COMMON_OPTIONS, ...(c?.groups.flatMap((g) => g.options) ?? [])]);
}

/** node:util parseArgs' options, generated from the table. */
export function parseArgsOptions(): typeof OPTIONS {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(OPTIONS) as [string, OptionSpec][]) {
    out[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  return out as unknown as typeof OPTIONS;
}
export type ParseOptions = ParseArgsConfig['options'];

function optionLines(names: readonly OptionName[]): string[] {
  const heads = names.map((n) => {
    const o: OptionSpec = OPTIONS[n];
    return `${o.short ? `-${o.short}, ` : ''}--${n}${o.value ? ` ${o.value}` : ''}`;
  });
  const width = Math.min(34, Math.max(...heads.map((h) => h.length)));
  return names.map((n, i) => `  ${heads[i]!.padEnd(width)}  ${(OPTIONS[n] as OptionSpec).help}`);
}

/** `fruits <command> --help`. */
export function commandHelp(name: string): string {
  const c = commandSpec(name);
  if (!c) return globalHelp();
  const usage = [`fruits ${c.name}`, c.args, c.groups.length ? '[options]' : '', c.trailing ?? ''].filter(Boolean).join(' ');
  const lines = [`usage: ${usage}`, '', c.summary];
  for (const g of c.groups) lines.push('', g.title ? `${g.title} options:` : 'options:', ...optionLines(g.options));
  lines.push('', 'common options:', ...optionLines(COMMON_OPTIONS));
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
    `common options: ${COMMON_OPTIONS.map((n) => `--${n}${'value' in OPTIONS[n] ? ` ${(OPTIONS[n] as OptionSpec).value}` : ''}`).join(' ')}`,
    '',
    EXIT_CODES,
  ].join('\n');
}
