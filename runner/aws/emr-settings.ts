// The EMR cluster the runner talks to (cluster id and region from flags, config or the stack
// outputs), its SDK clients, and the small S3/EMR calls the EMR target and commands share.
import { DescribeClusterCommand, type Cluster, type EMRClient } from '@aws-sdk/client-emr';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { parseS3Uri } from './s3-uri.js';
import { CLUSTER_ID } from '../argv/emr-step.js';
import { makeAwsClients, type AwsClients } from './clients.js';
import { envError, usageError } from '../../config/errors.js';
import { fromAwsError, isNotFoundKey } from './errors.js';
import { DEPLOY_HINT, outputsLack, readStackOutputs, regionOf, requireRegion, type StackOutputs } from './stack-outputs.js';
import type { RunnerConfig } from '../../config/index.js';

export interface EmrSettings {
  clusterId: string;
  region?: string;
  outputs: StackOutputs;
}

/** Cluster id and region: flag/env/config first, then the stack outputs. */
export function resolveEmrSettings(cfg: RunnerConfig, outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack)): EmrSettings {
  const clusterId = cfg.emr.clusterId ?? outputs.clusterId;
  if (!clusterId) {
    throw usageError(`no EMR cluster id: ${outputsLack(cfg.emr.outputsFile, 'cluster_id')}; ${DEPLOY_HINT}, or pass --cluster-id / FRUITS_CLUSTER_ID`);
  }
  if (!CLUSTER_ID.test(clusterId)) throw usageError(`"${clusterId}" is not an EMR cluster id (j-XXXXXXXX)`, 'fix --cluster-id');
  return { clusterId, region: regionOf(cfg, outputs), outputs };
}

export function clientsFor(cfg: RunnerConfig, s: EmrSettings): AwsClients {
  return makeAwsClients({ region: requireRegion(s.region), endpoint: cfg.emr.endpoint });
}

/** The cluster states that take steps (or will: it is booting). */
export const USABLE_CLUSTER_STATES: ReadonlySet<string> = new Set(['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING']);

/** DescribeCluster + a clear error when the cluster is gone or going. */
export async function checkCluster(emr: EMRClient, clusterId: string): Promise<Cluster> {
  let cluster: Cluster | undefined;
  try {
    cluster = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster;
  } catch (e) {
    throw fromAwsError(e, `DescribeCluster ${clusterId}`);
  }
  const state = cluster?.Status?.State ?? 'UNKNOWN';
  if (!USABLE_CLUSTER_STATES.has(state)) {
    const why = cluster?.Status?.StateChangeReason?.Message;
    throw envError(`cluster ${clusterId} is ${state}${why ? ` (${why})` : ''}`, `${DEPLOY_HINT} to get a running cluster, or pass --cluster-id`);
  }
  return cluster!;
}

export async function putFile(s3: S3Client, uri: string, file: string): Promise<void> {
  const { bucket, key } = parseS3Uri(uri);
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
  } catch (e) {
    throw fromAwsError(e, `uploading ${uri}`);
  }
}

export async function readJsonFromS3(s3: S3Client, uri: string): Promise<unknown | undefined> {
  const { bucket, key } = parseS3Uri(uri);
  let text: string;
  try {
    const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = await r.Body!.transformToString();
  } catch (e) {
    if (isNotFoundKey(e)) return undefined;
    throw fromAwsError(e, `reading ${uri}`);
  }
  return JSON.parse(text); // SyntaxError for a half-written file: the caller decides
}
