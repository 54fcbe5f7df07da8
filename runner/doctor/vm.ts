// doctor's checks of the vm target (targets/vm.ts): ssh, the VMware checks (vm/checks.ts), then the
// VM's address, ssh to it and its spark-submit and pyspark.
import type { RunnerConfig } from '../../config/index.js';
import { oneLine } from '../../config/errors.js';
import { shQuote, sshArgv } from '../argv/ssh.js';
import { capture } from '../platform/process.js';
import { vmSshTarget } from '../platform/vm-ssh.js';
import { vmwareChecks } from '../vm/checks.js';
import { missFrom, sshClientCheck, type Check, type DoctorContext } from './check.js';

export async function vmChecks(cfg: RunnerConfig, ctx: DoctorContext): Promise<Check[]> {
  const checks: Check[] = [sshClientCheck()];
  const add = (c: Check) => checks.push(c);
  const vmware = await vmwareChecks(cfg, ctx.offline);
  vmware.checks.forEach(add);
  if (!cfg.vm.host && !vmware.address) {
    add({ area: 'vm', name: 'vm config', status: 'skip', detail: cfg.vm.vmx ? 'no address yet (the VM is not running or VMware Tools has not reported it)' : 'vm.host / vm.vmx not set (set FRUITS_VM_HOST or FRUITS_VM_VMX to check the VM)' });
    return checks;
  }
  try {
    const t = vmSshTarget(cfg, vmware.address);
    add({ area: 'vm', name: 'vm config', status: 'ok', detail: `${t.user}@${t.host}:${t.port}${t.key ? ` key ${t.key}` : ''}` });
    if (ctx.offline) add({ area: 'vm', name: 'vm reachable', status: 'skip', detail: '--offline' });
    else {
      const r = await capture(sshArgv(t, `test -x ${shQuote(cfg.vm.sparkSubmit)} && echo spark-ok; ${shQuote(cfg.vm.python)} -c 'import pyspark; print(pyspark.__version__)'`), { timeoutMs: 60_000 });
      if (r.exitCode === 255) add({ area: 'vm', name: 'vm reachable', status: 'miss', detail: oneLine(r.stderr.split('\n').filter(Boolean).pop() ?? 'ssh failed'), fix: 'start the VM, check vm.host/port/user/key and the VM firewall' });
      else {
        add({ area: 'vm', name: 'vm reachable', status: 'ok', detail: 'ssh ok' });
        const sparkOk = r.stdout.includes('spark-ok');
        add({ area: 'vm', name: 'vm spark', status: sparkOk ? 'ok' : 'miss', detail: sparkOk ? `${cfg.vm.sparkSubmit}, pyspark ${r.stdout.split('\n')[1] ?? '?'}` : `${cfg.vm.sparkSubmit} missing`, fix: 'run `fruits vm-setup` (copies bootstrap/vm-setup.sh, its Python installer and requirements.txt to the VM and runs it with sudo)' });
      }
    }
  } catch (e) {
    add({ area: 'vm', name: 'vm config', status: 'miss', ...missFrom(e) });
  }
  return checks;
}
