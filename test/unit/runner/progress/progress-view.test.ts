// runner/progress/: the progress views (bar, plain lines, JSON events) over the job's progress.json.
import { Writable } from 'node:stream';
import { makeOutput } from '../../../../runner/platform/output.js';
import { makeProgressView } from '../../../../runner/progress/progress-view.js';
import { formatProgressLine, parseProgressLine } from '../../../../runner/progress/run-progress.js';
import { captureOutput, fakeClock } from '../../../helpers/runner.js';
import { mockedAws, progress } from '../../../helpers/in-process-cli.js';

mockedAws();

describe('progress views', () => {
  test('FRUITS_PROGRESS lines parse; anything else does not', () => {
    const p = progress();
    expect(parseProgressLine(`FRUITS_PROGRESS ${JSON.stringify(p)}`)).toEqual(p);
    expect(parseProgressLine('FRUITS_PROGRESS {"status":"running"}')).toBeUndefined();
    expect(parseProgressLine('12:00 fruits-job INFO featurize ...')).toBeUndefined();
    expect(formatProgressLine(p)).toBe('progress: featurize 70/140 images (50%), 7.0 img/s, 1 failed, ETA 00:10');
  });

  test('an interrupted run (job summary and progress status "interrupted") parses and says where it stopped', () => {
    const p = progress({ status: 'interrupted', stage: 'train' });
    expect(parseProgressLine(`FRUITS_PROGRESS ${JSON.stringify(p)}`)).toEqual(p);
    expect(formatProgressLine(p)).toMatch(/^progress: interrupted in train 70\/140 images/);
  });

  test('--json: one event per new snapshot (dedup by seq), on stderr, stdout untouched', () => {
    const chunks = { out: '', err: '' };
    const sink = (k: 'out' | 'err') => new Writable({ write(c, _e, cb) { chunks[k] += String(c); cb(); } });
    const out = makeOutput(true, sink('out'), sink('err'));
    const view = makeProgressView(out, { clock: fakeClock() });
    view.update(progress({ seq: 1 }));
    view.update(progress({ seq: 1 }));
    view.update(progress({ seq: 2, images_done: 140, status: 'succeeded', stage: 'done' }));
    const events = chunks.err.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.event, e.seq, e.images_done])).toEqual([['progress', 1, 70], ['progress', 2, 140]]);
    expect(chunks.out).toBe('');
  });

  test('plain (not a terminal): a line per stage change, at 100 %, and every 15 s, not per update', () => {
    const out = captureOutput();
    const clock = fakeClock();
    const view = makeProgressView(out, { clock });
    view.update(progress({ images_done: 10 }));
    clock.t += 5_000;
    view.update(progress({ images_done: 20 }));
    clock.t += 15_000;
    view.update(progress({ images_done: 60 }));
    view.update(progress({ images_done: 140, eta_s: 0 }));
    view.update(progress({ images_done: 140, stage: 'pca_fit' }));
    expect(out.infos).toEqual([
      expect.stringMatching(/^progress: featurize 10\/140/),
      expect.stringMatching(/^progress: featurize 60\/140/),
      expect.stringMatching(/^progress: featurize 140\/140 images \(100%\)/),
      expect.stringMatching(/^progress: pca_fit 140\/140/),
    ]);
  });

  test('terminal: a cli-progress bar that reaches 100 %, with job lines printed above it', async () => {
    let text = '';
    const tty = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: true, columns: 120 });
    const out = makeOutput(false, new Writable({ write(_c, _e, cb) { cb(); } }), tty);
    expect(out.live).toBe(true);
    const view = makeProgressView(out, { clock: fakeClock() });
    view.update(progress({ images_done: 35 }));
    view.out.jobLine('a job line');
    view.update(progress({ images_done: 140, eta_s: 0 }));
    await new Promise((r) => setTimeout(r, 300));
    view.stop();
    expect(text).toMatch(/featurize .*\] 100% 140\/140 images, 7\.0\/s, 1 failed/);
    expect(text).toContain('a job line\n');
    expect(text.slice(text.lastIndexOf('a job line'))).toMatch(/100% 140\/140 images/); // the bar is drawn again below logged lines
  });
});
