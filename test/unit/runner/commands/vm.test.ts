// `fruits vm start|stop|suspend|status` and the VMware checks of doctor, in-process, against
// the vmrun stub (test/helpers/vmrun-stub/vmrun: records its calls, answers like vmrun).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { ROOT, captureOutput, mktemp } from '../../../helpers/runner.js';

const STUB = join(ROOT, 'test', 'helpers', 'vmrun-stub', 'vmrun');
let state: string;
let vmx: string;
const calls = () => (existsSync(join(state, 'calls.log')) ? readFileSync(join(state, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(2).join(' ')) : []);

beforeEach(() => {
  const dir = mktemp('fruits-vmx-');
  vmx = join(dir, 'ubuntu.vmx');
  writeFileSync(vmx, '.encoding = "UTF-8"\n');
  state = join(dir, 'stub');
  process.env.VMRUN_STUB_DIR = state;
  delete process.env.VMRUN_STUB_TOOLS;
  delete process.env.VMRUN_STUB_SOFT_FAILS;
});
afterAll(() => delete process.env.VMRUN_STUB_DIR);

const fruits = async (args: string[], env: Record<string, string> = {}) => {
  const out = captureOutput(true);
  const code = await main([...args, '--json'], { out, env: { FRUITS_VMRUN: STUB, FRUITS_VM_VMX: vmx, FRUITS_VM_START_TIMEOUT_SECONDS: '2', ...env } });
  return { code, out, data: out.results[0]?.data as Record<string, unknown> | undefined };
};

test('status, start (headless, then the address), suspend, stop: what vmrun is asked and what it answers', async () => {
  expect((await fruits(['vm', 'status'])).data).toMatchObject({ state: 'off', vmx });
  const start = await fruits(['vm', 'start']);
  expect(start.code).toBe(0);
  expect(start.data).toMatchObject({ state: 'running', address: '127.0.0.1', started: true });
  expect(calls()).toEqual(['list', 'list', `start ${vmx} nogui`, `getGuestIPAddress ${vmx} -wait`]);
  expect((await fruits(['vm', 'start'])).data).toMatchObject({ started: false }); // already running: not started twice
  expect(calls().filter((c) => c.startsWith('start'))).toHaveLength(1);
  expect((await fruits(['vm', 'status'])).data).toMatchObject({ state: 'running', address: '127.0.0.1' });
  expect((await fruits(['vm', 'suspend'])).data).toMatchObject({ state: 'suspended', changed: true });
  expect(calls().at(-1)).toBe(`suspend ${vmx} soft`);
  expect((await fruits(['vm', 'status'])).data).toMatchObject({ state: 'suspended' });
  expect((await fruits(['vm', 'stop'])).data).toMatchObject({ state: 'suspended', changed: false });
  await fruits(['vm', 'start']);
  process.env.VMRUN_STUB_SOFT_FAILS = '1';
  const stop = await fruits(['vm', 'stop']);
  expect(stop.data).toMatchObject({ state: 'off', changed: true });
  expect(calls().slice(-2)).toEqual([`stop ${vmx} soft`, `stop ${vmx} hard`]); // soft failed (no VMware Tools): hard
  expect(stop.out.infos.join('\n')).toMatch(/vmrun stop soft failed \(The VMware Tools are not running/);
});

test('--dry-run shows the vmrun command and runs nothing', async () => {
  const r = await fruits(['vm', 'start', '--dry-run']);
  expect(r.data).toEqual({ action: 'start', vmrun: [STUB, '-T', 'ws', 'start', vmx, 'nogui'] });
  expect(calls()).toEqual([]);
});

test('failure modes: one line each with the fix', async () => {
  const noVmrun = await fruits(['vm', 'status'], { FRUITS_VMRUN: join(state, 'nope') });
  expect(noVmrun.code).toBe(3);
  expect(noVmrun.out.errors).toEqual([expect.stringMatching(/^error: vmrun .*nope not found; fix vm\.vmrun/)]);
  const noVmx = await fruits(['vm', 'start'], { FRUITS_VM_VMX: join(state, 'gone.vmx') });
  expect(noVmx.code).toBe(2);
  expect(noVmx.out.errors).toEqual([expect.stringMatching(/^error: VM file .*gone\.vmx not found; fix vm\.vmx/)]);
  const unset = await fruits(['vm', 'status'], { FRUITS_VM_VMX: '' });
  expect(unset.out.errors).toEqual([expect.stringMatching(/^error: vm\.vmx is not set; set vm\.vmx/)]);
  process.env.VMRUN_STUB_TOOLS = '0';
  const t0 = Date.now();
  const noAddress = await fruits(['vm', 'start']);
  expect(noAddress.code).toBe(3);
  expect(noAddress.out.errors).toEqual([expect.stringMatching(/^error: VMware Tools in the VM reported no address within 2 s; install VMware Tools in the VM \(Ubuntu: sudo apt-get install open-vm-tools\), give it a NAT or host-only network adapter, or set vm\.host/)]);
  expect(Date.now() - t0).toBeLessThan(30_000); // bounded: -wait alone would block for ever
  const status = await fruits(['vm', 'status']);
  expect(status.data).toMatchObject({ state: 'running', address: undefined });
  expect(status.out.results[0]!.human).toMatch(/running \(no address yet: VMware Tools in the VM reported no address \(The VMware Tools are not running/);
  const bad = await fruits(['vm', 'reboot']);
  expect(bad.out.errors).toEqual(['error: unknown vm action "reboot"; fruits vm <start|stop|suspend|status>']);
});

test('doctor --target vm checks rsync, vmrun, the .vmx, the state and the address', async () => {
  await fruits(['vm', 'start']);
  const r = await fruits(['doctor', '--target', 'vm', '--offline']);
  const byName = Object.fromEntries((r.data!.checks as { name: string; status: string }[]).map((c) => [c.name, c.status]));
  expect(byName).toMatchObject({ rsync: 'ok', vmrun: 'ok', 'vm file': 'ok', 'vm state': 'skip' });
  const online = await fruits(['doctor', '--target', 'vm'], { FRUITS_VM_PORT: '1' });
  const checks = online.data!.checks as { name: string; status: string; detail: string }[];
  expect(checks.find((c) => c.name === 'vm state')).toMatchObject({ status: 'ok', detail: 'running' });
  expect(checks.find((c) => c.name === 'vm address')).toMatchObject({ status: 'ok', detail: '127.0.0.1 (reported by VMware Tools)' });
  expect(checks.find((c) => c.name === 'vm reachable')).toMatchObject({ status: 'miss' }); // nothing listens on port 1: ssh is tried at the reported address
  const missing = await fruits(['doctor', '--target', 'vm', '--offline'], { FRUITS_VMRUN: join(state, 'nope'), FRUITS_VM_VMX: join(state, 'gone.vmx') });
  const m = Object.fromEntries((missing.data!.checks as { name: string; status: string }[]).map((c) => [c.name, c.status]));
  expect(m).toMatchObject({ vmrun: 'miss', 'vm file': 'miss' });
  expect(missing.code).toBe(3);
});
