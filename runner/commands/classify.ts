// `fruits classify <photo> --run <dir>`: predicts the fruit in one photo with a finished run's
// saved models, by calling the job's jobs/classify.py with the project's python (same discovery
// as the local target). Needs no Spark and no Java.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findPython } from '../platform/discover.js';
import { capture } from '../platform/process.js';
import { envError, ExitCode, FruitsError, jobError, oneLine, usageError, type ExitCodeValue } from '../../config/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { stringFlag, type CommandHandler } from './handler.js';
import { jobFlag, loadJobContract } from '../../config/job-contract.js';

export interface ClassifyRequest {
  photo?: string;
  run?: string;
  /** The job's decompression-bomb guard (default: the limit the run was made with). */
  maxImagePixels?: number;
  dryRun: boolean;
}

export interface ClassifyResult {
  photo: string;
  run: string;
  label: string;
  probability: number;
  probabilities: Record<string, number>;
  weights?: string;
  test_only_weights?: boolean;
}

/** Pure: the command line (the runner always asks for JSON and formats the result itself). */
export function buildClassifyArgv(python: string, jobDir: string, photo: string, run: string, maxImagePixels?: number): string[] {
  const pixels = maxImagePixels === undefined ? [] : ['--max-image-pixels', String(maxImagePixels)];
  return [python, join(jobDir, 'classify.py'), photo, '--run', run, ...pixels, '--json'];
}

/** Pure: one human line, e.g. "apple 0.9731". */
export const formatClassification = (r: ClassifyResult): string => `${r.label} ${r.probability.toFixed(4)}`;

/** Pure: the runner's exit code and message for a failed classify.py (exit 2: bad photo/run). */
export function classifyFailure(exitCode: number | undefined, stderr: string): FruitsError {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const errorLine = [...lines].reverse().find((l) => l.startsWith('classify: error: '));
  if (exitCode === 2 && errorLine) return usageError(errorLine.slice('classify: error: '.length));
  const last = errorLine ?? lines[lines.length - 1] ?? 'no output';
  return jobError(`classify failed (exit ${exitCode ?? 'signal'}): ${oneLine(last).slice(0, 300)}`);
}

export async function runClassify(req: ClassifyRequest, cfg: RunnerConfig, out: Output, root: string): Promise<ExitCodeValue> {
  if (!req.photo) throw usageError('missing photo', 'fruits classify <photo> --run <run folder>');
  if (!req.run) throw usageError('missing --run', 'pass the run folder (<output>/<run-id>) whose models classify the photo');
  const script = join(cfg.jobDir, 'classify.py');
  if (!existsSync(script)) throw usageError(`${script} not found`, 'set jobDir / FRUITS_JOB_DIR to the folder holding classify.py');
  const python = findPython(cfg.local.python, root);
  const argv = buildClassifyArgv(python, cfg.jobDir, req.photo, req.run, req.maxImagePixels);
  if (req.dryRun) {
    out.result({ argv }, argv.join(' '));
    return ExitCode.ok;
  }
  const r = await capture(argv, { timeoutMs: 600_000 });
  if (r.notFound) throw envError(`cannot start ${python}`, 'fix local.python / FRUITS_PYTHON or run scripts/setup.sh', { cause: r.raw });
  for (const line of r.stderr.split('\n')) {
    if (line.startsWith('classify: warning: ')) out.info(line);
  }
  if (r.exitCode !== 0) throw classifyFailure(r.exitCode, r.stderr);
  let result: ClassifyResult;
  try {
    result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ClassifyResult;
  } catch {
    throw jobError(`classify printed no JSON result (got "${oneLine(r.stdout).slice(0, 200)}")`);
  }
  out.result(result, formatClassification(result));
  return ExitCode.ok;
}

/** `fruits classify <photo> --run <run folder>` (command table handler). */
export const handle: CommandHandler = async (c) => {
  if (c.args.length > 1) throw usageError(`one photo at a time: unexpected argument "${c.args[1]}"`);
  const pixels = stringFlag(c, 'max-image-pixels');
  const maxImagePixels = pixels === undefined ? undefined : jobFlag(loadJobContract(c.cfg.jobDir), 'max-image-pixels', pixels);
  return runClassify({ photo: c.args[0], run: stringFlag(c, 'run'), maxImagePixels, dryRun: c.dryRun }, c.cfg, c.out, c.root);
};
