// The fruits-state stack: the S3 bucket that holds the fruits-emr stack's shared state.
// Deployed once per account with the local backend (it cannot store its own state in the
// bucket it creates); its tiny local state file only describes this one bucket.
// Locking uses S3 native lock files (use_lockfile), so no DynamoDB table is created.
// Encryption is SSE-S3: the state holds no secrets (no private keys; the key pair is
// public material) and a dedicated KMS key would cost 1 USD/month for no gain.
import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { TerraformOutput, TerraformStack } from 'cdktf';
import { awsProvider, localBackend } from './provider-backend.js';
import type { FruitsConfig } from './config.js';
import { stateKey } from './names.js';
import { SecureBucket } from './secure-bucket.js';

export interface StateStackProps {
  config: FruitsConfig;
}

export class FruitsStateStack extends TerraformStack {
  readonly bucket: SecureBucket;

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id);
    const { config } = props;
    // Its own state is local (it cannot live in the bucket it creates), one file per environment.
    localBackend(this, id, config.namePrefix, config.stateRegion);
    // The state bucket must exist in stateRegion, the region the backend reads from.
    awsProvider(this, { ...config, region: config.stateRegion }, id);
    const accountId = new DataAwsCallerIdentity(this, 'caller').accountId;
    const name = config.stateBucket ?? `${config.namePrefix}-tfstate-${accountId}-${config.stateRegion}`;
    this.bucket = new SecureBucket(this, 'state', {
      bucketName: name,
      // Old state versions are the undo history of the environment: keep them 90 days.
      noncurrentVersionDays: 90,
      forceDestroy: false,
      // Losing this bucket loses track of every deployed resource.
      lifecycle: { preventDestroy: true },
    });
    new TerraformOutput(this, 'state_bucket', {
      value: this.bucket.name,
      description: 'Set FRUITS_STATE_BUCKET (or "stateBucket") to this to keep fruits-emr state here',
    });
    new TerraformOutput(this, 'state_key', {
      value: stateKey(config.namePrefix, config.region),
      description: 'Object key of this environment\'s fruits-emr state',
    });
  }
}
