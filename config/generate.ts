// `npm run gen:config`: writes fruits.config.schema.json and docs/configuration.md's table
// from config/schema.ts. test/unit/config/generate.test.ts fails until this has been run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOC, schemaFileText, SCHEMA_FILE, withConfigTable } from './docs.js';
import { repoRoot } from './loader.js';

const root = repoRoot();
writeFileSync(join(root, SCHEMA_FILE), schemaFileText());
const docPath = join(root, CONFIG_DOC);
writeFileSync(docPath, withConfigTable(readFileSync(docPath, 'utf8')));
console.log(`wrote ${SCHEMA_FILE} and ${CONFIG_DOC}'s configuration table`);
