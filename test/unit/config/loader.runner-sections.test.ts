// config/: the runner's sections of fruits.config.json (precedence, validation, the shared example, the tunnel key default).
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, loadConfig } from '../../../config/index.js';
import { mktemp } from '../../helpers/runner.js';

describe('resolveConfig', () => {
  test('defaults: client deploy mode, CONTINUE, port 8157, local[*]', () => {
    const c = resolveConfig({ root: '/repo', env: {} });
    expect(c.jobDir).toBe('/repo/jobs');
    expect(c.emr).toMatchObject({ deployMode: 'client', actionOnFailure: 'CONTINUE', cancelOption: 'SEND_INTERRUPT', outputsFile: expect.stringMatching(/cdktf-outputs\.json$/) });
    expect(c.tunnel.port).toBe(8157);
    expect(c.local.master).toBe('local[*]');
  });

  test('file < env < flags', () => {
    const c = resolveConfig({
      root: '/repo',
      file: { vm: { host: 'file-host', port: 2200, user: 'me' }, emr: { clusterId: 'j-FILE' }, job: { k: 20 } },
      filePath: '/cfg/fruits.config.json',
      env: { FRUITS_VM_HOST: 'env-host', FRUITS_CLUSTER_ID: 'j-ENV', FRUITS_VM_KEY: 'keys/id' },
      flags: { 'emr.clusterId': 'j-FLAG', 'vm.port': '2201' },
      cwd: '/work',
    });
    // a relative path from the environment is relative to the cwd (from the file: to the file)
    expect(c.vm).toMatchObject({ host: 'env-host', port: 2201, user: 'me', key: '/work/keys/id' });
    expect(c.emr.clusterId).toBe('j-FLAG');
    expect(c.job.k).toBe(20);
  });

  test('bad values give one-line errors naming the key', () => {
    expect(() => resolveConfig({ env: { FRUITS_VM_PORT: 'abc' } })).toThrow(/^FRUITS_VM_PORT must be a whole number between 1 and 65535, got "abc"$/);
    expect(() => resolveConfig({ file: { emr: { deployMode: 'yarn' } } })).toThrow(/^"emr.deployMode" in fruits.config.json must be one of client, cluster, got "yarn"$/);
    expect(() => resolveConfig({ file: { vmm: {} } })).toThrow(/^unknown field "vmm" in fruits.config.json; known fields: region, .*, jobDir, capacity, serverless, job, local, vm, emr, tunnel, upload \(see fruits.config.schema.json\)$/);
    expect(() => resolveConfig({ file: { vm: { hots: 'x' } } })).toThrow(/unknown field "vm.hots" in fruits.config.json; known fields of "vm": host, /);
    // the job refuses --batch-size above 4096 (jobs/fruits_job/options.py): the runner agrees
    expect(() => resolveConfig({ file: { job: { batchSize: 5000 } } })).toThrow(/job.batchSize/);
    expect(resolveConfig({ file: { job: { batchSize: 4096 } } }).job.batchSize).toBe(4096);
    expect(() => resolveConfig({ file: { emr: { codeUri: '/tmp/x' } } })).toThrow(/s3:\/\/ URI/);
    expect(() => resolveConfig({ file: { job: { k: 5, varianceTarget: 0.9 } } })).toThrow(/exclusive/);
  });

  test('loadConfig: explicit missing file and broken JSON are usage errors', () => {
    const dir = mktemp('fruits-cfg-');
    expect(() => loadConfig({ configPath: join(dir, 'nope.json'), env: {} })).toThrow(/^--config points at .*nope\.json, which does not exist; fix the path/);
    writeFileSync(join(dir, 'bad.json'), '{nope');
    expect(() => loadConfig({ configPath: join(dir, 'bad.json'), env: {} })).toThrow(/bad\.json is not valid JSON/);
    writeFileSync(join(dir, 'fruits.config.json'), JSON.stringify({ vm: { host: 'h' }, local: { sparkConf: { 'spark.driver.memory': 4 } } }));
    const c = loadConfig({ root: dir, cwd: '/', env: {} });
    expect(c.vm.host).toBe('h');
    expect(c.local.sparkConf).toEqual({ 'spark.driver.memory': '4' });
  });
});

test('the shared example config is valid for the runner and expands ~ in local paths', () => {
  const c = loadConfig({ configPath: new URL('../../../fruits.config.example.json', import.meta.url).pathname, env: {} });
  expect(c.vm.key).toBe(`${process.env.HOME}/.ssh/fruits_vm_ed25519`);
  expect(c.vm.workDir).toBe('~/fruits'); // remote path: expanded by the VM's shell, not here
  expect(c.emr.actionOnFailure).toBe('CONTINUE');
});

test('fruits.config.json is shared with the stacks: their fields are skipped, typos still refused', () => {
  const example = JSON.parse(readFileSync(new URL('../../../fruits.config.example.json', import.meta.url), 'utf8'));
  const { vm, ...stack } = example;
  expect(stack.operatorCidr).toBeDefined();
  const c = resolveConfig({ env: {}, file: { ...example, $schema: 'x', '// note': 'y' } });
  expect(c.vm.host).toBe(vm.host);
  expect(() => resolveConfig({ env: {}, file: { ...stack, regoin: 'eu-west-1' } })).toThrow(/unknown field "regoin"/);
});

test('tunnel key defaults to the stack publicKeyPath without .pub; tunnel.key, FRUITS_SSH_KEY and --key override it', () => {
  const home = process.env.HOME;
  const file = { publicKeyPath: '~/.ssh/ops_ed25519.pub' };
  expect(resolveConfig({ env: {}, file }).tunnel.key).toBe(`${home}/.ssh/ops_ed25519`);
  // relative in the file: relative to the file; the stacks' env variable beats the file
  expect(resolveConfig({ env: {}, file: { publicKeyPath: 'keys/op.pub' }, filePath: '/cfg/fruits.config.json' }).tunnel.key).toBe('/cfg/keys/op');
  expect(resolveConfig({ env: { FRUITS_PUBLIC_KEY_PATH: '/k/env.pub' }, file }).tunnel.key).toBe('/k/env');
  // explicit settings win
  expect(resolveConfig({ env: {}, file: { ...file, tunnel: { key: '/k/file' } } }).tunnel.key).toBe('/k/file');
  expect(resolveConfig({ env: { FRUITS_SSH_KEY: '/k/ssh' }, file }).tunnel.key).toBe('/k/ssh');
  expect(resolveConfig({ env: { FRUITS_SSH_KEY: '/k/ssh' }, file, flags: { 'tunnel.key': '/k/flag' } }).tunnel.key).toBe('/k/flag');
  // nothing to derive from: no guess; a path without .pub is refused (one schema: the runner checks the stacks' fields too)
  expect(resolveConfig({ env: {} }).tunnel.key).toBeUndefined();
  expect(() => resolveConfig({ env: {}, file: { publicKeyPath: '/k/id_ed25519' } })).toThrow(/^"publicKeyPath" in fruits.config.json "\/k\/id_ed25519" must be a public key file ending in \.pub/);
});
