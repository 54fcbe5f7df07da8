// stacks/cluster.ts + capacity.ts: instance fleets, the Spot task fleet, managed scaling, node
// labels, and `compute: "transient"` (everything but the cluster, outputs for RunJobFlow).
import { apiInstanceFleets, apiManagedScalingPolicy, capacityPlan } from '../../../stacks/capacity.js';
import { executorMemoryDefaults } from '../../../stacks/cluster.js';
import { type Json, resource, resourcesOf, synthEmr, testConfig } from '../../helpers/stacks.js';

const FOUR = ['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge'];
const spotScaled = synthEmr({ capacity: { coreTypes: ['m5.xlarge', 'm6i.xlarge'], taskSpotUnits: 2, maxTaskUnits: 6 } });
const cluster = resource(spotScaled, 'aws_emr_cluster', 'cluster');
const types = (fleet: Json) => fleet.instance_type_configs.map((c: Json) => c.instance_type);

describe('instance fleets (compute: cluster)', () => {
  test('master and core are on-demand fleets with lowest-price, a data volume per node', () => {
    expect(types(cluster.core_instance_fleet)).toEqual(['m5.xlarge', 'm6i.xlarge']);
    expect(cluster.core_instance_fleet.launch_specifications.on_demand_specification).toEqual([{ allocation_strategy: 'lowest-price' }]);
    expect(cluster.core_instance_fleet.launch_specifications.spot_specification).toBeUndefined();
    expect(cluster.master_instance_fleet.target_spot_capacity).toBeUndefined();
    expect(cluster.core_instance_fleet.instance_type_configs[0].ebs_config).toEqual([{ size: 64, type: 'gp3', volumes_per_instance: 1 }]);
  });

  test('the Spot task fleet: price-capacity-optimized, switches to on-demand after the timeout, targets ignored under scaling', () => {
    const task = resource(spotScaled, 'aws_emr_instance_fleet', 'task');
    expect(task).toMatchObject({ target_spot_capacity: 2, target_on_demand_capacity: 0 });
    expect(types(task)).toEqual(FOUR);
    expect(task.launch_specifications.spot_specification).toEqual([
      { allocation_strategy: 'price-capacity-optimized', timeout_action: 'SWITCH_TO_ON_DEMAND', timeout_duration_minutes: 10 },
    ]);
    expect(task.lifecycle.ignore_changes).toEqual(['target_spot_capacity', 'target_on_demand_capacity']);
    expect(task.cluster_id).toBe('${aws_emr_cluster.' + resourcesOf(spotScaled, 'aws_emr_cluster')[0]![0] + '.id}');
  });

  test('managed scaling: fleet units, core and on-demand maxima fixed at the core count, task capacity scales', () => {
    const policy = resource(spotScaled, 'aws_emr_managed_scaling_policy', 'scaling');
    expect(policy.compute_limits).toEqual([
      { unit_type: 'InstanceFleetUnits', minimum_capacity_units: 4, maximum_capacity_units: 8, maximum_core_capacity_units: 2, maximum_ondemand_capacity_units: 2 },
    ]);
  });

  test('with Spot, YARN keeps application masters on on-demand nodes (node labels)', () => {
    const yarn = JSON.parse(cluster.configurations_json).find((c: Json) => c.Classification === 'yarn-site');
    expect(yarn.Properties).toEqual({ 'yarn.node-labels.enabled': 'true', 'yarn.node-labels.am.default-node-label-expression': 'ON_DEMAND' });
    const plain = resource(synthEmr(), 'aws_emr_cluster', 'cluster');
    expect(JSON.parse(plain.configurations_json).some((c: Json) => c.Classification === 'yarn-site')).toBe(false);
  });

  test('no task fleet and no scaling policy by default; the subnet zone must offer one type of each fleet', () => {
    const plain = synthEmr();
    expect(resourcesOf(plain, 'aws_emr_instance_fleet')).toEqual([]);
    expect(resourcesOf(plain, 'aws_emr_managed_scaling_policy')).toEqual([]);
    const withSpot = synthEmr({ capacity: { taskSpotUnits: 1, taskTypes: ['c5.xlarge', 'm5.xlarge'] } });
    expect(resourcesOf(withSpot, 'aws_emr_instance_fleet')).toHaveLength(1);
    expect(resource(withSpot, 'aws_emr_instance_fleet', 'task').lifecycle).toBeUndefined(); // no scaling: config owns the targets
    const offered = Object.values(withSpot.data.aws_ec2_instance_type_offerings as Record<string, Json>).map((o) => o.filter[0].values[0]);
    expect(offered.sort()).toEqual(['c5.xlarge', 'm5.xlarge']);
  });

  test('allocationStrategy=false leaves the on-demand fleets without a launch specification', () => {
    const c = resource(synthEmr({ capacity: { allocationStrategy: false } }), 'aws_emr_cluster', 'cluster');
    expect(c.core_instance_fleet.launch_specifications).toBeUndefined();
  });

  test('executor memory is sized for the smallest core type, and not at all when one is unknown', () => {
    expect(executorMemoryDefaults(['m5.2xlarge', 'm5.xlarge'])).toEqual(executorMemoryDefaults('m5.xlarge'));
    expect(executorMemoryDefaults(['m5.xlarge', 'c5.9xlarge'])).toEqual({});
  });
});

describe('compute: transient', () => {
  const transient = synthEmr({ compute: 'transient', capacity: { taskSpotUnits: 2, maxTaskUnits: 4 } });

  test('builds network, buckets, key, roles, bootstrap and security configuration, but no cluster', () => {
    expect(resourcesOf(transient, 'aws_emr_cluster')).toEqual([]);
    expect(resourcesOf(transient, 'aws_emr_instance_fleet')).toEqual([]);
    expect(resourcesOf(transient, 'aws_emr_managed_scaling_policy')).toEqual([]);
    for (const type of ['aws_vpc', 'aws_subnet', 'aws_security_group', 'aws_key_pair', 'aws_kms_key', 'aws_iam_role', 'aws_iam_instance_profile', 'aws_emr_security_configuration', 'aws_s3_object']) {
      expect(resourcesOf(transient, type).length).toBeGreaterThan(0);
    }
  });

  test('outputs what a run needs to create its cluster, and no cluster id', () => {
    const o = transient.output as Record<string, { value: string }>;
    expect(o.compute!.value).toBe('transient');
    expect(o.cluster_id).toBeUndefined();
    expect(o.ssh_tunnel_command).toBeUndefined();
    expect(o.subnet_id!.value).toMatch(/^\$\{aws_subnet\..*\.id\}$/);
    expect(o.security_configuration!.value).toMatch(/^\$\{aws_emr_security_configuration\..*\.name\}$/);
    expect(o.service_role_arn!.value).toMatch(/^\$\{aws_iam_role\..*service.*\.arn\}$/);
    expect(o.instance_profile_arn!.value).toMatch(/^\$\{aws_iam_instance_profile\..*\.arn\}$/);
    expect(o.release_label!.value).toBe(testConfig().releaseLabel);
    expect(o.project_tag!.value).toBe('fruits');
    expect(o.idle_timeout_seconds!.value).toBe('1200');
    expect(JSON.parse(o.applications_json!.value)).toEqual(['Hadoop', 'Spark']);
    const action = JSON.parse(o.bootstrap_action_json!.value);
    expect(action.ScriptBootstrapAction.Path).toMatch(/^s3:\/\/\$\{aws_s3_bucket\..*\}\/bootstrap\/emr-install-python-deps\.sh$/);
    expect(JSON.parse(o.configurations_json!.value).map((c: Json) => c.Classification)).toEqual(['spark-env', 'spark-defaults', 'yarn-site']);
    const fleets = JSON.parse(o.instance_fleets_json!.value);
    expect(fleets.map((f: Json) => [f.InstanceFleetType, f.TargetOnDemandCapacity, f.TargetSpotCapacity])).toEqual([['MASTER', 1, 0], ['CORE', 2, 0], ['TASK', 0, 2]]);
    expect(JSON.parse(o.managed_scaling_policy_json!.value).ComputeLimits).toMatchObject({ UnitType: 'InstanceFleetUnits', MaximumCoreCapacityUnits: 2, MaximumOnDemandCapacityUnits: 2, MaximumCapacityUnits: 6 });
  });
});

describe('the API shape (RunJobFlow) matches the provider shape', () => {
  test('fleets, launch specifications and scaling', () => {
    const plan = capacityPlan(testConfig({ capacity: { taskSpotUnits: 3, maxTaskUnits: 5, spotTimeoutMinutes: 15 } }));
    const [master, core, task] = apiInstanceFleets(plan);
    expect(master).toMatchObject({ InstanceFleetType: 'MASTER', TargetOnDemandCapacity: 1, LaunchSpecifications: { OnDemandSpecification: { AllocationStrategy: 'lowest-price' } } });
    expect(core!.InstanceTypeConfigs[0]).toEqual({
      InstanceType: 'm5.xlarge',
      WeightedCapacity: 1,
      EbsConfiguration: { EbsBlockDeviceConfigs: [{ VolumeSpecification: { SizeInGB: 64, VolumeType: 'gp3' }, VolumesPerInstance: 1 }] },
    });
    expect(task!.LaunchSpecifications).toEqual({ SpotSpecification: { AllocationStrategy: 'price-capacity-optimized', TimeoutAction: 'SWITCH_TO_ON_DEMAND', TimeoutDurationMinutes: 15 } });
    expect(apiManagedScalingPolicy(plan)).toEqual({
      ComputeLimits: { UnitType: 'InstanceFleetUnits', MinimumCapacityUnits: 5, MaximumCapacityUnits: 7, MaximumCoreCapacityUnits: 2, MaximumOnDemandCapacityUnits: 2 },
    });
    expect(apiManagedScalingPolicy(capacityPlan(testConfig()))).toBeUndefined();
  });
});
