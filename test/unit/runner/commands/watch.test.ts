// runner/commands/watch.ts: `fruits watch <local run folder>` following progress.json to the end.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { captureOutput, fakeClock } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, inProcessCli, mockedAws, progress } from '../../../helpers/in-process-cli.js';

mockedAws();
const { dir, env, cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

describe('fruits watch <local run folder>', () => {
  const folder = join(dir, 'runs', 'w1');
  mkdirSync(folder, { recursive: true });
  const write = (name: string, doc: unknown) => writeFileSync(join(folder, name), JSON.stringify(doc));

  test('follows progress.json until summary.json says how the run ended', async () => {
    write('progress.json', progress({ run_id: 'w1', seq: 1, images_done: 30 }));
    const out = captureOutput();
    const clock = fakeClock();
    const sleep = clock.sleep;
    let polls = 0;
    clock.sleep = async (ms, signal) => {
      if (++polls === 2) {
        write('progress.json', progress({ run_id: 'w1', seq: 7, images_done: 140, status: 'succeeded', stage: 'done', eta_s: 0 }));
        write('summary.json', { status: 'succeeded', run_id: 'w1', counts: { total_files: 140, featurized: 140, failed: 0 }, pca: { k: 50 } });
      }
      return sleep(ms, signal);
    };
    const code = await main(['watch', folder], { out, env, clock });
    expect(code).toBe(0);
    expect(out.infos.filter((l) => l.startsWith('progress:'))).toEqual([
      'progress: featurize 30/140 images (21%), 7.0 img/s, 1 failed, ETA 00:10',
      'progress: succeeded 140/140 images (100%), 7.0 img/s, 1 failed',
    ]);
    expect(out.results[0]!.human).toMatch(/^run w1 succeeded: 140\/140 images featurized/);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  test('a run whose progress stopped changing is reported as stalled (exit 1)', async () => {
    const stalled = join(dir, 'runs', 'w2');
    mkdirSync(stalled, { recursive: true });
    writeFileSync(join(stalled, 'progress.json'), JSON.stringify(progress({ run_id: 'w2', stage: 'pca_fit' })));
    writeFileSync(join(stalled, 'summary.json'), JSON.stringify({ status: 'running', run_id: 'w2' }));
    const r = await cli(['watch', stalled]);
    expect(r.code).toBe(1);
    expect(r.out.errors[0]).toMatch(/run w2: no progress update in .*progress.json for 10 min \(last: pca_fit/);
  });

  test('a folder that never gets a run is a usage error after the wait', async () => {
    const r = await cli(['watch', join(dir, 'runs', 'nothing-here')]);
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toMatch(/no progress.json or summary.json in .*nothing-here after 120 s; pass the run folder/);
  });
});
