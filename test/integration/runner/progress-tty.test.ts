// The live progress bar in a real pseudo-terminal (util-linux `script`): a local Spark run over
// the shared Fruits-360 sample, through the real launcher, must draw a bar that reaches 100 %.
import { execa } from 'execa';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, SAMPLE, mktemp } from '../../helpers/runner.js';
import { shJoin } from '../../../runner/argv/ssh.js';

const countImages = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countImages(join(dir, e.name)) : /\.(jpe?g|png)$/i.test(e.name) ? 1 : 0), 0);

const hasScript = existsSync('/usr/bin/script');

(hasScript && existsSync(SAMPLE) ? test : test.skip)('fruits run local on a terminal: a live bar reaching 100 % over the shared sample', async () => {
  const out = mktemp('fruits-tty-');
  const total = countImages(SAMPLE);
  const cmd = shJoin([process.execPath, LAUNCHER, 'run', 'local', '--input', SAMPLE, '--output', out, '--run-id', 'tty', '--weights', 'test-only-random:42', '--', '--no-train']);
  const typescript = join(out, 'typescript.txt');
  // script gives the runner a pty for stdout/stderr; COLUMNS keeps the bar on one line.
  const r = await execa('script', ['-q', '-e', '-c', cmd, typescript], {
    cwd: out, reject: false, timeout: 600_000, stdin: 'ignore', env: { COLUMNS: '160', LINES: '40', TERM: 'xterm', FRUITS_PROGRESS_SECONDS: '0.5' },
  });
  const screen = readFileSync(typescript, 'utf8');
  expect({ code: r.exitCode, tail: r.exitCode === 0 ? '' : screen.slice(-3000) }).toEqual({ code: 0, tail: '' });
  const bars = [...screen.matchAll(/([a-z_]+)\s+\[[^\]]*\] (\d+)% (\d+)\/(\d+) images, ([\d.-]+)\/s, (\d+) failed, ETA ([\d:-]+)/g)];
  expect(bars.length).toBeGreaterThan(1);
  expect(bars.at(-1)!.slice(2, 5)).toEqual(['100', String(total), String(total)]);
  expect(bars.some((b) => b[1] === 'featurize')).toBe(true);
  expect(bars.some((b) => Number(b[2]) > 0 && Number(b[2]) < 100)).toBe(true); // live: it moved while the job ran
  expect(screen).toMatch(new RegExp(`run tty succeeded: ${total}/${total} images featurized`));
  expect(screen).not.toContain('FRUITS_PROGRESS');
  const finalDoc = JSON.parse(readFileSync(join(out, 'tty', 'progress.json'), 'utf8'));
  expect(finalDoc).toMatchObject({ status: 'succeeded', images_done: total, images_total: total });
}, 600_000);

