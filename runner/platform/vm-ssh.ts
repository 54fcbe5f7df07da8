// The VM over SSH, as config describes it: the validated ssh target, what an ssh failure means, and
// where the job's summary.json is on the VM. Shared by the vm target and the commands that reach the
// VM (doctor, vm-setup, watch vm:<path>).
import { existsSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { SshTarget } from '../argv/ssh.js';
import { envError, oneLine, usageError } from '../../config/errors.js';
import type { RunnerConfig } from '../../config/index.js';

/**
 * Validated SSH target from config; one-line errors for a missing host or a bad key. `address`
 * (what VMware Tools reported for vm.vmx) stands in for vm.host when given.
 */
export function vmSshTarget(cfg: RunnerConfig, address?: string): SshTarget {
  const vm = cfg.vm;
  const host = address ?? vm.host;
  if (!host) throw usageError('no VM host', 'set vm.vmx (the runner then asks VMware for the address) or vm.host / FRUITS_VM_HOST (or pass --host)');
  if (vm.key) {
    if (!existsSync(vm.key)) throw usageError(`VM ssh key ${vm.key} not found`, 'fix vm.key / FRUITS_VM_KEY / --key');
    if ((statSync(vm.key).mode & 0o077) !== 0) throw usageError(`VM ssh key ${vm.key} is readable by others and ssh will refuse it`, `chmod 600 ${vm.key}`);
  }
  if (vm.knownHosts && !existsSync(vm.knownHosts) && vm.strictHostKeyChecking === 'yes') {
    throw usageError(`known_hosts file ${vm.knownHosts} not found`, `create it (ssh-keyscan -p ${vm.port} ${host} > ${vm.knownHosts}) or set vm.strictHostKeyChecking to accept-new`);
  }
  return { host, user: vm.user, port: vm.port, key: vm.key, knownHosts: vm.knownHosts, strictHostKeyChecking: vm.strictHostKeyChecking, connectTimeoutSeconds: vm.connectTimeoutSeconds };
}

/** ssh's own failure exit code (connection, authentication, host key). */
export const SSH_FAILED = 255;
export const lastLine = (lines: string[]) => oneLine(lines.filter((l) => l.trim()).slice(-1)[0] ?? 'no details');
const HOST_KEY_FAILURE = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* (not known|differs)|No \S+ host key is known/i;

/** ssh exit 255: a host-key problem names ssh-keyscan and vm.strictHostKeyChecking; anything else is "unreachable". */
export function unreachable(t: SshTarget, tailLines: string[]) {
  if (tailLines.some((l) => HOST_KEY_FAILURE.test(l))) {
    const file = t.knownHosts ?? '~/.ssh/known_hosts';
    return envError(
      `ssh refused the VM's host key (${lastLine(tailLines.filter((l) => HOST_KEY_FAILURE.test(l)))})`,
      `if the VM is new or was rebuilt, check its key and record it with \`ssh-keyscan -p ${t.port} ${t.host} >> ${file}\` (remove a stale entry with ssh-keygen -R), or set vm.strictHostKeyChecking to accept-new for a first connection`,
    );
  }
  return envError(`cannot reach the VM ${t.user}@${t.host}:${t.port} over ssh (${lastLine(tailLines)})`, 'check that the VM is running and vm.host/port/user/key');
}

/** Pure: the VM path of the summary.json named by the job's FRUITS_RUN_SUMMARY line (relative paths are under vm.workDir). */
export function remoteSummaryPath(workDir: string, summaryUri: string): string {
  const p = summaryUri.replace(/^file:\/\//, '');
  return p.startsWith('/') || p.startsWith('~') ? p : posix.join(workDir, p);
}
