// Thin adapter: AWS clients with throttling-aware retries. FRUITS_AWS_ENDPOINT
// (emr.endpoint) points both at a local endpoint such as moto for tests.
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';

export interface AwsOptions {
  region?: string;
  endpoint?: string;
}

export interface AwsClients {
  emr: EMRClient;
  s3: S3Client;
}

export function makeAwsClients(o: AwsOptions): AwsClients {
  // Adaptive retry mode backs off on ThrottlingException client-side too.
  const common = { region: o.region, maxAttempts: 8, retryMode: 'adaptive' as const };
  const endpoint = o.endpoint ? { endpoint: o.endpoint } : {};
  return {
    emr: new EMRClient({ ...common, ...endpoint }),
    s3: new S3Client({ ...common, ...endpoint, forcePathStyle: !!o.endpoint }),
  };
}
