// `fruits`: the job runner CLI (local | vm | emr), data upload, tunnel, status, logs, doctor.
// Every failure ends as one `error: ...` line and a documented exit code.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseWholeNumber, repoRoot } from '../config/index.js';
import { causeChain, ExitCode, isStructuredError, problemLine, usageError, type ExitCodeValue } from '../config/errors.js';
import { makeOutput, type Output } from './platform/output.js';
import { realClock, type Clock } from './platform/clock.js';
import { newRunId, parseConfFlags } from './argv/spark-submit.js';
import { jobFlag, loadJobContract } from '../config/job-contract.js';
import type { RunRequest, RunContext } from './targets/run-request.js';
import { allowedOptions, commandHelp, commandSpec, COMMANDS, globalHelp, parseArgsOptions } from './command-table.js';

/** `fruits help` (generated from the command table). */
export const USAGE = globalHelp();

const OPTIONS = parseArgsOptions();

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>['values'];

const TARGETS = ['local', 'vm', 'emr'] as const;
type Target = (typeof TARGETS)[number];

function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = parseWholeNumber(v) ?? NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be an integer between ${min} and ${max}, got "${v}"`);
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
    throw usageError(`${(e as Error).message.split('\n')[0]!.replace(/\. To specify.*$/, '')} (see fruits help)`, undefined, { cause: e });
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
    return reportError(e, out, deps.env ?? process.env);
  }
}

/**
 * Prints the one-line error (fields under --json) and returns its exit code. Any error
 * with a string `problem` and a numeric `exitCode` counts as structured (FruitsError,
 * ConfigError); FRUITS_DEBUG=1 adds the stack and cause chain of wrapped or unexpected ones.
 */
export function reportError(e: unknown, out: Output, env: NodeJS.ProcessEnv = process.env): ExitCodeValue {
  const s = isStructuredError(e) ? e : undefined;
  const message = s
    ? (typeof s.message === 'string' && s.message) || problemLine(s.problem, s.fix)
    : `unexpected failure: ${String((e as Error)?.message ?? e).split('\n')[0]} (set FRUITS_DEBUG=1 for details)`;
  const exitCode = (s ? s.exitCode : ExitCode.jobFailed) as ExitCodeValue;
  if (env.FRUITS_DEBUG && (!s || s.cause !== undefined)) process.stderr.write(causeChain(e));
  out.error(message, exitCode, s ? { problem: s.problem, fix: s.fix } : { problem: message });
  return exitCode;
}

async function dispatch(argv: string[], out: Output, deps: CliDeps): Promise<number> {
  const { values: v, positionals, extra } = parse(argv);
  const [command = 'help', ...rest] = positionals;
  if (v.version) {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    out.result({ version: pkg.version }, pkg.version);
    return 0;
  }
  if (!commandSpec(command)) throw usageError(`unknown command "${command}"`, `use one of ${COMMANDS.map((c) => c.name).join(', ')}`);
  if (command === 'help') {
    const topic = rest[0];
    if (topic !== undefined && !commandSpec(topic)) throw usageError(`unknown command "${topic}"`, `use one of ${COMMANDS.map((c) => c.name).join(', ')}`);
    const text = topic ? commandHelp(topic) : globalHelp();
    out.result({ usage: text }, text);
    return 0;
  }
  if (v.help) {
    const text = commandHelp(command);
    out.result({ usage: text }, text);
    return 0;
  }
  const allowed = allowedOptions(command);
  for (const [name, value] of Object.entries(v)) {
    if (value !== undefined && !allowed.has(name)) throw usageError(`--${name} does not apply to "${command}" (see fruits ${command} --help)`);
  }
  if (extra.length && command !== 'run') throw usageError(`"${command}" takes no arguments after --`);

  let target: Target | undefined;
  if (command === 'run') {
    const t = rest[0];
    if (!t) throw usageError('missing target', 'fruits run <local|vm|emr> ...');
    if (!TARGETS.includes(t as Target)) throw usageError(`unknown target "${t}"`, 'use local, vm or emr');
    target = t as Target;
    if (rest.length > 1) throw usageError(`unexpected argument "${rest[1]}"`, 'job options go after flags, extra job args after --');
  }
  const env = deps.env ?? process.env;
  const cfg = loadConfig({ configPath: v.config, env, flags: configFlags(v, command, target) });
  const clock = deps.clock ?? realClock;
  const signal = deps.signal ?? new AbortController().signal;
  const root = repoRoot();
  const dryRun = v['dry-run'] ?? false;

  switch (command) {
    case 'run': {
      const job = loadJobContract(cfg.jobDir); // the job's own ranges, from the job dir it ships
      const req: RunRequest = {
        input: v.input,
        output: v.output,
        runId: v['run-id'] ?? newRunId(new Date(clock.now())),
        k: jobFlag(job, 'k', v.k),
        varianceTarget: jobFlag(job, 'variance-target', v['variance-target']),
        weights: v.weights,
        batchSize: jobFlag(job, 'batch-size', v['batch-size']),
        overwrite: v.overwrite ?? false,
        extra,
        conf: parseConfFlags(v.conf ?? []),
        dryRun,
        wait: !v['no-wait'],
      };
      if (req.k !== undefined && req.varianceTarget !== undefined) throw usageError('--k and --variance-target are exclusive', 'pass only one');
      const ctx: RunContext = { cfg, out, signal, clock, root };
      const mod = target === 'local' ? await import('./targets/local.js') : target === 'vm' ? await import('./targets/vm.js') : await import('./targets/emr.js');
      const fn = 'runLocal' in mod ? mod.runLocal : 'runVm' in mod ? mod.runVm : mod.runEmr;
      return (await fn(req, ctx)).exitCode;
    }
    case 'upload-data':
      return (await import('./commands/upload-data.js')).uploadDataCommand(rest, cfg, out, { dryRun, checksum: v.checksum ?? false, to: v.to, signal });
    case 'tunnel':
      return (await import('./commands/tunnel.js')).tunnelCommand(cfg, out, { dryRun, foxyproxy: v.foxyproxy ?? false, merge: v.merge, signal });
    case 'status':
    case 'logs':
    case 'ui': {
      if (rest.length > (command === 'ui' ? 0 : 1)) throw usageError(`unexpected argument "${rest[command === 'ui' ? 0 : 1]}" (see fruits ${command} --help)`);
      const ops = await import('./commands/status-logs-ui.js');
      const o = { cfg, out, clock, signal };
      if (command === 'status') return ops.status(rest[0], { ...o, follow: v.follow ?? false });
      if (command === 'logs') return ops.logs(rest[0], { ...o, waitSeconds: intFlag('wait-seconds', v['wait-seconds'], 0, 3600) ?? 0 });
      return ops.ui(o);
    }
    case 'watch': {
      if (rest.length !== 1) throw usageError('one run folder: fruits watch <output>/<run-id> (a local path, vm:<path on the VM> or s3://)');
      const { watchRun } = await import('./commands/watch.js');
      return watchRun(rest[0]!, { cfg, out, clock, signal });
    }
    case 'classify': {
      if (rest.length > 1) throw usageError(`one photo at a time: unexpected argument "${rest[1]}"`);
      const { runClassify } = await import('./commands/classify.js');
      const pixels = v['max-image-pixels'];
      const maxImagePixels = pixels === undefined ? undefined : jobFlag(loadJobContract(cfg.jobDir), 'max-image-pixels', pixels);
      return runClassify({ photo: rest[0], run: v.run, maxImagePixels, dryRun }, cfg, out, root);
    }
    case 'vm-setup': {
      const { vmSetup } = await import('./commands/vm-setup.js');
      return vmSetup(cfg, root, { out, dryRun, signal });
    }
    case 'doctor': {
      const areas = v.target ? [v.target] : ['local', 'vm', 'emr'];
      if (!areas.every((a) => (TARGETS as readonly string[]).includes(a))) throw usageError(`unknown --target "${v.target}"`, 'use local, vm or emr');
      const { runDoctor, formatChecks, doctorExit } = await import('./commands/doctor.js');
      const checks = await runDoctor(cfg, { root, offline: v.offline ?? false, areas: areas as Target[] });
      const code = doctorExit(checks);
      out.result({ ok: code === 0, exitCode: code, checks }, formatChecks(checks) + (code === 0 ? '\nall checks passed' : '\nsome checks failed: see the fix lines above'));
      return code;
    }
  }
  throw usageError(`unknown command "${command}"`);
}

/** Entry used by runner/fruits.mjs: wires Ctrl-C to an AbortSignal. */
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
