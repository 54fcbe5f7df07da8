// The driver's stderr/stdout of an EMR Serverless job run, from the logs bucket (the job run's
// monitoring settings): the same bounded wait as for EMR steps (step-logs.ts).
import type { S3Client } from '@aws-sdk/client-s3';
import { driverLogUris } from '../serverless/job-run.js';
import { fetchLogPair, type LogWait, type StepLogs } from './step-logs.js';

export async function driverLogText(s3: S3Client, o: LogWait & { logUri: string; applicationId: string; jobRunId: string }): Promise<StepLogs> {
  return fetchLogPair(s3, driverLogUris(o.logUri, o.applicationId, o.jobRunId), 'driver logs', o);
}
