// runner/packaging/package-job.ts: the job zip (one packaging rule with the job's self-shipping, deterministic bytes).
import { copyFileSync, mkdirSync, writeFileSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { writeJobZip } from '../../../../runner/packaging/package-job.js';
import { mktemp, ROOT } from '../../../helpers/runner.js';

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
    await expect(writeJobZip('/nonexistent', '/tmp/x.zip')).rejects.toThrow(/run_job.py not found; set jobDir/);
    const dir = jobFolder();
    writeFileSync(join(dir, 'fruits_job', 'packaging.json'), '{"includeSuffixes": ".py"}');
    await expect(writeJobZip(dir, join(dir, 'x.zip'))).rejects.toThrow(/packaging.json needs includeSuffixes/);
  });
});
