// The fruits-emr stack: reads like the architecture diagram.
//   network -> IAM roles -> KMS key -> buckets -> node policy -> key pair
//   -> bootstrap files in S3 -> EMR cluster -> outputs (ids shared with the job runner)
import { join } from 'node:path';
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition/index.js';
import { KeyPair } from '@cdktf/provider-aws/lib/key-pair/index.js';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { BootstrapArtifacts } from './bootstrap-artifacts.js';
import { Cluster } from './cluster.js';
import { awsProvider, configureBackend } from './provider-backend.js';
import { type EmrConfig, privateKeyPathFor } from './config.js';
import { ProjectKey } from './project-key.js';
import { EmrRoles } from './emr-roles.js';
import { PREFIXES, TUNNEL_PORTS } from './names.js';
import { Network } from './network.js';
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
  readonly cluster: Cluster;
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
      instanceTypes: [config.masterInstanceType, config.coreInstanceType],
    });
    const roles = new EmrRoles(this, 'iam', base);
    const key = new ProjectKey(this, 'kms', {
      ...base,
      instanceRoleArn: roles.instanceRole.arn,
      serviceRoleArn: roles.serviceRole.arn,
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
    this.cluster = new Cluster(this, 'emr', {
      config,
      network,
      roles,
      storage: this.storage,
      kmsKeyArn: key.key.arn,
      keyPair,
      bootstrap,
    });

    const { data, artifacts, logs } = this.storage;
    const outputs: Record<string, { value: string; description: string }> = {
      region: { value: config.region, description: 'AWS region of the environment' },
      cluster_id: { value: this.cluster.cluster.id, description: 'EMR cluster id (j-...)' },
      master_public_dns: { value: this.cluster.cluster.masterPublicDns, description: 'Public DNS name of the master node' },
      input_uri: { value: s3Uri(data.name, PREFIXES.images), description: 'Upload input photos here' },
      results_uri: { value: s3Uri(data.name, PREFIXES.results), description: 'Job output root' },
      log_uri: { value: this.cluster.logUri, description: 'The cluster log_uri' },
      code_uri: { value: s3Uri(artifacts.name, PREFIXES.code), description: 'Where the runner uploads the job code' },
      weights_uri: { value: s3Uri(artifacts.name, PREFIXES.models), description: 'Upload weights files for --weights s3://... here' },
      notebooks_uri: { value: s3Uri(artifacts.name, PREFIXES.notebooks), description: 'JupyterHub notebooks (when enabled)' },
      ssh_tunnel_command: {
        value: sshTunnelCommand({
          privateKeyPath: privateKeyPathFor(config.publicKeyPath),
          masterDns: this.cluster.cluster.masterPublicDns,
          jupyterHub: config.jupyterHub,
        }),
        description: 'SSH tunnel to YARN (8088), Spark history (18080) and JupyterHub (9443) on localhost',
      },
      data_bucket: { value: data.name, description: 'Input images and results' },
      logs_bucket: { value: logs.name, description: 'EMR and S3 access logs (expire)' },
      artifacts_bucket: { value: artifacts.name, description: 'Job code, bootstrap files, model weights, notebooks' },
    };
    for (const [outputId, o] of Object.entries(outputs)) {
      new TerraformOutput(this, outputId, o);
    }
  }
}
