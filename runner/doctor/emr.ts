// doctor's checks of the emr target (targets/emr.ts): the stack outputs the deployed compute mode
// needs, AWS credentials, the cluster or the serverless application, and the tunnel's ssh key.
import { existsSync, statSync } from 'node:fs';
import type { RunnerConfig } from '../../config/index.js';
import { isStructuredError, oneLine } from '../../config/errors.js';
import { makeAwsClients } from '../aws/clients.js';
import { describeClusterBrief } from '../aws/cluster-info.js';
import { computeModeOf, DEPLOY_HINT, readStackOutputs } from '../aws/stack-outputs.js';
import { missFrom, sshClientCheck, type Check, type DoctorContext } from './check.js';

export async function emrChecks(cfg: RunnerConfig, ctx: DoctorContext): Promise<Check[]> {
  const checks: Check[] = [sshClientCheck()];
  const add = (c: Check) => checks.push(c);
  let outputs: ReturnType<typeof readStackOutputs> = {};
  try {
    outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  } catch (e) {
    add({ area: 'emr', name: 'stack outputs', status: 'miss', ...missFrom(e, DEPLOY_HINT) });
  }
  // What the deployed compute mode needs (targets/emr-compute.ts): a cluster id, a run's cluster settings, or the application.
  const mode = computeModeOf(cfg, undefined, outputs);
  const transient = mode === 'transient'; // each run creates its cluster: no cluster_id
  const serverless = mode === 'serverless';
  // A serverless stack logs job runs under serverless_log_uri and has no cluster log_uri.
  const needed = ['region', 'inputUri', 'resultsUri', 'codeUri',
    ...(serverless ? (['serverlessApplicationId', 'serverlessJobRoleArn', 'serverlessLogUri'] as const) : (['logUri', ...(transient ? [] : ['clusterId'] as const)] as const))] as const;
  // Named as in the outputs file (input_uri), not as the runner's fields (inputUri).
  const missing = needed.filter((k) => !outputs[k]).map((k) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`));
  add({
    area: 'emr', name: 'stack outputs', status: missing.length ? 'miss' : 'ok',
    detail: existsSync(cfg.emr.outputsFile) ? (missing.length ? `${cfg.emr.outputsFile} lacks ${missing.join(', ')}` : `${cfg.emr.outputsFile} (compute ${mode})`) : `${cfg.emr.outputsFile} not found`,
    fix: DEPLOY_HINT,
  });
  const region = cfg.emr.region ?? outputs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const clients = makeAwsClients({ region: region ?? 'us-east-1', endpoint: cfg.emr.endpoint });
  try {
    // Resolves the default credential chain (env, profile, SSO, IMDS...) without an AWS API call.
    const creds = await withTimeout(clients.emr.config.credentials(), 15_000);
    add({ area: 'emr', name: 'aws credentials', status: 'ok', detail: `access key ${creds.accessKeyId.slice(0, 4)}…` });
    const clusterId = cfg.emr.clusterId ?? outputs.clusterId;
    if (serverless) add(await applicationCheck(cfg, outputs.serverlessApplicationId, region, ctx.offline));
    else if (ctx.offline) add({ area: 'emr', name: 'cluster', status: 'skip', detail: '--offline' });
    else if (!clusterId) add({ area: 'emr', name: 'cluster', status: 'skip', detail: transient ? 'compute transient: each run creates its cluster' : 'no cluster id' });
    else {
      try {
        const c = await describeClusterBrief(clients.emr, clusterId);
        const usable = ['STARTING', 'BOOTSTRAPPING', 'RUNNING', 'WAITING'].includes(c.state ?? '');
        add({ area: 'emr', name: 'cluster', status: usable ? 'ok' : 'miss', detail: `${clusterId} ${c.state}`, fix: DEPLOY_HINT });
      } catch (e) {
        const auth = isStructuredError(e) && e.exitCode === 4;
        const permissions = 'check AWS_PROFILE / permissions (elasticmapreduce:DescribeCluster)';
        add({ area: 'emr', name: 'cluster', status: 'miss', ...missFrom(e, permissions), ...(auth ? { fix: permissions } : {}), auth });
      }
    }
  } catch (e) {
    add({ area: 'emr', name: 'aws credentials', status: 'miss', detail: oneLine((e as Error).message).slice(0, 160), fix: 'aws configure (or set AWS_PROFILE / AWS_ACCESS_KEY_ID+AWS_SECRET_ACCESS_KEY)', auth: true });
  } finally {
    clients.emr.destroy();
    clients.s3.destroy();
  }
  add(tunnelKeyCheck(cfg.tunnel.key));
  return checks;
}

/** compute "serverless": the application exists and runs the job image (GetApplication). */
async function applicationCheck(cfg: RunnerConfig, applicationId: string | undefined, region: string | undefined, offline: boolean): Promise<Check> {
  const base = { area: 'emr' as const, name: 'serverless application' };
  if (offline) return { ...base, status: 'skip', detail: '--offline' };
  if (!applicationId) return { ...base, status: 'skip', detail: 'no serverless_application_id output' };
  const { EMRServerlessClient } = await import('@aws-sdk/client-emr-serverless');
  const { checkApplication } = await import('../aws/serverless-app.js');
  const client = new EMRServerlessClient({ region: region ?? 'us-east-1', ...(cfg.emr.endpoint ? { endpoint: cfg.emr.endpoint } : {}) });
  try {
    const app = await checkApplication(client, applicationId);
    return { ...base, status: 'ok', detail: `${applicationId} ${app.state} (${app.imageConfiguration?.imageUri})` };
  } catch (e) {
    const auth = isStructuredError(e) && e.exitCode === 4;
    return { ...base, status: 'miss', ...missFrom(e, 'check AWS_PROFILE / permissions (emr-serverless:GetApplication)'), auth };
  } finally {
    client.destroy();
  }
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
