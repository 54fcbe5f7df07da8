// Which page carries which generated section (used by scripts/gen-docs.ts and the drift test).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobOptionsTable, runFolderTable, summaryTable, type ContractDoc } from '../config/contract-docs.js';
import { replaceSection } from '../config/generated-sections.js';
import { parseStages, PIPELINE_FILE, stagesTable } from '../config/stage-docs.js';
import { commandReference } from '../runner/command-docs.js';
import { costPerRunTable, modeTable } from '../runner/cost/cost-docs.js';
import { resolveConfig } from '../config/loader.js';

export type Render = (page: string) => string;

export function generatedPages(root: string): Record<string, Render> {
  const contract = JSON.parse(readFileSync(join(root, 'jobs', 'fruits_job', 'contract.json'), 'utf8')) as ContractDoc;
  const stages = parseStages(readFileSync(join(root, PIPELINE_FILE), 'utf8'));
  return {
    'docs/job.md': (t) => [
      ['stages', stagesTable(stages)],
      ['job-options', jobOptionsTable(contract)],
      ['run-folder', runFolderTable(contract)],
      ['summary-fields', summaryTable(contract)],
    ].reduce((text, [id, body]) => replaceSection(text, id!, body!, 'docs/job.md'), t),
    'docs/runner.md': (t) => replaceSection(t, 'commands', commandReference(), 'docs/runner.md'),
    // The defaults of fruits.config.json (no file, no environment) price the tables.
    'docs/costs.md': (t) => replaceSection(t, 'cost-per-run', costPerRunTable(resolveConfig({ file: {}, env: {}, root })), 'docs/costs.md'),
    'README.md': (t) => replaceSection(t, 'compute-modes', modeTable(resolveConfig({ file: {}, env: {}, root })), 'README.md'),
  };
}
