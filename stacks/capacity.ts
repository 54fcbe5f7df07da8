// The cluster's capacity as instance fleets, in both shapes that need it: the provider's
// (aws_emr_cluster master/core fleets, aws_emr_instance_fleet for the task fleet,
// aws_emr_managed_scaling_policy) and EMR's API (RunJobFlow, for `compute: "transient"`).
// Pure: config in, plain objects out, so tests and the runner's request read the same plan.
//
// Master and core are always on-demand; only the task fleet uses Spot. Core capacity is fixed
// (managed scaling's core maximum equals it): changing a core fleet's target replaces the
// cluster with provider 5.x (terraform-provider-aws #36492), and a core fleet scaled by EMR
// makes every later plan want to scale it back (#15968). Task capacity is the part that scales.
import type { FruitsConfig } from '../config/index.js';

/** A data volume per node: HDFS, YARN local dirs and Spark shuffle live there. */
export const NODE_EBS = { sizeGiB: 64, type: 'gp3', volumesPerInstance: 1 } as const;
export const SPOT_ALLOCATION_STRATEGY = 'price-capacity-optimized';
export const ON_DEMAND_ALLOCATION_STRATEGY = 'lowest-price';
export const SPOT_TIMEOUT_ACTION = 'SWITCH_TO_ON_DEMAND';

export interface Fleet {
  role: 'MASTER' | 'CORE' | 'TASK';
  types: string[];
  onDemand: number;
  spot: number;
}

export interface CapacityPlan {
  master: Fleet;
  core: Fleet;
  task?: Fleet & { spotTimeoutMinutes: number };
  allocationStrategy: boolean;
  /** EMR managed scaling limits (InstanceFleetUnits: one unit per instance), task capacity only. */
  scaling?: { min: number; max: number; maxCore: number; maxOnDemand: number };
}

export type CapacityConfig = Pick<FruitsConfig, 'capacity' | 'coreInstanceCount'>;

export function capacityPlan(config: CapacityConfig): CapacityPlan {
  const c = config.capacity;
  const core = config.coreInstanceCount;
  const task = c.taskSpotUnits > 0 ? { role: 'TASK' as const, types: c.taskTypes, onDemand: 0, spot: c.taskSpotUnits, spotTimeoutMinutes: c.spotTimeoutMinutes } : undefined;
  return {
    master: { role: 'MASTER', types: c.masterTypes, onDemand: 1, spot: 0 },
    core: { role: 'CORE', types: c.coreTypes, onDemand: core, spot: 0 },
    ...(task ? { task } : {}),
    allocationStrategy: c.allocationStrategy,
    ...(task && c.maxTaskUnits > 0
      ? {
          // Units count core and task instances (never the master). The on-demand maximum is
          // the core count, so everything scaling adds is Spot; the core maximum keeps core fixed.
          scaling: { min: core + task.spot, max: core + c.maxTaskUnits, maxCore: core, maxOnDemand: core },
        }
      : {}),
  };
}

/** True when the plan runs Spot nodes: YARN must keep application masters off them. */
export const usesSpot = (plan: CapacityPlan): boolean => (plan.task?.spot ?? 0) > 0;

// ---- provider shape (cdktf, camelCase) ----

const providerTypeConfigs = (f: Fleet) =>
  f.types.map((instanceType) => ({
    instanceType,
    weightedCapacity: 1,
    ebsConfig: [{ size: NODE_EBS.sizeGiB, type: NODE_EBS.type, volumesPerInstance: NODE_EBS.volumesPerInstance }],
  }));

function providerLaunchSpecifications(f: Fleet, plan: CapacityPlan, spotTimeoutMinutes?: number) {
  if (f.spot > 0) {
    return {
      spotSpecification: [
        {
          // Always set for Spot (the provider requires it): the Spot fleet takes up to 30 types.
          allocationStrategy: SPOT_ALLOCATION_STRATEGY,
          timeoutAction: SPOT_TIMEOUT_ACTION,
          timeoutDurationMinutes: spotTimeoutMinutes!,
        },
      ],
    };
  }
  return plan.allocationStrategy ? { onDemandSpecification: [{ allocationStrategy: ON_DEMAND_ALLOCATION_STRATEGY }] } : undefined;
}

/** master_instance_fleet / core_instance_fleet of aws_emr_cluster. */
export function providerFleet(f: Fleet, plan: CapacityPlan) {
  const launchSpecifications = providerLaunchSpecifications(f, plan);
  return {
    name: f.role.toLowerCase(),
    targetOnDemandCapacity: f.onDemand,
    instanceTypeConfigs: providerTypeConfigs(f),
    ...(launchSpecifications ? { launchSpecifications } : {}),
  };
}

/** aws_emr_instance_fleet (the task fleet) without its cluster id. */
export function providerTaskFleet(plan: CapacityPlan) {
  const t = plan.task!;
  return {
    name: 'task-spot',
    targetOnDemandCapacity: t.onDemand,
    targetSpotCapacity: t.spot,
    instanceTypeConfigs: providerTypeConfigs(t),
    launchSpecifications: providerLaunchSpecifications(t, plan, t.spotTimeoutMinutes)!,
  };
}

// ---- EMR API shape (RunJobFlow, PascalCase) ----

export function apiInstanceFleets(plan: CapacityPlan) {
  const fleets = [plan.master, plan.core, ...(plan.task ? [plan.task] : [])];
  return fleets.map((f) => {
    const timeout = f.role === 'TASK' ? plan.task!.spotTimeoutMinutes : undefined;
    const spec = providerLaunchSpecifications(f, plan, timeout);
    const spot = spec?.spotSpecification?.[0];
    const onDemand = spec?.onDemandSpecification?.[0];
    return {
      Name: f.role === 'TASK' ? 'task-spot' : f.role.toLowerCase(),
      InstanceFleetType: f.role,
      TargetOnDemandCapacity: f.onDemand,
      TargetSpotCapacity: f.spot,
      InstanceTypeConfigs: f.types.map((InstanceType) => ({
        InstanceType,
        WeightedCapacity: 1,
        EbsConfiguration: {
          EbsBlockDeviceConfigs: [{ VolumeSpecification: { SizeInGB: NODE_EBS.sizeGiB, VolumeType: NODE_EBS.type }, VolumesPerInstance: NODE_EBS.volumesPerInstance }],
        },
      })),
      ...(spot || onDemand
        ? {
            LaunchSpecifications: {
              ...(spot
                ? { SpotSpecification: { AllocationStrategy: spot.allocationStrategy, TimeoutAction: spot.timeoutAction, TimeoutDurationMinutes: spot.timeoutDurationMinutes } }
                : {}),
              ...(onDemand ? { OnDemandSpecification: { AllocationStrategy: onDemand.allocationStrategy } } : {}),
            },
          }
        : {}),
    };
  });
}

/** RunJobFlow's ManagedScalingPolicy, or undefined without scaling. */
export function apiManagedScalingPolicy(plan: CapacityPlan) {
  const s = plan.scaling;
  if (!s) return undefined;
  return {
    ComputeLimits: {
      UnitType: 'InstanceFleetUnits',
      MinimumCapacityUnits: s.min,
      MaximumCapacityUnits: s.max,
      MaximumCoreCapacityUnits: s.maxCore,
      MaximumOnDemandCapacityUnits: s.maxOnDemand,
    },
  };
}
