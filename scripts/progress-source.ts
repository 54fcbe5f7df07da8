// Reads a run's progress.json / summary.json from its run folder: a local path or s3://.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isS3Uri, joinS3, parseS3Uri } from './commands/s3-uri.js';
import { fromAwsError, isNotFoundKey, usageError } from './errors.js';
import { parseProgressText, PROGRESS_FILE, type RunProgress } from './run-progress.js';

export const SUMMARY_FILE = 'summary.json';

const hasScheme = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);

/** A file of the run folder as a URI or local path. */
export function runFile(runFolder: string, name: string): string {
  if (isS3Uri(runFolder)) return joinS3(runFolder, name);
  if (runFolder.startsWith('file://')) return join(fileURLToPath(runFolder), name);
  if (hasScheme(runFolder)) throw usageError(`${runFolder}: a run folder is a local path or an s3:// URI`);
  return join(runFolder, name);
}

/** The text of a run file, or undefined when it does not exist (yet). */
export async function readRunFile(uri: string, s3?: S3Client): Promise<string | undefined> {
  if (!isS3Uri(uri)) return existsSync(uri) ? readFileSync(uri, 'utf8') : undefined;
  if (!s3) throw usageError(`reading ${uri} needs an AWS region: pass --region or set AWS_REGION`);
  const { bucket, key } = parseS3Uri(uri);
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return r?.Body ? await r.Body.transformToString() : undefined;
  } catch (e) {
    if (isNotFoundKey(e)) return undefined;
    throw fromAwsError(e, `reading ${uri}`);
  }
}

/** progress.json of a run folder; undefined when missing or half-written. */
export async function readProgress(runFolder: string, s3?: S3Client): Promise<RunProgress | undefined> {
  const text = await readRunFile(runFile(runFolder, PROGRESS_FILE), s3);
  return text === undefined ? undefined : parseProgressText(text);
}

/** summary.json of a run folder; undefined when missing or not JSON. */
export async function readSummaryAt(runFolder: string, s3?: S3Client): Promise<unknown | undefined> {
  const text = await readRunFile(runFile(runFolder, SUMMARY_FILE), s3);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
