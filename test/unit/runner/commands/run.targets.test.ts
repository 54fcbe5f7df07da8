// `fruits run <target>` with the targets as data (runner/targets/registry.ts): a target added to
// TARGETS (here `echo`, with no flags of its own, removed after the tests) is in the help and runs.
import { commandHelp } from '../../../../runner/command-table.js';
import { defaultJobContract } from '../../../../config/job-contract.js';
import { TARGETS, type TargetEntry } from '../../../../runner/targets/registry.js';
import { EMR_OUTPUTS, inProcessCli } from '../../../helpers/in-process-cli.js';

const { cli } = inProcessCli(EMR_OUTPUTS, 'fruits-run-targets-');
const echo: TargetEntry = {
  name: 'echo', options: [], load: async () => ({
    run: async (req, ctx) => (ctx.out.result({ target: 'echo', runId: req.runId }, `echo ${req.runId}`), { exitCode: 0, data: {} }),
  }),
};
const registered = TARGETS as TargetEntry[];
beforeAll(() => registered.push(echo));
afterAll(() => registered.splice(registered.indexOf(echo), 1));

// The checkout's table is built once at import; a copy of the contract builds it again, with echo.
const help = () => commandHelp('run', structuredClone(defaultJobContract()));

test('run --help has a group for each target with flags, and none (not an empty heading) for a target without', () => {
  const text = help();
  expect(text.split('\n')[0]).toBe(`usage: fruits run <${TARGETS.map((t) => t.name).join('|')}> [options] [-- <extra job args>]`);
  expect(text).not.toContain('echo options:');
  for (const t of TARGETS.filter((e) => e.options.length)) expect(text).toContain(`\n${t.name} options:\n  --${t.options[0]} `);
  expect(text).not.toMatch(/options:\n\n/);
});

test('a target without flags of its own runs with the common run flags', async () => {
  const r = await cli(['run', 'echo', '--run-id', 'e1', '--dry-run', '--json']);
  expect([r.code, r.data]).toEqual([0, { target: 'echo', runId: 'e1' }]);
});
