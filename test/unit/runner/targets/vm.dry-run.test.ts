// `fruits run vm --dry-run` with vm.vmx: every vmrun command and every transfer, nothing run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { ROOT, captureOutput, mktemp } from '../../../helpers/runner.js';

const STUB = join(ROOT, 'test', 'helpers', 'vmrun-stub', 'vmrun');

test('dry run: revert, start, address, push, run, pull, suspend; nothing is asked of VMware', async () => {
  const dir = mktemp('fruits-vm-dry-');
  const vmx = join(dir, 'ubuntu.vmx');
  writeFileSync(vmx, '');
  const photos = join(dir, 'photos');
  mkdirSync(photos);
  process.env.VMRUN_STUB_DIR = join(dir, 'stub');
  const env = { FRUITS_VMRUN: STUB, FRUITS_VM_VMX: vmx, FRUITS_VM_SNAPSHOT: 'clean', FRUITS_VM_AFTER_RUN: 'suspend', FRUITS_VM_KEY: '' };
  const out = captureOutput(true);
  expect(await main(['run', 'vm', '--input', photos, '--run-id', 'd1', '--dry-run', '--json'], { out, env })).toBe(0);
  const plan = out.results[0]!.data as Record<string, string[] | Record<string, string[]>>;
  expect(plan.vmrun).toEqual({
    revert: [STUB, '-T', 'ws', 'revertToSnapshot', vmx, 'clean'],
    start: [STUB, '-T', 'ws', 'start', vmx, 'nogui'],
    address: [STUB, '-T', 'ws', 'getGuestIPAddress', vmx, '-wait'],
    after: [STUB, '-T', 'ws', 'suspend', vmx, 'soft'],
  });
  const push = plan.push as string[];
  expect(push.slice(0, 9)).toEqual(['rsync', '--archive', '--partial', '--partial-dir=.rsync-partial', '--stats', '--info=progress2', '--no-inc-recursive', '--checksum', '--delete']);
  expect(push.at(-2)).toBe(`${photos}/`);
  expect(push.at(-1)).toMatch(/^ubuntu@VM-ADDRESS:fruits\/inputs\/photos-[0-9a-f]{8}\/$/);
  expect((plan.pull as string[]).slice(-2)).toEqual(['ubuntu@VM-ADDRESS:fruits/runs/d1/', `${join(process.cwd(), 'fruits-runs', 'd1')}/`]);
  expect((plan.run as string[]).at(-1)).toMatch(/--input "\$HOME"\/fruits\/inputs\/photos-[0-9a-f]{8} --output runs --run-id d1/);
  expect((plan.prepare as string[]).at(-1)).toMatch(/^mkdir -p "\$HOME"\/fruits\/code\/d1 "\$HOME"\/fruits\/inputs\/photos-/);
  const human = out.results[0]!.human;
  expect(human.split('\n')[1]).toMatch(/start .* nogui {3}# only if the VM is not running$/);
  expect(human).toMatch(/# run folder home: rsync .* ubuntu@VM-ADDRESS:fruits\/runs\/d1\//);
  expect(human.split('\n').at(-1)).toMatch(/suspend .*ubuntu\.vmx soft$/);
  delete process.env.VMRUN_STUB_DIR;
});
