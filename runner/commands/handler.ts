// What a command handler gets and returns: each row of the command table (command-table.ts) names a
// module whose `handle` runs the command; cli.ts only parses, loads the config and dispatches.
import type { RunnerConfig } from '../../config/index.js';
import { parseWholeNumber } from '../../config/index.js';
import { usageError } from '../../config/errors.js';
import type { JobContract } from '../../config/job-contract.js';
import type { Clock } from '../platform/clock.js';
import type { Output } from '../platform/output.js';

export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandContext {
  /** The command's name (a row of the table). */
  command: string;
  /** Parsed flags by long name. */
  values: FlagValues;
  /** Positionals after the command name. */
  args: string[];
  /** Arguments after `--` (only `run` takes them). */
  extra: string[];
  /** fruits.config.json with env and flags applied (rows with loadsConfig: false must not read it). */
  cfg: RunnerConfig;
  /** The job contract the table's job flags came from (this checkout's unless a test injects one). */
  contract: JobContract;
  out: Output;
  clock: Clock;
  signal: AbortSignal;
  /** The checkout root. */
  root: string;
  env: NodeJS.ProcessEnv;
  dryRun: boolean;
}

export type CommandHandler = (ctx: CommandContext) => Promise<number>;

/** A string flag's value (undefined when not given). */
export const stringFlag = (ctx: Pick<CommandContext, 'values'>, name: string): string | undefined => {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
};
export const boolFlag = (ctx: Pick<CommandContext, 'values'>, name: string): boolean => ctx.values[name] === true;

/** An integer flag within [min, max] (undefined when not given). */
export function intFlag(ctx: Pick<CommandContext, 'values'>, name: string, min: number, max: number): number | undefined {
  const v = stringFlag(ctx, name);
  if (v === undefined) return undefined;
  const n = parseWholeNumber(v) ?? NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`--${name} must be an integer between ${min} and ${max}, got "${v}"`);
  return n;
}
