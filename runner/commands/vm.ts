// `fruits vm start|stop|suspend|status`: the VMware VM of vm.vmx, driven by vmrun.
import type { CommandHandler } from './handler.js';
import type { RunnerConfig } from '../../config/index.js';
import { shJoin } from '../argv/ssh.js';
import { ExitCode, usageError, type ExitCodeValue } from '../../config/errors.js';
import type { Output } from '../platform/output.js';
import { bringUpVm, parkVm, vmAddress, vmState } from '../vm/machine.js';
import { vmrunArgv, vmrunFor } from '../vm/vmrun.js';

export const VM_ACTIONS = ['start', 'stop', 'suspend', 'status'] as const;
export type VmAction = (typeof VM_ACTIONS)[number];

export function parseVmAction(rest: string[]): VmAction {
  const [a, extra] = rest;
  if (!a || !(VM_ACTIONS as readonly string[]).includes(a)) throw usageError(a ? `unknown vm action "${a}"` : 'missing vm action', `fruits vm <${VM_ACTIONS.join('|')}>`);
  if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`, `fruits vm ${a}`);
  return a as VmAction;
}

export async function vmCommand(action: VmAction, cfg: RunnerConfig, out: Output, o: { dryRun: boolean }): Promise<ExitCodeValue> {
  const v = vmrunFor(cfg.vm);
  const timeoutMs = cfg.vm.startTimeoutSeconds * 1000;
  if (o.dryRun) {
    const argv = action === 'start' ? vmrunArgv.start(v) : action === 'status' ? vmrunArgv.list(v) : vmrunArgv[action](v, 'soft');
    out.result({ action, vmrun: argv }, shJoin(argv));
    return ExitCode.ok;
  }
  const info = (m: string) => out.info(m);
  if (action === 'start') {
    const up = await bringUpVm({ ...cfg, vm: { ...cfg.vm, snapshot: undefined } }, info); // start never reverts: that is for runs
    out.result({ action, state: 'running', address: up.host, started: up.started, vmx: v.vmx }, `VM ${v.vmx} is running at ${up.host}${up.started ? '' : ' (it already was)'}`);
    return ExitCode.ok;
  }
  const state = await vmState(v);
  if (action === 'status') {
    let address: string | undefined;
    let note = '';
    if (state === 'running') {
      try {
        address = await vmAddress(v, { wait: false, timeoutMs: 30_000 });
      } catch (e) {
        note = ` (no address yet: ${(e as Error).message})`;
      }
    }
    out.result({ action, state, address, vmx: v.vmx, vmrun: v.bin, product: v.product }, `VM ${v.vmx}: ${state}${address ? ` at ${address}` : note}`);
    return ExitCode.ok;
  }
  if (state !== 'running') {
    out.result({ action, state, vmx: v.vmx, changed: false }, `VM ${v.vmx} is ${state}: nothing to ${action}`);
    return ExitCode.ok;
  }
  await parkVm(v, action, timeoutMs, info);
  const after = action === 'stop' ? 'off' : 'suspended';
  out.result({ action, state: after, vmx: v.vmx, changed: true }, `VM ${v.vmx} is ${after}`);
  return ExitCode.ok;
}

/** `fruits vm <start|stop|suspend|status>` (command table handler). */
export const handle: CommandHandler = (c) => vmCommand(parseVmAction(c.args), c.cfg, c.out, { dryRun: c.dryRun });
