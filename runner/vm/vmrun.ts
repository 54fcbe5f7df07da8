// VMware's vmrun (Workstation, Player, Fusion): pure argv builders and parsers of its output,
// plus the lookup of the tool. vmrun prints its errors on stdout as "Error: ..." and exits 255.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { which } from '../platform/discover.js';
import { envError, oneLine, usageError } from '../../config/errors.js';

export type VmProduct = 'ws' | 'player' | 'fusion';

export interface Vmrun {
  /** The vmrun executable. */
  bin: string;
  product: VmProduct;
  vmx: string;
}

export const defaultProduct = (platform: NodeJS.Platform = process.platform): VmProduct => (platform === 'darwin' ? 'fusion' : 'ws');

const base = (v: Vmrun) => [v.bin, '-T', v.product];

/** Pure: every vmrun command the runner uses. */
export const vmrunArgv = {
  list: (v: Vmrun) => [...base(v), 'list'],
  start: (v: Vmrun) => [...base(v), 'start', v.vmx, 'nogui'],
  /** soft: the guest shuts down cleanly (needs VMware Tools); hard: power off. */
  stop: (v: Vmrun, mode: 'soft' | 'hard' = 'soft') => [...base(v), 'stop', v.vmx, mode],
  suspend: (v: Vmrun, mode: 'soft' | 'hard' = 'soft') => [...base(v), 'suspend', v.vmx, mode],
  /** -wait blocks until VMware Tools reports an address (the caller bounds it). */
  address: (v: Vmrun, wait: boolean) => [...base(v), 'getGuestIPAddress', v.vmx, ...(wait ? ['-wait'] : [])],
  revert: (v: Vmrun, snapshot: string) => [...base(v), 'revertToSnapshot', v.vmx, snapshot],
};

/** Where VMware installs vmrun, after PATH. */
export function usualVmrunPaths(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] {
  if (platform === 'darwin') return ['/Applications/VMware Fusion.app/Contents/Library/vmrun'];
  if (platform === 'win32') {
    const pf86 = env['ProgramFiles(x86)'] ?? 'C:\\Program Files (x86)';
    const pf = env.ProgramFiles ?? 'C:\\Program Files';
    return [`${pf86}\\VMware\\VMware Workstation\\vmrun.exe`, `${pf}\\VMware\\VMware Workstation\\vmrun.exe`, `${pf86}\\VMware\\VMware VIX\\vmrun.exe`];
  }
  return ['/usr/bin/vmrun', '/usr/local/bin/vmrun'];
}

export const VMRUN_FIX = 'install VMware Workstation, Player or Fusion (vmrun comes with it), or set vm.vmrun / FRUITS_VMRUN to its path';

/** The vmrun to use: vm.vmrun, else PATH, else the usual install paths; one line with the fix when none. */
export function locateVmrun(configured: string | undefined, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (configured) {
    if (!existsSync(configured)) throw envError(`vmrun ${configured} not found`, `fix vm.vmrun / FRUITS_VMRUN, or ${VMRUN_FIX.split(', or')[0]}`);
    return configured;
  }
  const found = which(platform === 'win32' ? 'vmrun.exe' : 'vmrun', env) ?? usualVmrunPaths(platform, env).find((p) => existsSync(p));
  if (!found) throw envError('vmrun not found on PATH or in the usual VMware folders', VMRUN_FIX);
  return found;
}

/** The vmrun view of the configured VM; one line with the fix when the .vmx is missing. */
export function vmrunFor(vm: { vmx?: string; vmrun?: string; product?: VmProduct }, env: NodeJS.ProcessEnv = process.env): Vmrun {
  if (!vm.vmx) throw usageError('vm.vmx is not set', 'set vm.vmx (FRUITS_VM_VMX) to the .vmx file of the VM');
  if (!existsSync(vm.vmx)) throw usageError(`VM file ${vm.vmx} not found`, 'fix vm.vmx / FRUITS_VM_VMX: the .vmx file in the folder of the VM (File > Open in VMware shows it)');
  return { bin: locateVmrun(vm.vmrun, env), product: vm.product ?? defaultProduct(), vmx: vm.vmx };
}

/** Pure: the .vmx paths of `vmrun list` ("Total running VMs: N" then one path a line). */
export function parseRunningList(stdout: string): string[] {
  return stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !/^Total running VMs:/i.test(l));
}

const samePath = (a: string, b: string, platform: NodeJS.Platform) => {
  const n = (p: string) => resolve(p).replace(/\\/g, '/');
  // Windows and macOS file systems are case-insensitive by default; vmrun may print another case.
  return platform === 'linux' ? n(a) === n(b) : n(a).toLowerCase() === n(b).toLowerCase();
};

export const isListed = (running: string[], vmx: string, platform: NodeJS.Platform = process.platform) => running.some((p) => samePath(p, vmx, platform));

/** Pure: the IPv4 address getGuestIPAddress printed, if it printed one. */
export function parseAddress(stdout: string): string | undefined {
  const line = stdout.split(/\r?\n/).map((l) => l.trim()).find(Boolean) ?? '';
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(line);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) return undefined;
  return line;
}

/** Pure: vmrun's own error line ("Error: ..." on stdout), or the last line of stderr. */
export function vmrunProblem(stdout: string, stderr: string): string {
  const line = [...stdout.split('\n'), ...stderr.split('\n')].map((l) => l.trim()).find((l) => /^Error:/i.test(l));
  return oneLine((line ?? stderr.split('\n').filter((l) => l.trim()).pop() ?? 'no details').replace(/^Error:\s*/i, ''));
}

/** Pure: "Error: The VMware Tools are not running in the virtual machine" and the like. */
export const toolsNotRunning = (problem: string) => /VMware Tools are not running|Tools.*not (running|installed)/i.test(problem);

/** A suspended VM keeps its memory in <name>.vmss beside the .vmx (vmrun list does not show it). */
export function hasSuspendFile(vmx: string): boolean {
  try {
    const stem = basename(vmx).replace(/\.vmx$/i, '');
    return readdirSync(dirname(vmx)).some((f) => f.toLowerCase().endsWith('.vmss') && f.startsWith(stem));
  } catch {
    return false;
  }
}
