// iam/operator-policy.json against the code: every AWS call the runner and scripts make has an Allow,
// iam:PassRole reaches exactly the roles the stacks create for EMR and EMR Serverless, and nothing is
// granted outside the project where a resource can be named. (Runtime proof under moto's IAM
// authorization: test/integration/runner/operator-policy-over-moto.test.ts.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, resourcesOf, synthEmr } from '../../helpers/stacks.js';

interface Statement { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }
const policy = JSON.parse(readFileSync(join(REPO_ROOT, 'iam/operator-policy.json'), 'utf8')) as { Statement: Statement[] };
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(value);

/** SDK package -> IAM service prefix. */
const SERVICE: Record<string, string> = { 'client-emr': 'elasticmapreduce', 'client-emr-serverless': 'emr-serverless', 'client-s3': 's3', 'client-sts': 'sts', 'client-ecr': 'ecr' };
/** S3 operations whose IAM action has another name (AWS's "Actions, resources, and condition keys for Amazon S3"). */
const S3_ACTION: Record<string, string[]> = {
  ListObjectsV2: ['ListBucket'], ListObjects: ['ListBucket'], HeadObject: ['GetObject'], HeadBucket: ['ListBucket'],
  DeleteObjects: ['DeleteObject'], CopyObject: ['GetObject', 'PutObject'], CreateMultipartUpload: ['PutObject'],
  UploadPart: ['PutObject'], CompleteMultipartUpload: ['PutObject'], AbortMultipartUpload: ['AbortMultipartUpload'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every IAM action behind an AWS SDK command (or paginator) imported by the runner and scripts. */
function actionsTheCodeUses(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const file of [...sourceFiles(join(REPO_ROOT, 'runner')), ...sourceFiles(join(REPO_ROOT, 'scripts'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const service = SERVICE[m[2]!];
      if (!service) throw new Error(`${file}: no IAM service prefix known for @aws-sdk/${m[2]} (add it to SERVICE)`);
      for (const raw of m[1]!.split(',')) {
        const name = raw.trim();
        const op = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (!op) continue;
        for (const action of service === 's3' ? (S3_ACTION[op] ?? [op]) : [op]) {
          const key = `${service}:${action}`;
          used.set(key, [...(used.get(key) ?? []), file.slice(REPO_ROOT.length + 1)]);
        }
      }
    }
  }
  return used;
}

const allowing = (action: string) => policy.Statement.filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => glob(a, action)));

test('every AWS call of the runner and scripts is allowed by the operator policy', () => {
  const used = actionsTheCodeUses();
  // The scan must see the calls it is meant to check (a regex that finds nothing would pass).
  for (const known of ['elasticmapreduce:RunJobFlow', 'elasticmapreduce:CancelSteps', 'elasticmapreduce:TerminateJobFlows', 'emr-serverless:StartJobRun', 'emr-serverless:CancelJobRun', 's3:PutObject', 's3:ListBucket']) {
    expect(used.has(known)).toBe(true);
  }
  const missing = [...used].filter(([action]) => allowing(action).length === 0).map(([action, files]) => `${action} (${files[0]})`);
  expect(missing).toEqual([]);
});

test('iam:PassRole reaches exactly the roles the stacks create for EMR and EMR Serverless', () => {
  const roleNames = new Set<string>();
  for (const compute of ['cluster', 'transient', 'serverless'] as const) {
    const synth = synthEmr({ namePrefix: 'fruits', compute, ...(compute === 'serverless' ? { serverless: { imageTag: 'fruits-0123456789abcdef' } } : {}) });
    for (const [, r] of resourcesOf(synth, 'aws_iam_role')) roleNames.add(String((r as { name: string }).name));
  }
  const passable = allowing('iam:PassRole').flatMap((s) => list(s.Resource));
  expect(passable.map((arn) => arn.split(':role/')[1]).sort()).toEqual([...roleNames].sort());
  expect([...roleNames].sort()).toEqual(['fruits-emr-node', 'fruits-emr-service', 'fruits-serverless-job']);
  // And every role the stacks create can be created by the operator (ProjectRoles).
  const creatable = allowing('iam:CreateRole').flatMap((s) => list(s.Resource));
  for (const name of roleNames) expect(creatable.some((arn) => glob(arn, `arn:aws:iam::ACCOUNT:role/${name}`))).toBe(true);
});

test('nothing is granted on every resource except what AWS cannot scope (listed here, each with its reason in docs/aws.md)', () => {
  const ACCOUNT_WIDE = ['ReadOnlyDescribe', 'Network', 'KeyAndAlias', 'Cluster', 'SparkUi', 'ServerlessImageLogin', 'EmrCleanupServiceRole', 'EmrServerlessServiceRole'];
  const wide = policy.Statement.filter((s) => list(s.Resource).includes('*')).map((s) => s.Sid);
  expect(wide.sort()).toEqual([...ACCOUNT_WIDE].sort());
  for (const s of policy.Statement) {
    expect(list(s.Action).filter((a) => a === '*' || /^iam:\*|^\w[\w-]*:\*$/.test(a) && s.Sid !== 'ProjectBuckets')).toEqual([]);
    // A named resource is the project's by name, or (the KMS key, whose id is random) by a tag condition.
    for (const r of list(s.Resource)) if (r !== '*' && !s.Condition) expect(r).toMatch(/fruits|emr-serverless:REGION:ACCOUNT:\/applications\/\*/);
  }
  const docs = readFileSync(join(REPO_ROOT, 'docs/aws.md'), 'utf8');
  for (const s of policy.Statement) expect(docs).toContain(`\`${s.Sid}\``);
});
