// Wire-protocol tests: the runner's S3 and EMR calls against a real moto server on 127.0.0.1.
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { EMRClient, ListStepsCommand, RunJobFlowCommand, TerminateJobFlowsCommand } from '@aws-sdk/client-emr';
import { appendFileSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../../runner/cli.js';
import { captureOutput, fakeClock, mktemp, sampleImages, startMoto, type Moto } from '../../helpers/runner.js';

let moto: Moto;
let s3: S3Client;
let emr: EMRClient;
const saved = { ...process.env };
const dir = mktemp('fruits-moto-');
const outputsFile = join(dir, 'cdktf-outputs.json');
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_PROFILE;
  const common = { region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  emr = new EMRClient(common);
  for (const Bucket of ['fruits-data', 'fruits-art', 'fruits-logs']) await s3.send(new CreateBucketCommand({ Bucket }));
  writeFileSync(outputsFile, JSON.stringify({
    'fruits-emr': { region: 'us-east-1', inputUri: 's3://fruits-data/images/', resultsUri: 's3://fruits-data/results/', codeUri: 's3://fruits-art/code/', logUri: 's3://fruits-logs/emr-logs/' },
  }));
  env = { FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_AWS_ENDPOINT: moto.endpoint };
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  emr?.destroy();
  await moto?.stop();
  process.env = saved;
});

const cli = async (args: string[]) => {
  const out = captureOutput(args.includes('--json'));
  const code = await main(args, { out, env, clock: fakeClock() });
  return { code, out, data: out.results[0]?.data as Record<string, unknown> | undefined };
};

const listKeys = async (Bucket: string, Prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket, Prefix }))).Contents ?? []).map((o) => `${o.Key}:${o.Size}`).sort();

describe('upload-data over the wire', () => {
  const images = sampleImages(join(dir, 'images'), 2, ['apple', 'lemon']);
  writeFileSync(join(images, 'README.txt'), 'not an image');

  test('uploads all, then skips what is there, then only what changed', async () => {
    const first = await cli(['upload-data', images, '--json']);
    expect(first.code).toBe(0);
    expect(first.data).toMatchObject({ total: 4, uploaded: 4, skipped: 0, ignored: 1, destination: 's3://fruits-data/images/' });
    const keys = await listKeys('fruits-data', 'images/');
    expect(keys).toHaveLength(4);
    expect(keys[0]).toMatch(/^images\/Training\/apple\/.+\.jpg:\d+$/);
    expect(first.out.statuses.at(-1)).toMatch(/^\[4\/4\] /);

    const again = await cli(['upload-data', images, '--json']);
    expect(again.data).toMatchObject({ uploaded: 0, skipped: 4 });

    const changed = join(images, 'Training', 'apple', keys[0]!.split('/').pop()!.split(':')[0]!);
    appendFileSync(changed, Buffer.from([0]));
    const third = await cli(['upload-data', images, '--json']);
    expect(third.data).toMatchObject({ uploaded: 1, skipped: 3 });
  });

  test('uploads record the content SHA-256 in object metadata', async () => {
    const [key] = (await listKeys('fruits-data', 'images/Training/apple/')).map((k) => k.split(':')[0]!);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'fruits-data', Key: key }));
    const local = readFileSync(join(images, key!.slice('images/'.length)));
    expect(head.Metadata).toEqual({ sha256: createHash('sha256').update(local).digest('hex') });
  });

  test('--checksum: unchanged files are skipped, same-size changes and objects without sha256 metadata re-uploaded; --dry-run uploads nothing', async () => {
    const unchanged = await cli(['upload-data', images, '--checksum', '--json']);
    expect(unchanged.data).toMatchObject({ uploaded: 0, skipped: 4 });

    const lemonKeys = (await listKeys('fruits-data', 'images/Training/lemon/')).map((k) => k.split(':')[0]!);
    const file = join(images, lemonKeys[0]!.slice('images/'.length));
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff; // same size, different content
    writeFileSync(file, bytes);
    // An object put by another tool (no sha256 metadata) cannot be proven unchanged.
    const foreign = lemonKeys[1]!;
    await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: foreign, Body: readFileSync(join(images, foreign.slice('images/'.length))) }));

    expect((await cli(['upload-data', images, '--json'])).data).toMatchObject({ uploaded: 0, skipped: 4 }); // default: key + size
    const dry = await cli(['upload-data', images, '--checksum', '--dry-run', '--json']);
    expect(dry.data).toMatchObject({ uploaded: 0, skipped: 2 });
    expect((dry.data!.toUpload as string[]).sort()).toEqual([...lemonKeys].sort());
    const real = await cli(['upload-data', images, '--checksum', '--json']);
    expect(real.data).toMatchObject({ uploaded: 2, skipped: 2 });
    expect(real.out.statuses).toContain('checking SHA-256 [4/4]');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'fruits-data', Key: lemonKeys[0] }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect((await cli(['upload-data', images, '--checksum', '--json'])).data).toMatchObject({ uploaded: 0, skipped: 4 });
  });

  test('missing bucket is a one-line error naming the fix (exit 3)', async () => {
    const r = await cli(['upload-data', images, '--to', 's3://no-such-bucket/x/']);
    expect(r.code).toBe(3);
    expect(r.out.errors).toEqual([expect.stringMatching(/^error: listing s3:\/\/no-such-bucket\/x\/: the bucket no-such-bucket does not exist; check the s3:\/\/ URI/)]);
  });
});

describe('emr target over the wire', () => {
  let clusterId: string;

  beforeAll(async () => {
    const r = await emr.send(new RunJobFlowCommand({
      Name: 'fruits', ReleaseLabel: 'emr-7.5.0', LogUri: 's3://fruits-logs/emr-logs/', JobFlowRole: 'EMR_EC2', ServiceRole: 'EMR',
      Instances: { MasterInstanceType: 'm5.xlarge', SlaveInstanceType: 'm5.xlarge', InstanceCount: 3, KeepJobFlowAliveWhenNoSteps: true },
    }));
    clusterId = r.JobFlowId!;
  });

  test('uploads run_job.py + fruits_job.zip and adds a CONTINUE command-runner step', async () => {
    const r = await cli(['run', 'emr', '--cluster-id', clusterId, '--run-id', 'w1', '--no-wait', '--weights', 'test-only-random:1', '--json']);
    expect(r.code).toBe(0);
    const stepId = r.data!.stepId as string;
    expect(stepId).toMatch(/^s-/);
    const code = await listKeys('fruits-art', 'code/runs/w1/');
    expect(code.map((k) => k.split(':')[0])).toEqual(['code/runs/w1/fruits_job.zip', 'code/runs/w1/run_job.py']);
    const zip = await s3.send(new GetObjectCommand({ Bucket: 'fruits-art', Key: 'code/runs/w1/fruits_job.zip' }));
    expect(Buffer.from(await zip.Body!.transformToByteArray()).subarray(0, 4).toString('hex')).toBe('504b0304');
    const steps = (await emr.send(new ListStepsCommand({ ClusterId: clusterId }))).Steps!;
    const s = steps.find((x) => x.Id === stepId)!;
    expect(s.ActionOnFailure).toBe('CONTINUE');
    expect(s.Config!.Jar).toBe('command-runner.jar');
    expect(s.Config!.Args).toEqual([
      'spark-submit', '--deploy-mode', 'client', '--py-files', 's3://fruits-art/code/runs/w1/fruits_job.zip', 's3://fruits-art/code/runs/w1/run_job.py',
      '--input', 's3://fruits-data/images/', '--output', 's3://fruits-data/results/', '--run-id', 'w1', '--weights', 'test-only-random:1',
    ]);

    const status = await cli(['status', stepId, '--cluster-id', clusterId, '--json']);
    expect(status.code).toBe(0);
    expect((status.data!.steps as { state: string }[])[0]!.state).toMatch(/PENDING|RUNNING/);
  });

  test('waiting shows the state until the timeout, which names the follow-up command', async () => {
    const r = await cli(['run', 'emr', '--cluster-id', clusterId, '--run-id', 'w2', '--timeout-minutes', '1']);
    expect(r.code).toBe(1);
    expect(r.out.statuses[0]).toMatch(/^\[00:00\] step s-\w+ (PENDING|RUNNING)$/);
    expect(r.out.errors[0]).toMatch(/still (PENDING|RUNNING) after 1 min; .*fruits status s-/);
  });

  test('logs fetches and gunzips stderr/stdout from <log_uri>/<cluster>/steps/<step>/', async () => {
    const stepId = 's-LOGSTEST';
    const put = (name: string, text: string) =>
      s3.send(new PutObjectCommand({ Bucket: 'fruits-logs', Key: `emr-logs/${clusterId}/steps/${stepId}/${name}`, Body: gzipSync(text) }));
    await put('stderr.gz', 'Traceback: boom\n');
    await put('stdout.gz', 'FRUITS_RUN_SUMMARY s3://x/summary.json\n');
    const r = await cli(['logs', stepId, '--cluster-id', clusterId]);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.human).toMatch(/stdout[\s\S]*FRUITS_RUN_SUMMARY[\s\S]*stderr[\s\S]*Traceback: boom/);
    const none = await cli(['logs', 's-NOTHING', '--cluster-id', clusterId]);
    expect(none.code).toBe(3);
    expect(none.out.errors[0]).toMatch(/no logs for s-NOTHING .* retry with --wait-seconds 300/);
  });

  test('progress: run emr, status --follow and watch read the run folder\'s progress.json in S3', async () => {
    // A cluster of its own, so the step is the first one and RUNNING (moto never finishes steps).
    const own = (await emr.send(new RunJobFlowCommand({
      Name: 'fruits-progress', ReleaseLabel: 'emr-7.5.0', LogUri: 's3://fruits-logs/emr-logs/', JobFlowRole: 'EMR_EC2', ServiceRole: 'EMR',
      Instances: { MasterInstanceType: 'm5.xlarge', SlaveInstanceType: 'm5.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true },
    }))).JobFlowId!;
    const doc = (seq: number, done: number, status = 'running', stage = 'featurize') => JSON.stringify({
      version: 1, run_id: 'p1', status, stage, images_total: 140, images_done: done, images_failed: 0,
      images_per_second: 7, eta_s: (140 - done) / 7, elapsed_s: 20, updated_at: '2026-01-01T00:00:00Z', seq,
    });
    // What the job's driver writes every few seconds (jobs/fruits_job/progress.py).
    await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: 'results/p1/progress.json', Body: doc(4, 56) }));
    const r = await cli(['run', 'emr', '--cluster-id', own, '--run-id', 'p1', '--timeout-minutes', '1', '--json']);
    expect(r.code).toBe(1); // the moto step never ends: the timeout
    const events = r.out.events.filter((e) => e.event === 'progress');
    expect(events).toEqual([expect.objectContaining({ run_id: 'p1', images_done: 56, images_total: 140, stage: 'featurize' })]);
    const stepId = (r.out.errors[0]!.match(/step (s-\w+)/) ?? [])[1]!;

    // Re-attach from "another machine": the run folder comes from the step's own args.
    const ac = new AbortController();
    const out = captureOutput(true);
    const event = out.event;
    out.event = (d) => {
      event(d);
      if ((d as { images_done?: number }).images_done === 140) ac.abort();
    };
    let polls = 0;
    const clock = fakeClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      if (++polls === 2) await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: 'results/p1/progress.json', Body: doc(9, 140, 'running', 'pca_fit') }));
      return sleep(ms, signal);
    };
    const code = await main(['status', stepId, '--follow', '--cluster-id', own, '--json'], { out, env, clock, signal: ac.signal });
    expect(code).toBe(130); // Ctrl-C stops following; the step is left alone
    expect(out.events.map((e) => `${e.stage}:${e.images_done}`)).toEqual(['featurize:56', 'pca_fit:140']);

    // fruits watch on the run folder: ends with the summary once the job wrote it.
    await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: 'results/p1/progress.json', Body: doc(12, 140, 'succeeded', 'done') }));
    await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: 'results/p1/summary.json', Body: JSON.stringify({ status: 'succeeded', run_id: 'p1', counts: { total_files: 140, featurized: 140, failed: 0 }, pca: { k: 50 } }) }));
    const w = await cli(['watch', 's3://fruits-data/results/p1/']);
    expect(w.code).toBe(0);
    expect(w.out.infos).toContain('progress: succeeded 140/140 images (100%), 7.0 img/s, 0 failed');
    expect(w.out.results[0]!.human).toMatch(/^run p1 succeeded: 140\/140 images featurized/);
  });

  test('a terminated cluster is refused with the deploy hint', async () => {
    await emr.send(new TerminateJobFlowsCommand({ JobFlowIds: [clusterId] }));
    const r = await cli(['run', 'emr', '--cluster-id', clusterId, '--run-id', 'w3']);
    expect(r.code).toBe(3);
    expect(r.out.errors[0]).toMatch(new RegExp(`cluster ${clusterId} is TERMINAT\\w+.*npm run deploy`));
  });

  test('unknown cluster id is a one-line error', async () => {
    const r = await cli(['run', 'emr', '--cluster-id', 'j-DOESNOTEXIST', '--run-id', 'w4']);
    expect(r.out.errors).toHaveLength(1);
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toMatch(/DescribeCluster j-DOESNOTEXIST: .*not valid.*; check --cluster-id or redeploy/);
  });
});

