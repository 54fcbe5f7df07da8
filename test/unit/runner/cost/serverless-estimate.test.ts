// compute "serverless": the cost line from the same price table as the EMR modes.
import { estimateServerlessCost, serverlessCostLine } from '../../../../runner/cost/estimate.js';
import { SERVERLESS_PRICES, SERVERLESS_START_MINUTES } from '../../../../runner/cost/prices.js';

test('workers of 4 vCPU / 16 GB up to the maximum, billed for start + job only', () => {
  const perWorker = 4 * SERVERLESS_PRICES.vcpuHour + 16 * SERVERLESS_PRICES.gbHour;
  const e = estimateServerlessCost({ maxVcpu: 12, region: 'us-east-1' }, 5);
  expect(e.perHour).toBeCloseTo(3 * perWorker, 10);
  expect(e.runMinutes).toBe(SERVERLESS_START_MINUTES + 5);
  expect(e.perRun).toBeCloseTo((3 * perWorker * (SERVERLESS_START_MINUTES + 5)) / 60, 10);
  expect(perWorker).toBeCloseTo(0.303, 3);
});

test('the line names the mode, the bound and the table; another region is flagged', () => {
  expect(serverlessCostLine({ maxVcpu: 16, region: 'us-east-1' })).toMatch(/^fruits: cost estimate \(serverless mode, up to 16 vCPU\): at most 1\.21 USD\/h, about 0\.24 USD per run at most \(at most 4 workers .*runner\/cost\/prices\.ts/);
  expect(serverlessCostLine({ maxVcpu: 16, region: 'eu-west-3' })).toContain("prices are us-east-1's; eu-west-3 differs");
});
