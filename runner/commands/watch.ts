// `fruits watch <run-folder>`: follow a run's progress.json (local folder or s3://) until its
// summary.json says how it ended. For runs started with --no-wait, elsewhere, or in another terminal.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Clock } from '../platform/clock.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { isS3Uri } from '../aws/s3-uri.js';
import { InterruptedError, jobError, usageError, type ExitCodeValue } from '../../config/errors.js';
import { makeProgressView } from '../progress/progress-view.js';
import { readProgress, readSummaryAt, runFile, SUMMARY_FILE, VM_PREFIX, type VmReader } from '../progress/progress-source.js';
import { describeSummary, summaryStatusExit } from '../progress/run-summary.js';
import { PROGRESS_FILE } from '../progress/run-progress.js';
import type { CommandHandler } from './handler.js';

export interface WatchContext {
  cfg: RunnerConfig;
  out: Output;
  clock: Clock;
  signal: AbortSignal;
  /** For tests; built from the config otherwise. */
  s3?: S3Client;
  /** How long to wait for the run's first file. */
  appearWaitMs?: number;
  /** A running run whose progress.json has not changed for this long is reported as stalled. */
  staleMs?: number;
}

export async function watchRun(folder: string, c: WatchContext): Promise<ExitCodeValue> {
  runFile(folder, PROGRESS_FILE); // validates the folder form
  const onVm = folder.startsWith(VM_PREFIX);
  const remote = isS3Uri(folder) || onVm;
  const s3 = c.s3 ?? (isS3Uri(folder) ? await s3For(c.cfg) : undefined);
  const vm = onVm ? await vmReader(c.cfg) : undefined;
  const pollMs = remote ? 5_000 : 1_000;
  const view = makeProgressView(c.out, { clock: c.clock });
  const out = view.out;
  const start = c.clock.now();
  let seen = false;
  let lastSeq: number | undefined;
  let lastChange = start;
  out.info(`fruits: watching ${folder} (Ctrl-C stops watching, not the run)`);
  for (;;) {
    const p = await readProgress(folder, s3, vm);
    if (p) {
      seen = true;
      view.update(p);
      if (p.seq !== lastSeq) [lastSeq, lastChange] = [p.seq, c.clock.now()];
    }
    const summary = await readSummaryAt(folder, s3, vm);
    const finalStatus = (summary as { status?: string } | undefined)?.status;
    if (summary !== undefined && finalStatus !== 'running') {
      view.stop();
      const exitCode = summaryStatusExit(summary);
      c.out.result({ runFolder: folder, exitCode, progress: p, summary }, `${describeSummary(summary)}\nsummary: ${runFile(folder, SUMMARY_FILE)}`);
      return exitCode;
    }
    if (p && p.status !== 'running' && summary === undefined) {
      view.stop();
      throw jobError(`run ${p.run_id} ${p.status} but ${runFile(folder, SUMMARY_FILE)} is missing or unreadable: the job stopped while writing it`);
    }
    seen ||= summary !== undefined;
    const staleMs = c.staleMs ?? 600_000;
    if (p && p.status === 'running' && c.clock.now() - lastChange >= staleMs) {
      view.stop();
      throw jobError(`run ${p.run_id}: no progress update in ${runFile(folder, PROGRESS_FILE)} for ${Math.round(staleMs / 60_000)} min (last: ${p.stage}, ${p.updated_at}): the driver has likely stopped; see its logs (fruits logs <step-id> on EMR)`);
    }
    if (!seen && c.clock.now() - start >= (c.appearWaitMs ?? 120_000)) {
      throw usageError(`no ${PROGRESS_FILE} or ${SUMMARY_FILE} in ${folder} after ${Math.round((c.appearWaitMs ?? 120_000) / 1000)} s`, 'pass the run folder (<output>/<run-id>) of a started run');
    }
    await c.clock.sleep(pollMs, c.signal);
    if (c.signal.aborted) {
      view.stop();
      throw new InterruptedError(`stopped watching ${folder}; the run itself goes on`);
    }
  }
}

async function s3For(cfg: RunnerConfig): Promise<S3Client> {
  const { makeAwsClients } = await import('../aws/clients.js');
  const { readStackOutputs, regionOf } = await import('../aws/stack-outputs.js');
  const region = regionOf(cfg, readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack));
  if (!region) throw usageError('no AWS region to read s3:// run folders', 'pass --region or set AWS_REGION');
  return makeAwsClients({ region, endpoint: cfg.emr.endpoint }).s3;
}

/** `ssh cat` of a run file on the VM (relative paths are under vm.workDir, as for the job). */
async function vmReader(cfg: RunnerConfig): Promise<VmReader> {
  const { vmSshTarget, remoteSummaryPath, unreachable } = await import('../platform/vm-ssh.js');
  const { sshArgv, shQuote } = await import('../argv/ssh.js');
  const { capture } = await import('../platform/process.js');
  // With vm.vmx and no vm.host: the address VMware Tools reports (the VM must be running).
  const { vmAddress } = await import('../vm/machine.js');
  const { vmrunFor } = await import('../vm/vmrun.js');
  const ssh = vmSshTarget(cfg, cfg.vm.vmx && !cfg.vm.host ? await vmAddress(vmrunFor(cfg.vm), { wait: false, timeoutMs: 30_000 }) : undefined);
  return async (path) => {
    const r = await capture(sshArgv(ssh, `cat ${shQuote(remoteSummaryPath(cfg.vm.workDir, path))} 2>/dev/null || exit 3`));
    if (r.exitCode === 0) return r.stdout;
    if (r.exitCode === 3) return undefined;
    throw unreachable(ssh, r.stderr.split('\n'));
  };
}

/** `fruits watch <run-folder>` (command table handler). */
export const handle: CommandHandler = async (c) => {
  if (c.args.length !== 1) throw usageError('one run folder: fruits watch <output>/<run-id> (a local path, vm:<path on the VM> or s3://)');
  return watchRun(c.args[0]!, { cfg: c.cfg, out: c.out, clock: c.clock, signal: c.signal });
};
