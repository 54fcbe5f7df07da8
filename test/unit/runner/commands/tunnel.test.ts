// runner/commands/tunnel.ts: `fruits tunnel` (dry run argv, key defaults and checks), in-process.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMR_OUTPUTS_WITH_MASTER, inProcessCli } from '../../../helpers/in-process-cli.js';

const { dir, cli } = inProcessCli(EMR_OUTPUTS_WITH_MASTER, 'fruits-ops-');
const key = join(dir, 'ops.pem');
writeFileSync(key, 'not a real key');
chmodSync(key, 0o600);

describe('tunnel', () => {
  test('--dry-run: ssh -D 8157 to hadoop@master, JupyterHub URL and FoxyProxy config', async () => {
    const r = await cli(['tunnel', '--key', key, '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({
      argv: ['ssh', '-i', key, '-N', '-D', '8157', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=30', '-o', 'IdentitiesOnly=yes', 'hadoop@ec2-1-2-3-4.eu-west-1.compute.amazonaws.com'],
      jupyterHub: 'https://ec2-1-2-3-4.eu-west-1.compute.amazonaws.com:9443',
      foxyProxy: { data: [{ port: '8157', type: 'socks5' }] },
    });
  });

  test('--foxyproxy prints only the importable JSON, on the chosen port', async () => {
    const r = await cli(['tunnel', '--foxyproxy', '--port', '9999']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out.results[0]!.human).data[0].port).toBe('9999');
  });

  test('without --key the tunnel uses the private half of the stack publicKeyPath; --key still wins', async () => {
    const priv = join(dir, 'stack_ed25519');
    writeFileSync(priv, 'not a real key');
    chmodSync(priv, 0o600);
    const derived = await cli(['tunnel', '--dry-run', '--json'], { env: { FRUITS_PUBLIC_KEY_PATH: `${priv}.pub` } });
    expect(derived.code).toBe(0);
    expect((derived.data!.argv as string[]).slice(0, 3)).toEqual(['ssh', '-i', priv]);
    const flag = await cli(['tunnel', '--dry-run', '--json', '--key', key], { env: { FRUITS_PUBLIC_KEY_PATH: `${priv}.pub` } });
    expect((flag.data!.argv as string[]).slice(0, 3)).toEqual(['ssh', '-i', key]);
    const missing = await cli(['tunnel', '--dry-run'], { env: { FRUITS_PUBLIC_KEY_PATH: join(dir, 'gone.pub') } });
    expect(missing.code).toBe(2);
    expect(missing.out.errors[0]).toBe(`error: ssh key ${join(dir, 'gone')} not found; pass --key or set FRUITS_SSH_KEY / tunnel.key (default: publicKeyPath without .pub)`);
  });

  test('no key, missing key, key readable by others: usage errors with the fix', async () => {
    expect((await cli(['tunnel', '--dry-run'])).out.errors[0]).toMatch(/no ssh key for the EMR master; pass --key or set FRUITS_SSH_KEY/);
    expect((await cli(['tunnel', '--dry-run', '--key', join(dir, 'none.pem')])).code).toBe(2);
    const open = join(dir, 'open.pem');
    writeFileSync(open, 'x');
    chmodSync(open, 0o644);
    const r = await cli(['tunnel', '--dry-run'], { env: { FRUITS_SSH_KEY: open } });
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toMatch(/chmod 600/);
  });
});
