// Pure builders for an EMR Serverless job run of the fruits job: the StartJobRun request (what
// --dry-run prints and the moto tests read back), and where the driver's logs land.
import type { StartJobRunRequest } from '@aws-sdk/client-emr-serverless';
import { runName, type CodeLocation } from '../argv/emr-step.js';
import { joinS3 } from '../aws/s3-uri.js';
import { SERVERLESS_WORKER } from '../../stacks/serverless.js';
import { VENV_PYTHON } from '../../stacks/names.js';

/** The converted featurizer that serverless runs use unless --weights / job.weights say otherwise. */
export const SERVERLESS_DEFAULT_WEIGHTS_FILE = 'mobilenet_v2_featurizer.onnx';

/** Job-run states that end a run (GetJobRun's jobRun.state). */
export const FINAL_JOB_RUN_STATES = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

/**
 * Spark settings every run gets: the image's Python for driver and executors, and worker sizes
 * that fill one EMR Serverless worker (SERVERLESS_WORKER) exactly: heap + overhead = its memory.
 * The overhead holds the Python workers (ONNX Runtime), one per core.
 */
export function serverlessSparkConf(zipUri: string): Record<string, string> {
  const heapGb = SERVERLESS_WORKER.memoryGb - 4;
  const cores = String(SERVERLESS_WORKER.vcpu);
  return {
    'spark.submit.pyFiles': zipUri,
    'spark.emr-serverless.driverEnv.PYSPARK_PYTHON': VENV_PYTHON,
    'spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON': VENV_PYTHON,
    'spark.executorEnv.PYSPARK_PYTHON': VENV_PYTHON,
    'spark.driver.cores': cores,
    'spark.driver.memory': `${heapGb}g`,
    'spark.driver.memoryOverhead': '4g',
    'spark.executor.cores': cores,
    'spark.executor.memory': `${heapGb}g`,
    'spark.executor.memoryOverhead': '4g',
  };
}

/** "--conf k=v --conf ..." as StartJobRun's sparkSubmitParameters wants it (values without spaces). */
export function sparkSubmitParameters(conf: Record<string, string>): string {
  return Object.entries(conf)
    .map(([k, v]) => {
      if (/\s/.test(k) || /\s/.test(v)) throw new Error(`Spark setting ${k}=${v} contains whitespace, which sparkSubmitParameters cannot carry`);
      return `--conf ${k}=${v}`;
    })
    .join(' ');
}

export interface JobRunSpec {
  applicationId: string;
  executionRoleArn: string;
  runId: string;
  code: CodeLocation;
  jobArgs: string[];
  /** Extra Spark settings (config emr.sparkConf and --conf): they win over the defaults. */
  conf: Record<string, string>;
  logUri: string;
  timeoutMinutes: number;
}

/** StartJobRun's request. The run id is the client token: a retried start returns the same job run. */
export function buildStartJobRun(s: JobRunSpec): StartJobRunRequest {
  return {
    applicationId: s.applicationId,
    clientToken: s.runId,
    name: runName(s.runId),
    executionRoleArn: s.executionRoleArn,
    jobDriver: {
      sparkSubmit: {
        entryPoint: s.code.runJobUri,
        entryPointArguments: s.jobArgs,
        sparkSubmitParameters: sparkSubmitParameters({ ...serverlessSparkConf(s.code.zipUri), ...s.conf }),
      },
    },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: s.logUri } } },
    tags: { 'fruits-run-id': s.runId },
    ...(s.timeoutMinutes > 0 ? { executionTimeoutMinutes: s.timeoutMinutes } : {}),
  };
}

/** Where EMR Serverless writes a job run's driver logs: <logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/. */
export function driverLogUris(logUri: string, applicationId: string, jobRunId: string) {
  const dir = joinS3(logUri, 'applications', applicationId, 'jobs', jobRunId, 'SPARK_DRIVER/');
  return { dir, stderr: joinS3(dir, 'stderr.gz'), stdout: joinS3(dir, 'stdout.gz') };
}
