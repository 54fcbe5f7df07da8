// `fruits run <target>` with the targets as data (runner/targets/registry.ts): a target added to
// TARGETS (here `fixture-echo`, with no flags of its own, removed after the tests) is in the help and runs,
// and a flag that belongs only to other targets is refused rather than dropped.
import { join } from 'node:path';
import { commandHelp } from '../../../../runner/command-table.js';
import { defaultJobContract } from '../../../../config/job-contract.js';
import { foreignFlagProblem, TARGETS, type TargetEntry } from '../../../../runner/targets/registry.js';
import { ROOT } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, inProcessCli } from '../../../helpers/in-process-cli.js';

const { cli } = inProcessCli(EMR_OUTPUTS, 'fruits-run-targets-');
const echo: TargetEntry = {
  name: 'fixture-echo', options: [], load: async () => ({
    run: async (req, ctx) => (ctx.out.result({ target: 'fixture-echo', runId: req.runId }, `fixture-echo ${req.runId}`), { exitCode: 0, data: {} }),
  }),
};
const registered = TARGETS as TargetEntry[];
beforeAll(() => registered.push(echo));
afterAll(() => registered.splice(registered.indexOf(echo), 1));

// The checkout's table is built once at import; a copy of the contract builds it again, with fixture-echo.
const help = () => commandHelp('run', structuredClone(defaultJobContract()));

test('run --help has a group for each target with flags, and none (not an empty heading) for a target without', () => {
  const text = help();
  expect(text.split('\n')[0]).toBe(`usage: fruits run <${TARGETS.map((t) => t.name).join('|')}> [options] [-- <extra job args>]`);
  expect(text).not.toContain('fixture-echo options:');
  for (const t of TARGETS.filter((e) => e.options.length)) expect(text).toContain(`\n${t.name} options:\n  --${t.options[0]} `);
  expect(text).not.toMatch(/options:\n\n/);
});

test('a target without flags of its own runs with the common run flags', async () => {
  const r = await cli(['run', 'fixture-echo', '--run-id', 'e1', '--dry-run', '--json']);
  expect([r.code, r.data]).toEqual([0, { target: 'fixture-echo', runId: 'e1' }]);
});

describe('a flag of other targets only', () => {
  // The wording, on a fixed list of targets (the registry's may grow).
  test('is named with the targets it belongs to and the fix', () => {
    const targets: TargetEntry[] = [
      { name: 'local', options: ['python'], load: echo.load },
      { name: 'vm', options: ['host', 'python'], load: echo.load },
      { name: 'emr', options: ['cluster-id'], load: echo.load },
      { name: 'bare', options: [], load: echo.load },
    ];
    expect(foreignFlagProblem('local', ['input', 'cluster-id'], targets)).toEqual({ problem: '--cluster-id is a flag of target emr, not local', fix: 'drop it, or run "fruits run emr ..."' });
    expect(foreignFlagProblem('emr', ['python'], targets)).toEqual({ problem: '--python is a flag of targets local and vm, not emr', fix: 'drop it, or run "fruits run local ..." or "fruits run vm ..."' });
    expect(foreignFlagProblem('bare', ['python'], [...targets, { name: 'k8s', options: ['python'], load: echo.load }])?.problem).toBe('--python is a flag of targets local, vm and k8s, not bare');
    expect(foreignFlagProblem('bare', ['host'], targets)?.problem).toBe('--host is a flag of target vm, not bare');
    // Listed by several targets: each one's. Listed by none (the job's and the common flags): every target's.
    expect(foreignFlagProblem('vm', ['python', 'host', 'input', 'k', 'conf', 'job-dir', 'json', 'dry-run', 'config'], targets)).toBeUndefined();
  });

  test.each([
    [['run', 'local', '--dry-run', '--cluster-id', 'j-1', '--input', '.', '--output', 'o'], 'cluster-id', 'local', 'emr'],
    [['run', 'fixture-echo', '--dry-run', '--host', 'h'], 'host', 'fixture-echo', 'vm'],
    [['run', 'vm', '--dry-run', '--no-wait', '--input', '/in'], 'no-wait', 'vm', 'emr'],
    [['run', 'emr', '--dry-run', '--python', '/p'], 'python', 'emr', 'local'],
  ])('%j is refused in one line, exit 2', async (args, flag, target, owner) => {
    // --dry-run: where the flag was dropped (the old behaviour) the run only plans.
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.out.errors).toEqual([expect.stringMatching(new RegExp(`^error: --${flag} is a flag of targets? [^;]*\\b${owner}\\b[^;]*, not ${target}; drop it, or run [^;]*"fruits run ${owner} \\.\\.\\."`))]);
  });

  test('a flag listed by several targets is each one\'s; the job\'s and the common flags are every target\'s', async () => {
    const vm = await cli(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'v1', '--python', '/opt/py/bin/python', '--dry-run', '--json'], { env: { FRUITS_VM_HOST: '192.0.2.10' } });
    expect(vm.code).toBe(0);
    expect(JSON.stringify(vm.data)).toContain('PYSPARK_PYTHON=/opt/py/bin/python'); // vm.python, as the flag's config map says
    const echoRun = await cli(['run', 'fixture-echo', '--run-id', 'e2', '--job-dir', join(ROOT, 'jobs'), '--k', '3', '--conf', 'spark.x=1', '--dry-run', '--json']);
    expect([echoRun.code, echoRun.out.errors]).toEqual([0, []]);
  });
});
