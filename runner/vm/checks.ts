// doctor's VMware checks: vmrun, the .vmx, the VM's state and the address VMware Tools reports.
import { existsSync } from 'node:fs';
import type { RunnerConfig } from '../../config/index.js';
import type { Check } from '../doctor/check.js';
import { which } from '../platform/discover.js';
import { oneLine } from '../../config/errors.js';
import { ADDRESS_FIX, vmAddress, vmState } from './machine.js';
import { defaultProduct, locateVmrun, type Vmrun } from './vmrun.js';
import { RSYNC_FIX } from './transfer.js';

const missOf = (e: unknown) => {
  const x = e as { problem?: string; fix?: string; message?: string };
  return { detail: oneLine(x.problem ?? x.message ?? String(e)), ...(x.fix ? { fix: x.fix } : {}) };
};

/** The checks, and the VM's address when VMware Tools reports one (for the ssh checks that follow). */
export async function vmwareChecks(cfg: RunnerConfig, offline: boolean): Promise<{ checks: Check[]; address?: string }> {
  const checks: Check[] = [];
  const rsync = which('rsync');
  checks.push({ area: 'vm', name: 'rsync', status: rsync ? 'ok' : 'miss', detail: rsync ?? 'not found (photos and results travel with it)', fix: RSYNC_FIX });
  const vmx = cfg.vm.vmx;
  if (!vmx) {
    checks.push({ area: 'vm', name: 'vmware', status: 'skip', detail: 'vm.vmx not set (the VM is not started by the runner)' });
    return { checks };
  }
  let bin: string | undefined;
  try {
    bin = locateVmrun(cfg.vm.vmrun);
    checks.push({ area: 'vm', name: 'vmrun', status: 'ok', detail: bin });
  } catch (e) {
    checks.push({ area: 'vm', name: 'vmrun', status: 'miss', ...missOf(e) });
  }
  const vmxOk = existsSync(vmx);
  checks.push({ area: 'vm', name: 'vm file', status: vmxOk ? 'ok' : 'miss', detail: vmxOk ? vmx : `${vmx} not found`, fix: 'fix vm.vmx / FRUITS_VM_VMX: the .vmx file in the folder of the VM' });
  if (!bin || !vmxOk) return { checks };
  if (offline) {
    checks.push({ area: 'vm', name: 'vm state', status: 'skip', detail: '--offline' });
    return { checks };
  }
  const v: Vmrun = { bin, product: cfg.vm.product ?? defaultProduct(), vmx };
  try {
    const state = await vmState(v);
    checks.push({ area: 'vm', name: 'vm state', status: 'ok', detail: state === 'running' ? 'running' : `${state} (fruits run vm and fruits vm start start it)` });
    if (state !== 'running' || cfg.vm.host) return { checks };
    const address = await vmAddress(v, { wait: false, timeoutMs: 30_000 });
    checks.push({ area: 'vm', name: 'vm address', status: 'ok', detail: `${address} (reported by VMware Tools)` });
    return { checks, address };
  } catch (e) {
    checks.push({ area: 'vm', name: 'vm address', status: 'miss', ...missOf(e), fix: (e as { fix?: string }).fix ?? ADDRESS_FIX });
    return { checks };
  }
}
