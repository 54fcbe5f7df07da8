// runner/command-table.ts: parseArgs, the per-command allow-lists and every --help generated from one table.
import { COMMANDS, COMMON_OPTIONS, OPTIONS, commandHelp, configFlags, expandHelp, globalHelp, allowedOptions, type OptionSpec } from '../../../runner/command-table.js';
import { configFields } from '../../../config/loader.js';
import { listText, TARGETS, targetNames } from '../../../runner/targets/registry.js';
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
    expect(commandHelp('run').split('\n')[0]).toBe(`usage: fruits run <${targetNames().join('|')}> [options] [-- <extra job args>]`);
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

describe('flags linked to config fields', () => {
  const fields = new Map(configFields().map((f) => [f.path, f.info]));
  const links = Object.entries(OPTIONS as Record<string, OptionSpec>).filter(([, o]) => o.config !== undefined);

  test('every link names a field of the schema, and no linked help hard-codes a default', () => {
    expect(links.length).toBeGreaterThan(10);
    for (const [name, o] of links) {
      for (const path of typeof o.config === 'string' ? [o.config] : Object.values(o.config!)) expect([name, fields.has(path)]).toEqual([name, true]);
      expect([name, o.help]).not.toEqual([name, expect.stringMatching(/default [^{:]/)]);
    }
  });

  test('help defaults, ranges and choices are the schema\'s', () => {
    const run = commandHelp('run');
    expect(run).toContain(`Spark master (default ${fields.get('local.master')!.default})`);
    expect(run).toContain(`where the Spark driver runs (default ${fields.get('emr.deployMode')!.default})`);
    expect(run).toContain(`ssh port (vm: default ${fields.get('vm.port')!.default}; tunnel: local SOCKS port, default ${fields.get('tunnel.port')!.default})`);
    expect(run).toContain(`${fields.get('emr.actionOnFailure')!.default} (default) | `);
    const c = fields.get('upload.concurrency')!;
    expect(commandHelp('upload-data')).toContain(`parallel uploads, ${c.min}-${c.max} (default ${c.default})`);
    expect(() => expandHelp('{default:vm.nope}')).toThrow(/config field vm.nope/);
  });

  test('the config overrides of the flags follow the links (by target, by command, else *)', () => {
    expect(configFlags({ 'spark-submit': '/s', port: '2222', 'cluster-id': 'j-1' }, 'run', 'vm')).toEqual({ 'vm.sparkSubmit': '/s', 'vm.port': '2222', 'emr.clusterId': 'j-1' });
    expect(configFlags({ 'spark-submit': '/s', master: 'local[2]' }, 'run', 'local')).toEqual({ 'local.sparkSubmit': '/s', 'local.master': 'local[2]' });
    expect(configFlags({ port: '9000', key: '/k' }, 'tunnel')).toEqual({ 'tunnel.port': '9000', 'tunnel.key': '/k' });
    expect(configFlags({ python: '/p', port: '22' }, 'doctor')).toEqual({ 'local.python': '/p', 'vm.port': '22' });
  });
});

describe('command handlers and the target registry', () => {
  test('every row names a handler module that exports a function', async () => {
    for (const c of COMMANDS) expect([c.name, typeof (await c.handler())]).toEqual([c.name, 'function']);
  });

  test('every registered target loads one module with a run function; run and doctor take their names from the registry', async () => {
    for (const t of TARGETS) expect([t.name, typeof (await t.load()).run]).toEqual([t.name, 'function']);
    expect(commandHelp('run').split('\n')[0]).toBe(`usage: fruits run <${targetNames().join('|')}> [options] [-- <extra job args>]`);
    expect(commandHelp('doctor')).toContain(`--target ${targetNames().join('|')}`);
    const r = await cli(['run', 'moon']);
    expect(r.out.errors).toEqual([`error: unknown target "moon"; use ${listText(targetNames())}`]);
    expect([listText(['local', 'vm', 'emr']), listText(['local', 'vm']), listText(['local'])]).toEqual(['local, vm or emr', 'local or vm', 'local']);
  });
});
