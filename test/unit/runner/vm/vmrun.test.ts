// runner/vm/vmrun.ts: argv builders and parsers of vmrun's output, the lookup of vmrun.
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { defaultProduct, hasSuspendFile, isListed, locateVmrun, parseAddress, parseRunningList, toolsNotRunning, usualVmrunPaths, vmrunArgv, vmrunFor, vmrunProblem } from '../../../../runner/vm/vmrun.js';
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
  expect(() => locateVmrun(undefined, { PATH: mktemp('fruits-empty-') }, 'linux')).toThrow(/^vmrun not found on PATH or in the usual VMware folders; install VMware Workstation, Player or Fusion .*vm\.vmrun/);
  expect(() => locateVmrun(join(dir, 'nope'), {}, 'linux')).toThrow(/vmrun .*nope not found; fix vm\.vmrun/);
  const e = (() => { try { vmrunFor({ vmx: join(dir, 'gone.vmx') }, { PATH: dir }); } catch (x) { return x as { exitCode: number; message: string }; } return undefined; })();
  expect(e?.exitCode).toBe(2);
  expect(e?.message).toMatch(/^VM file .*gone\.vmx not found; fix vm\.vmx/);
});

test('a suspended VM is recognized by its .vmss beside the .vmx', () => {
  const dir = mktemp('fruits-vmss-');
  const vmx = join(dir, 'ubuntu.vmx');
  writeFileSync(vmx, '');
  expect(hasSuspendFile(vmx)).toBe(false);
  writeFileSync(join(dir, 'ubuntu.vmss'), '');
  expect(hasSuspendFile(vmx)).toBe(true);
});
