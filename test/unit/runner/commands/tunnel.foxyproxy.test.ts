// runner/commands/tunnel.ts: `fruits tunnel --foxyproxy [--merge]` (anchored patterns, keeping the user's proxies).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeFoxyProxy, routedThroughTunnel } from '../../../../runner/argv/ssh-tunnel.js';
import { EMR_OUTPUTS, inProcessCli, mockedAws } from '../../../helpers/in-process-cli.js';

mockedAws();
const { dir, cli } = inProcessCli(EMR_OUTPUTS, 'fruits-day-');

describe('FoxyProxy', () => {
  test('patterns are anchored on the host: EMR hosts go through the tunnel, other URLs never', () => {
    for (const url of ['http://10.0.1.5:8088/cluster', 'https://ec2-3-250-1-2.eu-west-1.compute.amazonaws.com:9443/hub/', 'http://ip-10-0-1-5.eu-west-1.compute.internal:20888/proxy/app/', 'http://ip-10-0-1-5.ec2.internal:18080/']) {
      expect([url, routedThroughTunnel(url)]).toEqual([url, true]);
    }
    for (const url of ['https://www.example.com/?q=10.1.2.3', 'https://news.example.org/2024/10.5-release', 'https://example.com/redirect?to=http://10.0.0.1/', 'https://s3.amazonaws.com/b/ec2.compute', 'https://10.example.com/']) {
      expect([url, routedThroughTunnel(url)]).toEqual([url, false]);
    }
  });

  test('--merge adds the EMR proxy to the user\'s export and keeps their proxies', async () => {
    const exported = { mode: 'pattern', sync: false, data: [{ title: 'work', type: 'http', hostname: 'proxy.corp', port: '3128', include: [] }, { title: 'emr-socks-proxy', port: '1' }] };
    const file = join(dir, 'foxy-export.json');
    writeFileSync(file, JSON.stringify(exported));
    const r = await cli(['tunnel', '--foxyproxy', '--merge', file, '--port', '8157']);
    expect(r.code).toBe(0);
    const merged = JSON.parse(r.out.results[0]!.human);
    expect(merged.data.map((p: { title: string; port: string }) => `${p.title}:${p.port}`)).toEqual(['work:3128', 'emr-socks-proxy:8157']);
    expect(merged.sync).toBe(false);
    expect(() => mergeFoxyProxy({ proxies: [] }, 8157)).toThrow(/not a FoxyProxy 8 export/);
    expect((await cli(['tunnel', '--merge', file])).code).toBe(2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(exported); // the export itself is untouched
  });
});
