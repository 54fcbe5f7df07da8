// config/ is the bottom layer: main.ts, stacks/ and runner/ import it, never the other way round.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONFIG_DIR = fileURLToPath(new URL('../../../config', import.meta.url));
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('no module in config/ imports from runner/ (or stacks/)', () => {
  const files = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.ts'));
  expect(files.length).toBeGreaterThan(5);
  const upward: string[] = [];
  for (const f of files) {
    for (const m of readFileSync(join(CONFIG_DIR, f), 'utf8').matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('../')) upward.push(`${f}: ${spec}`);
    }
  }
  expect(upward).toEqual([]);
});
