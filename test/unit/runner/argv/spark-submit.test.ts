// runner/argv/spark-submit.ts: the pure job argv and spark-submit argv builders, run ids, --conf flags.
import { buildJobArgs, buildSparkSubmitArgv, newRunId, parseConfFlags, parseSummaryLine } from '../../../../runner/argv/spark-submit.js';
import { FruitsError } from '../../../../config/errors.js';

describe('spark-submit builders', () => {
  test('job args carry input, output, run id and only the options given', () => {
    expect(buildJobArgs({ input: '/in', output: '/out', runId: 'r1' })).toEqual(['--input', '/in', '--output', '/out', '--run-id', 'r1']);
    expect(
      buildJobArgs({ input: 's3://b/i/', output: 's3://b/o/', runId: 'r2', options: { 'variance-target': 0.95, weights: 'test-only-random:1', 'batch-size': 16, overwrite: true }, extra: ['--x'] }),
    ).toEqual(['--input', 's3://b/i/', '--output', 's3://b/o/', '--run-id', 'r2', '--variance-target', '0.95', '--weights', 'test-only-random:1', '--batch-size', '16', '--overwrite', '--x']);
  });

  test('a bad run id is a usage error (exclusive options are the contract check\'s: run-request.test.ts)', () => {
    expect(() => buildJobArgs({ input: 'a', output: 'b', runId: '../etc' })).toThrow(FruitsError);
    expect(() => buildJobArgs({ input: 'a', output: 'b', runId: '../etc' })).toThrow(/bad --run-id/);
  });

  test('spark-submit argv orders options, sorts conf, then script and job args', () => {
    expect(
      buildSparkSubmitArgv({ sparkSubmit: '/s/spark-submit', master: 'local[2]', conf: { 'spark.b': '2', 'spark.a': '1' }, pyFiles: '/t/z.zip', script: '/j/run_job.py', jobArgs: ['--input', 'x'] }),
    ).toEqual(['/s/spark-submit', '--master', 'local[2]', '--conf', 'spark.a=1', '--conf', 'spark.b=2', '--py-files', '/t/z.zip', '/j/run_job.py', '--input', 'x']);
  });

  test('run id default matches the job (UTC)', () => {
    expect(newRunId(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), 'abc123')).toBe('run-20260102-030405-abc123');
    const sameSecond = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));
    const ids = new Set(Array.from({ length: 50 }, () => newRunId(sameSecond)));
    expect(ids.size).toBe(50); // two runs started in the same second never share a folder
    for (const id of ids) expect(id).toMatch(/^run-20260102-030405-[0-9a-f]{6}$/);
  });

  test('conf flags parse; malformed ones are rejected', () => {
    expect(parseConfFlags(['spark.driver.memory=4g', 'a=b=c'])).toEqual({ 'spark.driver.memory': '4g', a: 'b=c' });
    expect(() => parseConfFlags(['nope'])).toThrow(/--conf key=value/);
  });

  test('summary marker line', () => {
    expect(parseSummaryLine('FRUITS_RUN_SUMMARY s3://b/o/r/summary.json')).toBe('s3://b/o/r/summary.json');
    expect(parseSummaryLine('INFO FRUITS_RUN_SUMMARY x')).toBeUndefined();
    expect(parseSummaryLine('other')).toBeUndefined();
  });
});
