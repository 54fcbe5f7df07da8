// Small DescribeCluster look-ups used by status/logs/tunnel.
import { DescribeClusterCommand, type EMRClient } from '@aws-sdk/client-emr';
import { fromAwsError } from './errors.js';

export async function describeClusterBrief(emr: EMRClient, clusterId: string) {
  try {
    const c = (await emr.send(new DescribeClusterCommand({ ClusterId: clusterId }))).Cluster;
    return { state: c?.Status?.State, stateReason: c?.Status?.StateChangeReason?.Message, logUri: c?.LogUri, masterDns: c?.MasterPublicDnsName, name: c?.Name, arn: c?.ClusterArn };
  } catch (e) {
    throw fromAwsError(e, `DescribeCluster ${clusterId}`);
  }
}

export const checkClusterLogUri = async (emr: EMRClient, clusterId: string) => (await describeClusterBrief(emr, clusterId)).logUri;
