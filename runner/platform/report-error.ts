// How a command-line entry point (the `fruits` CLI, `npm run image`) ends on an error: one
// `error: ...` line (fields under --json) and its exit code, never a stack trace.
import { causeChain, ExitCode, isStructuredError, problemLine, type ExitCodeValue } from '../../config/errors.js';
import type { Output } from './output.js';

/**
 * Prints the one-line error and returns its exit code. Any error with a string `problem` and a
 * numeric `exitCode` counts as structured (FruitsError, ConfigError); FRUITS_DEBUG=1 adds the
 * stack and cause chain of wrapped or unexpected ones.
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

/**
 * The problem of a node:util parseArgs error (unknown option, missing value): its first line
 * without Node's advice on positionals starting with '-', which does not apply to a typo.
 */
export const parseArgsProblem = (e: unknown): string => String((e as Error)?.message ?? e).split('\n')[0]!.replace(/\. To specify.*$/, '');

/** Whether e was thrown by node:util parseArgs for the arguments (not a bug in the options). */
export const isParseArgsError = (e: unknown): boolean =>
  typeof (e as { code?: unknown })?.code === 'string' && (e as { code: string }).code.startsWith('ERR_PARSE_ARGS_');
