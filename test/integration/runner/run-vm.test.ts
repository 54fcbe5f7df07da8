// vm target against a real sshd on 127.0.0.1 (generated host/client keys, temp known_hosts).
// The "remote" Spark is this machine's .venv spark-submit (vm.sparkSubmit is configurable).
import { execa } from 'execa';
import { existsSync, readFileSync, writeFileSync, chmodSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, ROOT, alive, freePort, mktemp, sampleImages, startSshd, waitFor, type Sshd } from '../../helpers/runner.js';

let sshd: Sshd;
const cwd = mktemp('fruits-vm-cwd-');
const remoteWork = join(cwd, 'vm-home', 'fruits');

beforeAll(async () => {
  sshd = await startSshd();
}, 30_000);
afterAll(async () => {
  await sshd?.stop();
});

const vmEnv = (over: Record<string, string> = {}) => ({
  FRUITS_VM_HOST: '127.0.0.1',
  FRUITS_VM_PORT: String(sshd.port),
  FRUITS_VM_USER: sshd.user,
  FRUITS_VM_KEY: sshd.clientKey,
  FRUITS_VM_KNOWN_HOSTS: sshd.knownHosts,
  FRUITS_VM_WORKDIR: remoteWork,
  FRUITS_VM_SPARK_SUBMIT: join(ROOT, '.venv', 'bin', 'spark-submit'),
  FRUITS_VM_PYTHON: join(ROOT, '.venv', 'bin', 'python'),
  ...over,
});

const fruits = (args: string[], env: Record<string, string>) =>
  execa(process.execPath, [LAUNCHER, ...args], { cwd, env, reject: false, timeout: 300_000 });


test('runs the real job on the "VM" over ssh and brings summary.json back', async () => {
  const input = sampleImages(join(cwd, 'vm-images'), 2, ['mango', 'raspberry']);
  const output = join(cwd, 'vm-out');
  const r = await fruits(['run', 'vm', '--input', input, '--output', output, '--run-id', 'vm1', '--k', '2', '--weights', 'test-only-random:2', '--json'], vmEnv());
  expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
  const result = JSON.parse(r.stdout);
  expect(result).toMatchObject({ target: 'vm', runId: 'vm1', exitCode: 0, localSummary: join(cwd, 'fruits-runs', 'vm1', 'summary.json') });
  expect(result.summary).toMatchObject({ status: 'succeeded', counts: { total_files: 4, featurized: 4 } });
  expect(JSON.parse(readFileSync(result.localSummary, 'utf8')).run_id).toBe('vm1');
  // the job, its package and the requirements were copied to the VM
  for (const f of ['run_job.py', 'fruits_job.zip', 'requirements.txt']) expect(existsSync(join(remoteWork, 'code', 'vm1', f))).toBe(true);
  expect(r.stderr).toContain('FRUITS_RUN_SUMMARY');
}, 300_000);

test('Ctrl-C kills the remote process group through a second ssh, exit 130', async () => {
  const fakeDir = join(cwd, 'fake');
  mkdirSync(fakeDir, { recursive: true });
  const fake = join(fakeDir, 'spark-submit');
  const pids = join(fakeDir, 'pids');
  // A remote "job" with a child; both must die. It also checks it got the job arguments.
  writeFileSync(fake, `#!/bin/sh\ncase "$*" in *--run-id\\ int1*) ;; *) echo "bad args: $*" >&2; exit 9;; esac\nsleep 300 &\necho "$$ $!" > ${pids}\necho started\nwait\n`);
  chmodSync(fake, 0o755);
  const p = execa(process.execPath, [LAUNCHER, 'run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'int1'], {
    cwd, env: vmEnv({ FRUITS_VM_SPARK_SUBMIT: fake }), reject: false, timeout: 90_000,
  });
  await waitFor(() => existsSync(pids) && readFileSync(pids, 'utf8').includes(' '), 30_000, 'the remote fake job');
  const [shPid, sleepPid] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
  expect(alive(shPid)).toBe(true);
  p.kill('SIGINT'); // what a terminal Ctrl-C delivers to the runner (ssh runs in its own process group)
  const r = await p;
  expect(r.exitCode).toBe(130);
  expect(r.stderr).toMatch(/stopping the remote job/);
  expect(r.stderr).toMatch(/error: interrupted: the remote job was stopped/);
  await waitFor(() => !alive(shPid) && !alive(sleepPid), 5_000, 'the remote processes to end');
  expect(existsSync(join(remoteWork, 'code', 'int1', 'job.pid'))).toBe(false);
}, 90_000);

test('a job failure on the VM is exit 1 and brings the failed summary.json back; bad input from the job is exit 2', async () => {
  const fake = join(cwd, 'fake', 'fail-spark-submit');
  const failedRun = join(cwd, 'vm-fail-out', 'f1');
  mkdirSync(failedRun, { recursive: true });
  // Like the real job: a failed run records its error in summary.json and prints the marker, then exits 1.
  const failedSummary = { status: 'failed', run_id: 'f1', error: 'ValueError: boom', traceback: 'Traceback (most recent call last):\nValueError: boom' };
  writeFileSync(fake, `#!/bin/sh\necho "boom" >&2\ncase "$*" in *bad-input*) exit 2;; esac\ncat > ${failedRun}/summary.json <<'EOF'\n${JSON.stringify(failedSummary)}\nEOF\necho "FRUITS_RUN_SUMMARY file://${failedRun}/summary.json"\nexit 1\n`);
  chmodSync(fake, 0o755);
  const failed = await fruits(['run', 'vm', '--input', '/in', '--output', join(cwd, 'vm-fail-out'), '--run-id', 'f1'], vmEnv({ FRUITS_VM_SPARK_SUBMIT: fake }));
  expect(failed.exitCode).toBe(1);
  expect(failed.stderr).toContain('boom');
  const local = join(cwd, 'fruits-runs', 'f1', 'summary.json');
  expect(JSON.parse(readFileSync(local, 'utf8'))).toEqual(failedSummary);
  expect(failed.stdout).toContain(`run f1 failed: ?/? images featurized, 0 failed; PCA k=?; error: ValueError: boom\nsummary: ${local} (from the VM: ${failedRun}/summary.json)`);
  const bad = await fruits(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'bad-input'], vmEnv({ FRUITS_VM_SPARK_SUBMIT: fake }));
  expect(bad.exitCode).toBe(2);
}, 60_000);

test('missing spark on the VM says to run vm-setup.sh (exit 3)', async () => {
  const r = await fruits(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'm1'], vmEnv({ FRUITS_VM_SPARK_SUBMIT: '/opt/nowhere/spark-submit' }));
  expect(r.exitCode).toBe(3);
  expect(r.stderr.trim().split('\n').pop()).toMatch(/^error: \/opt\/nowhere\/spark-submit not found on the VM; run bootstrap\/vm-setup.sh/);
}, 60_000);

test('unreachable VM: one line, exit 3', async () => {
  const closed = await freePort();
  const r = await fruits(['run', 'vm', '--input', '/in', '--output', '/out'], vmEnv({ FRUITS_VM_PORT: String(closed) }));
  expect(r.exitCode).toBe(3);
  expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`^error: cannot reach the VM .*@127.0.0.1:${closed} over ssh \\(.*refused.*\\); check that the VM is running`));
}, 60_000);

test('wrong key is refused by sshd: exit 3 naming the key; missing key and open permissions: exit 2', async () => {
  const other = join(cwd, 'other_key');
  if (!existsSync(other)) await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const wrong = await fruits(['run', 'vm', '--input', '/in', '--output', '/out'], vmEnv({ FRUITS_VM_KEY: other }));
  expect(wrong.exitCode).toBe(3);
  expect(wrong.stderr).toMatch(/Permission denied/);
  const missing = await fruits(['run', 'vm', '--input', '/in', '--output', '/out'], vmEnv({ FRUITS_VM_KEY: join(cwd, 'nope') }));
  expect(missing.exitCode).toBe(2);
  expect(missing.stderr.trim()).toMatch(/^error: VM ssh key .*nope not found; fix vm.key/);
  const open = join(cwd, 'open_key');
  copyFileSync(other, open);
  chmodSync(open, 0o644);
  const loose = await fruits(['run', 'vm', '--input', '/in', '--output', '/out'], vmEnv({ FRUITS_VM_KEY: open }));
  expect(loose.exitCode).toBe(2);
  expect(loose.stderr.trim()).toMatch(/chmod 600/);
}, 60_000);

test('doctor --target vm reaches the VM and checks its spark', async () => {
  const r = await fruits(['doctor', '--target', 'vm', '--json'], vmEnv());
  const res = JSON.parse(r.stdout);
  const byName = Object.fromEntries(res.checks.map((c: { name: string; status: string }) => [c.name, c.status]));
  expect(byName).toMatchObject({ 'vm config': 'ok', 'vm reachable': 'ok', 'vm spark': 'ok' });
}, 60_000);

test('vm-setup copies the script and requirements to the VM; --dry-run shows the commands', async () => {
  const dry = await fruits(['vm-setup', '--dry-run', '--json'], vmEnv());
  expect(dry.exitCode).toBe(0);
  const plan = JSON.parse(dry.stdout);
  expect(plan.copy.slice(-3)).toEqual([join(ROOT, 'bootstrap', 'vm-setup.sh'), join(ROOT, 'requirements.txt'), `${sshd.user}@127.0.0.1:${remoteWork}/setup/`]);
  const sudo = sshd.user === 'root' ? '' : 'sudo -n ';
  expect(plan.run.at(-1)).toBe(`cd ${remoteWork}/setup && ${sudo}bash vm-setup.sh requirements.txt`);
  expect(plan.run).not.toContain('-tt'); // no terminal: sudo must not prompt
}, 60_000);

test('an unknown VM host key names ssh-keyscan and vm.strictHostKeyChecking (real ssh)', async () => {
  const emptyKnownHosts = join(cwd, 'empty_known_hosts');
  writeFileSync(emptyKnownHosts, '');
  const r = await fruits(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'hk1'], vmEnv({ FRUITS_VM_KNOWN_HOSTS: emptyKnownHosts }));
  expect(r.exitCode).toBe(3);
  expect(r.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^error: ssh refused the VM's host key \\(.*\\); .*ssh-keyscan -p ${sshd.port} 127\\.0\\.0\\.1 >> ${emptyKnownHosts}.*vm\\.strictHostKeyChecking to accept-new`));
}, 60_000);

test('fruits watch vm:<run folder> follows a run on the VM over ssh', async () => {
  const folder = join(remoteWork, 'out', 'vw1');
  mkdirSync(folder, { recursive: true });
  const doc = { version: 1, run_id: 'vw1', status: 'succeeded', stage: 'done', images_total: 4, images_done: 4, images_failed: 0, images_per_second: 2, eta_s: 0, elapsed_s: 9, updated_at: '2026-01-01T00:00:00Z', seq: 5 };
  writeFileSync(join(folder, 'progress.json'), JSON.stringify(doc));
  writeFileSync(join(folder, 'summary.json'), JSON.stringify({ status: 'succeeded', run_id: 'vw1', counts: { total_files: 4, featurized: 4, failed: 0 }, pca: { k: 2 } }));
  const r = await fruits(['watch', 'vm:out/vw1', '--json'], vmEnv()); // relative: under vm.workDir
  expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr }).toEqual({ code: 0, err: '' });
  expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 0, progress: { run_id: 'vw1', images_done: 4 }, summary: { status: 'succeeded' } });
  expect(r.stderr).toContain('{"event":"progress","version":1,"run_id":"vw1"');
}, 60_000);

