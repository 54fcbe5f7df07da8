// The reference tables in docs/ are generated (npm run gen:docs) from the job's contract and the
// command table: these tests fail when a committed page drifts from what the code says.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobOptionsTable, runFolderTable, summaryTable, type ContractDoc } from '../../../config/contract-docs.js';
import { cell, replaceSection } from '../../../config/generated-sections.js';
import { commandReference } from '../../../runner/command-docs.js';
import { commandHelp } from '../../../runner/command-table.js';
import { parseStages, PIPELINE_FILE, stagesTable } from '../../../config/stage-docs.js';
import { generatedPages } from '../../../scripts/generated-pages.js';
import { ROOT } from '../../helpers/runner.js';

const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const contract = (): ContractDoc => JSON.parse(read('jobs/fruits_job/contract.json')) as ContractDoc;

test.each(Object.entries(generatedPages(ROOT)))('%s carries the generated sections as the code makes them today', (page, render) => {
  const text = read(page);
  if (render(text) !== text) throw new Error(`${page} is out of date: run npm run gen:docs`);
});

test('a job option added to the contract appears in the options table; a removed one disappears', () => {
  const c = contract();
  c.options['sample-rate'] = { type: 'number', min: 0, max: 1, min_exclusive: true, default: 1, help: 'share of the photos to use' };
  delete c.options['verbose'];
  const table = jobOptionsTable(c);
  expect(table).toContain('| `--sample-rate` | number > 0, ≤ 1 | `1` | share of the photos to use |');
  expect(table).not.toContain('--verbose');
});

test('run-folder and summary tables list every file and field of the contract', () => {
  const c = contract();
  for (const f of Object.values(c.run_folder.files)) expect(runFolderTable(c)).toContain(`| \`${f.path}\` |`);
  for (const name of Object.keys(c.summary.fields)) expect(summaryTable(c)).toContain(`| \`${name}\` |`);
  for (const [option, why] of Object.entries(c.summary.fields.options!.not_recorded!)) expect(summaryTable(c)).toContain(`\`--${option}\` (${why})`);
});

test('a stage added to STAGES in pipeline.py appears in the stage table, in its place', () => {
  const source = read(PIPELINE_FILE).replace('    Stage("report", report.run),', '    Stage("embed_2d", embed_2d.run),  # a new stage\n    Stage("report", report.run),');
  const stages = parseStages(source);
  expect(stages.map((s) => s.name).slice(-2)).toEqual(['embed_2d', 'report']);
  expect(stagesTable(stages)).toContain('| `embed_2d` | `stages/embed_2d.py` `run` | yes | a new stage |');
  expect(stagesTable(parseStages(read(PIPELINE_FILE)))).toContain('| `tally` | `stages/featurize.py` `tally` | no (a step) |');
});

test('a STAGES entry the table cannot read is refused, not left out', () => {
  const source = read(PIPELINE_FILE).replace('    Stage("report", report.run),', '    Stage(\n        "report", report.run),');
  expect(() => parseStages(source)).toThrow(/cannot read the STAGES entry "Stage\("/);
  expect(() => parseStages(source.replace('Stage(\n', 'Stage("x", x.run, retries=3),\n'))).toThrow(/argument the stage table does not know/);
});

test("the command reference is each command's --help text", () => {
  expect(commandReference()).toContain(commandHelp('run'));
  expect(commandReference()).toContain('### fruits classify');
});

test('a page without the markers is refused with the section named, not silently left as is', () => {
  expect(() => replaceSection('# nothing here\n', 'job-options', 'x', 'docs/job.md')).toThrow(/docs\/job\.md has no <!-- generated:job-options:start/);
});

test('cells keep code spans intact and escape what Markdown would swallow', () => {
  expect(cell('a|b <root> `<x>`')).toBe('a\\|b &lt;root> `<x>`');
});

test('README stays a short entry page that links every page in docs/', () => {
  const readme = read('README.md');
  expect(readme.split('\n').length).toBeLessThanOrEqual(220);
  for (const page of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) expect(readme).toContain(`(docs/${page})`);
});
