// bootstrap/vm-setup.sh with a local fake Spark tarball and a stand-in python3.11 (no downloads,
// no apt, no pip): installs, verifies the checksum, runs the shared Python installer, is
// idempotent on a re-run, and fails loudly on bad input.
import { execa } from 'execa';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, mktemp } from '../../helpers/runner.js';

const SCRIPT = join(ROOT, 'bootstrap', 'vm-setup.sh');
const dir = mktemp('fruits-vmsetup-');

async function fakeSpark(version: string): Promise<string> {
  const name = `spark-${version}-bin-hadoop3`;
  const bin = join(dir, 'build', name, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'spark-submit'), `#!/bin/sh\necho "Welcome to Spark version ${version}" >&2\n`);
  chmodSync(join(bin, 'spark-submit'), 0o755);
  const tgz = join(dir, `${name}.tgz`);
  await execa('tar', ['-czf', tgz, '-C', join(dir, 'build'), name]);
  const hash = createHash('sha512').update(readFileSync(tgz)).digest('hex');
  writeFileSync(`${tgz}.sha512`, `${hash}  ${name}.tgz\n`);
  return tgz;
}

/**
 * A stand-in python3.11: `-m venv DIR` makes DIR/bin/python, which records each `pip install`
 * (its arguments, and the requirements file it was given) in calls/ and succeeds.
 */
function fakePython(): { python: string; calls: string } {
  const bin = join(dir, 'fake-python');
  const calls = join(dir, 'calls');
  mkdirSync(bin, { recursive: true });
  mkdirSync(calls, { recursive: true });
  const venvPython = [
    '#!/usr/bin/env bash',
    'if [[ "${1:-} ${2:-} ${3:-}" == "-m pip install" ]]; then',
    `  n=$(ls "${calls}" | wc -l); echo "$*" > "${calls}/$n.args"`,
    `  for ((i = 1; i <= $#; i++)); do if [[ "\${!i}" == -r ]]; then j=$((i + 1)); cp "\${!j}" "${calls}/$n.requirements"; fi; done`,
    'elif [[ "${1:-} ${2:-}" == "-m pip" ]]; then echo "numpy==1.26.4"', // pip freeze
    // vm-setup's final check imports pyspark: answer with the pin last installed.
    `elif [[ "\${1:-}" == -c && "\${2:-}" == *pyspark* ]]; then sed -n 's/^pyspark==//p' "$(ls -t "${calls}"/*.requirements | head -n 1)"`,
    'fi',
    'exit 0',
  ].join('\n');
  writeFileSync(join(bin, 'venv-python'), `${venvPython}\n`);
  const python = join(bin, 'python3.11');
  writeFileSync(python, [
    '#!/usr/bin/env bash',
    `if [[ "\${1:-}" == "-m" && "\${2:-}" == "venv" ]]; then mkdir -p "$3/bin"; cp "${join(bin, 'venv-python')}" "$3/bin/python"; chmod +x "$3/bin/python"; fi`,
    'exit 0',
  ].join('\n') + '\n');
  chmodSync(python, 0o755);
  return { python, calls };
}
const fake = fakePython();
/** The pip installs recorded so far: arguments and the requirements file each got. */
const pipCalls = () => readdirSync(fake.calls).filter((f) => f.endsWith('.args')).sort((a, b) => parseInt(a) - parseInt(b)).map((f) => {
  const req = join(fake.calls, f.replace('.args', '.requirements'));
  return { args: readFileSync(join(fake.calls, f), 'utf8').trim(), requirements: existsSync(req) ? readFileSync(req, 'utf8') : null };
});

const reqs = join(dir, 'requirements.txt');
writeFileSync(reqs, 'numpy==1.26.4\n');
const prefix = join(dir, 'opt');
const env = (over: Record<string, string>) => ({
  FRUITS_PREFIX: prefix,
  FRUITS_PROFILE_D: join(dir, 'profile.d'),
  FRUITS_SETUP_LOG: join(dir, 'setup.log'),
  FRUITS_SKIP_APT: '1',
  PYTHON: fake.python,
  ...over,
});
const setup = (over: Record<string, string>, args = [reqs]) => execa('bash', [SCRIPT, ...args], { env: env(over), reject: false, timeout: 120_000 });

test('installs Spark from a verified tarball, creates the venv and profile; a re-run skips everything', async () => {
  const tgz = await fakeSpark('3.5.6');
  const first = await setup({ SPARK_VERSION: '3.5.6', SPARK_TGZ: tgz });
  expect({ code: first.exitCode, err: first.exitCode ? first.stderr : '' }).toEqual({ code: 0, err: '' });
  expect(first.stderr).toMatch(/SHA-512 verified/);
  expect(readlinkSync(join(prefix, 'spark'))).toBe(join(prefix, 'spark-3.5.6'));
  expect(existsSync(join(prefix, 'fruits', 'venv', 'bin', 'python'))).toBe(true);
  expect(readFileSync(join(dir, 'profile.d', 'fruits-spark.sh'), 'utf8')).toContain(`export SPARK_HOME=${prefix}/spark`);
  expect(readFileSync(join(dir, 'setup.log'), 'utf8')).toMatch(/done: spark-submit/);

  const again = await setup({ SPARK_VERSION: '3.5.6', SPARK_TGZ: tgz });
  expect(again.exitCode).toBe(0);
  expect(again.stderr).toMatch(/Spark 3\.5\.6 present/);
  expect(again.stderr).toMatch(/requirements [0-9a-f]{64} already installed in .*\/fruits\/venv \(driver set\); nothing to do/);
  expect(again.stderr).not.toMatch(/SHA-512 verified|creating virtualenv/);
}, 120_000);

test('a corrupt tarball fails loudly and installs nothing', async () => {
  const tgz = await fakeSpark('3.5.5');
  writeFileSync(`${tgz}.sha512`, `${'0'.repeat(128)}  spark-3.5.5-bin-hadoop3.tgz\n`);
  const r = await setup({ SPARK_VERSION: '3.5.5', SPARK_TGZ: tgz });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/^error: checksum mismatch for spark-3\.5\.5-bin-hadoop3\.tgz/m);
  expect(existsSync(join(prefix, 'spark-3.5.5'))).toBe(false);
}, 60_000);

test('bad input: missing requirements file, non-3.5 Spark', async () => {
  const missing = await setup({}, [join(dir, 'nope.txt')]);
  expect(missing.exitCode).toBe(1);
  expect(missing.stderr).toMatch(/error: requirements file .*nope.txt not found/);
  const v4 = await setup({ SPARK_VERSION: '4.0.0' });
  expect(v4.exitCode).toBe(1);
  expect(v4.stderr).toMatch(/error: Spark 4\.0\.0 is not 3\.5\.x/);
}, 60_000);

test('the Spark version comes from the pyspark pin of the requirements file', async () => {
  const pinned = join(dir, 'pinned.txt');
  writeFileSync(pinned, 'numpy==1.26.4\n  PySpark == 4.1.0  \n');
  const r = await setup({}, [pinned]);
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/error: Spark 4\.1\.0 is not 3\.5\.x/);
}, 60_000);

test('the shared installer pins pip, setuptools and wheel, then installs wheels only (pyspark, source-only on PyPI, excepted)', async () => {
  const tgz = await fakeSpark('3.5.3');
  const pinned = join(dir, 'with-pyspark.txt');
  writeFileSync(pinned, 'pyspark==3.5.3\nnumpy==1.26.4\n');
  const before = pipCalls().length;
  const r = await setup({ SPARK_TGZ: tgz, FRUITS_PREFIX: join(dir, 'opt-pins') }, [pinned]);
  expect({ code: r.exitCode, err: r.exitCode ? r.stderr : '' }).toEqual({ code: 0, err: '' });
  const [tools, set] = pipCalls().slice(before);
  expect(tools!.args).toMatch(/--only-binary=:all: pip==\d+(\.\d+)* setuptools==\d+(\.\d+)* wheel==\d+(\.\d+)*$/);
  expect(set!.args).toContain('--only-binary=:all: --no-binary=pyspark --no-build-isolation -r');
  expect(set!.requirements).toBe('pyspark==3.5.3\nnumpy==1.26.4\n');
}, 120_000);

test('FRUITS_VM_ROLE=worker skips the driver-only pins; a bad role fails', async () => {
  const tgz = await fakeSpark('3.5.4');
  const reqsDriverOnly = join(dir, 'driver-only.txt');
  writeFileSync(reqsDriverOnly, 'fruits-no-such-package==9.9.9  # driver-only\nnumpy==1.26.4\n');
  const over = { SPARK_VERSION: '3.5.4', SPARK_TGZ: tgz, FRUITS_PREFIX: join(dir, 'opt-worker') };
  const worker = await setup({ ...over, FRUITS_VM_ROLE: 'worker' }, [reqsDriverOnly]);
  expect({ code: worker.exitCode, err: worker.exitCode ? worker.stderr : '' }).toEqual({ code: 0, err: '' });
  expect(worker.stderr).toMatch(/worker set: skipping 1 driver-only line/);
  expect(pipCalls().at(-1)!.requirements).toBe('numpy==1.26.4\n');
  const bad = await setup({ ...over, FRUITS_VM_ROLE: 'boss' }, [reqsDriverOnly]);
  expect(bad.exitCode).toBe(1);
  expect(bad.stderr).toMatch(/error: FRUITS_VM_ROLE=boss: use driver \(default\) or worker/);
}, 120_000);

