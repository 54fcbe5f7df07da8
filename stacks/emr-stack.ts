// The fruits-emr stack: reads like the architecture diagram.
//   network -> IAM roles -> KMS key -> buckets -> node policy -> key pair
//   -> bootstrap files in S3 -> EMR cluster (or, `compute: "transient"`, only its settings)
//   -> outputs (ids shared with the job runner)
import { join } from 'node:path';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair/index.js';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { BootstrapArtifacts } from './bootstrap-artifacts.js';
import { Cluster, type ClusterSpec } from './cluster.js';
import { apiInstanceFleets, apiManagedScalingPolicy } from './capacity.js';
import { awsProvider, configureBackend } from './provider-backend.js';
import { type EmrConfig, privateKeyPathFor } from '../config/index.js';
import { ProjectKey } from './project-key.js';
import { EmrRoles } from './emr-roles.js';
import { PREFIXES, PROJECT_TAG_KEY, TUNNEL_PORTS } from './names.js';
import { Network } from './network.js';
import { ServerlessApp, serverlessJobRole } from './serverless.js';
import { flowLogDestination, s3Uri, Storage } from './storage.js';

export interface EmrStackProps {
  config: EmrConfig;
  /** Validated OpenSSH public key text ("type base64"), see readPublicKey(). */
  publicKey: string;
  /** Repository root: bootstrap/ and requirements.txt are read from here. */
  repoRoot: string;
}

/** The SSH command that tunnels YARN, the Spark history server (and JupyterHub) to localhost. */
export function sshTunnelCommand(opts: { privateKeyPath: string; masterDns: string; jupyterHub: boolean }): string {
  const ports = [TUNNEL_PORTS.yarn, TUNNEL_PORTS.sparkHistory, ...(opts.jupyterHub ? [TUNNEL_PORTS.jupyterHub] : [])];
  const forwards = ports.map((p) => `-L ${p}:localhost:${p}`).join(' ');
  return `ssh -i ${opts.privateKeyPath} -N ${forwards} hadoop@${opts.masterDns}`;
}

export class FruitsEmrStack extends TerraformStack {
  /** Absent with compute "serverless". */
  readonly cluster?: Cluster;
  readonly serverless?: ServerlessApp;
  readonly storage: Storage;

  constructor(scope: Construct, id: string, props: EmrStackProps) {
    super(scope, id);
    const { config } = props;
    configureBackend(this, config, id);
    awsProvider(this, config, id);
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    const partition = new DataAwsPartition(this, 'partition').partition;
    const base = { namePrefix: config.namePrefix, region: config.region, accountId, partition };

    const network = new Network(this, 'network', {
      namePrefix: config.namePrefix,
      region: config.region,
      operatorCidr: config.operatorCidr,
      // One type of each fleet must be offered in the subnet's zone (the first ones).
      instanceTypes: [config.capacity.masterTypes[0]!, config.capacity.coreTypes[0]!, ...(config.capacity.taskSpotUnits > 0 ? [config.capacity.taskTypes[0]!] : [])],
    });
    const roles = new EmrRoles(this, 'iam', base);
    const jobRole = config.compute === 'serverless' ? serverlessJobRole(this, base) : undefined;
    const key = new ProjectKey(this, 'kms', {
      ...base,
      instanceRoleArn: roles.instanceRole.arn,
      serviceRoleArn: roles.serviceRole.arn,
      ...(jobRole ? { serverlessJobRoleArn: jobRole.arn } : {}),
    });
    this.storage = new Storage(this, 'storage', {
      ...base,
      kmsKeyArn: key.key.arn,
      logRetentionDays: config.logRetentionDays,
      forceDestroy: config.forceDestroyBuckets,
    });
    roles.grantProjectAccess(this.storage);
    network.logFlowsTo(flowLogDestination(this.storage), [this.storage.logs.policy]);

    // Only the public half of the operator's key is ever read or stored.
    const keyPair = new KeyPair(this, 'operator-key', {
      keyName: `${config.namePrefix}-operator`,
      publicKey: props.publicKey,
    });
    const bootstrap = new BootstrapArtifacts(this, 'bootstrap', {
      bucket: this.storage.artifacts,
      bootstrapDir: join(props.repoRoot, 'bootstrap'),
      requirementsPath: join(props.repoRoot, 'requirements.txt'),
    });
    if (jobRole) {
      this.serverless = new ServerlessApp(this, 'serverless', { config, network, storage: this.storage, kmsKeyArn: key.key.arn, jobRole, ...base });
    } else {
      this.cluster = new Cluster(this, 'emr', {
        config,
        network,
        roles,
        storage: this.storage,
        kmsKeyArn: key.key.arn,
        keyPair,
        bootstrap,
      });
    }

    const { data, artifacts, logs } = this.storage;
    const outputs: Record<string, { value: string; description: string }> = {
      region: { value: config.region, description: 'AWS region of the environment' },
      compute: { value: config.compute, description: 'cluster: a long-lived cluster (cluster_id); transient: `fruits run emr` creates a cluster per run; serverless: an EMR Serverless application' },
      ...(this.serverless && jobRole
        ? serverlessOutputs(this.serverless, jobRole.arn)
        : this.cluster!.cluster ? clusterOutputs(this.cluster!.cluster, config) : transientOutputs(this.cluster!.spec, config.namePrefix)),
      input_uri: { value: s3Uri(data.name, PREFIXES.images), description: 'Upload input photos here' },
      results_uri: { value: s3Uri(data.name, PREFIXES.results), description: 'Job output root' },
      ...(this.cluster ? { log_uri: { value: this.cluster.logUri, description: 'The cluster log_uri' } } : {}),
      code_uri: { value: s3Uri(artifacts.name, PREFIXES.code), description: 'Where the runner uploads the job code' },
      weights_uri: { value: s3Uri(artifacts.name, PREFIXES.models), description: 'Upload weights files for --weights s3://... here' },
      notebooks_uri: { value: s3Uri(artifacts.name, PREFIXES.notebooks), description: 'JupyterHub notebooks (when enabled)' },
      data_bucket: { value: data.name, description: 'Input images and results' },
      logs_bucket: { value: logs.name, description: 'EMR and S3 access logs (expire)' },
      artifacts_bucket: { value: artifacts.name, description: 'Job code, bootstrap files, model weights, notebooks' },
    };
    for (const [outputId, o] of Object.entries(outputs)) {
      new TerraformOutput(this, outputId, o);
    }
  }
}

/** `compute: "serverless"`: what `fruits run emr` and `npm run image` need (stacks/serverless.ts). */
function serverlessOutputs(app: ServerlessApp, jobRoleArn: string) {
  return {
    serverless_application_id: { value: app.application.id, description: 'EMR Serverless application id' },
    serverless_job_role_arn: { value: jobRoleArn, description: 'execution role of the job runs' },
    serverless_log_uri: { value: app.logUri, description: "job runs' logs (each run's monitoring settings)" },
    ecr_repository_url: { value: app.repository.repositoryUrl, description: 'push the job image here (npm run image -- push)' },
  };
}

function clusterOutputs(cluster: NonNullable<Cluster['cluster']>, config: EmrStackProps['config']) {
  return {
    cluster_id: { value: cluster.id, description: 'EMR cluster id (j-...)' },
    master_public_dns: { value: cluster.masterPublicDns, description: 'Public DNS name of the master node' },
    ssh_tunnel_command: {
      value: sshTunnelCommand({ privateKeyPath: privateKeyPathFor(config.publicKeyPath), masterDns: cluster.masterPublicDns, jupyterHub: config.jupyterHub }),
      description: 'SSH tunnel to YARN (8088), Spark history (18080) and JupyterHub (9443) on localhost',
    },
  };
}

/** `compute: "transient"`: what `fruits run emr` needs to create the run's cluster (RunJobFlow), read from the outputs file. */
export function transientOutputs(spec: ClusterSpec, projectTag: string): Record<string, { value: string; description: string }> {
  const scaling = apiManagedScalingPolicy(spec.capacity);
  const action = { Name: spec.bootstrapAction.name, ScriptBootstrapAction: { Path: spec.bootstrapAction.path, Args: spec.bootstrapAction.args } };
  return {
    cluster_name: { value: spec.name, description: 'Name of the clusters runs create (+ -<run id>)' },
    project_tag: { value: projectTag, description: `${PROJECT_TAG_KEY} tag of the run clusters (the node role describes only those)` },
    release_label: { value: spec.releaseLabel, description: 'EMR release of the run clusters' },
    applications_json: { value: JSON.stringify(spec.applications), description: 'EMR applications (JSON list)' },
    subnet_id: { value: spec.subnetId, description: 'Subnet of the run clusters' },
    master_security_group_id: { value: spec.masterSecurityGroup, description: 'EMR-managed master security group' },
    core_security_group_id: { value: spec.coreSecurityGroup, description: 'EMR-managed core/task security group' },
    ssh_security_group_id: { value: spec.sshSecurityGroup, description: 'Additional master group: SSH from operatorCidr' },
    service_role_arn: { value: spec.serviceRole, description: 'EMR service role (RunJobFlow passes it: iam:PassRole)' },
    instance_profile_arn: { value: spec.instanceProfile, description: 'Node instance profile (RunJobFlow passes its role: iam:PassRole)' },
    key_name: { value: spec.keyName, description: 'EC2 key pair of the master' },
    security_configuration: { value: spec.securityConfiguration, description: 'EMR security configuration name' },
    bootstrap_action_json: { value: JSON.stringify(action), description: 'The bootstrap action (RunJobFlow shape)' },
    configurations_json: { value: spec.configurationsJson, description: 'Configuration classifications (RunJobFlow shape)' },
    instance_fleets_json: { value: JSON.stringify(apiInstanceFleets(spec.capacity)), description: 'Instance fleets (RunJobFlow shape)' },
    ...(scaling ? { managed_scaling_policy_json: { value: JSON.stringify(scaling), description: 'Managed scaling policy (RunJobFlow shape)' } } : {}),
    idle_timeout_seconds: { value: String(spec.idleTimeoutSeconds), description: 'Auto-termination backstop of the run clusters' },
    ebs_root_volume_size: { value: String(spec.ebsRootVolumeSize), description: 'Root volume size of the run clusters (GiB)' },
  };
}
