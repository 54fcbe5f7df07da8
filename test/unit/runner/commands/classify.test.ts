// runner/commands/classify.ts: pure helpers, and `fruits classify` with a fake python (argv, output, exit codes).
import { execa } from 'execa';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildClassifyArgv, classifyFailure, formatClassification } from '../../../../runner/commands/classify.js';
import { ExitCode } from '../../../../config/errors.js';
import { LAUNCHER, ROOT, mktemp } from '../../../helpers/runner.js';

const fruits = (args: string[], cwd: string, timeout = 120_000) =>
  execa(process.execPath, [LAUNCHER, ...args], { cwd, reject: false, timeout });

describe('classify helpers', () => {
  test('argv runs jobs/classify.py with the photo, the run folder and --json', () => {
    expect(buildClassifyArgv('/venv/bin/python', '/repo/jobs', 'a b.jpg', 'runs/r1')).toEqual([
      '/venv/bin/python', '/repo/jobs/classify.py', 'a b.jpg', '--run', 'runs/r1', '--json',
    ]);
    // the job's decompression-bomb guard passes through (phone photos over the run's limit)
    expect(buildClassifyArgv('/venv/bin/python', '/repo/jobs', 'p.heic', 'runs/r1', 120_000_000)).toEqual([
      '/venv/bin/python', '/repo/jobs/classify.py', 'p.heic', '--run', 'runs/r1', '--max-image-pixels', '120000000', '--json',
    ]);
  });

  test('result line is "<label> <probability>"', () => {
    expect(formatClassification({ photo: 'p', run: 'r', label: 'mango', probability: 0.93456, probabilities: {} })).toBe('mango 0.9346');
  });

  test('exit 2 with an error line is a usage error carrying that line; anything else a job failure', () => {
    const usage = classifyFailure(2, 'some tf noise\nclassify: error: photo x.jpg does not exist; give the path of a JPEG or PNG file\n');
    expect([usage.exitCode, usage.message]).toEqual([ExitCode.usage, 'photo x.jpg does not exist; give the path of a JPEG or PNG file']);
    const crash = classifyFailure(1, 'Traceback (most recent call last):\n  boom\nValueError: bad thing\n');
    expect([crash.exitCode, crash.message]).toEqual([ExitCode.jobFailed, 'classify failed (exit 1): ValueError: bad thing']);
  });
});

describe('fruits classify with a fake python', () => {
  const cwd = mktemp('fruits-classify-');
  const argvFile = join(cwd, 'argv');
  const fake = join(cwd, 'fake-python');
  writeFileSync(fake, `#!/bin/sh
printf '%s\\n' "$@" > ${argvFile}
case "$2" in
  missing.jpg) echo "classify: error: photo missing.jpg does not exist; give the path of a JPEG or PNG file" >&2; exit 2 ;;
  crash.jpg) echo "Traceback" >&2; echo "RuntimeError: kaput" >&2; exit 1 ;;
esac
echo "classify: warning: run r used TEST-ONLY RANDOM WEIGHTS" >&2
echo '{"photo": "'"$2"'", "run": "'"$4"'", "label": "lemon", "probability": 0.875, "probabilities": {"apple": 0.125, "lemon": 0.875}}'
`);
  chmodSync(fake, 0o755);

  test('passes the photo and run folder to jobs/classify.py and prints "<label> <probability>"', async () => {
    const r = await fruits(['classify', 'photo 1.jpg', '--run', 'runs/r1', '--python', fake], cwd);
    expect({ code: r.exitCode, out: r.stdout }).toEqual({ code: 0, out: 'lemon 0.8750' });
    expect(readFileSync(argvFile, 'utf8').trim().split('\n')).toEqual([join(ROOT, 'jobs', 'classify.py'), 'photo 1.jpg', '--run', 'runs/r1', '--json']);
    expect(r.stderr).toContain('TEST-ONLY RANDOM WEIGHTS');
  });

  test('--json prints the whole result', async () => {
    const r = await fruits(['classify', 'p.jpg', '--run', 'r', '--python', fake, '--json'], cwd);
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ label: 'lemon', probability: 0.875, probabilities: { apple: 0.125, lemon: 0.875 } });
  });

  test.each([
    [['classify', 'missing.jpg', '--run', 'r'], 2, /^error: photo missing\.jpg does not exist; give the path/],
    [['classify', 'crash.jpg', '--run', 'r'], 1, /^error: classify failed \(exit 1\): RuntimeError: kaput$/],
    [['classify', '--run', 'r'], 2, /^error: missing photo; fruits classify <photo> --run <run folder>$/],
    [['classify', 'p.jpg'], 2, /^error: missing --run; pass the run folder/],
    [['classify', 'a.jpg', 'b.jpg', '--run', 'r'], 2, /^error: one photo at a time/],
    [['classify', 'p.jpg', '--run', 'r', '--k', '3'], 2, /^error: --k does not apply to "classify"/],
  ])('%j exits %i with one error line', async (args, code, message) => {
    const r = await fruits([...(args as string[]), '--python', fake], cwd);
    expect(r.exitCode).toBe(code);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(message as RegExp)]);
  });
});

describe('run summary line', () => {
  test('names the classifier accuracy, or why there is none', async () => {
    const { describeSummary } = await import('../../../../runner/progress/run-summary.js');
    const base = { status: 'succeeded', run_id: 'r', counts: { total_files: 4, featurized: 4, failed: 0 }, pca: { k: 2, cumulative: [0.5, 0.9] } };
    expect(describeSummary({ ...base, classifier: { status: 'trained', evaluated: true, accuracy: 0.875, test: { images: 8 } } })).toBe(
      'run r succeeded: 4/4 images featurized, 0 failed; PCA k=2, explained variance 0.900; classifier accuracy 0.875 on 8 test images',
    );
    expect(describeSummary({ ...base, classifier: { status: 'trained', evaluated: false, accuracy: null } })).toMatch(/classifier trained, not evaluated/);
    expect(describeSummary({ ...base, classifier: { status: 'trained', evaluated: true, accuracy: 0.875, test: { images: 8 }, baseline: { accuracy: 0.75 } } })).toMatch(
      /; classifier accuracy 0\.875 on 8 test images \(nearest-centroid baseline 0\.750\)$/,
    );
    // The regression lost to the baseline on Test: the line says so, and the kept model's accuracy is the baseline's.
    const kept = { status: 'trained', evaluated: true, accuracy: 1, test: { images: 40 }, selected: 'nearest centroid', regression: { accuracy: 0.325 }, baseline: { accuracy: 1 } };
    expect(describeSummary({ ...base, classifier: kept })).toMatch(
      /; CLASSIFIER WORSE THAN BASELINE: logistic regression 0\.325, kept the nearest-centroid baseline: accuracy 1\.000 on 40 test images$/,
    );
    expect(describeSummary({ ...base, classifier: { status: 'skipped' } })).toMatch(/; no classifier$/);
  });
});
