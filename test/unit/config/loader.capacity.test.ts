// config/: the compute mode, the capacity section (instance fleets, Spot, managed scaling) and the idle timeout default.
import { ConfigError, type Env, resolveConfig as resolveAll } from '../../../config/index.js';
import { OPERATOR_CIDR } from '../../helpers/stacks.js';

const REQUIRED = { operatorCidr: OPERATOR_CIDR, publicKeyPath: '~/.ssh/fruits.pub' };
const resolve = (file: Record<string, unknown> = {}, env: Env = {}) => resolveAll({ file: { ...REQUIRED, ...file }, env });

function oneLineError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('compute', () => {
  test('cluster is the default; transient is accepted', () => {
    expect(resolve().compute).toBe('cluster');
    expect(resolve({ compute: 'transient' }).compute).toBe('transient');
    expect(resolve({}, { FRUITS_COMPUTE: 'transient' }).compute).toBe('transient');
  });

  test('serverless is a mode of its own (docs/serverless.md); an unknown mode names the three', () => {
    expect(resolve({ compute: 'serverless' }).compute).toBe('serverless');
    expect(oneLineError(() => resolve({ compute: 'lambda' }))).toMatch(/^"compute" in fruits.config.json .*cluster.*transient.*serverless/);
  });
});

describe('capacity', () => {
  test('master and core fleets default to the single instance types; the task list has four x86 types', () => {
    const c = resolve({ masterInstanceType: 'm5.2xlarge', coreInstanceType: 'r5.xlarge' });
    expect(c.capacity).toMatchObject({ masterTypes: ['m5.2xlarge'], coreTypes: ['r5.xlarge'], taskSpotUnits: 0, maxTaskUnits: 0 });
    expect(c.capacity.taskTypes).toEqual(['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge']);
  });

  test('lists come from the file or, comma-separated, from the environment', () => {
    const c = resolve({ capacity: { coreTypes: ['m5.xlarge', 'm6i.xlarge'] } }, { FRUITS_CAPACITY_TASK_TYPES: 'm5.xlarge, m5a.xlarge', FRUITS_CAPACITY_TASK_SPOT_UNITS: '3' });
    expect(c.capacity.coreTypes).toEqual(['m5.xlarge', 'm6i.xlarge']);
    expect(c.capacity.taskTypes).toEqual(['m5.xlarge', 'm5a.xlarge']);
    expect(c.capacity.taskSpotUnits).toBe(3);
  });

  test.each([
    [{ capacity: { taskTypes: ['m6g.xlarge'] } }, /"capacity.taskTypes" in fruits.config.json "m6g.xlarge" is an arm64 \(Graviton\) type; the pinned tensorflow-cpu/],
    [{ capacity: { coreTypes: ['m5.xlarge', 'r7g.xlarge'] } }, /"capacity.coreTypes" .*Graviton/],
    [{ capacity: { masterTypes: ['t3.large'] } }, /"capacity.masterTypes" .*burstable/],
    [{ capacity: { taskTypes: ['m5.xlarge', 'm5.xlarge'] } }, /lists "m5.xlarge" twice/],
    [{ capacity: { taskTypes: [] } }, /"capacity.taskTypes" .*must be a list of 1 to 30 names/],
    [
      { capacity: { allocationStrategy: false, coreTypes: ['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge', 'm5.2xlarge', 'm6i.2xlarge'] } },
      /"capacity.coreTypes" .*lists 6 instance types; EMR accepts at most 5 per fleet without an allocation strategy; keep 5 or fewer, or set capacity.allocationStrategy=true/,
    ],
    [{ capacity: { masterSpotUnits: 1 } }, /"capacity.masterSpotUnits" in fruits.config.json Spot master capacity is refused: a reclaimed master ends the cluster/],
    [{ capacity: { coreSpotUnits: 2 } }, /"capacity.coreSpotUnits" .*Spot core capacity is refused.*capacity.taskSpotUnits/],
    [{ capacity: { taskSpotUnits: 2, maxTaskUnits: 1 } }, /"capacity.maxTaskUnits" .*1 is below capacity.taskSpotUnits \(2\)/],
    [{ capacity: { maxTaskUnits: 4 } }, /"capacity.maxTaskUnits" .*scales task capacity only, and there is no task fleet/],
    [{ releaseLabel: 'emr-7.1.0', capacity: { taskSpotUnits: 2 } }, /"capacity.taskSpotUnits" .*needs emr-7.2.0 or later \(YARN node labels/],
    [{ coreInstanceType: 'm5.xlarge', capacity: { coreTypes: ['m5.xlarge'] } }, /"capacity.coreTypes" in fruits.config.json and "coreInstanceType" in fruits.config.json are both set/],
  ])('refuses %j in one line', (file, pattern) => {
    expect(oneLineError(() => resolve(file))).toMatch(pattern);
  });

  test.each(['transient', 'serverless'])('JupyterHub with compute %s is refused in one line (no long-lived cluster to run it on)', (compute) => {
    expect(oneLineError(() => resolve({ compute, jupyterHub: true }))).toMatch(new RegExp(`"jupyterHub" in fruits.config.json is true, but compute "${compute}" has no long-lived cluster.*set jupyterHub to false, or compute to "cluster"`));
  });

  test('six types are fine with an allocation strategy (EMR allows 30)', () => {
    const six = ['m5.xlarge', 'm5a.xlarge', 'm6i.xlarge', 'm6a.xlarge', 'm5.2xlarge', 'm6i.2xlarge'];
    expect(resolve({ capacity: { coreTypes: six } }).capacity.coreTypes).toEqual(six);
    // The Spot fleet always has one (price-capacity-optimized).
    expect(resolve({ capacity: { allocationStrategy: false, taskTypes: six } }).capacity.taskTypes).toEqual(six);
  });
});

describe('idle timeout default', () => {
  test('20 minutes, 60 with JupyterHub (a notebook reader runs no Spark job), an explicit value wins', () => {
    expect(resolve().idleTimeoutMinutes).toBe(20);
    expect(resolve({ jupyterHub: true }).idleTimeoutMinutes).toBe(60);
    expect(resolve({ jupyterHub: true, idleTimeoutMinutes: 30 }).idleTimeoutMinutes).toBe(30);
  });
});
