// `fruits doctor`: the checks every target needs, then each target's own, asked through the
// registry (Target.doctor, targets/registry.ts; their modules are in runner/doctor/), each miss
// with its fix. A target without checks of its own says so in one skip line.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerConfig } from '../../config/index.js';
import { isSupportedNode, supportedNodeRange } from '../platform/node-version.js';
import type { Check, DoctorContext } from '../doctor/check.js';
import { TARGETS, targetEntry, type TargetEntry } from '../targets/registry.js';
import { boolFlag, stringFlag, type CommandHandler } from './handler.js';

export type { Check };

/** Pure: doctor exit code: 0 all good, 4 if only AWS auth misses, else 3. */
export function doctorExit(checks: Check[]): 0 | 3 | 4 {
  const misses = checks.filter((c) => c.status === 'miss');
  if (!misses.length) return 0;
  return misses.every((c) => c.auth) ? 4 : 3;
}

export const formatChecks = (checks: Check[]) =>
  checks
    .map((c) => `${c.status === 'ok' ? 'ok  ' : c.status === 'skip' ? 'skip' : 'MISS'} ${`[${c.area}] ${c.name}`.padEnd(28)} ${c.detail}${c.fix && c.status === 'miss' ? `\n     fix: ${c.fix}` : ''}`)
    .join('\n');

/** What every target needs: a supported Node.js and the job's files. */
function commonChecks(cfg: RunnerConfig): Check[] {
  const jobOk = existsSync(join(cfg.jobDir, 'run_job.py')) && existsSync(join(cfg.jobDir, 'fruits_job'));
  return [
    { area: 'common', name: 'node', status: isSupportedNode(process.versions.node) ? 'ok' : 'miss', detail: `${process.version} (supported: ${supportedNodeRange()})`, fix: 'install Node.js 24 LTS or 22.19+ (meanwhile scripts/setup.sh runs tests and the demo on pinned builds)' },
    { area: 'common', name: 'job files', status: jobOk ? 'ok' : 'miss', detail: cfg.jobDir, fix: 'run from a full checkout or set FRUITS_JOB_DIR' },
  ];
}

/** The common checks, then each target's in registry order. */
export async function runDoctor(cfg: RunnerConfig, targets: readonly TargetEntry[], ctx: DoctorContext): Promise<Check[]> {
  const checks = commonChecks(cfg);
  for (const entry of targets) {
    const target = await entry.load();
    const own: Check[] = target.doctor
      ? await target.doctor(cfg, ctx)
      : [{ area: entry.name, name: 'checks', status: 'skip', detail: `target ${entry.name} has no checks of its own (its Target has no doctor)` }];
    // A common check several targets need (vm's and emr's ssh client) is shown once.
    checks.push(...own.filter((c) => c.area !== 'common' || !checks.some((d) => d.area === 'common' && d.name === c.name)));
  }
  return checks;
}

/** `fruits doctor [--target <name>]` (command table handler). */
export const handle: CommandHandler = async (c) => {
  const target = stringFlag(c, 'target');
  const targets = target !== undefined ? [targetEntry(target, '--target')] : TARGETS;
  const checks = await runDoctor(c.cfg, targets, { root: c.root, offline: boolFlag(c, 'offline') });
  const code = doctorExit(checks);
  c.out.result({ ok: code === 0, exitCode: code, checks }, formatChecks(checks) + (code === 0 ? '\nall checks passed' : '\nsome checks failed: see the fix lines above'));
  return code;
};
