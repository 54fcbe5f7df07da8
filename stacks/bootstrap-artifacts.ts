// Uploads the EMR bootstrap script, the Python installer it runs (shared with the VM setup)
// and the job's pinned requirements.txt to the artifacts bucket. Content hashes are tracked twice on purpose:
//  - source_hash on each S3 object, so an edited file is re-uploaded on deploy;
//  - the hash of both scripts in the bootstrap action name and the requirements and installer
//    hashes in its arguments, so the cluster (whose bootstrap actions only run at launch) is
//    replaced instead of silently keeping nodes built from the old files. The script also
//    checks the downloaded requirements and installer against those hashes.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object/index.js';
import { AssetType, TerraformAsset } from 'cdktf';
import { ConfigError } from '../config/index.js';
import { PREFIXES, VENV_PATH } from './names.js';
import type { SecureBucket } from './secure-bucket.js';
import { s3Uri } from './storage.js';

export const INSTALL_SCRIPT = 'emr-install-python-deps.sh';
/** The Python installer shared with bootstrap/vm-setup.sh; the EMR script downloads it. */
export const PYTHON_INSTALLER = 'install-python-requirements.sh';
export const REQUIREMENTS_FILE = 'requirements.txt';

export interface BootstrapArtifactsProps {
  bucket: SecureBucket;
  /** Folder holding emr-*.sh and the Python installer (repo bootstrap/). */
  bootstrapDir: string;
  /** The single pinned requirements.txt at the repo root. */
  requirementsPath: string;
}

export interface BootstrapActionSpec {
  name: string;
  path: string;
  args: string[];
}

function digest(algorithm: 'md5' | 'sha256', content: Buffer): string {
  return createHash(algorithm).update(content).digest('hex');
}

export class BootstrapArtifacts extends Construct {
  readonly objects: S3Object[] = [];
  /** The bootstrap action for aws_emr_cluster (runs on every node at launch). */
  readonly action: BootstrapActionSpec;
  readonly scriptSha256: string;
  readonly installerSha256: string;
  readonly requirementsSha256: string;

  constructor(scope: Construct, id: string, props: BootstrapArtifactsProps) {
    super(scope, id);
    const scriptPath = join(props.bootstrapDir, INSTALL_SCRIPT);
    const installerPath = join(props.bootstrapDir, PYTHON_INSTALLER);
    for (const path of [scriptPath, installerPath, props.requirementsPath]) {
      if (!existsSync(path)) {
        throw new ConfigError(`${path} is missing (the EMR bootstrap action needs it)`, 'run synth from the repository root');
      }
    }
    const upload = (id: string, path: string, key: string, contentType: string): Buffer => {
      const content = readFileSync(path);
      const asset = new TerraformAsset(this, `${id}-asset`, { path, type: AssetType.FILE });
      this.objects.push(
        new S3Object(this, id, {
          bucket: props.bucket.name,
          key,
          source: asset.path,
          sourceHash: digest('md5', content),
          contentType,
          dependsOn: props.bucket.ready,
        }),
      );
      return content;
    };
    const scriptKey = `${PREFIXES.bootstrap}${INSTALL_SCRIPT}`;
    const requirementsKey = `${PREFIXES.bootstrap}${REQUIREMENTS_FILE}`;
    const installerKey = `${PREFIXES.bootstrap}${PYTHON_INSTALLER}`;
    const script = upload('install-script', scriptPath, scriptKey, 'text/x-shellscript');
    const installer = upload('python-installer', installerPath, installerKey, 'text/x-shellscript');
    const requirements = upload('requirements', props.requirementsPath, requirementsKey, 'text/plain');
    this.scriptSha256 = digest('sha256', script);
    this.installerSha256 = digest('sha256', installer);
    this.requirementsSha256 = digest('sha256', requirements);

    this.action = {
      name: `install-python-deps-${digest('sha256', Buffer.concat([script, installer])).slice(0, 12)}`,
      path: s3Uri(props.bucket.name, scriptKey),
      args: [
        '--requirements',
        s3Uri(props.bucket.name, requirementsKey),
        '--requirements-sha256',
        this.requirementsSha256,
        '--installer',
        s3Uri(props.bucket.name, installerKey),
        '--installer-sha256',
        this.installerSha256,
        '--venv',
        VENV_PATH,
      ],
    };
  }
}
