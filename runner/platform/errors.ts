// One error type for everything the runner reports to a person: a one-line message
// (naming the problem and the fix) plus the exit code the CLI returns.

/** Exit codes of the `fruits` command (documented in the README). */
export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  usage: 2,
  environment: 3,
  awsAuth: 4,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class FruitsError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.usage,
  ) {
    super(message);
    this.name = 'FruitsError';
  }
}

export const usageError = (msg: string) => new FruitsError(msg, ExitCode.usage);
export const envError = (msg: string) => new FruitsError(msg, ExitCode.environment);
export const jobError = (msg: string) => new FruitsError(msg, ExitCode.jobFailed);
export const authError = (msg: string) => new FruitsError(msg, ExitCode.awsAuth);

/** Raised when the operator pressed Ctrl-C and the runner cleaned up. */
export class InterruptedError extends FruitsError {
  constructor(message = 'interrupted') {
    super(message, ExitCode.interrupted);
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
 */
export function fromAwsError(e: unknown, doing: string): FruitsError {
  if (e instanceof FruitsError) return e;
  const name = errName(e);
  const msg = oneLine(String((e as Error)?.message ?? e));
  if (isCredentialsMissing(e)) {
    return authError(
      `no AWS credentials while ${doing}: configure them (aws configure / AWS_PROFILE / AWS_ACCESS_KEY_ID) and retry`,
    );
  }
  if (isAccessDenied(e)) {
    const why = ACCESS_DENIED.has(name) ? `${name}: ${msg}` : `HTTP 403${name === 'Forbidden' ? ' Forbidden' : ''}`;
    return authError(`AWS denied ${doing} (${why}): use a role/user allowed to do this, or check AWS_PROFILE`);
  }
  if (isNoSuchBucket(e)) {
    const bucket = (e as { BucketName?: string }).BucketName;
    return envError(`${doing}: the bucket${bucket ? ` ${bucket}` : ''} does not exist: check the s3:// URI (--to, --input, --output) or ${'deploy the stack (npx cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)'}`);
  }
  if (name === 'InvalidRequestException' && /cluster id|not valid|does not exist/i.test(msg)) {
    return usageError(`${doing}: ${msg} -- check --cluster-id or redeploy (npx cdktf deploy fruits-emr)`);
  }
  return jobError(`${doing} failed (${name || 'error'}: ${msg})`);
}

export const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();
