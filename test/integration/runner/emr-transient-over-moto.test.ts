// runner/targets/emr-transient.ts against moto (test/rehearsal/moto_server.py, which stores
// instance fleets, subnet ids and scaling policies): `fruits run emr` with compute "transient"
// creates a cluster per run, follows its step and leaves no cluster behind in every ending;
// `fruits cancel` terminates a run's cluster (or, with --cluster-id, cancels the step only).
// moto never moves a step: the wrapper's test hook (FRUITS_MOTO_STEP_STATES) does.
import {
  DescribeClusterCommand,
  DescribeStepCommand,
  EMRClient,
  GetAutoTerminationPolicyCommand,
  GetManagedScalingPolicyCommand,
  ListBootstrapActionsCommand,
  ListClustersCommand,
  ListInstanceFleetsCommand,
  ListStepsCommand,
  RunJobFlowCommand,
  type Cluster,
} from '@aws-sdk/client-emr';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../runner/cli.js';
import { captureOutput, fakeClock, mktemp, sampleImages, startMoto, type Moto } from '../../helpers/runner.js';
import { TRANSIENT } from '../../helpers/transient-outputs.js';

const dir = mktemp('fruits-transient-');
const outputsFile = join(dir, 'cdktf-outputs.json');
const stepStates = join(dir, 'step-states.json');
const saved = { ...process.env };
let moto: Moto;
let endpoint: string;
let s3: S3Client;
let emr: EMRClient;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  writeFileSync(stepStates, '{}');
  moto = await startMoto({ wrapper: true, env: { FRUITS_MOTO_STEP_STATES: stepStates } });
  endpoint = moto.endpoint;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_PROFILE;
  const common = { region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  emr = new EMRClient(common);
  for (const Bucket of ['fruits-data', 'fruits-art', 'fruits-logs']) await s3.send(new CreateBucketCommand({ Bucket }));
  sampleImages(join(dir, 'images'), 1, ['apple']);
  writeFileSync(outputsFile, JSON.stringify({
    'fruits-emr': {
      region: 'us-east-1', input_uri: 's3://fruits-data/images/', results_uri: 's3://fruits-data/results/', code_uri: 's3://fruits-art/code/',
      log_uri: 's3://fruits-logs/emr-logs/', ...TRANSIENT,
    },
  }));
  env = { FRUITS_OUTPUTS_FILE: outputsFile, FRUITS_AWS_ENDPOINT: endpoint, FRUITS_CONFIG: join(dir, 'none.json') };
  writeFileSync(join(dir, 'none.json'), '{}');
}, 90_000);

afterAll(async () => {
  s3?.destroy();
  emr?.destroy();
  await moto?.stop();
  process.env = saved;
});

const setStepState = (runId: string, state: string) => writeFileSync(stepStates, JSON.stringify({ [runId]: state }));
const putSummary = (runId: string, status: string) =>
  s3.send(new PutObjectCommand({ Bucket: 'fruits-data', Key: `results/${runId}/summary.json`, Body: JSON.stringify({ status, run_id: runId, counts: { total_files: 1, featurized: 1, failed: 0 }, pca: { k: 1 } }) }));

const cli = async (args: string[], signal?: AbortSignal) => {
  const out = captureOutput(args.includes('--json'));
  const code = await main(args, { out, env, clock: fakeClock(), ...(signal ? { signal } : {}) });
  return { code, out };
};

async function clustersOfRun(runId: string): Promise<Cluster[]> {
  const all = (await emr.send(new ListClustersCommand({}))).Clusters ?? [];
  const ours = all.filter((c) => c.Name === `fruits-emr-${runId}`);
  return Promise.all(ours.map(async (c) => (await emr.send(new DescribeClusterCommand({ ClusterId: c.Id }))).Cluster!));
}

describe('fruits run emr with compute "transient" (moto)', () => {
  test('creates a cluster per run with the stack\'s settings, follows the step, and the cluster ends with the run', async () => {
    setStepState('run-ok', 'COMPLETED');
    await putSummary('run-ok', 'succeeded');
    const r = await cli(['run', 'emr', '--run-id', 'run-ok', '--json']);
    expect(r.out.errors).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out.infos.join('\n')).toMatch(/fruits: cost estimate \(transient mode, 1 master \+ 2 core m5\.xlarge on-demand \+ 2 task Spot \(scaling to 4 task\)\): \d+\.\d\d USD\/h, about \d+\.\d\d USD per run \(~12 min boot/);
    const [cluster, ...more] = await clustersOfRun('run-ok');
    expect(more).toEqual([]);
    // The request, read back from the server.
    expect(cluster).toMatchObject({
      ReleaseLabel: 'emr-7.12.0',
      ServiceRole: TRANSIENT.service_role_arn,
      SecurityConfiguration: 'fruits-at-rest-1',
      LogUri: 's3://fruits-logs/emr-logs/',
      AutoTerminate: true,
      InstanceCollectionType: 'INSTANCE_FLEET',
      Ec2InstanceAttributes: { Ec2SubnetId: 'subnet-0abc', RequestedEc2SubnetIds: ['subnet-0abc'], Ec2KeyName: 'fruits-operator', EmrManagedMasterSecurityGroup: 'sg-master' },
    });
    expect(cluster!.Status!.State).toBe('TERMINATED');
    const tags = Object.fromEntries((cluster!.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ Project: 'fruits', 'for-use-with-amazon-emr-managed-policies': 'true', 'fruits-run-id': 'run-ok', Name: 'fruits-emr-run-ok' });
    const id = cluster!.Id!;
    const fleets = (await emr.send(new ListInstanceFleetsCommand({ ClusterId: id }))).InstanceFleets ?? [];
    expect(fleets.map((f) => [f.InstanceFleetType, f.TargetOnDemandCapacity, f.TargetSpotCapacity])).toEqual([['MASTER', 1, 0], ['CORE', 2, 0], ['TASK', 0, 2]]);
    expect(fleets[2]!.LaunchSpecifications?.SpotSpecification).toMatchObject({ AllocationStrategy: 'price-capacity-optimized', TimeoutAction: 'SWITCH_TO_ON_DEMAND' });
    expect((await emr.send(new GetManagedScalingPolicyCommand({ ClusterId: id }))).ManagedScalingPolicy?.ComputeLimits).toMatchObject({ UnitType: 'InstanceFleetUnits', MaximumCoreCapacityUnits: 2 });
    expect((await emr.send(new GetAutoTerminationPolicyCommand({ ClusterId: id }))).AutoTerminationPolicy).toEqual({ IdleTimeout: 1200 });
    expect((await emr.send(new ListBootstrapActionsCommand({ ClusterId: id }))).BootstrapActions?.[0]?.ScriptPath).toBe('s3://fruits-art/bootstrap/emr-install-python-deps.sh');
    const steps = (await emr.send(new ListStepsCommand({ ClusterId: id }))).Steps ?? [];
    expect(steps).toHaveLength(1);
    expect(steps[0]!.Config?.Args).toEqual(expect.arrayContaining(['--run-id', 'run-ok', 's3://fruits-art/code/runs/run-ok/run_job.py']));
    expect(r.out.results[0]!.data).toMatchObject({ clusterId: id, compute: 'transient', exitCode: 0 });
  }, 120_000);

  test('a failed step: exit 1 and the cluster is terminated', async () => {
    setStepState('run-fail', 'FAILED');
    const r = await cli(['run', 'emr', '--run-id', 'run-fail']);
    expect(r.code).toBe(1);
    const [cluster] = await clustersOfRun('run-fail');
    expect(cluster!.Status!.State).toBe('TERMINATED');
    expect(r.out.infos.join('\n')).toContain(`terminated cluster ${cluster!.Id} (the run failed)`);
  }, 120_000);

  test('Ctrl-C while the step runs: exit 130 and the cluster is terminated', async () => {
    setStepState('run-int', 'RUNNING');
    const ac = new AbortController();
    const running = cli(['run', 'emr', '--run-id', 'run-int'], ac.signal);
    for (let i = 0; i < 600 && !(await clustersOfRun('run-int')).length; i++) await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    const r = await running;
    expect(r.code).toBe(130);
    const [cluster, ...more] = await clustersOfRun('run-int');
    expect(more).toEqual([]);
    expect(cluster!.Status!.State).toBe('TERMINATED');
    expect(r.out.errors.join('\n')).toContain(`interrupted: cluster ${cluster!.Id} of run run-int terminated`);
  }, 120_000);

  test('a retried run finds the cluster of its run id by tag instead of creating a second one', async () => {
    setStepState('run-retry', 'RUNNING');
    const first = await cli(['run', 'emr', '--run-id', 'run-retry', '--no-wait', '--json']);
    expect(first.code).toBe(0);
    const [created] = await clustersOfRun('run-retry');
    expect(created!.Status!.State).not.toMatch(/TERMINAT/); // --no-wait: the cluster ends by itself after its step
    setStepState('run-retry', 'COMPLETED');
    await putSummary('run-retry', 'succeeded');
    const again = await cli(['run', 'emr', '--run-id', 'run-retry']);
    expect(again.code).toBe(0);
    expect(again.out.infos.join('\n')).toContain(`run run-retry already has cluster ${created!.Id}; following it instead of creating a second one`);
    const all = await clustersOfRun('run-retry');
    expect(all.map((c) => c.Id)).toEqual([created!.Id]);
    expect(all[0]!.Status!.State).toBe('TERMINATED');
  }, 120_000);

  test('status without --cluster-id shows the latest run cluster', async () => {
    const r = await cli(['status', '--json']);
    expect(r.code).toBe(0);
    expect((r.out.results[0]!.data as { clusterId: string }).clusterId).toMatch(/^j-/);
  }, 60_000);

  test('cancel <run-id> terminates the cluster of that run; a second cancel finds nothing to cancel', async () => {
    setStepState('run-cancel', 'RUNNING');
    expect((await cli(['run', 'emr', '--run-id', 'run-cancel', '--no-wait'])).code).toBe(0);
    const [created] = await clustersOfRun('run-cancel');
    expect(created!.Status!.State).not.toMatch(/TERMINAT/);
    const r = await cli(['cancel', 'run-cancel', '--json']);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.data).toMatchObject({ ref: 'run-cancel', clusterId: created!.Id, cancelled: true });
    expect((await clustersOfRun('run-cancel'))[0]!.Status!.State).toBe('TERMINATED');
    const again = await cli(['cancel', 'run-cancel']);
    expect(again.code).toBe(0);
    expect(again.out.results[0]!.human).toBe('no running cluster of this project holds run run-cancel: nothing to cancel');
  }, 120_000);

  test('cancel --dry-run names the cluster it would terminate and leaves it running; a cluster id is refused with the fix', async () => {
    setStepState('run-cancel-dry', 'RUNNING');
    expect((await cli(['run', 'emr', '--run-id', 'run-cancel-dry', '--no-wait'])).code).toBe(0);
    const [created] = await clustersOfRun('run-cancel-dry');
    const r = await cli(['cancel', 'run-cancel-dry', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.human).toBe(`would terminate cluster ${created!.Id} of run run-cancel-dry (TerminateJobFlows); nothing done (--dry-run)`);
    expect((await clustersOfRun('run-cancel-dry'))[0]!.Status!.State).not.toMatch(/TERMINAT/);
    const byCluster = await cli(['cancel', created!.Id!]);
    expect(byCluster.code).toBe(2);
    expect(byCluster.out.errors.join('\n')).toContain(`is a cluster id`);
    expect((await cli(['cancel', 'run-cancel-dry'])).code).toBe(0);
  }, 120_000);

  test('cancel <step-id> finds the run cluster that holds the step and terminates it', async () => {
    setStepState('run-cancel-step', 'RUNNING');
    expect((await cli(['run', 'emr', '--run-id', 'run-cancel-step', '--no-wait'])).code).toBe(0);
    const [created] = await clustersOfRun('run-cancel-step');
    const stepId = ((await emr.send(new ListStepsCommand({ ClusterId: created!.Id }))).Steps ?? [])[0]!.Id!;
    const r = await cli(['cancel', stepId]);
    expect(r.code).toBe(0);
    expect(r.out.infos.join('\n')).toContain(`terminated cluster ${created!.Id} (fruits cancel ${stepId})`);
    expect((await clustersOfRun('run-cancel-step'))[0]!.Status!.State).toBe('TERMINATED');
  }, 120_000);

  /** A long-lived cluster (not the run's) whose one step, of run `runId`, is RUNNING. */
  async function sharedClusterWithRunningStep(name: string, runId: string): Promise<{ JobFlowId: string; stepId: string }> {
    const { JobFlowId } = await emr.send(new RunJobFlowCommand({
      Name: name, ReleaseLabel: 'emr-7.12.0', ServiceRole: 'svc', JobFlowRole: 'node',
      Instances: { MasterInstanceType: 'm5.xlarge', InstanceCount: 1, KeepJobFlowAliveWhenNoSteps: true },
      Steps: [{ Name: `fruits ${runId}`, ActionOnFailure: 'CONTINUE', HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', '--run-id', runId] } }],
    }));
    setStepState(runId, 'RUNNING');
    const stepId = ((await emr.send(new ListStepsCommand({ ClusterId: JobFlowId }))).Steps ?? [])[0]!.Id!;
    return { JobFlowId: JobFlowId!, stepId };
  }

  test('cancel <step-id> --cluster-id (a cluster used as compute "cluster"): the step is cancelled, the cluster stays', async () => {
    const { JobFlowId, stepId } = await sharedClusterWithRunningStep('shared', 'run-shared');
    const r = await cli(['cancel', stepId, '--cluster-id', JobFlowId!, '--json']);
    expect(r.code).toBe(0);
    expect(r.out.results[0]!.data).toMatchObject({ clusterId: JobFlowId, stepId, state: 'RUNNING', cancelled: true });
    const step = (await emr.send(new DescribeStepCommand({ ClusterId: JobFlowId, StepId: stepId }))).Step!;
    expect(step.Status!.State).toBe('CANCELLED');
    const cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: JobFlowId }))).Cluster!;
    expect(cluster.Status!.State).not.toMatch(/TERMINAT/);
    const again = await cli(['cancel', stepId, '--cluster-id', JobFlowId!]);
    expect(again.code).toBe(0);
    expect(again.out.results[0]!.human).toBe(`step ${stepId} already ended (CANCELLED): nothing to cancel`);
  }, 120_000);

  test('cancel <run-id> --cluster-id (compute "cluster" semantics): the step of that run is cancelled, --dry-run changes nothing', async () => {
    const { JobFlowId, stepId } = await sharedClusterWithRunningStep('shared-2', 'run-shared-2');
    const dry = await cli(['cancel', 'run-shared-2', '--cluster-id', JobFlowId!, '--dry-run']);
    expect(dry.out.results[0]!.human).toBe(`would cancel step ${stepId} (RUNNING) on ${JobFlowId} (CancelSteps, SEND_INTERRUPT); nothing done (--dry-run)`);
    expect((await emr.send(new DescribeStepCommand({ ClusterId: JobFlowId, StepId: stepId }))).Step!.Status!.State).toBe('RUNNING');
    const r = await cli(['cancel', 'run-shared-2', '--cluster-id', JobFlowId!, '--json']);
    expect(r.out.results[0]!.data).toMatchObject({ stepId, cancelled: true });
    expect((await emr.send(new DescribeStepCommand({ ClusterId: JobFlowId, StepId: stepId }))).Step!.Status!.State).toBe('CANCELLED');
  }, 120_000);

  test('cancel refuses what is neither a run id nor a step id, in one line (exit 2)', async () => {
    const r = await cli(['cancel', 'not a run']);
    expect(r.code).toBe(2);
    expect(r.out.errors.join('\n')).toContain('"not a run" is neither a run id nor an EMR step id (s-XXXXXXXX)');
  }, 60_000);

  test('--dry-run prints the RunJobFlow request and creates nothing', async () => {
    const before = ((await emr.send(new ListClustersCommand({}))).Clusters ?? []).length;
    const r = await cli(['run', 'emr', '--run-id', 'run-dry', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const request = (r.out.results[0]!.data as { runJobFlow: { Instances: { KeepJobFlowAliveWhenNoSteps: boolean }; Steps: unknown[] } }).runJobFlow;
    expect(request.Instances.KeepJobFlowAliveWhenNoSteps).toBe(false);
    expect(request.Steps).toHaveLength(1);
    expect(((await emr.send(new ListClustersCommand({}))).Clusters ?? []).length).toBe(before);
  }, 60_000);
});
