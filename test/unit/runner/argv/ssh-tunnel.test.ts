// runner/argv/ssh-tunnel.ts: the pure SOCKS tunnel argv, JupyterHub URL and FoxyProxy settings.
import { foxyProxyConfig, jupyterHubUrl, tunnelArgv } from '../../../../runner/argv/ssh-tunnel.js';

describe('tunnel builders', () => {
  test('dynamic forward to the master and the JupyterHub URL', () => {
    expect(tunnelArgv({ key: '/k.pem', user: 'hadoop', masterDns: 'ec2-1.compute.amazonaws.com', port: 8157 })).toEqual([
      'ssh', '-i', '/k.pem', '-N', '-D', '8157', '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=30', '-o', 'IdentitiesOnly=yes', 'hadoop@ec2-1.compute.amazonaws.com',
    ]);
    expect(jupyterHubUrl('m.example')).toBe('https://m.example:9443');
  });

  test('FoxyProxy config routes EMR hosts to the SOCKS port', () => {
    const c = foxyProxyConfig(8157);
    expect(c.data[0]).toMatchObject({ type: 'socks5', hostname: 'localhost', port: '8157', proxyDNS: true });
    expect(c.data[0]!.include.every((i) => i.type === 'regex' && i.pattern.startsWith('^https?://'))).toBe(true); // anchored (FoxyProxy 8 matches whole URLs)
  });
});
