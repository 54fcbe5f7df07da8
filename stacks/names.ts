// Names shared by the stacks, the bootstrap action and the job runner: S3 prefixes
// inside the three buckets, and where the bootstrap puts the job's Python.

/** Key prefixes (with trailing slash) inside each bucket. */
export const PREFIXES = {
  /** data bucket: input photos, <Split>/<Label>/<image>.jpg */
  images: 'images/',
  /** data bucket: job output, <run-id>/features + summary.json */
  results: 'results/',
  /** artifacts bucket: job code uploaded by the runner */
  code: 'code/',
  /** artifacts bucket: bootstrap scripts + requirements.txt uploaded by the stack */
  bootstrap: 'bootstrap/',
  /** artifacts bucket: weights files for --weights s3://<artifacts-bucket>/models/<file>.h5 */
  models: 'models/',
  /** artifacts bucket: JupyterHub notebooks (the jupyter-s3-conf classification writes under jupyter/) */
  notebooks: 'jupyter/',
  /** logs bucket: the cluster's log_uri */
  emrLogs: 'emr-logs/',
  /** logs bucket: S3 server access logs of the data and artifacts buckets */
  s3AccessLogs: 's3-access-logs/',
  /** logs bucket: VPC flow logs (AWS appends AWSLogs/<account>/vpcflowlogs/...) */
  vpcFlowLogs: 'vpc-flow-logs/',
} as const;

/** Virtualenv the bootstrap action creates on every node; PySpark is pointed at it. */
export const VENV_PATH = '/opt/fruits-venv';
export const VENV_PYTHON = `${VENV_PATH}/bin/python`;

/** Provider default tag whose value is config.namePrefix; the node role may only describe clusters carrying it. */
export const PROJECT_TAG_KEY = 'Project';

/** The tag AmazonEMRServicePolicy_v2 requires on every resource EMR touches. */
export const EMR_MANAGED_POLICY_TAG = { 'for-use-with-amazon-emr-managed-policies': 'true' } as const;

/** Stack ids (the job runner reads the fruits-emr outputs). */
export const EMR_STACK_ID = 'fruits-emr';
export const STATE_STACK_ID = 'fruits-state';

/**
 * Key of the fruits-emr state object inside the state bucket. One bucket serves every
 * environment (namePrefix) and region, so both are part of the key: a second environment
 * must never read, plan against or overwrite the first one's state.
 */
export function stateKey(namePrefix: string, region: string): string {
  return `${EMR_STACK_ID}/${namePrefix}/${region}/terraform.tfstate`;
}

/**
 * Local state file (repository root) of a stack when no state bucket is set: one per
 * stack, environment and region, for the same reason as stateKey().
 */
export function localStatePath(stackId: string, namePrefix: string, region: string): string {
  return `terraform.${stackId}.${namePrefix}.${region}.tfstate`;
}

/** Local ports of the SSH tunnel printed in the ssh_tunnel_command output. */
export const TUNNEL_PORTS = { yarn: 8088, sparkHistory: 18080, jupyterHub: 9443 } as const;
