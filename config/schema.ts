// The whole of fruits.config.json in one schema: the stacks' fields at the top level and
// the runner's sections (jobDir, job, local, vm, emr, tunnel, upload). Type, default,
// environment variable and documentation of every field stand here; the loader
// (loader.ts), fruits.config.schema.json and README's table are derived from it.
import { z } from 'zod';
import { bool, int, keyPath, localPath, num, oneOf, remotePath, sparkConf, str, strList } from './fields.js';
import {
  bucketNameProblem,
  COMPUTE_MODE_NAMES,
  COMPUTE_MODES,
  imageTagProblem,
  instanceTypesProblem,
  MAX_FLEET_TYPES,
  DEFAULT_RELEASE_LABEL,
  instanceTypeProblem,
  KNOWN_EMR_7_RELEASES,
  namePrefixProblem,
  publicKeyPathProblem,
  regionProblem,
  s3UriProblem,
} from './rules.js';
import { configKey, configOptions, defaultJobContract, type JobContract, type JobOptionSpec } from './job-contract.js';

/**
 * The job owns its options' types and ranges (jobs/fruits_job/contract.json): the `job` section has
 * one field per contract option with a `runner.config` entry, typed and bounded by the contract, so
 * the schema, its JSON Schema and README's table cannot drift from the job, and a new option needs
 * no line here. (A custom jobDir's contract is checked again before each run: targets/run-request.ts.)
 */
function jobField(name: string, s: JobOptionSpec, description: string) {
  const d = `${description} (the job's --${name})`;
  if (s.type === 'flag') return bool({ description: d });
  if (s.type === 'integer' || s.type === 'number') {
    if (s.min === undefined || s.max === undefined) throw new Error(`the job's contract gives --${name} no min and max; a config default needs both`);
    return s.type === 'integer'
      ? int({ min: s.min, max: s.max, description: d })
      : num({ min: s.min, max: s.max, ...(s.min_exclusive ? { minExclusive: true } : {}), description: d });
  }
  const pattern = s.pattern === undefined ? undefined : new RegExp(`^(?:${s.pattern})$`);
  const choices = s.choices;
  return str({
    description: d,
    ...(pattern || choices
      ? {
          rule: (v: string) =>
            choices && !choices.includes(v)
              ? { problem: `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}` }
              : pattern && !pattern.test(v)
                ? { problem: `must be ${s.pattern_text ?? `like ${s.pattern}`}, got ${JSON.stringify(v)}` }
                : undefined,
        }
      : {}),
  });
}

/** fruits.config.json's job section: the job options' defaults, by config key (see configKey). */
export type JobDefaults = Record<string, string | number | boolean | undefined>;

export function jobSection(c: JobContract) {
  const shape = Object.fromEntries(configOptions(c).map(([name, s]) => [configKey(name), jobField(name, s, s.runner.config!)]));
  return section('default job options (flags win)', shape) as unknown as z.ZodType<JobDefaults>;
}


const instanceType = (description: string, env: string) =>
  str({ description, env, default: 'm5.xlarge', rule: instanceTypeProblem });

/** Fields the stacks (main.ts) read, at the top level of the file. */
export const stackShape = {
  region: str({ env: 'FRUITS_REGION', default: 'us-east-1', rule: regionProblem, description: 'AWS region of every resource (the runner also uses FRUITS_REGION as emr.region)' }),
  namePrefix: str({
    env: 'FRUITS_NAME_PREFIX',
    default: 'fruits',
    rule: namePrefixProblem,
    description: 'prefix of all names (2-20 chars a-z0-9-); use another prefix for a second environment in the same account (its state is kept apart, see "Shared state")',
  }),
  operatorCidr: str({
    env: 'FRUITS_OPERATOR_CIDR',
    defaultDoc: '**required for `fruits-emr`**',
    description:
      'IPv4 CIDR allowed to SSH to the master, e.g. `$(curl -s https://checkip.amazonaws.com)/32`; a prefix shorter than /16 (e.g. `10.0.0.0/8`, `0.0.0.0/0`) is refused unless `allowOpenSsh` is true',
  }),
  publicKeyPath: keyPath({
    env: 'FRUITS_PUBLIC_KEY_PATH',
    defaultDoc: '**required for `fruits-emr`**',
    rule: publicKeyPathProblem,
    description:
      'your OpenSSH **public** key (`.pub`, ed25519 or RSA), e.g. `~/.ssh/id_ed25519.pub`; relative paths are relative to the config file (env: to the current directory)',
  }),
  masterInstanceType: instanceType(
    'x86_64, non-burstable types only: `t2`/`t3`/`t4g` (CPU credits, mostly not offered by EMR), `a1` and every Graviton type (`m6g`, `c7gn`, ...; the pinned tensorflow-cpu has no arm64 wheels) are refused',
    'FRUITS_MASTER_INSTANCE_TYPE',
  ),
  coreInstanceType: instanceType('idem; also sets the executor memory defaults (see "YARN memory")', 'FRUITS_CORE_INSTANCE_TYPE'),
  coreInstanceCount: int({ env: 'FRUITS_CORE_INSTANCE_COUNT', default: 2, min: 1, max: 50, description: 'number of core nodes' }),
  releaseLabel: str({
    env: 'FRUITS_RELEASE_LABEL',
    default: DEFAULT_RELEASE_LABEL,
    description: `an EMR 7 release this project knows (\`${KNOWN_EMR_7_RELEASES[0]}\` ... \`${KNOWN_EMR_7_RELEASES.at(-1)}\`, \`KNOWN_EMR_7_RELEASES\` in \`config/rules.ts\`)`,
  }),
  allowUnknownReleaseLabel: bool({
    env: 'FRUITS_ALLOW_UNKNOWN_RELEASE_LABEL',
    default: false,
    description: 'explicit override: accept a newer `emr-7.x.y` not in that list (never another major version)',
  }),
  idleTimeoutMinutes: int({
    env: 'FRUITS_IDLE_TIMEOUT_MINUTES',
    defaultDoc: '`20`; `60` with `jupyterHub`',
    min: 1,
    max: 7 * 24 * 60,
    description:
      "auto-termination when idle (EMR's maximum is 7 days); 20 minutes bounds a forgotten cluster's cost, JupyterHub keeps 60 because someone reading a notebook runs no Spark job and would count as idle",
  }),
  compute: oneOf(COMPUTE_MODE_NAMES, {
    env: 'FRUITS_COMPUTE',
    default: 'cluster',
    description: COMPUTE_MODES.map((m) => `\`${m.name}\`: ${m.description}`).join('; '),
  }),
  jupyterHub: bool({ env: 'FRUITS_JUPYTERHUB', default: false, description: 'install JupyterHub + Livy, notebooks persisted to `s3://<artifacts>/jupyter/`' }),
  allowOpenSsh: bool({ env: 'FRUITS_ALLOW_OPEN_SSH', default: false, description: 'explicit override: lets `operatorCidr` be wider than /16, up to `0.0.0.0/0`' }),
  logRetentionDays: int({ env: 'FRUITS_LOG_RETENTION_DAYS', default: 30, min: 1, max: 3650, description: 'expiry of EMR logs, S3 access logs and flow logs, in days' }),
  forceDestroyBuckets: bool({ env: 'FRUITS_FORCE_DESTROY_BUCKETS', default: false, description: 'let `destroy` delete non-empty buckets (data is lost!)' }),
  stateBucket: str({ env: 'FRUITS_STATE_BUCKET', rule: bucketNameProblem, description: 'keep `fruits-emr` state in this S3 bucket (see "Shared state")' }),
  stateRegion: str({ env: 'FRUITS_STATE_REGION', defaultDoc: '`region`', rule: regionProblem, description: 'region of the state bucket' }),
};

function fleetTypes(description: string, env: string, def: string[]): ReturnType<typeof strList<{ description: string; env: string; default: string[]; max: number }>>;
function fleetTypes(description: string, env: string, def: undefined, defaultDoc: string): ReturnType<typeof strList<{ description: string; env: string; defaultDoc: string; max: number }>>;
function fleetTypes(description: string, env: string, def: string[] | undefined, defaultDoc?: string) {
  return strList({ description, env, max: MAX_FLEET_TYPES.withStrategy, rule: instanceTypesProblem, ...(def ? { default: def } : { defaultDoc: defaultDoc! }) });
}

/** Shared by both EMR modes: the cluster's instance fleets (see "Capacity" in README). */
export const capacityShape = {
  masterTypes: fleetTypes(
    'interchangeable x86_64 types of the master fleet (one on-demand instance), e.g. `["m5.xlarge","m5a.xlarge","m6i.xlarge"]`; same type rules as `masterInstanceType` (set one of the two)',
    'FRUITS_CAPACITY_MASTER_TYPES',
    undefined,
    '`[masterInstanceType]`',
  ),
  coreTypes: fleetTypes(
    'interchangeable x86_64 types of the core fleet (`coreInstanceCount` on-demand instances, never scaled); set this or `coreInstanceType`; executor memory is sized for the smallest',
    'FRUITS_CAPACITY_CORE_TYPES',
    undefined,
    '`[coreInstanceType]`',
  ),
  taskTypes: fleetTypes('interchangeable x86_64 types of the Spot task fleet', 'FRUITS_CAPACITY_TASK_TYPES', ['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge']),
  taskSpotUnits: int({
    env: 'FRUITS_CAPACITY_TASK_SPOT_UNITS',
    default: 0,
    min: 0,
    max: 100,
    description: 'Spot task instances (0: no task fleet); with Spot, YARN node labels keep the application master on on-demand nodes (EMR 7.2+)',
  }),
  spotTimeoutMinutes: int({
    default: 10,
    min: 5,
    max: 1440,
    description: 'if the Spot task capacity is not provisioned within this time, EMR launches it on-demand instead (SWITCH_TO_ON_DEMAND)',
  }),
  allocationStrategy: bool({
    default: true,
    description: 'the on-demand (master, core) fleets use `lowest-price` and take up to 30 types; without it EMR takes 5 per fleet. The Spot task fleet always uses `price-capacity-optimized`',
  }),
  maxTaskUnits: int({
    env: 'FRUITS_CAPACITY_MAX_TASK_UNITS',
    default: 0,
    min: 0,
    max: 200,
    description: 'EMR managed scaling of task capacity up to this many instances (0: off); core and on-demand maxima stay fixed',
  }),
};

/** compute "serverless": the EMR Serverless application (docs/serverless.md). */
export const serverlessShape = {
  maxVcpu: int({ env: 'FRUITS_SERVERLESS_MAX_VCPU', default: 16, min: 8, max: 4000, description: "the application's maximum capacity in vCPUs (all job runs together); a run takes 1 driver + executors of 4 vCPUs each, so at least 8" }),
  maxMemoryGb: int({ env: 'FRUITS_SERVERLESS_MAX_MEMORY_GB', default: 64, min: 32, max: 16000, description: "the application's maximum memory in GB; a run takes 1 driver + executors of 16 GB each, so at least 32" }),
  idleMinutes: int({ env: 'FRUITS_SERVERLESS_IDLE_MINUTES', default: 5, min: 1, max: 10080, description: 'auto-stop after this many idle minutes (the application auto-starts on the next job run)' }),
  preInitializedExecutors: int({
    default: 0,
    min: 0,
    max: 50,
    description: 'warm executors (plus one warm driver) kept while the application is started: runs start in seconds, but they are billed until auto-stop (0: none, cold start about 2 minutes)',
  }),
  imageTag: str({
    env: 'FRUITS_SERVERLESS_IMAGE_TAG',
    rule: imageTagProblem,
    description: 'tag of the job image in the stack\'s ECR repository, as printed by `npm run image -- push`; unset: EMR\'s default image (Python 3.9), which cannot run the job, so deploy, push, set this and deploy again',
  }),
};

const section = <S extends z.ZodRawShape>(description: string, shape: S) =>
  z.strictObject(shape).prefault({} as never).meta({ description });

const sshPort = (description: string, def: number, env?: string) =>
  int({ description, default: def, min: 1, max: 65535, ...(env ? { env } : {}) });

/** The runner's sections (runner/, the `fruits` CLI), with the job section of a contract. */
export const runnerShapeFor = (contract: JobContract) => ({
  jobDir: localPath({ env: 'FRUITS_JOB_DIR', default: 'jobs', defaultDoc: '`jobs` at the checkout root', description: 'folder holding run_job.py and the fruits_job/ package' }),
  job: jobSection(contract),
  local: section('`fruits run local` (spark-submit on this host)', {
    sparkSubmit: localPath({ env: 'FRUITS_SPARK_SUBMIT', description: 'spark-submit to use (default: $SPARK_HOME/bin, then beside local.python, then the pyspark install, then PATH)' }),
    python: localPath({ env: 'FRUITS_PYTHON', defaultDoc: '`.venv/bin/python`', description: 'the Python that runs the job locally' }),
    master: str({ default: 'local[*]', description: 'Spark master' }),
    sparkConf: sparkConf({ default: {}, description: 'extra Spark settings (--conf key=value)' }),
  }),
  vm: section('`fruits run vm` (a local Ubuntu VM over SSH)', {
    host: str({ env: 'FRUITS_VM_HOST', description: 'VM address (optional with `vmx`: VMware Tools reports it)' }),
    user: str({ env: 'FRUITS_VM_USER', default: 'ubuntu', description: 'SSH user on the VM' }),
    port: sshPort('SSH port of the VM', 22, 'FRUITS_VM_PORT'),
    key: localPath({ env: 'FRUITS_VM_KEY', description: 'SSH private key for the VM' }),
    knownHosts: localPath({ env: 'FRUITS_VM_KNOWN_HOSTS', description: 'known_hosts file to check the VM host key against' }),
    strictHostKeyChecking: oneOf(['yes', 'accept-new'], { default: 'yes', description: 'SSH StrictHostKeyChecking' }),
    keepCodeRuns: int({ default: 5, min: 1, max: 1000, description: '`code/<run-id>/` folders kept on the VM (the newest; older ones are removed after each run)' }),
    workDir: remotePath({ env: 'FRUITS_VM_WORKDIR', default: '~/fruits', description: "working folder on the VM (expanded by the VM's shell)" }),
    sparkSubmit: remotePath({ env: 'FRUITS_VM_SPARK_SUBMIT', default: '/opt/spark/bin/spark-submit', description: 'spark-submit on the VM (laid down by bootstrap/vm-setup.sh)' }),
    python: remotePath({ env: 'FRUITS_VM_PYTHON', default: '/opt/fruits/venv/bin/python', description: 'Python on the VM (laid down by bootstrap/vm-setup.sh)' }),
    master: str({ default: 'local[*]', description: 'Spark master on the VM' }),
    sparkConf: sparkConf({ default: {}, description: 'extra Spark settings on the VM' }),
    summaryDir: localPath({ default: 'fruits-runs', defaultRelativeTo: 'file', defaultDoc: '`fruits-runs` beside the config file (without one: in the current folder)', description: 'local folder that receives each VM run folder (`<run-id>/`: summary, metrics, report, features, models), synchronized back with rsync' }),
    connectTimeoutSeconds: int({ default: 10, min: 1, max: 600, description: 'SSH connect timeout' }),
    // VMware (runner/vm/): with vmx set, the runner starts the VM and asks VMware Tools for its address.
    vmx: localPath({ env: 'FRUITS_VM_VMX', description: 'the VM\'s `.vmx` file: `fruits run vm` starts the VM with vmrun if it is off and asks VMware Tools for its address (then `host` is optional); see docs/vm.md' }),
    vmrun: localPath({ env: 'FRUITS_VMRUN', defaultDoc: '`vmrun` on PATH, then the usual install paths', description: "VMware's vmrun" }),
    product: oneOf(['ws', 'player', 'fusion'], { env: 'FRUITS_VM_PRODUCT', defaultDoc: '`fusion` on macOS, else `ws`', description: 'vmrun -T: Workstation, Player (no snapshots) or Fusion' }),
    snapshot: str({ env: 'FRUITS_VM_SNAPSHOT', description: 'a clean snapshot to revert to before each run (vmrun revertToSnapshot)' }),
    afterRun: oneOf(['keep', 'stop', 'suspend'], { env: 'FRUITS_VM_AFTER_RUN', default: 'keep', description: 'what `run vm` does with a VM it manages (vmx set) once the run is over' }),
    startTimeoutSeconds: int({ env: 'FRUITS_VM_START_TIMEOUT_SECONDS', default: 300, min: 1, max: 3600, description: 'how long to wait for the VM to start and report an address, and for its sshd to answer' }),
  }),
  emr: section('`fruits run emr` and the EMR day-to-day commands', {
    clusterId: str({ env: 'FRUITS_CLUSTER_ID', description: 'EMR cluster id (default: from the stack outputs file)' }),
    region: str({ env: 'FRUITS_REGION', rule: regionProblem, description: "region of the cluster (default: the stack outputs', then the AWS SDK's)" }),
    outputsFile: localPath({ env: 'FRUITS_OUTPUTS_FILE', default: 'cdktf-outputs.json', defaultDoc: '`cdktf-outputs.json` at the checkout root', description: 'stack outputs (written by `npm run deploy`: cdktf deploy fruits-emr --outputs-file cdktf-outputs.json)' }),
    stack: str({ default: 'fruits-emr', description: 'stack name in the outputs file' }),
    codeUri: str({ rule: s3UriProblem, description: 'where the job code is uploaded (default: the code_uri output)' }),
    logUri: str({ rule: s3UriProblem, description: 'cluster log URI (default: the log_uri output)' }),
    deployMode: oneOf(['client', 'cluster'], { default: 'client', description: 'spark-submit --deploy-mode' }),
    actionOnFailure: oneOf(['CONTINUE', 'CANCEL_AND_WAIT', 'TERMINATE_CLUSTER'], { default: 'CONTINUE', description: 'EMR step ActionOnFailure' }),
    cancelOption: oneOf(['SEND_INTERRUPT', 'TERMINATE_PROCESS'], { default: 'SEND_INTERRUPT', description: 'how Ctrl-C cancels a running step' }),
    pollSeconds: int({ default: 15, min: 1, max: 3600, description: 'step status polling interval' }),
    timeoutMinutes: int({ default: 0, min: 0, max: 10080, description: 'give up waiting for a step after this long (0: never)' }),
    logWaitSeconds: int({ default: 300, min: 0, max: 3600, description: 'how long to wait for step logs to reach S3' }),
    endpoint: str({ env: 'FRUITS_AWS_ENDPOINT', description: 'a local S3/EMR endpoint such as moto' }),
    sparkConf: sparkConf({ default: {}, description: 'extra Spark settings for EMR steps' }),
  }),
  tunnel: section('`fruits tunnel` (SSH tunnel to the EMR master)', {
    key: localPath({ env: 'FRUITS_SSH_KEY', defaultDoc: '`publicKeyPath` without `.pub`', description: 'SSH private key for the EMR master' }),
    user: str({ default: 'hadoop', description: 'SSH user on the master' }),
    port: sshPort('local SOCKS port', 8157),
    masterDns: str({ description: 'master DNS name (default: from the stack outputs)' }),
  }),
  upload: section('`fruits upload`', {
    concurrency: int({ default: 8, min: 1, max: 64, description: 'parallel S3 uploads' }),
  }),
});

/** This checkout's runner sections (the job section from its contract). */
export const runnerShape = runnerShapeFor(defaultJobContract());

export const RUNNER_SECTIONS = Object.keys(runnerShape) as (keyof typeof runnerShape)[];

/** The stacks' objects of settings (instance fleets, the serverless application). */
const stackSections = {
  capacity: section('instance fleets of the EMR cluster (both compute modes)', capacityShape),
  serverless: section('the EMR Serverless application (compute `serverless`)', serverlessShape),
};

/** The whole file, as the loader validates it (after env, flags and coercion), for a job contract. */
export const configSchemaFor = (contract: JobContract) => z.strictObject({ ...stackShape, ...stackSections, ...runnerShapeFor(contract) });

/** The whole file with this checkout's job contract. */
export const configSchema = z.strictObject({ ...stackShape, ...stackSections, ...runnerShape });

export type ParsedConfig = z.output<typeof configSchema>;
