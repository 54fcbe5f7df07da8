// Test helpers: throwaway SSH public keys, configs and synthesized stacks as plain JSON.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Testing } from 'cdktf';
import { type EmrConfig, requireOperatorAccess, resolveConfig } from '../../config/index.js';
import { FruitsEmrStack } from '../../stacks/emr-stack.js';
import { FruitsStateStack } from '../../stacks/state-stack.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A fresh ed25519 public key in OpenSSH format; the private half is thrown away. */
export function makePublicKey(comment = 'test@fruits'): string {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}

export function tempDir(prefix = 'fruits-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a throwaway public key file and returns its path. */
export function writePublicKey(dir = tempDir()): { path: string; key: string } {
  const key = makePublicKey();
  const path = join(dir, 'operator_key.pub');
  writeFileSync(path, `${key}\n`);
  return { path, key };
}

export const OPERATOR_CIDR = '203.0.113.7/32';

export function testConfig(overrides: Record<string, unknown> = {}): EmrConfig {
  return requireOperatorAccess(resolveConfig({ file: { operatorCidr: OPERATOR_CIDR, publicKeyPath: '/keys/operator.pub', ...overrides }, env: {} }));
}

// Synthesized Terraform JSON, walked by path in assertions: `any` keeps those one-liners readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

export function synthEmr(
  overrides: Record<string, unknown> = {},
  opts: { repoRoot?: string; publicKey?: string } = {},
): Json {
  const app = Testing.app();
  const stack = new FruitsEmrStack(app, 'fruits-emr', {
    config: testConfig(overrides),
    publicKey: opts.publicKey ?? makePublicKey().split(' ').slice(0, 2).join(' '),
    repoRoot: opts.repoRoot ?? REPO_ROOT,
  });
  return JSON.parse(Testing.synth(stack));
}

export function synthState(overrides: Record<string, unknown> = {}): Json {
  const app = Testing.app();
  const stack = new FruitsStateStack(app, 'fruits-state', { config: testConfig(overrides) });
  return JSON.parse(Testing.synth(stack));
}

/** All resources of one type, as [logicalId, body] pairs. */
export function resourcesOf(synth: Json, type: string): [string, Json][] {
  return Object.entries(synth.resource?.[type] ?? {});
}

/** The single resource of a type whose logical id contains `idPart`. */
export function resource(synth: Json, type: string, idPart: string): Json {
  const matches = resourcesOf(synth, type).filter(([id]) => id.includes(idPart));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} matching "${idPart}", found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  }
  return matches[0]![1];
}

/** "${aws_s3_bucket.x.bucket}" -> "x" */
export function refId(ref: string): string {
  const m = /^\$\{(?:data\.)?[a-z0-9_]+\.([^.]+)\.[a-z_]+\}$/.exec(ref);
  if (!m) throw new Error(`not a single reference: ${ref}`);
  return m[1]!;
}

/** Resolve "${data.aws_iam_policy_document.X.json}" to its statement list. */
export function policyStatements(synth: Json, ref: string): Json[] {
  const doc = synth.data?.aws_iam_policy_document?.[refId(ref)];
  if (!doc) throw new Error(`no policy document for ${ref}`);
  return doc.statement;
}

/** Resources of `type` whose `bucket` attribute points at the given bucket logical id. */
export function forBucket(synth: Json, type: string, bucketId: string): Json[] {
  return resourcesOf(synth, type)
    .filter(([, body]) => typeof body.bucket === 'string' && body.bucket.includes(`aws_s3_bucket.${bucketId}.`))
    .map(([, body]) => body);
}
