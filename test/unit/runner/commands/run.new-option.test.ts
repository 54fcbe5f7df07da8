// A new job option is one contract entry: added to a copy of contract.json (with a `runner` entry), it
// shows in `fruits run --help`, travels into the spark-submit argv of the step (from the flag, or from
// the config default), and fruits.config.json validates it, with no runner code naming it.
// The option's name is one nobody would add for real (not the docs' example, --min-score), so the
// assertion that the checkout's own contract lacks it holds while someone follows docs/extending.md.
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../../runner/cli.js';
import { commandHelp } from '../../../../runner/command-table.js';
import { resolveConfig } from '../../../../config/loader.js';
import { defaultJobContract, type JobContract } from '../../../../config/job-contract.js';
import { captureOutput, fakeClock, mktemp, ROOT } from '../../../helpers/runner.js';

const withTestOnlyThreshold = (): JobContract => {
  const c = structuredClone(defaultJobContract());
  c.options['test-only-threshold'] = {
    type: 'number', min: 0, max: 1, default: 0.5, help: 'a threshold only this test adds',
    runner: { value: 'P', help: 'a threshold only this test adds: {range}', config: 'a threshold only this test adds' },
  };
  return c;
};

const dir = mktemp('fruits-new-option-');
const jobDir = join(dir, 'jobs');
cpSync(join(ROOT, 'jobs'), jobDir, { recursive: true });
const contract = withTestOnlyThreshold();
writeFileSync(join(jobDir, 'fruits_job', 'contract.json'), JSON.stringify(contract));
const outputsFile = join(dir, 'cdktf-outputs.json');
writeFileSync(outputsFile, JSON.stringify({ 'fruits-emr': { region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://d/i/', results_uri: 's3://d/r/', code_uri: 's3://a/code/' } }));

async function stepArgs(args: string[], config: Record<string, unknown> = {}) {
  const configFile = join(dir, `config-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const out = captureOutput(true);
  const code = await main(['run', 'emr', '--run-id', 'r1', '--dry-run', '--json', ...args], {
    out, clock: fakeClock(), contract, env: { FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_JOB_DIR: jobDir, FRUITS_CONFIG: configFile },
  });
  const step = (out.results[0]?.data as { step?: { HadoopJarStep?: { Args?: string[] } } } | undefined)?.step;
  return { code, errors: out.errors, args: step?.HadoopJarStep?.Args ?? [] };
}

describe('a job option added to the contract only', () => {
  test('is in fruits run --help with its range and default', () => {
    const line = commandHelp('run', contract).split('\n').find((l) => l.startsWith('  --test-only-threshold '));
    expect(line).toMatch(/^ {2}--test-only-threshold P +a threshold only this test adds: a number in \[0, 1\], default 0\.5$/);
    expect(commandHelp('run')).not.toContain('--test-only-threshold'); // the checkout's own contract has no such option
  });

  test('goes into the spark-submit argv from the flag, or from the config default, checked by the job\'s range', async () => {
    const flag = await stepArgs(['--test-only-threshold', '0.25']);
    expect(flag.code).toBe(0);
    expect(flag.args.join(' ')).toContain('run_job.py --input s3://d/i/ --output s3://d/r/ --run-id r1 --test-only-threshold 0.25');
    const fromConfig = await stepArgs([], { job: { testOnlyThreshold: 0.75 } });
    expect(fromConfig.args.join(' ')).toContain('--run-id r1 --test-only-threshold 0.75');
    const bad = await stepArgs(['--test-only-threshold', '2']);
    expect([bad.code, bad.errors]).toEqual([2, ['error: --test-only-threshold must be a number in [0, 1], got "2"']]);
  });

  test('is a validated field of fruits.config.json\'s job section', () => {
    const load = (job: Record<string, unknown>) => resolveConfig({ env: {}, file: { job }, filePath: '/x/fruits.config.json', contract });
    expect(load({ testOnlyThreshold: 0.3 }).job.testOnlyThreshold).toBe(0.3);
    expect(() => load({ testOnlyThreshold: 1.5 })).toThrow('"job.testOnlyThreshold" in /x/fruits.config.json must be a number between 0 and 1, got 1.5');
    expect(() => resolveConfig({ env: {}, file: { job: { testOnlyThreshold: 0.3 } }, filePath: '/x/fruits.config.json' })).toThrow(/unknown field "job.testOnlyThreshold"/);
  });
});
