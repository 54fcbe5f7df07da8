// Pure S3 URI helpers.
import { usageError } from '../../config/errors.js';

export interface S3Location {
  bucket: string;
  key: string;
}

/** Parses s3://bucket/key (s3n:// and s3a:// from EMR's LogUri too). */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw usageError(`"${uri}" is not an s3:// URI`, 'use s3://bucket/prefix/');
  return { bucket: m[1]!, key: m[2]! };
}

export const toS3Uri = (l: S3Location) => `s3://${l.bucket}/${l.key}`;

/** Joins URI parts with single slashes; keeps a trailing slash when the last part has one. */
export function joinS3(base: string, ...parts: string[]): string {
  const { bucket, key } = parseS3Uri(base);
  const segs = [key, ...parts].flatMap((p) => p.split('/')).filter((p) => p !== '');
  const trailing = (parts.length ? parts[parts.length - 1]! : key).endsWith('/');
  return `s3://${bucket}/${segs.join('/')}${trailing && segs.length ? '/' : ''}`;
}

export const isS3Uri = (s: string) => /^s3:\/\/[^/]+/.test(s);
