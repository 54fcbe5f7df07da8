// vm target: the Ubuntu VM (VMware Workstation) over SSH. Copies the job, runs
// spark-submit there with output streamed back, fetches summary.json, and on
// Ctrl-C kills the remote process group through a second ssh.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { buildSparkSubmitArgv, parseSummaryLine } from '../argv/spark-submit.js';
import {
  REMOTE_MISSING_SPARK, remoteKillCommand, remotePruneCommand, remoteRunCommand, scpFromArgv, scpToArgv, shJoin, shQuote, sshArgv, type SshTarget,
} from '../argv/ssh.js';
import { capture, startProcess } from '../platform/process.js';
import { which } from '../platform/discover.js';
import { envError, ExitCode, InterruptedError, usageError } from '../../config/errors.js';
import { locateJob, writeJobZip } from '../packaging/package-job.js';
import type { RunnerConfig } from '../../config/index.js';
import { SUMMARY_FILE } from '../progress/progress-source.js';
import { PROGRESS_LINES_ENV } from '../progress/run-progress.js';
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
export function planVmRun(cfg: RunnerConfig, ssh: SshTarget, runId: string, jobArgs: string[], conf: Record<string, string>, localFiles: string[]): VmPlan {
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
    prepare: sshArgv(ssh, `mkdir -p ${shQuote(remoteCode)}`),
    prune: sshArgv(ssh, remotePruneCommand(posix.join(cfg.vm.workDir, 'code'), cfg.vm.keepCodeRuns)),
    copy: scpToArgv(ssh, localFiles, remoteCode),
    run: sshArgv(ssh, remoteRunCommand({ workDir: cfg.vm.workDir, pidFile, env: { PYSPARK_PYTHON: cfg.vm.python, PYSPARK_DRIVER_PYTHON: cfg.vm.python, [PROGRESS_LINES_ENV]: '1' }, argv })),
    kill: sshArgv(ssh, `cd ${shQuote(cfg.vm.workDir)} && ${remoteKillCommand(pidFile)}`),
  };
}

export async function runVm(req: RunRequest, ctx: RunContext): Promise<RunOutcome> {
  const { cfg, out } = ctx;
  if (!req.input) throw usageError('missing --input', 'pass the image folder on the VM');
  if (!req.output) throw usageError('missing --output', 'pass the output folder on the VM');
  const ssh = vmSshTarget(cfg);
  const job = locateJob(cfg.jobDir);
  const jobArgs = jobArgvFor(req, cfg, req.input, req.output);
  const reqs = join(ctx.root, 'requirements.txt');
  if (req.dryRun) {
    // Nothing is staged on a dry run: show the files the run would copy, from where they are now.
    const sources = { 'run_job.py': job.runJob, 'fruits_job.zip': `zipped at run time from ${join(cfg.jobDir, 'fruits_job')}`, 'requirements.txt': reqs };
    const plan = planVmRun(cfg, ssh, req.runId, jobArgs, req.conf, []);
    const copy = `# copy: ${Object.entries(sources).map(([k, v]) => `${k} (${v})`).join(', ')} -> ${ssh.user}@${ssh.host}:${plan.codeDir}/`;
    out.result({ target: 'vm', runId: req.runId, prepare: plan.prepare, copyFiles: sources, copyTo: plan.codeDir, run: plan.run, kill: plan.kill, prune: plan.prune },
      [shJoin(plan.prepare), copy, shJoin(plan.run), `# then keep the newest ${cfg.vm.keepCodeRuns} code folders: ${shJoin(plan.prune)}`].join('\n'));
    return { exitCode: ExitCode.ok, data: {} };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'fruits-vm-'));
  try {
    const files = [join(tmp, 'run_job.py'), join(tmp, 'fruits_job.zip'), join(tmp, 'requirements.txt')];
    const plan = planVmRun(cfg, ssh, req.runId, jobArgs, req.conf, files);
    if (!which('ssh') || !which('scp')) throw envError('ssh/scp not found', 'install the OpenSSH client (apt-get install openssh-client)');
    copyFileSync(job.runJob, files[0]!);
    await writeJobZip(cfg.jobDir, files[1]!);
    if (!existsSync(reqs)) throw usageError(`${reqs} not found`, 'run from a full checkout');
    copyFileSync(reqs, files[2]!);

    out.info(`fruits: copying the job to ${ssh.user}@${ssh.host}:${plan.codeDir}`);
    const prep = await capture(plan.prepare);
    if (prep.exitCode !== 0) throw unreachable(ssh, prep.stderr.split('\n'));
    const cp = await capture(plan.copy);
    if (cp.exitCode !== 0) throw envError(`copying the job to the VM failed (${lastLine(cp.stderr.split('\n'))})`, 'check free space and write access to vm.workDir');

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
    if (ctx.signal.aborted) throw new InterruptedError(`interrupted: the remote job was stopped (run ${req.runId} is incomplete)`);
    if (r.spawnError) throw envError(`cannot start ssh (${r.spawnError})`, 'install the OpenSSH client', { cause: r.spawnCause });
    if (r.exitCode === SSH_FAILED) throw unreachable(ssh, r.stderrTail);
    if (r.exitCode === REMOTE_MISSING_SPARK) throw envError(`${cfg.vm.sparkSubmit} not found on the VM`, 'run bootstrap/vm-setup.sh there (fruits vm-setup) or set vm.sparkSubmit');

    // Old code/<run-id>/ folders would pile up on the VM: keep the newest vm.keepCodeRuns.
    const pruned = await capture(plan.prune, { timeoutMs: 60_000 });
    if (pruned.exitCode !== 0) out.info(`fruits: could not remove old code folders on the VM (${lastLine(pruned.stderr.split('\n'))})`);
    // Fetch summary.json on failure too: a failed run's error and traceback live there.
    const { summary, localSummary, remotePath } = await fetchSummary(cfg, ssh, req.runId, summaryUri, (m) => out.info(m));
    const exitCode = r.exitCode === 0 && summary !== undefined ? summaryStatusExit(summary) : exitForJob(r.exitCode);
    const where = localSummary ? `\nsummary: ${localSummary} (from the VM: ${remotePath})` : '';
    const human = summary !== undefined && r.exitCode === 0
      ? `${describeSummary(summary)}${where}`
      : `job exited with code ${r.exitCode} on the VM (run ${req.runId}); see its output above${summary !== undefined ? `\n${describeSummary(summary)}` : ''}${where}`;
    out.result({ target: 'vm', runId: req.runId, exitCode, jobExitCode: r.exitCode, summaryUri, localSummary, summary }, human);
    return { exitCode, data: { summary } };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Side effect: copies summary.json from the VM into vm.summaryDir/<run-id>/. Only when the
 * job printed its marker: a summary.json found without it could be an older run's (e.g. the
 * job refused an existing run folder), and must not be shown as this run's.
 */
async function fetchSummary(cfg: RunnerConfig, ssh: SshTarget, runId: string, summaryUri: string | undefined, info: (m: string) => void) {
  if (!summaryUri) return {};
  const remotePath = remoteSummaryPath(cfg.vm.workDir, summaryUri);
  const dir = join(cfg.vm.summaryDir, runId);
  mkdirSync(dir, { recursive: true });
  const local = join(dir, SUMMARY_FILE);
  const got = await capture(scpFromArgv(ssh, remotePath, local));
  if (got.exitCode !== 0) {
    info(`fruits: could not fetch ${remotePath} from the VM (${lastLine(got.stderr.split('\n'))})`);
    return { remotePath };
  }
  try {
    return { remotePath, localSummary: local, summary: JSON.parse(readFileSync(local, 'utf8')) as unknown };
  } catch {
    info(`fruits: ${local} (from the VM: ${remotePath}) is not valid JSON: the job stopped while writing it`);
    return { remotePath, localSummary: local };
  }
}

/** The vm target (targets/registry.ts). */
export const vmTarget: Target = { run: runVm };
