// vm target: the Ubuntu VM (VMware Workstation) over SSH. With vm.vmx it starts the VM
// (runner/vm/), syncs a host --input folder to it, copies the job, runs spark-submit there
// with output streamed back, brings the run folder home, and on Ctrl-C kills the remote
// process group through a second ssh.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterRun, bringUpVm, waitForSsh, type VmUp } from '../vm/machine.js';
import { vmrunArgv, vmrunFor } from '../vm/vmrun.js';
import { placeInput, pullArgv, pushArgv } from '../vm/sync.js';
import { progressLine, pullRun, pushInput, requireRsync, type TransferIo } from '../vm/transfer.js';
import { buildSparkSubmitArgv, parseSummaryLine } from '../argv/spark-submit.js';
import {
  REMOTE_MISSING_SPARK, remoteKillCommand, remotePruneCommand, remoteRunCommand, scpFromArgv, scpToArgv, shJoin, shQuote, sshArgv, type SshTarget,
} from '../argv/ssh.js';
import { capture, startProcess } from '../platform/process.js';
import { which } from '../platform/discover.js';
import { envError, ExitCode, InterruptedError, usageError } from '../../config/errors.js';
import { locateJob, writeJobZip } from '../packaging/package-job.js';
import type { RunnerConfig } from '../../config/index.js';
import { loadJobContract, replacesRunFolder } from '../../config/job-contract.js';
import { SUMMARY_FILE } from '../progress/progress-source.js';
import { PROGRESS_LINES_ENV } from '../progress/run-progress.js';
import { awaitFinalSummary, summaryStatus } from '../progress/final-summary.js';
import type { Clock } from '../platform/clock.js';
import { exitForJob, jobArgvFor, jobOutputRouter, type RunContext, type RunOutcome, type RunRequest } from './run-request.js';
import { describeSummary, summaryStatusExit } from '../progress/run-summary.js';
import { lastLine, remoteSummaryPath, SSH_FAILED, unreachable, vmSshTarget } from '../platform/vm-ssh.js';
import type { Target } from './registry.js';

export interface VmPlan {
  ssh: SshTarget;
  codeDir: string;
  pidFile: string;
  prepare: string[];
  copy: string[];
  run: string[];
  kill: string[];
  /** Removes all but the newest vm.keepCodeRuns code/<run-id>/ folders (never one whose job still runs). */
  prune: string[];
}

/** Pure: every argv of a vm run (printed by --dry-run). */
export function planVmRun(cfg: RunnerConfig, ssh: SshTarget, runId: string, jobArgs: string[], conf: Record<string, string>, localFiles: string[], otherDirs: string[] = []): VmPlan {
  // Paths relative to vm.workDir: the remote command cd's there first.
  const codeDir = posix.join('code', runId);
  const pidFile = posix.join(codeDir, 'job.pid');
  const argv = buildSparkSubmitArgv({
    sparkSubmit: cfg.vm.sparkSubmit,
    master: cfg.vm.master,
    conf: { ...cfg.vm.sparkConf, ...conf },
    pyFiles: posix.join(codeDir, 'fruits_job.zip'),
    script: posix.join(codeDir, 'run_job.py'),
    jobArgs,
  });
  const remoteCode = posix.join(cfg.vm.workDir, codeDir);
  return {
    ssh,
    codeDir: remoteCode,
    pidFile,
    prepare: sshArgv(ssh, `mkdir -p ${[remoteCode, ...otherDirs].map(shQuote).join(' ')}`),
    prune: sshArgv(ssh, remotePruneCommand(posix.join(cfg.vm.workDir, 'code'), cfg.vm.keepCodeRuns)),
    copy: scpToArgv(ssh, localFiles, remoteCode),
    run: sshArgv(ssh, remoteRunCommand({ workDir: cfg.vm.workDir, pidFile, env: { PYSPARK_PYTHON: cfg.vm.python, PYSPARK_DRIVER_PYTHON: cfg.vm.python, [PROGRESS_LINES_ENV]: '1' }, argv })),
    kill: sshArgv(ssh, `cd ${shQuote(cfg.vm.workDir)} && ${remoteKillCommand(pidFile)}`),
  };
}

/** The VM's default output folder (relative: under vm.workDir, where the job runs). */
export const DEFAULT_VM_OUTPUT = 'runs';

const isHostDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

export async function runVm(req: RunRequest, ctx: RunContext): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  if (!req.input) throw usageError('missing --input', 'pass the photo folder: a folder on this host (synced to the VM) or vm:<folder on the VM>');
  const place = placeInput(req.input, cfg.vm.workDir, isHostDir);
  const output = req.output ?? DEFAULT_VM_OUTPUT;
  const localRun = join(cfg.vm.summaryDir, req.runId);
  // The run folder comes home into vm.summaryDir/<run-id>/: never over another run's files unasked.
  if (!replacesRunFolder(loadJobContract(cfg.jobDir), req.options) && existsSync(localRun) && readdirSync(localRun).length) {
    throw usageError(`${localRun} already holds a run ${req.runId}`, 'pass another --run-id, or --overwrite to replace it (here and on the VM)');
  }
  const job = locateJob(cfg.jobDir);
  const jobArgs = jobArgvFor(req, cfg, place.remote, output);
  const reqs = join(ctx.root, 'requirements.txt');
  const mirrorDirs = place.kind === 'host' ? [place.remote] : [];
  if (req.dryRun) {
    // Nothing is staged and VMware is not asked: show every command and transfer the run would make.
    const vmx = cfg.vm.vmx ? vmrunFor(cfg.vm) : undefined;
    const ssh = vmSshTarget(cfg, cfg.vm.host ?? (vmx ? 'VM-ADDRESS' : undefined));
    const sources = { 'run_job.py': job.runJob, 'fruits_job.zip': `zipped at run time from ${join(cfg.jobDir, 'fruits_job')}`, 'requirements.txt': reqs };
    const plan = planVmRun(cfg, ssh, req.runId, jobArgs, req.conf, [], mirrorDirs);
    const vmrun = vmx
      ? { ...(cfg.vm.snapshot ? { revert: vmrunArgv.revert(vmx, cfg.vm.snapshot) } : {}), start: vmrunArgv.start(vmx), ...(cfg.vm.host ? {} : { address: vmrunArgv.address(vmx, true) }), ...(cfg.vm.afterRun === 'keep' ? {} : { after: vmrunArgv[cfg.vm.afterRun](vmx, 'soft') }) }
      : undefined;
    const push = place.kind === 'host' ? pushArgv(ssh, place.local, place.remote) : undefined;
    const pull = pullArgv(ssh, remoteSummaryPath(cfg.vm.workDir, posix.join(output, req.runId)), localRun);
    const copy = `# copy: ${Object.entries(sources).map(([k, v]) => `${k} (${v})`).join(', ')} -> ${ssh.user}@${ssh.host}:${plan.codeDir}/`;
    const human = [
      ...(vmrun?.revert ? [shJoin(vmrun.revert)] : []),
      ...(vmrun ? [`${shJoin(vmrun.start)}   # only if the VM is not running`] : []),
      ...(vmrun?.address ? [`${shJoin(vmrun.address)}   # VM-ADDRESS, waited for up to ${cfg.vm.startTimeoutSeconds} s`] : []),
      shJoin(plan.prepare),
      ...(push ? [shJoin(push)] : [`# input: ${place.remote} on the VM (not copied)`]),
      copy, shJoin(plan.run),
      `# then keep the newest ${cfg.vm.keepCodeRuns} code folders: ${shJoin(plan.prune)}`,
      `# run folder home: ${shJoin(pull)}`,
      ...(vmrun?.after ? [shJoin(vmrun.after)] : []),
    ];
    out.result({ target: 'vm', runId: req.runId, vmrun, prepare: plan.prepare, push, copyFiles: sources, copyTo: plan.codeDir, run: plan.run, kill: plan.kill, prune: plan.prune, pull }, human.join('\n'));
    return { exitCode: ExitCode.ok, data: {} };
  }
  if (!which('ssh') || !which('scp')) throw envError('ssh/scp not found', 'install the OpenSSH client (apt-get install openssh-client)');
  requireRsync();
  let up: VmUp | undefined;
  try {
    if (cfg.vm.vmx) up = await bringUpVm(cfg, (m) => out.info(m));
    const ssh = vmSshTarget(cfg, up?.host);
    if (up) await waitForSsh(ssh, cfg.vm.startTimeoutSeconds * 1000, ctx.signal, (lines) => unreachable(ssh, lines));
    return await runOnVm(req, ctx, { ssh, job, jobArgs, reqs, place, mirrorDirs, localRun, output });
  } finally {
    // A failure here must not hide the run's own outcome or error: it is one more line.
    if (up) await afterRun(cfg, up.vmrun, (m) => out.info(m)).catch((e: Error) => out.info(`fruits: ${e.message}`));
  }
}

interface VmRunParts {
  ssh: SshTarget;
  job: ReturnType<typeof locateJob>;
  jobArgs: string[];
  reqs: string;
  place: ReturnType<typeof placeInput>;
  mirrorDirs: string[];
  localRun: string;
  /** --output on the VM (its default filled in). */
  output: string;
}

async function runOnVm(req: RunRequest, ctx: RunContext, p: VmRunParts): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  const { ssh, job, reqs } = p;
  const tmp = mkdtempSync(join(tmpdir(), 'fruits-vm-'));
  try {
    const files = [join(tmp, 'run_job.py'), join(tmp, 'fruits_job.zip'), join(tmp, 'requirements.txt')];
    const plan = planVmRun(cfg, ssh, req.runId, p.jobArgs, req.conf, files, p.mirrorDirs);
    copyFileSync(job.runJob, files[0]!);
    await writeJobZip(cfg.jobDir, files[1]!);
    if (!existsSync(reqs)) throw usageError(`${reqs} not found`, 'run from a full checkout');
    copyFileSync(reqs, files[2]!);

    out.info(`fruits: copying the job to ${ssh.user}@${ssh.host}:${plan.codeDir}`);
    const prep = await capture(plan.prepare);
    if (prep.exitCode !== 0) throw unreachable(ssh, prep.stderr.split('\n'));
    const cp = await capture(plan.copy);
    if (cp.exitCode !== 0) throw envError(`copying the job to the VM failed (${lastLine(cp.stderr.split('\n'))})`, 'check free space and write access to vm.workDir');
    const transfers: TransferIo = { info: (m: string) => out.info(m), progress: progressLine(out), signal: ctx.signal, unreachable: (lines: string[]) => unreachable(ssh, lines) };
    if (p.place.kind === 'host') await pushInput(ssh, p.place.local, p.place.remote, transfers);

    if (ctx.signal.aborted) throw new InterruptedError('interrupted before the job started on the VM');
    out.info(`fruits: running ${req.runId} on the VM`);
    let summaryUri: string | undefined;
    const lines = jobOutputRouter(ctx, (line) => (summaryUri = parseSummaryLine(line) ?? summaryUri));
    const proc = startProcess(plan.run, {
      detached: true, // Ctrl-C reaches the runner only; it stops the remote group, then ssh ends by itself
      onStdoutLine: lines.onStdoutLine,
      onStderrLine: lines.onStderrLine,
    });
    let killing: Promise<void> | undefined;
    const onAbort = () => {
      lines.view.out.info('fruits: interrupted, stopping the remote job');
      killing = (async () => {
        const k = await capture(plan.kill, { timeoutMs: 60_000 });
        if (k.exitCode !== 0) out.info(`fruits: could not stop the remote job (${lastLine(k.stderr.split('\n'))}); run: ${shJoin(plan.kill)}`);
        // ssh ends once the remote group is gone; don't wait for ever.
        const t = setTimeout(() => proc.kill('SIGTERM'), 20_000);
        await proc.done;
        clearTimeout(t);
      })();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const r = await proc.done;
    ctx.signal.removeEventListener('abort', onAbort);
    lines.view.stop();
    if (killing) await killing;
    // Stopped before its marker line: the run folder is known once its progress lines came (sent after the claim).
    const summaryAt = summaryUri ?? (lines.view.last?.run_id === req.runId ? `${p.output.replace(/\/+$/, '')}/${req.runId}/summary.json` : undefined);
    if (ctx.signal.aborted) {
      const got = r.exitCode === SSH_FAILED ? {} : await fetchRun(cfg, ssh, p.localRun, summaryAt, transfers, ctx.clock);
      const tail = got.summary !== undefined ? `; summary: ${got.localSummary} (status ${summaryStatus(got.summary)}, from the VM: ${got.remotePath})` : '';
      throw new InterruptedError(`interrupted: the remote job was stopped (run ${req.runId} is incomplete)${tail}`);
    }
    if (r.spawnError) throw envError(`cannot start ssh (${r.spawnError})`, 'install the OpenSSH client', { cause: r.spawnCause });
    if (r.exitCode === SSH_FAILED) throw unreachable(ssh, r.stderrTail);
    if (r.exitCode === REMOTE_MISSING_SPARK) throw envError(`${cfg.vm.sparkSubmit} not found on the VM`, 'run bootstrap/vm-setup.sh there (fruits vm-setup) or set vm.sparkSubmit');

    // Old code/<run-id>/ folders would pile up on the VM: keep the newest vm.keepCodeRuns.
    const pruned = await capture(plan.prune, { timeoutMs: 60_000 });
    if (pruned.exitCode !== 0) out.info(`fruits: could not remove old code folders on the VM (${lastLine(pruned.stderr.split('\n'))})`);
    // Bring the run folder home on failure too: a failed run's error and traceback live in its summary.json.
    const { summary, localSummary, remotePath } = await fetchRun(cfg, ssh, p.localRun, summaryAt, transfers, ctx.clock);
    // An interrupted record wins over spark-submit's own code (the JVM exits 128+signal).
    const exitCode = summary !== undefined && (r.exitCode === 0 || summaryStatus(summary) === 'interrupted') ? summaryStatusExit(summary) : exitForJob(r.exitCode);
    const where = localSummary ? `\nsummary: ${localSummary} (from the VM: ${remotePath})` : '';
    const human = summary !== undefined && r.exitCode === 0
      ? `${describeSummary(summary)}${where}`
      : `job exited with code ${r.exitCode} on the VM (run ${req.runId}); see its output above${summary !== undefined ? `\n${describeSummary(summary)}` : ''}${where}`;
    const localRun = localSummary ? p.localRun : undefined;
    out.result({ target: 'vm', runId: req.runId, exitCode, jobExitCode: r.exitCode, summaryUri, localRun, localSummary, summary }, human);
    return { exitCode, data: { summary } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Side effect: copies the run folder (summary, metrics, report, features, models) from the VM
 * into vm.summaryDir/<run-id>/. Only when the job printed its marker or its progress lines (both
 * come after it claimed its run folder): a folder found otherwise could be an older run's (e.g.
 * the job refused an existing run folder), and must not be shown as this run's. spark-submit can
 * exit before the Python driver has recorded how the run ended, so summary.json is fetched until
 * its status is final (bounded) before the whole folder comes home.
 */
async function fetchRun(cfg: RunnerConfig, ssh: SshTarget, localRun: string, summaryUri: string | undefined, transfers: TransferIo, clock: Clock) {
  if (!summaryUri) return {};
  const remotePath = remoteSummaryPath(cfg.vm.workDir, summaryUri);
  mkdirSync(localRun, { recursive: true });
  const local = join(localRun, SUMMARY_FILE);
  let failure: string | undefined;
  const read = async () => {
    const got = await capture(scpFromArgv(ssh, remotePath, local));
    if (got.exitCode !== 0) {
      failure = `could not fetch ${remotePath} from the VM (${lastLine(got.stderr.split('\n'))})`;
      return undefined;
    }
    try {
      failure = undefined;
      return JSON.parse(readFileSync(local, 'utf8')) as unknown;
    } catch {
      failure = `${local} (from the VM: ${remotePath}) is not valid JSON: the job stopped while writing it`;
      return undefined;
    }
  };
  const settled = await awaitFinalSummary(read, `${remotePath} on the VM`, { clock, pollMs: 1_000 });
  if (settled.summary === undefined) transfers.info(`fruits: ${failure ?? settled.note}`);
  if (!(await pullRun(ssh, posix.dirname(remotePath), localRun, transfers))) {
    return settled.summary !== undefined ? { remotePath, localSummary: local, summary: settled.summary } : { remotePath };
  }
  if (!existsSync(local)) {
    transfers.info(`fruits: the run folder came back without summary.json (${remotePath})`);
    return { remotePath };
  }
  return settled.summary !== undefined ? { remotePath, localSummary: local, summary: settled.summary } : { remotePath, localSummary: local };
}

/** The vm target (targets/registry.ts). */
export const vmTarget: Target = {
  run: runVm,
  doctor: async (cfg, ctx) => (await import('../doctor/vm.js')).vmChecks(cfg, ctx),
};
