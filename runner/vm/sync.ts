// Transfers between the host and the VM with rsync over the VM's own ssh settings (pure argv
// builders and parsers): the photos of a host --input folder go to a mirror under vm.workDir,
// and the run folder comes back to vm.summaryDir/<run-id>/.
//
// Push compares by checksum (--checksum): a photo re-exported or restored with the same size and
// mtime is still noticed; reading both sides once costs little next to featurizing them. Pull uses
// rsync's size+mtime check: it fills a folder that is new (or that --overwrite gave up).
// Both keep interrupted files in .rsync-partial/ (--partial-dir), so the next run resumes them.
import { createHash } from 'node:crypto';
import { basename, resolve } from 'node:path';
import { posix } from 'node:path';
import { destination, scpRemotePath, shJoin, sshCommonOptions, type SshTarget } from '../argv/ssh.js';

export const PARTIAL_DIR = '.rsync-partial';

/** rsync's -e: the same ssh options as every other ssh of the VM target. */
export const rsyncShell = (t: SshTarget) => shJoin(['ssh', ...sshCommonOptions(t), '-p', String(t.port)]);

// --info=progress2: one running total for the whole transfer (shown as progress); --no-inc-recursive
// makes its percentage count the whole tree from the start.
const COMMON = ['--archive', '--partial', `--partial-dir=${PARTIAL_DIR}`, '--stats', '--info=progress2', '--no-inc-recursive'];
const slash = (p: string) => (p.endsWith('/') ? p : `${p}/`);
/** rsync paths on the VM are relative to the login's home, like scp's. */
const remote = (t: SshTarget, dir: string) => `${destination(t)}:${slash(scpRemotePath(dir))}`;

/** Host folder -> VM mirror: contents only, photos removed on the host are removed from the mirror. */
export function pushArgv(t: SshTarget, localDir: string, remoteDir: string): string[] {
  return ['rsync', ...COMMON, '--checksum', '--delete', '-e', rsyncShell(t), slash(localDir), remote(t, remoteDir)];
}

/** VM run folder -> host run folder. */
export function pullArgv(t: SshTarget, remoteDir: string, localDir: string): string[] {
  return ['rsync', ...COMMON, '--delete', '-e', rsyncShell(t), remote(t, remoteDir), slash(localDir)];
}

export type InputPlace = { kind: 'host'; local: string; remote: string } | { kind: 'vm'; remote: string };

/**
 * Pure: where --input lives. `vm:<path>` is a path on the VM; an existing host folder is
 * mirrored to <workDir>/inputs/<name>-<hash of its host path> (two folders of one name never
 * share a mirror); anything else is a path on the VM, as before the sync existed.
 */
export function placeInput(input: string, workDir: string, isHostDir: (p: string) => boolean): InputPlace {
  if (input.startsWith('vm:')) return { kind: 'vm', remote: input.slice(3) };
  if (!isHostDir(input)) return { kind: 'vm', remote: input };
  const local = resolve(input);
  const tag = createHash('sha256').update(local).digest('hex').slice(0, 8);
  const name = basename(local).replace(/[^A-Za-z0-9._-]/g, '_') || 'input';
  return { kind: 'host', local, remote: posix.join(workDir, 'inputs', `${name}-${tag}`) };
}

export interface RsyncStats {
  files?: number;
  transferred?: number;
  totalBytes?: number;
  literalBytes?: number;
  matchedBytes?: number;
}

/** Pure: the figures of rsync --stats (thousands separators removed). */
export function parseRsyncStats(text: string): RsyncStats {
  const num = (re: RegExp) => {
    const m = re.exec(text);
    return m ? Number(m[1]!.replace(/[,.']/g, '')) : undefined;
  };
  return {
    files: num(/Number of files: ([\d,.']+)/),
    transferred: num(/Number of regular files transferred: ([\d,.']+)/),
    totalBytes: num(/Total file size: ([\d,.']+) bytes/),
    literalBytes: num(/Literal data: ([\d,.']+) bytes/),
    matchedBytes: num(/Matched data: ([\d,.']+) bytes/),
  };
}

/** Pure: one --info=progress2 update ("  1,234,567  45%  10.50MB/s    0:00:10 (xfr#3, to-chk=5/10)"). */
export function parseProgress2(line: string): { bytes: number; percent: number; rate: string } | undefined {
  const m = /^\s*([\d,.']+)\s+(\d{1,3})%\s+(\S+\/s)/.exec(line);
  return m ? { bytes: Number(m[1]!.replace(/[,.']/g, '')), percent: Number(m[2]), rate: m[3]! } : undefined;
}

export const describeStats = (s: RsyncStats) =>
  `${s.transferred ?? '?'} file(s) sent (${((s.literalBytes ?? 0) / 1e6).toFixed(1)} MB new data${s.matchedBytes ? `, ${(s.matchedBytes / 1e6).toFixed(1)} MB reused` : ''}) of ${s.files ?? '?'} entries`;

/** rsync missing on the other side: the remote shell's "command not found" (exit 127, or rsync's 12). */
export const remoteRsyncMissing = (stderr: string) => /rsync: (command )?not found|rsync: No such file|command not found.*rsync/i.test(stderr);
