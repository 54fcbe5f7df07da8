// Fetches the driver's stderr/stdout of an EMR Serverless job run from the logs bucket (the
// job run's monitoring settings). EMR Serverless uploads them while and after the run, so
// missing files are retried for a bounded time, as for EMR steps (step-logs.ts).
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import type { Clock } from '../platform/clock.js';
import { fromAwsError, isNotFoundKey } from './errors.js';
import { driverLogUris } from '../serverless/job-run.js';
import { parseS3Uri } from './s3-uri.js';

async function getText(s3: S3Client, uri: string): Promise<string | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from(await r.Body!.transformToByteArray());
    return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    if (isNotFoundKey(e)) return undefined;
    throw fromAwsError(e, `reading ${uri}`);
  }
}

export async function driverLogText(
  s3: S3Client,
  o: { logUri: string; applicationId: string; jobRunId: string; waitMs: number; retryMs?: number; clock: Clock; onWait?: (msg: string) => void },
): Promise<{ stderr?: string; stdout?: string; dir: string }> {
  const uris = driverLogUris(o.logUri, o.applicationId, o.jobRunId);
  const deadline = o.clock.now() + o.waitMs;
  for (;;) {
    const [stderr, stdout] = await Promise.all([getText(s3, uris.stderr), getText(s3, uris.stdout)]);
    if (stderr !== undefined || o.clock.now() >= deadline) return { stderr, stdout, dir: uris.dir };
    const wait = Math.min(o.retryMs ?? 20_000, deadline - o.clock.now());
    o.onWait?.(`driver logs not in ${uris.dir} yet, retrying in ${Math.ceil(wait / 1000)} s`);
    await o.clock.sleep(wait);
  }
}
