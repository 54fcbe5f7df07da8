// runner/aws/stack-outputs.ts: reading cdktf-outputs.json (both key styles, missing or broken files).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStackOutputs, readStackOutputs } from '../../../../runner/aws/stack-outputs.js';
import { mktemp } from '../../../helpers/runner.js';

describe('stack outputs', () => {
  test('snake_case and camelCase keys both work', () => {
    const snake = parseStackOutputs({ 'fruits-emr': { cluster_id: 'j-1', region: 'eu-west-1', code_uri: 's3://a/code/', master_public_dns: 'm' } });
    const camel = parseStackOutputs({ 'fruits-emr': { clusterId: 'j-1', region: 'eu-west-1', codeUri: 's3://a/code/', masterPublicDns: 'm' } });
    expect(snake).toEqual({ clusterId: 'j-1', region: 'eu-west-1', codeUri: 's3://a/code/', masterPublicDns: 'm' });
    expect(camel).toEqual(snake);
    expect(parseStackOutputs({ fruitsEmr: { log_uri: { value: 's3://l/' } } }).logUri).toBe('s3://l/');
    expect(parseStackOutputs({ other: { cluster_id: 'j-2' } })).toEqual({});
  });

  test('missing file is empty; broken file is a usage error', () => {
    const dir = mktemp('fruits-out-');
    expect(readStackOutputs(join(dir, 'none.json'))).toEqual({});
    writeFileSync(join(dir, 'o.json'), 'x');
    expect(() => readStackOutputs(join(dir, 'o.json'))).toThrow(/cannot parse stack outputs/);
  });
});
