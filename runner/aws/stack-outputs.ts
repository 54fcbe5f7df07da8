// Reads the outputs file `npm run deploy` writes (cdktf deploy fruits-emr --outputs-file cdktf-outputs.json).
// cdktf may write output ids as snake_case or camelCase: accept both.
import { readFileSync, existsSync } from 'node:fs';
import { usageError } from '../../config/errors.js';
import { setByUser, type RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';

export interface StackOutputs {
  region?: string;
  clusterId?: string;
  masterPublicDns?: string;
  inputUri?: string;
  resultsUri?: string;
  logUri?: string;
  codeUri?: string;
  notebooksUri?: string;
  sshTunnelCommand?: string;
  dataBucket?: string;
  logsBucket?: string;
  artifactsBucket?: string;
  weightsUri?: string;
  /** compute "serverless" (stacks/serverless.ts) */
  serverlessApplicationId?: string;
  serverlessJobRoleArn?: string;
  serverlessLogUri?: string;
  ecrRepositoryUrl?: string;
  /** "cluster" | "transient" (absent: a stack from before the setting, i.e. cluster). */
  compute?: string;
  /** compute "transient": what RunJobFlow needs (runner/argv/emr-run-job-flow.ts). */
  transient?: Partial<Record<TransientOutput, string>>;
}

/** Outputs of a `compute: "transient"` stack (stacks/emr-stack.ts transientOutputs). */
export const TRANSIENT_OUTPUTS = [
  'project_tag', 'cluster_name', 'release_label', 'applications_json', 'subnet_id', 'master_security_group_id', 'core_security_group_id',
  'ssh_security_group_id', 'service_role_arn', 'instance_profile_arn', 'key_name', 'security_configuration', 'bootstrap_action_json',
  'configurations_json', 'instance_fleets_json', 'managed_scaling_policy_json', 'idle_timeout_seconds', 'ebs_root_volume_size',
] as const;
export type TransientOutput = (typeof TRANSIENT_OUTPUTS)[number];

const KEYS: (keyof StackOutputs)[] = [
  'region', 'clusterId', 'masterPublicDns', 'inputUri', 'resultsUri', 'logUri', 'codeUri',
  'notebooksUri', 'sshTunnelCommand', 'dataBucket', 'logsBucket', 'artifactsBucket', 'compute',
  'weightsUri', 'serverlessApplicationId', 'serverlessJobRoleArn', 'serverlessLogUri', 'ecrRepositoryUrl',
];

/** cluster_id / cluster-id / clusterId / ClusterId -> clusterid (comparison key). */
const norm = (k: string) => k.replace(/[_-]/g, '').toLowerCase();

/** Pure: picks the stack's outputs out of the parsed file. */
export function parseStackOutputs(json: unknown, stack = 'fruits-emr'): StackOutputs {
  if (typeof json !== 'object' || json === null) return {};
  const root = json as Record<string, unknown>;
  const candidates = [stack, ...Object.keys(root).filter((k) => norm(k) === norm(stack))];
  const found = candidates.map((k) => root[k]).find((v) => typeof v === 'object' && v !== null);
  const section = (found ?? {}) as Record<string, unknown>;
  const out: StackOutputs = {};
  for (const [k, v] of Object.entries(section)) {
    const key = KEYS.find((want) => norm(want) === norm(k));
    // cdktf may also nest {value: ...} when outputs are sensitive/complex.
    const value = typeof v === 'object' && v !== null && 'value' in v ? (v as { value: unknown }).value : v;
    if (typeof value !== 'string' || value === '') continue;
    if (key && key !== 'transient') out[key] = value;
    const t = TRANSIENT_OUTPUTS.find((want) => norm(want) === norm(k));
    if (t) (out.transient ??= {})[t] = value;
  }
  return out;
}

/** Side effect: reads the outputs file; a missing file yields {} (callers say what is missing). */
export function readStackOutputs(file: string, stack = 'fruits-emr'): StackOutputs {
  if (!existsSync(file)) return {};
  try {
    return parseStackOutputs(JSON.parse(readFileSync(file, 'utf8')), stack);
  } catch (e) {
    throw usageError(`cannot parse stack outputs ${file}: ${(e as Error).message.split('\n')[0]}`, 'redeploy with --outputs-file', { cause: e });
  }
}

/** The region of the EMR commands: emr.region (flag, env, config), else the stack outputs', else the SDK's environment. */
export function regionOf(cfg: Pick<RunnerConfig, 'emr'>, outputs: Pick<StackOutputs, 'region'>): string | undefined {
  return cfg.emr.region ?? outputs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
}

/** The region, or the one-line usage error that says where to set one. */
export function requireRegion(region: string | undefined): string {
  if (!region) throw usageError('no AWS region', `set emr.region, AWS_REGION, or ${DEPLOY_HINT}`);
  return region;
}

/** "<file> not found" when there is no outputs file (nothing deployed, or another path), else "<file> has no <what>". */
export function outputsLack(file: string, what: string): string {
  return existsSync(file) ? `${file} has no ${what}` : `${file} not found`;
}

export const DEPLOY_HINT = 'run `npm run deploy` (cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)';

/**
 * The compute mode of this config (targets/emr-compute.ts): what the stack was deployed with (its `compute` output), else the
 * config's `compute` (before a deploy, or an outputs file from before compute modes: cluster).
 * A config that names another mode than the deployed one gets one warning line: the deployed one runs.
 */
export function computeModeOf(cfg: Pick<RunnerConfig, 'emr'> & { compute?: string }, out?: Pick<Output, 'info'>, outputs?: StackOutputs): string {
  const deployed = (outputs ?? readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack)).compute;
  const configured = cfg.compute;
  // Only a mode the user chose can disagree: the loader fills in the default ("cluster") otherwise.
  if (deployed && configured && deployed !== configured && (configured !== 'cluster' || setByUser(cfg, 'compute'))) {
    out?.info(`fruits: warning: the config says compute "${configured}" but ${cfg.emr.outputsFile} is from a "${deployed}" deploy; using "${deployed}" (deploy again to switch)`);
  }
  return deployed ?? configured ?? 'cluster';
}
