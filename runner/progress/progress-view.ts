// Shows the job's progress: a live bar with ETA on a terminal (cli-progress), a plain line
// every plainEveryMs (and on each stage change) when stderr is not a terminal, and one JSON
// event per update on stderr under --json (stdout keeps the single JSON result).
import cliProgress from 'cli-progress';
import type { Writable } from 'node:stream';
import type { Clock } from '../platform/clock.js';
import type { Output } from '../platform/output.js';
import { formatEta, formatProgressLine, type RunProgress } from './run-progress.js';

export interface ProgressView {
  /** Output to use while the view is active: on a terminal, log lines go above the bar. */
  readonly out: Output;
  update(p: RunProgress): void;
  /** Ends the bar (idempotent); later lines print normally. */
  stop(): void;
  /** The last progress shown, if any. */
  readonly last: RunProgress | undefined;
}

export interface ViewOptions {
  clock: Clock;
  /** Plain mode: at most one line per this many ms, besides stage/status changes. */
  plainEveryMs?: number;
}

// Fits 80 columns (cli-progress cuts the line at the terminal width rather than wrapping it).
const BAR_FORMAT = '{stage} [{bar}] {percentage}% {value}/{total} images, {rate}/s, {failed} failed, ETA {etaText}';

export function makeProgressView(out: Output, o: ViewOptions): ProgressView {
  let last: RunProgress | undefined;
  if (out.json) {
    return {
      out,
      get last() { return last; },
      update(p) {
        if (last && p.seq === last.seq && p.run_id === last.run_id) return;
        last = p;
        out.event({ event: 'progress', ...p });
      },
      stop() {},
    };
  }
  if (out.live && out.liveStream) return barView(out, out.liveStream);
  let lastLineAt = -Infinity;
  let lastKey = '';
  const every = o.plainEveryMs ?? 15_000;
  return {
    out,
    get last() { return last; },
    update(p) {
      const key = `${p.status}/${p.stage}`;
      const now = o.clock.now();
      const finished = p.images_done >= p.images_total && (last?.images_done ?? -1) < p.images_total;
      if (key !== lastKey || finished || now - lastLineAt >= every) {
        out.info(formatProgressLine(p));
        lastLineAt = now;
        lastKey = key;
      }
      last = p;
    },
    stop() {},
  };
}

function barView(base: Output, stream: Writable): ProgressView {
  let last: RunProgress | undefined;
  let multi: cliProgress.MultiBar | undefined;
  let bar: cliProgress.SingleBar | undefined;
  const log = (line: string) => (multi ? multi.log(line + '\n') : undefined);
  const wrapped: Output = {
    ...base,
    info: (m) => (multi ? log(m) : base.info(m)),
    status: (m) => (multi ? log(m) : base.status(m)),
    jobLine: (l) => (multi ? log(l) : base.jobLine(l)),
    result: (d, h) => {
      stop();
      base.result(d, h);
    },
    error: (m, c) => {
      stop();
      base.error(m, c);
    },
  };
  const payload = (p: RunProgress) => ({
    stage: p.status === 'running' ? p.stage.padEnd(9) : p.status.padEnd(9),
    rate: p.images_per_second === null ? '-' : p.images_per_second.toFixed(1),
    failed: p.images_failed,
    etaText: p.status === 'running' ? formatEta(p) : '00:00',
  });
  function stop() {
    if (!multi) return;
    multi.update(); // flush lines logged since the last redraw (forceRedraw: the bar is drawn again below them)
    multi.stop();
    multi = undefined;
    bar = undefined;
  }
  return {
    out: wrapped,
    get last() { return last; },
    update(p) {
      last = p;
      if (!multi) {
        multi = new cliProgress.MultiBar({ stream, format: BAR_FORMAT, hideCursor: false, clearOnComplete: false, barsize: 18, fps: 5, forceRedraw: true }, cliProgress.Presets.shades_classic);
        bar = multi.create(Math.max(1, p.images_total), p.images_done, payload(p));
      }
      bar!.setTotal(Math.max(1, p.images_total));
      bar!.update(p.images_done, payload(p));
    },
    stop,
  };
}
