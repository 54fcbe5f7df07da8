// The compute modes under `fruits run emr`: what runs the job on AWS. The job, its options, its S3
// locations and the outputs file are the same in every mode; only the compute under them changes,
// so they are one target with one module per mode. The deployed stack's `compute` output picks the
// mode (fruits.config.json's `compute` until the first deploy). A new mode is one module exposing
// an EmrCompute plus one line in EMR_COMPUTE (and its part of the stack: docs/extending.md).
import type { ExitCodeValue } from '../../config/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { ComputeMode } from '../../config/rules.js';
import { computeModeOf, type StackOutputs } from '../aws/stack-outputs.js';
import type { AwsClients } from '../aws/clients.js';
import type { Check } from '../doctor/check.js';
import type { OpsContext, RunContext, RunOutcome, RunRequest } from './run-request.js';

export type { OpsContext };
export { computeModeOf };

export interface EmrDeps {
  clients?: AwsClients;
  outputs?: StackOutputs;
}

/** One compute mode: run the job, and the look-ups on a started run (an EMR step or a job run). */
export interface EmrCompute {
  run(req: RunRequest, ctx: RunContext, deps?: EmrDeps): Promise<RunOutcome>;
  /** One run (--follow: followed to its end), or the latest runs without a reference. */
  status(ref: string | undefined, c: OpsContext & { follow: boolean }): Promise<ExitCodeValue>;
  /** The driver's stdout and stderr of a run. */
  logs(ref: string | undefined, c: OpsContext & { waitSeconds: number }): Promise<ExitCodeValue>;
  /** A short-lived Spark UI link. */
  ui(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue>;
  /** Stops a started run (and, where the compute exists only for it, the compute). */
  cancel(ref: string | undefined, c: OpsContext): Promise<ExitCodeValue>;
  /** What `fruits doctor --target emr` checks for this mode (doctor/emr.ts does the checks every mode shares). */
  doctor: EmrComputeDoctor;
}

export interface EmrComputeDoctor {
  /** The stack outputs the mode needs besides region, input_uri, results_uri and code_uri. */
  outputs: readonly (keyof StackOutputs)[];
  /** Its own checks (the cluster, the application...), asked once AWS credentials resolve. */
  checks(c: EmrDoctorContext): Promise<Check[]>;
}

export interface EmrDoctorContext {
  cfg: RunnerConfig;
  outputs: StackOutputs;
  /** regionOf (aws/stack-outputs.ts): cfg.emr.region, else the outputs', else AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** EMR and S3 clients of that region, their credentials resolved. */
  clients: AwsClients;
  /** --offline: no AWS call. */
  offline: boolean;
}

export interface EmrComputeEntry {
  /** The value of `compute` in fruits.config.json and in the stack's outputs (config/rules.ts COMPUTE_MODES). */
  name: ComputeMode;
  load(): Promise<EmrCompute>;
}

/** Every compute mode (loaded on use: only the chosen mode's SDK clients load). */
export const EMR_COMPUTE: readonly EmrComputeEntry[] = [
  { name: 'cluster', load: async () => (await import('./emr-cluster.js')).clusterCompute },
  { name: 'transient', load: async () => (await import('./emr-transient.js')).transientCompute },
  { name: 'serverless', load: async () => (await import('./emr-serverless.js')).serverlessCompute },
];

/** The module of a mode (a mode no entry names: the deploy is newer than this runner). */
export async function loadCompute(mode: string): Promise<EmrCompute> {
  const entry = EMR_COMPUTE.find((m) => m.name === mode);
  if (!entry) {
    const { envError } = await import('../../config/errors.js');
    throw envError(`the stack's compute mode "${mode}" is unknown to this runner (it knows ${EMR_COMPUTE.map((m) => m.name).join(', ')})`, 'update this checkout to the version that deployed the stack');
  }
  return entry.load();
}
