import { awaitFinalSummary, isFinalSummary, SUMMARY_SETTLE_MS } from '../../../../runner/progress/final-summary.js';
import { fakeClock } from '../../../helpers/runner.js';

/** A reader that returns the given documents in turn (the last one for ever after). */
const sequence = (...docs: unknown[]) => {
  let i = 0;
  const read = async () => docs[Math.min(i++, docs.length - 1)];
  return Object.assign(read, { reads: () => i });
};

describe('awaitFinalSummary', () => {
  test('"running" right after the exit is read again until the driver has written the final status', async () => {
    const clock = fakeClock();
    const read = sequence(undefined, { status: 'running' }, { status: 'running' }, { status: 'interrupted', run_id: 'r1' });
    const got = await awaitFinalSummary(read, '/o/r1/summary.json', { clock, pollMs: 250 });
    expect(got).toEqual({ summary: { status: 'interrupted', run_id: 'r1' } });
    expect(read.reads()).toBe(4);
    expect(clock.sleeps).toEqual([250, 250, 250]);
  });

  test('a final status on the first read returns at once', async () => {
    const clock = fakeClock();
    const got = await awaitFinalSummary(sequence({ status: 'succeeded' }), 'x', { clock });
    expect(got.summary).toEqual({ status: 'succeeded' });
    expect(clock.sleeps).toEqual([]);
  });

  test('still "running" after the bound: no summary, one line that names the file and the wait (no invented status)', async () => {
    const clock = fakeClock();
    const got = await awaitFinalSummary(sequence({ status: 'running' }), '/o/r1/summary.json', { clock, boundMs: 2_000, pollMs: 300 });
    expect(got.summary).toBeUndefined();
    expect(got.note).toBe('/o/r1/summary.json still says "running" 2 s after the job\'s process exited: the driver stopped before recording how the run ended; treat the run as incomplete');
    expect(got.note).not.toMatch(/\n/);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(2_000); // the last sleep is cut to the bound
  });

  test('the default bound is SUMMARY_SETTLE_MS', async () => {
    const clock = fakeClock();
    const start = clock.now();
    const got = await awaitFinalSummary(sequence(undefined), 's.json', { clock });
    expect(clock.now() - start).toBe(SUMMARY_SETTLE_MS);
    expect(got.note).toMatch(/^s\.json is missing or not valid JSON 30 s after/);
  });

  test('once the writer is gone, one last read decides (no waiting for the bound)', async () => {
    const clock = fakeClock();
    let alive = 2;
    const read = sequence({ status: 'running' }, { status: 'running' }, { status: 'running' }, { status: 'interrupted' });
    const gone = await awaitFinalSummary(read, 's.json', { clock, pollMs: 100, writerAlive: () => alive-- > 0 });
    expect(gone.note).toMatch(/^s\.json still says "running" after the job's processes ended \(waited 0 s\)/);
    expect(read.reads()).toBe(3);
    // The writer's last act is seen: it is checked before the read.
    alive = 0;
    const last = await awaitFinalSummary(sequence({ status: 'failed' }), 's.json', { clock, writerAlive: () => alive > 0 });
    expect(last.summary).toEqual({ status: 'failed' });
  });

  test('isFinalSummary: only succeeded, failed and interrupted are final', () => {
    expect(['succeeded', 'failed', 'interrupted'].map((status) => isFinalSummary({ status }))).toEqual([true, true, true]);
    expect([{ status: 'running' }, {}, null, 'interrupted', undefined].map(isFinalSummary)).toEqual([false, false, false, false, false]);
  });
});
