// Pieces both stacks share: the AWS provider with default tags, and the backend switch.
import { resolve } from 'node:path';
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { LocalBackend, S3Backend } from 'cdktf';
import type { FruitsConfig } from './config.js';
import { EMR_MANAGED_POLICY_TAG, localStatePath, PROJECT_TAG_KEY, stateKey } from './names.js';

/** Tags on every taggable resource (provider default_tags). */
export function projectTags(config: FruitsConfig, stackId: string): Record<string, string> {
  return {
    [PROJECT_TAG_KEY]: config.namePrefix,
    Stack: stackId,
    ManagedBy: 'cdktf',
    // Required by AmazonEMRServicePolicy_v2 on the subnet, security groups and cluster.
    ...EMR_MANAGED_POLICY_TAG,
  };
}

export function awsProvider(scope: Construct, config: FruitsConfig, stackId: string): AwsProvider {
  return new AwsProvider(scope, 'aws', {
    region: config.region,
    defaultTags: [{ tags: projectTags(config, stackId) }],
  });
}

/**
 * Shared state for the ops team: with config.stateBucket set, the stack keeps its state
 * in that bucket (created by the fruits-state stack), encrypted, with S3-native locking
 * (use_lockfile, Terraform >= 1.10: a .tflock object next to the state, no DynamoDB
 * table, whose use for locking is deprecated since Terraform 1.11). Otherwise a local
 * backend. Key and file name both carry namePrefix and region (see stateKey()), so two
 * environments from one checkout never share a state.
 */
export function configureBackend(stack: Construct, config: FruitsConfig, stackId: string): S3Backend | LocalBackend {
  if (!config.stateBucket) return localBackend(stack, stackId, config.namePrefix, config.region);
  const backend = new S3Backend(stack, {
    bucket: config.stateBucket,
    key: stateKey(config.namePrefix, config.region),
    region: config.stateRegion,
    encrypt: true,
  });
  // cdktf 0.21's S3BackendConfig predates use_lockfile; set it on the synthesized block.
  backend.addOverride('use_lockfile', true);
  return backend;
}

/** Local state in the working directory (like cdktf's default), named per environment and region. */
export function localBackend(stack: Construct, stackId: string, namePrefix: string, region: string): LocalBackend {
  return new LocalBackend(stack, { path: resolve(process.cwd(), localStatePath(stackId, namePrefix, region)) });
}
