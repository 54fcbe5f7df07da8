// The one error type of the configuration: a problem, the fix when there is one, and the
// exit code (2, usage) that main.ts and the runner's `fruits` CLI both return for it.

/** What is wrong and how to fix it; pure rules return this, the loader names the field. */
export interface Problem {
  problem: string;
  fix?: string;
}

/** "problem; fix", the one-line form of a Problem. */
export const problemText = (p: Problem): string => (p.fix ? `${p.problem}; ${p.fix}` : p.problem);

/** A bad setting. main.ts and the runner print `error: <message>` and exit 2, no stack trace. */
export class ConfigError extends Error {
  readonly problem: string;
  readonly fix?: string;
  readonly exitCode = 2 as const;

  constructor(problem: string, fix?: string, options?: { cause?: unknown }) {
    super(problemText({ problem, fix }), options);
    this.name = 'ConfigError';
    this.problem = problem;
    if (fix !== undefined) this.fix = fix;
  }

  /** The error for a rule's problem, with `at` (the field or env var) put before it. */
  static at(at: string, p: Problem): ConfigError {
    return new ConfigError(`${at} ${p.problem}`, p.fix);
  }
}
