// local target through the real launcher (runner/fruits.mjs) from another cwd:
// one real Spark run on a few photos, plus fast error and Ctrl-C paths with a fake spark-submit.
import { execa } from 'execa';
import { existsSync, readdirSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, ROOT, alive, mktemp, sampleImages, waitFor } from '../../helpers/runner.js';
import { listText, targetNames } from '../../../runner/targets/registry.js';

const fruits = (args: string[], opts: { cwd: string; env?: Record<string, string | undefined> }) =>
  execa(process.execPath, [LAUNCHER, ...args], { cwd: opts.cwd, env: opts.env, reject: false, timeout: 300_000 });


describe('fruits run local', () => {
  const cwd = mktemp('fruits-local-cwd-');

  test('runs the real job end to end on a few photos (--json keeps stdout parseable)', async () => {
    const input = sampleImages(join(cwd, 'in'), 2, ['apple', 'lemon']);
    const output = join(cwd, 'out');
    const r = await fruits(['run', 'local', '--input', input, '--output', output, '--run-id', 'e2e', '--k', '2', '--weights', 'test-only-random:1', '--json'], { cwd });
    expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ target: 'local', runId: 'e2e', exitCode: 0, summaryUri: expect.stringContaining('e2e') });
    expect(result.summary).toMatchObject({ status: 'succeeded', run_id: 'e2e', counts: { total_files: 4, featurized: 4, failed: 0 } });
    expect(r.stderr).toContain('FRUITS_RUN_SUMMARY'); // job output streamed (to stderr under --json)
    // Progress: JSON events on stderr, one object per line, ending with the finished run.
    const events = r.stderr.split('\n').filter((l) => l.startsWith('{"event":"progress"')).map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ event: 'progress', run_id: 'e2e', status: 'succeeded', images_total: 4, images_done: 4, images_failed: 0 });
    expect(r.stderr).not.toContain('FRUITS_PROGRESS'); // the raw marker lines are consumed, not shown
    expect(existsSync(join(output, 'e2e', 'progress.json'))).toBe(true);
    expect(readdirSync(join(output, 'e2e', 'features')).some((f) => f.endsWith('.parquet'))).toBe(true);
  }, 300_000);

  test('dry run prints the spark-submit command with PYSPARK_PYTHON and the job options', async () => {
    const r = await fruits(['run', 'local', '--input', cwd, '--output', join(cwd, 'o'), '--run-id', 'd1', '--variance-target', '0.9', '--conf', 'spark.driver.memory=2g', '--dry-run', '--json', '--', '--batch-size', '8'], { cwd });
    expect(r.exitCode).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.env.PYSPARK_PYTHON).toMatch(/python/);
    expect(plan.argv[0]).toMatch(/spark-submit$/);
    expect(plan.argv).toEqual(expect.arrayContaining(['--master', 'local[*]', '--conf', 'spark.driver.memory=2g', join(ROOT, 'jobs', 'run_job.py'), '--input', cwd, '--run-id', 'd1', '--variance-target', '0.9', '--batch-size', '8']));
  });

  test.each([
    [['run', 'local', '--input', '/does/not/exist', '--output', '/tmp/x'], 2, /^error: input \/does\/not\/exist does not exist; pass an existing image folder/],
    [['run', 'moon'], 2, new RegExp(`^error: unknown target "moon"; use ${listText(targetNames())}$`)], // every registered target
    [['run', 'local', '--input', '.', '--output', 'o', '--k', 'many'], 2, /^error: --k must be an integer/],
    [['run', 'local', '--input', '.', '--output', 'o', '--k', '3', '--variance-target', '0.9'], 2, /exclusive/],
    [['frobnicate'], 2, /^error: unknown command "frobnicate"/],
    [['run', 'local', '--input', '.', '--output', 'o', '--batch-size', '5000'], 2, /^error: --batch-size must be an integer between 1 and 4096/],
    [['tunnel', '--input', 'x'], 2, /^error: --input does not apply to "tunnel"/],
  ])('bad input %j gives one error line and exit %i', async (args, code, message) => {
    const r = await fruits(args as string[], { cwd });
    expect(r.exitCode).toBe(code);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message as RegExp)]);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
  });

  test('missing java is an environment error (exit 3) with the fix', async () => {
    const r = await fruits(['run', 'local', '--input', cwd, '--output', join(cwd, 'o')], { cwd, env: { PATH: '/nonexistent', JAVA_HOME: '' } });
    expect(r.exitCode).toBe(3);
    expect(r.stderr.trim()).toMatch(/^error: java not found; install Java 17/);
  });

  test.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s (Ctrl-C, kill, closed terminal) stops the whole spark-submit process group and exits 130', async (sig) => {
    const fake = join(cwd, `fake-spark-submit-${sig}`);
    const pids = join(cwd, `pids-${sig}`);
    writeFileSync(fake, `#!/bin/sh\nsleep 300 &\necho "$$ $!" > ${pids}\necho started\nwait\n`);
    chmodSync(fake, 0o755);
    const p = execa(process.execPath, [LAUNCHER, 'run', 'local', '--input', cwd, '--output', join(cwd, 'o')], {
      cwd, env: { FRUITS_SPARK_SUBMIT: fake }, reject: false, timeout: 60_000,
    });
    await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').includes(' '), 30_000, 'the fake spark-submit');
    const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
    p.kill(sig);
    const r = await p;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toMatch(/error: interrupted: spark-submit stopped/);
    await waitFor(() => !alive(shPid) && !alive(sleepPid), 5_000, 'the job processes to end');
  }, 60_000);
});

