// Shared test helpers: captured output, fake clock, free ports, moto and sshd servers.
import { execa, type ResultPromise } from 'execa';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync, copyFileSync, readdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Output } from '../../runner/platform/output.js';
import type { Clock } from '../../runner/platform/clock.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const SAMPLE = resolve(ROOT, '..', 'shared', 'data', 'fruits-360-sample');
export const LAUNCHER = join(ROOT, 'runner', 'fruits.mjs');

export interface CapturedOutput extends Output {
  infos: string[];
  statuses: string[];
  jobLines: string[];
  results: { data: unknown; human: string }[];
  events: Record<string, unknown>[];
  errors: string[];
  all(): string;
}

export function captureOutput(json = false): CapturedOutput {
  const o: CapturedOutput = {
    json,
    live: false,
    infos: [],
    statuses: [],
    jobLines: [],
    results: [],
    events: [],
    errors: [],
    error: (m) => void o.errors.push(`error: ${m}`),
    info: (m) => void o.infos.push(m),
    status: (m) => void o.statuses.push(m),
    jobLine: (l) => void o.jobLines.push(l),
    event: (d) => void o.events.push(d),
    result: (data, human) => void o.results.push({ data, human }),
    all: () => [...o.infos, ...o.statuses, ...o.jobLines, ...o.results.map((r) => r.human), ...o.errors].join('\n'),
  };
  return o;
}

/** A clock whose sleeps return at once and advance time; records every sleep. */
export function fakeClock(start = 1_700_000_000_000): Clock & { sleeps: number[]; t: number } {
  const c = {
    t: start,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number) => {
      c.sleeps.push(ms);
      c.t += ms;
      await Promise.resolve();
    },
  };
  return c;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export async function waitForPort(port: number, ms: number, proc?: ResultPromise): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + ms;
  for (;;) {
    if (proc && proc.exitCode !== null) throw new Error(`server exited early (code ${proc.exitCode})`);
    const ok = await new Promise<boolean>((res) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => (sock.destroy(), res(true)));
      sock.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function mktemp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A few real photos in <dir>/<Split>/<Label>/ */
export function sampleImages(dir: string, perLabel = 2, labels = ['apple', 'lemon'], split = 'Training'): string {
  for (const label of labels) {
    const src = join(SAMPLE, split, label);
    const dst = join(dir, split, label);
    mkdirSync(dst, { recursive: true });
    for (const f of readdirSync(src).filter((n) => n.endsWith('.jpg')).sort().slice(0, perLabel)) copyFileSync(join(src, f), join(dst, f));
  }
  return dir;
}

// ---- moto ----
export function motoCommand(): string[] {
  const explicit = process.env.FRUITS_MOTO_SERVER;
  if (explicit) return [explicit];
  const bin = join(ROOT, '.venv-tools', 'bin', 'moto_server');
  if (existsSync(bin)) return [bin];
  throw new Error('moto_server not found: run scripts/setup.sh (creates .venv-tools with moto[server]) or set FRUITS_MOTO_SERVER');
}

export interface Moto {
  endpoint: string;
  /** moto's IAM authorization: on, every request needs an IAM user's key and policy; off, anything goes. */
  setAuth(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A moto server on 127.0.0.1: plain moto_server, or with `wrapper` the rehearsal's
 * test/rehearsal/moto_server.py (EMR fleets, scaling, CancelSteps, EMR Serverless fixes and the
 * step/job-run test hooks its `env` switches on).
 */
export async function startMoto(o: { wrapper?: boolean; env?: Record<string, string> } = {}): Promise<Moto> {
  const port = await freePort();
  const [cmd, ...args] = o.wrapper ? [join(ROOT, '.venv-tools', 'bin', 'python'), join(ROOT, 'test', 'rehearsal', 'moto_server.py')] : motoCommand();
  const proc = execa(cmd!, [...args, '-H', '127.0.0.1', '-p', String(port)], { reject: false, stdio: 'ignore', env: o.env ?? {} });
  await waitForPort(port, 60_000, proc);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    setAuth: async (on) => {
      const r = await fetch(`${endpoint}/moto-api/reset-auth`, { method: 'POST', body: on ? '0' : 'inf', headers: { 'Content-Type': 'text/plain' } });
      if (!r.ok) throw new Error(`moto reset-auth answered ${r.status}`);
    },
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

// ---- sshd ----
export interface Sshd {
  port: number;
  dir: string;
  user: string;
  clientKey: string;
  knownHosts: string;
  stop(): Promise<void>;
}

export function findSshd(): string {
  for (const p of ['/usr/sbin/sshd', '/usr/bin/sshd']) if (existsSync(p)) return p;
  throw new Error('sshd not found: apt-get install openssh-server (scripts/setup.sh does it)');
}

/** A throw-away sshd on 127.0.0.1 that accepts only a generated key for the current user. */
export async function startSshd(): Promise<Sshd> {
  const sshd = findSshd();
  const dir = mktemp('fruits-sshd-');
  chmodSync(dir, 0o700);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(clientKey + '.pub'));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  const port = await freePort();
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${readFileSync(hostKey + '.pub', 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
  const user = userInfo().username;
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'UsePAM no',
    'StrictModes no',
    `AllowUsers ${user}`,
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
  ].join('\n') + '\n');
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const proc = execa(sshd, ['-D', '-e', '-f', cfg], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  try {
    await waitForPort(port, 15_000, proc);
  } catch (e) {
    throw new Error(`sshd did not start: ${(e as Error).message}: ${err.trim()}`, { cause: e });
  }
  return {
    port, dir, user, clientKey, knownHosts,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

/** Whether a process still exists (signal 0 checks without killing). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Poll `cond` every 100 ms until it holds, or fail naming `what`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
