// main.ts end to end, as `npx cdktf synth` runs it (tsx, no terraform, no network).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir, writePublicKey } from '../../helpers/stacks.js';

const TSX = join(REPO_ROOT, 'node_modules/.bin/tsx');

/** A config file for main.ts (FRUITS_CONFIG), so a developer's own fruits.config.json at the checkout root never leaks in. */
function configFile(settings: object, dir = tempDir()): string {
  const path = join(dir, 'fruits.config.json');
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

function runMain(env: Record<string, string>, cwd = tempDir()) {
  const outdir = join(tempDir(), 'cdktf.out');
  // A clean environment: no FRUITS_* from the developer's shell; an empty config file unless the test gives one.
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FRUITS_')));
  const result = spawnSync(TSX, [join(REPO_ROOT, 'main.ts')], {
    cwd,
    env: { ...baseEnv, CDKTF_OUTDIR: outdir, FRUITS_CONFIG: configFile({}), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { ...result, outdir };
}

describe('main.ts', () => {
  test('fresh machine, nothing configured: fruits-state is synthesized (it needs no operator settings); one note names what fruits-emr lacks', () => {
    const r = runMain({});
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^note: fruits-emr not synthesized \(only fruits-state\): operatorCidr is not set; set FRUITS_OPERATOR_CIDR=/);
    expect(existsSync(join(r.outdir, 'stacks/fruits-state/cdk.tf.json'))).toBe(true);
    expect(existsSync(join(r.outdir, 'stacks/fruits-emr'))).toBe(false);
  });

  test('a bad setting still fails the whole synth: one error line, exit 2, no stack trace', () => {
    const r = runMain({ FRUITS_CORE_INSTANCE_TYPE: 't3.xlarge' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: FRUITS_CORE_INSTANCE_TYPE "t3.xlarge" is a burstable/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    expect(existsSync(join(r.outdir, 'stacks'))).toBe(false);
  });

  test('missing public key file: exit 2 with the path and the fix', () => {
    const r = runMain({ FRUITS_OPERATOR_CIDR: '203.0.113.7/32', FRUITS_PUBLIC_KEY_PATH: '/nonexistent/k.pub' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^error: public key file \/nonexistent\/k\.pub does not exist; set FRUITS_PUBLIC_KEY_PATH/);
  });

  test('0.0.0.0/0 is refused without the override', () => {
    const { path } = writePublicKey();
    const r = runMain({ FRUITS_OPERATOR_CIDR: '0.0.0.0/0', FRUITS_PUBLIC_KEY_PATH: path });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('FRUITS_ALLOW_OPEN_SSH');
  });

  test('with a config file and a key, both stacks are synthesized', () => {
    const cwd = tempDir();
    const { path, key } = writePublicKey(cwd);
    const config = configFile({ operatorCidr: '198.51.100.0/24', publicKeyPath: path, namePrefix: 'ops' }, cwd);
    const r = runMain({ FRUITS_CONFIG: config }, cwd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const emr = JSON.parse(readFileSync(join(r.outdir, 'stacks/fruits-emr/cdk.tf.json'), 'utf8'));
    const state = JSON.parse(readFileSync(join(r.outdir, 'stacks/fruits-state/cdk.tf.json'), 'utf8'));
    expect(Object.values(emr.resource.aws_key_pair as Record<string, { public_key: string }>)[0]!.public_key).toBe(
      key.split(' ').slice(0, 2).join(' '),
    );
    expect(Object.keys(state.resource.aws_s3_bucket)).toHaveLength(1);
    // Default state: cdktf's embedded local backend, one file per stack.
    expect(Object.keys(emr.terraform.backend)).toEqual(['local']);
    expect(Object.keys(state.terraform.backend)).toEqual(['local']);
    // The bootstrap files are copied next to the stack so terraform finds them.
    const object = Object.values(emr.resource.aws_s3_object as Record<string, { source: string }>)[0]!;
    expect(existsSync(join(r.outdir, 'stacks/fruits-emr', object.source))).toBe(true);
  });

  test('FRUITS_STATE_BUCKET switches fruits-emr (only) to the S3 backend', () => {
    const { path } = writePublicKey();
    const r = runMain({ FRUITS_OPERATOR_CIDR: '203.0.113.7/32', FRUITS_PUBLIC_KEY_PATH: path, FRUITS_STATE_BUCKET: 'team-tfstate' });
    expect(r.status).toBe(0);
    const emr = JSON.parse(readFileSync(join(r.outdir, 'stacks/fruits-emr/cdk.tf.json'), 'utf8'));
    const state = JSON.parse(readFileSync(join(r.outdir, 'stacks/fruits-state/cdk.tf.json'), 'utf8'));
    expect(emr.terraform.backend.s3).toMatchObject({ bucket: 'team-tfstate', use_lockfile: true, encrypt: true });
    expect(Object.keys(state.terraform.backend)).toEqual(['local']);
  });

  test('the example config is complete and valid once the key path exists', () => {
    const example = JSON.parse(readFileSync(join(REPO_ROOT, 'fruits.config.example.json'), 'utf8'));
    const cwd = tempDir();
    const { path } = writePublicKey(cwd);
    const r = runMain({ FRUITS_CONFIG: configFile({ ...example, publicKeyPath: path }, cwd) }, cwd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('tsx is what cdktf.json runs', () => {
    const cdktf = JSON.parse(execFileSync('cat', [join(REPO_ROOT, 'cdktf.json')], { encoding: 'utf8' }));
    expect(cdktf.app).toBe('npx tsx main.ts');
  });
});

