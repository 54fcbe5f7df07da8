// Preflight checks: what each target needs, and how to fix each miss.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { capture } from '../platform/process.js';
import { findJava, findPython, findSparkSubmit, JAVA_HINT, which } from '../platform/discover.js';
import { makeAwsClients } from '../aws/clients.js';
import { describeClusterBrief } from '../aws/cluster-info.js';
import { shQuote, sshArgv } from '../argv/ssh.js';
import type { RunnerConfig } from '../../config/index.js';
import { isStructuredError, oneLine } from '../../config/errors.js';
import { computeModeOf, DEPLOY_HINT, readStackOutputs } from '../aws/stack-outputs.js';
import { vmSshTarget } from '../platform/vm-ssh.js';
import { vmwareChecks } from '../vm/checks.js';
import { isSupportedNode, supportedNodeRange } from '../platform/node-version.js';
import { boolFlag, stringFlag, type CommandHandler } from './handler.js';
import { targetEntry, targetNames } from '../targets/registry.js';

export type Area = 'local' | 'vm' | 'emr';
export interface Check {
  area: Area | 'common';
  name: string;
  status: 'ok' | 'miss' | 'skip';
  detail: string;
  fix?: string;
  /** A miss caused by AWS credentials/permissions (exit 4 rather than 3). */
  auth?: boolean;
}

/** Pure: `name==version` pins of a requirements file. */
export function parsePins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)/.exec(raw);
    if (m) pins.set(m[1]!.toLowerCase(), m[2]!);
  }
  return pins;
}

/**
 * Pure: the detail and fix of a check that failed with error e, from its fields (any
 * structured error: FruitsError, ConfigError); `fallbackFix` when it names none.
 */
export function missFrom(e: unknown, fallbackFix?: string): { detail: string; fix?: string } {
  if (isStructuredError(e)) return { detail: oneLine(e.problem), fix: e.fix ?? fallbackFix };
  return { detail: oneLine(String((e as Error)?.message ?? e)), fix: fallbackFix };
}

/** Pure: doctor exit code: 0 all good, 4 if only AWS auth misses, else 3. */
export function doctorExit(checks: Check[]): 0 | 3 | 4 {
  const misses = checks.filter((c) => c.status === 'miss');
  if (!misses.length) return 0;
  return misses.every((c) => c.auth) ? 4 : 3;
}

export const formatChecks = (checks: Check[]) =>
  checks
    .map((c) => `${c.status === 'ok' ? 'ok  ' : c.status === 'skip' ? 'skip' : 'MISS'} ${`[${c.area}] ${c.name}`.padEnd(28)} ${c.detail}${c.fix && c.status === 'miss' ? `\n     fix: ${c.fix}` : ''}`)
    .join('\n');

// Prints {name: installed version | null} for the names given as arguments.
const PY_PROBE = `import json, sys, importlib.metadata as m
out = {}
for d in sys.argv[1:]:
    try: out[d] = m.version(d)
    except Exception: out[d] = None
print(json.dumps(out))`;

/** Pure: pinned packages whose installed version differs (or is missing). */
export function pinMismatches(pins: Map<string, string>, installed: Record<string, string | null>): string[] {
  return [...pins].filter(([name, want]) => installed[name] !== want).map(([name, want]) => `${name} ${installed[name] ?? 'missing'} (pinned ${want})`);
}

export async function runDoctor(cfg: RunnerConfig, o: { root: string; offline: boolean; areas: Area[] }): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const want = (a: Area) => o.areas.includes(a);

  add({ area: 'common', name: 'node', status: isSupportedNode(process.versions.node) ? 'ok' : 'miss', detail: `${process.version} (supported: ${supportedNodeRange()})`, fix: 'install Node.js 24 LTS or 22.19+ (meanwhile scripts/setup.sh runs tests and the demo on pinned builds)' });
  const jobOk = existsSync(join(cfg.jobDir, 'run_job.py')) && existsSync(join(cfg.jobDir, 'fruits_job'));
  add({ area: 'common', name: 'job files', status: jobOk ? 'ok' : 'miss', detail: cfg.jobDir, fix: 'run from a full checkout or set FRUITS_JOB_DIR' });

  if (want('local')) {
    const java = findJava();
    if (java) {
      const v = await capture([java, '-version']);
      add({ area: 'local', name: 'java', status: v.exitCode === 0 ? 'ok' : 'miss', detail: oneLine(v.stderr.split('\n')[0] ?? java), fix: JAVA_HINT });
    } else add({ area: 'local', name: 'java', status: 'miss', detail: 'not found', fix: JAVA_HINT });
    let python: string | undefined;
    try {
      python = findPython(cfg.local.python, o.root);
      add({ area: 'local', name: 'python', status: 'ok', detail: python });
    } catch (e) {
      add({ area: 'local', name: 'python', status: 'miss', ...missFrom(e, 'python3.11 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt') });
    }
    if (python) {
      try {
        add({ area: 'local', name: 'spark-submit', status: 'ok', detail: await findSparkSubmit(cfg.local.sparkSubmit, python) });
      } catch (e) {
        add({ area: 'local', name: 'spark-submit', status: 'miss', ...missFrom(e) });
      }
      const reqFile = join(o.root, 'requirements.txt');
      const pins = existsSync(reqFile) ? parsePins(readFileSync(reqFile, 'utf8')) : new Map<string, string>();
      const r = await capture([python, '-c', PY_PROBE, ...pins.keys()]);
      const installed = r.exitCode === 0 ? (JSON.parse(r.stdout.trim() || '{}') as Record<string, string | null>) : {};
      const bad = pinMismatches(pins, installed);
      add({
        area: 'local', name: 'python packages', status: bad.length ? 'miss' : 'ok',
        detail: bad.length ? `${bad.length} differ from requirements.txt: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}` : `${pins.size} pinned packages match requirements.txt`,
        fix: `${python} -m pip install -r ${reqFile}`,
      });
    }
  }

  if (want('vm') || want('emr')) {
    const ssh = which('ssh');
    add({ area: 'common', name: 'ssh client', status: ssh && which('scp') ? 'ok' : 'miss', detail: ssh ?? 'not found', fix: 'apt-get install openssh-client' });
  }

  if (want('vm')) {
    const vmware = await vmwareChecks(cfg, o.offline);
    vmware.checks.forEach(add);
    if (!cfg.vm.host && !vmware.address) add({ area: 'vm', name: 'vm config', status: 'skip', detail: cfg.vm.vmx ? 'no address yet (the VM is not running or VMware Tools has not reported it)' : 'vm.host / vm.vmx not set (set FRUITS_VM_HOST or FRUITS_VM_VMX to check the VM)' });
    else {
      try {
        const t = vmSshTarget(cfg, vmware.address);
        add({ area: 'vm', name: 'vm config', status: 'ok', detail: `${t.user}@${t.host}:${t.port}${t.key ? ` key ${t.key}` : ''}` });
        if (o.offline) add({ area: 'vm', name: 'vm reachable', status: 'skip', detail: '--offline' });
        else {
          const r = await capture(sshArgv(t, `test -x ${shQuote(cfg.vm.sparkSubmit)} && echo spark-ok; ${shQuote(cfg.vm.python)} -c 'import pyspark; print(pyspark.__version__)'`), { timeoutMs: 60_000 });
          if (r.exitCode === 255) add({ area: 'vm', name: 'vm reachable', status: 'miss', detail: oneLine(r.stderr.split('\n').filter(Boolean).pop() ?? 'ssh failed'), fix: 'start the VM, check vm.host/port/user/key and the VM firewall' });
          else {
            add({ area: 'vm', name: 'vm reachable', status: 'ok', detail: 'ssh ok' });
            const sparkOk = r.stdout.includes('spark-ok');
            add({ area: 'vm', name: 'vm spark', status: sparkOk ? 'ok' : 'miss', detail: sparkOk ? `${cfg.vm.sparkSubmit}, pyspark ${r.stdout.split('\n')[1] ?? '?'}` : `${cfg.vm.sparkSubmit} missing`, fix: 'run `fruits vm-setup` (copies bootstrap/vm-setup.sh, its Python installer and requirements.txt to the VM and runs it with sudo)' });
          }
        }
      } catch (e) {
        add({ area: 'vm', name: 'vm config', status: 'miss', ...missFrom(e) });
      }
    }
  }

  if (want('emr')) {
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
      if (serverless) add(await applicationCheck(cfg, outputs.serverlessApplicationId, region, o.offline));
      else if (o.offline) add({ area: 'emr', name: 'cluster', status: 'skip', detail: '--offline' });
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
  }
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

/** `fruits doctor [--target <name>]` (command table handler). */
export const handle: CommandHandler = async (c) => {
  const target = stringFlag(c, 'target');
  const areas = (target !== undefined ? [targetEntry(target, '--target').name] : targetNames()) as Area[];
  const checks = await runDoctor(c.cfg, { root: c.root, offline: boolFlag(c, 'offline'), areas });
  const code = doctorExit(checks);
  c.out.result({ ok: code === 0, exitCode: code, checks }, formatChecks(checks) + (code === 0 ? '\nall checks passed' : '\nsome checks failed: see the fix lines above'));
  return code;
};
