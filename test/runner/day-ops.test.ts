// A day of operations (issue 10): per-command help from the command table, progress views,
// the Spark UI link, and each rough edge an ops engineer hit. In-process, AWS mocked.
import { mockClient } from 'aws-sdk-client-mock';
import {
  AddJobFlowStepsCommand, CancelStepsCommand, CreatePersistentAppUICommand, DescribeClusterCommand, DescribeStepCommand, EMRClient,
  GetPersistentAppUIPresignedURLCommand, InternalServerException, ListStepsCommand,
} from '@aws-sdk/client-emr';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../runner/cli.js';
import { COMMANDS, COMMON_OPTIONS, OPTIONS, commandHelp, globalHelp, allowedOptions } from '../../runner/command-table.js';
import { loadConfig } from '../../runner/config.js';
import { waitForStep } from '../../runner/aws/emr-watch.js';
import { fromAwsError } from '../../runner/platform/errors.js';
import { makeOutput } from '../../runner/platform/output.js';
import { makeProgressView } from '../../runner/progress/progress-view.js';
import { formatProgressLine, parseProgressLine, type RunProgress } from '../../runner/progress/run-progress.js';
import { fetchStepLogs } from '../../runner/aws/step-logs.js';
import { listLocalImages, listRemote } from '../../runner/commands/upload-data.js';
import { mergeFoxyProxy, routedThroughTunnel } from '../../runner/argv/ssh-tunnel.js';
import { remotePruneCommand } from '../../runner/argv/ssh.js';
import { unreachable } from '../../runner/targets/vm.js';
import { LAUNCHER, captureOutput, fakeClock, mktemp, sampleImages } from './helpers.js';

const emrMock = mockClient(EMRClient);
const s3Mock = mockClient(S3Client);
beforeEach(() => {
  emrMock.reset();
  s3Mock.reset();
});

const dir = mktemp('fruits-day-');
const outputsFile = join(dir, 'cdktf-outputs.json');
writeFileSync(outputsFile, JSON.stringify({
  'fruits-emr': { region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://data/images/', results_uri: 's3://data/results/', code_uri: 's3://art/code/', log_uri: 's3://logs/emr-logs/' },
}));
const env = { FRUITS_OUTPUTS_FILE: outputsFile };
const cli = async (args: string[], extra: { signal?: AbortSignal; out?: ReturnType<typeof captureOutput> } = {}) => {
  const out = extra.out ?? captureOutput(args.includes('--json'));
  const clock = fakeClock();
  const code = await main(args, { out, env, clock, signal: extra.signal });
  return { code, out, clock, data: out.results[0]?.data as Record<string, unknown> | undefined };
};
const awsError = (name: string, message = name, status?: number) => Object.assign(new Error(message), { name, $metadata: status ? { httpStatusCode: status } : {} });
const body = (text: string) => ({ Body: { transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } }) as never;
const progress = (over: Partial<RunProgress> = {}): RunProgress => ({
  run_id: 'r1', status: 'running', stage: 'featurize', images_total: 140, images_done: 70, images_failed: 1,
  images_per_second: 7, eta_s: 10, elapsed_s: 12, updated_at: '2026-01-01T00:00:00Z', seq: 3, ...over,
});
const cluster = (State: string) => ({ Cluster: { Id: 'j-ABC', Name: 'fruits', ClusterArn: 'arn:aws:elasticmapreduce:eu-west-1:1:cluster/j-ABC', LogUri: 's3n://logs/emr-logs/', Status: { State, StateChangeReason: { Message: 'Terminated by user request' } } } }) as never;

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

describe('progress views', () => {
  test('FRUITS_PROGRESS lines parse; anything else does not', () => {
    const p = progress();
    expect(parseProgressLine(`FRUITS_PROGRESS ${JSON.stringify(p)}`)).toEqual(p);
    expect(parseProgressLine('FRUITS_PROGRESS {"status":"running"}')).toBeUndefined();
    expect(parseProgressLine('12:00 fruits-job INFO featurize ...')).toBeUndefined();
    expect(formatProgressLine(p)).toBe('progress: featurize 70/140 images (50%), 7.0 img/s, 1 failed, ETA 00:10');
  });

  test('an interrupted run (job summary and progress status "interrupted") parses and says where it stopped', () => {
    const p = progress({ status: 'interrupted', stage: 'train' });
    expect(parseProgressLine(`FRUITS_PROGRESS ${JSON.stringify(p)}`)).toEqual(p);
    expect(formatProgressLine(p)).toMatch(/^progress: interrupted in train 70\/140 images/);
  });

  test('--json: one event per new snapshot (dedup by seq), on stderr, stdout untouched', () => {
    const chunks = { out: '', err: '' };
    const sink = (k: 'out' | 'err') => new Writable({ write(c, _e, cb) { chunks[k] += String(c); cb(); } });
    const out = makeOutput(true, sink('out'), sink('err'));
    const view = makeProgressView(out, { clock: fakeClock() });
    view.update(progress({ seq: 1 }));
    view.update(progress({ seq: 1 }));
    view.update(progress({ seq: 2, images_done: 140, status: 'succeeded', stage: 'done' }));
    const events = chunks.err.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => [e.event, e.seq, e.images_done])).toEqual([['progress', 1, 70], ['progress', 2, 140]]);
    expect(chunks.out).toBe('');
  });

  test('plain (not a terminal): a line per stage change, at 100 %, and every 15 s, not per update', () => {
    const out = captureOutput();
    const clock = fakeClock();
    const view = makeProgressView(out, { clock });
    view.update(progress({ images_done: 10 }));
    clock.t += 5_000;
    view.update(progress({ images_done: 20 }));
    clock.t += 15_000;
    view.update(progress({ images_done: 60 }));
    view.update(progress({ images_done: 140, eta_s: 0 }));
    view.update(progress({ images_done: 140, stage: 'pca_fit' }));
    expect(out.infos).toEqual([
      expect.stringMatching(/^progress: featurize 10\/140/),
      expect.stringMatching(/^progress: featurize 60\/140/),
      expect.stringMatching(/^progress: featurize 140\/140 images \(100%\)/),
      expect.stringMatching(/^progress: pca_fit 140\/140/),
    ]);
  });

  test('terminal: a cli-progress bar that reaches 100 %, with job lines printed above it', async () => {
    let text = '';
    const tty = Object.assign(new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), { isTTY: true, columns: 120 });
    const out = makeOutput(false, new Writable({ write(_c, _e, cb) { cb(); } }), tty);
    expect(out.live).toBe(true);
    const view = makeProgressView(out, { clock: fakeClock() });
    view.update(progress({ images_done: 35 }));
    view.out.jobLine('a job line');
    view.update(progress({ images_done: 140, eta_s: 0 }));
    await new Promise((r) => setTimeout(r, 300));
    view.stop();
    expect(text).toMatch(/featurize .*\] 100% 140\/140 images, 7\.0\/s, 1 failed/);
    expect(text).toContain('a job line\n');
    expect(text.slice(text.lastIndexOf('a job line'))).toMatch(/100% 140\/140 images/); // the bar is drawn again below logged lines
  });
});

describe('Spark UI link (persistent application UI)', () => {
  test('fruits ui: CreatePersistentAppUI on the cluster ARN, then the presigned URL once ready', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(CreatePersistentAppUICommand).resolves({ PersistentAppUIId: 'p-1' });
    emrMock.on(GetPersistentAppUIPresignedURLCommand).resolvesOnce({ PresignedURLReady: false }).resolves({ PresignedURLReady: true, PresignedURL: 'https://p-1.emrappui-prod.eu-west-1.amazonaws.com/shs/?authToken=x' });
    const r = await cli(['ui', '--json']);
    expect(r.code).toBe(0);
    expect(r.data).toMatchObject({ clusterId: 'j-ABC', url: expect.stringMatching(/^https:\/\/p-1\.emrappui/), persistentAppUiId: 'p-1' });
    expect(emrMock.commandCalls(CreatePersistentAppUICommand)[0]!.args[0].input).toEqual({ TargetResourceArn: 'arn:aws:elasticmapreduce:eu-west-1:1:cluster/j-ABC', ProfilerType: 'SHS' });
    expect(emrMock.commandCalls(GetPersistentAppUIPresignedURLCommand)[0]!.args[0].input).toEqual({ PersistentAppUIId: 'p-1', PersistentAppUIType: 'SHS' });
    expect(r.clock.sleeps).toEqual([5_000]);
  });

  test('denied: exit 4 naming the IAM actions', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(CreatePersistentAppUICommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: elasticmapreduce:CreatePersistentAppUI'));
    const r = await cli(['ui']);
    expect(r.code).toBe(4);
    expect(r.out.errors[0]).toMatch(/elasticmapreduce:CreatePersistentAppUI, elasticmapreduce:DescribePersistentAppUI, elasticmapreduce:GetPersistentAppUIPresignedURL/);
  });

  test('run emr: prints the link once the step runs and shows the run\'s progress.json from S3', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    const step = (State: string) => ({ Step: { Id: 's-1', Name: 'fruits r1', Status: { State } } }) as never;
    emrMock.on(DescribeStepCommand).resolvesOnce(step('PENDING')).resolvesOnce(step('RUNNING')).resolvesOnce(step('RUNNING')).resolves(step('COMPLETED'));
    emrMock.on(CreatePersistentAppUICommand).resolves({ PersistentAppUIId: 'p-1' });
    emrMock.on(GetPersistentAppUIPresignedURLCommand).resolves({ PresignedURLReady: true, PresignedURL: 'https://p-1.emrappui/shs/' });
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r1/progress.json' })
      .resolvesOnce(body(JSON.stringify(progress({ seq: 1, images_done: 40 }))))
      .resolves(body(JSON.stringify(progress({ seq: 9, images_done: 140, status: 'succeeded', stage: 'done', eta_s: 0 }))));
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r1/summary.json' })
      .resolves(body(JSON.stringify({ status: 'succeeded', run_id: 'r1', counts: { total_files: 140, featurized: 140, failed: 0 }, pca: { k: 50 } })));
    const r = await cli(['run', 'emr', '--run-id', 'r1', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.events.filter((e) => e.event === 'progress').map((e) => e.images_done)).toEqual([40, 140]);
    expect(r.out.events.filter((e) => e.event === 'spark_ui')).toEqual([{ event: 'spark_ui', url: 'https://p-1.emrappui/shs/', clusterId: 'j-ABC' }]);
    expect(emrMock.commandCalls(CreatePersistentAppUICommand)).toHaveLength(1);
    expect(r.data).toMatchObject({ sparkUi: 'https://p-1.emrappui/shs/' });
  });

  test('run emr: a refused link is one line and the run goes on', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    emrMock.on(AddJobFlowStepsCommand).resolves({ StepIds: ['s-1'] });
    emrMock.on(DescribeStepCommand).resolvesOnce({ Step: { Id: 's-1', Status: { State: 'RUNNING' } } } as never).resolves({ Step: { Id: 's-1', Status: { State: 'COMPLETED' } } } as never);
    emrMock.on(CreatePersistentAppUICommand).rejects(awsError('AccessDeniedException'));
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(GetObjectCommand).resolves(body(JSON.stringify({ status: 'succeeded', run_id: 'r1', counts: {} })));
    const r = await cli(['run', 'emr', '--run-id', 'r1']);
    expect(r.code).toBe(0);
    expect(r.out.infos.filter((l) => /Spark UI/.test(l))).toEqual([expect.stringMatching(/^fruits: no Spark UI link \(AWS denied CreatePersistentAppUI .*elasticmapreduce:CreatePersistentAppUI/)]);
  });
});

describe('status, follow and logs', () => {
  test('status on a terminated cluster says the cluster is gone and how to get a new one', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('TERMINATED'));
    emrMock.on(ListStepsCommand).resolves({ Steps: [] });
    const r = await cli(['status']);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.human).toBe(
      'cluster j-ABC (fruits) TERMINATED: Terminated by user request\nno steps listed: the cluster is TERMINATED; deploy a new one (npx cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)',
    );
  });

  test('status <step> --follow: progress from the run folder named in the step args; Ctrl-C stops watching, never cancels', async () => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    const args = ['spark-submit', 's3://art/code/runs/r7/run_job.py', '--input', 's3://data/images/', '--output', 's3://data/results/', '--run-id', 'r7'];
    emrMock.on(DescribeStepCommand).resolves({ Step: { Id: 's-7', Name: 'fruits r7', Config: { Args: args }, Status: { State: 'RUNNING' } } } as never);
    s3Mock.on(GetObjectCommand, { Bucket: 'data', Key: 'results/r7/progress.json' }).resolves(body(JSON.stringify(progress({ run_id: 'r7', images_done: 90 }))));
    const ac = new AbortController();
    const out = captureOutput(true);
    const event = out.event;
    out.event = (d) => (event(d), ac.abort());
    const r = await cli(['status', 's-7', '--follow', '--json'], { out, signal: ac.signal });
    expect(r.code).toBe(130);
    expect(out.events[0]).toMatchObject({ event: 'progress', run_id: 'r7', images_done: 90 });
    expect(emrMock.commandCalls(CancelStepsCommand)).toHaveLength(0);
    expect(out.errors[0]).toMatch(/stopped following step s-7; it is still RUNNING on j-ABC/);
  });

  test('logs --wait-seconds 5 waits 5 s, not a whole 20 s retry', async () => {
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    const clock = fakeClock();
    const l = await fetchStepLogs(new S3Client({ region: 'eu-west-1' }), { logUri: 's3://logs/emr-logs/', clusterId: 'j-ABC', stepId: 's-1', waitMs: 5_000, clock });
    expect(l.missing).toBe(true);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(5_000);
  });

  test.each([
    [[], /no logs for s-1 in s3:\/\/logs\/emr-logs\/j-ABC\/steps\/s-1\/ yet: .* retry with --wait-seconds 300$/],
    [['--wait-seconds', '300'], /after waiting 300 s: .* retry in a few minutes$/],
  ])('logs that are not there yet: exit 3 (not a usage error), honest hint %j', async (flags, message) => {
    emrMock.on(DescribeClusterCommand).resolves(cluster('WAITING'));
    s3Mock.on(GetObjectCommand).rejects(awsError('NoSuchKey'));
    const r = await cli(['logs', 's-1', ...flags]);
    expect(r.code).toBe(3);
    expect(r.out.errors).toEqual([expect.stringMatching(message)]);
    if (!flags.length) expect(r.out.errors[0]).not.toMatch(/after waiting/);
  });

  test('Ctrl-C whose CancelSteps fails: says the step still runs, how to follow and cancel it', async () => {
    const ac = new AbortController();
    emrMock.on(DescribeStepCommand).callsFake(async () => (ac.abort(), { Step: { Id: 's-1', Status: { State: 'RUNNING' } } }));
    emrMock.on(CancelStepsCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: elasticmapreduce:CancelSteps'));
    const emr = new EMRClient({ region: 'eu-west-1' });
    const p = waitForStep(emr, { clusterId: 'j-ABC', stepId: 's-1', pollMs: 1000, timeoutMs: 0, clock: fakeClock(), signal: ac.signal, cancelOption: 'SEND_INTERRUPT' });
    await expect(p).rejects.toMatchObject({
      exitCode: 4,
      message: expect.stringMatching(/AWS denied CancelSteps s-1 .*; step s-1 is still RUNNING on j-ABC: follow it with `fruits status s-1 --follow --cluster-id j-ABC`, cancel it with `aws emr cancel-steps --cluster-id j-ABC --step-ids s-1`/),
    });
  });
});

describe('FRUITS_DEBUG', () => {
  // A real SDK exception class, as the EMR client throws it.
  const sdkError = () => new InternalServerException({ message: 'We encountered an internal error', $metadata: { httpStatusCode: 500, requestId: 'req-42' } });

  const statusWithDebug = async (debug: Record<string, string>) => {
    emrMock.on(DescribeClusterCommand).resolves({ Cluster: { Id: 'j-ABC', Status: { State: 'WAITING' } } });
    emrMock.on(DescribeStepCommand).rejects(sdkError());
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof write;
    try {
      const out = captureOutput();
      const code = await main(['status', 's-1'], { out, env: { ...env, ...debug }, clock: fakeClock() });
      return { code, out, stderr: written.join('') };
    } finally {
      process.stderr.write = write;
    }
  };

  test('an AWS error keeps the SDK error as cause; FRUITS_DEBUG=1 prints the cause chain with stacks', async () => {
    const plain = await statusWithDebug({});
    expect(plain.code).toBe(1);
    expect(plain.out.errors).toEqual(['error: DescribeStep s-1 failed (InternalServerException: We encountered an internal error)']);
    expect(plain.stderr).toBe('');

    const debug = await statusWithDebug({ FRUITS_DEBUG: '1' });
    expect(debug.out.errors).toEqual(plain.out.errors);
    expect(debug.stderr).toMatch(/^FruitsError: DescribeStep s-1 failed[^\n]*\n\s+at /);
    expect(debug.stderr).toMatch(/\ncaused by: InternalServerException: We encountered an internal error\n\s+at /);
    expect(debug.stderr).toContain('"requestId":"req-42"');
  });

  test('fromAwsError keeps the original error as cause', () => {
    const e = sdkError();
    expect(fromAwsError(e, 'DescribeStep s-1').cause).toBe(e);
    expect(fromAwsError(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }), 'x')).toMatchObject({ exitCode: 4, problem: 'AWS denied x (AccessDeniedException: denied)', fix: expect.stringMatching(/^use a role/) });
  });
});

describe('S3 listing', () => {
  test('listRemote follows continuation tokens over every page (SDK paginator)', async () => {
    const pages: Record<string, object> = {
      '': { Contents: [{ Key: 'images/a.jpg', Size: 1 }], IsTruncated: true, NextContinuationToken: 't1' },
      t1: { Contents: [{ Key: 'images/b.jpg', Size: 2 }], IsTruncated: true, NextContinuationToken: 't2' },
      t2: { Contents: [{ Key: 'images/c.jpg' }], IsTruncated: false },
    };
    const tokens: (string | undefined)[] = [];
    s3Mock.on(ListObjectsV2Command, { Bucket: 'data', Prefix: 'images/' }).callsFake(async (input: { ContinuationToken?: string }) => {
      tokens.push(input.ContinuationToken);
      return pages[input.ContinuationToken ?? ''];
    });
    const remote = await listRemote(new S3Client({ region: 'eu-west-1' }), 'data', 'images/');
    expect([...remote]).toEqual([['images/a.jpg', { size: 1 }], ['images/b.jpg', { size: 2 }], ['images/c.jpg', { size: -1 }]]);
    expect(tokens).toEqual([undefined, 't1', 't2']);
  });
});

describe('S3 errors', () => {
  test('a 403 without an error body (HEAD) is exit 4 with the permission fix, not "UnknownError"', () => {
    for (const name of ['Unknown', '403', 'Forbidden']) {
      const e = fromAwsError(awsError(name, 'UnknownError', 403), 'checking s3://d/images/a.jpg');
      expect(e.exitCode).toBe(4);
      expect(e.message).toMatch(/^AWS denied checking s3:\/\/d\/images\/a\.jpg \(HTTP 403( Forbidden)?\): use a role\/user allowed/);
    }
  });

  test('upload-data --checksum without s3:GetObject: exit 4', async () => {
    const imgs = sampleImages(join(dir, 'imgs403'), 1, ['apple']);
    const files = listLocalImages(imgs).files;
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: files.map((f) => ({ Key: `images/${f.rel}`, Size: f.size })) });
    s3Mock.on(HeadObjectCommand).rejects(awsError('Unknown', 'UnknownError', 403));
    const r = await cli(['upload-data', imgs, '--checksum']);
    expect(r.code).toBe(4);
    expect(r.out.errors).toEqual([expect.stringMatching(/^error: AWS denied checking s3:\/\/data\/images\/.*\(HTTP 403\)/)]);
  });

  test('a missing bucket names the fix (exit 3)', async () => {
    s3Mock.on(ListObjectsV2Command).rejects(Object.assign(awsError('NoSuchBucket', 'The specified bucket does not exist', 404), { BucketName: 'nope' }));
    const r = await cli(['upload-data', sampleImages(join(dir, 'imgsnb'), 1, ['apple']), '--to', 's3://nope/x/']);
    expect(r.code).toBe(3);
    expect(r.out.errors[0]).toMatch(/^error: listing s3:\/\/nope\/x\/: the bucket nope does not exist: check the s3:\/\/ URI .* or deploy the stack/);
  });
});

describe('upload-data and symlinks', () => {
  test('symlinked folders and files are followed; a loop and a dangling link are skipped and named', () => {
    const real = sampleImages(join(dir, 'real'), 1, ['apple', 'lemon']);
    const root = join(dir, 'linked');
    mkdirSync(join(root, 'Training'), { recursive: true });
    symlinkSync(join(real, 'Training', 'apple'), join(root, 'Training', 'apple'));
    mkdirSync(join(root, 'Training', 'lemon'));
    const lemon = readdirSync(join(real, 'Training', 'lemon'))[0]!;
    symlinkSync(join(real, 'Training', 'lemon', lemon), join(root, 'Training', 'lemon', lemon));
    symlinkSync(root, join(root, 'Training', 'loop'));
    symlinkSync(join(dir, 'nowhere.jpg'), join(root, 'Training', 'gone.jpg'));
    const { files, skippedLinks } = listLocalImages(root);
    expect(files.map((f) => f.rel)).toEqual([`Training/apple/${readdirSync(join(real, 'Training', 'apple'))[0]}`, `Training/lemon/${lemon}`]);
    expect(files.every((f) => f.size > 0)).toBe(true);
    expect(skippedLinks).toEqual(['Training/gone.jpg (dangling link)', expect.stringMatching(/^Training\/loop \(link loop back to /)]);
  });

  test('a folder without images is a usage error (exit 2), not "uploaded 0 images"', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'Training'), { recursive: true });
    writeFileSync(join(empty, 'Training', 'notes.txt'), 'x');
    const r = await cli(['upload-data', empty]);
    expect(r.code).toBe(2);
    expect(r.out.errors).toEqual([expect.stringMatching(/^error: no images \(\.jpg, \.jpeg, \.png\) under .*empty \(1 other files\): pass the image root/)]);
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

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
    else expect(r.stderr).toContain(`${expected} has no cluster_id`);
  }, 60_000);
});

describe('vm rough edges', () => {
  const vmEnv = { FRUITS_VM_HOST: '192.0.2.10' };
  test('--dry-run prints no temp paths (nothing is staged) and shows where each file comes from', async () => {
    const r = await main(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'd1', '--dry-run', '--json'], { out: captureOutput(true), env: vmEnv });
    expect(r).toBe(0);
    const out = captureOutput(true);
    await main(['run', 'vm', '--input', '/in', '--output', '/out', '--run-id', 'd1', '--dry-run', '--json'], { out, env: vmEnv });
    const plan = out.results[0]!.data as { copyFiles: Record<string, string>; prune: string[] };
    expect(JSON.stringify(plan)).not.toMatch(/fruits-vm-/);
    expect(existsSync(plan.copyFiles['run_job.py']!)).toBe(true);
    expect(existsSync(plan.copyFiles['requirements.txt']!)).toBe(true);
    expect(plan.prune.at(-1)).toMatch(/tail -n \+6/); // keeps the newest 5 by default
  });

  test('old code/<run-id>/ folders are pruned to the newest N; a folder whose job still runs is kept', async () => {
    const code = join(mktemp('fruits-prune-'), 'code');
    for (let i = 0; i < 7; i++) {
      mkdirSync(join(code, `run-${i}`), { recursive: true });
      const t = new Date(Date.UTC(2026, 0, 1 + i));
      utimesSync(join(code, `run-${i}`), t, t);
    }
    writeFileSync(join(code, 'run-0', 'job.pid'), '123');
    const t0 = new Date(Date.UTC(2026, 0, 1));
    utimesSync(join(code, 'run-0'), t0, t0);
    const r = await execa('sh', ['-c', remotePruneCommand(code, 3)], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(readdirSync(code).sort()).toEqual(['run-0', 'run-4', 'run-5', 'run-6']);
  });

  test('a host-key failure names ssh-keyscan and vm.strictHostKeyChecking', () => {
    const t = { host: '192.0.2.10', user: 'ubuntu', port: 2222, strictHostKeyChecking: 'yes' as const, connectTimeoutSeconds: 10, knownHosts: '/k/known_hosts' };
    const e = unreachable(t, ['No ED25519 host key is known for [192.0.2.10]:2222 and you have requested strict checking.', 'Host key verification failed.']);
    expect(e.exitCode).toBe(3);
    expect(e.message).toMatch(/ssh-keyscan -p 2222 192\.0\.2\.10 >> \/k\/known_hosts/);
    expect(e.message).toMatch(/vm\.strictHostKeyChecking to accept-new/);
    expect(e.message).not.toMatch(/check that the VM is running/);
    expect(unreachable(t, ['ssh: connect to host 192.0.2.10 port 2222: Connection refused']).message).toMatch(/check that the VM is running/);
  });
});

describe('FoxyProxy', () => {
  test('patterns are anchored on the host: EMR hosts go through the tunnel, other URLs never', () => {
    for (const url of ['http://10.0.1.5:8088/cluster', 'https://ec2-3-250-1-2.eu-west-1.compute.amazonaws.com:9443/hub/', 'http://ip-10-0-1-5.eu-west-1.compute.internal:20888/proxy/app/', 'http://ip-10-0-1-5.ec2.internal:18080/']) {
      expect([url, routedThroughTunnel(url)]).toEqual([url, true]);
    }
    for (const url of ['https://www.example.com/?q=10.1.2.3', 'https://news.example.org/2024/10.5-release', 'https://example.com/redirect?to=http://10.0.0.1/', 'https://s3.amazonaws.com/b/ec2.compute', 'https://10.example.com/']) {
      expect([url, routedThroughTunnel(url)]).toEqual([url, false]);
    }
  });

  test('--merge adds the EMR proxy to the user\'s export and keeps their proxies', async () => {
    const exported = { mode: 'pattern', sync: false, data: [{ title: 'work', type: 'http', hostname: 'proxy.corp', port: '3128', include: [] }, { title: 'emr-socks-proxy', port: '1' }] };
    const file = join(dir, 'foxy-export.json');
    writeFileSync(file, JSON.stringify(exported));
    const r = await cli(['tunnel', '--foxyproxy', '--merge', file, '--port', '8157']);
    expect(r.code).toBe(0);
    const merged = JSON.parse(r.out.results[0]!.human);
    expect(merged.data.map((p: { title: string; port: string }) => `${p.title}:${p.port}`)).toEqual(['work:3128', 'emr-socks-proxy:8157']);
    expect(merged.sync).toBe(false);
    expect(() => mergeFoxyProxy({ proxies: [] }, 8157)).toThrow(/not a FoxyProxy 8 export/);
    expect((await cli(['tunnel', '--merge', file])).code).toBe(2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(exported); // the export itself is untouched
  });
});

describe('fruits watch <local run folder>', () => {
  const folder = join(dir, 'runs', 'w1');
  mkdirSync(folder, { recursive: true });
  const write = (name: string, doc: unknown) => writeFileSync(join(folder, name), JSON.stringify(doc));

  test('follows progress.json until summary.json says how the run ended', async () => {
    write('progress.json', progress({ run_id: 'w1', seq: 1, images_done: 30 }));
    const out = captureOutput();
    const clock = fakeClock();
    const sleep = clock.sleep;
    let polls = 0;
    clock.sleep = async (ms, signal) => {
      if (++polls === 2) {
        write('progress.json', progress({ run_id: 'w1', seq: 7, images_done: 140, status: 'succeeded', stage: 'done', eta_s: 0 }));
        write('summary.json', { status: 'succeeded', run_id: 'w1', counts: { total_files: 140, featurized: 140, failed: 0 }, pca: { k: 50 } });
      }
      return sleep(ms, signal);
    };
    const code = await main(['watch', folder], { out, env, clock });
    expect(code).toBe(0);
    expect(out.infos.filter((l) => l.startsWith('progress:'))).toEqual([
      'progress: featurize 30/140 images (21%), 7.0 img/s, 1 failed, ETA 00:10',
      'progress: succeeded 140/140 images (100%), 7.0 img/s, 1 failed',
    ]);
    expect(out.results[0]!.human).toMatch(/^run w1 succeeded: 140\/140 images featurized/);
    expect(clock.sleeps).toEqual([1000, 1000]);
  });

  test('a run whose progress stopped changing is reported as stalled (exit 1)', async () => {
    const stalled = join(dir, 'runs', 'w2');
    mkdirSync(stalled, { recursive: true });
    writeFileSync(join(stalled, 'progress.json'), JSON.stringify(progress({ run_id: 'w2', stage: 'pca_fit' })));
    writeFileSync(join(stalled, 'summary.json'), JSON.stringify({ status: 'running', run_id: 'w2' }));
    const r = await cli(['watch', stalled]);
    expect(r.code).toBe(1);
    expect(r.out.errors[0]).toMatch(/run w2: no progress update in .*progress.json for 10 min \(last: pca_fit/);
  });

  test('a folder that never gets a run is a usage error after the wait', async () => {
    const r = await cli(['watch', join(dir, 'runs', 'nothing-here')]);
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toMatch(/no progress.json or summary.json in .*nothing-here after 120 s: pass the run folder/);
  });
});
