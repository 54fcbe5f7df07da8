// The supported Node lines are stated in three places (package.json engines, the pinned builds
// and the check in scripts/node-toolchain.sh, this module); these tests fail when they drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSupportedNode, supportedNodeRange, SUPPORTED_NODE_FLOORS } from '../../../../runner/platform/node-version.js';
import { ROOT } from '../../../helpers/runner.js';

const toolchain = readFileSync(join(ROOT, 'scripts', 'node-toolchain.sh'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; devDependencies: Record<string, string> };
/** "version platform sha512-..." lines of the PINS block. */
const pins = [...toolchain.matchAll(/^(\d+\.\d+\.\d+) (linux-x64|linux-arm64) (sha512-[A-Za-z0-9+/]{86}==)$/gm)].map((m) => ({ version: m[1]!, platform: m[2]! }));

test('supported: 22.19+ and 24.11+; not 20 (end of life), not below a floor, not an untested line', () => {
  for (const v of ['22.19.0', 'v22.23.5', '24.11.0', '24.22.3']) expect([v, isSupportedNode(v)]).toEqual([v, true]);
  for (const v of ['20.20.2', 'v20.19.0', '22.18.9', '24.10.0', '23.11.0', '26.12.1', 'garbage']) expect([v, isSupportedNode(v)]).toEqual([v, false]);
});

test('package.json engines is the range the floors mean', () => {
  expect(pkg.engines.node).toBe(supportedNodeRange());
  expect(pkg.engines.node).toBe('^22.19.0 || ^24.11.0');
});

test('node-toolchain.sh checks the same floors and pins one supported build of each line per platform', () => {
  const check = Object.entries(SUPPORTED_NODE_FLOORS).map(([major, minor]) => `(a===${major}&&b>=${minor})`).join('||');
  expect(toolchain).toContain(check);
  for (const platform of ['linux-x64', 'linux-arm64']) {
    const majors = pins.filter((p) => p.platform === platform).map((p) => Number(p.version.split('.')[0])).sort();
    expect([platform, majors]).toEqual([platform, Object.keys(SUPPORTED_NODE_FLOORS).map(Number)]);
  }
  for (const p of pins) expect([p.version, isSupportedNode(p.version)]).toEqual([p.version, true]);
  // Both platforms pin the same version of a line, so a test result means the same build everywhere.
  expect(new Set(pins.map((p) => p.version)).size).toBe(Object.keys(SUPPORTED_NODE_FLOORS).length);
});

test('@types/node matches the oldest supported line, so code cannot use an API that line lacks', () => {
  const oldest = Math.min(...Object.keys(SUPPORTED_NODE_FLOORS).map(Number));
  expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^?${oldest}\\.`));
});
