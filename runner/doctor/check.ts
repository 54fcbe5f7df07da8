// What a doctor check is and what the targets' checks share. `fruits doctor` (commands/doctor.ts)
// runs the common checks, then asks each target for its own (Target.doctor, targets/registry.ts).
import { ExitCode, isStructuredError, oneLine } from '../../config/errors.js';
import { which } from '../platform/discover.js';

export interface Check {
  /** 'common', or the name of the target the check is for. */
  area: string;
  name: string;
  status: 'ok' | 'miss' | 'skip';
  detail: string;
  fix?: string;
  /** A miss caused by AWS credentials/permissions (exit 4 rather than 3). */
  auth?: boolean;
}

/** What a target's checks get besides the config. */
export interface DoctorContext {
  /** The checkout root. */
  root: string;
  /** --offline: no check calls AWS or ssh. */
  offline: boolean;
}

/**
 * Pure: the detail and fix of a check that failed with error e, from its fields (any
 * structured error: FruitsError, ConfigError); `fallbackFix` when it names none.
 */
export function missFrom(e: unknown, fallbackFix?: string): { detail: string; fix?: string } {
  if (isStructuredError(e)) return { detail: oneLine(e.problem), fix: e.fix ?? fallbackFix };
  return { detail: oneLine(String((e as Error)?.message ?? e)), fix: fallbackFix };
}

/**
 * A check whose AWS call failed: a refusal (exit code 4) is an auth miss whose fix names the
 * permission the check needs; any other failure keeps its own fix, else that one.
 */
export function awsMiss(base: Pick<Check, 'area' | 'name'>, e: unknown, permission: string): Check {
  const auth = isStructuredError(e) && e.exitCode === ExitCode.awsAuth;
  return { ...base, status: 'miss', ...missFrom(e, permission), ...(auth ? { fix: permission } : {}), auth };
}

/** ssh and scp (the vm target runs over them, the emr tunnel too): a common check, shown once. */
export function sshClientCheck(): Check {
  const ssh = which('ssh');
  return { area: 'common', name: 'ssh client', status: ssh && which('scp') ? 'ok' : 'miss', detail: ssh ?? 'not found', fix: 'apt-get install openssh-client' };
}
