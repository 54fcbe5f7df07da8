// runner/commands/doctor.ts: `fruits doctor` checks and their fixes, in-process (no AWS calls).
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportError } from '../../../../runner/platform/report-error.js';
import { missFrom } from '../../../../runner/doctor/check.js';
import { pinMismatches } from '../../../../runner/doctor/local.js';
import { captureOutput } from '../../../helpers/runner.js';
import { EMR_OUTPUTS_WITH_MASTER, inProcessCli } from '../../../helpers/in-process-cli.js';
import { synthEmr } from '../../../helpers/stacks.js';

const { dir, cli } = inProcessCli(EMR_OUTPUTS_WITH_MASTER, 'fruits-ops-');
const key = join(dir, 'ops.pem');
writeFileSync(key, 'not a real key');
chmodSync(key, 0o600);

describe('doctor', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('--target emr --offline: outputs and credentials found -> exit 0', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' });
    const r = await cli(['doctor', '--target', 'emr', '--offline', '--json']);
    const checks = r.data!.checks as { name: string; status: string }[];
    expect(checks.find((c) => c.name === 'stack outputs')!.status).toBe('ok');
    expect(checks.find((c) => c.name === 'aws credentials')!.status).toBe('ok');
    expect(checks.find((c) => c.name === 'cluster')!.status).toBe('skip');
    expect(r.code).toBe(0);
  });

  test('compute transient: no cluster_id is expected (each run creates its cluster)', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' });
    const file = join(dir, 'transient-outputs.json');
    writeFileSync(file, JSON.stringify({ 'fruits-emr': { compute: 'transient', region: 'us-east-1', input_uri: 's3://d/images/', results_uri: 's3://d/results/', code_uri: 's3://a/code/', log_uri: 's3://l/emr-logs/' } }));
    const r = await cli(['doctor', '--target', 'emr', '--json'], { env: { FRUITS_OUTPUTS_FILE: file } });
    const checks = r.data!.checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'stack outputs')!.status).toBe('ok');
    expect(checks.find((c) => c.name === 'cluster')).toMatchObject({ status: 'skip', detail: 'compute transient: each run creates its cluster' });
  });

  test('compute serverless: the application outputs are expected instead of a cluster id', async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' });
    const file = join(dir, 'serverless-outputs.json');
    // Exactly the outputs a serverless stack has (no cluster_id, no cluster log_uri), with made-up values.
    const names = Object.keys(synthEmr({ compute: 'serverless', serverless: { imageTag: 'fruits-0123456789abcdef' } }).output as object);
    const synthesized = Object.fromEntries(names.map((n) => [n, n === 'compute' ? 'serverless' : n === 'region' ? 'us-east-1' : `s3://made-up/${n}/`]));
    writeFileSync(file, JSON.stringify({ 'fruits-emr': synthesized }));
    const r = await cli(['doctor', '--target', 'emr', '--offline', '--json'], { env: { FRUITS_OUTPUTS_FILE: file } });
    const checks = r.data!.checks as { name: string; status: string; detail: string }[];
    expect(checks.find((c) => c.name === 'stack outputs')).toMatchObject({ status: 'ok', detail: `${file} (compute serverless)` });
    expect(checks.find((c) => c.name === 'serverless application')).toMatchObject({ status: 'skip', detail: '--offline' });
    expect(checks.find((c) => c.name === 'cluster')).toBeUndefined();
    // Without the application outputs the serverless deploy is incomplete: named, with the fix.
    const { serverless_application_id: _a, serverless_job_role_arn: _r, serverless_log_uri: _l, ...incomplete } = synthesized;
    writeFileSync(file, JSON.stringify({ 'fruits-emr': incomplete }));
    const miss = await cli(['doctor', '--target', 'emr', '--offline', '--json'], { env: { FRUITS_OUTPUTS_FILE: file } });
    expect((miss.data!.checks as { name: string; status: string; detail: string }[]).find((c) => c.name === 'stack outputs'))
      .toMatchObject({ status: 'miss', detail: `${file} lacks serverless_application_id, serverless_job_role_arn, serverless_log_uri` });
  });

  test('no credentials -> exit 4 with the fix; missing outputs too -> exit 3', async () => {
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) delete process.env[k];
    Object.assign(process.env, { AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') });
    const r = await cli(['doctor', '--target', 'emr', '--offline']);
    expect(r.code).toBe(4);
    expect(r.out.results[0]!.human).toMatch(/MISS \[emr\] aws credentials[\s\S]*fix: aws configure/);
    const r2 = await cli(['doctor', '--target', 'emr', '--offline'], { env: { FRUITS_OUTPUTS_FILE: join(dir, 'missing.json') } });
    expect(r2.code).toBe(3);
    expect(r2.out.results[0]!.human).toMatch(/MISS \[emr\] stack outputs .*missing.json not found\n\s+fix: run `npm run deploy/);
  });

  test('--target local finds java, spark-submit and the pinned packages', async () => {
    const r = await cli(['doctor', '--target', 'local', '--json']);
    const checks = Object.fromEntries((r.data!.checks as { name: string; status: string; detail: string }[]).map((c) => [c.name, c]));
    expect(checks['java']!.status).toBe('ok');
    expect(checks['spark-submit']!.status).toBe('ok');
    expect(checks['python packages']).toMatchObject({ status: 'ok', detail: expect.stringMatching(/pinned packages match/) });
  }, 60_000);

  // Paths may hold ':' (a Windows-style name, an s3:// URI): the problem and fix come from the
  // error's fields, not from splitting its message on ':'.
  test('a miss shows the error\'s problem and fix even when the problem holds ":"', async () => {
    const key = join(dir, 'C:\\keys\\id_vm');
    const vm = await cli(['doctor', '--target', 'vm', '--json'], { env: { FRUITS_VM_HOST: 'vm.example', FRUITS_VM_KEY: key } });
    expect((vm.data!.checks as object[]).find((c) => (c as { name: string }).name === 'vm config')).toMatchObject({
      status: 'miss', detail: `VM ssh key ${key} not found`, fix: 'fix vm.key / FRUITS_VM_KEY / --key',
    });
    const python = join(dir, 'py:3.11', 'python');
    const local = await cli(['doctor', '--target', 'local', '--json'], { env: { FRUITS_PYTHON: python } });
    expect((local.data!.checks as object[]).find((c) => (c as { name: string }).name === 'python')).toMatchObject({
      status: 'miss', detail: `python ${python} is not executable`, fix: 'fix local.python / FRUITS_PYTHON',
    });
  }, 60_000);

  test('any error with a string problem and a numeric exitCode is structured (the config module\'s ConfigError too)', () => {
    const configError = Object.assign(new Error('config vm.port must be an integer: fix it'), { name: 'ConfigError', problem: 'config vm.port must be an integer', fix: 'fix it', exitCode: 2 });
    expect(missFrom(configError, 'fallback')).toEqual({ detail: 'config vm.port must be an integer', fix: 'fix it' });
    expect(missFrom(new Error('a: b'), 'fallback')).toEqual({ detail: 'a: b', fix: 'fallback' });
    const out = captureOutput();
    expect(reportError(configError, out, {})).toBe(2);
    expect(out.errors).toEqual(['error: config vm.port must be an integer: fix it']);
  });

  test('pin mismatches are listed by name', () => {
    expect(pinMismatches(new Map([['a', '1'], ['b', '2'], ['c', '3']]), { a: '1', b: '2.1', c: null })).toEqual(['b 2.1 (pinned 2)', 'c missing (pinned 3)']);
  });
});
