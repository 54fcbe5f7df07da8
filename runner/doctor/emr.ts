// doctor's checks of the emr target (targets/emr.ts): the stack outputs every mode needs plus those
// of the deployed compute mode, AWS credentials, the mode's own checks (its EmrCompute's doctor:
// the cluster, the serverless application...) and the tunnel's ssh key.
import { existsSync, statSync } from 'node:fs';
import type { RunnerConfig } from '../../config/index.js';
import { oneLine } from '../../config/errors.js';
import { makeAwsClients } from '../aws/clients.js';
import { computeModeOf, DEPLOY_HINT, readStackOutputs, regionOf, type StackOutputs } from '../aws/stack-outputs.js';
import { loadCompute, type EmrCompute } from '../targets/emr-compute.js';
import { missFrom, sshClientCheck, type Check, type DoctorContext } from './check.js';

/** The outputs every compute mode needs. */
const COMMON_OUTPUTS: readonly (keyof StackOutputs)[] = ['region', 'inputUri', 'resultsUri', 'codeUri'];

export async function emrChecks(cfg: RunnerConfig, ctx: DoctorContext): Promise<Check[]> {
  const checks: Check[] = [sshClientCheck()];
  const add = (c: Check) => checks.push(c);
  let outputs: StackOutputs = {};
  try {
    outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  } catch (e) {
    add({ area: 'emr', name: 'stack outputs', status: 'miss', ...missFrom(e, DEPLOY_HINT) });
  }
  const mode = computeModeOf(cfg, undefined, outputs);
  let compute: EmrCompute | undefined;
  try {
    compute = await loadCompute(mode);
  } catch (e) {
    add({ area: 'emr', name: 'compute mode', status: 'miss', ...missFrom(e) }); // a deploy newer than this runner
  }
  // Named as in the outputs file (input_uri), not as the runner's fields (inputUri).
  const missing = [...COMMON_OUTPUTS, ...(compute?.doctor.outputs ?? [])].filter((k) => !outputs[k]).map((k) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`));
  add({
    area: 'emr', name: 'stack outputs', status: missing.length ? 'miss' : 'ok',
    detail: existsSync(cfg.emr.outputsFile) ? (missing.length ? `${cfg.emr.outputsFile} lacks ${missing.join(', ')}` : `${cfg.emr.outputsFile} (compute ${mode})`) : `${cfg.emr.outputsFile} not found`,
    fix: DEPLOY_HINT,
  });
  const region = regionOf(cfg, outputs);
  const clients = makeAwsClients({ region: region ?? 'us-east-1', endpoint: cfg.emr.endpoint });
  try {
    let credentials = false;
    try {
      // Resolves the default credential chain (env, profile, SSO, IMDS...) without an AWS API call.
      const creds = await withTimeout(clients.emr.config.credentials(), 15_000);
      add({ area: 'emr', name: 'aws credentials', status: 'ok', detail: `access key ${creds.accessKeyId.slice(0, 4)}…` });
      credentials = true;
    } catch (e) {
      add({ area: 'emr', name: 'aws credentials', status: 'miss', detail: oneLine((e as Error).message).slice(0, 160), fix: 'aws configure (or set AWS_PROFILE / AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY)', auth: true });
    }
    // The mode's own checks call AWS: only with credentials. One that fails outright is a miss of its own.
    if (credentials && compute) {
      try {
        (await compute.doctor.checks({ cfg, outputs, region, clients, offline: ctx.offline })).forEach(add);
      } catch (e) {
        add({ area: 'emr', name: `compute ${mode}`, status: 'miss', ...missFrom(e) });
      }
    }
  } finally {
    clients.emr.destroy();
    clients.s3.destroy();
  }
  add(tunnelKeyCheck(cfg.tunnel.key));
  return checks;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`timed out after ${ms / 1000}s resolving AWS credentials`)), ms);
    p.then((v) => (clearTimeout(t), res(v)), (e) => (clearTimeout(t), rej(e)));
  });
}

/** The EMR tunnel's ssh key: present and private to its owner (ssh refuses it otherwise). */
export function tunnelKeyCheck(key: string | undefined): Check {
  const base = { area: 'emr' as const, name: 'tunnel key' };
  if (!key) return { ...base, status: 'skip', detail: 'FRUITS_SSH_KEY / tunnel.key / publicKeyPath not set (needed by `fruits tunnel`)' };
  if (!existsSync(key)) return { ...base, status: 'miss', detail: `${key} not found`, fix: 'set tunnel.key / FRUITS_SSH_KEY (default: publicKeyPath without .pub)' };
  if ((statSync(key).mode & 0o077) !== 0) return { ...base, status: 'miss', detail: `${key} is readable by others`, fix: `ssh refuses keys others can read: chmod 600 ${key}` };
  return { ...base, status: 'ok', detail: key };
}
