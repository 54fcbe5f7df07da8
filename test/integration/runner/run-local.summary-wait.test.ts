// The local runner after spark-submit exits: Spark's JVM (the process it waits on) can end
// before its child, the Python driver, has recorded how the run ended. A fake spark-submit
// plays both: it exits like the JVM on a signal while a child still in its process group
// writes the interrupted summary a moment later, as the real driver does under load.
import { execa } from 'execa';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, mktemp, waitFor } from '../../helpers/runner.js';

const PROGRESS = (id: string) => JSON.stringify({ version: 1, run_id: id, status: 'running', stage: 'featurize', images_total: 4, images_done: 1, images_failed: 0, images_per_second: null, eta_s: null, elapsed_s: 1, updated_at: '2026-12-02T00:00:00Z', seq: 1 });
const INTERRUPTED = (id: string) => JSON.stringify({ status: 'interrupted', run_id: id, interrupted: { signal: 'SIGTERM', stage: 'featurize' }, error: 'interrupted by SIGTERM during featurize', counts: { total_files: 4, featurized: null, failed: null } });

/**
 * sh script: claims <output>/<run-id>/ with a "running" summary, prints a progress line, starts
 * the "driver" (ignores INT/TERM, waits for `go`, sleeps, then writes "interrupted" atomically),
 * and then acts as the JVM: `exitAtOnce` exits 143 as if signalled; otherwise it waits for the
 * runner's Ctrl-C and exits 130 on it.
 */
function fakeSparkSubmit(dir: string, name: string, exitAtOnce: boolean): string {
  const fake = join(dir, name);
  writeFileSync(fake, [
    '#!/bin/sh',
    'while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift;; --run-id) id="$2"; shift;; esac; shift; done',
    'd="$out/$id"; mkdir -p "$d"',
    `printf '{"status":"running","run_id":"%s"}\\n' "$id" > "$d/summary.json"`,
    `echo "FRUITS_PROGRESS $(printf '%s' '${PROGRESS('RUNID')}' | sed "s/RUNID/$id/")"`,
    `( trap '' INT TERM; while [ ! -f "$d/go" ]; do sleep 0.1; done; sleep 1.5; printf '%s\\n' '${INTERRUPTED('RUNID')}' | sed "s/RUNID/$id/" > "$d/.tmp"; mv "$d/.tmp" "$d/summary.json" ) </dev/null >/dev/null 2>&1 &`, // like the JVM's child: not on the runner's pipes
    exitAtOnce ? 'touch "$d/go"; exit 143' : `sleep 300 & s=$!; trap 'touch "$d/go"; kill $s; exit 130' INT TERM; echo started; wait`,
    '',
  ].join('\n'));
  chmodSync(fake, 0o755);
  return fake;
}

describe('fruits run local reads summary.json only once the driver has recorded the end', () => {
  const cwd = mktemp('fruits-local-wait-');

  test('spark-submit exits 143 while the driver is still writing: the runner waits and reports "interrupted" (exit 130)', async () => {
    const output = join(cwd, 'o1');
    const r = await execa(process.execPath, [LAUNCHER, 'run', 'local', '--input', cwd, '--output', output, '--run-id', 'w1', '--json'], {
      cwd, env: { FRUITS_SPARK_SUBMIT: fakeSparkSubmit(cwd, 'fake-exit', true) }, reject: false, timeout: 60_000,
    });
    expect({ code: r.exitCode, err: r.exitCode === 130 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 130, err: '' });
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ target: 'local', runId: 'w1', exitCode: 130, jobExitCode: 143, summary: { status: 'interrupted', run_id: 'w1' } });
  }, 60_000);

  test('Ctrl-C: the interrupted line names the summary and the status the driver recorded', async () => {
    const output = join(cwd, 'o2');
    const p = execa(process.execPath, [LAUNCHER, 'run', 'local', '--input', cwd, '--output', output, '--run-id', 'w2'], {
      cwd, env: { FRUITS_SPARK_SUBMIT: fakeSparkSubmit(cwd, 'fake-wait', false) }, reject: false, timeout: 60_000,
    });
    let err = '';
    p.stderr?.on('data', (b: Buffer) => void (err += b.toString()));
    await waitFor(() => err.includes('featurize'), 30_000, 'the runner to show the progress line');
    p.kill('SIGINT');
    const r = await p;
    expect(r.exitCode).toBe(130);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors).toEqual([`error: interrupted: spark-submit stopped (run w2 is incomplete); summary: ${join(output, 'w2', 'summary.json')} (status interrupted)`]);
    expect(JSON.parse(readFileSync(join(output, 'w2', 'summary.json'), 'utf8')).status).toBe('interrupted');
  }, 60_000);

  test('a driver that never records: one line says the summary still says "running" (no invented status)', async () => {
    const fake = join(cwd, 'fake-silent');
    writeFileSync(fake, [
      '#!/bin/sh',
      'while [ $# -gt 0 ]; do case "$1" in --output) out="$2"; shift;; --run-id) id="$2"; shift;; esac; shift; done',
      'd="$out/$id"; mkdir -p "$d"',
      `printf '{"status":"running","run_id":"%s"}\\n' "$id" > "$d/summary.json"`,
      `echo "FRUITS_PROGRESS $(printf '%s' '${PROGRESS('RUNID')}' | sed "s/RUNID/$id/")"`,
      'exit 137',
      '',
    ].join('\n'));
    chmodSync(fake, 0o755);
    const output = join(cwd, 'o3');
    const r = await execa(process.execPath, [LAUNCHER, 'run', 'local', '--input', cwd, '--output', output, '--run-id', 'w3'], {
      cwd, env: { FRUITS_SPARK_SUBMIT: fake }, reject: false, timeout: 60_000,
    });
    expect(r.exitCode).toBe(1);
    const path = join(output, 'w3', 'summary.json');
    expect(r.stderr).toContain(`fruits: ${path} still says "running" after the job's processes ended`);
    expect(r.stdout + r.stderr).not.toMatch(/run w3 running/); // never shown as the run's outcome
    expect(r.stdout).toMatch(/job exited with code 137 \(run w3\)/);
  }, 60_000);
});
