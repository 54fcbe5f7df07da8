// The VMware VM as the runner drives it: state, start, address, snapshot, stop/suspend.
// Runs vmrun (thin adapter over platform/process) and turns its failures into one line with the fix.
import type { RunnerConfig } from '../../config/index.js';
import { sshArgv, type SshTarget } from '../argv/ssh.js';
import { capture } from '../platform/process.js';
import { envError, InterruptedError, oneLine } from '../../config/errors.js';
import { hasSuspendFile, isListed, parseAddress, parseRunningList, toolsNotRunning, vmrunArgv, vmrunFor, vmrunProblem, type Vmrun } from './vmrun.js';

export type VmState = 'running' | 'suspended' | 'off';

export const ADDRESS_FIX =
  'install VMware Tools in the VM (Ubuntu: sudo apt-get install open-vm-tools), give it a NAT or host-only network adapter, or set vm.host to its address';

interface VmrunResult { exitCode: number | undefined; stdout: string; stderr: string; timedOut: boolean }

async function vmrun(argv: string[], timeoutMs: number): Promise<VmrunResult> {
  const r = await capture(argv, { timeoutMs });
  if (r.notFound) throw envError(`cannot run ${argv[0]}`, 'fix vm.vmrun / FRUITS_VMRUN (it must be executable)');
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: (r.raw as { timedOut?: boolean }).timedOut === true };
}

const failed = (what: string, r: VmrunResult, fix: string) => envError(`vmrun ${what} failed (${vmrunProblem(r.stdout, r.stderr)})`, fix);

export async function vmState(v: Vmrun): Promise<VmState> {
  const r = await vmrun(vmrunArgv.list(v), 30_000);
  if (r.exitCode !== 0) throw failed('list', r, 'check the VMware installation (vmrun list must work)');
  if (isListed(parseRunningList(r.stdout), v.vmx)) return 'running';
  return hasSuspendFile(v.vmx) ? 'suspended' : 'off';
}

/** The address VMware Tools reports; with wait, blocks up to timeoutMs for it. */
export async function vmAddress(v: Vmrun, o: { wait: boolean; timeoutMs: number }): Promise<string> {
  const r = await vmrun(vmrunArgv.address(v, o.wait), o.timeoutMs);
  if (r.timedOut) throw envError(`VMware Tools in the VM reported no address within ${Math.round(o.timeoutMs / 1000)} s`, ADDRESS_FIX);
  const address = r.exitCode === 0 ? parseAddress(r.stdout) : undefined;
  if (address) return address;
  const problem = r.exitCode === 0 ? `it printed "${oneLine(r.stdout) || 'nothing'}"` : vmrunProblem(r.stdout, r.stderr);
  if (r.exitCode !== 0 && !toolsNotRunning(problem)) throw envError(`vmrun getGuestIPAddress failed (${problem})`, 'check that the VM is running (fruits vm status)');
  throw envError(`VMware Tools in the VM reported no address (${problem})`, ADDRESS_FIX);
}

export async function startVm(v: Vmrun, timeoutMs: number): Promise<void> {
  const r = await vmrun(vmrunArgv.start(v), timeoutMs);
  if (r.timedOut) throw envError(`vmrun start did not return within ${Math.round(timeoutMs / 1000)} s`, 'open the VM in VMware once: it may be waiting for an answer (moved or copied?)');
  if (r.exitCode !== 0) throw failed('start', r, 'open the VM in VMware once to see what it needs (a question, a locked file, too little memory), then retry');
}

export async function revertVm(v: Vmrun, snapshot: string, timeoutMs: number): Promise<void> {
  const r = await vmrun(vmrunArgv.revert(v, snapshot), timeoutMs);
  if (r.exitCode !== 0) throw failed(`revertToSnapshot "${snapshot}"`, r, 'fix vm.snapshot (the name as in VMware\'s Snapshot Manager; Player has no snapshots) or unset it');
}

/** stop | suspend: soft first (a clean guest shutdown, needs VMware Tools), hard when that fails. */
export async function parkVm(v: Vmrun, how: 'stop' | 'suspend', timeoutMs: number, info: (m: string) => void): Promise<void> {
  const soft = await vmrun(vmrunArgv[how](v, 'soft'), timeoutMs);
  if (soft.exitCode === 0 && !soft.timedOut) return;
  info(`fruits: vmrun ${how} soft failed (${soft.timedOut ? 'timed out' : vmrunProblem(soft.stdout, soft.stderr)}); trying hard`);
  const hard = await vmrun(vmrunArgv[how](v, 'hard'), timeoutMs);
  if (hard.exitCode !== 0) throw failed(`${how} hard`, hard, `${how} the VM from VMware`);
}

/** Polls ssh until the VM's sshd answers (booting guests report an address before sshd listens). */
export async function waitForSsh(t: SshTarget, timeoutMs: number, signal: AbortSignal, onFail: (stderr: string[]) => Error): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await capture(sshArgv(t, 'true'), { timeoutMs: (t.connectTimeoutSeconds + 5) * 1000 });
    if (r.exitCode !== 255 && r.exitCode !== undefined) return; // sshd answered (the command's own status is not ours)
    if (Date.now() > deadline || /Permission denied|Host key verification failed|HOST IDENTIFICATION/i.test(r.stderr)) throw onFail(r.stderr.split('\n'));
    if (signal.aborted) throw new InterruptedError('interrupted while waiting for the VM to answer ssh');
    await new Promise((res) => setTimeout(res, 2000));
  }
}

export interface VmUp {
  vmrun: Vmrun;
  host: string;
  /** Whether the runner started (or resumed) it. */
  started: boolean;
}

/**
 * Side effect: the VM of vm.vmx reverted to vm.snapshot (if set), started headless if it is not
 * running, and its address (vm.host when set, else VMware Tools', waited for up to vm.startTimeoutSeconds).
 */
export async function bringUpVm(cfg: RunnerConfig, info: (m: string) => void): Promise<VmUp> {
  const v = vmrunFor(cfg.vm);
  const timeoutMs = cfg.vm.startTimeoutSeconds * 1000;
  if (cfg.vm.snapshot) {
    info(`fruits: reverting the VM to snapshot "${cfg.vm.snapshot}"`);
    await revertVm(v, cfg.vm.snapshot, timeoutMs);
  }
  const state = await vmState(v);
  if (state !== 'running') {
    info(`fruits: starting the VM ${v.vmx} (${state}; vmrun start nogui)`);
    await startVm(v, timeoutMs);
  }
  if (cfg.vm.host) return { vmrun: v, host: cfg.vm.host, started: state !== 'running' };
  info(`fruits: waiting for VMware Tools to report the VM's address (up to ${cfg.vm.startTimeoutSeconds} s)`);
  const host = await vmAddress(v, { wait: true, timeoutMs });
  info(`fruits: the VM's address is ${host}`);
  return { vmrun: v, host, started: state !== 'running' };
}

/** vm.afterRun: leave the VM as it is, or stop/suspend it. */
export async function afterRun(cfg: RunnerConfig, v: Vmrun, info: (m: string) => void): Promise<void> {
  const how = cfg.vm.afterRun;
  if (how === 'keep') return;
  info(`fruits: ${how === 'stop' ? 'stopping' : 'suspending'} the VM (vm.afterRun)`);
  await parkVm(v, how, cfg.vm.startTimeoutSeconds * 1000, info);
}
