// The VM target's transfers (runner/vm/transfer.ts) with real rsync over a real sshd on
// 127.0.0.1: photos to the VM and a run folder back, an unchanged re-sync, a file changed
// without changing its size or mtime, a resumed copy, a photo removed on the host.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pullRun, pushInput } from '../../../runner/vm/transfer.js';
import { unreachable } from '../../../runner/platform/vm-ssh.js';
import type { SshTarget } from '../../../runner/argv/ssh.js';
import { mktemp, sampleImages, startSshd, type Sshd } from '../../helpers/runner.js';

let sshd: Sshd;
let t: SshTarget;
const infos: string[] = [];
const progress: string[] = [];
const o = () => ({ info: (m: string) => void infos.push(m), progress: (what: string, line: string) => void progress.push(`${what}: ${line}`), signal: new AbortController().signal, unreachable: (l: string[]) => unreachable(t, l) });

beforeAll(async () => {
  sshd = await startSshd();
  t = { host: '127.0.0.1', user: sshd.user, port: sshd.port, key: sshd.clientKey, knownHosts: sshd.knownHosts, strictHostKeyChecking: 'yes', connectTimeoutSeconds: 10 };
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
});

/** relative path -> sha256 of every file under dir (the partial-dir excluded). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

test('photos go to the VM incrementally, by checksum, resuming a partial file, mirroring deletions', async () => {
  const host = sampleImages(join(mktemp('fruits-sync-host-'), 'photos'), 2, ['apple', 'lemon']);
  const big = join(host, 'Training', 'apple', 'big.jpg');
  writeFileSync(big, randomBytes(3_000_000));
  const vm = join(mktemp('fruits-sync-vm-'), 'inputs', 'photos-1');
  mkdirSync(vm, { recursive: true });

  const first = await pushInput(t, host, vm, o());
  expect(tree(vm)).toEqual(tree(host));
  expect(first.transferred).toBe(5);
  expect(progress.at(-1)).toMatch(/^photos to the VM: +[\d,]+ +100% /); // rsync's running total reaches the runner

  expect((await pushInput(t, host, vm, o())).transferred).toBe(0); // nothing changed: nothing sent

  // Same size, same mtime, other bytes: only a checksum notices.
  const photo = join(host, 'Training', 'lemon', readdirSync(join(host, 'Training', 'lemon'))[0]!);
  const { mtime } = statSync(photo);
  const bytes = readFileSync(photo);
  bytes[bytes.length - 10] ^= 0xff;
  writeFileSync(photo, bytes);
  utimesSync(photo, mtime, mtime);
  const changed = await pushInput(t, host, vm, o());
  expect(changed.transferred).toBe(1);
  expect(tree(vm)).toEqual(tree(host));

  // An interrupted copy left the first 2 MB of a new photo in .rsync-partial/: the next sync reuses them.
  const huge = join(host, 'Training', 'lemon', 'huge.jpg');
  const data = randomBytes(4_000_000);
  writeFileSync(huge, data);
  mkdirSync(join(vm, 'Training', 'lemon', '.rsync-partial'), { recursive: true });
  writeFileSync(join(vm, 'Training', 'lemon', '.rsync-partial', 'huge.jpg'), data.subarray(0, 2_000_000));
  const resumed = await pushInput(t, host, vm, o());
  expect(resumed.transferred).toBe(1);
  expect(resumed.matchedBytes).toBeGreaterThanOrEqual(1_900_000); // the partial file was the basis
  expect(resumed.literalBytes).toBeLessThan(2_200_000);
  expect(existsSync(join(vm, 'Training', 'lemon', '.rsync-partial'))).toBe(false);
  expect(tree(vm)).toEqual(tree(host));

  rmSync(big); // removed on the host: removed from the mirror (only the runner's mirror folder is touched)
  await pushInput(t, host, vm, o());
  expect(tree(vm)).toEqual(tree(host));
  expect(infos.join('\n')).toMatch(/photos on the VM: 1 file\(s\) sent/);
}, 120_000);

test('the whole run folder comes back; an unreachable VM leaves it there and says how to fetch it', async () => {
  const run = join(mktemp('fruits-sync-vmrun-'), 'runs', 'r1');
  for (const d of ['features/part=0', 'models', 'report']) mkdirSync(join(run, d), { recursive: true });
  writeFileSync(join(run, 'summary.json'), '{"status":"succeeded","run_id":"r1"}');
  writeFileSync(join(run, 'features/part=0/part-0000.parquet'), randomBytes(200_000));
  writeFileSync(join(run, 'models/pca.npz'), randomBytes(50_000));
  writeFileSync(join(run, 'report/report.html'), '<html></html>');
  const home = join(mktemp('fruits-sync-home-'), 'fruits-runs', 'r1');
  expect(await pullRun(t, run, home, o())).toBe(true);
  expect(tree(home)).toEqual(tree(run));

  const lines: string[] = [];
  const closed = { ...t, port: 1 };
  const ok = await pullRun(closed, run, join(home, '..', 'r2'), { ...o(), info: (m) => void lines.push(m), unreachable: (l) => unreachable(closed, l) });
  expect(ok).toBe(false);
  expect(lines.at(-1)).toMatch(/could not copy the run folder back \(cannot reach the VM .*\); it is intact on the VM: rsync .*127\.0\.0\.1:.*runs\/r1\/ /);
}, 60_000);
