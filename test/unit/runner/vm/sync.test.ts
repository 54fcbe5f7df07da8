// runner/vm/sync.ts: rsync argv, where --input lives, rsync's --stats and progress output.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseProgress2, parseRsyncStats, placeInput, pullArgv, pushArgv, remoteRsyncMissing, rsyncShell } from '../../../../runner/vm/sync.js';
import { mktemp } from '../../../helpers/runner.js';

const ssh = { host: '192.168.1.5', user: 'ubuntu', port: 2222, key: '/k/id', knownHosts: '/k/kh', strictHostKeyChecking: 'yes' as const, connectTimeoutSeconds: 10 };

test('rsync argv: the VM\'s ssh options, checksummed and resumable push with --delete, pull into the host run folder', () => {
  const shell = rsyncShell(ssh);
  expect(shell).toMatch(/^ssh -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=\/k\/kh -i \/k\/id -o IdentitiesOnly=yes .* -p 2222$/);
  expect(pushArgv(ssh, '/photos', '~/fruits/inputs/photos-1')).toEqual([
    'rsync', '--archive', '--partial', '--partial-dir=.rsync-partial', '--stats', '--info=progress2', '--no-inc-recursive', '--checksum', '--delete', '-e', shell, '/photos/', 'ubuntu@192.168.1.5:fruits/inputs/photos-1/',
  ]);
  expect(pullArgv(ssh, '/data/runs/r1', '/home/me/fruits-runs/r1')).toEqual([
    'rsync', '--archive', '--partial', '--partial-dir=.rsync-partial', '--stats', '--info=progress2', '--no-inc-recursive', '--delete', '-e', shell, 'ubuntu@192.168.1.5:/data/runs/r1/', '/home/me/fruits-runs/r1/',
  ]);
});

test('--input: vm:<path> and missing host folders stay on the VM; a host folder gets its own mirror under workDir', () => {
  const host = mktemp('fruits-input-');
  mkdirSync(join(host, 'my photos'));
  const isDir = (p: string) => p.startsWith(host);
  expect(placeInput('vm:/data/fruits', '~/fruits', isDir)).toEqual({ kind: 'vm', remote: '/data/fruits' });
  expect(placeInput('/data/fruits', '~/fruits', isDir)).toEqual({ kind: 'vm', remote: '/data/fruits' });
  const a = placeInput(join(host, 'my photos'), '~/fruits', isDir);
  expect(a).toMatchObject({ kind: 'host', local: resolve(host, 'my photos') });
  expect(a.remote).toMatch(/^~\/fruits\/inputs\/my_photos-[0-9a-f]{8}$/);
  const b = placeInput(join(host, 'other', 'my photos'), '~/fruits', isDir);
  expect(b.remote).not.toBe(a.remote); // same name, other folder: another mirror
});

test('rsync --stats figures (with thousands separators) and a missing rsync on the VM', () => {
  const stats = 'Number of files: 1,203 (reg: 1,200, dir: 3)\nNumber of regular files transferred: 2\nTotal file size: 12,345,678 bytes\nLiteral data: 4,096 bytes\nMatched data: 8,192 bytes\n';
  expect(parseRsyncStats(stats)).toEqual({ files: 1203, transferred: 2, totalBytes: 12345678, literalBytes: 4096, matchedBytes: 8192 });
  expect(remoteRsyncMissing('bash: line 1: rsync: command not found\nrsync: connection unexpectedly closed (0 bytes received so far) [sender]')).toBe(true);
  expect(remoteRsyncMissing('rsync: [sender] write error: Broken pipe (32)')).toBe(false);
  expect(parseProgress2('      4,194,304  45%   10.50MB/s    0:00:10 (xfr#3, to-chk=5/10)')).toEqual({ bytes: 4194304, percent: 45, rate: '10.50MB/s' });
  expect(parseProgress2('Number of files: 3')).toBeUndefined();
});
