// runner/command-table.ts: parseArgs, the per-command allow-lists and every --help generated from one table.
import { COMMANDS, COMMON_OPTIONS, OPTIONS, commandHelp, globalHelp, allowedOptions } from '../../../runner/command-table.js';
import { EMR_OUTPUTS, inProcessCli, mockedAws } from '../../helpers/in-process-cli.js';

mockedAws();
const { outputsFile, cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

describe('per-command help from one command table', () => {
  test.each([
    ['status', ['--cluster-id', '--region', '--outputs-file', '--follow']],
    ['logs', ['--cluster-id', '--region', '--outputs-file', '--wait-seconds']],
    ['upload-data', ['--to', '--concurrency', '--checksum', '--region', '--outputs-file']],
    ['run', ['--input', '--weights', '--host', '--no-wait', '--timeout-minutes']],
    ['ui', ['--cluster-id']],
  ])('fruits %s --help lists its own flags', async (command, flags) => {
    const r = await cli([command, '--help']);
    expect(r.code).toBe(0);
    const text = r.out.results[0]!.human;
    const spec = COMMANDS.find((c) => c.name === command)!;
    expect(text.split('\n')[0]).toBe(`usage: fruits ${command}${spec.args ? ' ' + spec.args : ''} [options]${spec.trailing ? ' ' + spec.trailing : ''}`);
    for (const f of flags) expect(text).toMatch(new RegExp(`^  ${f}\\b`, 'm'));
    expect((await cli(['help', command])).out.results[0]!.human).toBe(text);
  });

  test('usage lines say [options] once, and fruits help lists the common options from the table', () => {
    expect(commandHelp('run').split('\n')[0]).toBe('usage: fruits run <local|vm|emr> [options] [-- <extra job args>]');
    for (const c of COMMANDS) expect(commandHelp(c.name).split('\n')[0]!.match(/\[options\]/g)?.length ?? 0).toBeLessThanOrEqual(1);
    const common = globalHelp().split('\n').find((l) => l.startsWith('common options:'))!;
    expect([...common.matchAll(/--([\w-]+)/g)].map((m) => m[1])).toEqual(COMMON_OPTIONS);
  });

  test('each command help is different, and lists exactly what the command accepts', async () => {
    const texts = new Set(COMMANDS.map((c) => commandHelp(c.name)));
    expect(texts.size).toBe(COMMANDS.length);
    for (const c of COMMANDS) {
      const listed = [...commandHelp(c.name).matchAll(/^ {2}(?:-\w, )?--([\w-]+)/gm)].map((m) => m[1]);
      expect(new Set(listed)).toEqual(allowedOptions(c.name));
    }
  });

  test('every declared option belongs to some command, and the flags the help lists are accepted', async () => {
    const used = new Set(COMMANDS.flatMap((c) => [...allowedOptions(c.name)]));
    expect(Object.keys(OPTIONS).filter((o) => !used.has(o))).toEqual([]);
    // status accepts --region and --outputs-file (it reaches AWS config, not a usage error)
    const r = await cli(['status', '--region', 'eu-west-1', '--outputs-file', outputsFile, '--cluster-id', 'j-NOPE', '--json']);
    expect(r.out.errors.join('\n')).not.toMatch(/does not apply/);
    const bad = await cli(['logs', 's-1', '--follow']);
    expect(bad.code).toBe(2);
    expect(bad.out.errors[0]).toMatch(/--follow does not apply to "logs" \(see fruits logs --help\)/);
  });
});
