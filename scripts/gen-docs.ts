// `npm run gen:docs`: writes every generated reference: fruits.config.schema.json and the
// configuration table (from config/schema.ts), the job's option, run-folder and summary tables
// (from jobs/fruits_job/contract.json) and the command reference (from runner/command-table.ts).
// test/unit/docs/generated.test.ts fails until this has been run after a change.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOC, schemaFileText, SCHEMA_FILE, withConfigTable } from '../config/docs.js';
import { repoRoot } from '../config/index.js';
import { generatedPages } from './generated-pages.js';

const root = repoRoot();
writeFileSync(join(root, SCHEMA_FILE), schemaFileText());
const configDoc = join(root, CONFIG_DOC);
writeFileSync(configDoc, withConfigTable(readFileSync(configDoc, 'utf8')));
for (const [page, render] of Object.entries(generatedPages(root))) {
  const path = join(root, page);
  writeFileSync(path, render(readFileSync(path, 'utf8')));
}
console.log(`wrote ${SCHEMA_FILE}, ${CONFIG_DOC} and ${Object.keys(generatedPages(root)).join(', ')}`);
