// runner/commands/doctor.ts: its pure helpers (requirement pins, exit code of a set of checks).
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mktemp } from '../../../helpers/runner.js';
import { doctorExit } from '../../../../runner/commands/doctor.js';
import { parsePins } from '../../../../runner/doctor/local.js';
import { tunnelKeyCheck } from '../../../../runner/doctor/emr.js';
import { fromAwsError } from '../../../../runner/aws/errors.js';

describe('small helpers', () => {
  test('requirement pins', () => {
    const pins = parsePins(readFileSync(new URL('../../../../requirements.txt', import.meta.url), 'utf8'));
    expect(pins.get('pyspark')).toMatch(/^3\.5\./);
    expect(parsePins('a==1\n# b==2\nmoto[server]==5.1 ; python_version>"3"\nc>=3')).toEqual(new Map([['a', '1'], ['moto', '5.1']]));
  });

  test('doctor exit: 0 all ok, 4 only auth misses, 3 otherwise', () => {
    const ok = { area: 'local' as const, name: 'x', status: 'ok' as const, detail: '' };
    expect(doctorExit([ok, { ...ok, status: 'skip' }])).toBe(0);
    expect(doctorExit([ok, { ...ok, status: 'miss', auth: true }])).toBe(4);
    expect(doctorExit([{ ...ok, status: 'miss' }, { ...ok, status: 'miss', auth: true }])).toBe(3);
  });

  test('AWS error mapping', () => {
    const denied = fromAwsError(Object.assign(new Error('User: x is not authorized'), { name: 'AccessDeniedException' }), 'AddJobFlowSteps');
    expect(denied.exitCode).toBe(4);
    expect(fromAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'x').message).toMatch(/no AWS credentials/);
    expect(fromAwsError(new Error('boom'), 'x').exitCode).toBe(1);
  });
});

test('tunnel key check: the problem in the detail, only the fix in the fix line', () => {
  const dir = mktemp('fruits-doctor-key-');
  const gone = join(dir, 'gone');
  expect(tunnelKeyCheck(undefined)).toMatchObject({ status: 'skip' });
  expect(tunnelKeyCheck(gone)).toEqual({ area: 'emr', name: 'tunnel key', status: 'miss', detail: `${gone} not found`, fix: 'set tunnel.key / FRUITS_SSH_KEY (default: publicKeyPath without .pub)' });
  const key = join(dir, 'id');
  writeFileSync(key, 'k');
  chmodSync(key, 0o644);
  expect(tunnelKeyCheck(key)).toMatchObject({ status: 'miss', detail: `${key} is readable by others`, fix: `ssh refuses keys others can read: chmod 600 ${key}` });
  chmodSync(key, 0o600);
  expect(tunnelKeyCheck(key)).toEqual({ area: 'emr', name: 'tunnel key', status: 'ok', detail: key });
});
