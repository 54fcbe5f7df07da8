// The runner names no job option: they travel as data keyed by contract name (contract.json options
// with a `runner` entry), so no module of runner/ or config/ may spell one (outside comments).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { configKey, defaultJobContract, runnerOptions } from '../../../config/job-contract.js';
import { ROOT } from '../../helpers/runner.js';

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : f.endsWith('.ts') ? [p] : [];
  });
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

test('no runner or config module names a job option the contract passes through the runner', () => {
  const names = runnerOptions(defaultJobContract()).map(([n]) => n).filter((n) => n !== 'run-id'); // run-id: a request field (paths)
  expect(names).toEqual(expect.arrayContaining(['k', 'variance-target', 'batch-size', 'weights']));
  const spelled = names.flatMap((n) => [n, configKey(n)]);
  const hits: string[] = [];
  for (const file of [...sources(join(ROOT, 'runner')), ...sources(join(ROOT, 'config'))]) {
    const text = code(readFileSync(file, 'utf8'));
    for (const n of spelled) if (new RegExp(`['"\`](--)?${n}['"\`]`).test(text)) hits.push(`${file.slice(ROOT.length + 1)}: ${n}`);
  }
  expect(hits).toEqual([]);
});
