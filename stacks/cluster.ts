// The EMR cluster: Hadoop + Spark (+ JupyterHub/Livy when enabled), instance fleets (one
// on-demand master, N on-demand core nodes, optional Spot task nodes with managed scaling) in
// the public subnet, logs to S3, auto-termination when idle, at-rest encryption through an EMR
// security configuration, PySpark pointed at the virtualenv the bootstrap action builds on
// every node. With `compute: "transient"` everything but the cluster itself is built here, and
// `spec` holds what the runner's RunJobFlow needs (exported as stack outputs).
import { Construct } from 'constructs';
import { EmrCluster } from '@cdktf/provider-aws/lib/emr-cluster/index.js';
import { EmrInstanceFleet } from '@cdktf/provider-aws/lib/emr-instance-fleet/index.js';
import { EmrManagedScalingPolicy } from '@cdktf/provider-aws/lib/emr-managed-scaling-policy/index.js';
import { EmrSecurityConfiguration } from '@cdktf/provider-aws/lib/emr-security-configuration/index.js';
import type { KeyPair } from '@cdktf/provider-aws/lib/key-pair/index.js';
import type { BootstrapArtifacts } from './bootstrap-artifacts.js';
import type { EmrConfig } from '../config/index.js';
import type { EmrRoles } from './emr-roles.js';
import { capacityPlan, providerFleet, providerTaskFleet, usesSpot, type CapacityPlan } from './capacity.js';
import { EMR_MANAGED_POLICY_TAG, PREFIXES, VENV_PYTHON } from './names.js';
import { LOCK_JUPYTERHUB_PASSWORD_SCRIPT } from './jupyterhub-lock.js';

export { LOCK_JUPYTERHUB_PASSWORD_SCRIPT };
import type { Network } from './network.js';
import { s3Uri, type Storage } from './storage.js';

export interface ClusterProps {
  config: EmrConfig;
  network: Network;
  roles: EmrRoles;
  storage: Storage;
  kmsKeyArn: string;
  keyPair: KeyPair;
  bootstrap: BootstrapArtifacts;
}

export interface EmrConfiguration {
  Classification: string;
  Properties?: Record<string, string>;
  Configurations?: EmrConfiguration[];
}

/**
 * Peak RSS of one PySpark Python worker featurizing with the Keras/TensorFlow engine,
 * measured by test/rehearsal/measure_worker_memory.py (917 MiB on the Fruits-360 sample),
 * plus 25 % margin. Re-measure when the inference engine changes.
 */
export const PYTHON_WORKER_MIB = 1152;
/** JVM off-heap of an executor (direct buffers, metaspace, Arrow transfer buffers). */
const JVM_OFF_HEAP_MIB = 512;
/** Left free inside YARN's share for the NodeManager's rounding and the shuffle service. */
const YARN_HEADROOM_MIB = 1024;
const MIN_HEAP_MIB = 2048;

/**
 * Instance types whose YARN share (EMR's yarn.nodemanager.resource.memory-mb default) is
 * known here, with their vCPUs. Other types get no memory settings (EMR's own defaults).
 */
export const YARN_NODE_SHARE: Record<string, { vcpu: number; yarnMiB: number }> = {
  'm5.xlarge': { vcpu: 4, yarnMiB: 12288 },
  'm5a.xlarge': { vcpu: 4, yarnMiB: 12288 },
  'm6a.xlarge': { vcpu: 4, yarnMiB: 12288 },
  'm5.2xlarge': { vcpu: 8, yarnMiB: 24576 },
  'm5.4xlarge': { vcpu: 16, yarnMiB: 57344 },
  'm6i.xlarge': { vcpu: 4, yarnMiB: 12288 },
  'm6i.2xlarge': { vcpu: 8, yarnMiB: 24576 },
  'r5.xlarge': { vcpu: 4, yarnMiB: 24576 },
  'r5.2xlarge': { vcpu: 8, yarnMiB: 57344 },
};

/**
 * Executor sizing for one executor per core node, one task per vCPU (so one TensorFlow
 * Python worker per vCPU). YARN kills a container whose process tree (JVM + Python
 * workers) exceeds heap + memoryOverhead, and Python workers are not part of the heap:
 * they are counted in memoryOverhead. spark.executor.pyspark.memory is deliberately not
 * set: PySpark enforces it as an address-space limit (RLIMIT_AS) per worker, and
 * TensorFlow reserves about twice its RSS in address space (measured), so a limit sized to
 * RSS would make TensorFlow fail allocations. docs/aws.md "YARN memory" has the arithmetic.
 */
export function executorMemoryDefaults(coreInstanceTypes: string | string[]): Record<string, string> {
  // A fleet may launch any of its types: size for the smallest, and only when all are known.
  const shares = [coreInstanceTypes].flat().map((t) => YARN_NODE_SHARE[t]);
  if (!shares.length || shares.some((n) => !n)) return {};
  const node = shares.reduce((a, b) => (b!.yarnMiB < a!.yarnMiB || (b!.yarnMiB === a!.yarnMiB && b!.vcpu < a!.vcpu) ? b : a))!;
  const cores = Math.min(node.vcpu, Math.floor((node.yarnMiB - YARN_HEADROOM_MIB - JVM_OFF_HEAP_MIB - MIN_HEAP_MIB) / PYTHON_WORKER_MIB));
  const overhead = cores * PYTHON_WORKER_MIB + JVM_OFF_HEAP_MIB;
  const heap = node.yarnMiB - YARN_HEADROOM_MIB - overhead;
  return {
    'spark.executor.cores': String(cores),
    'spark.task.cpus': '1',
    'spark.executor.memory': `${heap}m`,
    'spark.executor.memoryOverhead': `${overhead}m`,
    // The driver's Python process loads the model too (cluster deploy mode runs it in YARN).
    'spark.driver.memoryOverhead': `${PYTHON_WORKER_MIB + JVM_OFF_HEAP_MIB}m`,
  };
}

/** EMR applications for the chosen options. Livy backs JupyterHub's Spark kernels (sparkmagic). */
export function clusterApplications(jupyterHub: boolean): string[] {
  return jupyterHub ? ['Hadoop', 'Spark', 'Livy', 'JupyterHub'] : ['Hadoop', 'Spark'];
}

/**
 * The cluster's configuration classifications. Pure, so tests can snapshot it.
 * PySpark drivers, executors and YARN application masters all use the bootstrap's venv.
 */
export function clusterConfigurations(opts: {
  jupyterHub: boolean;
  notebooksBucket: string;
  coreInstanceTypes?: string[];
  /** Spot task nodes: YARN keeps application masters on on-demand nodes (EMR 7.2+ node labels). */
  spot?: boolean;
}): EmrConfiguration[] {
  const configurations: EmrConfiguration[] = [
    {
      Classification: 'spark-env',
      Properties: {},
      Configurations: [
        {
          Classification: 'export',
          Properties: { PYSPARK_PYTHON: VENV_PYTHON, PYSPARK_DRIVER_PYTHON: VENV_PYTHON },
        },
      ],
    },
    {
      Classification: 'spark-defaults',
      Properties: {
        'spark.pyspark.python': VENV_PYTHON,
        'spark.pyspark.driver.python': VENV_PYTHON,
        'spark.yarn.appMasterEnv.PYSPARK_PYTHON': VENV_PYTHON,
        'spark.executorEnv.PYSPARK_PYTHON': VENV_PYTHON,
        ...executorMemoryDefaults(opts.coreInstanceTypes ?? []),
      },
    },
  ];
  if (opts.spot) {
    // A reclaimed Spot node that holds the application master fails the whole run; EMR labels
    // nodes ON_DEMAND/SPOT, and AMs go to ON_DEMAND ones (executors may still use Spot).
    configurations.push({
      Classification: 'yarn-site',
      Properties: { 'yarn.node-labels.enabled': 'true', 'yarn.node-labels.am.default-node-label-expression': 'ON_DEMAND' },
    });
  }
  if (opts.jupyterHub) {
    // Notebooks are saved to s3://<bucket>/jupyter/<user>/ instead of the master's disk,
    // so they survive cluster termination.
    configurations.push({
      Classification: 'jupyter-s3-conf',
      Properties: { 's3.persistence.enabled': 'true', 's3.persistence.bucket': opts.notebooksBucket },
    });
    // The PySpark kernel's cells run in a Livy Spark driver. Client mode keeps that driver on
    // the master, whose venv has the driver-only packages the notebook plots with (matplotlib);
    // core nodes keep the workers' smaller set.
    configurations.push({ Classification: 'livy-conf', Properties: { 'livy.spark.deploy-mode': 'client' } });
  }
  return configurations;
}


export function jupyterHubSteps(jupyterHub: boolean) {
  if (!jupyterHub) return [];
  return [{
    name: 'lock-jupyterhub-default-password',
    actionOnFailure: 'TERMINATE_CLUSTER',
    hadoopJarStep: [{ jar: 'command-runner.jar', args: ['bash', '-c', LOCK_JUPYTERHUB_PASSWORD_SCRIPT] }],
  }];
}

/**
 * EMR security configuration: IMDSv2 required on every node; at-rest encryption of EMRFS
 * (S3) data with SSE-KMS and of local disks (instance store + EBS, including root volumes)
 * with the project key.
 * In-transit encryption stays off: it needs a PEM certificate bundle (a private CA or
 * self-signed certs zipped in S3) that this project does not manage; traffic between
 * nodes stays inside the VPC and S3 access uses TLS regardless.
 */
export function securityConfigurationJson(kmsKeyArn: string, opts: { jupyterHub: boolean }): string {
  return JSON.stringify({
    // IMDSv2 only (session tokens), against SSRF-style credential theft. JupyterHub runs
    // in a container on the master, one network hop further, so it needs a hop limit of 2.
    InstanceMetadataServiceConfiguration: {
      MinimumInstanceMetadataServiceVersion: 2,
      HttpPutResponseHopLimit: opts.jupyterHub ? 2 : 1,
    },
    EncryptionConfiguration: {
      EnableInTransitEncryption: false,
      EnableAtRestEncryption: true,
      AtRestEncryptionConfiguration: {
        S3EncryptionConfiguration: { EncryptionMode: 'SSE-KMS', AwsKmsKey: kmsKeyArn },
        LocalDiskEncryptionConfiguration: {
          EncryptionKeyProviderType: 'AwsKms',
          AwsKmsKey: kmsKeyArn,
          EnableEbsEncryption: true,
        },
      },
    },
  });
}

/** What RunJobFlow needs besides the step: the same settings as the stack's own cluster. */
export interface ClusterSpec {
  name: string;
  releaseLabel: string;
  applications: string[];
  serviceRole: string;
  instanceProfile: string;
  securityConfiguration: string;
  logUri: string;
  subnetId: string;
  masterSecurityGroup: string;
  coreSecurityGroup: string;
  sshSecurityGroup: string;
  keyName: string;
  ebsRootVolumeSize: number;
  idleTimeoutSeconds: number;
  bootstrapAction: BootstrapArtifacts['action'];
  configurationsJson: string;
  capacity: CapacityPlan;
}

export class Cluster extends Construct {
  /** The long-lived cluster (`compute: "cluster"` only). */
  readonly cluster?: EmrCluster;
  readonly taskFleet?: EmrInstanceFleet;
  readonly scalingPolicy?: EmrManagedScalingPolicy;
  readonly securityConfiguration: EmrSecurityConfiguration;
  readonly logUri: string;
  readonly spec: ClusterSpec;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const { config, network, roles, storage, bootstrap } = props;

    this.securityConfiguration = new EmrSecurityConfiguration(this, 'security-configuration', {
      namePrefix: `${config.namePrefix}-at-rest-`,
      configuration: securityConfigurationJson(props.kmsKeyArn, { jupyterHub: config.jupyterHub }),
      lifecycle: { createBeforeDestroy: true },
    });

    this.logUri = s3Uri(storage.logs.name, PREFIXES.emrLogs);
    const plan = capacityPlan(config);
    this.spec = {
      name: `${config.namePrefix}-emr`,
      releaseLabel: config.releaseLabel,
      applications: clusterApplications(config.jupyterHub),
      serviceRole: roles.serviceRole.arn,
      instanceProfile: roles.instanceProfile.arn,
      securityConfiguration: this.securityConfiguration.name,
      logUri: this.logUri,
      subnetId: network.subnet.id,
      masterSecurityGroup: network.masterSecurityGroup.id,
      coreSecurityGroup: network.coreSecurityGroup.id,
      sshSecurityGroup: network.sshSecurityGroup.id,
      keyName: props.keyPair.keyName,
      // The venv with tensorflow-cpu lives on the root volume (/opt); EMR's 15 GiB default is tight.
      ebsRootVolumeSize: 32,
      // Idle clusters cost money: EMR terminates the cluster after this much idle time.
      idleTimeoutSeconds: config.idleTimeoutMinutes * 60,
      bootstrapAction: bootstrap.action,
      configurationsJson: JSON.stringify(
        clusterConfigurations({
          jupyterHub: config.jupyterHub,
          notebooksBucket: storage.artifacts.name,
          coreInstanceTypes: plan.core.types,
          spot: usesSpot(plan),
        }),
      ),
      capacity: plan,
    };
    if (config.compute !== 'cluster') return;
    const spec = this.spec;

    this.cluster = new EmrCluster(this, 'cluster', {
      name: spec.name,
      releaseLabel: spec.releaseLabel,
      applications: spec.applications,
      serviceRole: spec.serviceRole,
      securityConfiguration: spec.securityConfiguration,
      logUri: spec.logUri,
      ec2Attributes: {
        subnetId: spec.subnetId,
        emrManagedMasterSecurityGroup: spec.masterSecurityGroup,
        emrManagedSlaveSecurityGroup: spec.coreSecurityGroup,
        additionalMasterSecurityGroups: spec.sshSecurityGroup,
        instanceProfile: spec.instanceProfile,
        keyName: spec.keyName,
      },
      masterInstanceFleet: providerFleet(plan.master, plan),
      // Fixed on purpose (managed scaling's core maximum is this count): see capacity.ts.
      coreInstanceFleet: providerFleet(plan.core, plan),
      ebsRootVolumeSize: spec.ebsRootVolumeSize,
      autoTerminationPolicy: { idleTimeout: spec.idleTimeoutSeconds },
      keepJobFlowAliveWhenNoSteps: true,
      terminationProtection: false,
      visibleToAllUsers: true,
      bootstrapAction: [spec.bootstrapAction],
      ...(config.jupyterHub ? { step: jupyterHubSteps(true) } : {}),
      configurationsJson: spec.configurationsJson,
      tags: { Name: spec.name, ...EMR_MANAGED_POLICY_TAG },
      dependsOn: [
        ...roles.ready,
        ...bootstrap.objects,
        network.internetRoute,
        network.subnetRoutes,
        network.s3Endpoint,
        ...network.egressRules,
        ...storage.logs.ready,
      ],
      // EMR rewrites step lists and some computed settings; steps are submitted by the runner.
      lifecycle: { ignoreChanges: ['step'] },
    });

    if (plan.task) {
      this.taskFleet = new EmrInstanceFleet(this, 'task-fleet', {
        clusterId: this.cluster.id,
        ...providerTaskFleet(plan),
        // Managed scaling moves the task targets: Terraform must not move them back (#15968).
        ...(plan.scaling ? { lifecycle: { ignoreChanges: ['target_spot_capacity', 'target_on_demand_capacity'] } } : {}),
      });
    }
    if (plan.scaling) {
      const s = plan.scaling;
      this.scalingPolicy = new EmrManagedScalingPolicy(this, 'managed-scaling', {
        clusterId: this.cluster.id,
        computeLimits: [
          {
            unitType: 'InstanceFleetUnits',
            minimumCapacityUnits: s.min,
            maximumCapacityUnits: s.max,
            maximumCoreCapacityUnits: s.maxCore,
            maximumOndemandCapacityUnits: s.maxOnDemand,
          },
        ],
        dependsOn: this.taskFleet ? [this.taskFleet] : [],
      });
    }
  }
}
