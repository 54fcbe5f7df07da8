// The one error type of the project (the bottom layer: config/, main.ts and the runner all use
// it): the problem, the fix when there is one, the exit code the CLIs return, and the cause
// underneath, as fields. One way to print it: "<problem>; <fix>" (problemText), or the problem
// alone. AWS SDK errors are mapped to it by runner/aws/errors.ts.

/** Exit codes of the `fruits` command and main.ts (documented in the README). */
export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  usage: 2,
  environment: 3,
  awsAuth: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** What is wrong and how to fix it; pure rules return this, the caller names the field. */
export interface Problem {
  problem: string;
  fix?: string;
}

/** The one printed form of a problem: "problem; fix", or the problem alone. */
export const problemText = (p: Problem): string => (p.fix ? `${p.problem}; ${p.fix}` : p.problem);

/** problemText with the two parts as arguments. */
export const problemLine = (problem: string, fix?: string): string => problemText({ problem, fix });

export interface ProblemOptions {
  /** What went wrong underneath (an SDK error, a process error), shown with FRUITS_DEBUG=1. */
  cause?: unknown;
}

export class FruitsError extends Error {
  readonly problem: string;
  readonly fix?: string;

  constructor(
    problem: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
    o: ProblemOptions & { fix?: string } = {},
  ) {
    super(problemLine(problem, o.fix), o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'FruitsError';
    this.problem = problem;
    if (o.fix !== undefined) this.fix = o.fix;
  }
}

/** A bad setting (exit 2, usage). main.ts and the runner print `error: <message>`, no stack trace. */
export class ConfigError extends FruitsError {
  declare readonly exitCode: 2;

  constructor(problem: string, fix?: string, options?: ProblemOptions) {
    super(problem, ExitCode.usage, { ...options, fix });
    this.name = 'ConfigError';
  }

  /** The error for a rule's problem, with `at` (the field or env var) put before it. */
  static at(at: string, p: Problem): ConfigError {
    return new ConfigError(`${at} ${p.problem}`, p.fix);
  }
}

/**
 * Any error with a string `problem` and a numeric `exitCode` (a FruitsError, or one from another
 * copy of this module): reportError and doctor read these fields, duck-typed.
 */
export interface StructuredError {
  problem: string;
  fix?: string;
  exitCode: number;
  message?: string;
  cause?: unknown;
}

export const isStructuredError = (e: unknown): e is StructuredError =>
  !!e && typeof e === 'object' && typeof (e as { problem?: unknown }).problem === 'string' && typeof (e as { exitCode?: unknown }).exitCode === 'number';

const maker = (exitCode: ExitCodeValue) => (problem: string, fix?: string, o: ProblemOptions = {}) => new FruitsError(problem, exitCode, { ...o, fix });

/** usageError(problem, fix?, { cause }); usageError(message) still works (no fix field). */
export const usageError = maker(ExitCode.usage);
export const envError = maker(ExitCode.environment);
export const jobError = maker(ExitCode.jobFailed);
export const authError = maker(ExitCode.awsAuth);

/** Raised when the operator pressed Ctrl-C and the runner cleaned up. */
export class InterruptedError extends FruitsError {
  constructor(problem = 'interrupted', fix?: string) {
    super(problem, ExitCode.interrupted, { fix });
  }
}

export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * For FRUITS_DEBUG=1: the error's stack, then each `cause` in turn ("caused by: ..."),
 * with an SDK error's $metadata (HTTP status, request id) when it has one.
 */
export function causeChain(e: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  for (let cur = e; cur !== undefined && cur !== null && !seen.has(cur) && parts.length < 10; cur = (cur as { cause?: unknown }).cause) {
    seen.add(cur);
    let text = cur instanceof Error ? (cur.stack ?? `${cur.name}: ${cur.message}`) : typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
    const meta = typeof cur === 'object' ? (cur as { $metadata?: unknown }).$metadata : undefined;
    if (meta && typeof meta === 'object' && Object.keys(meta).length) text += `\n    $metadata: ${JSON.stringify(meta)}`;
    parts.push(parts.length ? `caused by: ${text}` : text);
    if (typeof cur !== 'object') break;
  }
  return parts.join('\n') + '\n';
}
