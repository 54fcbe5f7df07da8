// runner/targets/vm.ts: the VM target's rough edges, in-process (dry runs, temp paths, code folder pruning).
import { execa } from 'execa';
import { mkdirSync, utimesSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { remotePruneCommand } from '../../../../runner/argv/ssh.js';
import { unreachable } from '../../../../runner/platform/vm-ssh.js';
import { captureOutput, mktemp } from '../../../helpers/runner.js';
import { mockedAws } from '../../../helpers/in-process-cli.js';

mockedAws();

describe('vm rough edges', () => {
  const vmEnv = { FRUITS_VM_HOST: '192.0.2.10' };
  test('--dry-run prints no temp paths (nothing is staged) and shows where each file comes from', async () => {
    const r = await main(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'd1', '--dry-run', '--json'], { out: captureOutput(true), env: vmEnv });
    expect(r).toBe(0);
    const out = captureOutput(true);
    await main(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'd1', '--dry-run', '--json'], { out, env: vmEnv });
    const plan = out.results[0]!.data as { copyFiles: Record<string, string>; prune: string[] };
    expect(JSON.stringify(plan)).not.toMatch(/fruits-vm-/);
    expect(existsSync(plan.copyFiles['run_job.py']!)).toBe(true);
    expect(existsSync(plan.copyFiles['requirements.txt']!)).toBe(true);
    expect(plan.prune.at(-1)).toMatch(/tail -n \+6/); // keeps the newest 5 by default
  });

  test('old code/<run-id>/ folders are pruned to the newest N; a folder whose job still runs is kept', async () => {
    const code = join(mktemp('fruits-prune-'), 'code');
    for (let i = 0; i < 7; i++) {
      mkdirSync(join(code, `run-${i}`), { recursive: true });
      const t = new Date(Date.UTC(2026, 0, 1 + i));
      utimesSync(join(code, `run-${i}`), t, t);
    }
    writeFileSync(join(code, 'run-0', 'job.pid'), '123');
    const t0 = new Date(Date.UTC(2026, 0, 1));
    utimesSync(join(code, 'run-0'), t0, t0);
    const r = await execa('sh', ['-c', remotePruneCommand(code, 3)], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(readdirSync(code).sort()).toEqual(['run-0', 'run-4', 'run-5', 'run-6']);
  });

  test('a host-key failure names ssh-keyscan and vm.strictHostKeyChecking', () => {
    const t = { host: '192.0.2.10', user: 'ubuntu', port: 2222, strictHostKeyChecking: 'yes' as const, connectTimeoutSeconds: 10, knownHosts: '/k/known_hosts' };
    const e = unreachable(t, ['No ED25519 host key is known for [192.0.2.10]:2222 and you have requested strict checking.', 'Host key verification failed.']);
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/ssh-keyscan -p 2222 192\.0\.2\.10 >> \/k\/known_hosts/);
    expect(e.message).toMatch(/vm\.strictHostKeyChecking to accept-new/);
    expect(e.message).not.toMatch(/check that the VM is running/);
    expect(unreachable(t, ['ssh: connect to host 192.0.2.10 port 2222: Connection refused']).message).toMatch(/check that the VM is running/);
  });
});
