// tunnel: SOCKS proxy to the EMR master for JupyterHub and the cluster web UIs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { foxyProxyConfig, jupyterHubUrl, mergeFoxyProxy, PROXY_PATTERNS, tunnelArgv } from '../argv/ssh-tunnel.js';
import { shJoin } from '../argv/ssh.js';
import { startProcess } from '../platform/process.js';
import { envError, ExitCode, usageError, type ExitCodeValue } from '../../config/errors.js';
import type { RunnerConfig } from '../../config/index.js';
import type { Output } from '../platform/output.js';
import { boolFlag, stringFlag, type CommandHandler } from './handler.js';

export function tunnelKey(cfg: RunnerConfig): string {
  const key = cfg.tunnel.key;
  if (!key) throw usageError('no ssh key for the EMR master', 'pass --key or set FRUITS_SSH_KEY / tunnel.key (the private half of the stack\'s publicKeyPath)');
  if (!existsSync(key)) throw usageError(`ssh key ${key} not found`, 'pass --key or set FRUITS_SSH_KEY / tunnel.key (default: publicKeyPath without .pub)');
  if ((statSync(key).mode & 0o077) !== 0) throw usageError(`ssh key ${key} is readable by others and ssh will refuse it`, `chmod 600 ${key}`);
  return key;
}

export async function openTunnel(cfg: RunnerConfig, masterDns: string, o: { out: Output; dryRun: boolean; signal: AbortSignal }): Promise<ExitCodeValue> {
  const argv = tunnelArgv({ key: tunnelKey(cfg), user: cfg.tunnel.user, masterDns, port: cfg.tunnel.port });
  const jupyterHub = jupyterHubUrl(masterDns);
  // The FoxyProxy pattern that sends this URL through the tunnel (the same test FoxyProxy applies).
  const pattern = PROXY_PATTERNS.find((p) => new RegExp(p.pattern, 'i').test(`${jupyterHub}/`));
  const info = { argv, jupyterHub, jupyterHubPattern: pattern?.pattern ?? null, socksPort: cfg.tunnel.port, foxyProxy: foxyProxyConfig(cfg.tunnel.port) };
  const hub = `JupyterHub: ${jupyterHub} through the SOCKS proxy localhost:${cfg.tunnel.port}` +
    (pattern ? ` (FoxyProxy pattern "${pattern.title}": ${pattern.pattern})` : ' (no FoxyProxy pattern covers this host: set the browser\'s SOCKS proxy by hand)') +
    `; user jovyan, password: fruits notebook password`;
  if (o.dryRun) {
    o.out.result(info, `${shJoin(argv)}\n${hub}`);
    return ExitCode.ok;
  }
  o.out.info(`fruits: SOCKS proxy on localhost:${cfg.tunnel.port} -> ${masterDns} (Ctrl-C to close)`);
  o.out.info(`fruits: ${hub}; FoxyProxy config: fruits tunnel --foxyproxy > foxyproxy.json`);
  const proc = startProcess(argv, { onStderrLine: (l) => o.out.info(l) });
  const stop = () => proc.kill('SIGTERM');
  o.signal.addEventListener('abort', stop, { once: true });
  const r = await proc.done;
  if (o.signal.aborted) return ExitCode.interrupted;
  if (r.spawnError) throw envError('ssh not found', 'install the OpenSSH client', { cause: r.spawnCause });
  if (r.exitCode !== 0) {
    throw envError(`tunnel to ${masterDns} failed (${r.stderrTail.filter(Boolean).pop() ?? `ssh exit ${r.exitCode}`}): check the key, that your IP may reach port 22, and that port ${cfg.tunnel.port} is free`);
  }
  return ExitCode.ok;
}

/** `fruits tunnel`: a FoxyProxy file (--foxyproxy [--merge]) or the SOCKS tunnel to the master. */
export async function tunnelCommand(cfg: RunnerConfig, out: Output, o: { dryRun: boolean; foxyproxy: boolean; merge?: string; signal: AbortSignal }) {
  if (o.merge !== undefined && !o.foxyproxy) throw usageError('--merge goes with --foxyproxy', 'fruits tunnel --foxyproxy --merge <your FoxyProxy export>.json');
  if (o.foxyproxy) {
    let c: unknown = foxyProxyConfig(cfg.tunnel.port);
    if (o.merge !== undefined) {
      let existing: unknown;
      try {
        existing = JSON.parse(readFileSync(o.merge, 'utf8'));
      } catch (e) {
        throw usageError(`cannot read the FoxyProxy export ${o.merge} (${(e as Error).message.split('\n')[0]})`, 'export it from FoxyProxy (Options > Export) and pass that file', { cause: e });
      }
      try {
        c = mergeFoxyProxy(existing, cfg.tunnel.port);
      } catch (e) {
        throw usageError(`${o.merge} is ${(e as Error).message}`, 'pass the JSON file FoxyProxy 8 exports (Options > Export)', { cause: e });
      }
    }
    out.result(c, JSON.stringify(c, null, 2));
    return ExitCode.ok;
  }
  return openTunnel(cfg, await masterDnsFor(cfg), { out, dryRun: o.dryRun, signal: o.signal });
}

/** The master's public DNS: tunnel.masterDns, the stack outputs, or DescribeCluster. */
export async function masterDnsFor(cfg: RunnerConfig): Promise<string> {
  const { readStackOutputs, DEPLOY_HINT } = await import('../aws/stack-outputs.js');
  const outputs = readStackOutputs(cfg.emr.outputsFile, cfg.emr.stack);
  let masterDns = cfg.tunnel.masterDns ?? (cfg.emr.clusterId ? undefined : outputs.masterPublicDns);
  if (!masterDns) {
    const { resolveEmrSettings, clientsFor } = await import('../aws/emr-settings.js');
    const { describeClusterBrief } = await import('../aws/cluster-info.js');
    const s = resolveEmrSettings(cfg, outputs);
    masterDns = (await describeClusterBrief(clientsFor(cfg, s).emr, s.clusterId)).masterDns;
    if (!masterDns) throw usageError(`cluster ${s.clusterId} has no master DNS yet (still starting or terminated)`, `wait, or ${DEPLOY_HINT}`);
  }
  return masterDns;
}

/** `fruits tunnel` (command table handler). */
export const handle: CommandHandler = (c) => tunnelCommand(c.cfg, c.out, { dryRun: c.dryRun, foxyproxy: boolFlag(c, 'foxyproxy'), merge: stringFlag(c, 'merge'), signal: c.signal });
