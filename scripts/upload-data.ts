// upload-data: sync a local image folder to s3://<input prefix>, skipping objects
// that are already there (same key and size; with --checksum also same MD5 ETag).
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep, extname } from 'node:path';
import { joinS3, parseS3Uri } from './commands/s3-uri.js';
import { fromAwsError, InterruptedError, usageError } from './errors.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

export interface LocalFile {
  rel: string;
  path: string;
  size: number;
}

export interface RemoteObject {
  size: number;
  etag?: string;
}

/** Side effect: lists image files under dir (sorted, relative paths with '/'). */
export function listLocalImages(dir: string): { files: LocalFile[]; ignored: number } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`${dir} is not a folder: pass the local image root (<root>/<Split>/<Label>/*.jpg)`);
  const files: LocalFile[] = [];
  let ignored = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        files.push({ rel: relative(dir, p).split(sep).join('/'), path: p, size: statSync(p).size });
      } else ignored++;
    }
  };
  walk(dir);
  return { files, ignored };
}

/** Pure: which files to upload. `md5` (hex) is only consulted for single-part ETags. */
export function planSync(local: LocalFile[], remote: Map<string, RemoteObject>, prefixKey: string, md5?: (f: LocalFile) => string) {
  const upload: LocalFile[] = [];
  const skip: LocalFile[] = [];
  for (const f of local) {
    const r = remote.get(objectKey(prefixKey, f.rel));
    const etag = r?.etag?.replace(/"/g, '');
    const same = r !== undefined && r.size === f.size && (!md5 || !etag || etag.includes('-') || etag === md5(f));
    (same ? skip : upload).push(f);
  }
  return { upload, skip };
}

export const objectKey = (prefixKey: string, rel: string) => (prefixKey === '' || prefixKey.endsWith('/') ? prefixKey : prefixKey + '/') + rel;

export async function listRemote(s3: S3Client, bucket: string, prefixKey: string): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  let token: string | undefined;
  try {
    do {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefixKey, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) out.set(o.Key, { size: o.Size ?? -1, etag: o.ETag });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
  } catch (e) {
    throw fromAwsError(e, `listing s3://${bucket}/${prefixKey}`);
  }
  return out;
}

/** Runs fn over items with at most n in flight; stops taking new items when signal aborts. */
export async function runPool<T>(items: T[], n: number, fn: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

export interface SyncOptions {
  dir: string;
  to: string;
  concurrency: number;
  checksum: boolean;
  dryRun: boolean;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; bytes: number; totalBytes: number; file?: string }) => void;
}

export interface SyncResult {
  destination: string;
  total: number;
  uploaded: number;
  skipped: number;
  ignored: number;
  bytesUploaded: number;
  toUpload?: string[];
}

const md5Of = (f: LocalFile) => createHash('md5').update(readFileSync(f.path)).digest('hex');
const contentType = (rel: string) => (rel.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg');

export async function syncImages(s3: S3Client, o: SyncOptions): Promise<SyncResult> {
  const { files, ignored } = listLocalImages(o.dir);
  const { bucket, key: prefixKey } = parseS3Uri(o.to);
  const remote = await listRemote(s3, bucket, prefixKey);
  const { upload, skip } = planSync(files, remote, prefixKey, o.checksum ? md5Of : undefined);
  const base = { destination: joinS3(o.to, '/'), total: files.length, skipped: skip.length, ignored };
  if (o.dryRun) return { ...base, uploaded: 0, bytesUploaded: 0, toUpload: upload.map((f) => objectKey(prefixKey, f.rel)) };
  const totalBytes = upload.reduce((s, f) => s + f.size, 0);
  let done = 0;
  let bytes = 0;
  await runPool(upload, o.concurrency, async (f) => {
    const Key = objectKey(prefixKey, f.rel);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: readFileSync(f.path), ContentType: contentType(f.rel) }));
    } catch (e) {
      throw fromAwsError(e, `uploading s3://${bucket}/${Key}`);
    }
    done++;
    bytes += f.size;
    o.onProgress?.({ done, total: upload.length, bytes, totalBytes, file: f.rel });
  }, o.signal);
  if (o.signal?.aborted) throw new InterruptedError(`interrupted: uploaded ${done}/${upload.length} files; run upload-data again to continue (uploaded files are skipped)`);
  return { ...base, uploaded: done, bytesUploaded: bytes };
}

export function formatBytes(n: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i ? v.toFixed(1) : v} ${u[i]}`;
}
