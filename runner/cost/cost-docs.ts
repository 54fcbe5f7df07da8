// The cost tables of README and docs/costs.md, generated (npm run gen:docs) from the same estimate
// `fruits run emr` prints, for the default config and a few variants: a price or time assumption
// changed in prices.ts changes the docs, and the drift test fails until they are regenerated.
import type { Config } from '../../config/index.js';
import { markdownTable } from '../../config/generated-sections.js';
import { estimateCost, estimateServerlessCost, type CostConfig } from './estimate.js';
import { RUN_TIMES, SERVERLESS_START_MINUTES } from './prices.js';
import { SERVERLESS_WORKER } from '../../stacks/serverless.js';

const usd = (n: number) => n.toFixed(2);
type Variant = { label: string; c: CostConfig };

function variants(defaults: Config): Variant[] {
  const base: CostConfig = { ...defaults, compute: 'cluster', idleTimeoutMinutes: 20 };
  const spot = { ...base.capacity, taskSpotUnits: 2 };
  return [
    { label: '`cluster`, 60 idle minutes (JupyterHub keeps it)', c: { ...base, idleTimeoutMinutes: 60 } },
    { label: '`cluster`, 20 idle minutes (default)', c: base },
    { label: '`cluster` + 2 Spot task nodes, 20 idle minutes', c: { ...base, capacity: spot } },
    { label: '`transient`', c: { ...base, compute: 'transient' } },
    { label: '`transient` + 2 Spot task nodes', c: { ...base, compute: 'transient', capacity: spot } },
  ];
}

/** The smallest serverless run (a driver and one executor) and the largest the default application allows. */
function serverlessRange(defaults: Config) {
  return {
    least: estimateServerlessCost({ maxVcpu: 2 * SERVERLESS_WORKER.vcpu, region: defaults.region }),
    most: estimateServerlessCost({ maxVcpu: defaults.serverless.maxVcpu, maxMemoryGb: defaults.serverless.maxMemoryGb, region: defaults.region }),
  };
}

/** docs/costs.md: per hour, billed minutes and per run, by mode and capacity. */
export function costPerRunTable(defaults: Config): string {
  const rows = variants(defaults).map(({ label, c }) => {
    const e = estimateCost(c);
    return [label, usd(e.perHour), `${e.minutes.join(' + ')} = ${e.runMinutes}`, usd(e.perRun)];
  });
  const { least, most } = serverlessRange(defaults);
  rows.push([
    `\`serverless\`, 2 to ${defaults.serverless.maxVcpu / SERVERLESS_WORKER.vcpu} workers (\`serverless.maxVcpu\` ${defaults.serverless.maxVcpu})`,
    `${usd(least.perHour)}-${usd(most.perHour)}`,
    `${SERVERLESS_START_MINUTES} + ${RUN_TIMES.jobMinutes} = ${most.runMinutes}`,
    `${usd(least.perRun)}-${usd(most.perRun)}`,
  ]);
  return markdownTable(['Mode and capacity', 'USD/hour', 'billed minutes per run', 'USD per run'], rows);
}

/** README: which mode when, its start-up and what a run costs. */
export function modeTable(defaults: Config): string {
  const [idle60, idle20, , transient] = variants(defaults).map((v) => estimateCost(v.c));
  const { least, most } = serverlessRange(defaults);
  const boot = RUN_TIMES.bootMinutes;
  return markdownTable(['`compute`', 'when', 'start-up', 'per run (estimate, us-east-1 list prices)'], [
    ['`cluster` (default)', 'several runs in a row, JupyterHub, UIs between runs', `~${boot} min once, then none`, `about ${usd(idle20!.perRun)} USD (${usd(idle60!.perRun)} USD with a 60-minute idle timeout)`],
    ['`transient`', 'occasional runs: a cluster per run that ends with it', `~${boot} min every run`, `about ${usd(transient!.perRun)} USD`],
    ['`serverless`', 'occasional runs, no notebooks or SSH: an EMR Serverless job run, nothing boots or idles; needs the job image once ([docs/serverless.md](docs/serverless.md))', `~${SERVERLESS_START_MINUTES} min`, `about ${usd(least.perRun)}-${usd(most.perRun)} USD`],
  ]);
}
