// emr target: `fruits run emr` and the look-ups on its runs (status, logs, ui, cancel), each
// handed to the module of the stack's compute mode (emr-compute.ts: cluster, transient, serverless).
import { computeModeOf, loadCompute, type EmrDeps, type OpsContext } from './emr-compute.js';
import type { RunContext, RunOutcome, RunRequest } from './run-request.js';
import type { Target } from './registry.js';

async function computeFor(c: OpsContext, deps: EmrDeps = {}) {
  return loadCompute(computeModeOf(c.cfg, c.out, deps.outputs));
}

export async function runEmr(req: RunRequest, ctx: RunContext, deps: EmrDeps = {}): Promise<RunOutcome> {
  return (await computeFor(ctx, deps)).run(req, ctx, deps);
}

/** The emr target (targets/registry.ts). */
export const emrTarget: Target = {
  run: (req, ctx) => runEmr(req, ctx),
  status: async (ref, c) => (await computeFor(c)).status(ref, c),
  logs: async (ref, c) => (await computeFor(c)).logs(ref, c),
  ui: async (ref, c) => (await computeFor(c)).ui(ref, c),
  cancel: async (ref, c) => (await computeFor(c)).cancel(ref, c),
  doctor: async (cfg, ctx) => (await import('../doctor/emr.js')).emrChecks(cfg, ctx),
};
