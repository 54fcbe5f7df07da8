// The outputs of a compute "transient" stack (stacks/emr-stack.ts transientOutputs), as the runner
// reads them from cdktf-outputs.json: a Spot task fleet with managed scaling, the stack's real
// cluster configurations and fleets. Shared by the transient and operator-policy moto tests.
import { apiInstanceFleets, apiManagedScalingPolicy, capacityPlan } from '../../stacks/capacity.js';
import { clusterConfigurations } from '../../stacks/cluster.js';
import { testConfig } from './stacks.js';

const plan = capacityPlan(testConfig({ capacity: { taskSpotUnits: 2, maxTaskUnits: 4 } }));
export const TRANSIENT = {
  compute: 'transient',
  project_tag: 'fruits',
  cluster_name: 'fruits-emr',
  release_label: 'emr-7.12.0',
  applications_json: JSON.stringify(['Hadoop', 'Spark']),
  subnet_id: 'subnet-0abc',
  master_security_group_id: 'sg-master',
  core_security_group_id: 'sg-core',
  ssh_security_group_id: 'sg-ssh',
  service_role_arn: 'arn:aws:iam::123456789012:role/fruits-emr-service',
  instance_profile_arn: 'arn:aws:iam::123456789012:instance-profile/fruits-emr-node',
  key_name: 'fruits-operator',
  security_configuration: 'fruits-at-rest-1',
  bootstrap_action_json: JSON.stringify({ Name: 'install-python-deps', ScriptBootstrapAction: { Path: 's3://fruits-art/bootstrap/emr-install-python-deps.sh', Args: ['--venv', '/opt/fruits-venv'] } }),
  configurations_json: JSON.stringify(clusterConfigurations({ jupyterHub: false, notebooksBucket: 'fruits-art', coreInstanceTypes: ['m5.xlarge'], spot: true })),
  instance_fleets_json: JSON.stringify(apiInstanceFleets(plan)),
  managed_scaling_policy_json: JSON.stringify(apiManagedScalingPolicy(plan)),
  idle_timeout_seconds: '1200',
  ebs_root_volume_size: '32',
};

