// Runs the rsync transfers of runner/vm/sync.ts and turns their failures into one line with the fix.
import { mkdirSync } from 'node:fs';
import type { SshTarget } from '../argv/ssh.js';
import { shJoin } from '../argv/ssh.js';
import { which } from '../platform/discover.js';
import { envError, oneLine, type FruitsError } from '../../config/errors.js';
import { startProcess } from '../platform/process.js';
import { describeStats, parseProgress2, parseRsyncStats, pullArgv, pushArgv, remoteRsyncMissing, type RsyncStats } from './sync.js';
import type { Output } from '../platform/output.js';

export interface TransferIo {
  info: (m: string) => void;
  /** rsync's running total (see progressLine). */
  progress?: (what: string, line: string) => void;
  signal: AbortSignal;
  unreachable: (stderr: string[]) => FruitsError;
}

/** Shows rsync's running total: live on a terminal (4 a second at most), else a line every 15 s. */
export function progressLine(out: Pick<Output, 'status' | 'live'>, now: () => number = Date.now): TransferIo['progress'] {
  let last = 0;
  return (what, line) => {
    const p = parseProgress2(line);
    if (!p || now() - last < (out.live ? 250 : 15_000)) return;
    last = now();
    out.status(`fruits: ${what}: ${p.percent}% (${(p.bytes / 1e6).toFixed(1)} MB, ${p.rate})`);
  };
}

export const RSYNC_FIX = 'install rsync (apt-get install rsync; scripts/setup.sh --test does it for the tests)';
export const REMOTE_RSYNC_FIX = 'run `fruits vm-setup` (it installs rsync) or `sudo apt-get install rsync` on the VM';

export function requireRsync(): void {
  if (!which('rsync')) throw envError('rsync not found on this host (the VM target copies photos and results with it)', RSYNC_FIX);
}

const SSH_FAILED = 255;
const SSH_PROBLEM = /^ssh: |Permission denied \(|Host key verification failed|REMOTE HOST IDENTIFICATION|host key .* (not known|differs)|No \S+ host key is known/i;

async function rsync(argv: string[], signal: AbortSignal, unreachable: (stderr: string[]) => FruitsError, onProgress?: (line: string) => void) {
  const lines: string[] = [];
  const stderr: string[] = [];
  // progress2 updates end in \r: readline splits them into lines of their own.
  const proc = startProcess(argv, { onStdoutLine: (l) => (parseProgress2(l) ? onProgress?.(l) : lines.push(l)), onStderrLine: (l) => stderr.push(l) });
  const stop = () => proc.kill('SIGTERM'); // rsync keeps what it has in .rsync-partial/; the next run resumes
  signal.addEventListener('abort', stop, { once: true });
  const r = await proc.done;
  signal.removeEventListener('abort', stop);
  if (r.spawnError) throw envError(`cannot start rsync (${r.spawnError})`, RSYNC_FIX, { cause: r.spawnCause });
  if (r.exitCode !== 0 && !signal.aborted) {
    if (remoteRsyncMissing(stderr.join('\n'))) throw envError('rsync not found on the VM', REMOTE_RSYNC_FIX);
    // rsync exits 12 or 255 when its ssh fails: ssh's own lines say why.
    const sshLines = stderr.filter((l) => SSH_PROBLEM.test(l));
    if (r.exitCode === SSH_FAILED || sshLines.length) throw unreachable(sshLines.length ? sshLines : stderr);
  }
  return { exitCode: r.exitCode, stats: parseRsyncStats(lines.join('\n')), problem: oneLine(stderr.filter((l) => l.trim()).slice(-1)[0] ?? `rsync exit ${r.exitCode}`) };
}

/** Host photos -> the VM mirror (incremental; interrupted files resume on the next run). */
export async function pushInput(t: SshTarget, localDir: string, remoteDir: string, o: TransferIo): Promise<RsyncStats> {
  o.info(`fruits: syncing ${localDir} to ${t.user}@${t.host}:${remoteDir} (rsync --checksum)`);
  const r = await rsync(pushArgv(t, localDir, remoteDir), o.signal, o.unreachable, (l) => o.progress?.('photos to the VM', l));
  if (o.signal.aborted) return r.stats;
  if (r.exitCode !== 0) throw envError(`copying the photos to the VM failed (${r.problem})`, 'check free space on the VM and read access to the photos; run again to resume');
  o.info(`fruits: photos on the VM: ${describeStats(r.stats)}`);
  return r.stats;
}

/** VM run folder -> host run folder; false (with a line saying how to retry) when it fails: the run itself stays on the VM. */
export async function pullRun(t: SshTarget, remoteDir: string, localDir: string, o: TransferIo): Promise<boolean> {
  mkdirSync(localDir, { recursive: true });
  const argv = pullArgv(t, remoteDir, localDir);
  o.info(`fruits: bringing the run folder home: ${t.user}@${t.host}:${remoteDir} -> ${localDir}`);
  try {
    const r = await rsync(argv, new AbortController().signal, o.unreachable, (l) => o.progress?.('run folder home', l)); // the results are worth waiting for, even after Ctrl-C
    if (r.exitCode === 0) {
      o.info(`fruits: run folder copied: ${describeStats(r.stats)}`);
      return true;
    }
    o.info(`fruits: could not copy the run folder back (${r.problem}); it is intact on the VM: ${shJoin(argv)}`);
  } catch (e) {
    o.info(`fruits: could not copy the run folder back (${(e as Error).message}); it is intact on the VM: ${shJoin(argv)}`);
  }
  return false;
}
