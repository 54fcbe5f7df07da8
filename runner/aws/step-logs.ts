// Fetches a step's stderr.gz / stdout.gz from the cluster's log URI. EMR pushes
// them every few minutes, so missing files are retried for a bounded time.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import type { Clock } from '../platform/clock.js';
import { stepLogUris } from '../argv/emr-step.js';
import { parseS3Uri } from './s3-uri.js';
import { fromAwsError, isAccessDenied, isCredentialsMissing, isNotFoundKey } from './errors.js';

export interface StepLogs {
  stderr?: string;
  stdout?: string;
  dir: string;
  /** True when the files were still missing at the deadline. */
  missing: boolean;
}

async function getText(s3: S3Client, uri: string): Promise<string | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await r.Body!.transformToByteArray());
    // gz files are gzip; tolerate a plain file too.
    return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    if (isNotFoundKey(e)) return undefined;
    if (isAccessDenied(e) || isCredentialsMissing(e)) throw fromAwsError(e, `reading ${uri}`);
    throw fromAwsError(e, `reading ${uri}`);
  }
}

export interface LogWait {
  waitMs: number;
  retryMs?: number;
  clock: Clock;
  onWait?: (msg: string) => void;
}

/**
 * A driver's stderr and stdout under `uris` (an EMR step's, an EMR Serverless job run's), waiting
 * up to waitMs for them: EMR uploads them while and after the run. `what` names them in the wait line.
 */
export async function fetchLogPair(s3: S3Client, uris: { stderr: string; stdout: string; dir: string }, what: string, o: LogWait, why?: string): Promise<StepLogs> {
  const deadline = o.clock.now() + o.waitMs;
  for (;;) {
    const [stderr, stdout] = await Promise.all([getText(s3, uris.stderr), getText(s3, uris.stdout)]);
    // stderr is what explains a failure; once it is there, stop waiting.
    if (stderr !== undefined || o.clock.now() >= deadline) {
      return { stderr, stdout, dir: uris.dir, missing: stderr === undefined && stdout === undefined };
    }
    // Never sleep past the deadline: --wait-seconds 5 waits 5 s, not one whole retry interval.
    const wait = Math.min(o.retryMs ?? 20_000, deadline - o.clock.now());
    o.onWait?.(`${what} not in ${uris.dir} yet${why ? ` (${why})` : ''}, retrying in ${Math.ceil(wait / 1000)} s`);
    await o.clock.sleep(wait);
  }
}

export async function fetchStepLogs(s3: S3Client, o: LogWait & { logUri: string; clusterId: string; stepId: string }): Promise<StepLogs> {
  return fetchLogPair(s3, stepLogUris(o.logUri, o.clusterId, o.stepId), 'step logs', o, 'EMR uploads them every few minutes');
}

export const tail = (text: string, n: number) => text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1).slice(-n).join('\n');
