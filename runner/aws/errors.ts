// AWS SDK errors -> the project's one error type (config/errors.ts), with the exit code that
// says what to do: 4 for credentials and permissions, 3 for a missing bucket, 2 for a bad id.
import { authError, envError, FruitsError, jobError, oneLine, usageError } from '../../config/errors.js';

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
      'check the s3:// URI (--to, --input, --output) or deploy the stack (npm run deploy)',
      cause,
    );
  }
  if (name === 'InvalidRequestException' && /cluster id|not valid|does not exist/i.test(msg)) {
    return usageError(`${doing}: ${msg}`, 'check --cluster-id or redeploy (npm run deploy)', cause);
  }
  return jobError(`${doing} failed (${name || 'error'}: ${msg})`, undefined, cause);
}
