// Validation rules of fruits.config.json as pure functions: each takes plain values and
// returns the Problem (without the field's name; the loader puts that in front) or nothing.
import { ConfigError, type Problem } from './errors.js';

export const DEFAULT_RELEASE_LABEL = 'emr-7.12.0';

/**
 * EMR 7 releases this project knows (Amazon Linux 2023, Spark 3.5, python3.11 in dnf).
 * A newer one needs allowUnknownReleaseLabel=true; add it here once a deploy has run on it.
 */
export const KNOWN_EMR_7_RELEASES = [
  'emr-7.0.0', 'emr-7.1.0', 'emr-7.2.0', 'emr-7.3.0', 'emr-7.4.0', 'emr-7.5.0', 'emr-7.6.0',
  'emr-7.7.0', 'emr-7.8.0', 'emr-7.9.0', 'emr-7.10.0', 'emr-7.11.0', 'emr-7.12.0',
] as const;

/** Widest operatorCidr accepted without allowOpenSsh: one office or VPN network at most. */
export const MIN_OPERATOR_PREFIX = 16;

export function regionProblem(region: string): Problem | undefined {
  if (/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(region)) return undefined;
  return { problem: `"${region}" is not an AWS region name`, fix: 'use e.g. us-east-1 or eu-west-3' };
}

export function namePrefixProblem(prefix: string): Problem | undefined {
  if (/^[a-z][a-z0-9-]{0,18}[a-z0-9]$/.test(prefix)) return undefined;
  return {
    problem: `"${prefix}" must be 2-20 characters of a-z, 0-9 and "-", starting with a letter (it becomes part of S3 bucket names)`,
  };
}

export function publicKeyPathProblem(path: string): Problem | undefined {
  if (path.endsWith('.pub')) return undefined;
  return { problem: `"${path}" must be a public key file ending in .pub`, fix: 'never point it at a private key' };
}

export function bucketNameProblem(name: string): Problem | undefined {
  if (isValidBucketName(name)) return undefined;
  return {
    problem: `"${name}" is not a valid S3 bucket name (3-63 characters of a-z, 0-9, "." and "-")`,
    fix: 'use the state_bucket output of the fruits-state stack',
  };
}

export function isValidBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);
}

export function s3UriProblem(uri: string): Problem | undefined {
  if (/^s3:\/\/[^/]+/.test(uri)) return undefined;
  return { problem: `must be an s3:// URI, got "${uri}"`, fix: 'use s3://<bucket>/<prefix>' };
}

/**
 * Why operatorCidr is refused, or its canonical form. Anything wider than /16 (0.0.0.0/1,
 * 10.0.0.0/8, and 0.0.0.0/0, SSH open to the internet) needs allowOpenSsh set explicitly.
 */
export function operatorCidrCheck(cidr: string, allowOpenSsh: boolean): { canonical: string } | Problem {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr.trim());
  if (!m) return { problem: `"${cidr}" is not an IPv4 CIDR`, fix: 'use your public address with /32, e.g. 203.0.113.7/32' };
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return { problem: `"${cidr}" has an octet above 255`, fix: 'use e.g. 203.0.113.7/32' };
  if (m[5] === undefined) {
    return { problem: `"${cidr}" has no prefix length`, fix: `use "${octets.join('.')}/32" for a single address` };
  }
  const prefix = Number(m[5]);
  if (prefix > 32) return { problem: `"${cidr}" has a prefix length above 32`, fix: 'use /32 for a single address' };
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) {
    const network = address - (address % hostBits);
    const n = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
    return {
      problem: `"${cidr}" has host bits set`,
      fix: `use "${n}/${prefix}" for the network or "${octets.join('.')}/32" for one address`,
    };
  }
  if (prefix < MIN_OPERATOR_PREFIX && !allowOpenSsh) {
    const addresses = (2 ** (32 - prefix)).toLocaleString('en-US');
    const scope = prefix === 0 ? ' (the whole internet)' : '';
    return {
      problem: `"${cidr.trim()}" opens SSH on the master to ${addresses} addresses${scope}, more than a /${MIN_OPERATOR_PREFIX} allows`,
      fix: 'use your own address with /32 (e.g. 203.0.113.7/32) or set allowOpenSsh=true (FRUITS_ALLOW_OPEN_SSH=true) if you really mean it',
    };
  }
  return { canonical: `${octets.join('.')}/${prefix}` };
}

/** The canonical CIDR, or a ConfigError naming `at` (the field or env var). */
export function validateOperatorCidr(cidr: string, allowOpenSsh: boolean, at = 'operatorCidr'): string {
  const r = operatorCidrCheck(cidr, allowOpenSsh);
  if ('canonical' in r) return r.canonical;
  throw ConfigError.at(at, r);
}

/** Why EMR (with this project's bootstrap) cannot run an instance type, or undefined. */
export function instanceTypeProblem(type: string): Problem | undefined {
  const m = /^([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)$/.exec(type);
  if (!m) return { problem: `"${type}" is not an EC2 instance type like m5.xlarge` };
  const [, family, generation, attributes] = m;
  // Burstable types run on CPU credits: a featurization job drains them within minutes and
  // then crawls at a fraction of a core, and EMR does not offer most of them anyway.
  if (family === 't') {
    return { problem: `"${type}" is a burstable (t2/t3/t4g) type, which EMR cannot run this job on`, fix: 'use e.g. m5.xlarge' };
  }
  // a1 and every Graviton family (an "g" attribute: m6g, c7gn, r8g...) are arm64.
  // tensorflow-cpu ships x86_64 wheels only, so the bootstrap's pinned install would fail.
  if ((family === 'a' && generation === '1') || attributes!.includes('g')) {
    return {
      problem: `"${type}" is an arm64 (Graviton) type; the pinned tensorflow-cpu has x86_64 wheels only`,
      fix: 'use e.g. m5.xlarge or m6i.xlarge',
    };
  }
  return undefined;
}

/** Why a release label is refused, or undefined. */
export function releaseLabelProblem(label: string, allowUnknown: boolean): Problem | undefined {
  if ((KNOWN_EMR_7_RELEASES as readonly string[]).includes(label)) return undefined;
  if (!/^emr-7\.\d+\.\d+$/.test(label)) {
    return {
      problem: `"${label}" must be an EMR 7.x release label like ${DEFAULT_RELEASE_LABEL} (the bootstrap needs Amazon Linux 2023's python3.11)`,
    };
  }
  if (allowUnknown) return undefined;
  return {
    problem: `"${label}" is not an EMR 7 release this project knows (${KNOWN_EMR_7_RELEASES[0]} to ${KNOWN_EMR_7_RELEASES.at(-1)})`,
    fix: 'use one of those, or set allowUnknownReleaseLabel=true (FRUITS_ALLOW_UNKNOWN_RELEASE_LABEL=true) to try a newer one',
  };
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
      `publicKeyPath ${path} contains a PRIVATE key`,
      'point it at the matching .pub file (private keys never go into Terraform state)',
    );
  }
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  const [type, blob] = line?.split(/\s+/) ?? [];
  if (!type || !blob || !SUPPORTED_KEY_TYPES.includes(type)) {
    throw new ConfigError(
      `publicKeyPath ${path} is not an OpenSSH ssh-ed25519 or ssh-rsa public key (EC2 accepts only those)`,
      'create one with: ssh-keygen -t ed25519',
    );
  }
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(blob) ? Buffer.from(blob, 'base64') : Buffer.alloc(0);
  // The blob starts with a length-prefixed copy of the key type.
  const innerLength = decoded.length >= 4 ? decoded.readUInt32BE(0) : -1;
  const innerType = innerLength > 0 && decoded.length >= 4 + innerLength ? decoded.subarray(4, 4 + innerLength).toString('latin1') : '';
  if (innerType !== type) {
    throw new ConfigError(`publicKeyPath ${path} has a corrupted key blob`, `regenerate it with ssh-keygen -y -f <private key> > ${path}`);
  }
  return `${type} ${blob}`;
}

/** The private key path that matches a public key path (for the printed SSH command). */
export function privateKeyPathFor(publicKeyPath: string): string {
  return publicKeyPath.replace(/\.pub$/, '');
}

/** Each type of a fleet's list: the first refused one, or a duplicate. */
export function instanceTypesProblem(types: string[]): Problem | undefined {
  for (const t of types) {
    const p = instanceTypeProblem(t);
    if (p) return p;
  }
  const dup = types.find((t, i) => types.indexOf(t) !== i);
  return dup ? { problem: `lists "${dup}" twice`, fix: 'list each instance type once' } : undefined;
}

/** A container image tag as Docker and ECR accept it (the stack builds `<repository>:<tag>` from it). */
export function imageTagProblem(tag: string): Problem | undefined {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) return undefined;
  return { problem: `"${tag}" is not an image tag (letters, digits, _ . -, at most 128, not starting with . or -)`, fix: 'use the tag `npm run image -- push` prints' };
}

/**
 * Compute modes (docs/compute-modes.md), each with its description in the configuration table:
 * a new mode is one entry here (and its module in runner/targets/emr-compute.ts).
 */
export const COMPUTE_MODES = [
  { name: 'cluster', description: 'one long-lived cluster that runs steps until it idles out' },
  { name: 'transient', description: 'the stack builds everything but the cluster and `fruits run emr` creates one per run that ends with its step (see "Compute modes")' },
  { name: 'serverless', description: 'an EMR Serverless application instead of a cluster, `fruits run emr` starts a job run on it (see `serverless` and docs/serverless.md)' },
] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number]['name'];
/** The names in COMPUTE_MODES' order (a non-empty tuple type, as the schema's enum wants it). */
export const COMPUTE_MODE_NAMES = COMPUTE_MODES.map((m) => m.name) as unknown as readonly [ComputeMode, ...ComputeMode[]];

/** EMR's limit on instance types per fleet: 5 without an allocation strategy, 30 with one. */
export const MAX_FLEET_TYPES = { withoutStrategy: 5, withStrategy: 30 } as const;
/** YARN node labels that keep the application master on on-demand nodes need EMR 7.2+. */
export const NODE_LABELS_MIN_RELEASE = [7, 2] as const;

/**
 * Settings people bring from other EMR tools that this project refuses on purpose:
 * a reclaimed Spot master ends the cluster, a reclaimed core node loses HDFS blocks and shuffle output.
 */
export const REFUSED_FIELDS: Record<string, Problem> = {
  'capacity.masterSpotUnits': {
    problem: 'Spot master capacity is refused: a reclaimed master ends the cluster and the run',
    fix: 'the master stays on-demand; put Spot capacity in capacity.taskSpotUnits',
  },
  'capacity.coreSpotUnits': {
    problem: 'Spot core capacity is refused: a reclaimed core node loses HDFS blocks and shuffle output',
    fix: 'core stays on-demand (coreInstanceCount); put Spot capacity in capacity.taskSpotUnits',
  },
};

export interface CapacitySettings {
  masterTypes: string[];
  coreTypes: string[];
  taskTypes: string[];
  taskSpotUnits: number;
  maxTaskUnits: number;
  allocationStrategy: boolean;
}

/** Rules between capacity fields (and the release label): [field, problem] or undefined. */
export function capacityProblem(c: CapacitySettings, releaseLabel: string): [string, Problem] | undefined {
  // allocationStrategy governs the on-demand fleets; the Spot task fleet always has one.
  const limit = c.allocationStrategy ? MAX_FLEET_TYPES.withStrategy : MAX_FLEET_TYPES.withoutStrategy;
  for (const field of ['masterTypes', 'coreTypes'] as const) {
    if (c[field].length > limit) {
      return [`capacity.${field}`, {
        problem: `lists ${c[field].length} instance types; EMR accepts at most ${limit} per fleet ${c.allocationStrategy ? 'with' : 'without'} an allocation strategy`,
        fix: c.allocationStrategy ? `keep ${limit} or fewer` : `keep ${limit} or fewer, or set capacity.allocationStrategy=true (up to ${MAX_FLEET_TYPES.withStrategy})`,
      }];
    }
  }
  if (c.maxTaskUnits > 0 && c.maxTaskUnits < c.taskSpotUnits) {
    return ['capacity.maxTaskUnits', {
      problem: `${c.maxTaskUnits} is below capacity.taskSpotUnits (${c.taskSpotUnits}); managed scaling would shrink the task fleet below what it starts with`,
      fix: `set it to ${c.taskSpotUnits} or more, or 0 for no managed scaling`,
    }];
  }
  if (c.maxTaskUnits > 0 && c.taskSpotUnits === 0) {
    return ['capacity.maxTaskUnits', {
      problem: 'managed scaling scales task capacity only, and there is no task fleet (capacity.taskSpotUnits is 0)',
      fix: 'set capacity.taskSpotUnits to 1 or more, or maxTaskUnits to 0',
    }];
  }
  const m = /^emr-(\d+)\.(\d+)\./.exec(releaseLabel);
  const [major, minor] = NODE_LABELS_MIN_RELEASE;
  if (c.taskSpotUnits > 0 && m && (Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor))) {
    return ['capacity.taskSpotUnits', {
      problem: `Spot task capacity needs emr-${major}.${minor}.0 or later (YARN node labels keep the application master on on-demand nodes), releaseLabel is ${releaseLabel}`,
      fix: `use releaseLabel emr-${major}.${minor}.0 or later, or taskSpotUnits 0`,
    }];
  }
  return undefined;
}
