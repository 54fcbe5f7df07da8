// The one typed configuration of the AWS environment, validated once at the edge.
// Pure: everything here works on values handed in (parsed JSON, an env map, key
// text). Reading files and process.env lives in ./config-loader.ts, so the job
// runner (scripts/) can reuse the same rules for region, prefix, etc.

/** A bad setting. main.ts prints `error: <message>` and exits 2, no stack trace. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface FruitsConfig {
  /** AWS region of every resource. */
  region: string;
  /** Lower-case prefix of every resource name (buckets get account id + region appended). */
  namePrefix: string;
  /**
   * IPv4 CIDR allowed to reach SSH (port 22) on the master node, e.g. 203.0.113.7/32.
   * Only fruits-emr needs it (see requireOperatorAccess); fruits-state deploys without.
   */
  operatorCidr?: string;
  /** Path to the operator's existing OpenSSH *public* key (.pub); only its content reaches state. fruits-emr only. */
  publicKeyPath?: string;
  masterInstanceType: string;
  coreInstanceType: string;
  coreInstanceCount: number;
  /** EMR release label, one of KNOWN_EMR_7_RELEASES (Amazon Linux 2023, where the bootstrap installs python3.11). */
  releaseLabel: string;
  /** Explicit override that accepts an emr-7.x label newer than KNOWN_EMR_7_RELEASES. */
  allowUnknownReleaseLabel: boolean;
  /** Auto-termination after this many idle minutes (idle clusters cost money). */
  idleTimeoutMinutes: number;
  /** Install JupyterHub (+ Livy for its Spark kernels) with notebooks persisted to S3. */
  jupyterHub: boolean;
  /** Explicit override that lets operatorCidr be wider than /16 (up to 0.0.0.0/0). */
  allowOpenSsh: boolean;
  /** Days before EMR and S3 access logs expire. */
  logRetentionDays: number;
  /** Let `cdktf destroy` delete non-empty buckets (default false: data is never lost silently). */
  forceDestroyBuckets: boolean;
  /** When set, the fruits-emr stack keeps its state in this S3 bucket (created by fruits-state). */
  stateBucket?: string;
  /** Region of the state bucket (defaults to region). */
  stateRegion: string;
}

type FieldName = keyof FruitsConfig;
type FieldKind = 'string' | 'integer' | 'boolean';

interface FieldSpec {
  env: string;
  kind: FieldKind;
  /** Default when neither file nor env sets the field; undefined = required (or optional for stateBucket). */
  default?: string | number | boolean;
}

export const DEFAULT_RELEASE_LABEL = 'emr-7.12.0';

/**
 * EMR 7 releases this project knows (Amazon Linux 2023, Spark 3.5, python3.11 in dnf).
 * A newer one needs allowUnknownReleaseLabel=true; add it here once a deploy has run on it.
 */
export const KNOWN_EMR_7_RELEASES = [
  'emr-7.0.0', 'emr-7.1.0', 'emr-7.2.0', 'emr-7.3.0', 'emr-7.4.0', 'emr-7.5.0', 'emr-7.6.0',
  'emr-7.7.0', 'emr-7.8.0', 'emr-7.9.0', 'emr-7.10.0', 'emr-7.11.0', 'emr-7.12.0',
] as const;

/** Every field, its environment variable and default. Env beats the file. */
export const CONFIG_FIELDS: Record<FieldName, FieldSpec> = {
  region: { env: 'FRUITS_REGION', kind: 'string', default: 'us-east-1' },
  namePrefix: { env: 'FRUITS_NAME_PREFIX', kind: 'string', default: 'fruits' },
  operatorCidr: { env: 'FRUITS_OPERATOR_CIDR', kind: 'string' },
  publicKeyPath: { env: 'FRUITS_PUBLIC_KEY_PATH', kind: 'string' },
  masterInstanceType: { env: 'FRUITS_MASTER_INSTANCE_TYPE', kind: 'string', default: 'm5.xlarge' },
  coreInstanceType: { env: 'FRUITS_CORE_INSTANCE_TYPE', kind: 'string', default: 'm5.xlarge' },
  coreInstanceCount: { env: 'FRUITS_CORE_INSTANCE_COUNT', kind: 'integer', default: 2 },
  releaseLabel: { env: 'FRUITS_RELEASE_LABEL', kind: 'string', default: DEFAULT_RELEASE_LABEL },
  allowUnknownReleaseLabel: { env: 'FRUITS_ALLOW_UNKNOWN_RELEASE_LABEL', kind: 'boolean', default: false },
  idleTimeoutMinutes: { env: 'FRUITS_IDLE_TIMEOUT_MINUTES', kind: 'integer', default: 60 },
  jupyterHub: { env: 'FRUITS_JUPYTERHUB', kind: 'boolean', default: false },
  allowOpenSsh: { env: 'FRUITS_ALLOW_OPEN_SSH', kind: 'boolean', default: false },
  logRetentionDays: { env: 'FRUITS_LOG_RETENTION_DAYS', kind: 'integer', default: 30 },
  forceDestroyBuckets: { env: 'FRUITS_FORCE_DESTROY_BUCKETS', kind: 'boolean', default: false },
  stateBucket: { env: 'FRUITS_STATE_BUCKET', kind: 'string' },
  stateRegion: { env: 'FRUITS_STATE_REGION', kind: 'string' },
};

const FIELD_NAMES = Object.keys(CONFIG_FIELDS) as FieldName[];

/**
 * fruits.config.json is shared with the job runner (scripts/config.ts), whose settings
 * live under these top-level keys. The stack ignores them; every other unknown key is a
 * typo and is refused.
 */
export const RUNNER_CONFIG_KEYS = ['jobDir', 'job', 'local', 'vm', 'emr', 'tunnel', 'upload'] as const;

/** Where a value came from, for error messages that name the place to fix. */
function where(field: FieldName, fromEnv: boolean, fileLabel: string): string {
  return fromEnv ? `${CONFIG_FIELDS[field].env}` : `"${field}" in ${fileLabel}`;
}

function coerce(field: FieldName, raw: unknown, fromEnv: boolean, fileLabel: string): string | number | boolean {
  const spec = CONFIG_FIELDS[field];
  const at = where(field, fromEnv, fileLabel);
  if (spec.kind === 'string') {
    if (typeof raw !== 'string') throw new ConfigError(`${at} must be a string, got ${JSON.stringify(raw)}`);
    return raw.trim();
  }
  if (spec.kind === 'integer') {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n)) throw new ConfigError(`${at} must be a whole number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(s)) return true;
    if (['false', '0', 'no', 'off'].includes(s)) return false;
  }
  throw new ConfigError(`${at} must be true or false, got ${JSON.stringify(raw)}`);
}

/**
 * Merge the config file's JSON object with environment variables (env wins),
 * apply defaults and validate every field.
 * @param fileJson parsed config file content, or undefined when there is no file
 * @param env environment variables (FRUITS_*)
 * @param fileLabel how to name the file in errors
 */
export function resolveConfig(
  fileJson: unknown,
  env: Readonly<Record<string, string | undefined>>,
  fileLabel = 'fruits.config.json',
): FruitsConfig {
  if (fileJson !== undefined && (typeof fileJson !== 'object' || fileJson === null || Array.isArray(fileJson))) {
    throw new ConfigError(`${fileLabel} must contain a JSON object of settings (see fruits.config.example.json)`);
  }
  const file = (fileJson ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(file)) {
    if (key.startsWith('$') || key.startsWith('//')) continue; // "$schema" / "//comment" keys are allowed
    if ((RUNNER_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    if (!(FIELD_NAMES as string[]).includes(key)) {
      throw new ConfigError(`unknown field "${key}" in ${fileLabel}; known fields: ${FIELD_NAMES.join(', ')}`);
    }
  }
  const values: Partial<Record<FieldName, string | number | boolean>> = {};
  const fromEnv: Partial<Record<FieldName, boolean>> = {};
  for (const field of FIELD_NAMES) {
    const envValue = env[CONFIG_FIELDS[field].env];
    if (envValue !== undefined && envValue.trim() !== '') {
      values[field] = coerce(field, envValue, true, fileLabel);
      fromEnv[field] = true;
    } else if (file[field] !== undefined && file[field] !== null && file[field] !== '') {
      values[field] = coerce(field, file[field], false, fileLabel);
    } else if (CONFIG_FIELDS[field].default !== undefined) {
      values[field] = CONFIG_FIELDS[field].default;
    }
  }
  const at = (f: FieldName) => where(f, fromEnv[f] ?? false, fileLabel);
  const str = (f: FieldName) => values[f] as string | undefined;
  const int = (f: FieldName) => values[f] as number;
  const bool = (f: FieldName) => values[f] as boolean;

  const region = str('region')!;
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) {
    throw new ConfigError(`${at('region')} "${region}" is not an AWS region name; use e.g. us-east-1 or eu-west-3`);
  }
  const namePrefix = str('namePrefix')!;
  if (!/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/.test(namePrefix)) {
    throw new ConfigError(
      `${at('namePrefix')} "${namePrefix}" must be 2-20 characters of a-z, 0-9 and "-", starting with a letter (it becomes part of S3 bucket names)`,
    );
  }

  const allowOpenSsh = bool('allowOpenSsh');
  const operatorCidrRaw = str('operatorCidr');
  const operatorCidr =
    operatorCidrRaw === undefined ? undefined : validateOperatorCidr(operatorCidrRaw, allowOpenSsh, at('operatorCidr'));
  const publicKeyPath = str('publicKeyPath');
  if (publicKeyPath !== undefined && !publicKeyPath.endsWith('.pub')) {
    throw new ConfigError(
      `${at('publicKeyPath')} "${publicKeyPath}" must be a public key file ending in .pub; never point it at a private key`,
    );
  }

  for (const f of ['masterInstanceType', 'coreInstanceType'] as const) {
    validateInstanceType(str(f)!, at(f));
  }
  const coreInstanceCount = int('coreInstanceCount');
  if (coreInstanceCount < 1 || coreInstanceCount > 50) {
    throw new ConfigError(`${at('coreInstanceCount')} must be between 1 and 50, got ${coreInstanceCount}`);
  }
  const releaseLabel = str('releaseLabel')!;
  const allowUnknownReleaseLabel = bool('allowUnknownReleaseLabel');
  const releaseProblem = releaseLabelProblem(releaseLabel, allowUnknownReleaseLabel);
  if (releaseProblem) throw new ConfigError(`${at('releaseLabel')} ${releaseProblem}`);
  const idleTimeoutMinutes = int('idleTimeoutMinutes');
  if (idleTimeoutMinutes < 1 || idleTimeoutMinutes > 7 * 24 * 60) {
    throw new ConfigError(
      `${at('idleTimeoutMinutes')} must be between 1 and 10080 minutes (EMR's 7-day maximum), got ${idleTimeoutMinutes}`,
    );
  }
  const logRetentionDays = int('logRetentionDays');
  if (logRetentionDays < 1 || logRetentionDays > 3650) {
    throw new ConfigError(`${at('logRetentionDays')} must be between 1 and 3650 days, got ${logRetentionDays}`);
  }
  const stateBucket = str('stateBucket');
  if (stateBucket !== undefined && !isValidBucketName(stateBucket)) {
    throw new ConfigError(
      `${at('stateBucket')} "${stateBucket}" is not a valid S3 bucket name (3-63 characters of a-z, 0-9, "." and "-"); use the state_bucket output of the fruits-state stack`,
    );
  }
  const stateRegion = str('stateRegion') ?? region;
  if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(stateRegion)) {
    throw new ConfigError(`${at('stateRegion')} "${stateRegion}" is not an AWS region name; use e.g. us-east-1`);
  }

  return {
    region,
    namePrefix,
    ...(operatorCidr !== undefined ? { operatorCidr } : {}),
    ...(publicKeyPath !== undefined ? { publicKeyPath } : {}),
    masterInstanceType: str('masterInstanceType')!,
    coreInstanceType: str('coreInstanceType')!,
    coreInstanceCount,
    releaseLabel,
    allowUnknownReleaseLabel,
    idleTimeoutMinutes,
    jupyterHub: bool('jupyterHub'),
    allowOpenSsh,
    logRetentionDays,
    forceDestroyBuckets: bool('forceDestroyBuckets'),
    ...(stateBucket !== undefined ? { stateBucket } : {}),
    stateRegion,
  };
}

/** The config fruits-emr needs: the operator's SSH source and key are set. */
export type EmrConfig = FruitsConfig & { operatorCidr: string; publicKeyPath: string };

/**
 * fruits-emr opens SSH to the operator and installs their key: both must be set. Pure;
 * fruits-state never calls it, so the state bucket deploys before either exists.
 */
export function requireOperatorAccess(config: FruitsConfig, fileLabel = 'fruits.config.json'): EmrConfig {
  const problem = operatorAccessProblem(config, fileLabel);
  if (problem) throw new ConfigError(problem);
  return config as EmrConfig;
}

/** Which operator setting fruits-emr is missing, with the fix, or undefined. */
export function operatorAccessProblem(config: FruitsConfig, fileLabel = 'fruits.config.json'): string | undefined {
  if (!config.operatorCidr) {
    return `operatorCidr is not set: set FRUITS_OPERATOR_CIDR=<your public IP>/32 or "operatorCidr" in ${fileLabel} (copy fruits.config.example.json); it is the only address allowed to SSH to the master`;
  }
  if (!config.publicKeyPath) {
    return `publicKeyPath is not set: set FRUITS_PUBLIC_KEY_PATH=~/.ssh/id_ed25519.pub or "publicKeyPath" in ${fileLabel} (create one with: ssh-keygen -t ed25519)`;
  }
  return undefined;
}

/** Widest operatorCidr accepted without allowOpenSsh: one office or VPN network at most. */
export const MIN_OPERATOR_PREFIX = 16;

/**
 * An IPv4 CIDR in canonical form. Anything wider than /16 (0.0.0.0/1, 10.0.0.0/8, and
 * 0.0.0.0/0, SSH open to the internet) is refused unless allowOpenSsh is set explicitly.
 */
export function validateOperatorCidr(cidr: string, allowOpenSsh: boolean, at = 'operatorCidr'): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) {
    throw new ConfigError(`${at} "${cidr}" is not an IPv4 CIDR; use your public address with /32, e.g. 203.0.113.7/32`);
  }
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) {
    throw new ConfigError(`${at} "${cidr}" has an octet above 255; use e.g. 203.0.113.7/32`);
  }
  if (m[5] === undefined) {
    throw new ConfigError(`${at} "${cidr}" has no prefix length; use "${octets.join('.')}/32" for a single address`);
  }
  const prefix = Number(m[5]);
  if (prefix > 32) throw new ConfigError(`${at} "${cidr}" has a prefix length above 32; use /32 for a single address`);
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    const n = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
    throw new ConfigError(
      `${at} "${cidr}" has host bits set; use "${n}/${prefix}" for the network or "${octets.join('.')}/32" for one address`,
    );
  }
  if (prefix < MIN_OPERATOR_PREFIX && !allowOpenSsh) {
    const addresses = (2 ** (32 - prefix)).toLocaleString('en-US');
    const scope = prefix === 0 ? ' (the whole internet)' : '';
    throw new ConfigError(
      `${at} "${cidr.trim()}" opens SSH on the master to ${addresses} addresses${scope}, more than a /${MIN_OPERATOR_PREFIX} allows; use your own address with /32 (e.g. 203.0.113.7/32) or set allowOpenSsh=true (FRUITS_ALLOW_OPEN_SSH=true) if you really mean it`,
    );
  }
  return `${octets.join('.')}/${prefix}`;
}

function validateInstanceType(type: string, at: string): void {
  const problem = instanceTypeProblem(type);
  if (problem) throw new ConfigError(`${at} ${problem}`);
}

/**
 * Why EMR (with this project's bootstrap) cannot run an instance type, or undefined.
 * Pure, so the config schema can move it as is.
 */
export function instanceTypeProblem(type: string): string | undefined {
  const m = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$/.exec(type);
  if (!m) return `"${type}" is not an EC2 instance type like m5.xlarge`;
  const [, family, generation, attributes] = m;
  // Burstable types run on CPU credits: a featurization job drains them within minutes and
  // then crawls at a fraction of a core, and EMR does not offer most of them anyway.
  if (family === 't') {
    return `"${type}" is a burstable (t2/t3/t4g) type, which EMR cannot run this job on; use e.g. m5.xlarge`;
  }
  // a1 and every Graviton family (an "g" attribute: m6g, c7gn, r8g...) are arm64.
  // tensorflow-cpu ships x86_64 wheels only, so the bootstrap's pinned install would fail.
  if ((family === 'a' && generation === '1') || attributes!.includes('g')) {
    return `"${type}" is an arm64 (Graviton) type; the pinned tensorflow-cpu has x86_64 wheels only, use e.g. m5.xlarge or m6i.xlarge`;
  }
  return undefined;
}

/** Why a release label is refused, or undefined. Pure (see instanceTypeProblem). */
export function releaseLabelProblem(label: string, allowUnknown: boolean): string | undefined {
  const known = (KNOWN_EMR_7_RELEASES as readonly string[]).includes(label);
  if (known) return undefined;
  if (!/^emr-7\.\d+\.\d+$/.test(label)) {
    return `"${label}" must be an EMR 7.x release label like ${DEFAULT_RELEASE_LABEL} (the bootstrap needs Amazon Linux 2023's python3.11)`;
  }
  if (allowUnknown) return undefined;
  return `"${label}" is not an EMR 7 release this project knows (${KNOWN_EMR_7_RELEASES[0]} to ${KNOWN_EMR_7_RELEASES.at(-1)}); use one of those, or set allowUnknownReleaseLabel=true (FRUITS_ALLOW_UNKNOWN_RELEASE_LABEL=true) to try a newer one`;
}

export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

/** EC2 key pairs accept RSA and ED25519 keys only. */
const SUPPORTED_KEY_TYPES = ['ssh-ed25519', 'ssh-rsa'];

/**
 * Validate the text of an OpenSSH public key file and return "type base64" (the
 * comment, often user@host, is dropped). Refuses anything that looks private.
 */
export function parsePublicKey(text: string, path: string): string {
  if (/PRIVATE KEY/.test(text)) {
    throw new ConfigError(
      `publicKeyPath ${path} contains a PRIVATE key; point it at the matching .pub file (private keys never go into Terraform state)`,
    );
  }
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  const parts = line?.split(/\s+/) ?? [];
  const [type, blob] = parts;
  if (!type || !blob || !SUPPORTED_KEY_TYPES.includes(type)) {
    throw new ConfigError(
      `publicKeyPath ${path} is not an OpenSSH ssh-ed25519 or ssh-rsa public key (EC2 accepts only those); create one with: ssh-keygen -t ed25519`,
    );
  }
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : Buffer.alloc(0);
  // The blob starts with a length-prefixed copy of the key type.
  const innerLength = decoded.length >= 4 ? decoded.readUInt32BE(0) : -1;
  const innerType = innerLength > 0 && decoded.length >= 4 + innerLength ? decoded.subarray(4, 4 + innerLength).toString('latin1') : '';
  if (innerType !== type) {
    throw new ConfigError(`publicKeyPath ${path} has a corrupted key blob; regenerate it with ssh-keygen -y -f <private key> > ${path}`);
  }
  return `${type} ${blob}`;
}

/** The private key path that matches a public key path (for the printed SSH command). */
export function privateKeyPathFor(publicKeyPath: string): string {
  return publicKeyPath.replace(/\.pub$/, '');
}
