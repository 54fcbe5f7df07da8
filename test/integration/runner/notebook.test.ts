// runner/commands/notebook.ts for real: `notebook push` against a moto S3 server on 127.0.0.1
// (the S3 client the runner uses everywhere), and `notebook` starting the venv's JupyterLab on
// 127.0.0.1, answering with the printed token and refusing without it.
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../runner/cli.js';
import { captureOutput, fakeClock, freePort, mktemp, startMoto, type Moto } from '../../helpers/runner.js';

let moto: Moto;
let s3: S3Client;
const saved = { ...process.env };
const dir = mktemp('fruits-nb-moto-');
const outputsFile = join(dir, 'cdktf-outputs.json');
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_PROFILE;
  s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  for (const Bucket of ['fruits-data', 'fruits-art']) await s3.send(new CreateBucketCommand({ Bucket }));
  await s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: 'results/run-1/summary.json', Body: '{"status":"succeeded","run_id":"run-1"}' }));
  writeFileSync(outputsFile, JSON.stringify({
    'fruits-emr': { region: 'us-east-1', resultsUri: 's3://fruits-data/results/', codeUri: 's3://fruits-art/code/', notebooksUri: 's3://fruits-art/jupyter/' },
  }));
  env = { FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_AWS_ENDPOINT: moto.endpoint };
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  process.env = saved;
});

const cli = async (args: string[], signal?: AbortSignal, out = captureOutput(args.includes('--json'))) => {
  const code = await main(args, { out, env, clock: fakeClock(), signal });
  return { code, out, data: out.results[0]?.data as Record<string, string> | undefined };
};
const text = async (Bucket: string, Key: string) => (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString();

describe('notebook push over the wire', () => {
  test('uploads the job zip and the filled-in notebook; a second push refuses to replace it without --replace', async () => {
    const first = await cli(['notebook', 'push', '--run', 's3://fruits-data/results/run-1/', '--json']);
    expect(first.out.errors).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.data).toMatchObject({ notebook: 's3://fruits-art/jupyter/jovyan/explore_run-1.ipynb', jupyterHubPath: 'jovyan/explore_run-1.ipynb' });
    const nb = JSON.parse(await text('fruits-art', 'jupyter/jovyan/explore_run-1.ipynb'));
    const params = [nb.cells.find((c: { metadata: { tags?: string[] } }) => c.metadata.tags?.includes('parameters')).source].flat().join('');
    expect(params).toContain('RUN = "s3://fruits-data/results/run-1"');
    expect(params).toContain(`JOB_PACKAGE = "${first.data!.jobPackage}"`);
    expect(nb.metadata.kernelspec.name).toBe('pysparkkernel');
    const zipKey = first.data!.jobPackage!.replace('s3://fruits-art/', '');
    const zip = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'fruits-art', Key: zipKey }))).Body!.transformToByteArray());
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    expect(zip.includes(Buffer.from('fruits_job/explore.py'))).toBe(true);

    const again = await cli(['notebook', 'push', '--run', 's3://fruits-data/results/run-1']);
    expect(again.code).toBe(2);
    expect(again.out.errors[0]).toBe('error: s3://fruits-art/jupyter/jovyan/explore_run-1.ipynb exists (it may hold edits made on JupyterHub); download it first, then pass --replace to replace it');
    const replaced = await cli(['notebook', 'push', '--run', 's3://fruits-data/results/run-1', '--replace']);
    expect(replaced.code).toBe(0);
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'fruits-art' }))).Contents ?? []).map((o) => o.Key).sort();
    expect(keys).toEqual([zipKey, 'jupyter/jovyan/explore_run-1.ipynb'].sort()); // the same code: one zip
  });

  test('a run folder without summary.json is refused before anything is uploaded', async () => {
    const r = await cli(['notebook', 'push', '--run', 's3://fruits-data/results/run-404']);
    expect(r.code).toBe(2);
    expect(r.out.errors[0]).toBe('error: s3://fruits-data/results/run-404 has no summary.json; give a run folder written by the job: s3://<data-bucket>/results/<run-id>');
    expect((await s3.send(new ListObjectsV2Command({ Bucket: 'fruits-art', Prefix: 'jupyter/jovyan/explore_run-404' }))).KeyCount).toBe(0);
  });
});

describe('notebook start', () => {
  test('JupyterLab on 127.0.0.1 answers with the printed token, refuses without it, and stops on Ctrl-C', async () => {
    const port = await freePort();
    const ac = new AbortController();
    const out = captureOutput(true);
    const running = cli(['notebook', '--notebook-port', String(port), '--json'], ac.signal, out);
    let ended = false;
    void running.finally(() => { ended = true; });
    const deadline = Date.now() + 150_000;
    while (!out.results.length && !ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    try {
      expect({ results: out.results.length, errors: out.errors, infos: out.infos }).toMatchObject({ results: 1, errors: [] });
      const url = new URL((out.results[0]!.data as { url: string }).url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname).toBe('/lab/tree/notebooks/explore_run.ipynb');
      const token = url.searchParams.get('token')!;
      expect(token).toMatch(/^[0-9a-f]{48}$/);
      expect((await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${port}/api/status`)).status).toBe(403);
      const nb = await fetch(`http://127.0.0.1:${port}/api/contents/notebooks/explore_run.ipynb?token=${token}`);
      expect(nb.status).toBe(200);
    } finally {
      ac.abort();
    }
    expect((await running).code).toBe(130);
  }, 200_000);
});
