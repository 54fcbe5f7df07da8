// Runner config: precedence, validation, stack outputs, job zip, sync planning, doctor helpers.
import { copyFileSync, mkdirSync, writeFileSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { resolveConfig, loadConfig } from '../../runner/config.js';
import { parseStackOutputs, readStackOutputs } from '../../runner/aws/stack-outputs.js';
import { writeJobZip } from '../../runner/packaging/package-job.js';
import { planSync, objectKey, runPool, sameContent } from '../../runner/commands/upload-data.js';
import { parsePins, doctorExit } from '../../runner/commands/doctor.js';
import { describeSummary, exitForJob, jobArgsFor, summaryStatusExit } from '../../runner/targets/run-request.js';
import { fromAwsError } from '../../runner/platform/errors.js';
import { mktemp, ROOT } from './helpers.js';

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
    });
    expect(c.vm).toMatchObject({ host: 'env-host', port: 2201, user: 'me', key: '/cfg/keys/id' });
    expect(c.emr.clusterId).toBe('j-FLAG');
    expect(c.job.k).toBe(20);
  });

  test('bad values give one-line errors naming the key', () => {
    expect(() => resolveConfig({ env: { FRUITS_VM_PORT: 'abc' } })).toThrow(/config vm.port must be an integer/);
    expect(() => resolveConfig({ file: { emr: { deployMode: 'yarn' } } })).toThrow(/emr.deployMode must be one of client, cluster/);
    expect(() => resolveConfig({ file: { vmm: {} } })).toThrow(/^unknown config key "vmm": check the spelling against fruits.config.example.json \(README "Running the job: fruits"\)$/);
    expect(() => resolveConfig({ file: { vm: { hots: 'x' } } })).toThrow(/unknown config key "vm.hots"/);
    // the job refuses --batch-size above 4096 (jobs/fruits_job/config.py): the runner agrees
    expect(() => resolveConfig({ file: { job: { batchSize: 5000 } } })).toThrow(/job.batchSize/);
    expect(resolveConfig({ file: { job: { batchSize: 4096 } } }).job.batchSize).toBe(4096);
    expect(() => resolveConfig({ file: { emr: { codeUri: '/tmp/x' } } })).toThrow(/s3:\/\/ URI/);
    expect(() => resolveConfig({ file: { job: { k: 5, varianceTarget: 0.9 } } })).toThrow(/exclusive/);
  });

  test('loadConfig: explicit missing file and broken JSON are usage errors', () => {
    const dir = mktemp('fruits-cfg-');
    expect(() => loadConfig({ configPath: join(dir, 'nope.json'), env: {} })).toThrow(/not found/);
    writeFileSync(join(dir, 'bad.json'), '{nope');
    expect(() => loadConfig({ configPath: join(dir, 'bad.json'), env: {} })).toThrow(/cannot parse/);
    writeFileSync(join(dir, 'fruits.config.json'), JSON.stringify({ vm: { host: 'h' }, local: { sparkConf: { 'spark.driver.memory': 4 } } }));
    const c = loadConfig({ root: dir, cwd: '/', env: {} });
    expect(c.vm.host).toBe('h');
    expect(c.local.sparkConf).toEqual({ 'spark.driver.memory': '4' });
  });
});

describe('stack outputs', () => {
  test('snake_case and camelCase keys both work', () => {
    const snake = parseStackOutputs({ 'fruits-emr': { cluster_id: 'j-1', region: 'eu-west-1', code_uri: 's3://a/code/', master_public_dns: 'm' } });
    const camel = parseStackOutputs({ 'fruits-emr': { clusterId: 'j-1', region: 'eu-west-1', codeUri: 's3://a/code/', masterPublicDns: 'm' } });
    expect(snake).toEqual({ clusterId: 'j-1', region: 'eu-west-1', codeUri: 's3://a/code/', masterPublicDns: 'm' });
    expect(camel).toEqual(snake);
    expect(parseStackOutputs({ fruitsEmr: { log_uri: { value: 's3://l/' } } }).logUri).toBe('s3://l/');
    expect(parseStackOutputs({ other: { cluster_id: 'j-2' } })).toEqual({});
  });

  test('missing file is empty; broken file is a usage error', () => {
    const dir = mktemp('fruits-out-');
    expect(readStackOutputs(join(dir, 'none.json'))).toEqual({});
    writeFileSync(join(dir, 'o.json'), 'x');
    expect(() => readStackOutputs(join(dir, 'o.json'))).toThrow(/cannot parse stack outputs/);
  });
});

describe('job zip', () => {
  /** A job folder whose package has a subpackage, a data file and things to leave out. */
  const jobFolder = () => {
    const dir = mktemp('fruits-zip-');
    const pkg = join(dir, 'fruits_job');
    mkdirSync(join(pkg, '__pycache__'), { recursive: true });
    mkdirSync(join(pkg, 'sub', '__pycache__'), { recursive: true });
    writeFileSync(join(dir, 'run_job.py'), '');
    copyFileSync(join(ROOT, 'jobs', 'fruits_job', 'packaging.json'), join(pkg, 'packaging.json'));
    writeFileSync(join(pkg, '__init__.py'), 'VALUE = "x" * 500\n');
    writeFileSync(join(pkg, 'mod.py'), 'from fruits_job import VALUE\nOK = len(VALUE)\n');
    writeFileSync(join(pkg, 'contract.json'), '{"batchSize": {"max": 4096}}\n');
    writeFileSync(join(pkg, 'sub', '__init__.py'), '');
    writeFileSync(join(pkg, 'sub', 'deep.py'), 'import json, pkgutil\nDATA = json.loads(pkgutil.get_data("fruits_job", "contract.json"))\n');
    writeFileSync(join(pkg, '__pycache__', 'mod.cpython-311.pyc'), 'junk');
    writeFileSync(join(pkg, 'sub', '__pycache__', 'deep.cpython-311.pyc'), 'junk');
    writeFileSync(join(pkg, '.hidden.py'), '');
    writeFileSync(join(pkg, 'notes.txt'), 'not part of the package');
    return dir;
  };
  const MEMBERS = [
    'fruits_job/__init__.py', 'fruits_job/contract.json', 'fruits_job/mod.py', 'fruits_job/packaging.json',
    'fruits_job/sub/__init__.py', 'fruits_job/sub/deep.py',
  ];

  test('zip of fruits_job/ holds subpackages and data files, is readable by python zipfile and importable', async () => {
    const dir = jobFolder();
    const zip = join(dir, 'fruits_job.zip');
    expect(await writeJobZip(dir, zip)).toEqual(MEMBERS);
    const r = await execa('python3', ['-c', `import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(",".join(z.namelist())); sys.path.insert(0, sys.argv[1]); import fruits_job.mod as m, fruits_job.sub.deep as d; print(m.OK, d.DATA["batchSize"]["max"])`, zip]);
    expect(r.stdout.split('\n')).toEqual([MEMBERS.join(','), '500 4096']);
  });

  test('the job\'s self-shipping (fruits_job/packaging.py) keeps the same members by the same rule', async () => {
    const dir = jobFolder();
    const py = `import json, sys; sys.path.insert(0, sys.argv[1]); from fruits_job.packaging import package_members; print(json.dumps([n for n, _ in package_members(sys.argv[2])]))`;
    const r = await execa('python3', ['-c', py, join(ROOT, 'jobs'), join(dir, 'fruits_job')]);
    expect(JSON.parse(r.stdout)).toEqual(await writeJobZip(dir, join(dir, 'fruits_job.zip')));
    expect(JSON.parse(r.stdout)).toEqual(MEMBERS);
  });

  test('equal files give equal bytes, whatever their mtimes and the time zone', async () => {
    const dir = jobFolder();
    const [a, b] = [join(dir, 'a.zip'), join(dir, 'b.zip')];
    const tz = process.env.TZ;
    try {
      process.env.TZ = 'UTC';
      await writeJobZip(dir, a);
      utimesSync(join(dir, 'fruits_job', 'mod.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
      process.env.TZ = 'Asia/Tokyo';
      await writeJobZip(dir, b);
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  test('missing job folder or packaging rule is a clear error', async () => {
    await expect(writeJobZip('/nonexistent', '/tmp/x.zip')).rejects.toThrow(/run_job.py not found: set jobDir/);
    const dir = jobFolder();
    writeFileSync(join(dir, 'fruits_job', 'packaging.json'), '{"includeSuffixes": ".py"}');
    await expect(writeJobZip(dir, join(dir, 'x.zip'))).rejects.toThrow(/packaging.json needs includeSuffixes/);
  });
});

describe('upload planning', () => {
  const f = (rel: string, size: number) => ({ rel, size, path: `/l/${rel}` });

  test('skips same key + size, uploads new or changed', () => {
    const remote = new Map([
      ['images/Training/apple/1.jpg', { size: 10 }],
      ['images/Training/apple/2.jpg', { size: 99 }],
    ]);
    const { upload, skip } = planSync([f('Training/apple/1.jpg', 10), f('Training/apple/2.jpg', 11), f('Test/lemon/3.jpg', 5)], remote, 'images/');
    expect(skip.map((x) => x.rel)).toEqual(['Training/apple/1.jpg']);
    expect(upload.map((x) => x.rel)).toEqual(['Training/apple/2.jpg', 'Test/lemon/3.jpg']);
  });

  test('with checksums, only a matching sha256 metadata value counts as unchanged', () => {
    const sha = 'ab'.repeat(32);
    expect(sameContent(sha, { sha256: sha })).toBe(true);
    expect(sameContent(sha, { sha256: sha.toUpperCase() })).toBe(true);
    expect(sameContent(sha, { sha256: 'cd'.repeat(32) })).toBe(false);
    expect(sameContent(sha, {})).toBe(false); // uploaded by another tool: treat as changed
    expect(sameContent(sha, undefined)).toBe(false);
    expect(objectKey('', 'x.jpg')).toBe('x.jpg');
  });

  test('pool never exceeds its concurrency', async () => {
    let inFlight = 0, peak = 0;
    const done: number[] = [];
    await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      done.push(n);
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('small helpers', () => {
  test('requirement pins', () => {
    const pins = parsePins(readFileSync(new URL('../../requirements.txt', import.meta.url), 'utf8'));
    expect(pins.get('pyspark')).toMatch(/^3\.5\./);
    expect(parsePins('a==1\n# b==2\nmoto[server]==5.1 ; python_version>"3"\nc>=3')).toEqual(new Map([['a', '1'], ['moto', '5.1']]));
  });

  test('doctor exit: 0 all ok, 4 only auth misses, 3 otherwise', () => {
    const ok = { area: 'local' as const, name: 'x', status: 'ok' as const, detail: '' };
    expect(doctorExit([ok, { ...ok, status: 'skip' }])).toBe(0);
    expect(doctorExit([ok, { ...ok, status: 'miss', auth: true }])).toBe(4);
    expect(doctorExit([{ ...ok, status: 'miss' }, { ...ok, status: 'miss', auth: true }])).toBe(3);
  });

  test('job exit codes map to runner exit codes', () => {
    expect([0, 1, 2, 137, undefined].map(exitForJob)).toEqual([0, 1, 2, 1, 1]);
    expect(exitForJob(130)).toBe(130); // the job was interrupted (summary status "interrupted")
    expect([{ status: 'succeeded' }, { status: 'interrupted' }, { status: 'failed' }, undefined].map(summaryStatusExit)).toEqual([0, 130, 1, 1]);
  });

  test('config job defaults apply unless a flag overrides (k vs variance target)', () => {
    const cfg = resolveConfig({ env: {}, file: { job: { k: 20, weights: 'imagenet' } } });
    const base = { runId: 'r', overwrite: false, conf: {}, dryRun: false, wait: true };
    expect(jobArgsFor(base, cfg, 'i', 'o')).toMatchObject({ k: 20, weights: 'imagenet' });
    expect(jobArgsFor({ ...base, varianceTarget: 0.9 }, cfg, 'i', 'o')).toMatchObject({ k: undefined, varianceTarget: 0.9 });
  });

  test('summary line and AWS error mapping', () => {
    expect(describeSummary({ status: 'succeeded', run_id: 'r', counts: { total_files: 4, featurized: 3, failed: 1 }, pca: { k: 2, cumulative: [0.5, 0.9] } })).toBe(
      'run r succeeded: 3/4 images featurized, 1 failed; PCA k=2, explained variance 0.900',
    );
    const denied = fromAwsError(Object.assign(new Error('User: x is not authorized'), { name: 'AccessDeniedException' }), 'AddJobFlowSteps');
    expect(denied.exitCode).toBe(4);
    expect(fromAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'x').message).toMatch(/no AWS credentials/);
    expect(fromAwsError(new Error('boom'), 'x').exitCode).toBe(1);
  });
});

test('the shared example config is valid for the runner and expands ~ in local paths', () => {
  const c = loadConfig({ configPath: new URL('../../fruits.config.example.json', import.meta.url).pathname, env: {} });
  expect(c.vm.key).toBe(`${process.env.HOME}/.ssh/fruits_vm_ed25519`);
  expect(c.vm.workDir).toBe('~/fruits'); // remote path: expanded by the VM's shell, not here
  expect(c.emr.actionOnFailure).toBe('CONTINUE');
});

test('fruits.config.json is shared with the stacks: their fields are skipped, typos still refused', () => {
  const example = JSON.parse(readFileSync(new URL('../../fruits.config.example.json', import.meta.url), 'utf8'));
  const { vm, ...stack } = example;
  expect(stack.operatorCidr).toBeDefined();
  const c = resolveConfig({ env: {}, file: { ...example, $schema: 'x', '// note': 'y' } });
  expect(c.vm.host).toBe(vm.host);
  expect(() => resolveConfig({ env: {}, file: { ...stack, regoin: 'eu-west-1' } })).toThrow(/unknown config key "regoin"/);
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
  // nothing to derive from, or not a .pub path: no guess
  expect(resolveConfig({ env: {} }).tunnel.key).toBeUndefined();
  expect(resolveConfig({ env: {}, file: { publicKeyPath: '/k/id_ed25519' } }).tunnel.key).toBeUndefined();
});
