// `npm run gen:config`: writes fruits.config.schema.json and README's configuration table
// from config/schema.ts. test/unit/config/generate.test.ts fails until this has been run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFileText, SCHEMA_FILE, withConfigTable } from './docs.js';
import { repoRoot } from './loader.js';

const root = repoRoot();
writeFileSync(join(root, SCHEMA_FILE), schemaFileText());
const readmePath = join(root, 'README.md');
writeFileSync(readmePath, withConfigTable(readFileSync(readmePath, 'utf8')));
console.log(`wrote ${SCHEMA_FILE} and README.md's configuration table`);
