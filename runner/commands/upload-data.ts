// upload-data: sync a local image folder to s3://<input prefix>, skipping objects
// that are already there (same key and size; with --checksum also the same SHA-256).
// Every upload records the content SHA-256 in the object's metadata: the data bucket
// is SSE-KMS, where an ETag is not the content MD5 and cannot be compared.
import { HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep, extname } from 'node:path';
import { joinS3, parseS3Uri } from '../aws/s3-uri.js';
import { ExitCode, InterruptedError, usageError } from '../../config/errors.js';
import { fromAwsError, isNotFoundKey } from '../aws/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { boolFlag, stringFlag, type CommandHandler } from './handler.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

export interface LocalFile {
  rel: string;
  path: string;
  size: number;
}

export interface RemoteObject {
  size: number;
}

/** User-metadata key (x-amz-meta-sha256) holding the hex SHA-256 of the uploaded content. */
export const SHA256_METADATA_KEY = 'sha256';

/**
 * Side effect: lists image files under dir (sorted, relative paths with '/'). Symlinked files
 * and folders are followed (their content is uploaded under the link's path); a link back to
 * one of its own parent folders is a loop and is skipped, as is a dangling link, each named in `skippedLinks`.
 */
export function listLocalImages(dir: string): { files: LocalFile[]; ignored: number; skippedLinks: string[] } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`${dir} is not a folder`, 'pass the local image root (<root>/<Split>/<Label>/*.jpg)');
  const files: LocalFile[] = [];
  const skippedLinks: string[] = [];
  let ignored = 0;
  const walk = (d: string, ancestors: Set<string>) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      const rel = relative(dir, p).split(sep).join('/');
      let st = e.isSymbolicLink() ? undefined : statSync(p);
      if (!st) {
        try {
          st = statSync(p); // follows the link
        } catch {
          skippedLinks.push(`${rel} (dangling link)`);
          continue;
        }
      }
      if (st.isDirectory()) {
        const real = realpathSync(p);
        if (ancestors.has(real)) {
          skippedLinks.push(`${rel} (link loop back to ${real})`);
          continue;
        }
        walk(p, new Set(ancestors).add(real));
      } else if (st.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())) {
        files.push({ rel, path: p, size: st.size });
      } else ignored++;
    }
  };
  walk(dir, new Set([realpathSync(dir)]));
  return { files, ignored, skippedLinks };
}

/** Pure: which files to upload by key and size; same-size files are `skip` (candidates for --checksum). */
export function planSync(local: LocalFile[], remote: Map<string, RemoteObject>, prefixKey: string) {
  const upload: LocalFile[] = [];
  const skip: LocalFile[] = [];
  for (const f of local) {
    const r = remote.get(objectKey(prefixKey, f.rel));
    (r !== undefined && r.size === f.size ? skip : upload).push(f);
  }
  return { upload, skip };
}

/** Pure: an object is unchanged only if it carries our SHA-256 and it matches (no metadata counts as changed). */
export const sameContent = (localSha256: string, metadata: Record<string, string> | undefined): boolean =>
  metadata?.[SHA256_METADATA_KEY]?.toLowerCase() === localSha256;

export const objectKey = (prefixKey: string, rel: string) => (prefixKey === '' || prefixKey.endsWith('/') ? prefixKey : prefixKey + '/') + rel;

export async function listRemote(s3: S3Client, bucket: string, prefixKey: string): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  try {
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefixKey })) {
      for (const o of page.Contents ?? []) if (o.Key) out.set(o.Key, { size: o.Size ?? -1 });
    }
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
  /** --checksum: progress of comparing same-size files with their objects' SHA-256. */
  onCheckProgress?: (p: { done: number; total: number }) => void;
}

export interface SyncResult {
  destination: string;
  total: number;
  uploaded: number;
  skipped: number;
  ignored: number;
  /** Symlinks not followed (loops, dangling), with the reason. */
  skippedLinks: string[];
  bytesUploaded: number;
  toUpload?: string[];
}

const sha256Of = (body: Buffer) => createHash('sha256').update(body).digest('hex');
const contentType = (rel: string) => (rel.toLowerCase().endsWith('.png') ? 'image/png' : 'image/jpeg');

/** Side effect: HeadObject for each same-size candidate (bounded concurrency); returns those whose content differs. */
export async function changedByChecksum(s3: S3Client, bucket: string, prefixKey: string, candidates: LocalFile[], o: Pick<SyncOptions, 'concurrency' | 'signal' | 'onCheckProgress'>): Promise<Set<LocalFile>> {
  const changed = new Set<LocalFile>();
  let done = 0;
  await runPool(candidates, o.concurrency, async (f) => {
    const Key = objectKey(prefixKey, f.rel);
    let metadata: Record<string, string> | undefined;
    try {
      metadata = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }))).Metadata;
    } catch (e) {
      if (!isNotFoundKey(e)) throw fromAwsError(e, `checking s3://${bucket}/${Key}`);
      // deleted since the listing: upload it again
    }
    if (!sameContent(sha256Of(readFileSync(f.path)), metadata)) changed.add(f);
    o.onCheckProgress?.({ done: ++done, total: candidates.length });
  }, o.signal);
  if (o.signal?.aborted) throw new InterruptedError(`interrupted while comparing checksums (${done}/${candidates.length}); nothing was uploaded`);
  return changed;
}

export async function syncImages(s3: S3Client, o: SyncOptions): Promise<SyncResult> {
  const { files, ignored, skippedLinks } = listLocalImages(o.dir);
  if (files.length === 0) {
    throw usageError(`no images (${[...IMAGE_EXTENSIONS].join(', ')}) under ${o.dir}${ignored ? ` (${ignored} other files)` : ''}${skippedLinks.length ? `; skipped links: ${skippedLinks.slice(0, 3).join(', ')}` : ''}: pass the image root (<root>/<Split>/<Label>/*.jpg)`);
  }
  const { bucket, key: prefixKey } = parseS3Uri(o.to);
  const remote = await listRemote(s3, bucket, prefixKey);
  let { upload, skip } = planSync(files, remote, prefixKey);
  if (o.checksum && skip.length) {
    const changed = await changedByChecksum(s3, bucket, prefixKey, skip, o);
    const bySize = new Set(upload);
    upload = files.filter((f) => bySize.has(f) || changed.has(f));
    skip = skip.filter((f) => !changed.has(f));
  }
  const base = { destination: joinS3(o.to, '/'), total: files.length, skipped: skip.length, ignored, skippedLinks };
  if (o.dryRun) return { ...base, uploaded: 0, bytesUploaded: 0, toUpload: upload.map((f) => objectKey(prefixKey, f.rel)) };
  const totalBytes = upload.reduce((s, f) => s + f.size, 0);
  let done = 0;
  let bytes = 0;
  await runPool(upload, o.concurrency, async (f) => {
    const Key = objectKey(prefixKey, f.rel);
    const Body = readFileSync(f.path);
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType: contentType(f.rel), Metadata: { [SHA256_METADATA_KEY]: sha256Of(Body) } }));
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

/** `fruits upload-data <dir>`: the destination and region from flags, config or the stack outputs. */
export async function uploadDataCommand(rest: string[], cfg: RunnerConfig, out: Output, o: { dryRun: boolean; checksum: boolean; to?: string; signal: AbortSignal }) {
  const dir = rest[0];
  if (!dir) throw usageError('missing folder', 'fruits upload-data <local image folder> [--to s3://bucket/prefix/]');
  const { readStackOutputs, regionOf, DEPLOY_HINT } = await import('../aws/stack-outputs.js');
  const { makeAwsClients } = await import('../aws/clients.js');
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  const to = o.to ?? outputs.inputUri;
  if (!to) throw usageError('no destination', `pass --to s3://bucket/prefix/ or ${DEPLOY_HINT}`);
  joinS3(to); // validates the URI
  const region = regionOf(cfg, outputs);
  if (!region) throw usageError('no AWS region', `pass --region, set AWS_REGION, or ${DEPLOY_HINT}`);
  const { s3 } = makeAwsClients({ region, endpoint: cfg.emr.endpoint });
  const r = await syncImages(s3, {
    dir, to, concurrency: cfg.upload.concurrency, checksum: o.checksum, dryRun: o.dryRun, signal: o.signal,
    onProgress: (p) => out.status(`[${p.done}/${p.total}] ${formatBytes(p.bytes)} / ${formatBytes(p.totalBytes)}  ${p.file ?? ''}`),
    onCheckProgress: (p) => out.status(`checking SHA-256 [${p.done}/${p.total}]`),
  });
  const human = o.dryRun
    ? `would upload ${r.toUpload!.length} of ${r.total} images to ${r.destination} (${r.skipped} already there)`
    : `uploaded ${r.uploaded} images (${formatBytes(r.bytesUploaded)}) to ${r.destination}; ${r.skipped} already there${r.ignored ? `; ${r.ignored} non-image files ignored` : ''}`;
  for (const l of r.skippedLinks) out.info(`fruits: warning: skipped symlink ${l}`);
  out.result(r, human);
  return ExitCode.ok;
}

/** `fruits upload-data <dir>` (command table handler). */
export const handle: CommandHandler = (c) =>
  uploadDataCommand(c.args, c.cfg, c.out, { dryRun: c.dryRun, checksum: boolFlag(c, 'checksum'), to: stringFlag(c, 'to'), signal: c.signal });
