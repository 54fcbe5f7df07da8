// The cost estimate of an EMR run: pure, from the capacity and the price table. Printed as one
// line before `fruits run emr` and used for README's cost table.
import { capacityPlan, type CapacityConfig, type CapacityPlan, type Fleet } from '../../stacks/capacity.js';
import { GP3_GB_MONTH, HOURS_PER_MONTH, INSTANCE_PRICES, PUBLIC_IPV4_HOUR, PRICE_REGION, PRICES_SOURCE, RUN_TIMES, SERVERLESS_PRICES, SERVERLESS_START_MINUTES, SPOT_FRACTION } from './prices.js';
import { SERVERLESS_WORKER } from '../../stacks/serverless.js';
import type { ComputeMode } from '../../config/rules.js';

/** Data volume + root volume per node, GiB (stacks/capacity.ts NODE_EBS, stacks/cluster.ts root). */
const EBS_GB_PER_NODE = 64 + 32;

export interface CostBasis {
  /** The config's compute mode; each has its price model in runMinutes (serverless: estimateServerlessCost). */
  compute: ComputeMode;
  idleTimeoutMinutes: number;
  region: string;
}
export type CostConfig = CapacityConfig & CostBasis;

export interface CostEstimate {
  perHour: number;
  /** Billed minutes of one run (the sum of `minutes`, its terms), and what it costs. */
  runMinutes: number;
  minutes: number[];
  perRun: number;
  /** How the run's minutes add up, in words. */
  basis: string;
  /** Types the table has no price for (no estimate then). */
  unpriced: string[];
  note?: string;
}

/** The cheapest priced type of a fleet (EMR's lowest-price strategy picks the cheapest available). */
function fleetHourly(f: Fleet, unpriced: string[]): number {
  const priced = f.types.map((t) => INSTANCE_PRICES[t]).filter((p) => p !== undefined);
  unpriced.push(...f.types.filter((t) => !INSTANCE_PRICES[t]));
  if (!priced.length) return NaN;
  // Per node besides the instance: its gp3 volumes and its public IPv4 address.
  const ebs = (EBS_GB_PER_NODE * GP3_GB_MONTH) / HOURS_PER_MONTH + PUBLIC_IPV4_HOUR;
  const onDemand = Math.min(...priced.map((p) => p.ec2 + p.emr)) + ebs;
  const spot = Math.min(...priced.map((p) => p.ec2 * SPOT_FRACTION + p.emr)) + ebs;
  return f.onDemand * onDemand + f.spot * spot;
}

/** Per hour: every node of every fleet at its list price; per run: see runMinutes. */
export function estimateCost(c: CostConfig, jobMinutes: number = RUN_TIMES.jobMinutes): CostEstimate {
  return estimatePlanCost(capacityPlan(c), c, jobMinutes);
}

export function estimatePlanCost(plan: Pick<CapacityPlan, 'master' | 'core' | 'task'>, c: CostBasis, jobMinutes: number = RUN_TIMES.jobMinutes): CostEstimate {
  const unpriced: string[] = [];
  const perHour = [plan.master, plan.core, ...(plan.task ? [plan.task] : [])].reduce((sum, f) => sum + fleetHourly(f, unpriced), 0);
  const { minutes, basis } = runMinutes(c, jobMinutes);
  const billed = minutes.reduce((a, b) => a + b, 0);
  return {
    perHour,
    runMinutes: billed,
    minutes,
    perRun: (perHour * billed) / 60,
    basis,
    unpriced: [...new Set(unpriced)],
    ...(c.region !== PRICE_REGION ? { note: `prices are ${PRICE_REGION}'s; ${c.region} differs` } : {}),
  };
}

/**
 * The price model of each compute mode: the billed minutes of one run on its instances, in words too.
 * Exhaustive on purpose: a new mode in COMPUTE_MODES fails the typecheck here until it has its model.
 */
export function runMinutes(c: Pick<CostBasis, 'compute' | 'idleTimeoutMinutes'>, jobMinutes: number): { minutes: number[]; basis: string } {
  const { bootMinutes, shutdownMinutes } = RUN_TIMES;
  switch (c.compute) {
    case 'cluster': // a run on an idle cluster keeps it up for the job plus the idle timeout after it (a first run also pays the boot)
      return {
        minutes: [bootMinutes, jobMinutes, c.idleTimeoutMinutes],
        basis: `~${bootMinutes} min boot + ~${jobMinutes} min job + ${c.idleTimeoutMinutes} min idle timeout (a run on a cluster already up skips the boot)`,
      };
    case 'transient': // nothing idles
      return { minutes: [bootMinutes, jobMinutes, shutdownMinutes], basis: `~${bootMinutes} min boot + ~${jobMinutes} min job + ~${shutdownMinutes} min shutdown` };
    case 'serverless': // no instances: workers while a run uses them
      throw new Error('compute "serverless" has no instances: estimateServerlessCost prices its workers');
    default: {
      const unknown: never = c.compute;
      throw new Error(`compute "${String(unknown)}" has no price model in runner/cost/estimate.ts runMinutes`);
    }
  }
}

const usd = (n: number) => `${n.toFixed(2)} USD`;

/** Nodes in words: "1 master + 2 core m5.xlarge on-demand + 2 task Spot". */
export function capacityWords(p: Pick<CapacityPlan, 'master' | 'core' | 'task' | 'scaling'>): string {
  const core = p.core.types.length > 1 ? `${p.core.types.length} types` : p.core.types[0];
  return `1 master + ${p.core.onDemand} core ${core} on-demand${p.task ? ` + ${p.task.spot} task Spot` : ''}${p.scaling ? ` (scaling to ${p.scaling.max - p.core.onDemand} task)` : ''}`;
}

/** The one line printed before a run. */
export function costLine(c: CostConfig): string {
  return planCostLine(capacityPlan(c), c);
}

export function planCostLine(plan: Pick<CapacityPlan, 'master' | 'core' | 'task' | 'scaling'>, c: CostBasis): string {
  const e = estimatePlanCost(plan, c);
  const what = `${c.compute} mode, ${capacityWords(plan)}`;
  if (e.unpriced.length) return `fruits: cost: no list price for ${e.unpriced.join(', ')} in runner/cost/prices.ts (${what})`;
  return `fruits: cost estimate (${what}): ${usd(e.perHour)}/h, about ${usd(e.perRun)} per run (${e.basis}; ${PRICES_SOURCE}${e.note ? `; ${e.note}` : ''})`;
}

/**
 * compute "serverless": workers (1 driver + executors up to the application's maximum vCPUs) of
 * SERVERLESS_WORKER size, billed while the run uses them: start + job, nothing idles.
 */
export function estimateServerlessCost(o: { maxVcpu: number; maxMemoryGb?: number; region: string }, jobMinutes: number = RUN_TIMES.jobMinutes): CostEstimate {
  // The application's maxima bound the workers (vCPU and memory alike); a run needs a driver and one executor.
  const byMemory = o.maxMemoryGb === undefined ? Infinity : Math.floor(o.maxMemoryGb / SERVERLESS_WORKER.memoryGb);
  const workers = Math.max(2, Math.min(Math.floor(o.maxVcpu / SERVERLESS_WORKER.vcpu), byMemory));
  const perWorker = SERVERLESS_WORKER.vcpu * SERVERLESS_PRICES.vcpuHour + SERVERLESS_WORKER.memoryGb * SERVERLESS_PRICES.gbHour;
  const runMinutes = SERVERLESS_START_MINUTES + jobMinutes;
  return {
    perHour: workers * perWorker,
    runMinutes,
    minutes: [SERVERLESS_START_MINUTES, jobMinutes],
    perRun: (workers * perWorker * Math.max(1, runMinutes)) / 60,
    basis: `at most ${workers} workers of ${SERVERLESS_WORKER.vcpu} vCPU/${SERVERLESS_WORKER.memoryGb} GB for ~${SERVERLESS_START_MINUTES} min start + ~${jobMinutes} min job, nothing idles`,
    unpriced: [],
    ...(o.region !== PRICE_REGION ? { note: `prices are ${PRICE_REGION}'s; ${o.region} differs` } : {}),
  };
}

/** The one line printed before a serverless run. */
export function serverlessCostLine(o: { maxVcpu: number; maxMemoryGb?: number; region: string }): string {
  const e = estimateServerlessCost(o);
  return `fruits: cost estimate (serverless mode, up to ${o.maxVcpu} vCPU): at most ${usd(e.perHour)}/h, about ${usd(e.perRun)} per run at most (${e.basis}; ${PRICES_SOURCE}${e.note ? `; ${e.note}` : ''})`;
}

/**
 * The cost line before a run on the stack's cluster (compute "cluster", or --cluster-id), when the
 * config carries the stacks' capacity fields (fruits.config.json does). Priced as a cluster whatever
 * the config's `compute` says: the deployed stack decides the mode (stack-outputs.ts computeModeOf).
 */
export function printCostLine(cfg: object, out: { info(line: string): void }): void {
  const c = cfg as Partial<CostConfig> & { coreInstanceCount?: number };
  if (c.capacity && c.coreInstanceCount !== undefined && c.idleTimeoutMinutes !== undefined && c.region) out.info(costLine({ ...(c as CostConfig), compute: 'cluster' }));
}
