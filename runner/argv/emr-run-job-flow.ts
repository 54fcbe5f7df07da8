// Pure builders for `compute: "transient"`: the RunJobFlow request that creates a cluster for
// one run (the stack's settings from its outputs, the job as the only step after the JupyterHub
// password lock when JupyterHub is on), and the tags a retried run finds it by.
import type { RunJobFlowCommandInput, StepConfig } from '@aws-sdk/client-emr';
import { TRANSIENT_OUTPUTS, type StackOutputs, type TransientOutput } from '../aws/stack-outputs.js';
import { usageError } from '../../config/errors.js';
import { LOCK_JUPYTERHUB_PASSWORD_SCRIPT } from '../../stacks/jupyterhub-lock.js';

/** Tag holding the run id: a retried `fruits run emr --run-id X` finds X's cluster by it. */
export const RUN_ID_TAG = 'fruits-run-id';
/** AmazonEMRServicePolicy_v2 acts only on resources carrying this tag (stacks/names.ts). */
const EMR_MANAGED_POLICY_TAG = { Key: 'for-use-with-amazon-emr-managed-policies', Value: 'true' };
/** The node role may describe only clusters with Project=<namePrefix> (stacks/emr-roles.ts). */
const PROJECT_TAG_KEY = 'Project';

/** Outputs a run cannot do without (the scaling policy is optional). */
const REQUIRED: TransientOutput[] = TRANSIENT_OUTPUTS.filter((k) => k !== 'managed_scaling_policy_json');

export type TransientSpec = Record<Exclude<TransientOutput, 'managed_scaling_policy_json'>, string> & { managed_scaling_policy_json?: string; log_uri?: string };

/** The transient outputs, or one line naming what is missing and how to get it. */
export function transientSpec(outputs: StackOutputs, outputsFile: string): TransientSpec {
  const t = outputs.transient ?? {};
  const missing = REQUIRED.filter((k) => !t[k]);
  if (missing.length) {
    throw usageError(
      `${outputsFile} is from a compute "transient" stack but lacks ${missing.join(', ')}`,
      'redeploy: npm run deploy',
    );
  }
  return { ...(t as TransientSpec), ...(outputs.logUri ? { log_uri: outputs.logUri } : {}) };
}

/** One cluster per run: its name says which. EMR names allow 256 characters. */
export const transientClusterName = (spec: TransientSpec, runId: string) => `${spec.cluster_name}-${runId}`.slice(0, 256);

function parseJson<T>(spec: TransientSpec, key: TransientOutput): T {
  try {
    return JSON.parse(spec[key as keyof TransientSpec]!) as T;
  } catch (e) {
    throw usageError(`the stack output ${key} is not JSON`, 'redeploy: npm run deploy', { cause: e });
  }
}

/**
 * RunJobFlow for one run: the stack's release, applications, roles, security configuration,
 * bootstrap action, configurations, network and fleets; the job as its only step; the cluster
 * ends after the step (KeepJobFlowAliveWhenNoSteps false), with the idle auto-termination as a
 * backstop should it ever stay up.
 */
/** The stack's lock of JupyterHub's default password (stacks/jupyterhub-lock.ts), as a RunJobFlow step. */
export const JUPYTERHUB_LOCK_STEP: StepConfig = {
  Name: 'lock-jupyterhub-default-password',
  ActionOnFailure: 'TERMINATE_CLUSTER',
  HadoopJarStep: { Jar: 'command-runner.jar', Args: ['bash', '-c', LOCK_JUPYTERHUB_PASSWORD_SCRIPT] },
};

export function buildRunJobFlowRequest(spec: TransientSpec, step: StepConfig, runId: string): RunJobFlowCommandInput {
  const name = transientClusterName(spec, runId);
  const applications = parseJson<string[]>(spec, 'applications_json');
  const scaling = spec.managed_scaling_policy_json ? parseJson<RunJobFlowCommandInput['ManagedScalingPolicy']>(spec, 'managed_scaling_policy_json') : undefined;
  return {
    Name: name,
    ReleaseLabel: spec.release_label,
    Applications: applications.map((Name) => ({ Name })),
    ServiceRole: spec.service_role_arn,
    JobFlowRole: spec.instance_profile_arn,
    SecurityConfiguration: spec.security_configuration,
    ...(spec.log_uri ? { LogUri: spec.log_uri } : {}),
    Instances: {
      Ec2SubnetIds: [spec.subnet_id],
      EmrManagedMasterSecurityGroup: spec.master_security_group_id,
      EmrManagedSlaveSecurityGroup: spec.core_security_group_id,
      AdditionalMasterSecurityGroups: [spec.ssh_security_group_id],
      Ec2KeyName: spec.key_name,
      InstanceFleets: parseJson(spec, 'instance_fleets_json'),
      KeepJobFlowAliveWhenNoSteps: false,
      TerminationProtected: false,
    },
    BootstrapActions: [parseJson(spec, 'bootstrap_action_json')],
    Configurations: parseJson(spec, 'configurations_json'),
    AutoTerminationPolicy: { IdleTimeout: Number(spec.idle_timeout_seconds) },
    EbsRootVolumeSize: Number(spec.ebs_root_volume_size),
    ...(scaling ? { ManagedScalingPolicy: scaling } : {}),
    VisibleToAllUsers: true,
    // With JupyterHub, the same password lock as the stack's cluster runs before the job (the run finds its step by name).
    Steps: applications.includes('JupyterHub') ? [JUPYTERHUB_LOCK_STEP, step] : [step],
    Tags: [
      { Key: 'Name', Value: name },
      { Key: PROJECT_TAG_KEY, Value: spec.project_tag },
      EMR_MANAGED_POLICY_TAG,
      { Key: RUN_ID_TAG, Value: runId },
    ],
  };
}
