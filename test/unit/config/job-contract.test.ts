// The runner and the job agree on what the job accepts: both read jobs/fruits_job/contract.json,
// and here every option's edge values go through the runner (fruits run ... -- <option>) and
// through the real job's parse_args in Python: any difference fails. Refusals happen before
// anything starts (no spark-submit, no S3 upload, no EMR step).
import { mockClient } from 'aws-sdk-client-mock';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../runner/cli.js';
import { parseSummaryLine, RUN_ID_RE, SUMMARY_MARKER } from '../../../runner/argv/spark-submit.js';
import { PROGRESS_FILE, PROGRESS_LINES_ENV, PROGRESS_MARKER } from '../../../runner/progress/run-progress.js';
import { commandHelp } from '../../../runner/command-table.js';
import type { z } from 'zod';
import { resolveConfig } from '../../../config/loader.js';
import { runnerShape } from '../../../config/schema.js';
import { fieldRegistry } from '../../../config/fields.js';
import { summaryUri } from '../../../runner/argv/emr-step.js';
import { writeJobZip } from '../../../runner/packaging/package-job.js';
import { SUMMARY_FILE } from '../../../runner/progress/progress-source.js';
import { checkJobArgv, DEFAULT_JOB_DIR, defaultJobContract, describeRange, loadJobContract, type JobContract, type JobOptionSpec } from '../../../config/job-contract.js';
import { captureOutput, fakeClock, mktemp, ROOT } from '../../helpers/runner.js';

const contract: JobContract = loadJobContract(join(ROOT, 'jobs'));
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
const dir = mktemp('fruits-contract-');
const outputsFile = join(dir, 'cdktf-outputs.json');
writeFileSync(outputsFile, JSON.stringify({
  'fruits-emr': { region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://data/images/', results_uri: 's3://data/results/', code_uri: 's3://art/code/', log_uri: 's3://logs/emr-logs/' },
}));
const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);
beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
});

async function fruits(args: string[], env: Record<string, string> = {}) {
  const out = captureOutput(true);
  const code = await main(args, { out, env: { FRUITS_OUTPUTS_FILE: outputsFile, ...env }, clock: fakeClock() });
  return { code, out };
}
/** The emr target's dry run: pure (no AWS call, no process), so every case is milliseconds. */
const dryRun = (jobArgs: string[]) => fruits(['run', 'emr', '--run-id', 'r1', '--dry-run', '--json', '--', ...jobArgs]);

/** Values at and just past each bound of a numeric option: [accepted, refused]. */
function edges(s: JobOptionSpec): [string[], string[]] {
  const step = s.type === 'integer' ? 1 : 1e-6;
  const ok: string[] = [], bad: string[] = [];
  for (const [bound, exclusive, sign] of [[s.min, s.min_exclusive, 1], [s.max, s.max_exclusive, -1]] as const) {
    if (bound === undefined) continue;
    ok.push(String(exclusive ? bound + sign * step : bound));
    bad.push(String(exclusive ? bound : bound - sign * step));
  }
  return [ok, bad];
}

/** Generic cases from the contract: [job args, what they exercise]. */
function cases(): string[][] {
  const out: string[][] = [];
  for (const [name, s] of Object.entries(contract.options)) {
    if (name === 'input' || name === 'output') continue; // the runner always sets them
    if (s.type === 'integer' || s.type === 'number') {
      const [ok, bad] = edges(s);
      for (const v of [...ok, ...bad, 'abc', '', ' 7 ', '1_0', '0x10', '1e1', '2.5', 'nan', 'inf', '-1']) out.push([`--${name}`, v]);
    } else if (s.type === 'flag') {
      out.push([`--${name}`], [`--${name}=1`]);
    } else {
      for (const v of [...(s.choices ?? []), 'bogus']) out.push([`--${name}`, v]);
      if (s.choices) out.push([`--${name}=${s.choices[0]}`]);
    }
  }
  const samples: Record<string, string[]> = {
    'run-id': ['run-1', 'a.b_c-d', 'x'.repeat(128), 'x'.repeat(129), '../up', '-x', 'a/b', '.hidden'],
    weights: ['imagenet', 'test-only-random:7', '/m/w.H5', 's3://b/f.onnx', 'x.hdf5', 'random:1', 'test-only-random:x', '/m/w.bin', 'random.h5', 'imagenet2'],
  };
  for (const [name, values] of Object.entries(samples)) for (const v of values) out.push([`--${name}`, v]);
  out.push(['--k', '3', '--variance-target', '0.5'], ['--bogus', '1'], ['--batch', '8'], ['stray'], ['--k']);
  return out;
}

/** The real job's verdict on each case: its parse_args (argparse + checks), in one Python process. */
async function jobVerdicts(all: string[][]): Promise<boolean[]> {
  const script = [
    'import json, sys',
    `sys.path.insert(0, ${JSON.stringify(join(ROOT, 'jobs'))})`,
    'from fruits_job.options import parse_args',
    'from fruits_job.errors import UsageError',
    'out = []',
    'for case in json.load(sys.stdin):',
    '    try:',
    '        parse_args(["--input", "/in", "--output", "/out", *case]); out.append(True)',
    '    except UsageError:',
    '        out.append(False)',
    'print(json.dumps(out))',
  ].join('\n');
  const r = await execa(PYTHON, ['-c', script], { input: JSON.stringify(all), reject: false });
  expect({ code: r.exitCode, err: r.stderr.slice(-2000) }).toEqual({ code: 0, err: '' });
  return JSON.parse(r.stdout) as boolean[];
}

describe('the job contract', () => {
  test('the runner refuses exactly what the job refuses, for every option in the contract', async () => {
    const all = cases();
    const job = await jobVerdicts(all);
    const runner: boolean[] = [];
    for (const c of all) {
      const { code, out } = await dryRun(c);
      expect([code, out.errors.length]).toEqual(code === 0 ? [0, 0] : [2, 1]); // one line, exit 2
      runner.push(code === 0);
    }
    const differ = all.map((c, i) => ({ args: c.join(' '), job: job[i], runner: runner[i] })).filter((d) => d.job !== d.runner);
    expect(differ).toEqual([]);
    expect(job.filter(Boolean).length).toBeGreaterThan(10); // both accept and refuse
    expect(job.filter((x) => !x).length).toBeGreaterThan(10);
  }, 60_000);

  test.each(Object.entries(contract.options).filter(([, s]) => s.type === 'integer' || s.type === 'number'))(
    '--%s: the runner accepts its range and refuses past it with one line naming the flag and the range', async (name, s) => {
      const [ok, bad] = edges(s);
      for (const v of ok) expect((await dryRun([`--${name}`, v])).code).toBe(0);
      for (const v of bad) {
        const { code, out } = await dryRun([`--${name}`, v]);
        expect(code).toBe(2);
        expect(out.errors).toEqual([expect.stringContaining(`error: --${name} must be ${describeRange(s)}, got "${v}"`)]);
      }
    });

  test('--batch-size: 4096 is accepted and 5000 refused', async () => {
    expect(describeRange(contract.options['batch-size']!)).toBe('an integer between 1 and 4096');
    expect((await fruits(['run', 'emr', '--dry-run', '--batch-size', '4096'])).code).toBe(0);
    const flag = await fruits(['run', 'emr', '--dry-run', '--batch-size', '5000']);
    expect([flag.code, flag.out.errors]).toEqual([2, ['error: --batch-size must be an integer between 1 and 4096, got "5000" (64 is a good start)']]);
  });

  test('a config job default the job would refuse stops the emr run before any upload or step', async () => {
    const config = join(dir, 'bad-weights.json');
    writeFileSync(config, JSON.stringify({ job: { weights: 'random:1' } }));
    const { code, out } = await fruits(['run', 'emr', '--config', config]);
    expect(code).toBe(2);
    // Refused when the config is read (its one wording, naming the file), before any AWS call.
    expect(out.errors).toEqual([expect.stringMatching(/^error: "job\.weights" in \S+bad-weights\.json must be imagenet, .*got "random:1"$/)]);
    expect(emrMock.calls()).toHaveLength(0);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  test('a bad job option after -- never starts spark-submit (local target)', async () => {
    const marker = join(dir, 'spark-submit-ran');
    const fake = join(dir, 'fake-spark-submit');
    writeFileSync(fake, `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(fake, 0o755);
    const { code, out } = await fruits(['run', 'local', '--input', dir, '--output', join(dir, 'o'), '--', '--engine', 'tpu'], { FRUITS_SPARK_SUBMIT: fake });
    expect([code, out.errors]).toEqual([2, ['error: --engine must be one of onnx, keras, got "tpu"']]);
    expect(existsSync(marker)).toBe(false);
  });

  test('a job dir without the contract is one line naming the fix', async () => {
    const { code, out } = await fruits(['run', 'emr', '--dry-run'], { FRUITS_JOB_DIR: dir });
    expect(code).toBe(2);
    expect(out.errors).toEqual([expect.stringMatching(/^error: job contract .*contract\.json not found; set jobDir \/ FRUITS_JOB_DIR/)]);
  });

  test('the exclusive pair is named as the job names it', () => {
    expect(() => checkJobArgv(contract, ['--input', 'i', '--output', 'o', '--k', '3', '--variance-target', '0.5'])).toThrow('--k and --variance-target are exclusive; pass only one');
  });

  test('the run folder files and summary fields the runner reads are the ones the job declares', () => {
    const files = contract.run_folder.files;
    expect([SUMMARY_FILE, PROGRESS_FILE]).toEqual([files.summary!.path, files.progress!.path]);
    expect(summaryUri('s3://b/out', 'r1')).toBe(`s3://b/out/r1/${files.summary!.path}`);
    const fields = contract.summary.fields;
    // describeSummary / summaryStatusExit (targets/run-request.ts) read these
    for (const f of ['status', 'run_id', 'output', 'error', 'counts', 'pca', 'classifier']) expect(Object.keys(fields)).toContain(f);
    for (const f of ['total_files', 'featurized', 'failed']) expect(fields.counts!.fields).toContain(f);
  });

  test('the packaged job ships its contract (read on the driver from the --py-files zip)', async () => {
    expect(await writeJobZip(join(ROOT, 'jobs'), join(dir, 'job.zip'))).toContain('fruits_job/contract.json');
  });

  test("the run id pattern, markers and exit codes the runner uses are the contract's", () => {
    expect(RUN_ID_RE.source).toBe(`^(?:${contract.options['run-id']!.pattern})$`);
    expect([SUMMARY_MARKER, PROGRESS_MARKER, PROGRESS_LINES_ENV]).toEqual([contract.markers.summary, contract.markers.progress, contract.markers.progress_lines_env]);
    expect(parseSummaryLine(`${contract.markers.summary} s3://b/o/r/summary.json`)).toBe('s3://b/o/r/summary.json');
  });

  test("this checkout's contract is read once and is the default jobDir's", () => {
    expect(defaultJobContract()).toBe(defaultJobContract());
    expect(defaultJobContract()).toEqual(contract);
    expect(DEFAULT_JOB_DIR).toBe(resolveConfig({ env: {} }).jobDir);
  });

  test("fruits run --help states the job's own ranges and defaults, from the contract", () => {
    const help = commandHelp('run');
    for (const name of ['k', 'variance-target', 'batch-size']) {
      const line = help.split('\n').find((l) => l.startsWith(`  --${name} `))!;
      expect(line).toContain(describeRange(contract.options[name]!));
      const d = contract.options[name]!.default;
      if (d !== undefined && d !== null) expect(line).toContain(`default ${String(d)}`);
    }
  });

  test("fruits.config.json's job section takes each option's type and range from the contract", () => {
    const job = (runnerShape.job as unknown as { def: { innerType: { shape: Record<string, z.ZodType> } } }).def.innerType.shape;
    const pairs = { k: 'k', varianceTarget: 'variance-target', batchSize: 'batch-size', weights: 'weights' } as const;
    for (const [field, option] of Object.entries(pairs)) {
      const info = fieldRegistry.get(job[field]!)!;
      const spec = contract.options[option]!;
      expect({ field, min: info.min, max: info.max, minExclusive: info.minExclusive ?? false }).toEqual({
        field, min: spec.min, max: spec.max, minExclusive: spec.min_exclusive ?? false,
      });
    }
    const env = { FRUITS_CONFIG: '' };
    const load = (job: Record<string, unknown>) => () => resolveConfig({ file: { job }, filePath: '/x/fruits.config.json', env });
    expect(load({ batchSize: contract.options['batch-size']!.max })).not.toThrow();
    expect(load({ batchSize: contract.options['batch-size']!.max! + 1 })).toThrow(/"job.batchSize" in \/x\/fruits.config.json must be a whole number between 1 and 4096/);
    expect(load({ varianceTarget: 0 })).toThrow(/must be a number above 0 and at most 1/);
    expect(load({ varianceTarget: 1e-9 })).not.toThrow(); // the job takes (0, 1]; the old copy refused below 1e-6
    expect(load({ weights: 'random' })).toThrow(/"job.weights" .* must be imagenet, a Keras weights file/);
  });
});

