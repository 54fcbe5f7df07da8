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

/**
 * Hosts routed through the tunnel (the EMR docs' FoxyProxy list: EC2 public names, private
 * 10.x addresses and *.internal names), as regular expressions anchored on the URL's host.
 * FoxyProxy 8+ matches patterns against the whole URL and unanchored, so the docs' wildcards
 * (`10.*`) would send any URL containing "10." (a query string, a path) through the tunnel.
 */
const HOST_END = '(:\\d+)?/';
export const PROXY_PATTERNS: { title: string; pattern: string }[] = [
  { title: 'EC2 public names (*.amazonaws.com with ec2)', pattern: `^https?://[^/:]*ec2[^/:]*\\.amazonaws\\.com${HOST_END}` },
  { title: 'EC2 public names (*.compute*)', pattern: `^https?://ec2-[^/:]*\\.compute[^/:]*${HOST_END}` },
  { title: 'private 10.x addresses', pattern: `^https?://10(\\.\\d{1,3}){3}${HOST_END}` },
  { title: 'private EC2 names (*.compute.internal)', pattern: `^https?://[^/:]*\\.compute\\.internal${HOST_END}` },
  { title: 'private EC2 names (*.ec2.internal)', pattern: `^https?://[^/:]*\\.ec2\\.internal${HOST_END}` },
];

/** Pure: whether FoxyProxy would send this URL through the tunnel (same test it applies: RegExp, case-insensitive). */
export const routedThroughTunnel = (url: string) => PROXY_PATTERNS.some((p) => new RegExp(p.pattern, 'i').test(url));

export const FOXYPROXY_TITLE = 'emr-socks-proxy';

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
        title: FOXYPROXY_TITLE,
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
        include: PROXY_PATTERNS.map(({ title, pattern }) => ({ type: 'regex', title, pattern, active: true })),
        exclude: [],
        tabProxy: [],
      },
    ],
  };
}

/**
 * Pure: the user's FoxyProxy export with our proxy added (or replacing an older one of the same
 * title), everything else kept: importing it does not lose the proxies they already had.
 */
export function mergeFoxyProxy(existing: unknown, port: number) {
  const ours = foxyProxyConfig(port);
  if (typeof existing !== 'object' || existing === null || !Array.isArray((existing as { data?: unknown }).data)) {
    throw new Error('not a FoxyProxy 8 export (no "data" list of proxies)');
  }
  const ex = existing as { data: { title?: string }[] } & Record<string, unknown>;
  const kept = ex.data.filter((p) => p?.title !== FOXYPROXY_TITLE);
  return { ...ex, mode: ex.mode === 'direct' || ex.mode === undefined ? 'pattern' : ex.mode, data: [...kept, ...ours.data] };
}
