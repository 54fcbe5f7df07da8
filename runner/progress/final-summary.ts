// Reading summary.json once the job's process has exited. A signal to spark-submit's process
// group ends Spark's JVM (the process we wait on) about a second after it arrives, while the
// Python driver, the JVM's child, may still be writing the interrupted record. So "running"
// (or no file yet) right after the exit means "not written yet": read again until the status is
// final, within a bound, and never invent a status when the bound passes.
import type { Clock } from '../platform/clock.js';

export const FINAL_STATUSES: readonly string[] = ['succeeded', 'failed', 'interrupted'];
/** How long a reader waits for a final status after the job process exited. */
export const SUMMARY_SETTLE_MS = 30_000;
export const SUMMARY_POLL_MS = 250;

/** Reads summary.json: the parsed document, or undefined when missing or not JSON (yet). */
export type SummaryReader = () => Promise<unknown>;

export interface SettledSummary {
  /** The summary with its final status; undefined when none was read in time. */
  summary?: unknown;
  /** When the summary is not final: one line that names the file, what it says and the wait. */
  note?: string;
}

export const summaryStatus = (s: unknown): string | undefined => {
  const status = s !== null && typeof s === 'object' ? (s as { status?: unknown }).status : undefined;
  return typeof status === 'string' ? status : undefined;
};

export const isFinalSummary = (s: unknown): boolean => FINAL_STATUSES.includes(summaryStatus(s) ?? '');

export interface SettleOptions {
  clock: Clock;
  boundMs?: number;
  pollMs?: number;
  /** False once nothing can write the summary any more (the job's process group is gone): one last read, then stop. */
  writerAlive?: () => boolean;
}

/** Polls `read` until the summary has a final status, at most `boundMs` (side effects: only reads). */
export async function awaitFinalSummary(read: SummaryReader, where: string, o: SettleOptions): Promise<SettledSummary> {
  const bound = o.boundMs ?? SUMMARY_SETTLE_MS;
  const start = o.clock.now();
  for (;;) {
    const writerGone = o.writerAlive !== undefined && !o.writerAlive(); // checked before the read: a last write is seen
    const s = await read();
    if (isFinalSummary(s)) return { summary: s };
    const waited = o.clock.now() - start;
    if (writerGone || waited >= bound) {
      const seconds = Math.round(waited / 1000);
      const after = writerGone ? `after the job's processes ended (waited ${seconds} s)` : `${seconds} s after the job's process exited`;
      const says = s === undefined ? 'is missing or not valid JSON' : `still says "${summaryStatus(s) ?? 'no status'}"`;
      return { note: `${where} ${says} ${after}: the driver stopped before recording how the run ended; treat the run as incomplete` };
    }
    await o.clock.sleep(Math.min(o.pollMs ?? SUMMARY_POLL_MS, bound - waited));
  }
}
