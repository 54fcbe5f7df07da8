// The `fruits` CLI run in-process (runner/cli.ts main) for unit tests: a stack outputs file, a
// fake clock, captured output, and aws-sdk-client-mock on the EMR and S3 clients.
import { mockClient } from 'aws-sdk-client-mock';
import { EMRClient } from '@aws-sdk/client-emr';
import { S3Client } from '@aws-sdk/client-s3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../runner/cli.js';
import type { RunProgress } from '../../runner/progress/run-progress.js';
import { captureOutput, fakeClock, mktemp } from './runner.js';

/** fruits-emr outputs as `cdktf deploy --outputs-file` writes them (snake_case). */
export const EMR_OUTPUTS = {
  region: 'eu-west-1', cluster_id: 'j-ABC', input_uri: 's3://data/images/', results_uri: 's3://data/results/', code_uri: 's3://art/code/', log_uri: 's3://logs/emr-logs/',
};
/** The same in the camelCase form older cdktf versions wrote, with the master's DNS. */
export const EMR_OUTPUTS_WITH_MASTER = {
  region: 'eu-west-1', clusterId: 'j-ABC', masterPublicDns: 'ec2-1-2-3-4.eu-west-1.compute.amazonaws.com', inputUri: 's3://d/images/', resultsUri: 's3://d/results/', codeUri: 's3://a/code/', logUri: 's3://l/emr-logs/',
};

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  out?: ReturnType<typeof captureOutput>;
}

/** A temp folder holding cdktf-outputs.json, and `cli(args)` running main() against it. */
export function inProcessCli(outputs: Record<string, unknown>, prefix = 'fruits-cli-') {
  const dir = mktemp(prefix);
  const outputsFile = join(dir, 'cdktf-outputs.json');
  writeFileSync(outputsFile, JSON.stringify({ 'fruits-emr': outputs }));
  const env = { FRUITS_OUTPUTS_FILE: outputsFile };
  const cli = async (args: string[], o: CliOptions = {}) => {
    const out = o.out ?? captureOutput(args.includes('--json'));
    const clock = fakeClock();
    const code = await main(args, { out, env: { ...env, ...o.env }, clock, signal: o.signal });
    return { code, out, clock, data: out.results[0]?.data as Record<string, unknown> | undefined };
  };
  return { dir, outputsFile, env, cli };
}

/** Mocks every EMR and S3 client of the file, reset before each test: no real AWS call. */
export function mockedAws() {
  const emrMock = mockClient(EMRClient);
  const s3Mock = mockClient(S3Client);
  beforeEach(() => {
    emrMock.reset();
    s3Mock.reset();
  });
  return { emrMock, s3Mock };
}

/** An SDK service error as the clients throw it. */
export const awsError = (name: string, message = name, status?: number) =>
  Object.assign(new Error(message), { name, $metadata: status ? { httpStatusCode: status } : {} });
/** A GetObject response body. */
export const body = (text: string) =>
  ({ Body: { transformToString: async () => text, transformToByteArray: async () => new Uint8Array(Buffer.from(text)) } }) as never;
export const progress = (over: Partial<RunProgress> = {}): RunProgress => ({
  run_id: 'r1', status: 'running', stage: 'featurize', images_total: 140, images_done: 70, images_failed: 1,
  images_per_second: 7, eta_s: 10, elapsed_s: 12, updated_at: '2026-01-01T00:00:00Z', seq: 3, ...over,
});
/** A DescribeCluster response in a given state. */
export const cluster = (State: string) =>
  ({ Cluster: { Id: 'j-ABC', Name: 'fruits', ClusterArn: 'arn:aws:elasticmapreduce:eu-west-1:1:cluster/j-ABC', LogUri: 's3n://logs/emr-logs/', Status: { State, StateChangeReason: { Message: 'Terminated by user request' } } } }) as never;
