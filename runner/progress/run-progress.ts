// The job's progress document (<run>/progress.json, or a `FRUITS_PROGRESS {json}` line of
// driver output): parsing and one-line formatting. Pure; the job side is jobs/fruits_job/progress.py.
import { formatElapsed } from '../platform/clock.js';
import { defaultJobContract } from '../../config/job-contract.js';

// File name, marker and switch are the job's (contract.json run_folder and markers).
const contract = defaultJobContract();
export const PROGRESS_FILE = contract.run_folder.files.progress!.path;
export const PROGRESS_MARKER = contract.markers.progress;
/** Set in the job's environment by runners that stream driver output (local, vm). */
export const PROGRESS_LINES_ENV = contract.markers.progress_lines_env;

export interface RunProgress {
  run_id: string;
  status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  stage: string;
  images_total: number;
  images_done: number;
  images_failed: number;
  images_per_second: number | null;
  eta_s: number | null;
  elapsed_s: number;
  updated_at: string;
  seq: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown) => v === null || isNum(v);

/** A progress document, or undefined when the value is not one (foreign or half-written). */
export function asProgress(v: unknown): RunProgress | undefined {
  const p = v as Partial<RunProgress> | null;
  if (!p || typeof p !== 'object') return undefined;
  if (typeof p.stage !== 'string' || !['running', 'succeeded', 'failed', 'interrupted'].includes(String(p.status))) return undefined;
  if (!isNum(p.images_total) || !isNum(p.images_done) || !isNum(p.images_failed) || !isNum(p.seq)) return undefined;
  if (!numOrNull(p.images_per_second) || !numOrNull(p.eta_s)) return undefined;
  return p as RunProgress;
}

export function parseProgressText(text: string): RunProgress | undefined {
  try {
    return asProgress(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/** `FRUITS_PROGRESS {json}` -> the document; undefined for any other line. */
export function parseProgressLine(line: string): RunProgress | undefined {
  const m = new RegExp(`^\\s*${PROGRESS_MARKER}\\s+(\\{.*\\})\\s*$`).exec(line);
  return m ? parseProgressText(m[1]!) : undefined;
}

export const percentOf = (p: RunProgress) => (p.images_total > 0 ? Math.floor((100 * p.images_done) / p.images_total) : 0);

export const formatEta = (p: RunProgress) => (p.eta_s === null ? '--:--' : formatElapsed(p.eta_s * 1000));

/** One plain line, e.g. `progress: featurize 80/140 images (57%), 12.3 img/s, 1 failed, ETA 00:05`. */
export function formatProgressLine(p: RunProgress): string {
  const rate = p.images_per_second === null ? '' : `, ${p.images_per_second.toFixed(1)} img/s`;
  const state = p.status === 'running' ? p.stage : `${p.status}${p.status === 'failed' || p.status === 'interrupted' ? ` in ${p.stage}` : ''}`;
  const eta = p.status === 'running' && p.images_done < p.images_total ? `, ETA ${formatEta(p)}` : '';
  return `progress: ${state} ${p.images_done}/${p.images_total} images (${percentOf(p)}%)${rate}, ${p.images_failed} failed${eta}`;
}
