// `fruits`: the job runner CLI (local | vm | emr), data upload, tunnel, status, logs, doctor.
// It only parses and dispatches: each command's handler is named by its row of the command table
// (command-table.ts), each target is one module in targets/registry.ts. Every failure ends as one
// `error: ...` line and a documented exit code.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, repoRoot, type RunnerConfig } from '../config/index.js';
import { ExitCode, usageError } from '../config/errors.js';
import { defaultJobContract, type JobContract } from '../config/job-contract.js';
import { makeOutput, type Output } from './platform/output.js';
import { realClock, type Clock } from './platform/clock.js';
import { parseArgsProblem, reportError } from './platform/report-error.js';
import { allowedOptions, commandHelp, commandSpec, configFlags, globalHelp, parseArgsOptions, tableFor } from './command-table.js';
import type { CommandContext, FlagValues } from './commands/handler.js';
import { givenFlags, runTargetName } from './commands/run.js';

/** `fruits help` (generated from the command table). */
export const USAGE = globalHelp();

export interface CliDeps {
  clock?: Clock;
  out?: Output;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** The job contract whose runner options are flags (default: this checkout's; tests add options to a copy). */
  contract?: JobContract;
}

function parse(argv: string[], contract: JobContract) {
  const dd = argv.indexOf('--');
  const mine = dd >= 0 ? argv.slice(0, dd) : argv;
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  let parsed;
  try {
    parsed = parseArgs({ args: mine, options: parseArgsOptions(contract), allowPositionals: true, strict: true });
  } catch (e) {
    throw usageError(`${parseArgsProblem(e)} (see fruits help)`, undefined, { cause: e });
  }
  return { values: parsed.values as FlagValues, positionals: parsed.positionals, extra };
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

async function dispatch(argv: string[], out: Output, deps: CliDeps): Promise<number> {
  const contract = deps.contract ?? defaultJobContract();
  const { values: v, positionals, extra } = parse(argv, contract);
  const [command = 'help', ...rest] = positionals;
  if (v.version) {
    const pkg = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version: string };
    out.result({ version: pkg.version }, pkg.version);
    return 0;
  }
  const spec = commandSpec(command, contract);
  if (!spec) throw usageError(`unknown command "${command}"`, `use one of ${tableFor(contract).commands.map((c) => c.name).join(', ')}`);
  if (v.help && command !== 'help') {
    const text = commandHelp(command, contract);
    out.result({ usage: text }, text);
    return 0;
  }
  const allowed = allowedOptions(command, contract);
  for (const [name, value] of Object.entries(v)) {
    if (value !== undefined && !allowed.has(name)) throw usageError(`--${name} does not apply to "${command}" (see fruits ${command} --help)`);
  }
  if (extra.length && command !== 'run') throw usageError(`"${command}" takes no arguments after --`);

  const target = command === 'run' ? runTargetName(rest, givenFlags(v)) : undefined;
  const env = deps.env ?? process.env;
  let cfg: RunnerConfig | undefined;
  if (spec.loadsConfig !== false) cfg = loadConfig({ configPath: v.config as string | undefined, env, flags: configFlags(v, command, target, contract), contract });
  const ctx: CommandContext = {
    command,
    values: v,
    args: rest,
    extra,
    get cfg(): RunnerConfig {
      if (!cfg) throw new Error(`"${command}" reads the config, but its table row says loadsConfig: false`);
      return cfg;
    },
    contract,
    out,
    clock: deps.clock ?? realClock,
    signal: deps.signal ?? new AbortController().signal,
    root: repoRoot(),
    env,
    dryRun: v['dry-run'] === true,
  };
  return (await spec.handler())(ctx);
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
