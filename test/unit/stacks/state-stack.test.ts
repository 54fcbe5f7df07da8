// The fruits-state stack (S3 state bucket) and the backend switch of fruits-emr.
import { forBucket, type Json, policyStatements, resource, resourcesOf, synthEmr, synthState } from '../../helpers/stacks.js';

describe('fruits-state stack', () => {
  const synth = synthState();
  const [bucketId, bucket] = resourcesOf(synth, 'aws_s3_bucket')[0]!;

  test('creates exactly one bucket, protected from destroy, with the baseline controls', () => {
    expect(resourcesOf(synth, 'aws_s3_bucket')).toHaveLength(1);
    expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    expect(bucket.force_destroy).toBe(false);
    expect(forBucket(synth, 'aws_s3_bucket_versioning', bucketId)[0]!.versioning_configuration.status).toBe('Enabled');
    expect(
      forBucket(synth, 'aws_s3_bucket_server_side_encryption_configuration', bucketId)[0]!.rule[0]
        .apply_server_side_encryption_by_default.sse_algorithm,
    ).toBe('AES256');
    expect(forBucket(synth, 'aws_s3_bucket_public_access_block', bucketId)[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const [policy] = forBucket(synth, 'aws_s3_bucket_policy', bucketId);
    expect(policyStatements(synth, policy!.policy).map((s: Json) => s.sid)).toEqual(['DenyInsecureTransport']);
    const [lifecycle] = forBucket(synth, 'aws_s3_bucket_lifecycle_configuration', bucketId);
    expect(lifecycle!.rule.find((r: Json) => r.noncurrent_version_expiration)?.noncurrent_version_expiration[0].noncurrent_days).toBe(90);
  });

  test('no DynamoDB lock table: locking is the S3 native lockfile', () => {
    expect(resourcesOf(synth, 'aws_dynamodb_table')).toHaveLength(0);
  });

  test('bucket name defaults to prefix + account + region, or the configured stateBucket', () => {
    expect(bucket.bucket).toBe('fruits-tfstate-${data.aws_caller_identity.caller.account_id}-us-east-1');
    const named = synthState({ stateBucket: 'team-tfstate', stateRegion: 'eu-west-1' });
    expect(resourcesOf(named, 'aws_s3_bucket')[0]![1].bucket).toBe('team-tfstate');
    expect(named.provider.aws[0].region).toBe('eu-west-1');
    expect(named.output.state_bucket.value).toMatch(/aws_s3_bucket\..*\.bucket/);
    expect(named.output.state_key.value).toBe('fruits-emr/fruits/us-east-1/terraform.tfstate');
  });

  test('the state stack itself never uses the S3 backend; its local state file is per environment and region', () => {
    const backend = synthState({ stateBucket: 'team-tfstate', namePrefix: 'fruits-dev', stateRegion: 'eu-west-1' }).terraform.backend;
    expect(Object.keys(backend)).toEqual(['local']);
    expect(backend.local.path).toMatch(/\/terraform\.fruits-state\.fruits-dev\.eu-west-1\.tfstate$/);
  });
});

describe('fruits-emr backend switch', () => {
  test('local backend by default, one state file per environment and region', () => {
    const a = synthEmr().terraform.backend;
    const b = synthEmr({ namePrefix: 'fruits-dev' }).terraform.backend;
    const c = synthEmr({ region: 'eu-west-3' }).terraform.backend;
    expect(a.local.path).toMatch(/\/terraform\.fruits-emr\.fruits\.us-east-1\.tfstate$/);
    expect(new Set([a.local.path, b.local.path, c.local.path]).size).toBe(3);
  });

  test('two environments sharing one state bucket get different state keys', () => {
    const key = (o: Record<string, unknown>) => synthEmr({ stateBucket: 'team-tfstate', ...o }).terraform.backend.s3.key;
    expect(key({})).toBe('fruits-emr/fruits/us-east-1/terraform.tfstate');
    expect(key({ namePrefix: 'fruits-dev' })).toBe('fruits-emr/fruits-dev/us-east-1/terraform.tfstate');
    expect(key({ region: 'eu-west-1' })).toBe('fruits-emr/fruits/eu-west-1/terraform.tfstate');
  });

  test('stateBucket switches to the encrypted S3 backend with S3 native locking', () => {
    const backend = synthEmr({ stateBucket: 'team-tfstate', stateRegion: 'eu-west-1' }).terraform.backend;
    expect(backend).toEqual({
      s3: {
        bucket: 'team-tfstate',
        key: 'fruits-emr/fruits/us-east-1/terraform.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  test('the backend does not change the resources', () => {
    const publicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeGp0l9PzsBGzpM+2R2splQO3CQcdxQNKPuOq7duQLm';
    const a = synthEmr({}, { publicKey });
    const b = synthEmr({ stateBucket: 'team-tfstate' }, { publicKey });
    expect(b.resource).toEqual(a.resource);
    expect(resource(b, 'aws_emr_cluster', 'cluster')).toBeDefined();
  });
});

