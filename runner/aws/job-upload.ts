// What every EMR compute mode does before it starts anything: settle the run's S3 locations (flags,
// else the stack outputs) and upload the job (run_job.py and the package zip) to the run's code prefix.
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunnerConfig } from '../../config/index.js';
import { usageError } from '../../config/errors.js';
import { codeLocation, type CodeLocation } from '../argv/emr-step.js';
import { locateJob, writeJobZip, type JobFiles } from '../packaging/package-job.js';
import type { Output } from '../platform/output.js';
import { putFile } from './emr-settings.js';
import { isS3Uri } from './s3-uri.js';
import { DEPLOY_HINT, type StackOutputs } from './stack-outputs.js';

export interface RunLocations {
  input: string;
  output: string;
  job: JobFiles;
  code: CodeLocation;
}

/** The run's input, output and code location: s3:// URIs from the flags or the stack outputs, or a one-line usage error. */
export function runLocations(req: { input?: string; output?: string; runId: string }, cfg: RunnerConfig, outputs: StackOutputs): RunLocations {
  const input = req.input ?? outputs.inputUri;
  const output = req.output ?? outputs.resultsUri;
  if (!input || !isS3Uri(input)) throw usageError(`--input must be an s3:// URI for emr (got ${input ?? 'nothing'})`, `pass --input or ${DEPLOY_HINT}`);
  if (!output || !isS3Uri(output)) throw usageError(`--output must be an s3:// URI for emr (got ${output ?? 'nothing'})`, `pass --output or ${DEPLOY_HINT}`);
  const codeUri = cfg.emr.codeUri ?? outputs.codeUri;
  if (!codeUri) throw usageError('no code location', `set emr.codeUri or ${DEPLOY_HINT}`);
  return { input, output, job: locateJob(cfg.jobDir), code: codeLocation(codeUri, req.runId) };
}

/** Zips the job and uploads it with run_job.py to the run's code prefix. */
export async function uploadJob(s3: S3Client, jobDir: string, at: Pick<RunLocations, 'job' | 'code'>, out: Pick<Output, 'info'>): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'fruits-job-'));
  try {
    const zip = join(tmp, 'fruits_job.zip');
    await writeJobZip(jobDir, zip);
    out.info(`fruits: uploading the job to ${at.code.prefix}`);
    await putFile(s3, at.code.runJobUri, at.job.runJob);
    await putFile(s3, at.code.zipUri, zip);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
