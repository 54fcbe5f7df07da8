// runner/targets/run-request.ts: what every target shares: job options as data (flags over config
// defaults, from the contract), the job's argv, the job's exit codes.
import { resolveConfig } from '../../../../config/index.js';
import { exitForJob, jobArgsFor, jobArgvFor, jobOptionsFor } from '../../../../runner/targets/run-request.js';
import { defaultJobContract } from '../../../../config/job-contract.js';

describe('run request', () => {
  const base = { runId: 'r', options: {}, extra: [], conf: {}, dryRun: false, wait: true };

  test('job exit codes map to runner exit codes (the contract names them)', () => {
    expect([0, 1, 2, 3, 137, undefined].map(exitForJob)).toEqual([0, 1, 2, 1, 1, 1]);
    expect(exitForJob(defaultJobContract().exit_codes.interrupted)).toBe(130); // the job was interrupted (summary status "interrupted")
  });

  test('config job defaults apply unless a flag overrides (k vs variance target)', () => {
    const cfg = resolveConfig({ env: {}, file: { job: { k: 20, weights: 'imagenet' } } });
    expect(jobArgsFor(base, cfg, 'i', 'o').options).toEqual({ k: 20, weights: 'imagenet' });
    expect(jobArgsFor({ ...base, options: { 'variance-target': 0.9 } }, cfg, 'i', 'o').options).toEqual({ 'variance-target': 0.9, weights: 'imagenet' });
  });

  test('options travel in contract order with their sources; the argv is built from them alone', () => {
    const cfg = resolveConfig({ env: {}, file: { job: { batchSize: 8 } } });
    const req = { ...base, options: { overwrite: true as const, k: 3 }, extra: ['--engine', 'keras'] };
    expect(jobOptionsFor(req, cfg, defaultJobContract())).toEqual({ options: { k: 3, 'batch-size': 8, overwrite: true }, sources: { 'batch-size': 'config job.batchSize' } });
    expect(jobArgvFor(req, cfg, '/in', '/out')).toEqual(['--input', '/in', '--output', '/out', '--run-id', 'r', '--k', '3', '--batch-size', '8', '--overwrite', '--engine', 'keras']);
  });

  test('the exclusive pair is refused once, by the contract rule, naming where each came from', () => {
    const cfg = resolveConfig({ env: {}, file: { job: { k: 20 } } });
    expect(() => jobArgvFor({ ...base, extra: ['--variance-target', '0.5'] }, cfg, 'i', 'o')).toThrow('config job.k (--k) and --variance-target are exclusive; pass only one');
  });
});
