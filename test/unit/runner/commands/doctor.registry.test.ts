// `fruits doctor` asks each registered target for its checks (Target.doctor, runner/targets/registry.ts):
// a target added to TARGETS is checked, or says it has no checks, without an edit to doctor.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS, type Target, type TargetEntry } from '../../../../runner/targets/registry.js';
import { sshClientCheck } from '../../../../runner/doctor/check.js';
import { ROOT } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, inProcessCli } from '../../../helpers/in-process-cli.js';

const { cli } = inProcessCli(EMR_OUTPUTS, 'fruits-doctor-registry-');
const run: Target['run'] = async () => ({ exitCode: 0, data: {} });
// Two targets as a developer would add them: one line each in TARGETS (removed again after the tests;
// named so that no real target can clash with them).
const added: TargetEntry[] = [
  { name: 'fixture-echo', options: [], load: async () => ({ run }) },
  {
    name: 'fixture-probe', options: [], load: async () => ({
      run,
      doctor: async (_cfg, ctx) => [
        sshClientCheck(),
        ctx.offline ? { area: 'fixture-probe', name: 'probe api', status: 'skip', detail: '--offline' } : { area: 'fixture-probe', name: 'probe api', status: 'miss', detail: 'not reachable', fix: 'start the probe' },
      ],
    }),
  },
];
const registered = TARGETS as TargetEntry[];
const saved = { ...process.env };
beforeAll(() => {
  registered.push(...added);
  process.env.AWS_EC2_METADATA_DISABLED = 'true'; // emr's credential check: no instance metadata look-up
});
afterAll(() => {
  registered.splice(registered.length - added.length);
  process.env = saved;
});

type Checks = { area: string; name: string; status: string; detail: string }[];

test('a target without a doctor gets one skip line saying it has no checks of its own', async () => {
  const r = await cli(['doctor', '--target', 'fixture-echo', '--json']);
  expect((r.data!.checks as Checks).map((c) => [c.area, c.name, c.status])).toEqual([['common', 'node', 'ok'], ['common', 'job files', 'ok'], ['fixture-echo', 'checks', 'skip']]);
  expect(r.code).toBe(0);
  const human = await cli(['doctor', '--target', 'fixture-echo']);
  expect(human.out.results[0]!.human).toContain('skip [fixture-echo] checks        target fixture-echo has no checks of its own (its Target has no doctor)');
});

test('a target\'s doctor hook supplies its checks (offline too), with the exit code of its misses', async () => {
  const r = await cli(['doctor', '--target', 'fixture-probe', '--json']);
  expect((r.data!.checks as Checks).slice(2)).toEqual([
    expect.objectContaining({ area: 'common', name: 'ssh client' }),
    { area: 'fixture-probe', name: 'probe api', status: 'miss', detail: 'not reachable', fix: 'start the probe' },
  ]);
  expect(r.code).toBe(3);
  const offline = await cli(['doctor', '--target', 'fixture-probe', '--offline', '--json']);
  expect((offline.data!.checks as Checks).at(-1)).toMatchObject({ name: 'probe api', status: 'skip' });
});

test('without --target every registered target is asked, in registry order; a common check they share is shown once', async () => {
  const r = await cli(['doctor', '--offline', '--json'], { env: { FRUITS_SSH_KEY: '' } });
  const checks = r.data!.checks as Checks;
  const areas = [...new Set(checks.map((c) => c.area).filter((a) => a !== 'common'))];
  expect(areas).toEqual(TARGETS.map((t) => t.name));
  expect(checks.filter((c) => c.name === 'ssh client')).toHaveLength(1); // vm, emr and fixture-probe each return it
}, 60_000);

test('doctor.ts names no target: their checks are reached through the registry only', () => {
  const code = readFileSync(join(ROOT, 'runner/commands/doctor.ts'), 'utf8').replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
  const named = TARGETS.map((t) => t.name).filter((n) => new RegExp(`['"\`]${n}['"\`]`).test(code));
  expect(named).toEqual([]);
  expect(code).not.toMatch(/from '\.\.\/(doctor|targets)\/(local|vm|emr)\.js'/);
});
