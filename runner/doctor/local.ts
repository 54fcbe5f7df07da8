// doctor's checks of the local target (targets/local.ts): java, python, spark-submit and the
// Python packages pinned in requirements.txt.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunnerConfig } from '../../config/index.js';
import { oneLine } from '../../config/errors.js';
import { capture } from '../platform/process.js';
import { findJava, findPython, findSparkSubmit, JAVA_HINT } from '../platform/discover.js';
import { missFrom, type Check, type DoctorContext } from './check.js';

/** Pure: `name==version` pins of a requirements file. */
export function parsePins(text: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)/.exec(raw);
    if (m) pins.set(m[1]!.toLowerCase(), m[2]!);
  }
  return pins;
}

// Prints {name: installed version | null} for the names given as arguments.
const PY_PROBE = `import json, sys, importlib.metadata as m
out = {}
for d in sys.argv[1:]:
    try: out[d] = m.version(d)
    except Exception: out[d] = None
print(json.dumps(out))`;

/** Pure: pinned packages whose installed version differs (or is missing). */
export function pinMismatches(pins: Map<string, string>, installed: Record<string, string | null>): string[] {
  return [...pins].filter(([name, want]) => installed[name] !== want).map(([name, want]) => `${name} ${installed[name] ?? 'missing'} (pinned ${want})`);
}

export async function localChecks(cfg: RunnerConfig, ctx: DoctorContext): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (c: Check) => checks.push(c);
  const java = findJava();
  if (java) {
    const v = await capture([java, '-version']);
    add({ area: 'local', name: 'java', status: v.exitCode === 0 ? 'ok' : 'miss', detail: oneLine(v.stderr.split('\n')[0] ?? java), fix: JAVA_HINT });
  } else add({ area: 'local', name: 'java', status: 'miss', detail: 'not found', fix: JAVA_HINT });
  let python: string | undefined;
  try {
    python = findPython(cfg.local.python, ctx.root);
    add({ area: 'local', name: 'python', status: 'ok', detail: python });
  } catch (e) {
    add({ area: 'local', name: 'python', status: 'miss', ...missFrom(e, 'python3.11 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt') });
  }
  if (!python) return checks;
  try {
    add({ area: 'local', name: 'spark-submit', status: 'ok', detail: await findSparkSubmit(cfg.local.sparkSubmit, python) });
  } catch (e) {
    add({ area: 'local', name: 'spark-submit', status: 'miss', ...missFrom(e) });
  }
  const reqFile = join(ctx.root, 'requirements.txt');
  const pins = existsSync(reqFile) ? parsePins(readFileSync(reqFile, 'utf8')) : new Map<string, string>();
  const r = await capture([python, '-c', PY_PROBE, ...pins.keys()]);
  const installed = r.exitCode === 0 ? (JSON.parse(r.stdout.trim() || '{}') as Record<string, string | null>) : {};
  const bad = pinMismatches(pins, installed);
  add({
    area: 'local', name: 'python packages', status: bad.length ? 'miss' : 'ok',
    detail: bad.length ? `${bad.length} differ from requirements.txt: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}` : `${pins.size} pinned packages match requirements.txt`,
    fix: `${python} -m pip install -r ${reqFile}`,
  });
  return checks;
}
