// Pure builders for the SOCKS tunnel to the EMR master and the browser proxy config.

export interface TunnelSpec {
  key: string;
  user: string;
  masterDns: string;
  port: number;
}

export function tunnelArgv(t: TunnelSpec): string[] {
  return [
    'ssh', '-i', t.key, '-N', '-D', String(t.port),
    '-o', 'ExitOnForwardFailure=yes', '-o', 'ServerAliveInterval=30', '-o', 'IdentitiesOnly=yes',
    `${t.user}@${t.masterDns}`,
  ];
}

export const jupyterHubUrl = (masterDns: string) => `https://${masterDns}:9443`;

/** URL patterns routed through the tunnel (from the EMR docs on FoxyProxy). */
export const PROXY_PATTERNS = ['*ec2*.amazonaws.com*', '*ec2*.compute*', '10.*', '*10*.amazonaws.com*', '*10*.compute*', '*.compute.internal*', '*.ec2.internal*'];

/** FoxyProxy (v8+) JSON import: one SOCKS5 proxy on localhost:<port>, only for EMR hosts. */
export function foxyProxyConfig(port: number) {
  return {
    mode: 'pattern',
    sync: false,
    autoBackup: false,
    passthrough: '',
    theme: '',
    container: {},
    commands: {},
    data: [
      {
        active: true,
        title: 'emr-socks-proxy',
        type: 'socks5',
        hostname: 'localhost',
        port: String(port),
        username: '',
        password: '',
        cc: '',
        city: '',
        color: '#ff9900',
        pac: '',
        pacString: '',
        proxyDNS: true,
        include: PROXY_PATTERNS.map((pattern) => ({ type: 'wildcard', title: pattern, pattern, active: true })),
        exclude: [],
        tabProxy: [],
      },
    ],
  };
}
