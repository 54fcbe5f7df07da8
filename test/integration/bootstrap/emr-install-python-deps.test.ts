// Runs bootstrap/emr-install-python-deps.sh (and the shared installer it downloads) for real under bash, with stand-ins for
// the EMR node's commands (aws, sudo, dnf, python3.11 and the venv's python) on PATH,
// to check what it installs, its idempotency and that failures are loud.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, tempDir } from '../../helpers/stacks.js';

const SCRIPT = join(REPO_ROOT, 'bootstrap/emr-install-python-deps.sh');
const INSTALLER = join(REPO_ROOT, 'bootstrap/install-python-requirements.sh');
const REQUIREMENTS = readFileSync(join(REPO_ROOT, 'requirements.txt'), 'utf8');

function stub(bin: string, name: string, body: string): void {
  const path = join(bin, name);
  writeFileSync(path, `#!/usr/bin/env bash\nset -euo pipefail\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A fake node: fake S3 + stubs; returns a runner and where calls are recorded. */
function fakeNode(requirements = REQUIREMENTS) {
  const root = tempDir('fruits-bootstrap-');
  const bin = join(root, 'bin');
  const s3 = join(root, 's3');
  const calls = join(root, 'calls');
  mkdirSync(bin);
  mkdirSync(join(s3, 'bucket/bootstrap'), { recursive: true });
  mkdirSync(calls);
  writeFileSync(join(s3, 'bucket/bootstrap/requirements.txt'), requirements);
  writeFileSync(join(s3, 'bucket/bootstrap/install-python-requirements.sh'), readFileSync(INSTALLER));
  stub(bin, 'aws', `echo "aws $*" >>"${calls}/log"; src="\${@: -2:1}"; cp "${s3}/\${src#s3://}" "\${@: -1}"`);
  stub(bin, 'sudo', 'exec "$@"');
  // The venv's python: pip install records the requirements it was given.
  const venvPython = [
    `echo "venv-python $*" >>"${calls}/log"`,
    'args="${1:-} ${2:-} ${3:-}"',
    'if [[ "$args" == "-m pip install" ]]; then',
    '  req="${@: -1}"',
    '  if [[ "$req" != *requirements* ]]; then echo "$*" >>"' + calls + '/pinned-tools"; exit 0; fi',
    '  cp "$req" "' + calls + '/installed-requirements.txt"; exit "${PIP_EXIT:-0}"',
    'elif [[ "$args" == "-m pip freeze" ]]; then grep -v "^#" "' + calls + '/installed-requirements.txt" | grep . ; exit 0',
    'fi',
    'echo "imports ok"',
  ].join('\n');
  // python3.11 only exists after "dnf install python3.11", as on a fresh EMR 7 node.
  const python311 = [
    `echo "python3.11 $*" >>"${calls}/log"`,
    'if [[ "${1:-}" == "--version" ]]; then echo "Python 3.11.9"; exit 0; fi',
    'if [[ "${1:-} ${2:-}" == "-m venv" ]]; then mkdir -p "$3/bin"; cp "' + join(bin, 'venv-python.src') + '" "$3/bin/python"; chmod +x "$3/bin/python"; fi',
  ].join('\n');
  writeFileSync(join(bin, 'venv-python.src'), `#!/usr/bin/env bash\nset -euo pipefail\n${venvPython}\n`);
  writeFileSync(join(bin, 'python311.src'), `#!/usr/bin/env bash\nset -euo pipefail\n${python311}\n`);
  stub(bin, 'dnf', `echo "dnf $*" >>"${calls}/log"; cp "${bin}/python311.src" "${bin}/python3.11"; chmod +x "${bin}/python3.11"`);
  const venv = join(root, 'opt/fruits-venv');
  const tools = toolsDir(root);

  const run = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync('bash', [SCRIPT, ...args], {
      env: { PATH: `${bin}:${tools}`, HOME: root, ...env },
      encoding: 'utf8',
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  };
  const log = () => (existsSync(join(calls, 'log')) ? readFileSync(join(calls, 'log'), 'utf8') : '');
  const installed = () => readFileSync(join(calls, 'installed-requirements.txt'), 'utf8');
  const pinnedTools = () => (existsSync(join(calls, 'pinned-tools')) ? readFileSync(join(calls, 'pinned-tools'), 'utf8') : '');
  const args = (extra: string[] = []) => ['--requirements', 's3://bucket/bootstrap/requirements.txt', '--venv', venv, ...extra];
  return { run, log, installed, pinnedTools, args, venv, s3 };
}

/** Only the plain tools the script needs: no real python3.11, pip, aws or dnf can leak in. */
const TOOLS = ['bash', 'env', 'cat', 'cp', 'mkdir', 'chmod', 'date', 'hostname', 'id', 'mktemp', 'rm', 'dirname', 'sha256sum', 'cut', 'awk', 'grep', 'tee', 'wc'];
function toolsDir(root: string): string {
  const dir = join(root, 'tools');
  mkdirSync(dir);
  for (const tool of TOOLS) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (!found) throw new Error(`test needs ${tool} on PATH`);
    symlinkSync(found, join(dir, tool));
  }
  return dir;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('emr-install-python-deps.sh', () => {
  test('installs python3.11 from dnf, builds the venv and installs every pin except pyspark', () => {
    const node = fakeNode();
    const r = node.run(node.args(['--requirements-sha256', sha256(REQUIREMENTS)]));
    expect(r.out).toContain("installing python3.11 and python3.11-pip from dnf");
    expect(r.status).toBe(0);
    expect(node.log()).toMatch(/^dnf install -y -q python3\.11 python3\.11-pip$/m);
    expect(node.log()).toMatch(/--only-binary=:all:/);
    const installed = node.installed();
    expect(installed).not.toMatch(/^\s*pyspark/im);
    for (const line of REQUIREMENTS.split('\n').filter((l) => /^[a-z]/i.test(l) && !/^pyspark/i.test(l))) {
      expect(installed).toContain(line);
    }
    // The marker covers the pinned installer and the requirements, so changing either rebuilds.
    const toolPins = /^BOOTSTRAP_TOOLS=\(([^)]*)\)/m.exec(readFileSync(INSTALLER, 'utf8'))![1]!.split(/\s+/);
    expect(readFileSync(join(node.venv, '.fruits-requirements.sha256'), 'utf8').trim()).toBe(sha256(`${toolPins.join('\n')}\n${installed}`));
    expect(r.out).toMatch(/skipping 1 pyspark line/);
    expect(r.out).toMatch(/\[fruits-bootstrap .*\] done: /);
  });

  test('pip, setuptools and wheel are pinned exact versions, installed before the requirements', () => {
    const node = fakeNode();
    expect(node.run(node.args()).status).toBe(0);
    const tools = node.pinnedTools().trim();
    for (const name of ['pip', 'setuptools', 'wheel']) expect(tools).toMatch(new RegExp(` ${name}==\\d+(\\.\\d+)*( |$)`));
    expect(tools).toContain('--only-binary=:all:');
    expect(tools).not.toMatch(/--upgrade|-U /);
    const log = node.log();
    expect(log.indexOf('setuptools==')).toBeLessThan(log.indexOf('requirements-driver.txt'));
  });

  test('a second run with the same pins is a logged no-op', () => {
    const node = fakeNode();
    expect(node.run(node.args()).status).toBe(0);
    const before = node.log();
    const again = node.run(node.args());
    expect(again.status).toBe(0);
    expect(again.out).toContain('already installed');
    const newCalls = node.log().slice(before.length);
    expect(newCalls).not.toMatch(/^dnf|pip install/m);
  });

  test('changed pins are installed over the existing venv without reinstalling python', () => {
    const node = fakeNode();
    expect(node.run(node.args()).status).toBe(0);
    writeFileSync(join(node.s3, 'bucket/bootstrap/requirements.txt'), `${REQUIREMENTS}scipy==1.13.1\n`);
    const r = node.run(node.args());
    expect(r.status).toBe(0);
    expect(r.out).toContain('python3.11 already present');
    expect(node.installed()).toContain('scipy==1.13.1');
  });

  test('requirements that differ from the deployed hash fail before installing anything', () => {
    const node = fakeNode();
    const r = node.run(node.args(['--requirements-sha256', sha256('something else')]));
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/FAILED: requirements\.txt sha256 .* differs from the deployed/);
    expect(node.log()).not.toMatch(/pip install/);
  });

  test('the installer is fetched beside requirements.txt and checked against the deployed hash', () => {
    const node = fakeNode();
    const ok = node.run(node.args(['--installer-sha256', sha256(readFileSync(INSTALLER, 'utf8'))]));
    expect(ok.status).toBe(0);
    expect(node.log()).toContain('aws s3 cp --only-show-errors s3://bucket/bootstrap/install-python-requirements.sh');
    const other = fakeNode();
    const bad = other.run(other.args(['--installer-sha256', sha256('an older installer')]));
    expect(bad.status).not.toBe(0);
    expect(bad.out).toMatch(/FAILED: install-python-requirements\.sh sha256 .* differs from the deployed/);
    expect(other.log()).not.toMatch(/pip install|^dnf/m);
  });

  test('a failing pip install fails the bootstrap loudly, naming the command', () => {
    const node = fakeNode();
    const r = node.run(node.args(), { PIP_EXIT: '3' });
    expect(r.status).toBe(3);
    expect(r.out).toMatch(/FAILED \(exit 3\) at line \d+: .*pip install/);
    expect(existsSync(join(node.venv, '.fruits-requirements.sha256'))).toBe(false);
  });

  test('usage errors exit non-zero', () => {
    const node = fakeNode();
    const missing = node.run([]);
    expect(missing.status).not.toBe(0);
    expect(missing.out).toContain('--requirements s3://.../requirements.txt is required');
    expect(node.run(['--bogus']).out).toContain("unknown argument '--bogus'");
  });
});

describe('emr-install-python-deps.sh node roles (driver-only packages)', () => {
  const pins = (text: string) => text.split('\n').filter((l) => /^[a-z]/i.test(l) && !/^pyspark/i.test(l));
  const driverOnly = pins(REQUIREMENTS).filter((l) => /#\s*driver-only/.test(l));
  const instanceInfo = (isMaster: boolean) => {
    const path = join(tempDir('fruits-instance-'), 'instance.json');
    writeFileSync(path, JSON.stringify({ isMaster, isRunningResourceManager: isMaster, instanceGroupId: 'ig-1' }));
    return path;
  };

  test('requirements.txt tags TensorFlow, Keras and the converter driver-only, never ONNX Runtime', () => {
    const names = driverOnly.map((l) => l.split('==')[0]!.toLowerCase());
    expect(names).toEqual(expect.arrayContaining(['tensorflow-cpu', 'keras', 'tf2onnx', 'onnx']));
    expect(names).not.toEqual(expect.arrayContaining(['onnxruntime', 'numpy', 'pandas', 'pyarrow', 'pillow']));
  });

  test('a core node (isMaster false) installs every pin except pyspark and the driver-only ones', () => {
    const node = fakeNode();
    const r = node.run(node.args(), { FRUITS_INSTANCE_INFO: instanceInfo(false) });
    expect(r.status).toBe(0);
    expect(r.out).toContain('role=worker');
    expect(r.out).toContain(`worker set: skipping ${driverOnly.length} driver-only line(s)`);
    const installed = node.installed();
    for (const line of pins(REQUIREMENTS)) {
      if (driverOnly.includes(line)) expect(installed).not.toContain(line);
      else expect(installed).toContain(line);
    }
    expect(installed).not.toMatch(/^tensorflow/im);
    expect(installed).toMatch(/^onnxruntime==/m);
  });

  test('the master node (isMaster true) installs the driver set, TensorFlow included', () => {
    const node = fakeNode();
    const r = node.run(node.args(), { FRUITS_INSTANCE_INFO: instanceInfo(true) });
    expect(r.status).toBe(0);
    expect(r.out).toContain('role=driver');
    for (const line of pins(REQUIREMENTS)) expect(node.installed()).toContain(line);
    expect(node.log()).toMatch(/import tensorflow as tf, tf2onnx/);
  });

  test('--role overrides the detection; a bad role is a usage error', () => {
    const node = fakeNode();
    expect(node.run(node.args(['--role', 'worker'])).status).toBe(0);
    expect(node.installed()).not.toMatch(/^tensorflow/im);
    const bad = node.run(node.args(['--role', 'boss']));
    expect(bad.status).not.toBe(0);
    expect(bad.out).toContain('--role boss: use auto, driver or worker');
  });
});

