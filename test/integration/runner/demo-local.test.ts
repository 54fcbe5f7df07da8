// scripts/demo-local.sh through the real runner, with a fake spark-submit (FRUITS_SPARK_SUBMIT)
// standing in for Spark: argument pass-through, the printed result paths, the offline hint.
import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, mktemp } from '../../helpers/runner.js';

const cwd = mktemp('fruits-demo-');
const argsFile = join(cwd, 'args');
const fake = join(cwd, 'fake-spark-submit');
writeFileSync(fake, `#!/bin/sh
printf '%s\\n' "$@" > ${argsFile}
if [ "$FAKE_OFFLINE" = 1 ]; then
  # like the real spark-submit, which merges the Python driver's stderr into its stdout
  echo "fruits-job: error: could not get the ImageNet weights for MobileNetV2 (URL fetch failure); without internet pass --weights /path/to/x.h5"
  exit 2
fi
while [ $# -gt 0 ]; do case "$1" in --output) out=$2; shift ;; --run-id) id=$2; shift ;; esac; shift; done
mkdir -p "$out/$id"
echo '{"status": "succeeded", "run_id": "'"$id"'", "counts": {"total_files": 2, "featurized": 2, "failed": 0}, "pca": {"k": 1, "cumulative": [1.0]}, "classifier": {"status": "trained", "evaluated": true, "accuracy": 1.0, "test": {"images": 1}}}' > "$out/$id/summary.json"
echo "FRUITS_RUN_SUMMARY $out/$id/summary.json"
`);
chmodSync(fake, 0o755);
const input = join(cwd, 'images');
mkdirSync(join(input, 'Test', 'kiwi'), { recursive: true });
writeFileSync(join(input, 'Test', 'kiwi', 'k1.jpg'), 'x');

const demo = (args: string[], env: Record<string, string> = {}) =>
  execa('bash', [join(ROOT, 'scripts', 'demo-local.sh'), '--skip-setup', ...args], {
    cwd, reject: false, timeout: 120_000, env: { FRUITS_SPARK_SUBMIT: fake, ...env },
  });

test('runs the local target on the given images into --output and prints where everything is', async () => {
  const r = await demo(['images', '--output', 'runs', '--run-id', 'demo1', '--weights', 'test-only-random:42', '--', '--no-train']);
  expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
  const args = readFileSync(argsFile, 'utf8').split('\n');
  expect(args).toEqual(expect.arrayContaining(['--input', input, '--output', join(cwd, 'runs'), '--run-id', 'demo1', '--weights', 'test-only-random:42', '--no-train']));
  const runDir = join(cwd, 'runs', 'demo1');
  expect(r.stdout).toContain('classifier accuracy 1.000 on 1 test images');
  expect(r.stdout).toContain(`run folder  ${runDir}`);
  expect(r.stdout).toContain(`report      ${runDir}/report.html`);
  expect(r.stdout).toContain(`node runner/fruits.mjs classify "${join(input, 'Test', 'kiwi', 'k1.jpg')}" --run "${runDir}"`);
});

test('without --run-id the demo picks a run id that cannot collide within a second (run-<UTC>-<6 hex>)', async () => {
  const r = await demo(['images', '--output', 'runs-default-id', '--weights', 'test-only-random:42', '--', '--no-train']);
  expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
  const args = readFileSync(argsFile, 'utf8').split('\n');
  const id = args[args.indexOf('--run-id') + 1];
  expect(id).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{6}$/);
  expect(r.stdout).toContain(`run folder  ${join(cwd, 'runs-default-id', id!)}`);
});

test('offline ImageNet failure keeps the exit code and names the test-only fix', async () => {
  const r = await demo(['--input', 'images', '--output', 'runs'], { FAKE_OFFLINE: '1' });
  expect(r.exitCode).toBe(2);
  expect(r.stdout).toContain('could not get the ImageNet weights');
  expect(r.stderr).toContain('bash scripts/demo-local.sh --weights test-only-random:42');
  expect(r.stdout).not.toContain('Done.');
});

test('a missing image folder is one error line, exit 2', async () => {
  const r = await demo(['no-such-folder']);
  expect(r.exitCode).toBe(2);
  expect(r.stderr.trim()).toBe(`error: image folder ${join(cwd, 'no-such-folder')} does not exist; pass one (<root>/<Split>/<Label>/*.jpg) as the first argument`);
});

