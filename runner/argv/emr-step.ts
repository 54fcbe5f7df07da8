// Pure builders for the EMR step, its code location and its log location.
import { defaultJobContract } from '../../config/job-contract.js';
import type { ActionOnFailure, DeployMode } from '../../config/index.js';
import { buildSparkSubmitArgv } from './spark-submit.js';
import { joinS3 } from '../aws/s3-uri.js';

/** An EMR step id (s-XXXXXXXX) and an EMR cluster id (j-XXXXXXXX), as EMR prints them. */
export const STEP_ID = /^s-[A-Z0-9]+$/i;
export const CLUSTER_ID = /^j-[A-Z0-9]+$/i;

/** The name of a run's EMR step and of its EMR Serverless job run: cancel finds a run by it. */
export const runName = (runId: string): string => `fruits ${runId}`;

export interface CodeLocation {
  prefix: string;
  runJobUri: string;
  zipUri: string;
}

/** Each run gets its own code prefix so a new upload never changes a step that is still running. */
export function codeLocation(codeUri: string, runId: string): CodeLocation {
  const prefix = joinS3(codeUri, 'runs', runId + '/');
  return { prefix, runJobUri: joinS3(prefix, 'run_job.py'), zipUri: joinS3(prefix, 'fruits_job.zip') };
}

export interface EmrStepSpec {
  runId: string;
  code: CodeLocation;
  deployMode: DeployMode;
  actionOnFailure: ActionOnFailure;
  conf: Record<string, string>;
  jobArgs: string[];
}

/** The StepConfig for AddJobFlowSteps (JSON-serializable; printed by --dry-run). */
export function buildEmrStep(s: EmrStepSpec) {
  return {
    Name: runName(s.runId),
    ActionOnFailure: s.actionOnFailure,
    HadoopJarStep: {
      Jar: 'command-runner.jar',
      Args: buildSparkSubmitArgv({
        sparkSubmit: 'spark-submit',
        deployMode: s.deployMode,
        conf: s.conf,
        pyFiles: s.code.zipUri,
        script: s.code.runJobUri,
        jobArgs: s.jobArgs,
      }),
    },
  };
}

/** Where EMR pushes a step's logs: <log_uri>/<cluster>/steps/<step>/{stderr,stdout}.gz */
export function stepLogUris(logUri: string, clusterId: string, stepId: string) {
  const dir = joinS3(logUri.replace(/^s3[an]:\/\//, 's3://'), clusterId, 'steps', stepId + '/');
  return { dir, stderr: joinS3(dir, 'stderr.gz'), stdout: joinS3(dir, 'stdout.gz') };
}

export const summaryUri = (output: string, runId: string) => joinS3(output, runId, defaultJobContract().run_folder.files.summary!.path);

/** The run a step works on, from its spark-submit args (`--output X --run-id Y`); undefined for foreign steps. */
export function runFolderFromStepArgs(args: string[]): { output: string; runId: string } | undefined {
  const value = (flag: string) => {
    const i = args.lastIndexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const output = value('--output');
  const runId = value('--run-id');
  return output && runId && /^s3:\/\//.test(output) ? { output, runId } : undefined;
}
