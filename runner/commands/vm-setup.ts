// vm-setup: copy bootstrap/vm-setup.sh, the Python installer it runs (shared with the EMR
// bootstrap) and requirements.txt to the VM and run it there
// (with sudo unless the VM user is root), streaming its log.
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { scpToArgv, shJoin, shQuote, sshArgv, type SshTarget } from '../argv/ssh.js';
import { capture, startProcess } from '../platform/process.js';
import { envError, ExitCode, InterruptedError, oneLine, usageError, type ExitCodeValue } from '../../config/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { vmSshTarget } from '../platform/vm-ssh.js';
import { bringUpVm } from '../vm/machine.js';
import type { CommandHandler } from './handler.js';

export interface VmSetupPlan {
  prepare: string[];
  copy: string[];
  run: string[];
}

/** Pure: the three commands of a VM setup. `tty` lets sudo ask for a password. */
export function planVmSetup(t: SshTarget, workDir: string, files: { script: string; installer: string; requirements: string }, tty: boolean): VmSetupPlan {
  const dir = posix.join(workDir, 'setup');
  const sudo = t.user === 'root' ? '' : tty ? 'sudo ' : 'sudo -n ';
  const remote = `cd ${shQuote(dir)} && ${sudo}bash vm-setup.sh requirements.txt`;
  const ssh = sshArgv(t, remote);
  return {
    prepare: sshArgv(t, `mkdir -p ${shQuote(dir)}`),
    copy: scpToArgv(t, [files.script, files.installer, files.requirements], dir),
    run: tty ? [ssh[0]!, '-tt', ...ssh.slice(1)] : ssh,
  };
}

export async function vmSetup(cfg: RunnerConfig, root: string, o: { out: Output; dryRun: boolean; signal: AbortSignal }): Promise<ExitCodeValue> {
  // With vm.vmx and no vm.host: start the VM if needed and ask VMware Tools for its address.
  const t = vmSshTarget(cfg, cfg.vm.vmx && !cfg.vm.host && !o.dryRun ? (await bringUpVm(cfg, (m) => o.out.info(m))).host : cfg.vm.host ?? (cfg.vm.vmx ? 'VM-ADDRESS' : undefined));
  const files = {
    script: join(root, 'bootstrap', 'vm-setup.sh'),
    installer: join(root, 'bootstrap', 'install-python-requirements.sh'),
    requirements: join(root, 'requirements.txt'),
  };
  for (const f of Object.values(files)) if (!existsSync(f)) throw usageError(`${f} not found`, 'run from a full checkout');
  const plan = planVmSetup(t, cfg.vm.workDir, files, process.stdin.isTTY === true && !o.out.json);
  if (o.dryRun) {
    o.out.result(plan, [plan.prepare, plan.copy, plan.run].map(shJoin).join('\n'));
    return ExitCode.ok;
  }
  const prep = await capture(plan.prepare);
  if (prep.exitCode !== 0) throw envError(`cannot reach the VM ${t.user}@${t.host}:${t.port} over ssh (${oneLine(prep.stderr) || 'no details'})`, 'check vm.host/port/user/key');
  const cp = await capture(plan.copy);
  if (cp.exitCode !== 0) throw envError(`copying the setup script to the VM failed (${oneLine(cp.stderr)})`);
  o.out.info(`fruits: running vm-setup.sh on ${t.host} (Java 17, Spark, Python venv; the first run takes a while)`);
  const proc = startProcess(plan.run, { onStdoutLine: (l) => o.out.jobLine(l), onStderrLine: (l) => o.out.info(l) });
  const stop = () => proc.kill('SIGTERM');
  o.signal.addEventListener('abort', stop, { once: true });
  const r = await proc.done;
  if (o.signal.aborted) throw new InterruptedError('interrupted: vm-setup.sh may be half done; run fruits vm-setup again (it is idempotent)');
  if (r.exitCode !== 0) throw envError(`vm-setup.sh failed on the VM (exit ${r.exitCode})`, 'see the lines above and /var/log/fruits-vm-setup.log there');
  o.out.result({ ok: true, host: t.host }, `VM ${t.host} is set up: spark-submit ${cfg.vm.sparkSubmit}, python ${cfg.vm.python}`);
  return ExitCode.ok;
}

/** `fruits vm-setup` (command table handler). */
export const handle: CommandHandler = (c) => vmSetup(c.cfg, c.root, { out: c.out, dryRun: c.dryRun, signal: c.signal });
