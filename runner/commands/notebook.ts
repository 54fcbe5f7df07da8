// `fruits notebook`: the run-exploring notebook (notebooks/explore_run.ipynb) locally, and on the
// cluster's JupyterHub.
//   fruits notebook [--run DIR] [--port N]   JupyterLab from the project's venv on 127.0.0.1
//   fruits notebook push --run s3://…        the notebook (parameters filled in, PySpark kernel)
//                                            to JupyterHub's S3 persistence prefix, and the job
//                                            package zip it imports to the code prefix
//   fruits notebook password                 a new random JupyterHub password for jovyan, set
//                                            over SSH and printed once
import { boolFlag, intFlag, stringFlag, type CommandHandler } from './handler.js';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { joinS3, parseS3Uri, isS3Uri } from '../aws/s3-uri.js';
import { findPython } from '../platform/discover.js';
import { startProcess } from '../platform/process.js';
import { envError, ExitCode, usageError, type ExitCodeValue } from '../../config/errors.js';
import { fromAwsError, isNotFoundKey } from '../aws/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';

export const NOTEBOOK = join('notebooks', 'explore_run.ipynb');
/** JupyterHub's user on EMR (its admin); `fruits notebook password` replaces its shipped password. */
export const JUPYTERHUB_USER = 'jovyan';
/** sparkmagic's PySpark kernel as EMR's JupyterHub names it. */
export const PYSPARK_KERNEL = { name: 'pysparkkernel', display_name: 'PySpark', language: 'python' };
export const DEFAULT_NOTEBOOK_PORT = 8888;

interface Cell { cell_type: string; source: string | string[]; metadata?: { tags?: string[] } }
interface Notebook { cells: Cell[]; metadata: Record<string, unknown> }

const text = (s: string | string[]) => (Array.isArray(s) ? s.join('') : s);

/** Pure: the notebook with its parameters cell's RUN and JOB_PACKAGE set and the PySpark kernel. */
export function withParameters(notebookJson: string, params: { run: string; jobPackage: string }): string {
  const nb = JSON.parse(notebookJson) as Notebook;
  const cell = nb.cells.find((c) => c.cell_type === 'code' && c.metadata?.tags?.includes('parameters'));
  if (!cell) throw usageError(`${NOTEBOOK} has no cell tagged "parameters"`, 'restore it from git');
  let src = text(cell.source);
  for (const [name, value] of [['RUN', params.run], ['JOB_PACKAGE', params.jobPackage]] as const) {
    const line = new RegExp(`^${name} = .*$`, 'm');
    if (!line.test(src)) throw usageError(`the parameters cell of ${NOTEBOOK} has no ${name} line`, 'restore it from git');
    src = src.replace(line, `${name} = ${JSON.stringify(value)}`); // a JSON string is a Python string literal
  }
  cell.source = src;
  nb.metadata = { ...nb.metadata, kernelspec: PYSPARK_KERNEL };
  return JSON.stringify(nb, null, 1) + '\n';
}

/** Pure: where push puts things. The zip's key holds its content hash, so a pushed notebook
 *  keeps importing the code it was pushed with, and a second push of the same code is a no-op. */
export function pushPlan(o: { run: string; codeUri: string; notebooksUri: string; zipSha256: string }) {
  const runId = o.run.replace(/\/+$/, '').split('/').pop()!;
  return {
    runId,
    jobPackage: joinS3(o.codeUri, 'notebook', o.zipSha256.slice(0, 16), 'fruits_job.zip'),
    notebook: joinS3(o.notebooksUri, JUPYTERHUB_USER, `explore_${runId}.ipynb`),
    jupyterHubPath: `${JUPYTERHUB_USER}/explore_${runId}.ipynb`,
  };
}

/** Pure: `jupyter lab` bound to 127.0.0.1 only, from the checkout root, on a fixed port (no
 *  silent move to another port: the printed URL must be the one that answers). The token goes
 *  through the environment (JUPYTER_TOKEN), never the command line others can see in ps. */
export function jupyterArgv(python: string, root: string, port: number, asRoot = false): string[] {
  // Jupyter refuses to start as root (containers, CI) without --allow-root; bound to 127.0.0.1
  // behind a token, that is the same exposure as any other user's server.
  return [python, '-m', 'jupyter', 'lab', '--no-browser', '--ip=127.0.0.1', `--port=${port}`,
    '--ServerApp.port_retries=0', `--ServerApp.root_dir=${root}`, ...(asRoot ? ['--allow-root'] : [])];
}

export const notebookUrl = (port: number, token: string) =>
  `http://127.0.0.1:${port}/lab/tree/notebooks/explore_run.ipynb?token=${token}`;

/** Pure: the remote command and its stdin that set jovyan's password inside EMR's jupyterhub
 *  container. The password travels on stdin only: never in an argv, a step or a log. */
export function passwordCommand(password: string): { remote: string; stdin: string } {
  return { remote: 'sudo docker exec -i jupyterhub chpasswd', stdin: `${JUPYTERHUB_USER}:${password}\n` };
}

export const newPassword = (): string => randomBytes(18).toString('base64url'); // 24 characters, 144 bits

export interface NotebookOptions { run?: string; port?: number; replace: boolean; dryRun: boolean; signal: AbortSignal }

export async function notebookCommand(rest: string[], cfg: RunnerConfig, out: Output, root: string, o: NotebookOptions): Promise<ExitCodeValue> {
  const [sub = 'start', extra] = rest;
  if (extra !== undefined) throw usageError(`unexpected argument "${extra}"`, 'fruits notebook [start|push|password] (see fruits notebook --help)');
  if (sub === 'start') return startLocal(cfg, out, root, o);
  if (sub === 'push') return push(cfg, out, root, o);
  if (sub === 'password') return setPassword(cfg, out, o);
  throw usageError(`unknown notebook action "${sub}"`, 'use start (default), push or password');
}

async function startLocal(cfg: RunnerConfig, out: Output, root: string, o: NotebookOptions): Promise<ExitCodeValue> {
  if (!existsSync(join(root, NOTEBOOK))) throw usageError(`${NOTEBOOK} not found under ${root}`, 'run fruits from the checkout');
  const python = findPython(cfg.local.python, root);
  const port = o.port ?? DEFAULT_NOTEBOOK_PORT;
  const argv = jupyterArgv(python, root, port, process.getuid?.() === 0);
  const token = randomBytes(24).toString('hex');
  const url = notebookUrl(port, token);
  if (o.dryRun) {
    out.result({ argv, url: notebookUrl(port, '<token>'), run: o.run ?? null }, `${argv.join(' ')}\n${notebookUrl(port, '<token>')}`);
    return ExitCode.ok;
  }
  const env = { JUPYTER_TOKEN: token, ...(o.run ? { FRUITS_RUN: o.run } : {}), PYSPARK_PYTHON: python };
  let shown = false;
  const proc = startProcess(argv, {
    env,
    cwd: root,
    onStderrLine: (line) => {
      // Jupyter logs its own URLs with the token; the runner prints the one to open, once, when it answers.
      if (!shown && /is running at:|http:\/\/127\.0\.0\.1:\d+\//.test(line)) {
        shown = true;
        out.result({ url, port, run: o.run ?? null }, `fruits: the notebook (Ctrl-C stops Jupyter):\n${url}`);
      } else if (/^\[[EC] |Errno|in use/.test(line)) out.info(line); // Jupyter's errors and criticals only
    },
  });
  const stop = () => proc.kill('SIGTERM');
  o.signal.addEventListener('abort', stop, { once: true });
  const r = await proc.done;
  if (o.signal.aborted) return ExitCode.interrupted;
  if (r.spawnError) throw envError(`cannot start ${python}`, 'run bash scripts/setup.sh (it installs requirements-notebook.txt into .venv)', { cause: r.spawnCause });
  if (r.exitCode !== 0) {
    const last = r.stderrTail.filter(Boolean).pop() ?? `exit ${r.exitCode}`;
    if (/No module named jupyter|jupyter.*not found|Jupyter command .* not found/i.test(r.stderrTail.join('\n'))) {
      throw envError(`JupyterLab is not installed in ${python}`, 'run bash scripts/setup.sh (it installs requirements-notebook.txt)');
    }
    throw envError(`Jupyter stopped: ${last}`, /in use|Errno 98/.test(last) ? `pass --port N (port ${port} is taken)` : 'see the lines above');
  }
  return ExitCode.ok;
}

async function push(cfg: RunnerConfig, out: Output, root: string, o: NotebookOptions): Promise<ExitCodeValue> {
  if (!o.run) throw usageError('missing --run', 'fruits notebook push --run s3://<data-bucket>/results/<run-id> (the cluster reads runs on S3)');
  if (!isS3Uri(o.run)) throw usageError(`--run ${o.run} is not an s3:// run folder`, 'the cluster cannot read this machine\'s files: give s3://<data-bucket>/results/<run-id>');
  const { readStackOutputs, regionOf, DEPLOY_HINT } = await import('../aws/stack-outputs.js');
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  if (!outputs.codeUri || !outputs.notebooksUri) throw usageError('the stack outputs have no code_uri / notebooks_uri', DEPLOY_HINT);
  const region = regionOf(cfg, outputs);
  if (!region) throw usageError('no AWS region', `pass --region, set AWS_REGION, or ${DEPLOY_HINT}`);
  const run = o.run.replace(/\/+$/, '');

  const tmp = mkdtempSync(join(tmpdir(), 'fruits-notebook-'));
  try {
    const { writeJobZip } = await import('../packaging/package-job.js');
    const zipPath = join(tmp, 'fruits_job.zip');
    await writeJobZip(cfg.jobDir, zipPath);
    const zip = readFileSync(zipPath);
    const plan = pushPlan({ run, codeUri: outputs.codeUri, notebooksUri: outputs.notebooksUri, zipSha256: createHash('sha256').update(zip).digest('hex') });
    const notebook = withParameters(readFileSync(join(root, NOTEBOOK), 'utf8'), { run, jobPackage: plan.jobPackage });
    const info = { ...plan, run, jupyterHubUser: JUPYTERHUB_USER };
    if (o.dryRun) {
      out.result(info, `would upload ${plan.jobPackage}\nwould upload ${plan.notebook} (RUN = ${run})`);
      return ExitCode.ok;
    }
    const { makeAwsClients } = await import('../aws/clients.js');
    const { s3 } = makeAwsClients({ region, endpoint: cfg.emr.endpoint });
    try {
      if (!(await objectExists(s3, joinS3(run, 'summary.json')))) {
        throw usageError(`${run} has no summary.json`, 'give a run folder written by the job: s3://<data-bucket>/results/<run-id>');
      }
      if (!o.replace && (await objectExists(s3, plan.notebook))) {
        throw usageError(`${plan.notebook} exists (it may hold edits made on JupyterHub)`, 'download it first, then pass --replace to replace it');
      }
      if (!(await objectExists(s3, plan.jobPackage))) await put(s3, plan.jobPackage, zip, 'application/zip');
      await put(s3, plan.notebook, Buffer.from(notebook), 'application/x-ipynb+json');
    } finally {
      s3.destroy();
    }
    out.result(info, [
      `uploaded ${plan.notebook}`,
      `job package ${plan.jobPackage}`,
      `open it on JupyterHub as ${plan.jupyterHubPath} (PySpark kernel): fruits tunnel, then the JupyterHub URL it prints, user ${JUPYTERHUB_USER}, password from fruits notebook password`,
    ].join('\n'));
    return ExitCode.ok;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function objectExists(s3: S3Client, uri: string): Promise<boolean> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (e) {
    if (isNotFoundKey(e)) return false;
    throw fromAwsError(e, `checking ${uri}`);
  }
}

async function put(s3: S3Client, uri: string, body: Buffer, contentType: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  } catch (e) {
    throw fromAwsError(e, `uploading ${uri}`);
  }
}

async function setPassword(cfg: RunnerConfig, out: Output, o: NotebookOptions): Promise<ExitCodeValue> {
  const { masterDnsFor, tunnelKey } = await import('./tunnel.js');
  const masterDns = await masterDnsFor(cfg);
  const password = newPassword();
  const cmd = passwordCommand(password);
  const argv = ['ssh', '-i', tunnelKey(cfg), '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=20',
    `${cfg.tunnel.user}@${masterDns}`, cmd.remote];
  if (o.dryRun) {
    out.result({ argv, stdin: `${JUPYTERHUB_USER}:<new password>` }, `${argv.join(' ')}  (stdin: ${JUPYTERHUB_USER}:<new password>)`);
    return ExitCode.ok;
  }
  const { execa } = await import('execa');
  const r = await execa(argv[0]!, argv.slice(1), { input: cmd.stdin, reject: false, cancelSignal: o.signal });
  if (o.signal.aborted) return ExitCode.interrupted;
  if (r.exitCode !== 0) {
    const last = String(r.stderr ?? '').split('\n').filter(Boolean).pop() ?? `ssh exit ${r.exitCode}`;
    throw envError(`could not set the JupyterHub password on ${masterDns} (${last})`, 'check the key and that the cluster runs with jupyterHub: true');
  }
  out.result({ user: JUPYTERHUB_USER, password, masterDns },
    `JupyterHub user ${JUPYTERHUB_USER}, password (shown once, stored nowhere): ${password}`);
  return ExitCode.ok;
}

/** `fruits notebook [start|push|password]` (command table handler). */
export const handle: CommandHandler = (c) =>
  notebookCommand(c.args, c.cfg, c.out, c.root, {
    run: stringFlag(c, 'run'), port: intFlag(c, 'notebook-port', 1, 65535), replace: boolFlag(c, 'replace'), dryRun: c.dryRun, signal: c.signal,
  });
