// runner/targets/emr-compute.ts: one module per compute mode, the same names as the config's
// `compute` setting, and the deployed stack's mode wins over an edited config (with a warning).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPUTE_MODE_NAMES } from '../../../../config/rules.js';
import { resolveConfig } from '../../../../config/loader.js';
import { computeModeOf, EMR_COMPUTE, loadCompute } from '../../../../runner/targets/emr-compute.js';
import { emrTarget } from '../../../../runner/targets/emr.js';
import { captureOutput, mktemp } from '../../../helpers/runner.js';

const dir = mktemp('fruits-compute-');
const outputs = (compute?: string) => {
  const file = join(dir, `outputs-${compute ?? 'none'}.json`);
  writeFileSync(file, JSON.stringify({ 'fruits-emr': { region: 'us-east-1', ...(compute ? { compute } : {}) } }));
  return file;
};
const cfg = (outputsFile: string, compute?: 'cluster' | 'transient' | 'serverless') =>
  ({ emr: { outputsFile, stack: 'fruits-emr' }, ...(compute ? { compute } : {}) }) as never;

test('every compute mode of the config has one module, and nothing else is registered', async () => {
  expect(EMR_COMPUTE.map((m) => m.name)).toEqual([...COMPUTE_MODE_NAMES]);
  for (const m of EMR_COMPUTE) {
    const mode = await m.load();
    for (const member of ['run', 'status', 'logs', 'ui', 'cancel'] as const) expect(typeof mode[member]).toBe('function');
    expect([m.name, Array.isArray(mode.doctor.outputs), typeof mode.doctor.checks]).toEqual([m.name, true, 'function']); // doctor's part of the mode
  }
});

test('the emr target answers every look-up command (status, logs, ui, cancel)', () => {
  for (const member of ['run', 'status', 'logs', 'ui', 'cancel'] as const) expect(typeof emrTarget[member]).toBe('function');
});

test('the deployed stack decides the mode; a config that disagrees gets one warning line', () => {
  const out = captureOutput();
  expect(computeModeOf(cfg(outputs('transient'), 'serverless'), out)).toBe('transient');
  expect(out.infos).toEqual([expect.stringContaining('the config says compute "serverless" but')]);
  expect(out.infos[0]).toContain('using "transient" (deploy again to switch)');
});

test('before a deploy (or outputs from before compute modes) the config decides, and cluster is the default', () => {
  const out = captureOutput();
  expect(computeModeOf(cfg(join(dir, 'missing.json'), 'serverless'), out)).toBe('serverless');
  expect(computeModeOf(cfg(outputs(), undefined), out)).toBe('cluster');
  expect(computeModeOf(cfg(outputs('cluster'), 'cluster'), out)).toBe('cluster');
  // A config without `compute` reads as the default "cluster": no warning on a transient deploy.
  expect(computeModeOf(cfg(outputs('transient'), 'cluster'), out)).toBe('transient');
  expect(out.infos).toEqual([]);
});

test('a config that names "cluster" (the default) while the stack is deployed otherwise is warned too', () => {
  const out = captureOutput();
  const file = outputs('serverless');
  const named = resolveConfig({ file: { compute: 'cluster', emr: { outputsFile: file } }, env: {} });
  const unnamed = resolveConfig({ file: { emr: { outputsFile: file } }, env: {} });
  expect(computeModeOf(unnamed, out)).toBe('serverless');
  expect(out.infos).toEqual([]);
  expect(computeModeOf(named, out)).toBe('serverless');
  expect(out.infos).toEqual([expect.stringContaining('the config says compute "cluster" but')]);
});

test('a mode this runner does not know is an environment error naming the fix', async () => {
  await expect(loadCompute('batch')).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining('compute mode "batch" is unknown to this runner') });
});
