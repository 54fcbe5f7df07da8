// fruits.config.schema.json and docs/configuration.md's table are generated from
// config/schema.ts (npm run gen:config): these tests fail when a committed copy drifts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOC, configJsonSchema, schemaFileText, SCHEMA_FILE, withConfigTable } from '../../../config/docs.js';
import { loadConfig } from '../../../config/index.js';
import { configFields } from '../../../config/loader.js';
import { COMPUTE_MODES } from '../../../config/rules.js';
import { ROOT } from '../../helpers/runner.js';

const read = (name: string) => readFileSync(join(ROOT, name), 'utf8');
const EXAMPLE = 'fruits.config.example.json';

test(`${SCHEMA_FILE} is the one generated from config/schema.ts`, () => {
  if (read(SCHEMA_FILE) !== schemaFileText()) throw new Error(`${SCHEMA_FILE} is out of date: run npm run gen:config`);
});

test(`${CONFIG_DOC}'s configuration table is the one generated from config/schema.ts`, () => {
  const page = read(CONFIG_DOC);
  if (page !== withConfigTable(page)) throw new Error(`${CONFIG_DOC} configuration table is out of date: run npm run gen:config`);
});

test(`${EXAMPLE} points editors at the schema and is valid for it`, () => {
  const example = JSON.parse(read(EXAMPLE));
  expect(example.$schema).toBe(`./${SCHEMA_FILE}`);
  // Every key of the example is declared by the JSON Schema (ajv is not a dependency; the loader does the rest).
  type Node = { properties?: Record<string, Node> };
  const walk = (obj: Record<string, unknown>, node: Node, at: string) => {
    for (const [key, value] of Object.entries(obj)) {
      expect([at + key, node.properties?.[key] !== undefined]).toEqual([at + key, true]);
      const child = node.properties![key]!;
      if (child.properties && value && typeof value === 'object') walk(value as Record<string, unknown>, child, `${at}${key}.`);
    }
  };
  walk(example, configJsonSchema() as Node, '');
  const config = loadConfig({ configPath: join(ROOT, EXAMPLE), env: {} });
  expect(config.operatorCidr).toBe('203.0.113.7/32');
  expect(config.vm.host).toBe('192.168.56.101');
});


test('each compute mode is described next to its name in COMPUTE_MODES, and the table\'s `compute` row says it', () => {
  const compute = configFields().find((f) => f.path === 'compute')!.info;
  expect(compute.values).toEqual(COMPUTE_MODES.map((m) => m.name));
  // A mode with no description of its own would show as "`<name>`: undefined" (or be missing).
  for (const m of COMPUTE_MODES) expect([m.name, compute.description]).toEqual([m.name, expect.stringContaining(`\`${m.name}\`: ${m.description}`)]);
  expect(compute.description.split('; `')).toHaveLength(COMPUTE_MODES.length);
});
