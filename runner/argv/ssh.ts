// Pure builders for ssh/scp argv and the remote shell snippets of the vm target.
import { posix } from 'node:path';

export interface SshTarget {
  host: string;
  user: string;
  port: number;
  key?: string;
  knownHosts?: string;
  strictHostKeyChecking: 'yes' | 'accept-new';
  connectTimeoutSeconds: number;
}

/** POSIX single-quote; `~/x` keeps the tilde outside the quotes so the remote shell expands it. */
export function shQuote(s: string): string {
  if (s === '~') return '"$HOME"';
  if (s.startsWith('~/')) return `"$HOME"/${shQuote(s.slice(2))}`;
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export const shJoin = (argv: string[]) => argv.map(shQuote).join(' ');

/** Options shared by ssh and scp: no password prompts, bounded connect, explicit key and known_hosts. */
export function sshCommonOptions(t: SshTarget): string[] {
  const o = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${t.connectTimeoutSeconds}`, '-o', `StrictHostKeyChecking=${t.strictHostKeyChecking}`];
  if (t.knownHosts) o.push('-o', `UserKnownHostsFile=${t.knownHosts}`);
  if (t.key) o.push('-i', t.key, '-o', 'IdentitiesOnly=yes');
  o.push('-o', 'ServerAliveInterval=30', '-o', 'ServerAliveCountMax=4');
  return o;
}

export const destination = (t: SshTarget) => `${t.user}@${t.host}`;

export function sshArgv(t: SshTarget, remoteCommand: string): string[] {
  return ['ssh', ...sshCommonOptions(t), '-p', String(t.port), destination(t), remoteCommand];
}

/** scp paths are relative to the remote home; turn `~/x` into `x` (works for scp and sftp modes). */
export const scpRemotePath = (p: string) => (p === '~' ? '.' : p.startsWith('~/') ? p.slice(2) : p);

export function scpToArgv(t: SshTarget, localFiles: string[], remoteDir: string): string[] {
  return ['scp', '-q', ...sshCommonOptions(t), '-P', String(t.port), ...localFiles, `${destination(t)}:${scpRemotePath(remoteDir)}/`];
}

export function scpFromArgv(t: SshTarget, remoteFile: string, localFile: string): string[] {
  return ['scp', '-q', ...sshCommonOptions(t), '-P', String(t.port), `${destination(t)}:${scpRemotePath(remoteFile)}`, localFile];
}

export const remoteJoin = (dir: string, ...parts: string[]) => posix.join(dir, ...parts);

export interface RemoteRunSpec {
  workDir: string;
  pidFile: string;
  env: Record<string, string>;
  argv: string[];
}

/** Exit status the remote wrapper uses when spark-submit is missing on the VM. */
export const REMOTE_MISSING_SPARK = 127;

/**
 * The remote command of a vm run. The job runs in its own session/process group
 * (setsid) whose id is written to a pid file, so a second ssh can kill the whole
 * group when the operator presses Ctrl-C: killing only the local ssh would leave
 * the remote Spark running. Output streams back through this ssh.
 */
export function remoteRunCommand(s: RemoteRunSpec): string {
  const spark = s.argv[0]!;
  const envs = Object.entries(s.env).map(([k, v]) => `${k}=${shQuote(v)}`);
  const inner = 'echo $$ > "$0"; exec "$@"';
  return [
    `command -v ${shQuote(spark)} >/dev/null 2>&1 || { echo "fruits: ${spark.replace(/["`$\\]/g, '')} not found on the VM: run bootstrap/vm-setup.sh there (or set vm.sparkSubmit)" >&2; exit ${REMOTE_MISSING_SPARK}; }`,
    `mkdir -p ${shQuote(s.workDir)} && cd ${shQuote(s.workDir)} || exit ${REMOTE_MISSING_SPARK}`,
    `${envs.length ? 'export ' + envs.join(' ') + '; ' : ''}setsid sh -c ${shQuote(inner)} ${shQuote(s.pidFile)} ${shJoin(s.argv)} </dev/null &`,
    'pid=$!; wait "$pid"; rc=$?',
    `rm -f ${shQuote(s.pidFile)}`,
    'exit $rc',
  ].join('\n');
}

/** Remote command that stops the job group: TERM, wait up to graceSeconds, then KILL. */
export function remoteKillCommand(pidFile: string, graceSeconds = 10): string {
  return [
    `f=${shQuote(pidFile)}`,
    '[ -f "$f" ] || exit 0',
    'pg=$(cat "$f")',
    '[ -n "$pg" ] || exit 0',
    'kill -TERM -- "-$pg" 2>/dev/null || exit 0',
    'i=0',
    `while kill -0 -- "-$pg" 2>/dev/null && [ $i -lt ${graceSeconds} ]; do sleep 1; i=$((i+1)); done`,
    'kill -KILL -- "-$pg" 2>/dev/null',
    'rm -f "$f"',
    'exit 0',
  ].join('\n');
}

/**
 * Remote command that keeps the newest `keep` run folders under codeRoot and removes the rest,
 * never one whose job still runs (its job.pid is there). Run ids are [A-Za-z0-9._-], so `ls` is safe.
 */
export function remotePruneCommand(codeRoot: string, keep: number): string {
  return [
    `cd ${shQuote(codeRoot)} 2>/dev/null || exit 0`,
    `ls -1t | tail -n +${keep + 1} | while read -r d; do [ -d "$d" ] && [ ! -f "$d/job.pid" ] && rm -rf -- "$d"; done`,
    'exit 0',
  ].join('\n');
}
