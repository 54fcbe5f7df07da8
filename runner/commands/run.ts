// `fruits run <target>`: the job's options as data (the contract's runner flags, parsed by the job's
// own rules), then the target's run from the registry. Nothing here knows a particular option or target.
import { usageError } from '../../config/errors.js';
import { exclusiveProblem, loadJobContract, parseJobOption, runnerOptions, type JobOptionValues } from '../../config/job-contract.js';
import { newRunId, parseConfFlags } from '../argv/spark-submit.js';
import { foreignFlagProblem, targetEntry, targetNames } from '../targets/registry.js';
import type { RunRequest } from '../targets/run-request.js';
import { boolFlag, stringFlag, type CommandContext, type CommandHandler } from './handler.js';

/**
 * The target named by the first positional, with the flags given (checked by the cli before the
 * config loads): a flag of other targets only is refused, not dropped.
 */
export function runTargetName(args: string[], flags: readonly string[] = []): string {
  const t = args[0];
  if (!t) throw usageError('missing target', `fruits run <${targetNames().join('|')}> ...`);
  const name = targetEntry(t).name;
  if (args.length > 1) throw usageError(`unexpected argument "${args[1]}"`, 'job options go after flags, extra job args after --');
  const foreign = foreignFlagProblem(name, flags);
  if (foreign) throw usageError(foreign.problem, foreign.fix);
  return name;
}

/**
 * Pure: the job options given as flags, by contract name, each parsed as the job of cfg.jobDir
 * would take it (`contract` lists the flags the command line had).
 */
export function jobOptionsFromFlags(c: Pick<CommandContext, 'values' | 'contract'>, job = c.contract): JobOptionValues {
  const options: JobOptionValues = {};
  for (const [name, spec] of runnerOptions(c.contract)) {
    if (name === 'run-id') continue; // a request field: the run folder name every target puts in paths
    const v = c.values[name];
    if (v === undefined || v === false) continue;
    options[name] = spec.type === 'flag' ? true : parseJobOption(job, name, String(v));
  }
  const p = exclusiveProblem(job, Object.fromEntries(Object.keys(options).map((n) => [n, `--${n}`])), 'pass only one');
  if (p) throw usageError(p.problem, p.fix);
  return options;
}

/** The flags given on the command line (parseArgs leaves the others undefined). */
export const givenFlags = (values: CommandContext['values']): string[] => Object.keys(values).filter((n) => values[n] !== undefined);

export const handle: CommandHandler = async (c) => {
  const entry = targetEntry(runTargetName(c.args, givenFlags(c.values)));
  const job = loadJobContract(c.cfg.jobDir); // the job's own ranges, from the job dir it ships
  const req: RunRequest = {
    input: stringFlag(c, 'input'),
    output: stringFlag(c, 'output'),
    runId: stringFlag(c, 'run-id') ?? newRunId(new Date(c.clock.now())),
    options: jobOptionsFromFlags(c, job),
    extra: c.extra,
    conf: parseConfFlags((c.values.conf as string[] | undefined) ?? []),
    dryRun: c.dryRun,
    wait: !boolFlag(c, 'no-wait'),
  };
  const target = await entry.load();
  target.validate?.(c.cfg);
  return (await target.run(req, { cfg: c.cfg, out: c.out, signal: c.signal, clock: c.clock, root: c.root })).exitCode;
};
