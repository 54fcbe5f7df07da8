// runner/vm/vmrun.ts and sync.ts: argv builders and parsers of vmrun's and rsync's output.
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultProduct, hasSuspendFile, isListed, locateVmrun, parseAddress, parseRunningList, toolsNotRunning, usualVmrunPaths, vmrunArgv, vmrunFor, vmrunProblem } from '../../../../runner/vm/vmrun.js';
import { parseProgress2, parseRsyncStats, placeInput, pullArgv, pushArgv, remoteRsyncMissing, rsyncShell } from '../../../../runner/vm/sync.js';
import { mktemp } from '../../../helpers/runner.js';

const v = { bin: '/usr/bin/vmrun', product: 'ws' as const, vmx: '/vms/ubuntu/ubuntu.vmx' };

test('vmrun argv: -T product, headless start, soft/hard stop, bounded address wait, snapshot revert', () => {
  expect(vmrunArgv.start(v)).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'start', v.vmx, 'nogui']);
  expect(vmrunArgv.list({ ...v, product: 'fusion' })).toEqual(['/usr/bin/vmrun', '-T', 'fusion', 'list']);
  expect(vmrunArgv.stop(v)).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'stop', v.vmx, 'soft']);
  expect(vmrunArgv.suspend(v, 'hard')).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'suspend', v.vmx, 'hard']);
  expect(vmrunArgv.address(v, true)).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'getGuestIPAddress', v.vmx, '-wait']);
  expect(vmrunArgv.address(v, false)).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'getGuestIPAddress', v.vmx]);
  expect(vmrunArgv.revert(v, 'clean base')).toEqual(['/usr/bin/vmrun', '-T', 'ws', 'revertToSnapshot', v.vmx, 'clean base']);
  expect(defaultProduct('darwin')).toBe('fusion');
  expect(defaultProduct('linux')).toBe('ws');
});

test("vmrun's output: the running list, an address, its Error: lines", () => {
  const list = 'Total running VMs: 2\n/vms/other/other.vmx\n/vms/ubuntu/ubuntu.vmx\n';
  expect(parseRunningList(list)).toEqual(['/vms/other/other.vmx', '/vms/ubuntu/ubuntu.vmx']);
  expect(parseRunningList('Total running VMs: 0\n')).toEqual([]);
  expect(isListed(parseRunningList(list), v.vmx, 'linux')).toBe(true);
  expect(isListed(['/VMs/Ubuntu/ubuntu.vmx'], v.vmx, 'linux')).toBe(false);
  expect(isListed(['/VMs/Ubuntu/ubuntu.vmx'], v.vmx, 'darwin')).toBe(true); // case-insensitive file system
  expect(parseAddress('192.168.135.129\n')).toBe('192.168.135.129');
  expect(parseAddress('unknown\n')).toBeUndefined();
  expect(parseAddress('300.1.1.1')).toBeUndefined();
  const err = `Error: The VMware Tools are not running in the virtual machine: ${v.vmx}\n`;
  expect(vmrunProblem(err, '')).toBe(`The VMware Tools are not running in the virtual machine: ${v.vmx}`);
  expect(toolsNotRunning(vmrunProblem(err, ''))).toBe(true);
  expect(toolsNotRunning('The virtual machine is not powered on: x')).toBe(false);
  expect(vmrunProblem('', 'segfault\n')).toBe('segfault');
});

test('vmrun is found on PATH, then in the usual folders; missing vmrun and a missing .vmx are one line with the fix', () => {
  const dir = mktemp('fruits-vmrun-');
  const bin = join(dir, 'vmrun');
  writeFileSync(bin, '#!/bin/sh\n');
  chmodSync(bin, 0o755);
  expect(locateVmrun(undefined, { PATH: dir }, 'linux')).toBe(bin);
  expect(usualVmrunPaths('darwin')).toEqual(['/Applications/VMware Fusion.app/Contents/Library/vmrun']);
  expect(usualVmrunPaths('win32', { 'ProgramFiles(x86)': 'C:\\PF86' })[0]).toBe('C:\\PF86\\VMware\\VMware Workstation\\vmrun.exe');
  expect(() => locateVmrun(undefined, { PATH: mktemp('fruits-empty-') }, 'linux')).toThrow(/^vmrun not found on PATH or in the usual VMware folders: install VMware Workstation, Player or Fusion .*vm\.vmrun/);
  expect(() => locateVmrun(join(dir, 'nope'), {}, 'linux')).toThrow(/vmrun .*nope not found: fix vm\.vmrun/);
  const e = (() => { try { vmrunFor({ vmx: join(dir, 'gone.vmx') }, { PATH: dir }); } catch (x) { return x as { exitCode: number; message: string }; } return undefined; })();
  expect(e?.exitCode).toBe(2);
  expect(e?.message).toMatch(/^VM file .*gone\.vmx not found: fix vm\.vmx/);
});

test('a suspended VM is recognized by its .vmss beside the .vmx', () => {
  const dir = mktemp('fruits-vmss-');
  const vmx = join(dir, 'ubuntu.vmx');
  writeFileSync(vmx, '');
  expect(hasSuspendFile(vmx)).toBe(false);
  writeFileSync(join(dir, 'ubuntu.vmss'), '');
  expect(hasSuspendFile(vmx)).toBe(true);
});

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
