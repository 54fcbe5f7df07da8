// The one loader (config/) seen from both of its users: the runner's CLI (runner/cli.ts,
// in process) and main.ts (the stacks, as `npx cdktf synth` runs it). Each test here caught a
// drift between the two former loaders (stacks/config*.ts vs scripts/config.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../runner/cli.js';
import { loadConfig, resolveConfig } from '../../../config/index.js';
import { captureOutput, mktemp, ROOT } from '../../helpers/runner.js';

/** A config file the runner and main.ts are pointed at (FRUITS_CONFIG), never the developer's own. */
function configFile(settings: object, dir = mktemp('fruits-cfg-')): string {
  const path = join(dir, 'fruits.config.json');
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

/** `fruits <argv>` in process: exit code and its error lines. */
async function runner(argv: string[], env: Record<string, string>) {
  const out = captureOutput();
  const code = await main(argv, { out, env: { FRUITS_CONFIG: configFile({}), ...env } });
  return { code, errors: out.errors };
}

/** main.ts as cdktf runs it: exit code and stderr lines. */
function stacks(env: Record<string, string>) {
  const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FRUITS_')));
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'main.ts')], {
    cwd: mktemp('fruits-cwd-'),
    env: { ...baseEnv, CDKTF_OUTDIR: join(mktemp('fruits-out-'), 'cdktf.out'), FRUITS_CONFIG: configFile({}), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, errors: r.stderr.trim().split('\n') };
}

describe('the runner reads the config like the stacks', () => {
  test('~ in FRUITS_CONFIG is the home folder (it was taken as a folder named "~" under the cwd)', async () => {
    const home = mktemp('fruits-home-');
    mkdirSync(join(home, 'conf'));
    configFile({ vm: { port: 0 } }, join(home, 'conf'));
    // HOME as the runner's environment gives it (jest's process.env is a copy that os.homedir() never sees)
    const r = await runner(['status'], { FRUITS_CONFIG: '~/conf/fruits.config.json', HOME: home });
    expect(r.code).toBe(2);
    expect(r.errors).toEqual([`error: "vm.port" in ${home}/conf/fruits.config.json must be a whole number between 1 and 65535, got 0`]);
    expect(loadConfig({ env: { FRUITS_CONFIG: '~/conf/fruits.config.json', FRUITS_VM_PORT: '2222', HOME: home } }).vm.port).toBe(2222);
  });

  test.each(['0x16', '1e1', '22.0', ' 2 2'])('whole numbers: %p is refused (Number() took 0x16 as 22 and 1e1 as 10)', async (text) => {
    const r = await runner(['status'], { FRUITS_VM_PORT: text });
    expect(r.code).toBe(2);
    expect(r.errors).toEqual([`error: FRUITS_VM_PORT must be a whole number between 1 and 65535, got ${JSON.stringify(text)}`]);
    const file = configFile({ tunnel: { port: text } });
    expect(() => loadConfig({ env: { FRUITS_CONFIG: file } })).toThrow(`"tunnel.port" in ${file} must be a whole number between 1 and 65535, got ${JSON.stringify(text)}`);
    expect(() => resolveConfig({ flags: { 'vm.port': text } })).toThrow(`"vm.port" (command-line flag) must be a whole number`);
  });

  test('job flags too: --k 1e1 is refused', async () => {
    const r = await runner(['run', 'local', '--dry-run', '--k', '1e1', '--input', '/in', '--output', '/out'], {});
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(['error: --k must be an integer between 1 and 1280, got "1e1" (MobileNetV2 gives 1280 features)']);
  });

  test('a bad FRUITS_REGION is refused by the runner too (it went on with "mars" as emr.region)', async () => {
    const r = await runner(['status'], { FRUITS_REGION: 'mars' });
    expect(r.code).toBe(2);
    expect(r.errors).toEqual(['error: FRUITS_REGION "mars" is not an AWS region name; use e.g. us-east-1 or eu-west-3']);
  });

  test('the same mistake gets the same line from main.ts and from the runner', async () => {
    const typo = configFile({ regoin: 'eu-west-1' });
    const cases: Record<string, string>[] = [{ FRUITS_CONFIG: typo }, { FRUITS_REGION: 'mars' }, { FRUITS_CORE_INSTANCE_COUNT: '1e1' }];
    for (const env of cases) {
      const fromStacks = stacks(env);
      const fromRunner = await runner(['status'], env);
      expect(fromStacks.code).toBe(2);
      expect(fromRunner.code).toBe(2);
      expect(fromStacks.errors).toHaveLength(1);
      expect(fromRunner.errors).toEqual(fromStacks.errors);
    }
  });

  test('ConfigError carries the problem, the fix and exit code 2 as fields', () => {
    try {
      resolveConfig({ env: { FRUITS_REGION: 'mars' } });
      throw new Error('expected a ConfigError');
    } catch (e) {
      expect(e).toMatchObject({ name: 'ConfigError', problem: 'FRUITS_REGION "mars" is not an AWS region name', fix: 'use e.g. us-east-1 or eu-west-3', exitCode: 2 });
    }
  });
});

