// runner/commands/upload-data.ts against a mocked S3: paginated listing, 403s, symlinks.
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, symlinkSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fromAwsError } from '../../../../runner/aws/errors.js';
import { listLocalImages, listRemote } from '../../../../runner/commands/upload-data.js';
import { sampleImages } from '../../../helpers/runner.js';
import { EMR_OUTPUTS, awsError, inProcessCli, mockedAws } from '../../../helpers/in-process-cli.js';

const { s3Mock } = mockedAws();
const { dir, cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

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
      expect(e.message).toMatch(/^AWS denied checking s3:\/\/d\/images\/a\.jpg \(HTTP 403( Forbidden)?\); use a role\/user allowed/);
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
    expect(r.out.errors[0]).toMatch(/^error: listing s3:\/\/nope\/x\/: the bucket nope does not exist; check the s3:\/\/ URI .* or deploy the stack/);
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
