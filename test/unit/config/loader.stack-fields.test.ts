// config/: the stacks' fields of fruits.config.json (rules, operator CIDR width, public keys, the file loader).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
ConfigError,
DEFAULT_RELEASE_LABEL,
type Env,
instanceTypeProblem,
KNOWN_EMR_7_RELEASES,
loadConfig,
parsePublicKey,
readPublicKey,
releaseLabelProblem,
requireOperatorAccess,
resolveConfig as resolveAll,
resolveUserPath,
RUNNER_SECTIONS,
validateOperatorCidr,
} from '../../../config/index.js';
import { readFileSync } from 'node:fs';
import { makePublicKey, OPERATOR_CIDR, REPO_ROOT, tempDir, writePublicKey } from '../../helpers/stacks.js';

/** The stacks' view: the file's content and the environment (the one loader, config/). */
const resolveConfig = (file: unknown, env: Env) => resolveAll({ file, env });
/** The stacks' fields only (the runner's sections are checked in test/unit/config/loader.runner-sections.test.ts). */
const stackPart = (c: object) => Object.fromEntries(Object.entries(c).filter(([k]) => !(RUNNER_SECTIONS as readonly string[]).includes(k)));

const REQUIRED = { operatorCidr: OPERATOR_CIDR, publicKeyPath: '~/.ssh/fruits.pub' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n'); // one line, always
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  test('applies documented defaults around the two required settings', () => {
    const config = resolveConfig(REQUIRED, {});
    expect(stackPart(config)).toEqual({
      region: 'us-east-1',
      namePrefix: 'fruits',
      operatorCidr: OPERATOR_CIDR,
      publicKeyPath: '~/.ssh/fruits.pub',
      masterInstanceType: 'm5.xlarge',
      coreInstanceType: 'm5.xlarge',
      coreInstanceCount: 2,
      releaseLabel: DEFAULT_RELEASE_LABEL,
      allowUnknownReleaseLabel: false,
      idleTimeoutMinutes: 20,
      compute: 'cluster',
      capacity: {
        masterTypes: ['m5.xlarge'],
        coreTypes: ['m5.xlarge'],
        taskTypes: ['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge'],
        taskSpotUnits: 0,
        spotTimeoutMinutes: 10,
        allocationStrategy: true,
        maxTaskUnits: 0,
      },
      serverless: { maxVcpu: 16, maxMemoryGb: 64, idleMinutes: 5, preInitializedExecutors: 0 },
      jupyterHub: false,
      allowOpenSsh: false,
      logRetentionDays: 30,
      forceDestroyBuckets: false,
      stateRegion: 'us-east-1',
    });
    expect(config.stateBucket).toBeUndefined();
  });

  test('environment variables override the file and are coerced to their types', () => {
    const config = resolveConfig(
      { ...REQUIRED, region: 'eu-west-1', coreInstanceCount: 2, jupyterHub: false },
      {
        FRUITS_REGION: 'eu-west-3',
        FRUITS_CORE_INSTANCE_COUNT: '4',
        FRUITS_JUPYTERHUB: 'yes',
        FRUITS_IDLE_TIMEOUT_MINUTES: '15',
        FRUITS_STATE_BUCKET: 'team-tfstate',
        FRUITS_CORE_INSTANCE_TYPE: '',
      },
    );
    expect(config.region).toBe('eu-west-3');
    expect(config.coreInstanceCount).toBe(4);
    expect(config.jupyterHub).toBe(true);
    expect(config.idleTimeoutMinutes).toBe(15);
    expect(config.stateBucket).toBe('team-tfstate');
    expect(config.stateRegion).toBe('eu-west-3'); // follows region unless set
    expect(config.coreInstanceType).toBe('m5.xlarge'); // empty env = unset
  });

  test('missing operator CIDR names the env var and the example file', () => {
    const e = configError(() => requireOperatorAccess(resolveConfig({ publicKeyPath: 'k.pub' }, {})));
    expect(e.message).toContain('FRUITS_OPERATOR_CIDR');
    expect(e.message).toContain('fruits.config.example.json');
  });

  test('missing public key path names FRUITS_PUBLIC_KEY_PATH', () => {
    const e = configError(() => requireOperatorAccess(resolveConfig({ operatorCidr: OPERATOR_CIDR }, {})));
    expect(e.message).toContain('FRUITS_PUBLIC_KEY_PATH');
  });

  test('a private key path (no .pub) is refused', () => {
    const e = configError(() => resolveConfig({ ...REQUIRED, publicKeyPath: '~/.ssh/id_ed25519' }, {}));
    expect(e.message).toMatch(/\.pub/);
  });

  test.each([
    ['operatorCidr', 'not-an-ip', /not an IPv4 CIDR/],
    ['operatorCidr', '300.1.1.1/32', /above 255/],
    ['operatorCidr', '203.0.113.7', /no prefix length.*203\.0\.113\.7\/32/],
    ['operatorCidr', '203.0.113.7/33', /above 32/],
    ['operatorCidr', '203.0.113.7/24', /host bits set; use "203\.0\.113\.0\/24"/],
    ['region', 'mars-1', /not an AWS region/],
    ['namePrefix', 'Fruits_Prod', /namePrefix/],
    ['masterInstanceType', 'huge', /not an EC2 instance type/],
    ['coreInstanceType', 'm6g.xlarge', /Graviton/],
    ['coreInstanceCount', 0, /between 1 and 50/],
    ['coreInstanceCount', 2.5, /whole number/],
    ['releaseLabel', 'emr-6.15.0', /EMR 7\.x/],
    ['releaseLabel', 'emr-7.99.0', /not an EMR 7 release this project knows.*allowUnknownReleaseLabel=true/],
    ['coreInstanceType', 't3.xlarge', /burstable/],
    ['masterInstanceType', 't4g.large', /burstable/],
    ['masterInstanceType', 't2.medium', /burstable/],
    ['coreInstanceType', 'a1.xlarge', /arm64/],
    ['coreInstanceType', 'c7gn.xlarge', /arm64/],
    ['idleTimeoutMinutes', 0, /between 1 and 10080/],
    ['jupyterHub', 'maybe', /true or false/],
    ['stateBucket', 'Bad_Bucket', /not a valid S3 bucket name/],
    ['logRetentionDays', 0, /between 1 and 3650/],
  ])('rejects %s=%p with a message naming the field', (field, value, pattern) => {
    const e = configError(() => resolveConfig({ ...REQUIRED, [field]: value }, {}));
    expect(e.message).toMatch(pattern);
    expect(e.message).toContain(`"${field}" in fruits.config.json`);
  });

  test('EMR 7 releases the project knows pass; a newer emr-7 label needs the explicit override', () => {
    for (const label of KNOWN_EMR_7_RELEASES) expect(releaseLabelProblem(label, false)).toBeUndefined();
    expect(KNOWN_EMR_7_RELEASES).toContain(DEFAULT_RELEASE_LABEL);
    expect(resolveConfig({ ...REQUIRED, releaseLabel: 'emr-7.99.0', allowUnknownReleaseLabel: true }, {}).releaseLabel).toBe('emr-7.99.0');
    expect(resolveConfig(REQUIRED, { FRUITS_RELEASE_LABEL: 'emr-7.99.0', FRUITS_ALLOW_UNKNOWN_RELEASE_LABEL: 'true' }).releaseLabel).toBe('emr-7.99.0');
    // The override never admits another major version.
    expect(releaseLabelProblem('emr-6.15.0', true)?.problem).toMatch(/EMR 7\.x/);
  });

  test('instance types: x86_64 general purpose passes; burstable and arm64 are refused', () => {
    for (const ok of ['m5.xlarge', 'm6i.2xlarge', 'r5d.4xlarge', 'c5.xlarge', 'm7a.xlarge']) expect(instanceTypeProblem(ok)).toBeUndefined();
    for (const t of ['t3.large', 't3a.xlarge', 't4g.xlarge', 't2.micro']) expect(instanceTypeProblem(t)?.problem).toMatch(/burstable/);
    for (const t of ['a1.xlarge', 'm6g.xlarge', 'm7gd.xlarge', 'r8g.large', 'c6gn.xlarge']) expect(instanceTypeProblem(t)?.problem).toMatch(/arm64/);
  });

  test('errors for env values name the environment variable', () => {
    const e = configError(() => resolveConfig(REQUIRED, { FRUITS_CORE_INSTANCE_COUNT: 'two' }));
    expect(e.message).toContain('FRUITS_CORE_INSTANCE_COUNT');
  });

  test('unknown fields (typos) are refused with the list of known ones', () => {
    const e = configError(() => resolveConfig({ ...REQUIRED, operatorCIDR: '1.2.3.4/32' }, {}));
    expect(e.message).toMatch(/unknown field "operatorCIDR".*operatorCidr/);
  });

  test('the runner\'s sections of the shared config file are ignored, not typos', () => {
    const config = resolveConfig({ ...REQUIRED, vm: { host: 'vm.local' }, emr: { pollSeconds: 5 }, jobDir: 'jobs' }, {});
    expect(config.operatorCidr).toBe(OPERATOR_CIDR);
  });

  test('the shared example config (stack fields + runner sections) is valid for the stacks', () => {
    const example = JSON.parse(readFileSync(join(REPO_ROOT, 'fruits.config.example.json'), 'utf8'));
    expect(example.vm).toBeDefined();
    expect(resolveConfig(example, {}).operatorCidr).toBe('203.0.113.7/32');
  });

  test('a non-object file is refused', () => {
    configError(() => resolveConfig(['a'], {}));
  });
});

describe('operator CIDR: nothing wider than /16 without allowOpenSsh', () => {
  test('0.0.0.0/0 is refused by default with the override named', () => {
    const e = configError(() => resolveConfig({ ...REQUIRED, operatorCidr: '0.0.0.0/0' }, {}));
    expect(e.message).toContain('allowOpenSsh');
    expect(e.message).toContain('FRUITS_ALLOW_OPEN_SSH');
    expect(e.message).toMatch(/4,294,967,296 addresses \(the whole internet\)/);
  });

  test.each([
    ['0.0.0.0/1', '2,147,483,648'],
    ['10.0.0.0/8', '16,777,216'],
    ['172.16.0.0/15', '131,072'],
  ])('%s is refused with a one-line error naming the field, the size and both fixes', (cidr, count) => {
    const e = configError(() => resolveConfig({ ...REQUIRED, operatorCidr: cidr }, {}));
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain('"operatorCidr" in fruits.config.json');
    expect(e.message).toContain(`"${cidr}" opens SSH on the master to ${count} addresses`);
    expect(e.message).toContain('/32');
    expect(e.message).toContain('allowOpenSsh=true');
    // The env var route is checked the same way.
    expect(() => resolveConfig(REQUIRED, { FRUITS_OPERATOR_CIDR: cidr })).toThrow(/opens SSH on the master/);
  });

  test.each(['0.0.0.0/1', '10.0.0.0/8', '172.16.0.0/15'])('%s is accepted with the explicit override', (cidr) => {
    expect(resolveConfig({ ...REQUIRED, operatorCidr: cidr, allowOpenSsh: true }, {}).operatorCidr).toBe(cidr);
    expect(resolveConfig(REQUIRED, { FRUITS_OPERATOR_CIDR: cidr, FRUITS_ALLOW_OPEN_SSH: 'true' }).operatorCidr).toBe(cidr);
  });

  test('0.0.0.0/0 is accepted with the explicit override', () => {
    expect(resolveConfig({ ...REQUIRED, operatorCidr: '0.0.0.0/0', allowOpenSsh: true }, {}).operatorCidr).toBe(
      '0.0.0.0/0',
    );
    expect(
      resolveConfig(REQUIRED, { FRUITS_OPERATOR_CIDR: '0.0.0.0/0', FRUITS_ALLOW_OPEN_SSH: 'true' }).operatorCidr,
    ).toBe('0.0.0.0/0');
  });

  test('canonical CIDRs from /16 to /32 pass unchanged without the override', () => {
    expect(validateOperatorCidr('10.20.0.0/16', false)).toBe('10.20.0.0/16');
    expect(validateOperatorCidr('198.51.100.0/24', false)).toBe('198.51.100.0/24');
    expect(validateOperatorCidr(' 198.51.100.20/32 ', false)).toBe('198.51.100.20/32');
    expect(resolveConfig({ ...REQUIRED, operatorCidr: '10.20.0.0/16' }, {}).operatorCidr).toBe('10.20.0.0/16');
  });
});

describe('parsePublicKey', () => {
  test('accepts an OpenSSH ed25519 key and drops the comment', () => {
    const key = makePublicKey('alice@laptop');
    const parsed = parsePublicKey(`${key}\n`, 'k.pub');
    expect(parsed).toBe(key.split(' ').slice(0, 2).join(' '));
    expect(parsed).not.toContain('alice');
  });

  test('refuses private keys', () => {
    const e = configError(() =>
      parsePublicKey('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n', 'id'),
    );
    expect(e.message).toContain('PRIVATE key');
  });

  test('refuses unsupported key types and corrupted blobs', () => {
    configError(() => parsePublicKey('ecdsa-sha2-nistp256 AAAAE2VjZHNh', 'k.pub'));
    configError(() => parsePublicKey('ssh-ed25519 bm90IGEga2V5', 'k.pub'));
    configError(() => parsePublicKey('', 'k.pub'));
  });
});

describe('loader', () => {
  test('reads fruits.config.json from the checkout root, with env on top', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fruits.config.json'), JSON.stringify({ ...REQUIRED, namePrefix: 'team' }));
    const config = loadConfig({ root: dir, cwd: tempDir(), env: { FRUITS_REGION: 'eu-central-1' } });
    expect(config.namePrefix).toBe('team');
    expect(config.region).toBe('eu-central-1');
  });

  test('FRUITS_CONFIG must point at an existing file', () => {
    const e = configError(() => loadConfig({ cwd: tempDir(), env: { FRUITS_CONFIG: 'nope.json' } }));
    expect(e.message).toContain('FRUITS_CONFIG');
  });

  test('invalid JSON is reported as a config error', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fruits.config.json'), '{ "region": ');
    expect(configError(() => loadConfig({ root: dir, env: {} })).message).toContain('not valid JSON');
  });

  test('without file or env the config loads (fruits-state needs no operator settings); fruits-emr names the first missing one', () => {
    const config = loadConfig({ root: tempDir(), env: {} });
    expect(config.operatorCidr).toBeUndefined();
    expect(configError(() => requireOperatorAccess(config)).message).toContain('FRUITS_OPERATOR_CIDR');
    const withCidr = loadConfig({ root: tempDir(), env: { FRUITS_OPERATOR_CIDR: OPERATOR_CIDR } });
    expect(configError(() => requireOperatorAccess(withCidr)).message).toContain('FRUITS_PUBLIC_KEY_PATH');
  });

  test('missing key file: clear error naming FRUITS_PUBLIC_KEY_PATH and ssh-keygen', () => {
    const dir = tempDir();
    const config = requireOperatorAccess(resolveConfig({ ...REQUIRED, publicKeyPath: 'keys/missing.pub' }, {}));
    const e = configError(() => readPublicKey(config, { cwd: dir }));
    expect(e.message).toContain(join(dir, 'keys/missing.pub'));
    expect(e.message).toContain('FRUITS_PUBLIC_KEY_PATH');
    expect(e.message).toContain('ssh-keygen');
  });

  test('reads and validates an existing public key relative to cwd', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'keys'));
    const { key } = writePublicKey(join(dir, 'keys'));
    const config = requireOperatorAccess(resolveConfig({ ...REQUIRED, publicKeyPath: 'keys/operator_key.pub' }, {}));
    expect(readPublicKey(config, { cwd: dir })).toBe(key.split(' ').slice(0, 2).join(' '));
  });

  test('a relative key path in a config file is relative to that file; from env, to cwd', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf/fruits.json'), JSON.stringify({ operatorCidr: OPERATOR_CIDR, publicKeyPath: 'op.pub' }));
    const fromFile = loadConfig({ cwd: dir, env: { FRUITS_CONFIG: 'conf/fruits.json' } });
    expect(fromFile.publicKeyPath).toBe(join(dir, 'conf/op.pub'));
    const fromEnv = loadConfig({ cwd: dir, env: { FRUITS_CONFIG: 'conf/fruits.json', FRUITS_PUBLIC_KEY_PATH: 'k/op.pub' } });
    expect(fromEnv.publicKeyPath).toBe('k/op.pub');
    expect(configError(() => readPublicKey(requireOperatorAccess(fromEnv), { cwd: dir })).message).toContain(join(dir, 'k/op.pub'));
  });

  test('~ expands to the home directory', () => {
    expect(resolveUserPath('~/.ssh/a.pub', '/cwd', '/home/op')).toBe('/home/op/.ssh/a.pub');
    expect(resolveUserPath('a.pub', '/cwd', '/home/op')).toBe('/cwd/a.pub');
  });
});

