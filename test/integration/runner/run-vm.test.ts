// vm target against a real sshd on 127.0.0.1 (generated host/client keys, temp known_hosts).
// The "remote" Spark is this machine's .venv spark-submit (vm.sparkSubmit is configurable).
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync, chmodSync, mkdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAUNCHER, ROOT, alive, freePort, mktemp, sampleImages, startSshd, waitFor, type Sshd } from '../../helpers/runner.js';

let sshd: Sshd;
const cwd = mktemp('fruits-vm-cwd-');
const remoteWork = join(cwd, 'vm-home', 'fruits');
const VMRUN_STUB = join(ROOT, 'test', 'helpers', 'vmrun-stub', 'vmrun');

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

const fruits = (args: string[], env: Record<string, string>, timeout = 300_000) =>
  execa(process.execPath, [LAUNCHER, ...args], { cwd, env, reject: false, timeout });


test('with only vm.vmx and a key: starts the VM (stub vmrun), syncs the host photos, runs the real job, brings the run folder home, stops the VM; classify works on the host', async () => {
  // The "VM": a .vmx the vmrun stub (test/helpers/vmrun-stub) starts, reporting 127.0.0.1, where the real sshd listens.
  const vmx = join(cwd, 'vmware', 'ubuntu.vmx');
  mkdirSync(join(cwd, 'vmware'), { recursive: true });
  writeFileSync(vmx, '.encoding = "UTF-8"\n');
  const stubState = join(cwd, 'vmrun-state');
  const input = join(cwd, 'vm-images');
  for (const split of ['Training', 'Test']) sampleImages(input, 1, ['mango', 'raspberry'], split);
  const env: Record<string, string> = vmEnv({ FRUITS_VMRUN: VMRUN_STUB, FRUITS_VM_VMX: vmx, FRUITS_VM_AFTER_RUN: 'stop', VMRUN_STUB_DIR: stubState });
  delete env.FRUITS_VM_HOST; // only vm.vmx: the address comes from (the stub's) VMware Tools
  const r = await fruits(['run', 'vm', '--input', input, '--run-id', 'vm1', '--k', '2', '--weights', 'test-only-random:2', '--json'], env, 800_000);
  expect({ code: r.exitCode, err: r.exitCode === 0 ? '' : r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
  const calls = readFileSync(join(stubState, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(2).join(' '));
  expect(calls).toEqual(['list', `start ${vmx} nogui`, `getGuestIPAddress ${vmx} -wait`, `stop ${vmx} soft`]);
  expect(r.stderr).toMatch(/the VM's address is 127\.0\.0\.1/);
  const result = JSON.parse(r.stdout);
  const localRun = join(cwd, 'fruits-runs', 'vm1');
  expect(result).toMatchObject({ target: 'vm', runId: 'vm1', exitCode: 0, localRun, localSummary: join(localRun, 'summary.json') });
  expect(result.summary).toMatchObject({ status: 'succeeded', counts: { total_files: 4, featurized: 4 } });
  // the photos went to a mirror under vm.workDir; the job wrote to the default output (runs/ under vm.workDir)
  const mirrors = readdirSync(join(remoteWork, 'inputs'));
  expect(mirrors).toEqual([expect.stringMatching(/^vm-images-[0-9a-f]{8}$/)]);
  expect(readdirSync(join(remoteWork, 'inputs', mirrors[0]!, 'Test', 'mango'))).toEqual(readdirSync(join(input, 'Test', 'mango')));
  // the whole run folder came home, file for file
  const listing = (d: string) => execa('find', ['.', '-type', 'f'], { cwd: d }).then((x) => x.stdout.split('\n').sort());
  expect(await listing(localRun)).toEqual(await listing(join(remoteWork, 'runs', 'vm1')));
  for (const f of ['run_job.py', 'fruits_job.zip', 'requirements.txt']) expect(existsSync(join(remoteWork, 'code', 'vm1', f))).toBe(true);
  // ... so classify --run works on the host
  const photo = join(input, 'Test', 'mango', readdirSync(join(input, 'Test', 'mango'))[0]!);
  const c = await fruits(['classify', photo, '--run', localRun, '--json'], env);
  expect({ code: c.exitCode, err: c.exitCode === 0 ? '' : c.stderr }).toEqual({ code: 0, err: '' });
  expect(['mango', 'raspberry']).toContain(JSON.parse(c.stdout).label);
  // the same run id again would mix two runs in one host folder: refused before anything starts
  const again = await fruits(['run', 'vm', '--input', input, '--run-id', 'vm1'], env);
  expect(again.exitCode).toBe(2);
  expect(again.stderr.trim()).toMatch(/^error: .*fruits-runs\/vm1 already holds a run vm1; pass another --run-id, or --overwrite/);
}, 1_000_000);

test('with vm.vmx: a snapshot revert before, a failed job\'s whole run folder home, the VM suspended after (fake job)', async () => {
  const vmx = join(cwd, 'vmware2', 'ubuntu.vmx');
  mkdirSync(join(cwd, 'vmware2'), { recursive: true });
  writeFileSync(vmx, '');
  const stubState = join(cwd, 'vmrun-state2');
  const input = sampleImages(join(cwd, 'vm-images2'), 1, ['apple']);
  // Like the real job: writes its run folder (here a failed run with partial results), prints the marker, exits 1.
  const fake = join(cwd, 'fake', 'folder-spark-submit');
  mkdirSync(join(cwd, 'fake'), { recursive: true });
  writeFileSync(fake, [
    '#!/bin/sh',
    'while [ $# -gt 0 ]; do case "$1" in --input) in=$2;; --output) out=$2;; --run-id) id=$2;; esac; shift; done',
    'd="$out/$id"; mkdir -p "$d/features" "$d/models"',
    'ls "$in/Training/apple" > "$d/features/seen.txt"',
    'echo model > "$d/models/pca.bin"',
    `echo '{"status":"failed","run_id":"'$id'","error":"RuntimeError: late"}' > "$d/summary.json"`,
    'echo "FRUITS_RUN_SUMMARY file://$PWD/$d/summary.json"',
    'exit 1',
  ].join('\n') + '\n');
  chmodSync(fake, 0o755);
  const env: Record<string, string> = vmEnv({
    FRUITS_VMRUN: VMRUN_STUB, FRUITS_VM_VMX: vmx, FRUITS_VM_SNAPSHOT: 'clean', FRUITS_VM_AFTER_RUN: 'suspend', FRUITS_VM_SPARK_SUBMIT: fake,
    VMRUN_STUB_DIR: stubState, VMRUN_STUB_SNAPSHOTS: 'clean',
  });
  delete env.FRUITS_VM_HOST;
  const r = await fruits(['run', 'vm', '--input', input, '--run-id', 'snap1', '--json'], env);
  expect(r.exitCode).toBe(1);
  const calls = readFileSync(join(stubState, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(2).join(' '));
  expect(calls).toEqual([`revertToSnapshot ${vmx} clean`, 'list', `start ${vmx} nogui`, `getGuestIPAddress ${vmx} -wait`, `suspend ${vmx} soft`]);
  const home = join(cwd, 'fruits-runs', 'snap1');
  expect(JSON.parse(r.stdout)).toMatchObject({ exitCode: 1, jobExitCode: 1, localRun: home, summary: { status: 'failed', error: 'RuntimeError: late' } });
  expect(readFileSync(join(home, 'features', 'seen.txt'), 'utf8').trim().split('\n')).toEqual(readdirSync(join(input, 'Training', 'apple'))); // the job saw the synced photos
  expect(readFileSync(join(home, 'models', 'pca.bin'), 'utf8')).toBe('model\n');
  expect(existsSync(join(vmx.replace(/\.vmx$/, '.vmss')))).toBe(true); // suspended

  // VMware Tools never reporting an address: bounded, one line with the fix (the VM is left running, to look into)
  const t0 = Date.now();
  const noTools = await fruits(['run', 'vm', '--input', input, '--run-id', 'snap2'], { ...env, VMRUN_STUB_TOOLS: '0', FRUITS_VM_START_TIMEOUT_SECONDS: '2' });
  expect(noTools.exitCode).toBe(3);
  expect(noTools.stderr.trim().split('\n').at(-1)).toMatch(/^error: VMware Tools in the VM reported no address within 2 s; install VMware Tools in the VM/);
  expect(Date.now() - t0).toBeLessThan(60_000);
}, 120_000);

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

test('vm-setup copies the script, the shared Python installer and requirements to the VM; --dry-run shows the commands', async () => {
  const dry = await fruits(['vm-setup', '--dry-run', '--json'], vmEnv());
  expect(dry.exitCode).toBe(0);
  const plan = JSON.parse(dry.stdout);
  expect(plan.copy.slice(-4)).toEqual([
    join(ROOT, 'bootstrap', 'vm-setup.sh'),
    join(ROOT, 'bootstrap', 'install-python-requirements.sh'),
    join(ROOT, 'requirements.txt'),
    `${sshd.user}@127.0.0.1:${remoteWork}/setup/`,
  ]);
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

