// status, logs, ui and cancel: the look-ups on a started EMR run, answered by the emr target's
// module for the stack's compute mode (targets/emr-compute.ts: steps of a cluster, job runs).
import { usageError } from '../../config/errors.js';
import { targetEntry } from '../targets/registry.js';
import type { OpsContext } from '../targets/run-request.js';
import { boolFlag, intFlag, type CommandHandler, type CommandContext } from './handler.js';

function noExtraArgs(c: CommandContext, max: number): void {
  if (c.args.length > max) throw usageError(`unexpected argument "${c.args[max]}" (see fruits ${c.command} --help)`);
}
const opsOf = (c: CommandContext): OpsContext => ({ cfg: c.cfg, out: c.out, clock: c.clock, signal: c.signal, dryRun: c.dryRun });

/** The emr target, which answers every look-up command (targets/registry.ts). */
async function emr() {
  const t = await targetEntry('emr').load();
  return { status: t.status!, logs: t.logs!, ui: t.ui!, cancel: t.cancel! };
}

/** `fruits status [ref] [--follow]`, `fruits logs <ref>`, `fruits ui [ref]`, `fruits cancel <ref>` (command table handlers). */
export const handleStatus: CommandHandler = async (c) => (noExtraArgs(c, 1), (await emr()).status(c.args[0], { ...opsOf(c), follow: boolFlag(c, 'follow') }));
export const handleLogs: CommandHandler = async (c) => (noExtraArgs(c, 1), (await emr()).logs(c.args[0], { ...opsOf(c), waitSeconds: intFlag(c, 'wait-seconds', 0, 3600) ?? 0 }));
export const handleUi: CommandHandler = async (c) => (noExtraArgs(c, 1), (await emr()).ui(c.args[0], opsOf(c)));
export const handleCancel: CommandHandler = async (c) => (noExtraArgs(c, 1), (await emr()).cancel(c.args[0], opsOf(c)));
