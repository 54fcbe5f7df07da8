// The Node.js lines this repository supports, in one place: package.json "engines" and
// scripts/node-toolchain.sh state the same floors (a unit test pins the three together).
// 22.19 is the floor of cdktf's successor (CDK Terrain); 24.11 is Node 24's first LTS release.
export const SUPPORTED_NODE_FLOORS: Readonly<Record<number, number>> = { 22: 19, 24: 11 };

/** The engines range these floors mean, e.g. "^22.19.0 || ^24.11.0". */
export function supportedNodeRange(): string {
  return Object.entries(SUPPORTED_NODE_FLOORS).map(([major, minor]) => `^${major}.${minor}.0`).join(' || ');
}

/** True for a version ("24.22.3" or "v24.22.3") on a supported line at or above its floor. */
export function isSupportedNode(version: string): boolean {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  const floor = SUPPORTED_NODE_FLOORS[major ?? NaN];
  return floor !== undefined && minor !== undefined && minor >= floor;
}
