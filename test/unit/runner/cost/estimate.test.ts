// runner/cost/: the price table and the pure estimator behind the cost line and README's cost table.
import { costLine, estimateCost, estimatePlanCost, printCostLine } from '../../../../runner/cost/estimate.js';
import { capacityPlan } from '../../../../stacks/capacity.js';
import { INSTANCE_PRICES, SPOT_FRACTION } from '../../../../runner/cost/prices.js';
import { resolveConfig } from '../../../../config/index.js';

const config = (file: Record<string, unknown> = {}) => resolveConfig({ file, env: {} });
const EBS_HOURLY = (96 * 0.08) / 730 + 0.005; // volumes + public IPv4 per node

describe('estimateCost', () => {
  test('per hour: each node at EC2 + EMR list price + its gp3 volumes', () => {
    const node = INSTANCE_PRICES['m5.xlarge']!.ec2 + INSTANCE_PRICES['m5.xlarge']!.emr + EBS_HOURLY;
    expect(estimateCost(config()).perHour).toBeCloseTo(3 * node, 6);
  });

  test('per run: cluster pays boot + job + idle timeout, transient boot + job + shutdown', () => {
    const cluster = estimateCost(config({ idleTimeoutMinutes: 60 }));
    expect(cluster.runMinutes).toBe(12 + 10 + 60);
    expect(cluster.perRun).toBeCloseTo((cluster.perHour * 82) / 60, 6);
    const transient = estimateCost(config({ compute: 'transient' }));
    expect(transient.runMinutes).toBe(12 + 10 + 2);
    expect(transient.perRun).toBeLessThan(cluster.perRun / 3);
  });

  test('Spot task nodes at the assumed Spot fraction of EC2, full EMR fee; a fleet costs its cheapest type', () => {
    const base = estimateCost(config({ compute: 'transient' })).perHour;
    const withSpot = estimateCost(config({ compute: 'transient', capacity: { taskSpotUnits: 2, taskTypes: ['m5.xlarge', 'm5a.xlarge'] } })).perHour;
    const m5a = INSTANCE_PRICES['m5a.xlarge']!;
    expect(withSpot - base).toBeCloseTo(2 * (m5a.ec2 * SPOT_FRACTION + m5a.emr + EBS_HOURLY), 6);
  });

  test('types without a list price are named instead of guessed; other regions get a note', () => {
    expect(costLine(config({ capacity: { coreTypes: ['c5.9xlarge'] } }))).toBe(
      'fruits: cost: no list price for c5.9xlarge in runner/cost/prices.ts (cluster mode, 1 master + 2 core c5.9xlarge on-demand)',
    );
    expect(costLine(config({ region: 'eu-west-3' }))).toContain("prices are us-east-1's; eu-west-3 differs");
  });

  test('the cost line names mode, capacity, per hour, per run and the source', () => {
    expect(costLine(config({ compute: 'transient' }))).toMatch(
      /^fruits: cost estimate \(transient mode, 1 master \+ 2 core m5\.xlarge on-demand\): 0\.77 USD\/h, about 0\.31 USD per run \(~12 min boot \+ ~10 min job \+ ~2 min shutdown; AWS us-east-1 list prices as of 2025, table of 2026-12-02/,
    );
  });

  // A mode the estimator has no model for used to be priced as a cluster, silently.
  test('every compute mode has its own price model: an unknown one is an error, never a cluster price', () => {
    const plan = capacityPlan(config());
    const basis = { idleTimeoutMinutes: 20, region: 'us-east-1' };
    expect(estimatePlanCost(plan, { ...basis, compute: 'cluster' }).minutes).toEqual([12, 10, 20]);
    expect(() => estimatePlanCost(plan, { ...basis, compute: 'no-such-mode' as never })).toThrow('compute "no-such-mode" has no price model in runner/cost/estimate.ts runMinutes');
    expect(() => estimatePlanCost(plan, { ...basis, compute: 'serverless' })).toThrow(/serverless.*estimateServerlessCost/);
  });

  test('the line before a run on the stack\'s cluster prices a cluster, whatever the config\'s compute says', () => {
    const lines: string[] = [];
    printCostLine(config({ compute: 'serverless', serverless: { imageTag: 'fruits-0123456789abcdef' } }), { info: (l) => lines.push(l) });
    printCostLine(config({ compute: 'transient' }), { info: (l) => lines.push(l) });
    expect(lines).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^fruits: cost estimate \(cluster mode, .* \+ 20 min idle timeout/);
  });
});

test('docs/costs.md\'s per-run table is what the estimator says (drift check)', async () => {
  const { readFileSync } = await import('node:fs');
  const doc = readFileSync(new URL('../../../../docs/costs.md', import.meta.url), 'utf8');
  const rows: [string, Record<string, unknown>][] = [
    ['`cluster`, 60 idle minutes', { idleTimeoutMinutes: 60 }],
    ['`cluster`, 20 idle minutes (default)', {}],
    ['`cluster` + 2 Spot task nodes, 20 idle minutes', { capacity: { taskSpotUnits: 2 } }],
    ['`transient` |', { compute: 'transient' }],
    ['`transient` + 2 Spot task nodes', { compute: 'transient', capacity: { taskSpotUnits: 2 } }],
  ];
  for (const [label, file] of rows) {
    const e = estimateCost(config(file));
    const line = doc.split('\n').find((l) => l.startsWith(`| ${label}`));
    expect(line).toBeDefined();
    expect(line).toContain(`| ${e.perHour.toFixed(2)} |`);
    expect(line!.trim().endsWith(`| ${e.perRun.toFixed(2)} |`)).toBe(true);
  }
});
