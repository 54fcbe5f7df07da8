// runner/argv/emr-run-job-flow.ts and the transient outputs of runner/aws/stack-outputs.ts.
import { buildRunJobFlowRequest, transientSpec } from '../../../../runner/argv/emr-run-job-flow.js';
import { parseStackOutputs } from '../../../../runner/aws/stack-outputs.js';

const OUTPUTS = {
  'fruits-emr': {
    compute: { value: 'transient' }, log_uri: 's3://logs/emr-logs/', project_tag: 'fruits', cluster_name: 'fruits-emr', release_label: 'emr-7.12.0',
    applications_json: '["Hadoop","Spark"]', subnet_id: 'subnet-1', master_security_group_id: 'sg-m', core_security_group_id: 'sg-c',
    ssh_security_group_id: 'sg-s', service_role_arn: 'arn:svc', instance_profile_arn: 'arn:prof', key_name: 'k', security_configuration: 'sc',
    bootstrap_action_json: '{"Name":"b","ScriptBootstrapAction":{"Path":"s3://a/b.sh","Args":[]}}', configurations_json: '[]',
    instance_fleets_json: '[{"InstanceFleetType":"MASTER","TargetOnDemandCapacity":1}]', idle_timeout_seconds: '1200', ebs_root_volume_size: '32',
  },
};
const step = { Name: 'fruits r1', ActionOnFailure: 'TERMINATE_CLUSTER' as const, HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit'] } };

test('the outputs file of a transient stack yields the spec, with values nested or plain', () => {
  const outputs = parseStackOutputs(OUTPUTS);
  expect(outputs.compute).toBe('transient');
  expect(outputs.transient?.subnet_id).toBe('subnet-1');
  expect(transientSpec(outputs, 'o.json').log_uri).toBe('s3://logs/emr-logs/');
});

test('a transient stack missing outputs is one line naming them and the redeploy', () => {
  const outputs = parseStackOutputs({ 'fruits-emr': { compute: 'transient', subnet_id: 'subnet-1' } });
  expect(() => transientSpec(outputs, 'o.json')).toThrow(/^o\.json is from a compute "transient" stack but lacks project_tag, cluster_name, .*; redeploy: npm run deploy/);
});

test('RunJobFlow: the stack settings, the job as the only step, no keep-alive, the idle backstop, the run id tag', () => {
  const r = buildRunJobFlowRequest(transientSpec(parseStackOutputs(OUTPUTS), 'o.json'), step, 'r1');
  expect(r).toMatchObject({
    Name: 'fruits-emr-r1',
    ReleaseLabel: 'emr-7.12.0',
    Applications: [{ Name: 'Hadoop' }, { Name: 'Spark' }],
    ServiceRole: 'arn:svc',
    JobFlowRole: 'arn:prof',
    SecurityConfiguration: 'sc',
    LogUri: 's3://logs/emr-logs/',
    Instances: { Ec2SubnetIds: ['subnet-1'], AdditionalMasterSecurityGroups: ['sg-s'], KeepJobFlowAliveWhenNoSteps: false, TerminationProtected: false },
    BootstrapActions: [{ Name: 'b', ScriptBootstrapAction: { Path: 's3://a/b.sh', Args: [] } }],
    AutoTerminationPolicy: { IdleTimeout: 1200 },
    EbsRootVolumeSize: 32,
    Steps: [step],
  });
  expect(r.ManagedScalingPolicy).toBeUndefined();
  expect(r.Tags).toEqual([
    { Key: 'Name', Value: 'fruits-emr-r1' },
    { Key: 'Project', Value: 'fruits' },
    { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' },
    { Key: 'fruits-run-id', Value: 'r1' },
  ]);
});

test('RunJobFlow with JupyterHub: the stack\'s password lock runs first, then the job (main\'s lock, kept for a cluster per run)', () => {
  const withHub = { 'fruits-emr': { ...OUTPUTS['fruits-emr'], applications_json: '["Hadoop","Spark","Livy","JupyterHub"]' } };
  const r = buildRunJobFlowRequest(transientSpec(parseStackOutputs(withHub), 'o.json'), step, 'r1');
  expect(r.Steps?.map((s) => s.Name)).toEqual(['lock-jupyterhub-default-password', 'fruits r1']);
  expect(r.Steps?.[0]?.HadoopJarStep?.Args?.join(' ')).toContain('passwd -l jovyan');
  expect(r.Steps?.[0]?.ActionOnFailure).toBe('TERMINATE_CLUSTER');
  expect(buildRunJobFlowRequest(transientSpec(parseStackOutputs(OUTPUTS), 'o.json'), step, 'r1').Steps).toEqual([step]);
});
