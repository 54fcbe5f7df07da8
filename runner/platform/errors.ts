// One error type for everything the runner reports to a person: the problem, the fix,
// the exit code the CLI returns and the underlying cause, as fields. The one-line message
// is "<problem>: <fix>" (or the problem alone), the wording the runner always printed.

/** Exit codes of the `fruits` command (documented in docs/runner.md). */
export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  usage: 2,
  environment: 3,
  awsAuth: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface ProblemOptions {
  /** What went wrong underneath (an SDK error, a process error), shown with FRUITS_DEBUG=1. */
  cause?: unknown;
}

/**
 * Any error with a string `problem` and a numeric `exitCode` (FruitsError, the config
 * module's ConfigError, ...): reportError and doctor read these fields, duck-typed.
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

/** The one line for a problem and its fix. */
export const problemLine = (problem: string, fix?: string): string => (fix ? `${problem}: ${fix}` : problem);

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

const ACCESS_DENIED = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
]);

const errName = (e: unknown): string =>
  e && typeof e === 'object' ? String((e as { name?: unknown; Code?: unknown }).name ?? (e as { Code?: unknown }).Code ?? '') : '';

/** HTTP status of an SDK error ($metadata), if any. */
export const httpStatus = (e: unknown): number | undefined =>
  e && typeof e === 'object' ? (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode : undefined;

/**
 * A 403 is a permission problem whatever its name: S3 answers HEAD requests without a
 * body, so the SDK can only call it "Unknown" / "403" / "Forbidden".
 */
export const isAccessDenied = (e: unknown): boolean => ACCESS_DENIED.has(errName(e)) || errName(e) === 'Forbidden' || httpStatus(e) === 403;
export const isNoSuchBucket = (e: unknown): boolean => errName(e) === 'NoSuchBucket';
export const isThrottling = (e: unknown): boolean => THROTTLED.has(errName(e));
export const isCredentialsMissing = (e: unknown): boolean =>
  errName(e) === 'CredentialsProviderError' || /Could not load credentials/i.test(String((e as Error)?.message ?? ''));
export const isNotFoundKey = (e: unknown): boolean => ['NoSuchKey', 'NotFound'].includes(errName(e));

/**
 * Turns an AWS SDK error into a FruitsError with the right exit code, so that a
 * permission problem surfaces at once (exit 4) instead of as a timeout or stack trace.
 * The SDK error stays as `cause` (FRUITS_DEBUG=1 prints it).
 */
export function fromAwsError(e: unknown, doing: string): FruitsError {
  if (e instanceof FruitsError) return e;
  const name = errName(e);
  const msg = oneLine(String((e as Error)?.message ?? e));
  const cause = { cause: e };
  if (isCredentialsMissing(e)) {
    return authError(`no AWS credentials while ${doing}`, 'configure them (aws configure / AWS_PROFILE / AWS_ACCESS_KEY_ID) and retry', cause);
  }
  if (isAccessDenied(e)) {
    const why = ACCESS_DENIED.has(name) ? `${name}: ${msg}` : `HTTP 403${name === 'Forbidden' ? ' Forbidden' : ''}`;
    return authError(`AWS denied ${doing} (${why})`, 'use a role/user allowed to do this, or check AWS_PROFILE', cause);
  }
  if (isNoSuchBucket(e)) {
    const bucket = (e as { BucketName?: string }).BucketName;
    return envError(
      `${doing}: the bucket${bucket ? ` ${bucket}` : ''} does not exist`,
      'check the s3:// URI (--to, --input, --output) or deploy the stack (npx cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)',
      cause,
    );
  }
  if (name === 'InvalidRequestException' && /cluster id|not valid|does not exist/i.test(msg)) {
    return usageError(`${doing}: ${msg}`, 'check --cluster-id or redeploy (npx cdktf deploy fruits-emr)', cause);
  }
  return jobError(`${doing} failed (${name || 'error'}: ${msg})`, undefined, cause);
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
