// runner/aws/stack-outputs.ts: reading cdktf-outputs.json (both key styles, missing or broken files).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStackOutputs, readStackOutputs, regionOf, requireRegion } from '../../../../runner/aws/stack-outputs.js';
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

  test('the region of the EMR commands: emr.region, else the outputs\', else AWS_REGION, else AWS_DEFAULT_REGION; none is one usage line', () => {
    const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
    try {
      process.env.AWS_REGION = 'eu-west-2';
      process.env.AWS_DEFAULT_REGION = 'eu-west-3';
      expect(regionOf({ emr: { region: 'us-west-2' } } as never, { region: 'eu-west-1' })).toBe('us-west-2');
      expect(regionOf({ emr: {} } as never, { region: 'eu-west-1' })).toBe('eu-west-1');
      expect(regionOf({ emr: {} } as never, {})).toBe('eu-west-2');
      delete process.env.AWS_REGION;
      expect(regionOf({ emr: {} } as never, {})).toBe('eu-west-3');
      delete process.env.AWS_DEFAULT_REGION;
      expect(regionOf({ emr: {} } as never, {})).toBeUndefined();
      expect(requireRegion('eu-west-1')).toBe('eu-west-1');
      expect(() => requireRegion(undefined)).toThrow(expect.objectContaining({ problem: 'no AWS region', exitCode: 2 }));
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });
});
