// config/loader.ts: fruits.config.json and cdktf-outputs.json are looked up at the checkout root, whatever the cwd.
import { execa } from 'execa';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../config/index.js';
import { LAUNCHER, mktemp } from '../../helpers/runner.js';
import { mockedAws } from '../../helpers/in-process-cli.js';

mockedAws();

describe('config lookups relative to the checkout', () => {
  test('from a sub-folder (jobs/) the config and cdktf-outputs.json are the checkout\'s', () => {
    const checkout = mktemp('fruits-checkout-');
    mkdirSync(join(checkout, 'jobs'));
    writeFileSync(join(checkout, 'fruits.config.json'), JSON.stringify({ emr: { clusterId: 'j-FROMROOT' } }));
    const c = loadConfig({ root: checkout, cwd: join(checkout, 'jobs'), env: {} });
    expect(c.emr.clusterId).toBe('j-FROMROOT');
    expect(c.emr.outputsFile).toBe(join(checkout, 'cdktf-outputs.json'));
    const noFile = loadConfig({ root: mktemp('fruits-checkout2-'), cwd: join(checkout, 'jobs'), env: {} });
    expect(noFile.emr.outputsFile).not.toContain(join(checkout, 'jobs'));
  });

  test('the real launcher from jobs/ finds the checkout\'s outputs (no misleading "run cdktf deploy")', async () => {
    const root = join(LAUNCHER, '..', '..');
    const r = await execa(process.execPath, [LAUNCHER, 'run', 'emr', '--dry-run', '--json'], { cwd: join(root, 'jobs'), reject: false, env: { FRUITS_OUTPUTS_FILE: '' } });
    const expected = join(root, 'cdktf-outputs.json');
    if (existsSync(expected)) expect(r.exitCode).toBe(0);
    else expect(r.stderr).toContain(`${expected} not found`);
  }, 60_000);
});
