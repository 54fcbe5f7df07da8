// `fruits doctor --target emr` checks the outputs and the compute of the deployed mode through that
// mode's module (EmrCompute.doctor, runner/targets/emr-compute.ts): a mode it does not know is named
// as such, never checked as a cluster.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeClusterCommand } from '@aws-sdk/client-emr';
import { EMRServerlessClient, GetApplicationCommand } from '@aws-sdk/client-emr-serverless';
import { mockClient } from 'aws-sdk-client-mock';
import { EMR_COMPUTE, type EmrComputeEntry, type EmrDoctorContext } from '../../../../runner/targets/emr-compute.js';
import { awsError, inProcessCli, mockedAws } from '../../../helpers/in-process-cli.js';

const { emrMock } = mockedAws();
const COMMON = { region: 'us-east-1', input_uri: 's3://d/i/', results_uri: 's3://d/r/', code_uri: 's3://a/c/' };
const { dir, cli } = inProcessCli({ ...COMMON, compute: 'cluster', cluster_id: 'j-ABC', log_uri: 's3://l/' }, 'fruits-doctor-modes-');
const outputsFile = (name: string, outputs: Record<string, string>) => {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ 'fruits-emr': outputs }));
  return file;
};
type Checks = { name: string; status: string; detail: string; fix?: string }[];
const doctor = async (outputs: Record<string, string>, ...flags: string[]) => {
  const r = await cli(['doctor', '--target', 'emr', '--json', ...flags], { env: { FRUITS_OUTPUTS_FILE: outputsFile(outputs.compute ?? 'none', outputs), FRUITS_SSH_KEY: '' } });
  return { code: r.code, checks: (r.data!.checks as Checks).filter((c) => !['node', 'job files', 'ssh client', 'tunnel key'].includes(c.name)) };
};

// A mode as a developer would add it: its module (here inline) and one line in EMR_COMPUTE (named so
// that no real mode can clash with it).
const seen: EmrDoctorContext[] = [];
const fixture: EmrComputeEntry = {
  name: 'fixture-mode' as EmrComputeEntry['name'],
  load: async () => ({
    run: async () => ({ exitCode: 0, data: {} }),
    status: async () => 0, logs: async () => 0, ui: async () => 0, cancel: async () => 0,
    doctor: {
      outputs: ['logUri', 'weightsUri'],
      checks: async (c) => {
        seen.push(c);
        if (c.outputs.weightsUri === 's3://boom/') throw new Error('fixture api said no');
        return [{ area: 'emr', name: 'fixture queue', status: c.offline ? 'skip' : 'ok', detail: c.offline ? '--offline' : `queue of ${c.outputs.codeUri} in ${c.region}` }];
      },
    },
  }),
};
const modes = EMR_COMPUTE as EmrComputeEntry[];
const saved = { ...process.env };
beforeAll(() => {
  modes.push(fixture);
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'x', AWS_EC2_METADATA_DISABLED: 'true' });
});
afterAll(() => {
  modes.splice(modes.indexOf(fixture), 1);
  process.env = saved;
});

test('a registered mode brings the outputs it needs and its own checks (no cluster check, no cluster_id)', async () => {
  const ok = await doctor({ ...COMMON, compute: 'fixture-mode', log_uri: 's3://l/', weights_uri: 's3://w/' });
  expect(ok.checks).toEqual([
    expect.objectContaining({ name: 'stack outputs', status: 'ok', detail: expect.stringMatching(/\(compute fixture-mode\)$/) }),
    expect.objectContaining({ name: 'aws credentials', status: 'ok' }),
    { area: 'emr', name: 'fixture queue', status: 'ok', detail: 'queue of s3://a/c/ in us-east-1' },
  ]);
  expect(ok.code).toBe(0);
  expect(seen.at(-1)).toMatchObject({ offline: false, region: 'us-east-1', outputs: { logUri: 's3://l/' } });
  const lacking = await doctor({ ...COMMON, compute: 'fixture-mode' }, '--offline');
  expect(lacking.checks[0]).toMatchObject({ name: 'stack outputs', status: 'miss', detail: expect.stringMatching(/lacks log_uri, weights_uri$/) });
  expect(lacking.checks.at(-1)).toMatchObject({ name: 'fixture queue', status: 'skip', detail: '--offline' });
});

test('a mode check that fails outright is a miss named after the mode', async () => {
  const r = await doctor({ ...COMMON, compute: 'fixture-mode', log_uri: 's3://l/', weights_uri: 's3://boom/' });
  expect(r.checks.at(-1)).toEqual({ area: 'emr', name: 'compute fixture-mode', status: 'miss', detail: 'fixture api said no' });
  expect(r.code).toBe(3);
});

test('a mode this runner does not know (a newer deploy) is one miss naming it, not a cluster that lacks cluster_id', async () => {
  const r = await doctor({ ...COMMON, compute: 'no-such-mode' });
  expect(r.checks.map((c) => [c.name, c.status])).toEqual([['compute mode', 'miss'], ['stack outputs', 'ok'], ['aws credentials', 'ok']]);
  expect(r.checks[0]).toMatchObject({ detail: expect.stringContaining('compute mode "no-such-mode" is unknown to this runner'), fix: 'update this checkout to the version that deployed the stack' });
  expect(r.code).toBe(3);
});

test('compute cluster and transient (with --cluster-id) check that cluster with DescribeCluster; a refusal is an auth miss', async () => {
  emrMock.on(DescribeClusterCommand, { ClusterId: 'j-ABC' }).resolves({ Cluster: { Status: { State: 'WAITING' } } });
  emrMock.on(DescribeClusterCommand, { ClusterId: 'j-OLD' }).resolves({ Cluster: { Status: { State: 'TERMINATED' } } });
  emrMock.on(DescribeClusterCommand, { ClusterId: 'j-NOPE' }).rejects(awsError('AccessDeniedException', 'not authorized', 400));
  const cluster = { ...COMMON, compute: 'cluster', log_uri: 's3://l/', cluster_id: 'j-ABC' };
  expect((await doctor(cluster)).checks.at(-1)).toEqual({ area: 'emr', name: 'cluster', status: 'ok', detail: 'j-ABC WAITING', fix: expect.stringContaining('npm run deploy') });
  const transient = { ...COMMON, compute: 'transient', log_uri: 's3://l/' };
  expect((await doctor(transient)).checks.at(-1)).toMatchObject({ name: 'cluster', status: 'skip', detail: 'compute transient: each run creates its cluster' });
  expect((await doctor(transient, '--cluster-id', 'j-OLD')).checks.at(-1)).toMatchObject({ name: 'cluster', status: 'miss', detail: 'j-OLD TERMINATED' });
  const denied = await doctor({ ...cluster, cluster_id: 'j-NOPE' });
  expect(denied.checks.at(-1)).toMatchObject({ name: 'cluster', status: 'miss', auth: true, fix: 'check AWS_PROFILE / permissions (elasticmapreduce:DescribeCluster)' });
  expect(denied.code).toBe(4);
});

test('compute serverless: a refused GetApplication is an auth miss whose fix names that permission, as the cluster check does', async () => {
  const serverlessMock = mockClient(EMRServerlessClient);
  try {
    serverlessMock.on(GetApplicationCommand).rejects(awsError('AccessDeniedException', 'not authorized', 400));
    const serverless = { ...COMMON, compute: 'serverless', serverless_application_id: 'app-1', serverless_job_role_arn: 'arn:aws:iam::1:role/r', serverless_log_uri: 's3://l/' };
    const denied = await doctor(serverless);
    expect(denied.checks.at(-1)).toMatchObject({ name: 'serverless application', status: 'miss', auth: true, fix: 'check AWS_PROFILE / permissions (emr-serverless:GetApplication)' });
    expect(denied.code).toBe(4);
  } finally {
    serverlessMock.restore();
  }
});
