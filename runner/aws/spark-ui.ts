// A presigned link to the cluster's Spark UI through EMR's persistent application UI
// (CreatePersistentAppUI + GetPersistentAppUIPresignedURL): no SSH tunnel, no FoxyProxy.
import {
  CreatePersistentAppUICommand, DescribeClusterCommand, GetPersistentAppUIPresignedURLCommand, type EMRClient,
} from '@aws-sdk/client-emr';
import type { Clock } from '../platform/clock.js';
import { authError, jobError } from '../../config/errors.js';
import { fromAwsError, isAccessDenied } from './errors.js';

/** What the operator's IAM identity needs for `fruits ui` (docs/runner.md "Spark UI"). */
export const SPARK_UI_ACTIONS = [
  'elasticmapreduce:CreatePersistentAppUI',
  'elasticmapreduce:DescribePersistentAppUI',
  'elasticmapreduce:GetPersistentAppUIPresignedURL',
];

export interface SparkUiLink {
  url: string;
  persistentAppUiId: string;
}

export interface SparkUiOptions {
  clock: Clock;
  /** Cluster ARN if already known (saves a DescribeCluster). */
  clusterArn?: string;
  /** How long to wait for EMR to make the link ready. */
  readyWaitMs?: number;
  retryMs?: number;
  signal?: AbortSignal;
}

const denied = (e: unknown, doing: string) =>
  isAccessDenied(e)
    ? authError(`AWS denied ${doing}`, `the Spark UI link needs ${SPARK_UI_ACTIONS.join(', ')} on the cluster (see docs/runner.md "Spark UI")`, { cause: e })
    : fromAwsError(e, doing);

/** CreatePersistentAppUI for the cluster (its ARN from DescribeCluster unless given); returns the UI id. */
export async function createPersistentUi(emr: EMRClient, clusterId: string, clusterArn?: string): Promise<string> {
  let arn = clusterArn;
  if (!arn) {
    try {
      arn = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId })))?.Cluster?.ClusterArn;
    } catch (e) {
      throw fromAwsError(e, `DescribeCluster ${clusterId}`);
    }
    if (!arn) throw jobError(`DescribeCluster ${clusterId} returned no cluster ARN: cannot ask for a Spark UI link`);
  }
  let id: string | undefined;
  try {
    id = (await emr.send(new CreatePersistentAppUICommand({ TargetResourceArn: arn, ProfilerType: 'SHS' })))?.PersistentAppUIId;
  } catch (e) {
    throw denied(e, `CreatePersistentAppUI for ${clusterId}`);
  }
  if (!id) throw jobError(`CreatePersistentAppUI for ${clusterId} returned no id`);
  return id;
}

/** The presigned Spark UI URL, or undefined while EMR is still preparing it. */
export async function presignedUiUrl(emr: EMRClient, persistentAppUiId: string): Promise<string | undefined> {
  try {
    const r = await emr.send(new GetPersistentAppUIPresignedURLCommand({ PersistentAppUIId: persistentAppUiId, PersistentAppUIType: 'SHS' }));
    return r?.PresignedURLReady && r.PresignedURL ? r.PresignedURL : undefined;
  } catch (e) {
    throw denied(e, `GetPersistentAppUIPresignedURL ${persistentAppUiId}`);
  }
}

/** `fruits ui`: create the persistent UI and wait (bounded) until its link is ready. */
export async function sparkUiLink(emr: EMRClient, clusterId: string, o: SparkUiOptions): Promise<SparkUiLink> {
  const id = await createPersistentUi(emr, clusterId, o.clusterArn);
  const deadline = o.clock.now() + (o.readyWaitMs ?? 60_000);
  for (;;) {
    const url = await presignedUiUrl(emr, id);
    if (url) return { url, persistentAppUiId: id };
    if (o.clock.now() >= deadline || o.signal?.aborted) {
      throw jobError(`the Spark UI of ${clusterId} is not ready yet (persistent app UI ${id})`, 'retry in a minute with fruits ui');
    }
    await o.clock.sleep(o.retryMs ?? 5_000, o.signal);
  }
}
