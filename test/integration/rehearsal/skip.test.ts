// The rehearsal stage on a machine without Terraform or the provider mirror: one clear
// skip line and success, so the README test command still passes there. (The rehearsal
// itself runs as its own stage of scripts/test-all.sh.)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PYTHON = join(ROOT, '.venv-tools/bin/python');

(existsSync(PYTHON) ? test : test.skip)('without the provider mirror: one skip line naming what is missing, exit 0', () => {
  const r = spawnSync(PYTHON, [join(ROOT, 'test/rehearsal/rehearse.py')], {
    env: { ...process.env, FRUITS_TF_MIRROR: '/nonexistent/tf-plugins' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status).toBe(0);
  expect(r.stdout.trim().split('\n')).toEqual([
    'rehearsal: skipped (missing the provider mirror /nonexistent/tf-plugins)',
  ]);
});

