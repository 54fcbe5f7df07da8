// Reads a run's progress.json / summary.json from its run folder: a local path or s3://.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isS3Uri, joinS3, parseS3Uri } from '../aws/s3-uri.js';
import { usageError } from '../../config/errors.js';
import { defaultJobContract } from '../../config/job-contract.js';
import { fromAwsError, isNotFoundKey } from '../aws/errors.js';
import { parseProgressText, PROGRESS_FILE, type RunProgress } from './run-progress.js';

/** summary.json: the job's name for it (contract.json run_folder). */
export const SUMMARY_FILE = defaultJobContract().run_folder.files.summary!.path;

const hasScheme = (p: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(p);

/** Reads a file on the VM (`vm:<path>`): its text, or undefined when it does not exist. */
export type VmReader = (path: string) => Promise<string | undefined>;

export const VM_PREFIX = 'vm:';
const isVm = (p: string) => p.startsWith(VM_PREFIX);

/** A file of the run folder as a URI or local path (`vm:<path>` for a folder on the VM). */
export function runFile(runFolder: string, name: string): string {
  if (isS3Uri(runFolder)) return joinS3(runFolder, name);
  if (isVm(runFolder)) return VM_PREFIX + posix.join(runFolder.slice(VM_PREFIX.length), name);
  if (runFolder.startsWith('file://')) return join(fileURLToPath(runFolder), name);
  if (hasScheme(runFolder)) throw usageError(`${runFolder}: a run folder is a local path, vm:<path on the VM> or an s3:// URI`);
  return join(runFolder, name);
}

/** The text of a run file, or undefined when it does not exist (yet). */
export async function readRunFile(uri: string, s3?: S3Client, vm?: VmReader): Promise<string | undefined> {
  if (isVm(uri)) {
    if (!vm) throw usageError(`${uri}: reading a run folder on the VM needs the vm settings (vm.host, ...)`);
    return vm(uri.slice(VM_PREFIX.length));
  }
  if (!isS3Uri(uri)) return existsSync(uri) ? readFileSync(uri, 'utf8') : undefined;
  if (!s3) throw usageError(`reading ${uri} needs an AWS region`, 'pass --region or set AWS_REGION');
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
export async function readProgress(runFolder: string, s3?: S3Client, vm?: VmReader): Promise<RunProgress | undefined> {
  const text = await readRunFile(runFile(runFolder, PROGRESS_FILE), s3, vm);
  return text === undefined ? undefined : parseProgressText(text);
}

/** summary.json of a run folder; undefined when missing or not JSON. */
export async function readSummaryAt(runFolder: string, s3?: S3Client, vm?: VmReader): Promise<unknown | undefined> {
  const text = await readRunFile(runFile(runFolder, SUMMARY_FILE), s3, vm);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
