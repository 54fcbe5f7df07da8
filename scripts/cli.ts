// `fruits`: the job runner CLI (local | vm | emr), data upload, tunnel, status, logs, doctor.
// Every failure ends as one `error: ...` line and a documented exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, repoRoot, type RunnerConfig } from './config.js';
import { ExitCode, FruitsError, usageError, type ExitCodeValue } from './errors.js';
import { makeOutput, type Output } from './output.js';
import { realClock, type Clock } from './clock.js';
import { BATCH_SIZE_MAX, newRunId, parseConfFlags } from './commands/spark-submit.js';
import type { RunRequest, RunContext } from './targets/common.js';
import { joinS3 } from './commands/s3-uri.js';

export const USAGE = `usage: fruits <command> [options]

commands:
  run <local|vm|emr>   run the featurization job (spark-submit) on a target
  upload-data <dir>    sync a local image folder to the input S3 prefix
  tunnel               SOCKS proxy to the EMR master (JupyterHub, web UIs)
  status [step-id]     state of one EMR step, or the latest steps
  logs <step-id>       stderr/stdout of an EMR step from the cluster's log URI
  doctor               preflight checks and how to fix each miss
  vm-setup             copy bootstrap/vm-setup.sh to the VM and run it (sudo)
  classify <photo>     predict the fruit in one photo with a finished run's models (--run DIR)
  help                 this text

run options:
  --input PATH|URI  --output PATH|URI  --run-id ID  --k N | --variance-target F
  --weights imagenet|FILE|s3://...|test-only-random:SEED  --batch-size N  --overwrite
  --conf key=value (repeatable)  -- <extra job args>
  local: --spark-submit PATH --python PATH --master URL
  vm:    --host H --user U --port N --key FILE --spark-submit PATH (on the VM) --python PATH (on the VM)
  emr:   --cluster-id j-.. --region R --outputs-file F --deploy-mode client|cluster
         --action-on-failure CONTINUE|CANCEL_AND_WAIT|TERMINATE_CLUSTER --no-wait --timeout-minutes N
upload-data options: --to s3://bucket/prefix/ --concurrency N --checksum
tunnel options: --key FILE --port N --master-dns HOST --cluster-id j-.. --foxyproxy
logs options: --wait-seconds N
doctor options: --target local|vm|emr --offline
classify options: --run DIR (a run folder: <output>/<run-id>) --max-image-pixels N --python PATH
common: --config FILE --json --dry-run --help

exit codes: 0 ok, 1 job/step failed, 2 usage/config error, 3 environment missing
(java, spark, ssh, VM, cluster), 4 AWS credentials/permission, 130 interrupted`;

const OPTIONS = {
  config: { type: 'string' },
  json: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  input: { type: 'string' },
  output: { type: 'string' },
  'run-id': { type: 'string' },
  k: { type: 'string' },
  'variance-target': { type: 'string' },
  weights: { type: 'string' },
  'batch-size': { type: 'string' },
  'max-image-pixels': { type: 'string' },
  overwrite: { type: 'boolean' },
  conf: { type: 'string', multiple: true },
  'spark-submit': { type: 'string' },
  python: { type: 'string' },
  master: { type: 'string' },
  'job-dir': { type: 'string' },
  host: { type: 'string' },
  user: { type: 'string' },
  port: { type: 'string' },
  key: { type: 'string' },
  'cluster-id': { type: 'string' },
  region: { type: 'string' },
  'outputs-file': { type: 'string' },
  'deploy-mode': { type: 'string' },
  'action-on-failure': { type: 'string' },
  'no-wait': { type: 'boolean' },
  'timeout-minutes': { type: 'string' },
  to: { type: 'string' },
  concurrency: { type: 'string' },
  checksum: { type: 'boolean' },
  'master-dns': { type: 'string' },
  foxyproxy: { type: 'boolean' },
  'wait-seconds': { type: 'string' },
  target: { type: 'string' },
  offline: { type: 'boolean' },
  run: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

/** Options each command accepts (besides the common ones). */
const ALLOWED: Record<string, string[]> = {
  run: ['input', 'output', 'run-id', 'k', 'variance-target', 'weights', 'batch-size', 'overwrite', 'conf', 'spark-submit', 'python', 'master', 'job-dir',
    'host', 'user', 'port', 'key', 'cluster-id', 'region', 'outputs-file', 'deploy-mode', 'action-on-failure', 'no-wait', 'timeout-minutes'],
  'upload-data': ['to', 'concurrency', 'checksum', 'region', 'outputs-file'],
  tunnel: ['key', 'port', 'master-dns', 'cluster-id', 'region', 'outputs-file', 'foxyproxy'],
  status: ['cluster-id', 'region', 'outputs-file'],
  logs: ['cluster-id', 'region', 'outputs-file', 'wait-seconds'],
  doctor: ['target', 'offline', 'host', 'user', 'port', 'key', 'cluster-id', 'region', 'outputs-file', 'spark-submit', 'python'],
  'vm-setup': ['host', 'user', 'port', 'key'],
  classify: ['run', 'python', 'job-dir', 'max-image-pixels'],
  help: [],
};
const COMMON = ['config', 'json', 'dry-run', 'help', 'version'];

const TARGETS = ['local', 'vm', 'emr'] as const;
type Target = (typeof TARGETS)[number];

function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be an integer between ${min} and ${max}, got "${v}"`);
  return n;
}

function floatFlag(name: string, v: string | undefined, minExclusive: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= minExclusive || n > max) throw usageError(`--${name} must be a number in (${minExclusive}, ${max}], got "${v}"`);
  return n;
}

/** Flags that override config, by config path; some depend on the target. */
export function configFlags(v: Values, command: string, target?: Target): Record<string, unknown> {
  const where = target === 'vm' ? 'vm' : 'local';
  const sshSection = command === 'tunnel' ? 'tunnel' : 'vm';
  return {
    jobDir: v['job-dir'],
    [`${where}.sparkSubmit`]: v['spark-submit'],
    [`${where}.python`]: v.python,
    [`${where}.master`]: v.master,
    'vm.host': v.host,
    'vm.user': v.user,
    [`${sshSection}.port`]: v.port,
    [`${sshSection}.key`]: v.key,
    'emr.clusterId': v['cluster-id'],
    'emr.region': v.region,
    'emr.outputsFile': v['outputs-file'],
    'emr.deployMode': v['deploy-mode'],
    'emr.actionOnFailure': v['action-on-failure'],
    'emr.timeoutMinutes': v['timeout-minutes'],
    'upload.concurrency': v.concurrency,
    'tunnel.masterDns': v['master-dns'],
  };
}

export interface CliDeps {
  clock?: Clock;
  out?: Output;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

function parse(argv: string[]) {
  const dd = argv.indexOf('--');
  const mine = dd >= 0 ? argv.slice(0, dd) : argv;
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({ args: mine, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(`${(e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '')} (see fruits help)`);
  }
  return { values: parsed.values, positionals: parsed.positionals, extra };
}

/** Runs the CLI; returns the exit code (never throws, never prints a stack trace). */
export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  const wantsJson = argv.includes('--json');
  const out = deps.out ?? makeOutput(wantsJson);
  try {
    return await dispatch(argv, out, deps);
  } catch (e) {
    return reportError(e, out);
  }
}

export function reportError(e: unknown, out: Output): ExitCodeValue {
  const fe = e instanceof FruitsError ? e : new FruitsError(`unexpected failure: ${String((e as Error)?.message ?? e).split('\n')[0]} (set FRUITS_DEBUG=1 for details)`, ExitCode.jobFailed);
  if (!(e instanceof FruitsError) && process.env.FRUITS_DEBUG) process.stderr.write(String((e as Error)?.stack ?? e) + '\n');
  out.error(fe.message, fe.exitCode);
  return fe.exitCode;
}

async function dispatch(argv: string[], out: Output, deps: CliDeps): Promise<number> {
  const { values: v, positionals, extra } = parse(argv);
  const [command = 'help', ...rest] = positionals;
  if (v.version) {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    out.result({ version: pkg.version }, pkg.version);
    return 0;
  }
  if (!(command in ALLOWED)) throw usageError(`unknown command "${command}": use one of ${Object.keys(ALLOWED).join(', ')}`);
  if (command === 'help' || v.help) {
    out.result({ usage: USAGE }, USAGE);
    return 0;
  }
  for (const [name, value] of Object.entries(v)) {
    if (value !== undefined && !COMMON.includes(name) && !ALLOWED[command]!.includes(name)) throw usageError(`--${name} does not apply to "${command}" (see fruits help)`);
  }
  if (extra.length && command !== 'run') throw usageError(`"${command}" takes no arguments after --`);

  let target: Target | undefined;
  if (command === 'run') {
    const t = rest[0];
    if (!t) throw usageError('missing target: fruits run <local|vm|emr> ...');
    if (!TARGETS.includes(t as Target)) throw usageError(`unknown target "${t}": use local, vm or emr`);
    target = t as Target;
    if (rest.length > 1) throw usageError(`unexpected argument "${rest[1]}": job options go after flags, extra job args after --`);
  }
  const env = deps.env ?? process.env;
  const cfg = loadConfig({ configPath: v.config, env, flags: configFlags(v, command, target) });
  const clock = deps.clock ?? realClock;
  const signal = deps.signal ?? new AbortController().signal;
  const root = repoRoot();
  const dryRun = v['dry-run'] ?? false;

  switch (command) {
    case 'run': {
      const req: RunRequest = {
        input: v.input,
        output: v.output,
        runId: v['run-id'] ?? newRunId(new Date(clock.now())),
        k: intFlag('k', v.k, 1, 1280),
        varianceTarget: floatFlag('variance-target', v['variance-target'], 0, 1),
        weights: v.weights,
        batchSize: intFlag('batch-size', v['batch-size'], 1, BATCH_SIZE_MAX),
        overwrite: v.overwrite ?? false,
        extra,
        conf: parseConfFlags(v.conf ?? []),
        dryRun,
        wait: !v['no-wait'],
      };
      if (req.k !== undefined && req.varianceTarget !== undefined) throw usageError('--k and --variance-target are exclusive: pass only one');
      const ctx: RunContext = { cfg, out, signal, clock, root };
      const mod = target === 'local' ? await import('./targets/local.js') : target === 'vm' ? await import('./targets/vm.js') : await import('./targets/emr.js');
      const fn = 'runLocal' in mod ? mod.runLocal : 'runVm' in mod ? mod.runVm : mod.runEmr;
      return (await fn(req, ctx)).exitCode;
    }
    case 'upload-data':
      return uploadData(rest, cfg, out, { dryRun, checksum: v.checksum ?? false, to: v.to, signal });
    case 'tunnel':
      return tunnel(cfg, out, { dryRun, foxyproxy: v.foxyproxy ?? false, signal });
    case 'status':
    case 'logs':
      return statusOrLogs(command, rest, cfg, out, { clock, waitSeconds: intFlag('wait-seconds', v['wait-seconds'], 0, 3600) });
    case 'classify': {
      if (rest.length > 1) throw usageError(`one photo at a time: unexpected argument "${rest[1]}"`);
      const { runClassify } = await import('./classify.js');
      return runClassify({ photo: rest[0], run: v.run, maxImagePixels: intFlag('max-image-pixels', v['max-image-pixels'], 1, Number.MAX_SAFE_INTEGER), dryRun }, cfg, out, root);
    }
    case 'vm-setup': {
      const { vmSetup } = await import('./vm-setup.js');
      return vmSetup(cfg, root, { out, dryRun, signal });
    }
    case 'doctor': {
      const areas = v.target ? [v.target] : ['local', 'vm', 'emr'];
      if (!areas.every((a) => (TARGETS as readonly string[]).includes(a))) throw usageError(`unknown --target "${v.target}": use local, vm or emr`);
      const { runDoctor, formatChecks, doctorExit } = await import('./doctor.js');
      const checks = await runDoctor(cfg, { root, offline: v.offline ?? false, areas: areas as Target[] });
      const code = doctorExit(checks);
      out.result({ ok: code === 0, exitCode: code, checks }, formatChecks(checks) + (code === 0 ? '\nall checks passed' : '\nsome checks failed: see the fix lines above'));
      return code;
    }
  }
  throw usageError(`unknown command "${command}"`);
}

async function uploadData(rest: string[], cfg: RunnerConfig, out: Output, o: { dryRun: boolean; checksum: boolean; to?: string; signal: AbortSignal }) {
  const dir = rest[0];
  if (!dir) throw usageError('missing folder: fruits upload-data <local image folder> [--to s3://bucket/prefix/]');
  const { readStackOutputs, DEPLOY_HINT } = await import('./stack-outputs.js');
  const { syncImages, formatBytes } = await import('./upload-data.js');
  const { makeAwsClients } = await import('./adapters/aws.js');
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  const to = o.to ?? outputs.inputUri;
  if (!to) throw usageError(`no destination: pass --to s3://bucket/prefix/ or ${DEPLOY_HINT}`);
  joinS3(to); // validates the URI
  const region = cfg.emr.region ?? outputs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw usageError(`no AWS region: pass --region, set AWS_REGION, or ${DEPLOY_HINT}`);
  const { s3 } = makeAwsClients({ region, endpoint: cfg.emr.endpoint });
  const r = await syncImages(s3, {
    dir, to, concurrency: cfg.upload.concurrency, checksum: o.checksum, dryRun: o.dryRun, signal: o.signal,
    onProgress: (p) => out.status(`[${p.done}/${p.total}] ${formatBytes(p.bytes)} / ${formatBytes(p.totalBytes)}  ${p.file ?? ''}`),
    onCheckProgress: (p) => out.status(`checking SHA-256 [${p.done}/${p.total}]`),
  });
  const human = o.dryRun
    ? `would upload ${r.toUpload!.length} of ${r.total} images to ${r.destination} (${r.skipped} already there)`
    : `uploaded ${r.uploaded} images (${formatBytes(r.bytesUploaded)}) to ${r.destination}; ${r.skipped} already there${r.ignored ? `; ${r.ignored} non-image files ignored` : ''}`;
  out.result(r, human);
  return ExitCode.ok;
}

async function tunnel(cfg: RunnerConfig, out: Output, o: { dryRun: boolean; foxyproxy: boolean; signal: AbortSignal }) {
  const { foxyProxyConfig } = await import('./commands/tunnel.js');
  if (o.foxyproxy) {
    const c = foxyProxyConfig(cfg.tunnel.port);
    out.result(c, JSON.stringify(c, null, 2));
    return ExitCode.ok;
  }
  const { readStackOutputs, DEPLOY_HINT } = await import('./stack-outputs.js');
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  let masterDns = cfg.tunnel.masterDns ?? (cfg.emr.clusterId ? undefined : outputs.masterPublicDns);
  if (!masterDns) {
    const { resolveEmrSettings, clientsFor } = await import('./targets/emr.js');
    const { describeClusterBrief } = await import('./cluster-info.js');
    const s = resolveEmrSettings(cfg, outputs);
    masterDns = (await describeClusterBrief(clientsFor(cfg, s).emr, s.clusterId)).masterDns;
    if (!masterDns) throw usageError(`cluster ${s.clusterId} has no master DNS yet (still starting or terminated): wait, or ${DEPLOY_HINT}`);
  }
  const { openTunnel } = await import('./tunnel.js');
  return openTunnel(cfg, masterDns, { out, dryRun: o.dryRun, signal: o.signal });
}

async function statusOrLogs(command: 'status' | 'logs', rest: string[], cfg: RunnerConfig, out: Output, o: { clock: Clock; waitSeconds?: number }) {
  const stepId = rest[0];
  if (command === 'logs' && !stepId) throw usageError('missing step id: fruits logs <step-id> (see fruits status)');
  if (stepId && !/^s-[A-Z0-9]+$/i.test(stepId)) throw usageError(`"${stepId}" is not an EMR step id (s-XXXXXXXX)`);
  const { resolveEmrSettings, clientsFor } = await import('./targets/emr.js');
  const s = resolveEmrSettings(cfg);
  const clients = clientsFor(cfg, s);
  const { stepStatus, stepLogs, formatStepLine } = await import('./step-status.js');
  if (command === 'status') {
    const steps = await stepStatus(clients, s.clusterId, stepId);
    out.result({ clusterId: s.clusterId, steps }, steps.length ? steps.map(formatStepLine).join('\n') : `no steps on ${s.clusterId}`);
    return ExitCode.ok;
  }
  const logs = await stepLogs(clients, {
    clusterId: s.clusterId, stepId: stepId!, logUri: cfg.emr.logUri, waitMs: (o.waitSeconds ?? 0) * 1000, clock: o.clock,
    onWait: (m) => out.status(`fruits: ${m}`),
  });
  if (logs.missing) throw usageError(`no logs for ${stepId} in ${logs.dir} yet: EMR uploads them a few minutes after the step ends; retry with --wait-seconds 300`);
  out.result(logs, [`----- stdout (${logs.dir}stdout.gz) -----`, logs.stdout ?? '(none)', `----- stderr (${logs.dir}stderr.gz) -----`, logs.stderr ?? '(none)'].join('\n'));
  return ExitCode.ok;
}

/** Entry used by scripts/fruits.mjs: wires Ctrl-C to an AbortSignal. */
export async function runFromProcess(): Promise<void> {
  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nfruits: ${sig} received, stopping the job (again to force quit)\n`);
      ac.abort();
    } else process.exit(ExitCode.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Closing the terminal: stop the job like Ctrl-C (spark-submit runs in its own process
  // group, so without this it would outlive the runner as an orphan).
  process.on('SIGHUP', onSignal);
  const code = await main(process.argv.slice(2), { signal: ac.signal });
  process.exitCode = code === 0 && ac.signal.aborted ? ExitCode.interrupted : code;
}
