// tunnel: SOCKS proxy to the EMR master for JupyterHub and the cluster web UIs.
import { existsSync, statSync } from 'node:fs';
import { foxyProxyConfig, jupyterHubUrl, tunnelArgv } from '../argv/ssh-tunnel.js';
import { shJoin } from '../argv/ssh.js';
import { startProcess } from '../platform/process.js';
import { envError, ExitCode, usageError, type ExitCodeValue } from '../platform/errors.js';
import type { RunnerConfig } from '../config.js';
import type { Output } from '../platform/output.js';

export function tunnelKey(cfg: RunnerConfig): string {
  const key = cfg.tunnel.key;
  if (!key) throw usageError('no ssh key for the EMR master', 'pass --key or set FRUITS_SSH_KEY / tunnel.key (the private half of the stack\'s publicKeyPath)');
  if (!existsSync(key)) throw usageError(`ssh key ${key} not found`, 'pass --key or set FRUITS_SSH_KEY / tunnel.key (default: publicKeyPath without .pub)');
  if ((statSync(key).mode & 0o077) !== 0) throw usageError(`ssh key ${key} is readable by others and ssh will refuse it`, `chmod 600 ${key}`);
  return key;
}

export async function openTunnel(cfg: RunnerConfig, masterDns: string, o: { out: Output; dryRun: boolean; signal: AbortSignal }): Promise<ExitCodeValue> {
  const argv = tunnelArgv({ key: tunnelKey(cfg), user: cfg.tunnel.user, masterDns, port: cfg.tunnel.port });
  const info = { argv, jupyterHub: jupyterHubUrl(masterDns), socksPort: cfg.tunnel.port, foxyProxy: foxyProxyConfig(cfg.tunnel.port) };
  if (o.dryRun) {
    o.out.result(info, `${shJoin(argv)}\nJupyterHub: ${info.jupyterHub}`);
    return ExitCode.ok;
  }
  o.out.info(`fruits: SOCKS proxy on localhost:${cfg.tunnel.port} -> ${masterDns} (Ctrl-C to close)`);
  o.out.info(`fruits: JupyterHub: ${info.jupyterHub} (browser through the proxy; FoxyProxy config: fruits tunnel --foxyproxy > foxyproxy.json)`);
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
