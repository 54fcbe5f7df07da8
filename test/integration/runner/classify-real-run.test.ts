// `fruits classify` after one real `fruits run local` on a few sample photos (real Spark).
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, mktemp, sampleImages } from '../../helpers/runner.js';

const fruits = (args: string[], cwd: string, timeout = 120_000) =>
  execa(process.execPath, [LAUNCHER, ...args], { cwd, reject: false, timeout });

describe('fruits classify after a real local run', () => {
  test('a Test photo is classified with the run\'s models by the .venv python', async () => {
    const cwd = mktemp('fruits-classify-real-');
    const input = join(cwd, 'in');
    for (const split of ['Training', 'Test']) sampleImages(input, 2, ['apple', 'lemon'], split);
    const run = await fruits(['run', 'local', '--input', input, '--output', join(cwd, 'runs'), '--run-id', 'c1', '--k', '2', '--weights', 'test-only-random:3'], cwd, 400_000);
    expect({ code: run.exitCode, err: run.exitCode === 0 ? '' : run.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
    const photo = join(input, 'Test', 'lemon', readdirSync(join(input, 'Test', 'lemon'))[0]!);
    const r = await fruits(['classify', photo, '--run', join(cwd, 'runs', 'c1'), '--json'], cwd);
    expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr }).toEqual({ code: 0, err: '' });
    const result = JSON.parse(r.stdout);
    expect(['apple', 'lemon']).toContain(result.label);
    expect(Object.keys(result.probabilities).sort()).toEqual(['apple', 'lemon']);
    expect(result.probability).toBeCloseTo(Math.max(...(Object.values(result.probabilities) as number[])), 10);
    expect(result.test_only_weights).toBe(true);
  }, 500_000);
});
